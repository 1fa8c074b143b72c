"""Issue 19 item 3: a package using every Table Schema option builds, and what it publishes is the
canonical form (ISO dates, `.` decimals, true/false, empty for missing, default dialect) with a
descriptor that says exactly that: official frictionless validates it and reads the same values."""

from __future__ import annotations

import json
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli
from tests.conftest import descriptor, resource, save

OPTIONS = Path(__file__).resolve().parent / "fixtures" / "options"
SOURCE_ONLY = ("trueValues", "falseValues", "decimalChar", "groupChar", "bareNumber", "missingValues")


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--root", str(root)])


@pytest.fixture
def options(tmp_path: Path) -> Path:
    target = tmp_path / "options"
    shutil.copytree(OPTIONS, target)
    return target


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("published") / "options"
    shutil.copytree(OPTIONS, root)
    result = run(root, "build", "--quiet")
    assert result.exit_code == 0, result.output
    return root


def typed_rows(descriptor_path: Path, name: str) -> list[dict]:
    """Frictionless's own typed read of a resource, in primary-key order."""
    from frictionless import Package

    package = Package(str(descriptor_path))
    table = package.get_resource(name)
    key = table.schema.primary_key
    return sorted(table.read_rows(), key=lambda row: tuple(str(row[k]) for k in key))


def comparable(value):
    return Decimal(str(value)) if isinstance(value, (float, Decimal)) else value


def test_the_fixture_uses_every_option():
    data = descriptor(OPTIONS)
    text = json.dumps(data)
    for option in ("format", "missingValues", "trueValues", "falseValues", "decimalChar", "groupChar", "bareNumber"):
        assert f'"{option}"' in text, option
    assert "categories" in text and "uniqueKeys" in text and '"list"' in text and '"itemType"' in text
    assert data["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert "dark red, deep|green" in (OPTIONS / "data" / "shops.csv").read_text(encoding="utf-8")  # a list item with a comma
    assert {resource(data, "shops")["dialect"]["delimiter"], resource(data, "notes")["dialect"]["delimiter"]} == {";", "\t"}
    assert resource(data, "notes")["dialect"]["header"] is False


def test_published_descriptor_validates_with_frictionless(published):
    from frictionless import Package

    report = Package(str(published / "dist" / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    unzipped = published / "unzipped"
    zipfile.ZipFile(published / "dist" / "options-1.0.0.zip").extractall(unzipped)
    report = Package(str(unzipped / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_published_descriptor_describes_the_canonical_files(published):
    for where in (published / "dist" / "datapackage.json", published / "site" / "downloads" / "datapackage.json"):
        data = json.loads(where.read_text(encoding="utf-8"))
        for table in data["resources"]:
            assert "dialect" not in table
            assert "missingValues" not in table["schema"]
            for field in table["schema"]["fields"]:
                assert not set(field) & set(SOURCE_ONLY), field
                assert field.get("format", "default") in ("default", "%Y-%m-%d"), field
        shops = resource(data, "shops")["schema"]
        assert shops["uniqueKeys"] == [["name"]]
        founded = next(f for f in shops["fields"] if f["name"] == "founded")
        assert founded["constraints"] == {"minimum": "1900-01-01"}  # the bound rewritten with the format it was written in
        revenue = next(f for f in shops["fields"] if f["name"] == "revenue")
        assert revenue["constraints"] == {"maximum": 10000.0}
    lines = (published / "dist" / "data" / "shops.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("code,name,founded,")
    assert lines[1] == (
        "a1,Alpha; the first,2026-12-03,2026-12-03T09:30:00,08:15:00,2026-12-03,"
        'true,1234.5,12,"dark red, deep|green",1|2|3,shop,1'
    )


def test_every_published_cell_equals_frictionless_read_of_the_source(published):
    """Row by row, field by field: frictionless's typed read of the source package and of the
    published one (dist/datapackage.json) hold the same values."""
    for name in ("shops", "notes"):
        source = typed_rows(published / "datapackage.json", name)
        out = typed_rows(published / "dist" / "datapackage.json", name)
        assert len(source) == len(out) > 0
        for theirs, ours in zip(source, out, strict=True):
            assert list(ours) == list(theirs)
            for field in theirs:
                assert comparable(ours[field]) == comparable(theirs[field]), (name, theirs, field)


def test_json_and_parquet_downloads_hold_the_same_values(published):
    import polars as pl

    data = published / "dist" / "data"
    records = json.loads((data / "shops.json").read_text(encoding="utf-8"))
    frame = pl.read_parquet(data / "shops.parquet")
    assert [r["revenue"] for r in records] == frame["revenue"].to_list() == [1234.5, 7.25, -0.5]
    assert [r["founded"] for r in records] == ["2026-12-03", None, "1999-01-01"]
    assert [r["active"] for r in records] == [True, False, False]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: resource(d, "notes")["dialect"].update(headerRows=[1, 2]),
            "resource `notes` asks for the CSV dialect headerRows=[1, 2], which the builder does not read yet",
        ),
        (
            lambda d: resource(d, "notes")["dialect"].update(commentChar="#"),
            "resource `notes` asks for the CSV dialect commentChar='#', which the builder does not read yet",
        ),
        (
            lambda d: resource(d, "shops")["schema"]["fields"][9].update(itemType="geopoint"),
            "resource `shops`, field `tags` is a list of 'geopoint', which the builder cannot publish yet.",
        ),
    ],
)
def test_options_it_cannot_honour_are_named(options, change, message):
    data = descriptor(options)
    change(data)
    save(options, data)
    result = run(options, "validate")
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "[unsupported-feature]" in result.output
