"""The newest axe-core for the browser tests (vendored under tests/vendor/axe/, MPL-2.0): the one
axe-playwright-python bundles (4.4.3) misses contrast failures that 4.14 reports."""

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

AXE = Path(__file__).resolve().parent / "vendor" / "axe" / "axe.min.js"
AXE_VERSION = "4.14.1"


def newest_axe() -> Axe:
    return Axe.from_file(AXE)


def serious(results) -> list[str]:
    """Serious and critical violations, one line each: rule, count, first element."""
    return [
        f"{violation['id']} ({len(violation['nodes'])}) {violation['nodes'][0]['target']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
