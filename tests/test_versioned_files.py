"""Issue 17 §3: the workbook and the database say which version they are, when it was built and
under which licence; every whole-package download is named by its version, the same way in
the published datapackage.json, the site's links and the API."""

import datetime as dt
import json
import re
import sqlite3

import openpyxl

from builder.common import clock


def descriptors(built):
    source = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    published = json.loads((built / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    return source, published


def test_workbook_carries_version_build_date_and_licence(built):
    source, _ = descriptors(built)
    version, built_on = source["version"], clock.build_time()
    book = openpyxl.load_workbook(built / "dist" / f"{source['name']}-{version}.xlsx", read_only=True)
    properties = book.properties
    assert properties.title == f"{source['title']} {version}"
    assert properties.subject == f"Version {version}, built {built_on:%Y-%m-%d}"
    assert properties.description == "Licence: Creative Commons Attribution 4.0"
    assert properties.created == built_on.replace(tzinfo=None)
    readme = [tuple(cell for cell in row) for row in book["README"].iter_rows(max_row=6, values_only=True)]
    assert ("Version", version) in readme
    assert ("Built", f"{built_on:%Y-%m-%d}") in readme
    assert ("Licence: Creative Commons Attribution 4.0", "") in readme
    book.close()
    custom = openpyxl.load_workbook(built / "dist" / f"{source['name']}-{version}.xlsx").custom_doc_props
    assert {p.name: p.value for p in custom.props} == {
        "version": version,
        "build_date": f"{built_on:%Y-%m-%d}",
        "licence": "Creative Commons Attribution 4.0",
    }


def test_database_has_a_metadata_table(built):
    source, _ = descriptors(built)
    connection = sqlite3.connect(built / "dist" / f"{source['name']}-{source['version']}.sqlite")
    metadata = dict(connection.execute("SELECT key, value FROM metadata"))
    connection.close()
    assert metadata == {
        "name": source["name"],
        "title": source["title"],
        "version": source["version"],
        "build_date": f"{clock.build_time():%Y-%m-%d}",
        "licence": "Creative Commons Attribution 4.0",
        "licence_url": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert dt.date.fromisoformat(metadata["build_date"])


def test_a_package_table_named_metadata_keeps_its_name(tmp_path):
    import polars as pl

    from builder.outputs import export

    table = export.Table("metadata", "t", "", {"fields": [{"name": "a", "type": "string"}]}, pl.DataFrame({"a": ["x"]}), False)
    export.write_sqlite([table], tmp_path / "t.sqlite", [("version", "1.0.0")])
    connection = sqlite3.connect(tmp_path / "t.sqlite")
    assert connection.execute("SELECT a FROM metadata").fetchall() == [("x",)]
    assert connection.execute("SELECT key, value FROM _metadata").fetchall() == [("version", "1.0.0")]
    connection.close()


def test_download_names_carry_the_version_in_package_site_and_api(built):
    source, published = descriptors(built)
    stem = f"{source['name']}-{source['version']}"
    paths = {d["format"]: d["path"] for d in published["downloads"]}
    # croissant.json, like datapackage.json, describes the files of this build: its name stays put.
    assert paths.pop("jsonld") == "croissant.json"
    assert paths == {"xlsx": f"{stem}.xlsx", "sqlite": f"{stem}.sqlite", "zip": f"{stem}.zip"}
    assert {p.name for p in (built / "dist").iterdir() if p.is_file() and p.suffix in (".xlsx", ".sqlite", ".zip")} == set(
        paths.values()
    )
    data_page = (built / "site" / "data" / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="\.\./downloads/([^"/]+\.(?:xlsx|sqlite|zip))"', data_page))
    assert links == set(paths.values())
    for download in published["downloads"]:  # the full sha256 is shown beside each file offered
        assert download["hash"].removeprefix("sha256:") in data_page
    index = json.loads((built / "site" / "api" / "v1" / "index.json").read_text(encoding="utf-8"))
    assert [(d["format"], d["url"], d["bytes"], "sha256:" + d["sha256"]) for d in index["downloads"]] == [
        (d["format"], f"../../downloads/{d['path']}", d["bytes"], d["hash"]) for d in published["downloads"]
    ]
