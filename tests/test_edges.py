"""The builder's own edges (issue 16): the API's schemas, resource limits, page names the builder
keeps for itself, leftovers on disk and in $TMPDIR, settings with units, and what the earlier
corpus found (remote schemas, foreign keys to nothing, unclosed quotes, URL patterns, categories).
Each case goes through the CLI and asserts what a user sees."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from builder.cli import cli
from tests.conftest import descriptor, resource, save


def run(root: Path, *args: str, env: dict | None = None):
    return CliRunner().invoke(cli, [*args, "--root", str(root)], env=env)


def report(root: Path, env: dict | None = None) -> list[list]:
    result = run(root, "validate", "--json", env=env)
    assert "Traceback" not in result.output
    data = json.loads(result.output)
    return [[p["path"], p["row"], p["field"], p["type"]] for p in data["problems"]]


def problems(root: Path) -> list[dict]:
    return json.loads(run(root, "validate", "--json").output)["problems"]


# ---------------------------------------------------------------- settings with units


@pytest.mark.parametrize("size", ["64MB", "64MiB", "1G", "0", "1000"])
def test_streaming_bytes_accepts_sizes_with_units(bookshelf, size):
    assert report(bookshelf, env={"LEDGER_STREAMING_BYTES": size}) == []


def test_a_streaming_size_that_is_not_a_size_is_one_line_naming_the_variable(bookshelf):
    result = run(bookshelf, "validate", env={"LEDGER_STREAMING_BYTES": "lots"})
    assert result.exit_code == 1
    assert result.output == (
        "Error: LEDGER_STREAMING_BYTES='lots' is not a size: write bytes (67108864) or a number with a unit"
        " (64MB, 64MiB, 64M, 1G; KB/MB/GB are powers of 1000, KiB/MiB/GiB and K/M/G of 1024).\n"
    )


# ---------------------------------------------------------------- leftovers


def many_books(root: Path, rows: int) -> None:
    """books.csv made big enough that validating it takes a while."""
    with open(root / "data" / "books.csv", "a", encoding="utf-8") as out:
        out.writelines(f"book-{n},Book {n},jane-austen,novel,{n % 900 + 1},1813-01-28,gutenberg-austen\n" for n in range(rows))


def test_a_validate_stopped_with_sigterm_leaves_nothing_in_tmpdir(bookshelf, tmp_path):
    many_books(bookshelf, 600_000)
    spill = tmp_path / "tmp"
    spill.mkdir()
    builder = Path(sys.executable).parent / "builder"
    env = {**os.environ, "TMPDIR": str(spill), "LEDGER_STREAMING_BYTES": "0"}
    process = subprocess.Popen(
        [str(builder), "validate", "--root", str(bookshelf)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not list(spill.glob("ledger-spill-*/*/*.arrow")) and time.monotonic() < deadline:
        assert process.poll() is None, "validate finished before it could be stopped: make the file bigger"
        time.sleep(0.01)
    assert list(spill.glob("ledger-spill-*/*/*.arrow")), "no spill written"
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert b"Traceback" not in errors
    assert list(spill.iterdir()) == []


# ---------------------------------------------------------------- the API's JSON Schemas


def api_documents(root: Path) -> list[tuple[Path, dict]]:
    """(file, the JSON Schema it is published under) for every file of site/api/v1."""
    base = root / "site" / "api" / "v1"
    found = []
    for path in sorted(p for p in base.rglob("*.json") if "schemas" not in p.relative_to(base).parts):
        relative = path.relative_to(base)
        if relative.as_posix() == "index.json":
            schema = json.loads((base / "schemas" / "index.json").read_text(encoding="utf-8"))
        elif len(relative.parts) == 1:
            schema = json.loads((base / "schemas" / relative.name).read_text(encoding="utf-8"))
        else:  # a row's own file: the table schema's $defs.entity
            schema = json.loads((base / "schemas" / f"{relative.parts[0]}.json").read_text(encoding="utf-8"))
            schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": "#/$defs/entity"}
        found.append((path, schema))
    return found


def assert_api_valid(root: Path) -> int:
    checked = 0
    for path, schema in api_documents(root):
        jsonschema.Draft202012Validator.check_schema(schema)
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        assert [e.message for e in errors] == [], path
        checked += 1
    return checked


def test_every_published_row_validates_against_its_published_schema_with_alternation_and_numeric_enum(bookshelf):
    data = descriptor(bookshelf)
    fields = {f["name"]: f for f in resource(data, "books")["schema"]["fields"]}
    # Frictionless matches ^novel|essay$ from the start: "novella" starts with "novel", so it is valid.
    fields["genre"]["constraints"] = {"required": True, "pattern": "novel|essay"}
    fields["pages"]["constraints"] = {"minimum": "1", "enum": ["172", "432", "474"]}  # Table Schema allows text
    save(bookshelf, data)
    books = bookshelf / "data" / "books.csv"
    books.write_text(books.read_text(encoding="utf-8").replace(",essay,", ",novella,"), encoding="utf-8")
    result = run(bookshelf, "build", "--quiet")
    assert result.exit_code == 0, result.output
    assert assert_api_valid(bookshelf) == 14  # the index, five tables and the rows that have pages
    schema = json.loads((bookshelf / "site" / "api" / "v1" / "schemas" / "books.json").read_text(encoding="utf-8"))
    row = schema["$defs"]["row"]["properties"]
    assert row["genre"]["pattern"] == "^(?:^novel|essay$)"
    assert row["pages"]["enum"] == [172, 432, 474, None] and row["pages"]["minimum"] == 1
    rows = json.loads((bookshelf / "site" / "api" / "v1" / "books.json").read_text(encoding="utf-8"))
    for genre, valid in (("poem", False), ("essay", True), ("novelette", True)):
        rows["rows"][0]["genre"] = genre
        assert jsonschema.Draft202012Validator(schema).is_valid(rows) is valid, genre


# ---------------------------------------------------------------- resource limits


def widen(root: Path, fields: int) -> None:
    """quotes gets `fields` fields in all, in the schema and in the header."""
    data = descriptor(root)
    quotes = resource(data, "quotes")
    extra = fields - len(quotes["schema"]["fields"])
    quotes["schema"]["fields"] += [{"name": f"x{n}", "type": "string", "title": "X", "description": "X."} for n in range(extra)]
    save(root, data)
    path = root / "data" / "quotes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        lines[0] + "".join(f",x{n}" for n in range(extra)) + "\n" + "".join(line + "," * extra + "\n" for line in lines[1:]),
        encoding="utf-8",
    )


def test_more_fields_than_sqlite_holds_is_said_at_validation(bookshelf):
    widen(bookshelf, 2001)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert result.output == (
        "datapackage.json\n"
        "  file [too-many-fields]: resource `quotes` has 2,001 fields; the SQLite download holds at most 2,000 columns"
        " per table (and a spreadsheet 16,384).\n"
        "      fix: Split data/quotes.csv into tables of at most 2,000 fields that share its primary key.\n"
        "1 problem in 1 file: the package is not valid.\n"
    )


def test_as_many_fields_as_sqlite_holds_validate(bookshelf):
    widen(bookshelf, 2000)
    assert report(bookshelf) == []


def test_a_header_of_20000_labels_is_checked_in_linear_time_and_summarised(bookshelf):
    path = bookshelf / "data" / "quotes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    stray = 20_000 - 3
    path.write_text(
        lines[0] + "".join(f",x{n}" for n in range(stray)) + "\n" + "".join(line + "," * stray + "\n" for line in lines[1:]),
        encoding="utf-8",
    )
    started = time.perf_counter()
    result = run(bookshelf, "validate")
    assert time.perf_counter() - started < 120  # was 291 s and 6.7 GB: the header was compared label by label
    assert result.exit_code == 1
    shown = result.output.splitlines()
    assert shown[:4] == [
        "data/quotes.csv",
        "  19,997 × [extra-label] in 19,997 fields",
        '  row 1, field x0 [extra-label]: Column 4 "x0" is not in the schema.',
        "      fix: Remove the column, or describe it as a field in datapackage.json.",
    ]
    assert shown[-2:] == [
        "  … 19,987 more like this (builder validate --json lists them all)",
        "19,997 problems in 1 file: the package is not valid.",
    ]
    assert len(shown) == 2 + 2 * 10 + 2


@pytest.mark.parametrize(
    ("labels", "header_case"),
    [
        (["quote_id", "document_id", "quote"], True),
        (["quote_id", "quote_id", "", "extra", "extra", "quote"], True),
        (["Quote_ID", "document_id"], False),
        (["Quote_ID", "document_id"], True),
        (["a", "a", "a", "quote", "a"], True),
        ([], True),
    ],
)
def test_the_linear_header_check_finds_what_frictionless_header_finds(bookshelf, labels, header_case):
    from frictionless import Package
    from frictionless.table.header import Header

    from builder.package import load, tables

    data = descriptor(bookshelf)
    resource(data, "quotes")["dialect"] = {"headerCase": header_case}
    package = Package(load.with_default_dialect(data), basepath=str(bookshelf))
    quotes = package.get_resource("quotes")
    ours, found = tables.check_header(quotes, labels)
    header = Header(labels, fields=quotes.schema.fields, row_numbers=[1], ignore_case=not header_case)
    theirs = header.get_expected_fields() if labels else quotes.schema.fields

    def key(e):
        return (e.type, e.field_name or "", e.field_number, e.label or "", e.note or "")

    assert sorted(map(key, found)) == sorted(map(key, header.errors))
    assert [f.name for f in ours] == [f.name for f in theirs]


# ---------------------------------------------------------------- the builder's own page names


def test_an_id_named_pages_is_refused_so_no_list_page_overwrites_an_index_page(bookshelf):
    """Row "pages" with a related list titled "2" would write authors/pages/2/, the index's page 2."""
    with open(bookshelf / "data" / "authors.csv", "a", encoding="utf-8") as out:
        out.write("pages,Page Person,1900-01-01,year,gutenberg-austen\n")
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert result.output == (
        "data/authors.csv\n"
        '  row 4, field author_id [id-reserved]: The id "pages" would share its folder with the numbered pages of'
        " the table's index (authors/pages/2/).\n"
        "      fix: Use another id.\n"
        "1 problem in 1 file: the package is not valid.\n"
    )


def test_every_page_name_the_builder_writes_is_out_of_reach_of_ids():
    from builder.package import safety_cells
    from builder.site import lists, render

    # A row's page is <table>/<slug>/, its lists <table>/<slug>/<heading>/; the builder's own pages in a
    # table's folder are index.md and pages/<n>.md: a slug is never either.
    index = lists.index_pages("t", [{}] * (render.INDEX_PAGE_ROWS * 3), render.INDEX_PAGE_ROWS)
    own = {path.split("/")[1].removesuffix(".md") for path, *_ in index}
    assert own == {"index", "pages"} == set(safety_cells.RESERVED_SLUGS)


# ---------------------------------------------------------------- the earlier corpus


def test_a_foreign_key_to_a_resource_that_does_not_exist_is_a_problem(bookshelf):
    data = descriptor(bookshelf)
    resource(data, "books")["schema"]["foreignKeys"][0]["reference"]["resource"] = "writers"
    save(bookshelf, data)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert result.output == (
        "datapackage.json\n"
        "  field author_id [foreign-key-target]: resource `books`: the foreign key on `author_id` refers to"
        " resource `writers`, which is not in datapackage.json.\n"
        "      fix: Name one of `sources`, `authors`, `books`, `documents`, `quotes` in `reference.resource`,"
        " or remove the key.\n"
        "1 problem in 1 file: the package is not valid.\n"
    )


def test_a_foreign_key_to_a_field_that_does_not_exist_is_a_problem(bookshelf):
    data = descriptor(bookshelf)
    resource(data, "books")["schema"]["foreignKeys"][0]["reference"]["fields"] = ["writer_id"]
    save(bookshelf, data)
    assert problems(bookshelf) == [
        {
            "path": "datapackage.json",
            "row": None,
            "field": "author_id",
            "type": "foreign-key-target",
            "message": "resource `books`: the foreign key on `author_id` refers to `writer_id` in `authors`,"
            " which has no such field.",
            "fix": "Name fields of `authors` in `reference.fields`, or remove the key.",
            "resource": "books",
            "column": None,
        }
    ]


@pytest.mark.parametrize("key", ["$schema", "profile"])
def test_a_remote_profile_of_a_table_schema_is_refused_without_network(bookshelf, key, monkeypatch):
    import socket

    data = descriptor(bookshelf)
    resource(data, "quotes")["schema"][key] = "https://example.invalid/tableschema.json"
    save(bookshelf, data)
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("network used"))
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert (
        f"  file [remote-reference]: `resources[quotes].schema.{key}` is a remote address"
        " (https://example.invalid/tableschema.json); the builder never reads from the network.\n"
    ) in result.output


def test_without_a_keepable_secret_no_build_leaves_a_cache_behind(bookshelf, tmp_path, monkeypatch):
    from builder.package import paths

    (tmp_path / "blocked").write_text("a file, not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocked"))  # nowhere to keep the secret
    paths.machine_key.cache_clear()
    try:
        for _ in range(2):
            result = run(bookshelf, "build", "--quiet")
            assert result.exit_code == 0, result.output
            paths.machine_key.cache_clear()  # each process has a key of its own
    finally:
        paths.machine_key.cache_clear()
    # Only the build lock stays (an empty file; removing a lock file others may hold races them).
    assert sorted(p.name for p in (bookshelf / ".build").iterdir()) == ["lock"]
    assert (bookshelf / ".build" / "lock").stat().st_size == 0
    assert (bookshelf / "site" / "index.html").is_file()


def test_with_a_kept_secret_the_page_cache_stays_for_the_next_build(bookshelf, tmp_path, monkeypatch):
    from builder.package import paths

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    paths.machine_key.cache_clear()
    try:
        assert run(bookshelf, "build", "--quiet").exit_code == 0
        key = paths.machine_key()
    finally:
        paths.machine_key.cache_clear()
    assert f"pages-{key}" in {p.name for p in (bookshelf / ".build").iterdir()}


@pytest.mark.parametrize("streaming", ["", "0"])
def test_an_unclosed_quote_is_reported_where_it_opened_not_as_foreign_keys_elsewhere(bookshelf, streaming):
    path = bookshelf / "data" / "authors.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(1, 'charlotte-bronte,"Charlotte Bronte,1816-04-21,day,gutenberg-austen')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(bookshelf, "validate", env={"LEDGER_STREAMING_BYTES": streaming} if streaming else None)
    assert result.exit_code == 1
    assert result.output == (
        "data/authors.csv\n"
        "  row 2, field name [unclosed-quote]: A quote opens in `name` at row 2 and is never closed, so the rest of"
        " data/authors.csv (3 lines) was read as that one cell.\n"
        '      fix: Close the quote where the cell ends (a quote inside a quoted cell is written twice: ""), or remove it;'
        " the rows after it are checked once it is closed.\n"
        "1 problem in 1 file: the package is not valid.\n"
    )


def test_a_quoted_line_break_in_the_last_cell_is_not_an_unclosed_quote(bookshelf):
    with open(bookshelf / "data" / "quotes.csv", "a", encoding="utf-8") as out:
        out.write('second,opening,"It is a truth\nuniversally acknowledged"\n')
    # the rule that the quote is in its document still runs: the file was read whole
    assert report(bookshelf) == [["data/quotes.csv", 3, "quote", "quote-not-found"]]


# ---------------------------------------------------------------- Data Package v2 categories


@pytest.mark.parametrize(
    "categories",
    [["novel", "essay"], [{"value": "novel", "label": "Novel"}, {"value": "essay", "label": "Essay"}]],
)
def test_a_value_outside_a_fields_v2_categories_is_a_problem(bookshelf, categories):
    data = descriptor(bookshelf)
    genre = next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "genre")
    genre["constraints"].pop("enum")
    genre["categories"] = categories
    save(bookshelf, data)
    books = bookshelf / "data" / "books.csv"
    books.write_text(books.read_text(encoding="utf-8").replace(",essay,", ",poetry,"), encoding="utf-8")
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert result.output == (
        "data/books.csv\n"
        '  row 4, field genre [constraint-error]: "poetry" is not one of the categories of `genre`.\n'
        "      fix: Use one of: novel, essay.\n"
        "1 problem in 1 file: the package is not valid.\n"
    )


def test_integer_categories_are_compared_as_numbers(bookshelf):
    data = descriptor(bookshelf)
    pages = next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "pages")
    pages["categories"] = [{"value": 432, "label": "long"}, {"value": 474, "label": "longer"}, {"value": 172}]
    pages["categoriesOrdered"] = True
    save(bookshelf, data)
    assert report(bookshelf) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"categories": "novel"}, "has `categories` that is not a non-empty list."),
        ({"categories": ["novel", 2]}, "has categories that are not all text."),
        ({"categories": ["novel"], "categoriesOrdered": "yes"}, "has a `categoriesOrdered` that is not true or false."),
    ],
)
def test_malformed_categories_are_a_descriptor_problem(bookshelf, change, message):
    data = descriptor(bookshelf)
    genre = next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "genre")
    genre.update(change)
    save(bookshelf, data)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert f"  field genre [descriptor-invalid]: resource `books`, field `genre` {message}\n" in result.output


def test_categories_are_the_api_schemas_enum_and_every_row_validates(bookshelf):
    data = descriptor(bookshelf)
    pages = next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "pages")
    pages["categories"] = [{"value": 172, "label": "short"}, {"value": 432}, {"value": 474}]
    save(bookshelf, data)
    result = run(bookshelf, "build", "--quiet")
    assert result.exit_code == 0, result.output
    assert assert_api_valid(bookshelf) == 14
    schema = json.loads((bookshelf / "site" / "api" / "v1" / "schemas" / "books.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["row"]["properties"]["pages"]["enum"] == [172, 432, 474, None]


def test_duplicate_labels_with_fields_matched_by_name_are_a_problem_not_a_traceback(bookshelf):
    data = descriptor(bookshelf)
    resource(data, "quotes")["schema"]["fieldsMatch"] = "equal"
    save(bookshelf, data)
    path = bookshelf / "data" / "quotes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("quote_id,document_id,", "quote_id,quote_id,", 1), encoding="utf-8")
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert result.output == (
        "data/quotes.csv\n"
        "  row 1 [header-error]: The header of data/quotes.csv cannot be matched to the schema: matching fields by name"
        ' ("fieldsMatch": "equal") requires unique labels in the header.\n'
        '      fix: Give every column a distinct heading, or set the schema\'s `fieldsMatch` to "exact" to pair them by'
        " position.\n"
        "1 problem in 1 file: the package is not valid.\n"
    )


def essay_as(bookshelf, genre: str, categories) -> None:
    """The essay's genre written as `genre`, under categories made from the enum (`categories`)."""
    data = descriptor(bookshelf)
    field = next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "genre")
    field["categories"] = categories(list(field["constraints"]["enum"]))
    save(bookshelf, data)
    books = bookshelf / "data" / "books.csv"
    books.write_text(books.read_text(encoding="utf-8").replace(",essay,", f",{genre},"), encoding="utf-8")


@pytest.mark.parametrize("extra", [[], ["poem"]])
def test_a_value_outside_both_enum_and_categories_is_reported_once(bookshelf, extra):
    """Categories that hold every enum value: a value outside them is the enum's constraint-error
    (what frictionless reports), not also the categories' echo of it."""
    essay_as(bookshelf, "drama", lambda enum: enum + extra)
    assert report(bookshelf) == [["data/books.csv", 4, "genre", "constraint-error"]]


def test_categories_narrower_than_the_enum_are_checked(bookshelf):
    def without_poetry(enum):
        assert "poetry" in enum
        return [v for v in enum if v != "poetry"]

    essay_as(bookshelf, "poetry", without_poetry)
    result = run(bookshelf, "validate")
    assert '  row 4, field genre [constraint-error]: "poetry" is not one of the categories of `genre`.\n' in result.output
    assert result.output.count("constraint-error") == 1
