"""Bad input: each case asserts the exact [file, row, field, type] a user is shown, and the exit code."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli


def run_validate(root: Path, *args: str):
    return CliRunner().invoke(cli, ["validate", "--root", str(root), *args])


def problems(root: Path) -> list[list]:
    result = run_validate(root, "--json")
    report = json.loads(result.output)
    assert result.exit_code == (0 if report["valid"] else 1)
    return [[p["path"], p["row"], p["field"], p["type"]] for p in report["problems"]]


def append(root: Path, table: str, line: str) -> None:
    with open(root / "data" / f"{table}.csv", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def rewrite(root: Path, table: str, old: str, new: str) -> None:
    path = root / "data" / f"{table}.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_valid_package_exits_zero(bookshelf):
    result = run_validate(bookshelf)
    assert result.exit_code == 0
    assert result.output == "The package bookshelf is valid.\n"


def test_bad_date(bookshelf):
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,249,2023-02-30,gutenberg-austen")
    assert problems(bookshelf) == [["data/books.csv", 5, "published", "type-error"]]
    result = run_validate(bookshelf)
    assert result.exit_code == 1
    assert result.output == (
        "data/books.csv\n"
        '  row 5, field published [type-error]: "2023-02-30" is not a valid date.\n'
        "      fix: Write a real calendar date as YYYY-MM-DD (for a month or year only, use the first day and "
        "set the precision field).\n"
        "1 problem in 1 file: the package is not valid.\n"
    )


def test_the_command_exits_with_its_code_and_all_its_output(bookshelf):
    """`builder` ends its process at once (cli.main): the report is still written whole, through a pipe."""
    import subprocess
    import sys

    builder = Path(sys.executable).parent / "builder"
    valid = subprocess.run([str(builder), "validate", "--root", str(bookshelf)], capture_output=True, text=True)
    assert (valid.returncode, valid.stdout) == (0, "The package bookshelf is valid.\n")
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,249,2023-02-30,gutenberg-austen")
    broken = subprocess.run([str(builder), "validate", "--root", str(bookshelf), "--json"], capture_output=True, text=True)
    assert broken.returncode == 1
    assert [p["type"] for p in json.loads(broken.stdout)["problems"]] == ["type-error"]
    usage = subprocess.run([str(builder), "validate", "--nope"], capture_output=True, text=True)
    assert usage.returncode == 2 and "Error: No such option '--nope'." in usage.stderr


def test_unknown_enum_value(bookshelf):
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,romance,249,1817-12-20,gutenberg-austen")
    assert problems(bookshelf) == [["data/books.csv", 5, "genre", "constraint-error"]]
    assert "Use one of: novel, essay, poetry." in run_validate(bookshelf).output


def test_duplicate_primary_key(bookshelf):
    append(bookshelf, "books", "emma,Emma again,jane-austen,novel,474,1815-12-23,gutenberg-austen")
    assert problems(bookshelf) == [["data/books.csv", 5, "book_id", "primary-key"]]
    assert "Duplicate primary key (book_id) (same as row 3)." in run_validate(bookshelf).output


def test_dangling_foreign_key(bookshelf):
    append(bookshelf, "books", "persuasion,Persuasion,jane-eyre,novel,249,1817-12-20,gutenberg-austen")
    assert problems(bookshelf) == [["data/books.csv", 5, "author_id", "foreign-key"]]
    output = run_validate(bookshelf).output
    assert '"jane-eyre" in `author_id` is not a `author_id` in `authors`.' in output
    assert "fix: Correct the id, or add the missing row to authors." in output


def test_missing_required_cell(bookshelf):
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,249,,gutenberg-austen")
    assert problems(bookshelf) == [["data/books.csv", 5, "published", "constraint-error"]]
    assert "`published` is required but the cell is empty." in run_validate(bookshelf).output


def test_short_row_is_one_missing_cell_per_field(bookshelf):
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,249")
    assert problems(bookshelf) == [
        ["data/books.csv", 5, "published", "missing-cell"],
        ["data/books.csv", 5, "source_id", "missing-cell"],
    ]


def test_renamed_column(bookshelf):
    rewrite(bookshelf, "books", "genre", "kind")
    assert problems(bookshelf) == [["data/books.csv", 1, "genre", "incorrect-label"]]
    assert 'Column 4 is headed "kind" but the schema expects "genre".' in run_validate(bookshelf).output


def test_extra_column(bookshelf):
    path = bookshelf / "data" / "sources.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0] + ",rating"] + [line + ",5" for line in lines[1:]]) + "\n")
    assert problems(bookshelf) == [["data/sources.csv", 1, "rating", "extra-label"]]


def test_quote_not_in_document(bookshelf):
    append(bookshelf, "quotes", "misquote,opening,It is a truth universally known")
    assert problems(bookshelf) == [["data/quotes.csv", 3, "quote", "quote-not-found"]]
    assert (
        'The quote "It is a truth universally known" does not occur word for word in document `opening`.'
        in run_validate(bookshelf).output
    )


def test_header_only_csv(bookshelf):
    (bookshelf / "data" / "quotes.csv").write_text("quote_id,document_id,quote\n")
    assert problems(bookshelf) == [["data/quotes.csv", None, None, "no-rows"]]


def test_empty_file(bookshelf):
    (bookshelf / "data" / "quotes.csv").write_text("")
    assert problems(bookshelf) == [["data/quotes.csv", None, None, "file-empty"]]
    assert "Write the header row: quote_id,document_id,quote." in run_validate(bookshelf).output


def test_non_utf8_file(bookshelf):
    path = bookshelf / "data" / "authors.csv"
    path.write_bytes(path.read_bytes().replace(b"Jane Austen", "Jane Austén".encode("latin-1")))
    assert problems(bookshelf) == [["data/authors.csv", 2, None, "encoding-error"]]
    assert "byte 0xe9 at row 2 cannot be decoded" in run_validate(bookshelf).output


def test_csv_missing_on_disk(bookshelf):
    (bookshelf / "data" / "authors.csv").unlink()
    assert problems(bookshelf) == [["data/authors.csv", None, None, "file-missing"]]
    output = run_validate(bookshelf).output
    assert "data/authors.csv is named in datapackage.json (resource `authors`) but does not exist." in output
    assert str(bookshelf) not in output  # no absolute paths in messages


def test_descriptor_json_syntax_error(bookshelf):
    path = bookshelf / "datapackage.json"
    path.write_text(path.read_text().replace('"version": "1.0.0",', '"version": "1.0.0"', 1))
    assert problems(bookshelf) == [["datapackage.json", 6, None, "descriptor-syntax"]]
    output = run_validate(bookshelf).output
    assert "JSON syntax error at line 6, column 3: Expecting ',' delimiter." in output


def test_descriptor_not_a_data_package(bookshelf):
    (bookshelf / "datapackage.json").write_text(
        '{"name": "bookshelf", "title": "B", "description": "D", "resources": [{"name": "books"}]}\n'
    )
    assert problems(bookshelf) == [["datapackage.json", None, None, "descriptor-invalid"]] * 2
    output = run_validate(bookshelf).output
    assert "resource `books` has no CSV `path`." in output
    assert "resource `books` has no schema." in output


def test_descriptor_with_resources_of_the_wrong_type(bookshelf):
    (bookshelf / "datapackage.json").write_text('{"name": "bookshelf", "resources": 5}\n')
    assert problems(bookshelf) == [["datapackage.json", None, None, "descriptor-invalid"]]
    assert "`resources` is int, not a list." in run_validate(bookshelf).output


def test_precision_must_match_date(bookshelf):
    rewrite(bookshelf, "authors", "1775-12-16,day", "1775-12-16,month")
    assert problems(bookshelf) == [["data/authors.csv", 2, "born", "precision-mismatch"]]
    assert "Write 1775-12-01, or set `born_precision` to day." in run_validate(bookshelf).output


def test_fact_dated_after_its_source_was_read(bookshelf):
    rewrite(bookshelf, "books", "1929-10-24", "2025-10-24")
    assert problems(bookshelf) == [["data/books.csv", 4, "published", "date-after-access"]]


def test_javascript_url_is_rejected(bookshelf):
    append(bookshelf, "sources", "evil,Evil,javascript:alert(1),2024-01-01")
    # once, as frictionless reports it (the schema's http(s) pattern), not also as the unsafe-url rule
    assert problems(bookshelf) == [["data/sources.csv", 4, "url", "constraint-error"]]


def test_javascript_url_in_a_field_no_pattern_guards_is_rejected(bookshelf):
    data = json.loads((bookshelf / "datapackage.json").read_text(encoding="utf-8"))
    url = next(f for f in data["resources"][0]["schema"]["fields"] if f["name"] == "url")
    del url["constraints"]["pattern"]
    (bookshelf / "datapackage.json").write_text(json.dumps(data), encoding="utf-8")
    append(bookshelf, "sources", "evil,Evil,javascript:alert(1),2024-01-01")
    assert problems(bookshelf) == [["data/sources.csv", 4, "url", "unsafe-url"]]


def test_every_problem_is_collected_at_once(bookshelf):
    append(bookshelf, "books", "persuasion,Persuasion,jane-eyre,romance,249,2023-02-30,gutenberg-austen")
    append(bookshelf, "quotes", "misquote,opening,not in the text")
    assert problems(bookshelf) == [
        ["data/books.csv", 5, "author_id", "foreign-key"],
        ["data/books.csv", 5, "genre", "constraint-error"],
        ["data/books.csv", 5, "published", "type-error"],
        ["data/quotes.csv", 3, "quote", "quote-not-found"],
    ]


def test_json_report_is_stable_and_has_no_timings(bookshelf):
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,249,2023-02-30,gutenberg-austen")
    first = run_validate(bookshelf, "--json").output
    assert first == run_validate(bookshelf, "--json").output
    assert "seconds" not in first and "time" not in json.loads(first)


def test_json_equals_library_report(bookshelf):
    from builder.package.paths import Paths
    from builder.pipeline import validate

    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,249,2023-02-30,gutenberg-austen")
    assert json.loads(run_validate(bookshelf, "--json").output) == validate(Paths.at(bookshelf)).to_dict()


def test_user_mistake_shows_no_traceback_but_debug_does(tmp_path):
    result = run_validate(tmp_path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "descriptor-missing" in result.output


def test_usage_error_exits_2(bookshelf):
    result = CliRunner().invoke(cli, ["validate", "--root", str(bookshelf), "--no-such-option"])
    assert result.exit_code == 2


@pytest.mark.parametrize("command", ["validate", "build", "serve", "synth", "init"])
def test_every_command_has_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output


def test_a_date_that_does_not_parse_is_one_problem(bookshelf):
    rewrite(bookshelf, "authors", "1775-12-16,day", "1775-13-16,day")
    assert problems(bookshelf) == [["data/authors.csv", 2, "born", "type-error"]]


def test_a_pattern_frictionless_cannot_anchor_is_a_problem_not_a_traceback(bookshelf):
    path = bookshelf / "datapackage.json"
    path.write_text(path.read_text().replace('"^[a-z0-9]+(-[a-z0-9]+)*$"', '"(?i)[a-z0-9-]+"', 1))
    result = run_validate(bookshelf)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert problems(bookshelf) == [["datapackage.json", None, "source_id", "descriptor-invalid"]]
    assert "global flags not at the start of the expression at position 1." in result.output
