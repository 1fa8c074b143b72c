# ruff: noqa: E501 (the exact messages a user sees are longer than a line)
"""Issue 22, item 1: a missing title, description or primary key is a warning with a default, and
a schema file in the package is read; `--strict` makes the warnings problems again."""

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli
from builder.package.lenient import words

REPO = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def tiny(root: Path, schema=None, **extra) -> Path:
    """One table, `source_usage`, with no title, description or key anywhere."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "usage.csv").write_text("model,uses\nllama,3\nmistral,1\n", encoding="utf-8")
    schema = schema or {"fields": [{"name": "model", "type": "string"}, {"name": "uses", "type": "integer"}]}
    descriptor = {"name": "tiny", "resources": [{"name": "source_usage", "path": "data/usage.csv", "schema": schema}], **extra}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root


WARNINGS = """\
The package tiny is valid.
Warnings (8):
datapackage.json
  warning file [missing-description]: The package has no description; the home page has no introduction.
      fix: Add a `description` to the package: a sentence or two on what it holds.
  warning file [missing-description]: resource `source_usage` has no description; its page has no introduction.
      fix: Add a `description` to the resource: what one row is.
  warning file [missing-primary-key]: resource `source_usage` has no primary key; its rows are numbered in file order and nothing links to them.
      fix: Set `schema.primaryKey` to the field(s) that identify a row.
  warning file [missing-title]: The package has no title; the site calls it "Tiny".
      fix: Add a `title` to the package.
  warning file [missing-title]: resource `source_usage` has no title; the site calls it "Source usage".
      fix: Add a `title` to the resource.
  warning field model [missing-description]: resource `source_usage`, field `model` has no description; the schema page leaves it blank.
      fix: Add a `description` to the field: what a value means.
  warning field model [missing-title]: resource `source_usage`, field `model` has no title; the site calls it "Model".
      fix: Add a `title` to the field.
  warning field uses [missing-description]: resource `source_usage`, field `uses` has no description; the schema page leaves it blank.
      fix: Add a `description` to the field: what a value means.
"""


def test_a_name_in_words():
    assert words("source_usage") == "Source usage"
    assert words("model-card_v2") == "Model card v2"


def test_missing_metadata_is_a_list_of_warnings_and_the_package_is_valid(tmp_path):
    root = tiny(tmp_path / "p", schema={"fields": [{"name": "model"}, {"name": "uses", "type": "integer", "title": "Uses"}]})
    result = run("validate", "--root", str(root))
    assert result.exit_code == 0
    assert result.output == WARNINGS


def test_strict_makes_each_warning_a_problem(tmp_path):
    root = tiny(tmp_path / "p", title="Tiny", description="Two rows.")
    result = run("validate", "--strict", "--root", str(root))
    assert result.exit_code == 1
    assert "  file [missing-primary-key]: resource `source_usage` has no primary key;" in result.output
    assert result.output.endswith("7 problems in 1 file: the package is not valid.\n")
    build = run("build", "--strict", "--quiet", "--root", str(root))
    assert build.exit_code == 1
    assert not (root / "site").exists()
    json_report = json.loads(run("validate", "--json", "--root", str(root)).output)
    assert json_report["valid"] is True
    assert sorted({w["type"] for w in json_report["warnings"]}) == ["missing-description", "missing-primary-key", "missing-title"]


def test_a_complete_package_has_no_warning_even_when_strict(bookshelf):
    result = run("validate", "--strict", "--root", str(bookshelf))
    assert (result.exit_code, result.output) == (0, "The package bookshelf is valid.\n")


def test_the_ledger_builds_strict():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "$(BIN)/builder build --strict\n" in makefile
    assert "$(BIN)/builder validate --strict\n" in makefile


def test_a_schema_file_in_the_package_is_read(tmp_path):
    root = tiny(tmp_path / "p")
    schema = json.loads((root / "datapackage.json").read_text())["resources"][0]["schema"]
    (root / "schemas").mkdir()
    (root / "schemas" / "usage.json").write_text(json.dumps({**schema, "primaryKey": ["model"]}), encoding="utf-8")
    descriptor = json.loads((root / "datapackage.json").read_text())
    descriptor["resources"][0]["schema"] = "schemas/usage.json"
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = json.loads(run("validate", "--json", "--root", str(root)).output)
    assert report["valid"] is True
    assert "missing-primary-key" not in {w["type"] for w in report["warnings"]}  # the key came from the file
    (root / "data" / "usage.csv").write_text("model,uses\nllama,many\n", encoding="utf-8")
    report = json.loads(run("validate", "--json", "--root", str(root)).output)
    assert [[p["path"], p["row"], p["field"], p["type"]] for p in report["problems"]] == [
        ["data/usage.csv", 2, "uses", "type-error"]
    ]


@pytest.mark.parametrize(
    ("reference", "kind", "message"),
    [
        ("../outside.json", "schema-reference", "resource `source_usage` has `schema` '../outside.json', which goes up out of the package folder."),
        ("/etc/passwd", "schema-reference", "resource `source_usage` has `schema` '/etc/passwd', which is absolute."),
        ("schemas/none.json", "schema-reference", "resource `source_usage` has `schema` 'schemas/none.json', which is not a file in the package."),
        ("data/usage.csv", "schema-reference", "resource `source_usage` has `schema` 'data/usage.csv', which is not a UTF-8 JSON file."),
        (
            "https://example.org/schema.json",
            "remote-reference",
            "`resources[source_usage].schema` is a remote address (https://example.org/schema.json); the builder never reads from the network.",
        ),
    ],
)  # fmt: skip
def test_a_schema_reference_that_leaves_the_package_is_refused(tmp_path, reference, kind, message):
    root = tiny(tmp_path / "p")
    (tmp_path / "outside.json").write_text('{"fields": [{"name": "model"}, {"name": "uses"}]}', encoding="utf-8")
    descriptor = json.loads((root / "datapackage.json").read_text())
    descriptor["resources"][0]["schema"] = reference
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = run("validate", "--root", str(root))
    assert result.exit_code == 1
    assert f"  file [{kind}]: {message}\n" in result.output


def keyless_pair(root: Path, author: str) -> Path:
    """`books.author` refers to `people.name`; `people` has no primary key."""
    (root / "data").mkdir(parents=True)
    (root / "data" / "people.csv").write_text("name,born\nAda,1815\nMary,1797\n", encoding="utf-8")
    (root / "data" / "books.csv").write_text(f"book_id,author\n1,Ada\n2,{author}\n", encoding="utf-8")
    people = {"fields": [{"name": "name"}, {"name": "born", "type": "integer"}]}
    books = {
        "fields": [{"name": "book_id", "type": "integer"}, {"name": "author"}],
        "primaryKey": "book_id",
        "foreignKeys": [{"fields": "author", "reference": {"resource": "people", "fields": "name"}}],
    }
    resources = [
        {"name": "people", "path": "data/people.csv", "schema": people},
        {"name": "books", "path": "data/books.csv", "schema": books},
    ]
    (root / "datapackage.json").write_text(json.dumps({"name": "shelf", "resources": resources}), encoding="utf-8")
    return root


def test_a_foreign_key_into_a_table_without_a_key_is_still_checked(tmp_path):
    root = keyless_pair(tmp_path / "p", "Nobody")
    result = run("validate", "--root", str(root))
    assert result.exit_code == 1
    assert 'row 3, field author [foreign-key]: "Nobody" in `author` is not a `name` in `people`.' in result.output


def test_a_package_without_titles_or_keys_builds_a_whole_site(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = keyless_pair(tmp_path / "p", "Mary")
    result = run("build", "--quiet", "--root", str(root))
    assert result.exit_code == 0, result.output
    page = (root / "site" / "data" / "people" / "index.html").read_text(encoding="utf-8")
    assert "<h1>People</h1>" in page
    assert "No primary key: rows keep the order of the file." in page
    assert "in the order of the file (the table has no primary key)" in page
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Shelf</h1>" in home
    published = json.loads((root / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    assert published["title"] == "Shelf" and "description" not in published
    assert [f["title"] for f in published["resources"][1]["schema"]["fields"]] == ["Book id", "Author"]
    database = next((root / "dist").glob("*.sqlite"))
    with sqlite3.connect(database) as connection:  # SQLite keeps the key's index, not a constraint it cannot hold
        assert connection.execute("SELECT count(*) FROM books").fetchone() == (2,)


def test_a_csv_without_a_schema_gets_the_one_frictionless_infers(tmp_path):
    root = tiny(tmp_path / "p")
    descriptor = json.loads((root / "datapackage.json").read_text())
    del descriptor["resources"][0]["schema"]
    del descriptor["name"]
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = run("validate", "--root", str(root))
    assert result.exit_code == 0
    assert (
        "  warning file [missing-schema]: resource `source_usage` has no schema; the builder read its fields from"
        " data/usage.csv: `model` string, `uses` integer.\n"
        "      fix: Write the `schema` with each field's type, so a later row cannot change it.\n"
    ) in result.output
    assert '  warning file [missing-name]: The package has no name; its downloads are called "package".\n' in result.output
    strict = run("validate", "--strict", "--root", str(root))
    assert strict.exit_code == 1
    assert "  file [missing-schema]: resource `source_usage` has no schema;" in strict.output


def test_a_table_without_row_pages_may_be_called_data(tmp_path, monkeypatch):
    """Only a table with row pages has a folder at the top of the site; `data` is free for the others."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = tiny(tmp_path / "p")
    descriptor = json.loads((root / "datapackage.json").read_text())
    descriptor["resources"][0]["name"] = "data"
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert run("build", "--quiet", "--root", str(root)).exit_code == 0
    assert "<h1>Data</h1>" in (root / "site" / "data" / "data" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../data/data/">Data</a>' in (root / "site" / "data" / "index.html").read_text(encoding="utf-8")
    descriptor["resources"][0]["name"] = "index"
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = run("validate", "--root", str(root))
    assert result.exit_code == 1
    assert "resource `index` is named like one of the site's own folders" in result.output


def test_row_pages_asked_of_a_table_without_a_key_are_a_warning(tmp_path):
    root = tiny(tmp_path / "p")
    descriptor = json.loads((root / "datapackage.json").read_text())
    descriptor["resources"][0]["ledger"] = {"pages": True}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = run("validate", "--root", str(root))
    assert result.exit_code == 0
    assert (
        "  warning file [missing-primary-key]: resource `source_usage` has no primary key; its rows are numbered in file"
        " order and get no pages of their own and nothing links to them.\n"
    ) in result.output
