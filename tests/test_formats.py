"""Issue 22 item 2: every tabular format frictionless reads in a package (compressed and multipart
CSV, JSON arrays and objects, JSON Lines, XLSX, ODS, inline data) validates with frictionless's
findings, builds, and publishes canonical CSV/JSON/Parquet with a descriptor frictionless validates."""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli
from tests.test_differential import findings

HEADER = ["id", "n", "day", "ok"]
GOOD = [["a", 1, "2026-12-03", True], ["b", 2, "2026-01-05", False], ["c", 30, "1999-12-31", True]]
# A row with two type errors and a repeated key: frictionless's findings are the reference.
BAD = [*GOOD, ["d", "many", "2026-02-30", True], ["a", 4, "2026-01-01", False]]
FORMATS = ["gz", "zipped", "multi", "arrays", "objects", "jsonl", "ndjson", "xlsx", "ods", "inline"]
FILES = {
    "gz": "data/gz.csv.gz",
    "zipped": "data/zipped.csv.zip",
    "multi": "data/part1.csv",
    "arrays": "data/arrays.json",
    "objects": "data/objects.json",
    "jsonl": "data/lines.jsonl",
    "ndjson": "data/lines.ndjson",
    "xlsx": "data/book.xlsx",
    "ods": "data/sheet.ods",
    "inline": "datapackage.json",
}


def csv_text(rows: list[list]) -> str:
    out = io.StringIO()
    cells = [["true" if c is True else "false" if c is False else c for c in row] for row in rows]
    csv.writer(out, lineterminator="\n").writerows(cells)
    return out.getvalue()


def write_source(root: Path, kind: str, rows: list[list]) -> dict:
    """The file(s) of one resource holding `rows`, and the resource's descriptor keys."""
    import ezodf
    import openpyxl

    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    table = [HEADER, *rows]
    objects = [dict(zip(HEADER, row, strict=True)) for row in rows]
    if kind == "gz":
        (data / "gz.csv.gz").write_bytes(gzip.compress(csv_text(table).encode(), mtime=0))
    elif kind == "zipped":
        with zipfile.ZipFile(data / "zipped.csv.zip", "w") as archive:
            archive.writestr("zipped.csv", csv_text(table))
    elif kind == "multi":
        (data / "part1.csv").write_text(csv_text(table[:3]), encoding="utf-8")
        # frictionless 5.21 drops the first line of every later part when the table has a header
        (data / "part2.csv").write_text(csv_text([HEADER, *table[3:]]), encoding="utf-8")
        return {"path": ["data/part1.csv", "data/part2.csv"]}
    elif kind == "arrays":
        (data / "arrays.json").write_text(json.dumps(table), encoding="utf-8")
    elif kind == "objects":
        (data / "objects.json").write_text(json.dumps(objects), encoding="utf-8")
    elif kind in ("jsonl", "ndjson"):
        (data / f"lines.{kind}").write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    elif kind == "xlsx":
        book = openpyxl.Workbook()
        book.active.title = "cover"
        sheet = book.create_sheet("table")
        for row in table:
            sheet.append(row)
        book.save(data / "book.xlsx")
        return {"path": FILES[kind], "dialect": {"excel": {"sheet": "table"}}}
    elif kind == "ods":
        document = ezodf.newdoc(doctype="ods", filename=str(data / "sheet.ods"))
        sheet = ezodf.Sheet("table", size=(len(table), len(HEADER)))
        document.sheets += sheet
        for i, row in enumerate(table):
            for j, cell in enumerate(row):
                sheet[i, j].set_value(cell)
        document.save()
        return {"path": FILES[kind], "dialect": {"ods": {"sheet": "table"}}}
    elif kind == "inline":
        return {"data": table}
    return {"path": FILES[kind]}


def make_package(root: Path, kind: str, rows: list[list]) -> Path:
    fields = [
        {"name": "id", "type": "string", "title": "Id", "description": "Row id."},
        {"name": "n", "type": "integer", "title": "N", "description": "A count."},
        {"name": "day", "type": "date", "title": "Day", "description": "A day."},
        {"name": "ok", "type": "boolean", "title": "Ok", "description": "A flag."},
    ]
    resource = {"name": kind, "title": kind.upper(), "description": f"A {kind} table."}
    resource |= write_source(root, kind, rows)
    resource["schema"] = {"fields": fields, "primaryKey": ["id"]}
    descriptor = {
        "name": "formats",
        "title": "Formats",
        "description": "One table in one format.",
        "version": "1.0.0",
        "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "resources": [resource],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return root


def comparable(value):
    return Decimal(str(value)) if isinstance(value, (float, Decimal)) else value


@pytest.mark.parametrize("kind", FORMATS)
def test_a_bad_row_is_found_as_frictionless_finds_it(tmp_path, kind):
    root = make_package(tmp_path / kind, kind, BAD)
    ours, theirs, _, _ = findings(root)
    assert ours == theirs
    file = FILES[kind] if kind != "multi" else "data/part1.csv + data/part2.csv"
    assert {(file, 5, "n", "type-error"), (file, 5, "day", "type-error"), (file, 6, "id", "primary-key")} <= ours


@pytest.mark.parametrize("kind", FORMATS)
def test_each_format_builds_canonical_downloads_with_the_same_values(tmp_path, kind):
    from frictionless import Package

    root = make_package(tmp_path / kind, kind, GOOD)
    result = CliRunner().invoke(cli, ["build", "--quiet", "--root", str(root)])
    assert result.exit_code == 0, result.output
    published = root / "dist" / "datapackage.json"
    report = Package(str(published)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    table = json.loads(published.read_text(encoding="utf-8"))["resources"][0]
    assert table["path"] == f"data/{kind}.csv" and "dialect" not in table and "data" not in table
    assert (root / "dist" / "data" / f"{kind}.csv").read_text(encoding="utf-8") == csv_text([HEADER, *GOOD])
    out = Package(str(published)).get_resource(kind).read_rows()
    theirs = [row.to_dict() for row in _table_rows(root, kind)]
    assert [{k: comparable(v) for k, v in row.to_dict().items()} for row in out] == [
        {k: comparable(v) for k, v in row.items()} for row in theirs
    ]
    frame = json.loads((root / "dist" / "data" / f"{kind}.json").read_text(encoding="utf-8"))
    assert [list(r.values()) for r in frame] == [[i, n, day, ok] for i, n, day, ok in GOOD]


def _table_rows(root: Path, kind: str):
    """Frictionless's typed read of the source table (a .json path opened as a table)."""
    from frictionless import Package

    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["type"] = "table"
    return Package(descriptor, basepath=str(root)).get_resource(kind).read_rows()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"path": "data/table.parquet"},
            "resource `gz` is in the format 'parquet', which the builder does not read as a table.",
        ),
        (
            {"path": "data/gz.csv.bz2", "compression": "bz2"},
            "resource `gz` is compressed as 'bz2', which the builder does not read.",
        ),
    ],
)
def test_a_format_it_cannot_read_is_named(tmp_path, change, message):
    root = make_package(tmp_path / "gz", "gz", GOOD)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0] |= change
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "[unsupported-feature]" in result.output


def test_a_file_frictionless_cannot_read_as_a_table_is_a_source_error(tmp_path):
    """One problem naming the file (never an absolute path) and the fix, not a traceback."""
    root = make_package(tmp_path / "objects", "objects", GOOD)
    (root / "data" / "objects.json").write_text(json.dumps({"not": "rows"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 1
    assert result.output == (
        "data/objects.json\n"
        "  file [source-error]: data/objects.json cannot be read as a json table:"
        ' cannot extract JSON tabular data from "data/objects.json".\n'
        "      fix: Open it in the program that wrote it and save it again as json, or correct the resource's"
        " `format`, `compression` or `dialect` in datapackage.json.\n"
        "1 problem in 1 file: the package is not valid.\n"
    )
