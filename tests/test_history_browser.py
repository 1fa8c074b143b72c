"""History in headless Chromium: from a claim's History to its release on the Changes page, and the
JSON API fetched by a page script, on the throwaway two-release repository of test_history."""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_history import built, notes, repo  # noqa: F401  (the module-scoped repositories and their builds)

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402
from test_browser import ARGS, serve  # noqa: E402


def test_history_links_to_the_release_and_the_api_is_fetchable(built):  # noqa: F811
    httpd, address = serve(built / "site")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.set_default_timeout(15000)
            errors, hosts = [], set()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
            page.goto(address + "/claims/c1/")
            # Old and new values read apart: the old struck through, the new not underlined like a link.
            change = page.locator(".ledger-history .ledger-change").first
            style = "e => getComputedStyle(e).textDecorationLine"
            assert change.locator("del").evaluate(style) == "line-through"
            assert change.locator("ins").evaluate(style) == "none"
            assert change.locator(".ledger-arrow").is_visible()
            page.locator(".ledger-history a", has_text="0.2.0").click()
            page.wait_for_url("**/changes/#v0-2-0")
            section = page.locator("h2#v0-2-0")
            expect(section).to_be_in_viewport()
            expect(page.locator(".ledger-highlights").first).to_contain_text("verdict supported → false")
            releases = page.evaluate(
                "async () => (await (await fetch('../api/v1/index.json')).json()).releases.map(r => r.version)"
            )
            assert releases == ["0.2.0", "0.1.0"]
            assert errors == []
            assert hosts == {"127.0.0.1"}
            browser.close()
    finally:
        httpd.shutdown()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_changes_and_history_pass_axe_in_both_schemes(notes, scheme):  # noqa: F811
    """Old and new values on their tints (links, empty values, long notes) keep AA contrast."""
    from a11y import newest_axe

    httpd, address = serve(notes / "site")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_context(color_scheme=scheme).new_page()
            found = []
            for path in ("/changes/", "/people/ada/", "/people/bob/"):
                page.goto(address + path)
                found += [
                    f"{path} {violation['id']} ({len(violation['nodes'])}) {violation['nodes'][0]['target']}"
                    for violation in newest_axe().run(page).response["violations"]
                    if violation["impact"] in ("serious", "critical")
                ]
            browser.close()
        assert found == []
    finally:
        httpd.shutdown()


def test_the_cite_box_copies_its_bibtex(built):  # noqa: F811
    """One click puts the BibTeX entry, exactly as shown, on the clipboard."""
    httpd, address = serve(built / "site")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.set_default_timeout(15000)
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(address + "/claims/c1/")
            page.locator(".ledger-cite summary").click()
            page.get_by_role("button", name="Copy BibTeX").click()
            button = page.locator(".ledger-cite .ledger-copy")
            expect(button).to_have_text("Copied")
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied == page.locator(".ledger-cite pre.ledger-bibtex").text_content()
            assert copied.startswith("@misc{tiny_claims_c1,\n") and "  version = {0.2.0},\n" in copied
            assert errors == []
            browser.close()
    finally:
        httpd.shutdown()
