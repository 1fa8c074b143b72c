"""Issue 17 §3: what pages and files show is exactly what the data says.

A date known only to the month or year is never shown or exported as a day, and a departure
whose date is unknown stays in every list that claims to list departures.
"""

import csv
import datetime as dt
import html
import json
import re
import sqlite3
from pathlib import Path

import polars as pl

from builder.views import derive
from builder.views.derive import View
from tests.conftest import without_a_precision

MONTHS = "January February March April May June July August September October November December".split()
DATED = {  # table: (date column, precision column)
    "departures": ("date", "date_precision"),
    "releases": ("date", "date_precision"),
    "organizations": ("founded", "founded_precision"),
}
DAY_DATES = {"sources": ["published", "accessed"], "people": ["status_as_of"], "departures": ["left_by"], "claims": ["reviewed"]}


def precision_column(name: str) -> str:
    """As the builder pairs them: date → date_precision, departure_date → departure_precision."""
    return name.removesuffix("_date") + "_precision" if name.endswith("_date") else f"{name}_precision"


def seed_rows(root: Path, table: str) -> list[dict]:
    with (root / "seeds" / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def inexact_dates(root: Path) -> set[dt.date]:
    """Dates that some row knows only to the month or year, and that no row knows as a day."""
    inexact, exact = set(), set()
    for table, (column, precision) in DATED.items():
        for row in seed_rows(root, table):
            if row[column]:
                (inexact if row[precision] in ("month", "year") else exact).add(dt.date.fromisoformat(row[column]))
    for table, columns in DAY_DATES.items():
        for row in seed_rows(root, table):
            exact.update(dt.date.fromisoformat(row[c]) for c in columns if row.get(c))
    return inexact - exact


def visible_text(page: Path) -> str:
    text = re.sub(r"<script.*?</script>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return html.unescape(re.sub(r"<[^>]*>", " ", text))


def test_no_month_or_year_date_is_shown_as_a_day_on_any_page(built):
    dates = inexact_dates(built)
    assert dt.date(2023, 6, 1) in dates  # Lachaux and Lavril left in June 2023: the date the issue found as "1 June 2023"
    forms = {f"{d.day} {MONTHS[d.month - 1]} {d.year}" for d in dates} | {d.isoformat() for d in dates}
    # A form inside a longer token is a row id (`llama-leaked-2023-03-01`), a name, not a date shown.
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(form)}(?![\w-])" for form in sorted(forms)))
    found = {}
    for page in sorted((built / "site").rglob("*.html")):
        hits = pattern.findall(visible_text(page))
        if hits:
            found[page.relative_to(built / "site").as_posix()] = sorted(set(hits))
    assert found == {}
    assert "June 2023" in visible_text(built / "site" / "index.html")


def records_with_dates(value, dates: set[str]):
    """Every JSON object (at any depth) that holds one of `dates` as a whole value."""
    if isinstance(value, dict):
        if any(isinstance(v, str) and v in dates for v in value.values()):
            yield value
        for v in value.values():
            yield from records_with_dates(v, dates)
    elif isinstance(value, list):
        for v in value:
            yield from records_with_dates(v, dates)


def unmarked(row: dict, dates: set[str]) -> list[str]:
    """Columns of `row` holding an inexact date without a month or year precision beside it."""
    return [k for k, v in row.items() if v in dates and row.get(precision_column(k)) not in ("month", "year")]


def test_every_exported_month_or_year_date_carries_its_precision(built):
    dates = {d.isoformat() for d in inexact_dates(built)}
    checked, faults = 0, []
    csvs = [*(built / "dist" / "data").glob("*.csv"), *(built / "site" / "charts").glob("*.csv")]
    for path in csvs:
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                checked += bool({*row.values()} & dates)
                faults += [f"{path.name}: {k}" for k in unmarked(row, dates)]
    jsons = [*(built / "dist" / "data").glob("*.json"), *(built / "site" / "api" / "v1").rglob("*.json")]
    for path in jsons:
        for row in records_with_dates(json.loads(path.read_text(encoding="utf-8")), dates):
            checked += 1
            faults += [f"{path.name}: {k}" for k in unmarked(row, dates)]
    for path in (built / "dist" / "data").glob("*.parquet"):
        for row in pl.read_parquet(path).with_columns(pl.col(pl.Date).dt.to_string()).iter_rows(named=True):
            faults += [f"{path.name}: {k}" for k in unmarked(row, dates)]
    database = sqlite3.connect(next((built / "dist").glob("*.sqlite")))
    database.row_factory = sqlite3.Row
    for (table,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        for row in database.execute(f'SELECT * FROM "{table}"'):
            faults += [f"sqlite {table}: {k}" for k in unmarked(dict(row), dates)]
    database.close()
    assert checked > 50
    assert faults == []


def test_published_views_pair_every_date_with_its_precision(built):
    package = json.loads((built / "dist" / "datapackage.json").read_text())
    views = [r for r in package["resources"] if r["ledger"]["view"]]
    paired = 0
    for view in views:
        names = [f["name"] for f in view["schema"]["fields"]]
        for field in view["schema"]["fields"]:
            if field["type"] == "date":
                precision = precision_column(field["name"])
                assert precision in names, (view["name"], field["name"])
                assert names.index(precision) == names.index(field["name"]) + 1 or field["name"] == "date"
                assert f"`{precision}`" in field["description"]
                paired += 1
    assert paired >= 6  # timeline (date, left_by), author_status (3), author_retention (month), release_cadence


def test_a_view_date_without_its_precision_is_a_problem():
    frame = pl.DataFrame({"month": [dt.date(2023, 6, 1)], "authors": [3]})
    view = View("monthly", "Monthly", "", frame, {"month": "The month.", "authors": "Count."}, ["month"])
    [problem] = derive.undeclared_precision(view)
    assert (problem.type, problem.message) == (
        "view-date-without-precision",
        "Date column `month` has no `month_precision` column beside it.",
    )
    bad = View("monthly", "Monthly", "", frame.with_columns(month_precision=pl.lit("week")), {}, ["month"])
    [problem] = derive.undeclared_precision(bad)
    assert problem.message == "`month_precision` holds 'week' for some dates."


def departures(root: Path) -> list[dict]:
    people = {row["person_id"]: row["name"] for row in seed_rows(root, "people")}
    return [{**row, "name": people[row["person_id"]]} for row in seed_rows(root, "departures")]


def test_every_departure_is_in_the_timeline_table_and_view(built):
    page = (built / "site" / "timeline" / "index.html").read_text(encoding="utf-8")
    table = page[page.index('id="timeline-table"') :]
    rows = [visible_text_of(row) for row in re.findall(r'<tr data-kind="departure">(.*?)</tr>', table, flags=re.S)]
    expected = departures(built)
    assert any(not d["date"] for d in expected)  # the case: Joulin, Rodriguez, Hambro, Goyal have no date
    assert len(rows) == len(expected)
    for departure in expected:
        [row] = [r for r in rows if r.split(" leaves")[0].endswith(departure["name"])]
        if not departure["date"]:
            day = dt.date.fromisoformat(departure["left_by"])
            assert f"date unknown; left by {day.day} {MONTHS[day.month - 1]} {day.year}" in row
    with (built / "dist" / "data" / "timeline.csv").open(encoding="utf-8") as handle:
        view = [row for row in csv.DictReader(handle) if row["kind"] == "departure"]
    assert sorted(row["subject_id"] for row in view) == sorted(d["person_id"] for d in expected)
    assert {(r["date"], r["date_precision"], r["left_by"]) for r in view if not r["date"]} == {
        ("", "unknown", d["left_by"]) for d in expected if not d["date"]
    }


def visible_text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", fragment)).split())


def test_organization_pages_give_the_report_date_of_an_undated_exit(built):
    undated = [d for d in departures(built) if d["to_org_id"] and not d["date"]]
    assert undated
    for departure in undated:
        page = built / "site" / "organizations" / departure["to_org_id"] / "index.html"
        day = dt.date.fromisoformat(departure["left_by"])
        shown = f"{departure['name']} date unknown; left by {day.day} {MONTHS[day.month - 1]} {day.year}"
        assert shown in " ".join(visible_text(page).split())


def test_workbook_shows_a_month_or_year_date_as_a_month_or_year(built):
    import openpyxl

    book = openpyxl.load_workbook(next((built / "dist").glob("*.xlsx")), read_only=True)
    formats = {}
    for sheet in book.worksheets[1:]:
        rows = sheet.iter_rows()
        header = [cell.value for cell in next(rows)]
        pairs = [(i, header.index(precision_column(n))) for i, n in enumerate(header) if precision_column(n) in header]
        for row in rows:
            for date, precision in pairs:
                if row[date].value is not None and row[precision].value in ("day", "month", "year"):
                    formats.setdefault(row[precision].value, set()).add(row[date].number_format)
    book.close()
    assert formats == {"day": {"yyyy-mm-dd"}, "month": {"mmmm yyyy"}, "year": {"yyyy"}}


def test_release_gaps_are_counted_in_days_only_between_days(built):
    with (built / "dist" / "data" / "release_cadence.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert any(r["date_precision"] != "day" for r in rows)  # Llama Guard 3: July 2024
    for previous, row in zip(rows, rows[1:], strict=False):
        exact = previous["date_precision"] == row["date_precision"] == "day"
        assert (row["days_since_previous"] != "") == exact, row["model_id"]


def test_validate_reports_a_view_date_without_its_precision(ledger, monkeypatch):
    from click.testing import CliRunner

    from builder.cli import cli
    from builder.stories import llama

    monkeypatch.setattr(llama, "views", without_a_precision(llama.views))
    result = CliRunner().invoke(cli, ["validate", "--root", str(ledger)])
    assert result.exit_code != 0
    assert "Date column `month` has no `month_precision` column beside it." in result.output
