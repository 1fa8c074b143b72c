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

from builder.cli import cli
from builder.views import charts

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
        "Releases": [charts.Event(dt.date(2023, 2, 24), "LLaMA"), charts.Event(dt.date(2023, 7, 18), "Llama 2")],
        "Departures": [
            charts.Event(dt.date(2023, 5, 1), "<b>escaped</b> & safe"),
            charts.Event(dt.date(2023, 11, 1), "Someone", undated=True),
        ],
    }
    start, end = dt.date(2023, 1, 1), dt.date(2026, 1, 1)
    files = {}
    for width in (charts.WIDE, charts.NARROW):
        step = charts.step_chart(
            points,
            chart_id="authors",
            title="Authors",
            maximum=14,
            start=start,
            end=end,
            y_title="Authors",
            uncertain=(dt.date(2025, 5, 1), "1 left, date unknown"),
            width=width,
        )
        timeline = charts.timeline_chart(
            lanes,
            chart_id="events",
            title="Timeline",
            start=start,
            end=end,
            key_events=[(dt.date(2023, 2, 24), "LLaMA")],
            width=width,
        )
        assert "&lt;b&gt;escaped&lt;/b&gt; &amp; safe" in timeline
        assert f'id="events-{"wide" if width == charts.WIDE else "narrow"}-title"' in timeline
        files |= {f"step_chart_{width}.svg": digest(step), f"timeline_chart_{width}.svg": digest(timeline)}
    check("charts.json", files)


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
