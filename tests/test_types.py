"""Issue 22: the field types frictionless validates and the builder once refused (geopoint, array,
object, geojson, duration, yearmonth) build, and are published as canonical text that official
frictionless validates and reads back as the same values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import resource
from tests.test_canonical import comparable, run, typed_rows

TYPES = Path(__file__).resolve().parent / "fixtures" / "types"
NEW_TYPES = {"geopoint", "array", "object", "geojson", "duration", "yearmonth"}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("published") / "types"
    shutil.copytree(TYPES, root)
    result = run(root, "build", "--quiet")
    assert result.exit_code == 0, result.output
    return root


def test_the_fixture_uses_every_type():
    fields = json.loads((TYPES / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]["schema"]["fields"]
    assert {f["type"] for f in fields} >= NEW_TYPES
    assert {f.get("format") for f in fields if f["type"] == "geopoint"} == {None, "array", "object"}


def test_published_descriptor_validates_with_frictionless(published):
    from frictionless import Package

    report = Package(str(published / "dist" / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_geopoints_are_published_in_the_default_form(published):
    data = json.loads((published / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    fields = resource(data, "places")["schema"]["fields"]
    assert all("format" not in f for f in fields if f["type"] == "geopoint")
    lines = (published / "dist" / "data" / "places.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1] == (
        'a1,"90,45","90.5,-45","10,20","[1,""a"",{""x"":null}]","{""b"":1,""a"":[2,3],""é"":""ü""}",'
        '"{""type"":""Point"",""coordinates"":[1,2]}",P1Y2M,2020-01'
    )  # JSON compact, keys in the source's order; ISO 8601 duration; YYYY-MM


def test_every_published_cell_equals_frictionless_read_of_the_source(published):
    source = typed_rows(published / "datapackage.json", "places")
    out = typed_rows(published / "dist" / "datapackage.json", "places")
    assert len(source) == len(out) > 0
    for theirs, ours in zip(source, out, strict=True):
        assert list(ours) == list(theirs)
        for field in theirs:
            assert comparable(ours[field]) == comparable(theirs[field]), (theirs, field)


def test_downloads_hold_the_canonical_text(published):
    import polars as pl

    data = published / "dist" / "data"
    records = json.loads((data / "places.json").read_text(encoding="utf-8"))
    frame = pl.read_parquet(data / "places.parquet")
    assert [r["month"] for r in records] == frame["month"].to_list() == ["2020-01", "1999-12", "2026-06"]
    assert [r["where_object"] for r in records] == frame["where_object"].to_list() == ["10,20", None, "170,-5"]
    assert records[0]["tags"] == '[1,"a",{"x":null}]'  # text, as list fields are (the CSV's form)


def test_bad_cells_are_frictionless_type_errors(tmp_path):
    from frictionless import Package

    root = tmp_path / "types"
    shutil.copytree(TYPES, root)
    csv = root / "data" / "places.csv"
    text = csv.read_text(encoding="utf-8")
    csv.write_text(text.replace('b2,"-180,0.25"', 'b2,"-181,0.25"').replace(",PT1H30M,1999-12", ",1h,1999-13"), encoding="utf-8")
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.output == (
        "data/places.csv\n"
        '  row 3, field month [type-error]: "1999-13" is not a valid yearmonth.\n'
        "      fix: Correct the value.\n"
        '  row 3, field stay [type-error]: "1h" is not a valid duration.\n'
        "      fix: Correct the value.\n"
        '  row 3, field where [type-error]: "-181,0.25" is not a valid geopoint.\n'
        "      fix: Correct the value.\n"
        "3 problems in 1 file: the package is not valid.\n"
    )
    theirs = Package(str(root / "datapackage.json")).validate().flatten(["rowNumber", "fieldName", "type"])
    assert sorted(theirs) == [[3, "month", "type-error"], [3, "stay", "type-error"], [3, "where", "type-error"]]
