"""Golden checks: generated files must not change unless we mean them to.

The bookshelf fixture is built with a fixed SOURCE_DATE_EPOCH and every file's sha256 compared
with tests/golden/bookshelf.json. After an intended change, regenerate with
`UPDATE_GOLDEN=1 make test` and review the diff of the golden file.
"""

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from click.testing import CliRunner

from builder import charts
from builder.cli import cli

GOLDEN = Path(__file__).parent / "golden"


def digest(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def check(name: str, actual: dict) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    changed = sorted(k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k))
    assert changed == [], f"{name}: changed {changed}; if intended, run UPDATE_GOLDEN=1 make test"


def test_charts_are_golden():
    points = [(dt.date(2023, 2, 1), 14), (dt.date(2023, 6, 1), 10), (dt.date(2025, 5, 1), 3)]
    lanes = {
        "Releases": [(dt.date(2023, 2, 24), "LLaMA"), (dt.date(2023, 7, 18), "Llama 2")],
        "Departures": [(dt.date(2023, 5, 1), "<b>escaped</b> & safe")],
    }
    step = charts.step_chart(points, title="Authors", maximum=14, end=dt.date(2025, 6, 1))
    timeline = charts.timeline_chart(lanes, title="Timeline", start=dt.date(2023, 1, 1), end=dt.date(2024, 1, 1))
    assert "&lt;b&gt;escaped&lt;/b&gt; &amp; safe" in timeline
    check("charts.json", {"step_chart.svg": digest(step), "timeline_chart.svg": digest(timeline)})


def test_bookshelf_build_is_golden(bookshelf, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    files = {}
    for folder in ("dist", "site"):
        for path in sorted((bookshelf / folder).rglob("*")):
            relative = path.relative_to(bookshelf).as_posix()
            if path.is_file() and not relative.startswith(("site/assets/", "site/downloads/")):
                files[relative] = digest(path.read_bytes())
    check("bookshelf.json", files)
