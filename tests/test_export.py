"""Downloads: formats agree with each other, the published package validates, builds reproduce."""

import csv
import datetime
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from builder.cli import cli


def build(root: Path, *args: str):
    result = CliRunner().invoke(cli, ["build", "--root", str(root), *args])
    assert result.exit_code == 0, result.output
    return result


def published(root: Path) -> dict:
    return json.loads((root / "dist" / "datapackage.json").read_text())


def test_every_table_and_view_in_three_formats(built):
    package = published(built)
    names = [r["name"] for r in package["resources"]]
    source = json.loads((built / "datapackage.json").read_text())
    assert names[: len(source["resources"])] == [r["name"] for r in source["resources"]]
    assert {
        "timeline",
        "author_status",
        "author_retention",
        "departures_by_destination",
        "release_cadence",
        "verdict_summary",
        "source_usage",
    } <= set(names)
    for resource in package["resources"]:
        formats = [d["format"] for d in resource["downloads"]]
        assert formats == ["csv", "json", "parquet"]
        for download in resource["downloads"]:
            data = (built / "dist" / download["path"]).read_bytes()
            assert download["bytes"] == len(data)
            assert download["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_sha256sums_cover_every_download(built):
    sums = (built / "dist" / "SHA256SUMS").read_text().splitlines()
    files = {p.relative_to(built / "dist").as_posix() for p in (built / "dist").rglob("*") if p.is_file()}
    listed = {line.split("  ", 1)[1] for line in sums}
    assert listed == files - {"datapackage.json", "SHA256SUMS"}
    for line in sums:
        digest, path = line.split("  ", 1)
        assert hashlib.sha256((built / "dist" / path).read_bytes()).hexdigest() == digest


def test_official_frictionless_cli_accepts_published_package(built):
    frictionless = Path(sys.executable).parent / "frictionless"
    for folder in (built, built / "dist"):
        result = subprocess.run([str(frictionless), "validate", "datapackage.json"], cwd=folder, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout[-2000:]


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_sqlite_row_counts_equal_csv_and_keys_are_declared(built):
    package = published(built)
    connection = sqlite3.connect(next((built / "dist").glob("llama-ledger-*.sqlite")))
    for resource in package["resources"]:
        count = connection.execute(f'SELECT count(*) FROM "{resource["name"]}"').fetchone()[0]
        assert count == len(csv_rows(built / "dist" / resource["path"])) == resource["ledger"]["rows"]
    ddl = connection.execute("SELECT sql FROM sqlite_master WHERE name = 'departures'").fetchone()[0]
    assert 'PRIMARY KEY ("departure_id")' in ddl
    assert 'FOREIGN KEY ("person_id") REFERENCES "people" ("person_id")' in ddl
    indexes = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "departures_fk1" in indexes
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def test_parquet_and_json_read_back_equal_to_csv(built):
    for resource in published(built)["resources"]:
        stem = built / "dist" / "data" / resource["name"]
        from_csv = pl.read_csv(stem.with_suffix(".csv"), infer_schema=False)
        from_parquet = pl.read_parquet(stem.with_suffix(".parquet"))
        as_text = from_parquet.with_columns(
            [
                pl.col(c).cast(pl.String).str.to_lowercase()
                if from_parquet.schema[c] == pl.Boolean
                else pl.col(c).cast(pl.String)
                for c in from_parquet.columns
            ]
        )
        assert as_text.equals(from_csv), resource["name"]
        records = json.loads(stem.with_suffix(".json").read_text())
        assert len(records) == from_csv.height
        if records:
            assert list(records[0]) == from_csv.columns


def test_workbook_has_a_sheet_per_table_and_no_formula(built):
    with zipfile.ZipFile(next((built / "dist").glob("llama-ledger-*.xlsx"))) as book:
        workbook = book.read("xl/workbook.xml").decode()
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == len(published(built)["resources"]) + 1  # and the README sheet
        assert all("<f>" not in book.read(n).decode() for n in sheets)
    assert 'name="timeline"' in workbook and 'name="people"' in workbook


def test_formula_like_text_is_written_as_a_value(tmp_path):
    from builder.outputs import export

    table = export.Table(
        "t",
        "T",
        "",
        {"fields": [{"name": "x", "type": "string"}]},
        pl.DataFrame({"x": ['=HYPERLINK("http://evil")', "+1", "@SUM(A1)"]}),
        False,
    )
    export.write_xlsx([table], tmp_path / "t.xlsx", title="t")
    with zipfile.ZipFile(tmp_path / "t.xlsx") as book:
        sheet = "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/sheet"))
    assert "<f>" not in sheet
    assert '<c r="A2" t="inlineStr"><is><t>=HYPERLINK("http://evil")</t></is></c>' in sheet


def test_zip_holds_descriptor_csvs_readme_licence_and_documents(built):
    package = published(built)
    archive = built / "dist" / f"llama-ledger-{package['version']}.zip"
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        assert names == sorted(names)
        inner = json.loads(bundle.read("datapackage.json"))
        for resource in inner["resources"]:
            data = bundle.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert {"README.md", "LICENSE.txt", "seeds/documents/meta-llama-departures-article.txt"} <= set(names)
        assert "CC-BY-4.0" in bundle.read("LICENSE.txt").decode() or "Attribution" in bundle.read("LICENSE.txt").decode()
        stamp = datetime.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), tz=datetime.UTC)
        stamp = stamp.replace(second=stamp.second - stamp.second % 2)  # zip keeps seconds in steps of two
        assert {info.date_time for info in bundle.infolist()} == {stamp.timetuple()[:6]}


def test_two_builds_in_different_folders_are_byte_identical(tmp_path, built):
    from conftest import copy_package

    other = copy_package(built, tmp_path / "elsewhere" / "copy")
    build(other, "--quiet")

    def digests(root: Path, folder: str) -> dict:
        return {
            p.relative_to(root / folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / folder).rglob("*"))
            if p.is_file()
        }

    for folder in ("dist", "site"):
        first, second = digests(built, folder), digests(other, folder)
        assert len(first) > 10 and first.keys() == second.keys()
        assert [k for k in first if first[k] != second[k]] == []


def test_build_prints_numbered_timed_stages(ledger):
    output = build(ledger).output.splitlines()
    assert output[0].startswith("[1/") and " validate " in output[0] and output[0].split()[2].endswith("s")
    assert output[-1].startswith("built in ")
    assert build(ledger, "--quiet").output == ""


def test_failed_build_keeps_previous_outputs(ledger):
    build(ledger, "--quiet")
    before = {p: p.read_bytes() for p in (ledger / "dist").rglob("*") if p.is_file()}
    with open(ledger / "seeds" / "releases.csv", "a") as out:
        out.write("broken,llama,2023-02-30,day,released,llama-paper,\n")
    result = CliRunner().invoke(cli, ["build", "--root", str(ledger)])
    assert result.exit_code == 1
    assert "seeds/releases.csv" in result.output and "type-error" in result.output
    after = {p: p.read_bytes() for p in (ledger / "dist").rglob("*") if p.is_file()}
    assert after == before
    assert (ledger / "site" / "index.html").exists()
    assert not list((ledger / ".build").glob("build-*"))  # no half-built staging folder left behind


def test_sqlite_cli_opens_the_database(built):
    import shutil

    sqlite3_cli = shutil.which("sqlite3")
    if sqlite3_cli is None:
        if os.environ.get("CI"):
            raise AssertionError("sqlite3 is missing: .ci/run installs it")
        pytest.skip("sqlite3 command not installed")
    people = len(csv_rows(built / "dist" / "data" / "people.csv"))
    result = subprocess.run(
        [sqlite3_cli, str(next((built / "dist").glob("llama-ledger-*.sqlite"))), "SELECT count(*) FROM people;"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == str(people)


def test_a_table_longer_than_an_excel_sheet_is_cut_with_a_note(tmp_path, monkeypatch):
    from builder.outputs import export

    monkeypatch.setattr(export, "EXCEL_ROWS", 6)  # header + 4 rows + the note, instead of 1,048,576
    table = export.Table(
        "t", "T", "", {"fields": [{"name": "x", "type": "integer"}]}, pl.DataFrame({"x": list(range(10))}), False
    )
    export.write_xlsx([table], tmp_path / "t.xlsx", title="t")
    with zipfile.ZipFile(tmp_path / "t.xlsx") as book:
        sheet = book.read("xl/worksheets/sheet2.xml").decode()  # sheet1 is the README
    assert sheet.count("<row ") == 6
    assert '<c r="A5"><v>3</v></c>' in sheet and "<v>4</v>" not in sheet
    note = "… 6 more rows: an Excel sheet holds 1,048,576 rows; the whole table is in t.csv and t.parquet."
    assert '<row r="6"' in sheet and f"<t>{note}</t>" in sheet
