"""Croissant 1.1: the published croissant.json validates with mlcroissant and loads every table and view
with the rows of the seeds; the home page embeds the same description, safe inside its <script>."""

import csv
import datetime as dt
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import mlcroissant as mlc
import pytest
from click.testing import CliRunner
from conftest import descriptor, save

from builder.cli import cli

MLCROISSANT = Path(sys.executable).parent / "mlcroissant"
SCRIPT = re.compile(r'<script type="application/ld\+json">\n(.*?)\n</script>', re.DOTALL)
HOSTILE = 'Shelf </script><script>alert("t")</script> <!-- & "quoted"'


def build(root: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet", *args])
    assert result.exit_code == 0, result.output


def csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def source_rows(root: Path) -> dict[str, list[dict]]:
    """Each table's rows as the package's own CSVs hold them (seeds/ or data/), read without the builder."""
    return {r["name"]: csv_rows(root / r["path"]) for r in descriptor(root)["resources"]}


def embedded(page: Path) -> list[dict]:
    return [json.loads(text) for text in SCRIPT.findall(page.read_text(encoding="utf-8"))]


def home_croissant(site: Path) -> dict:
    found = [data for data in embedded(site / "index.html") if data.get("conformsTo")]
    assert len(found) == 1
    return found[0]


def validate(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(MLCROISSANT), "validate", "--jsonld", str(path)], capture_output=True, text=True, timeout=300)


def loaded(path: Path) -> dict[str, list[dict]]:
    """Every record set, read by mlcroissant as an ML pipeline would, values as text."""
    dataset = mlc.Dataset(jsonld=str(path))
    out = {}
    for record_set in dataset.metadata.record_sets:
        rows = []
        for record in dataset.records(record_set=record_set.uuid):
            row = {}
            for key, value in record.items():
                row[key.split("/", 1)[1]] = value.decode() if isinstance(value, bytes) else value
            rows.append(row)
        out[record_set.uuid] = rows
    return out


def test_published_croissant_validates_and_loads_every_table_and_view(built):
    path = built / "dist" / "croissant.json"
    result = validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    package = json.loads((built / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    assert data["version"] == package["version"] and data["name"] == package["title"]
    assert data["license"] == [lic["path"] for lic in package["licenses"]]
    assert package["version"] in data["citeAs"] and data["citeAs"].startswith("@misc{")
    pinned = dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.UTC).date().isoformat()
    assert data["datePublished"] == pinned  # SOURCE_DATE_EPOCH (make test: the commit's time), never the wall clock
    assert "url" not in data  # no site address given: nothing to point at

    records = loaded(path)
    seeds = source_rows(built)
    assert set(records) == {r["name"] for r in package["resources"]}
    for resource in package["resources"]:
        name = resource["name"]
        expected = seeds[name] if name in seeds else csv_rows(built / "dist" / resource["path"])
        assert len(records[name]) == len(expected), name
        key = resource["schema"]["primaryKey"]
        record_set = next(r for r in data["recordSet"] if r["@id"] == name)
        assert record_set["key"] == [{"@id": f"{name}/{column}"} for column in ([key] if isinstance(key, str) else key)]
    # Spot checks: every claim's verdict and text, and a date read as a date.
    claims = {row["claim_id"]: row for row in records["claims"]}
    for row in seeds["claims"]:
        assert claims[row["claim_id"]]["verdict"] == row["verdict"]
        assert claims[row["claim_id"]]["claim"] == row["claim"]
        assert f"{claims[row['claim_id']]['reviewed']:%Y-%m-%d}" == row["reviewed"]


def test_every_file_object_names_a_download_with_its_size_and_sha256(built):
    dist = built / "dist"
    data = json.loads((dist / "croissant.json").read_text(encoding="utf-8"))
    for entry in data["distribution"]:
        assert entry["@type"] == "cr:FileObject"
        target = dist / entry["contentUrl"]  # relative to the file's own folder
        assert entry["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest(), entry["@id"]
        assert entry["contentSize"] == f"{target.stat().st_size} B"
    csvs = {r["path"] for r in json.loads((dist / "datapackage.json").read_text())["resources"]}
    assert csvs <= {entry["@id"] for entry in data["distribution"]}
    # Every field reads a column of its table's CSV, with a type from the Table Schema.
    for record_set in data["recordSet"]:
        header = (dist / "data" / f"{record_set['@id']}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert [f["source"]["extract"]["column"] for f in record_set["field"]] == header
        assert {f["source"]["fileObject"]["@id"] for f in record_set["field"]} == {f"data/{record_set['@id']}.csv"}
    types = {f["@id"]: f["dataType"] for r in data["recordSet"] for f in r["field"]}
    assert types["claims/reviewed"] == "sc:Date"
    assert types["models/context_tokens"] == "sc:Integer"
    assert types["claims/claim"] == "sc:Text"


def test_croissant_is_a_listed_download_in_dist_and_on_the_site(built):
    dist = built / "dist"
    package = json.loads((dist / "datapackage.json").read_text(encoding="utf-8"))
    entry = next(d for d in package["downloads"] if d["path"] == "croissant.json")
    body = (dist / "croissant.json").read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    assert entry == {"path": "croissant.json", "format": "jsonld", "bytes": len(body), "hash": f"sha256:{digest}"}
    assert f"{hashlib.sha256(body).hexdigest()}  croissant.json\n" in (dist / "SHA256SUMS").read_text(encoding="utf-8")
    assert (built / "site" / "downloads" / "croissant.json").read_bytes() == body
    data_page = (built / "site" / "data" / "index.html").read_text(encoding="utf-8")
    assert 'href="../downloads/croissant.json"' in data_page
    # The data page keeps its schema.org Dataset, which names the Croissant file among the downloads.
    dataset = next(d for d in embedded(built / "site" / "data" / "index.html") if d.get("@type") == "Dataset")
    assert {"application/ld+json"} == {d["encodingFormat"] for d in dataset["distribution"] if d["name"] == "croissant.json"}


def test_home_page_embeds_the_croissant_with_addresses_from_the_home_page(built, tmp_path):
    site = built / "site"
    data = home_croissant(site)
    published = json.loads((built / "dist" / "croissant.json").read_text(encoding="utf-8"))
    for entry in data["distribution"]:
        assert entry["contentUrl"] == "downloads/" + entry["@id"]
    assert {**data, "distribution": None} == {**published, "distribution": None}
    # mlcroissant resolves the addresses against the file's folder: beside index.html, they reach the downloads.
    beside = site / "home-croissant.json"
    beside.write_text(json.dumps(data), encoding="utf-8")
    try:
        records = mlc.Dataset(jsonld=str(beside)).records(record_set="claims")
        assert len(list(records)) == len(source_rows(built)["claims"])
    finally:
        beside.unlink()


def test_any_package_with_a_hostile_title_and_a_site_address(bookshelf):
    data = descriptor(bookshelf)
    data["title"] = HOSTILE
    save(bookshelf, data)
    build(bookshelf, "--site-url", "https://example.org/shelf")
    home = (bookshelf / "site" / "index.html").read_text(encoding="utf-8")
    # Nothing in the data closes the script or opens a comment: the JSON-LD is one script, read back whole.
    for text in SCRIPT.findall(home):
        assert "</" not in text and "<!--" not in text and "<" not in text
    embedded_data = home_croissant(bookshelf / "site")
    assert embedded_data["name"] == HOSTILE
    assert '<script>alert("t")' not in home and html.escape('<script>alert("t")') not in home.split("<body", 1)[0]

    path = bookshelf / "dist" / "croissant.json"
    published = json.loads(path.read_text(encoding="utf-8"))
    assert published["name"] == HOSTILE and published["url"] == "https://example.org/shelf/"
    assert {e["contentUrl"] for e in published["distribution"]} == {
        "https://example.org/shelf/downloads/" + e["@id"] for e in published["distribution"]
    }
    result = validate(path)  # as published, absolute addresses and all
    assert result.returncode == 0, result.stdout + result.stderr
    # Loaded from the folder: absolute addresses would be fetched, so load a copy with relative ones.
    base = "https://example.org/shelf/downloads/"
    published["distribution"] = [{**e, "contentUrl": e["contentUrl"].removeprefix(base)} for e in published["distribution"]]
    local = bookshelf / "dist" / "local-croissant.json"
    local.write_text(json.dumps(published), encoding="utf-8")
    result = validate(local)
    assert result.returncode == 0, result.stdout + result.stderr
    records = loaded(local)
    seeds = source_rows(bookshelf)
    assert {name: len(rows) for name, rows in records.items()} == {name: len(rows) for name, rows in seeds.items()}
    assert sorted(r["book_id"] for r in records["books"]) == sorted(r["book_id"] for r in seeds["books"])


@pytest.mark.parametrize("field_type, expected", [("number", "sc:Float"), ("boolean", "sc:Boolean"), ("geopoint", "sc:Text")])
def test_table_schema_types_map_to_croissant_types(field_type, expected):
    from builder.outputs import croissant

    assert croissant.data_type({"name": "x", "type": field_type}) == expected
    assert croissant.data_type({"name": "x", "type": "string", "format": "uri"}) == "sc:URL"
