"""The vectorised table checks (builder.package.tables) against `frictionless validate` as the oracle.

Each case mutates a copy of the bookshelf fixture or the Ledger: every error type, at the first and
the last row, in quoted cells, with unicode, odd dialects and Table Schema options. Both engines'
findings go through the same map_error/drop_echoes, and the sets of (file, row, field, type) must be
equal. Each case also names findings it expects, so a case cannot pass by both finding nothing.

Deliberate differences, stated in the README, are named tests at the end: frictionless stops at
1,000 errors per table (we report all), and it sniffs a sample of each CSV even when the dialect is
declared (we use the declared dialect as is).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from builder.check.messages import frictionless_problems
from builder.check.schema import Resources, check_files, check_tables
from builder.check.structure import check_descriptor
from builder.package import load


def findings(root: Path):
    descriptor, problems = load.read_descriptor(root / "datapackage.json")
    assert not problems
    package, structure = check_descriptor(descriptor, root)
    assert not structure, structure
    unreadable, _ = check_files(descriptor, root)
    # the objects `builder validate` reads the tables with (builder.package.light where plain)
    tables, ours = check_tables(Resources(descriptor, root, package), descriptor, root, set(unreadable))
    theirs = frictionless_problems(package, descriptor, set(unreadable))
    return {tuple(p.key()) for p in ours}, {tuple(p.key()) for p in theirs}, tables, descriptor


def streamed(root: Path, monkeypatch, tables: dict) -> set:
    """Our findings with every file checked from a spill on disk (the path of a file too big to
    hold); the frames must be the same as the in-memory path's."""
    monkeypatch.setenv("LEDGER_STREAMING_BYTES", "0")
    descriptor, _ = load.read_descriptor(root / "datapackage.json")
    package, _ = check_descriptor(descriptor, root)
    unreadable, _ = check_files(descriptor, root)
    frames, ours = check_tables(Resources(descriptor, root, package), descriptor, root, set(unreadable))
    monkeypatch.delenv("LEDGER_STREAMING_BYTES")
    assert frames.keys() == tables.keys()
    for name, frame in frames.items():
        assert frame.equals(tables[name]), name
    return {tuple(p.key()) for p in ours}


# Mutations --------------------------------------------------------------------------------------


def rows_of(path: Path, delimiter: str = ",") -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


def write_rows(path: Path, rows: list[list[str]], **options) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", **options).writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def set_cell(root: Path, file: str, row: int, column: str, value: str) -> None:
    """Spreadsheet row numbers: the header is row 1; row -1 is the last row."""
    rows = rows_of(root / file)
    rows[row if row < 0 else row - 1][rows[0].index(column)] = value
    write_rows(root / file, rows)


def last_row(root: Path, file: str) -> int:
    return len(rows_of(root / file))


def edit_text(root: Path, file: str, edit) -> None:
    path = root / file
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def edit_field(root: Path, resource: str, name: str, **changes) -> None:
    path = root / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    res = next(r for r in descriptor["resources"] if r["name"] == resource)
    field = next(f for f in res["schema"]["fields"] if f["name"] == name)
    for key, value in changes.items():
        if key == "constraints":
            field.setdefault("constraints", {}).update(value)
            field["constraints"] = {k: v for k, v in field["constraints"].items() if v is not None}
        else:
            field[key] = value
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


def edit_resource(root: Path, resource: str, **changes) -> None:
    path = root / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    res = next(r for r in descriptor["resources"] if r["name"] == resource)
    for key, value in changes.items():
        if key == "schema":
            res["schema"].update(value)
        else:
            res[key] = value
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")


BOOKS = "data/books.csv"
AUTHORS = "data/authors.csv"
SOURCES = "data/sources.csv"


def book_line(**cells) -> str:
    row = {
        "book_id": "persuasion",
        "title": "Persuasion",
        "author_id": "jane-austen",
        "genre": "novel",
        "pages": "249",
        "published": "1817-12-20",
        "source_id": "gutenberg-austen",
    } | cells
    return ",".join(row.values())


def append(line: str):
    return lambda text: text + line + "\n"


# (name, mutate(root), findings both must include: (file, row, field, type))
BOOKSHELF_CASES = [
    ("valid", lambda r: None, []),
    (
        "type errors, first and last row",
        lambda r: [set_cell(r, BOOKS, 2, "pages", "12a"), set_cell(r, BOOKS, -1, "published", "2023-02-30")],
        [(BOOKS, 2, "pages", "type-error"), (BOOKS, 4, "published", "type-error")],
    ),
    (
        "integers python accepts",
        lambda r: [
            set_cell(r, BOOKS, 2, "pages", " 432"),
            set_cell(r, BOOKS, 3, "pages", "1_000"),
            set_cell(r, BOOKS, 4, "pages", "+7"),
        ],
        [],
    ),
    (
        "dates strptime accepts and rejects",
        lambda r: [
            set_cell(r, BOOKS, 2, "published", "1813-1-8"),
            set_cell(r, BOOKS, 3, "published", " 1815-12-23"),
            set_cell(r, BOOKS, 4, "published", "1929-10-24T00:00"),
        ],
        [(BOOKS, 3, "published", "type-error"), (BOOKS, 4, "published", "type-error")],
    ),
    (
        "numbers",
        lambda r: [
            edit_field(r, "books", "pages", type="number"),
            set_cell(r, BOOKS, 2, "pages", "1e3"),
            set_cell(r, BOOKS, 3, "pages", "NaN"),
            set_cell(r, BOOKS, 4, "pages", "1,5"),
        ],
        [(BOOKS, 3, "pages", "constraint-error"), (BOOKS, 4, "pages", "type-error")],
    ),
    (
        "decimal comma and group char",
        lambda r: [
            edit_field(r, "books", "pages", type="number", decimalChar=",", groupChar="."),
            set_cell(r, BOOKS, 2, "pages", "1.234,5"),
            set_cell(r, BOOKS, 3, "pages", "7,25"),
        ],
        [],
    ),
    (
        "bareNumber false",
        lambda r: [
            edit_field(r, "books", "pages", bareNumber=False),
            set_cell(r, BOOKS, 2, "pages", "432 pages"),
            set_cell(r, BOOKS, 3, "pages", "p. 474"),
        ],
        [],
    ),
    (
        "missingValues",
        lambda r: [
            edit_resource(r, "books", schema={"missingValues": ["", "n/a"]}),
            set_cell(r, BOOKS, 2, "pages", "n/a"),
            set_cell(r, BOOKS, 3, "title", "n/a"),
        ],
        [(BOOKS, 3, "title", "constraint-error")],
    ),
    (
        "empty is a value when missingValues omit it",
        lambda r: [
            edit_resource(r, "books", schema={"missingValues": ["NA"]}),
            set_cell(r, BOOKS, 2, "title", ""),
            set_cell(r, BOOKS, 3, "pages", ""),
        ],
        [(BOOKS, 3, "pages", "type-error")],
    ),
    (
        "booleans with trueValues",
        lambda r: [
            edit_field(
                r,
                "authors",
                "born_precision",
                type="boolean",
                trueValues=["day"],
                falseValues=["month", "year"],
                constraints={"enum": None},
            ),
            set_cell(r, AUTHORS, -1, "born_precision", "yes"),
        ],
        [(AUTHORS, 3, "born_precision", "type-error")],
    ),
    (
        "date format",
        lambda r: [
            edit_field(r, "books", "published", format="%d/%m/%Y"),
            edit_text(r, BOOKS, lambda t: t.replace("1813-01-28", "28/01/1813").replace("1815-12-23", "23/12/1815")),
        ],
        [(BOOKS, 4, "published", "type-error")],
    ),
    (
        "year type",
        lambda r: [
            edit_field(r, "books", "pages", type="year", constraints={"minimum": 1800}),
            set_cell(r, BOOKS, 2, "pages", "1813"),
            set_cell(r, BOOKS, 3, "pages", "1700"),
            set_cell(r, BOOKS, 4, "pages", "x"),
        ],
        [(BOOKS, 3, "pages", "constraint-error"), (BOOKS, 4, "pages", "type-error")],
    ),
    (
        "required, enum, minimum, first and last row",
        lambda r: [
            set_cell(r, BOOKS, 2, "title", ""),
            set_cell(r, BOOKS, 2, "genre", "romance"),
            set_cell(r, BOOKS, -1, "pages", "0"),
        ],
        [
            (BOOKS, 2, "title", "constraint-error"),
            (BOOKS, 2, "genre", "constraint-error"),
            (BOOKS, 4, "pages", "constraint-error"),
        ],
    ),
    (
        "lengths, exclusive bounds, integer enum",
        lambda r: [
            edit_field(r, "books", "title", constraints={"minLength": 5, "maxLength": 19}),
            edit_field(r, "books", "pages", constraints={"maximum": 473, "enum": [432, 474, 172]}),
        ],
        [(BOOKS, 3, "title", "constraint-error"), (BOOKS, 3, "pages", "constraint-error")],
    ),
    (
        "pattern with unicode and a trailing newline",
        lambda r: [
            set_cell(r, BOOKS, 2, "book_id", "prіde"),
            set_cell(r, BOOKS, 3, "book_id", "emma\n"),
            set_cell(r, BOOKS, 4, "book_id", "Room"),
        ],
        [(BOOKS, 2, "book_id", "constraint-error"), (BOOKS, 4, "book_id", "constraint-error")],
    ),
    (
        "pattern Rust cannot compile",
        lambda r: [edit_field(r, "books", "book_id", constraints={"pattern": "(?!emma)[a-z-]+"})],
        [(BOOKS, 3, "book_id", "constraint-error")],
    ),
    (
        "pattern alternation anchors like re.match",
        lambda r: [edit_field(r, "books", "genre", constraints={"pattern": "nov|poetry"})],
        [(BOOKS, 4, "genre", "constraint-error")],
    ),
    (
        "unique and primary key",
        lambda r: [
            edit_field(r, "books", "pages", constraints={"unique": True}),
            set_cell(r, BOOKS, -1, "pages", "432"),
            set_cell(r, BOOKS, -1, "book_id", "pride-and-prejudice"),
        ],
        [(BOOKS, 4, "pages", "unique-error"), (BOOKS, 4, "book_id", "primary-key")],
    ),
    (
        "empty primary key",
        lambda r: edit_text(r, BOOKS, append(book_line(book_id=""))),
        [(BOOKS, 5, "book_id", "constraint-error")],
    ),
    (
        "foreign keys, first and last row",
        lambda r: [set_cell(r, BOOKS, 2, "author_id", "jane-eyre"), set_cell(r, BOOKS, -1, "source_id", "nowhere")],
        [(BOOKS, 2, "author_id", "foreign-key"), (BOOKS, 4, "source_id", "foreign-key")],
    ),
    (
        "foreign key to a row whose key has a type error",
        lambda r: [
            edit_field(r, "authors", "author_id", type="integer", constraints={"pattern": None}),
            edit_field(r, "books", "author_id", type="integer"),
        ],
        [(AUTHORS, 2, "author_id", "type-error"), (BOOKS, 2, "author_id", "type-error")],
    ),
    (
        "foreign key from a text column to an integer key",
        lambda r: [
            edit_field(r, "authors", "author_id", type="integer", constraints={"pattern": None}),
            set_cell(r, AUTHORS, 2, "author_id", "1"),
            set_cell(r, BOOKS, 2, "author_id", "1"),
        ],
        [(BOOKS, 2, "author_id", "foreign-key"), (AUTHORS, 3, "author_id", "type-error")],
    ),
    (
        "short, long and blank rows",
        lambda r: edit_text(
            r,
            BOOKS,
            append(
                "persuasion,Persuasion,jane-austen\nsanditon,Sanditon,jane-austen,novel,1,1817-01-01,gutenberg-austen,extra,more\n,,,,,,\n"
            ),
        ),
        [(BOOKS, 5, "genre", "missing-cell"), (BOOKS, 6, None, "extra-cell"), (BOOKS, 7, None, "blank-row")],
    ),
    (
        "empty lines",
        lambda r: edit_text(r, BOOKS, lambda t: t.replace("\nemma", "\n\nemma") + "\n"),
        [(BOOKS, 3, None, "blank-row")],
    ),
    (
        "quoted cells with commas, quotes and newlines",
        lambda r: [set_cell(r, BOOKS, 2, "title", 'Pride, "and"\nPrejudice'), set_cell(r, BOOKS, -1, "genre", "essay, novel")],
        [(BOOKS, 4, "genre", "constraint-error")],
    ),
    ("every cell quoted", lambda r: write_rows(r / BOOKS, rows_of(r / BOOKS), quoting=csv.QUOTE_ALL), []),
    ("stray quotes", lambda r: edit_text(r, BOOKS, lambda t: t.replace("Emma,", 'Em"ma,').replace("A Room", '"A Room"x')), []),
    (
        "unclosed quote in the last row",
        lambda r: edit_text(r, BOOKS, lambda t: t.replace("A Room", '"A Room')),
        [(BOOKS, 4, "author_id", "missing-cell")],
    ),
    (
        "CRLF, CR-only and a BOM",
        lambda r: [
            edit_text(r, BOOKS, lambda t: t.replace("\n", "\r\n")),
            edit_text(r, AUTHORS, lambda t: "\ufeff" + t.replace("\n", "\r")),
        ],
        [],
    ),
    (
        "semicolon dialect",
        lambda r: [
            edit_resource(r, "authors", dialect={"delimiter": ";", "header": True}),
            edit_text(r, AUTHORS, lambda t: t.replace(",", ";") + "x;y\n"),
        ],
        [(AUTHORS, 4, "born_precision", "missing-cell")],
    ),
    (
        "tab dialect without a header row, with escapes",
        lambda r: [
            edit_resource(r, "authors", dialect={"delimiter": "\t", "header": False, "doubleQuote": False, "escapeChar": "\\"}),
            write_rows(
                r / AUTHORS,
                rows_of(r / AUTHORS)[1:] + [["x", 'Say \\"hi\\"', "1800-01-01", "week"]],
                delimiter="\t",
                quoting=csv.QUOTE_NONE,
                escapechar="\\",
            ),
        ],
        [(AUTHORS, 3, "born_precision", "constraint-error")],
    ),
    (
        "list type with its own delimiter and itemType",
        lambda r: [
            edit_field(r, "books", "pages", type="list", delimiter="|", itemType="integer", constraints={"minimum": None}),
            set_cell(r, BOOKS, 2, "pages", "1|2|3"),
            set_cell(r, BOOKS, 3, "pages", "4|x"),
        ],
        [(BOOKS, 3, "pages", "type-error")],
    ),
    (
        "per-field missingValues and a datetime format",
        lambda r: [
            edit_field(r, "books", "pages", missingValues=["-"]),
            edit_field(r, "books", "published", type="datetime", format="%Y-%m-%d"),
            set_cell(r, BOOKS, 2, "pages", "-"),
            set_cell(r, BOOKS, 3, "pages", ""),
            set_cell(r, BOOKS, 3, "published", "1815-12-23T10:00"),
        ],
        [(BOOKS, 3, "pages", "type-error"), (BOOKS, 3, "published", "type-error")],
    ),
    (
        "renamed, extra and missing columns",
        lambda r: [
            edit_text(r, BOOKS, lambda t: t.replace("genre", "kind", 1)),
            write_rows(r / SOURCES, [row + ["5"] for row in rows_of(r / SOURCES)]),
            write_rows(r / AUTHORS, [row[:-1] for row in rows_of(r / AUTHORS)]),
        ],
        [(BOOKS, 1, "genre", "incorrect-label"), (SOURCES, 1, "5", "extra-label"), (AUTHORS, 1, "source_id", "missing-label")],
    ),
    (
        "extra labels with short, blank and filled rows",  # the labels beyond the schema are read at once
        lambda r: (r / SOURCES).write_text(
            "source_id,title,url,accessed,extra1,extra2\n"
            "gutenberg-austen,Austen,https://www.gutenberg.org/ebooks/author/68,2024-01-10,x\n"
            ",,,,,\n"
            "gutenberg-woolf,Woolf,https://www.gutenberg.org/ebooks/author/6227,2024-01-10,,y,z\n"
            "short,Short\n"
            ",,,,,q\n",
            encoding="utf-8",
        ),
        [(SOURCES, 1, "extra2", "extra-label"), (SOURCES, 3, None, "blank-row"), (SOURCES, 5, "extra1", "missing-cell")],
    ),
    (
        "duplicate and blank labels",
        lambda r: [
            edit_text(r, BOOKS, lambda t: t.replace("title", "book_id", 1)),
            edit_text(r, SOURCES, lambda t: t.replace("title", "", 1)),
        ],
        [(BOOKS, 1, "title", "duplicate-label"), (SOURCES, 1, "title", "blank-label")],
    ),
    (
        "geopoint in its three forms",  # issue 22: out of range, the wrong form and text are type errors
        lambda r: [
            edit_field(r, "books", "pages", type="geopoint", constraints={"minimum": None}),
            set_cell(r, BOOKS, 2, "pages", "90, 45"),
            set_cell(r, BOOKS, 3, "pages", "181,0"),
            set_cell(r, BOOKS, 4, "pages", "[1, 2]"),
            edit_field(r, "books", "published", type="geopoint", format="array"),
            set_cell(r, BOOKS, 2, "published", "[1.5, 2]"),
            set_cell(r, BOOKS, 3, "published", "1.5, 2"),
            set_cell(r, BOOKS, 4, "published", "[1, 95]"),
        ],
        [(BOOKS, 3, "pages", "type-error"), (BOOKS, 4, "pages", "type-error"), (BOOKS, 3, "published", "type-error")],
    ),
    (
        "array, object and geojson are JSON of their kind",
        lambda r: [
            edit_field(r, "books", "pages", type="array", constraints={"minimum": None}),
            set_cell(r, BOOKS, 2, "pages", '[1, "a"]'),
            set_cell(r, BOOKS, 3, "pages", "{}"),
            set_cell(r, BOOKS, 4, "pages", "[1,"),
            edit_field(r, "books", "published", type="object", format="default"),
            set_cell(r, BOOKS, 2, "published", '{"a": 1}'),
            set_cell(r, BOOKS, 3, "published", "[]"),
            edit_field(r, "books", "genre", type="geojson", constraints={"enum": None}),
            set_cell(r, BOOKS, 2, "genre", '{"type": "Point", "coordinates": [1, 2]}'),
            set_cell(r, BOOKS, 3, "genre", '{"type": "Nowhere"}'),
        ],
        [(BOOKS, 3, "pages", "type-error"), (BOOKS, 4, "pages", "type-error"), (BOOKS, 3, "published", "type-error")],
    ),
    (
        "duration and yearmonth",
        lambda r: [
            edit_field(r, "books", "pages", type="duration", constraints={"minimum": None}),
            set_cell(r, BOOKS, 2, "pages", "P1Y2M"),
            set_cell(r, BOOKS, 3, "pages", "PT1H"),
            set_cell(r, BOOKS, 4, "pages", "1 hour"),
            edit_field(r, "books", "published", type="yearmonth", format="default"),
            set_cell(r, BOOKS, 2, "published", "2020-1"),
            set_cell(r, BOOKS, 3, "published", "2020-13"),
        ],
        [(BOOKS, 4, "pages", "type-error"), (BOOKS, 3, "published", "type-error")],
    ),
    (
        "header only and empty files",
        lambda r: [(r / "data/quotes.csv").write_text("quote_id,document_id,quote\n"), (r / "data/documents.csv").write_text("")],
        [],
    ),
]


@pytest.mark.parametrize("name, mutate, expected", BOOKSHELF_CASES, ids=[c[0] for c in BOOKSHELF_CASES])
def test_same_findings_as_frictionless(bookshelf, name, mutate, expected, monkeypatch):
    mutate(bookshelf)
    ours, theirs, tables, descriptor = findings(bookshelf)
    assert ours == theirs
    assert streamed(bookshelf, monkeypatch, tables) == ours
    assert set(expected) <= theirs
    if not theirs:
        assert_nothing_lost(bookshelf, descriptor, tables)


def test_same_findings_on_the_ledger_with_many_faults(ledger, monkeypatch):
    """Twenty faults across the Ledger's tables at once, so the big package is read only twice."""
    faults = [
        ("seeds/models.csv", 2, "context_tokens", "12k", "type-error"),
        ("seeds/models.csv", -1, "open_weights", "yes", "type-error"),
        ("seeds/models.csv", 3, "predecessor_id", "llama-0", "foreign-key"),
        ("seeds/models.csv", 4, "status", "rumoured", "constraint-error"),
        ("seeds/people.csv", 2, "llama_paper_position", "15", "constraint-error"),
        ("seeds/people.csv", -1, "llama_paper_position", "2", "unique-error"),
        ("seeds/people.csv", 3, "status_as_of", "2025-13-01", "type-error"),
        ("seeds/releases.csv", 2, "model_id", "llama-9", "foreign-key"),
        ("seeds/releases.csv", -1, "date", "", "constraint-error"),
        ("seeds/sources.csv", 2, "url", "ftp://example.org/x", "constraint-error"),
        ("seeds/sources.csv", -1, "source_id", "Sources Ünïcode", "constraint-error"),
        ("seeds/claims.csv", 2, "verdict", "true-ish", "constraint-error"),
        ("seeds/claims.csv", -1, "reviewed", "26 May 2025", "type-error"),
        ("seeds/departures.csv", 2, "date_precision", "week", "constraint-error"),
        ("seeds/departures.csv", -1, "to_org_id", "nowhere-ai", "foreign-key"),
        ("seeds/organizations.csv", 2, "country", "usa", "constraint-error"),
        ("seeds/citations.csv", -1, "role", "mentions", "constraint-error"),
        ("seeds/claim_evidence.csv", -1, "stance", "", "constraint-error"),
    ]
    expected = set()
    for file, row, column, value, kind in faults:
        number = last_row(ledger, file) if row == -1 else row
        set_cell(ledger, file, row, column, value)
        expected.add((file, number, column, kind))
    rows = rows_of(ledger / "seeds/claim_evidence.csv")
    write_rows(ledger / "seeds/claim_evidence.csv", rows + [rows[1]])  # a composite key repeated
    expected.add(("seeds/claim_evidence.csv", len(rows) + 1, "claim_id, source_id", "primary-key"))
    ours, theirs, tables, _ = findings(ledger)
    assert ours == theirs
    assert expected <= theirs
    assert streamed(ledger, monkeypatch, tables) == ours


def assert_nothing_lost(root: Path, descriptor: dict, tables: dict) -> None:
    """A valid table loses no value: a typed cell is empty only where the source cell was missing."""
    for resource in load.resources(descriptor):
        frame = tables.get(resource["name"])
        if frame is None or frame.height == 0:
            continue
        dialect = resource.get("dialect", {})
        rows = rows_of(root / resource["path"], dialect.get("delimiter", ","))
        missing = resource["schema"].get("missingValues", [""])
        for index, field in enumerate(load.fields(resource)):
            source = [row[index] if index < len(row) else "" for row in rows[1:]]
            assert frame[field["name"]].null_count() == sum(cell in missing for cell in source), (resource["name"], field["name"])


def test_loaded_values_have_the_semantics_that_validated(bookshelf):
    edit_field(bookshelf, "books", "pages", type="number", decimalChar=",", groupChar=".")
    set_cell(bookshelf, BOOKS, 2, "pages", "1.234,5")
    set_cell(bookshelf, BOOKS, 3, "published", "1815-1-3")
    _, theirs, tables, _ = findings(bookshelf)
    assert not theirs
    assert tables["books"]["pages"].to_list() == [1234.5, 474.0, 172.0]
    assert str(tables["books"]["published"][1]) == "1815-01-03"


def test_synth_package_is_valid_and_injected_errors_match_frictionless(tmp_path):
    from click.testing import CliRunner

    from builder.cli import cli
    from builder.tools.synth import ERROR_TYPES

    root = Path(__file__).resolve().parent.parent
    valid = tmp_path / "valid"
    result = CliRunner().invoke(cli, ["synth", "--root", str(root), "--rows", "3000", "--out", str(valid)])
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(cli, ["validate", "--root", str(valid)]).output == "The package llama-ledger is valid.\n"

    broken = tmp_path / "broken"
    result = CliRunner().invoke(
        cli, ["synth", "--root", str(root), "--rows", "3000", "--out", str(broken), "--errors", ",".join(ERROR_TYPES)]
    )
    assert result.exit_code == 0, result.output
    ours, theirs, _, _ = findings(broken)
    assert ours == theirs
    kinds = {kind for _, _, _, kind in theirs}
    assert {"type-error", "constraint-error", "primary-key", "foreign-key", "missing-cell", "extra-cell", "blank-row"} <= kinds
    assert len(theirs) == 10 * len(ERROR_TYPES)


def test_synth_refuses_unknown_error_types(tmp_path):
    from click.testing import CliRunner

    from builder.cli import cli

    result = CliRunner().invoke(cli, ["synth", "--rows", "10", "--out", str(tmp_path / "x"), "--errors", "typo"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: unknown error type(s) typo; choose from type-error, required,")


def test_a_file_over_the_streaming_limit_is_checked_from_a_spill(bookshelf, monkeypatch):
    """LEDGER_STREAMING_BYTES picks the path per file: books.csv (the biggest) goes through the
    spill and the streaming engine, the others stay in memory, and the findings do not change."""
    from builder.package import tables

    paths_taken = {}
    start_table = tables.start_table

    def spy(resource, path, dialect, key_fields, pool=None, spill=None, unpatterned=frozenset()):
        paths_taken[path.name] = "spill" if spill else "memory"
        return start_table(resource, path, dialect, key_fields, pool, spill, unpatterned)

    edit_text(bookshelf, BOOKS, lambda t: t + book_line(book_id="emma", author_id="nobody") + "\n")
    monkeypatch.setattr(tables, "start_table", spy)
    monkeypatch.setenv("LEDGER_STREAMING_BYTES", str((bookshelf / BOOKS).stat().st_size - 1))
    ours, theirs, _, _ = findings(bookshelf)
    assert paths_taken == {name: "memory" for name in ("authors.csv", "documents.csv", "quotes.csv", "sources.csv")} | {
        "books.csv": "spill"
    }
    assert ours == theirs
    assert {(BOOKS, 5, "book_id", "primary-key"), (BOOKS, 5, "author_id", "foreign-key")} <= ours


def test_many_chunks_then_a_quoted_line_break(bookshelf, monkeypatch):
    """Chunks of a few lines, read side by side, with errors in several of them; then a quoted line
    break in the last row sends the file to Python's reader after its first chunks were read fast.
    Row numbers, findings and frames hold in memory and through the spill alike."""
    from builder.package import csvreader

    monkeypatch.setattr(csvreader, "CHUNK_BYTES", 64)
    lines = [book_line(book_id=f"b{i}", pages="x" if i % 3 == 0 else str(i)) for i in range(12)]
    edit_text(bookshelf, BOOKS, lambda t: t + "\n".join(lines) + "\n")
    ours, theirs, tables_, _ = findings(bookshelf)
    assert ours == theirs
    assert {(BOOKS, row, "pages", "type-error") for row in (5, 8, 11, 14)} == {p[:4] for p in ours}
    assert streamed(bookshelf, monkeypatch, tables_) == ours
    edit_text(bookshelf, BOOKS, append(book_line(book_id="last", title='"Two\nlines"')))
    ours, theirs, tables_, _ = findings(bookshelf)
    assert ours == theirs
    assert tables_["books"]["title"][-1] == "Two\nlines"
    assert streamed(bookshelf, monkeypatch, tables_) == ours


def test_descriptor_and_csv_with_a_byte_order_mark(bookshelf):
    """Windows editors write a BOM: the descriptor still reads and the first column keeps its name."""
    for name in ("datapackage.json", BOOKS):
        path = bookshelf / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    ours, theirs, tables, _ = findings(bookshelf)
    assert ours == theirs == set()
    assert tables["books"]["book_id"][0] == "pride-and-prejudice"


# Deliberate differences, named ------------------------------------------------------------------


def test_difference_frictionless_stops_at_1000_errors_per_table(bookshelf):
    edit_text(bookshelf, BOOKS, lambda t: t + "".join(book_line(book_id=f"b{i}", genre="romance") + "\n" for i in range(1005)))
    ours, theirs, _, _ = findings(bookshelf)
    assert len(ours) == 1005 and len(theirs) == 1000
    assert theirs < ours


def test_difference_frictionless_sniffs_a_declared_dialect(bookshelf):
    """A space after each comma: frictionless's sniffer guesses skipInitialSpace; we read what is declared."""
    edit_text(bookshelf, BOOKS, lambda t: t.replace(",", ", "))
    ours, theirs, _, _ = findings(bookshelf)
    assert theirs == set()
    assert (BOOKS, 1, "title", "incorrect-label") in ours and (BOOKS, 2, "genre", "constraint-error") in ours
    edit_resource(bookshelf, "books", dialect={"delimiter": ",", "skipInitialSpace": True})
    ours, theirs, tables, _ = findings(bookshelf)
    assert ours == theirs == set()
    assert tables["books"]["genre"].to_list() == ["novel", "novel", "essay"]


def test_synth_distinct_package_is_valid_with_distinct_values_and_errors_match_frictionless(tmp_path):
    """`synth --distinct`: values redrawn (seeded), every rule still holding, findings as frictionless's."""
    from click.testing import CliRunner

    from builder.cli import cli
    from builder.tools.synth import ERROR_TYPES

    root = Path(__file__).resolve().parent.parent
    valid, again = tmp_path / "valid", tmp_path / "again"
    for out in (valid, again):
        result = CliRunner().invoke(cli, ["synth", "--root", str(root), "--rows", "6000", "--out", str(out), "--distinct"])
        assert result.exit_code == 0, result.output
    assert CliRunner().invoke(cli, ["validate", "--root", str(valid)]).output == "The package llama-ledger is valid.\n"
    ours, theirs, tables, descriptor = findings(valid)
    assert ours == theirs == set()
    for path in sorted(valid.rglob("*")):  # the same seed writes the same bytes
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(valid)).read_bytes(), path
    # Free text (no enum, no pattern, not tied by a rule) and keys: more than 90% distinct per column.
    for resource in load.resources(descriptor):
        frame = tables[resource["name"]]
        if frame.height < 100:
            continue
        for field in load.fields(resource):
            constraints = field.get("constraints", {})
            free = field.get("type", "string") == "string" and not constraints.get("enum") and not constraints.get("pattern")
            if free and field["name"] not in ("parameters", "size") or constraints.get("unique"):
                values = frame[field["name"]].drop_nulls()
                assert values.n_unique() > 0.9 * values.len(), (resource["name"], field["name"])
    # Every quote stands in its document, written there by synth, not in the Ledger's own article.
    quotes = tables["claims"].join(tables["documents"], on="document_id").select("path", "quote")
    assert quotes["path"].n_unique() == min(10, tables["documents"].height)
    assert quotes.height == tables["claims"].height
    for path, quote in quotes.rows()[:50]:
        assert quote in (valid / path).read_text(encoding="utf-8")
    # About 20 related rows (citations) for each row they can name, each naming a row that exists.
    named = load.resources(descriptor)[[r["name"] for r in load.resources(descriptor)].index("citations")]
    tables_named = named["schema"]["fields"][0]["constraints"]["enum"]
    entities = sum(tables[name].height for name in tables_named)
    assert 18 <= tables["citations"].height / entities <= 22
    assert tables["citations"].group_by("resource", "row_id").len()["len"].min() >= 15

    broken = tmp_path / "broken"
    result = CliRunner().invoke(
        cli,
        ["synth", "--root", str(root), "--rows", "6000", "--out", str(broken), "--distinct", "--errors", ",".join(ERROR_TYPES)],
    )
    assert result.exit_code == 0, result.output
    ours, theirs, _, _ = findings(broken)
    assert ours == theirs
    assert len(theirs) == 10 * len(ERROR_TYPES)
