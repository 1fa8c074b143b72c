"""Issue 20: a foreign-key column that shares its target's `pattern` is checked from the target's
(builder.package.linked_patterns): a value found there passes or fails as it did there, a value
found nowhere is matched. The findings must stay frictionless's, row for row, in memory and
through the spill."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from builder.cli import cli
from builder.package import columns, linked_patterns
from tests.test_differential import AUTHORS, BOOKS, edit_field, findings, set_cell, streamed

SLUG = "^[a-z0-9]+(-[a-z0-9]+)*$"


@pytest.fixture
def linked(bookshelf):
    """The bookshelf with books.author_id under the pattern of the authors' ids it must be among."""
    edit_field(bookshelf, "books", "author_id", constraints={"pattern": SLUG})
    return bookshelf


@pytest.fixture
def matched(monkeypatch) -> list[list[str]]:
    """The values each pattern check of a linked column matched itself."""
    calls = []
    pattern_fails = columns.pattern_fails

    def spy(values, pattern, one_line=False):
        calls.append(values.to_list())
        return pattern_fails(values, pattern, one_line)

    monkeypatch.setattr(linked_patterns, "pattern_fails", spy)
    return calls


def test_the_link_is_taken_only_where_the_patterns_agree(linked):
    from builder.check.schema import Resources

    descriptor = json.loads((linked / "datapackage.json").read_text(encoding="utf-8"))
    names = {"books", "authors", "sources"}
    resources = Resources(descriptor, linked)
    found = linked_patterns.links({name: resources.get_resource(name) for name in names})
    assert found == {"books": [linked_patterns.Link("author_id", "authors", "author_id", SLUG)]}
    edit_field(linked, "books", "author_id", constraints={"pattern": "[a-z-]+"})  # another pattern: matched as before
    descriptor = json.loads((linked / "datapackage.json").read_text(encoding="utf-8"))
    resources = Resources(descriptor, linked)
    assert linked_patterns.links({name: resources.get_resource(name) for name in names}) == {}


def test_values_found_in_the_target_are_not_matched_again(linked, matched, monkeypatch):
    ours, theirs, tables, _ = findings(linked)
    assert ours == theirs == set()
    assert matched == []  # every author id was found among the authors'


def test_a_value_found_nowhere_is_matched_and_reported_twice(linked, matched, monkeypatch):
    set_cell(linked, BOOKS, 2, "author_id", "Jane Austen")
    ours, theirs, tables, _ = findings(linked)
    assert ours == theirs
    assert {(BOOKS, 2, "author_id", "constraint-error"), (BOOKS, 2, "author_id", "foreign-key")} <= ours
    assert matched == [["Jane Austen"]]
    assert streamed(linked, monkeypatch, tables) == ours


def test_a_value_that_fails_in_the_target_fails_on_every_row_naming_it(linked, monkeypatch):
    set_cell(linked, AUTHORS, 2, "author_id", "Jane_Austen")
    set_cell(linked, BOOKS, 2, "author_id", "Jane_Austen")
    set_cell(linked, BOOKS, 3, "author_id", "Jane_Austen")
    ours, theirs, tables, _ = findings(linked)
    assert ours == theirs
    assert {(AUTHORS, 2, "author_id", "constraint-error")} | {
        (BOOKS, row, "author_id", "constraint-error") for row in (2, 3)
    } <= ours
    assert not any(f[3] == "foreign-key" for f in ours)  # found: the link holds
    assert streamed(linked, monkeypatch, tables) == ours


def test_a_line_break_is_matched_as_python_matches_it(linked, monkeypatch):
    """Python's `$` matches before a final line break: "jane-austen\\n" passes the pattern, and is
    no author's id."""
    set_cell(linked, BOOKS, 2, "author_id", "jane-austen\n")
    set_cell(linked, BOOKS, 3, "author_id", "jane\naustin")
    ours, theirs, tables, _ = findings(linked)
    assert ours == theirs
    assert (BOOKS, 2, "author_id", "constraint-error") not in ours
    assert {(BOOKS, 2, "author_id", "foreign-key"), (BOOKS, 3, "author_id", "constraint-error")} <= ours


def test_an_unreadable_target_leaves_every_value_to_be_matched(linked, matched):
    """`builder validate` finds a file is not UTF-8 as it reads it: the link was taken, and with no
    target to look in, every value of the column is matched."""
    (linked / AUTHORS).write_bytes((linked / AUTHORS).read_bytes().replace(b"Jane Austen", b"Jane \xc0usten"))
    set_cell(linked, BOOKS, 4, "author_id", "Virginia Woolf")
    result = CliRunner().invoke(cli, ["validate", "--root", str(linked), "--json"])
    found = {(p["path"], p["row"], p["field"], p["type"]) for p in json.loads(result.output)["problems"]}
    assert {(AUTHORS, 2, None, "encoding-error"), (BOOKS, 4, "author_id", "constraint-error")} <= found
    assert sorted(matched[0]) == ["Virginia Woolf", "jane-austen"]  # every distinct value


def test_script_in_a_linked_value_is_reported_as_the_text_it_is(linked, matched):
    """A hostile value found nowhere: matched, reported twice (pattern and foreign key) as
    frictionless reports it, and printed as text, never run or reshaped."""
    hostile = '"><script>alert(1)</script>'
    set_cell(linked, BOOKS, 3, "author_id", hostile)
    ours, theirs, _, _ = findings(linked)
    assert ours == theirs
    assert {(BOOKS, 3, "author_id", "constraint-error"), (BOOKS, 3, "author_id", "foreign-key")} <= ours
    assert matched == [[hostile]]
    result = CliRunner().invoke(cli, ["validate", "--root", str(linked), "--json"])
    cells = {p["message"] for p in json.loads(result.output)["problems"] if p["type"] == "constraint-error"}
    assert any(hostile in message for message in cells)
