"""Issue 20: a chunk's columns are read in one Polars query (builder.package.columns_query), and
give what reading them one at a time (columns.read_column) gives: values, keys, type errors and
every constraint's mask, in the same order. Columns the query cannot read exactly are read one
at a time, and the test names which."""

from __future__ import annotations

import polars as pl
import pytest
from frictionless import Schema
from polars.testing import assert_series_equal

from builder.package import columns_query
from builder.package.columns import PatternError, read_column
from builder.package.columns_query import read_columns

FIELDS = [
    {"name": "s", "type": "string", "constraints": {"enum": ["a", "bc", "NA"], "pattern": "[a-z]+", "required": True}},
    {"name": "short", "type": "string", "constraints": {"maxLength": 2, "minLength": 1, "required": False}},
    {"name": "i", "type": "integer", "constraints": {"minimum": 0, "maximum": 10, "enum": [1, 2, 3, 15]}},
    {"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01", "exclusiveMaximum": "2030-01-01"}},
    {"name": "b", "type": "boolean", "constraints": {"required": True}},
    {"name": "n", "type": "number"},
    {"name": "dt", "type": "datetime"},
]
CELLS = {
    "s": ["a", "bc", "", "NA", "Zz", "a", "xyz", None],
    "short": ["a", "abc", "", "NA", "é", "ab", "", None],
    "i": ["1", "-4", "", "NA", "15", "3", "99999999999999999999", None],
    "d": ["2020-01-01", "2019-12-31", "", "NA", "2030-01-01", "2024-02-28", "2024-13-01", None],
    "b": ["true", "FALSE", "", "NA", "yes", "1", "0", None],
    "n": ["1.5", "-0", "", "NA", "1e3", "NaN", "nan", None],
    "dt": ["2020-01-01T00:00:00Z", "x", "", "NA", "2020-01-01T00:00:00Z", "", "", None],
}


def fields_of(fields: list[dict], missing: list[str]):
    v2 = "https://datapackage.org/profiles/2.0/tableschema.json"  # exclusive bounds are v2
    return list(Schema.from_descriptor({"$schema": v2, "fields": fields, "missingValues": missing}).fields)


def frame_of(cells: dict[str, list]) -> pl.DataFrame:
    return pl.DataFrame({f"c{j}": pl.Series(values, dtype=pl.String) for j, values in enumerate(cells.values())})


def one_at_a_time(frame: pl.DataFrame, fields: list, one_line: bool = True) -> list:
    return [read_column(frame[f"c{j}"], f, one_line) for j, f in enumerate(fields)]


def assert_same(found: list, expected: list) -> None:
    for got, want in zip(found, expected, strict=True):
        for mine, theirs in [(got.values, want.values), (got.key, want.key), (got.type_error, want.type_error)]:
            assert_series_equal(mine, theirs, check_names=False)  # dtype too; NaN equals NaN
        assert list(got.constraints) == list(want.constraints)  # the order errors are reported in
        for name, mask in got.constraints.items():
            assert_series_equal(mask, want.constraints[name], check_names=False)


@pytest.fixture
def read_again(monkeypatch) -> list[str]:
    """The fields read one at a time, not by the query."""
    names = []

    def counted(cells, ffield, one_line=False, pattern=True):
        names.append(ffield.name)
        return read_column(cells, ffield, one_line, pattern)

    monkeypatch.setattr(columns_query, "read_column", counted)
    return names


@pytest.mark.parametrize("missing", [[""], ["", "NA"], []])
def test_one_query_reads_as_one_column_at_a_time(missing, read_again):
    fields, frame = fields_of(FIELDS, missing), frame_of(CELLS)
    assert_same(read_columns(frame, fields, one_line=True), one_at_a_time(frame, fields))
    # An integer too big for 64 bits, a date that is no date, 1e3 and NaN: frictionless's reader
    # has the last word. A datetime is always read by it.
    assert read_again == ["i", "d", "n", "dt"]


BOUNDED = [
    {"name": "count", "type": "integer", "constraints": {"minimum": 0, "maximum": 10, "enum": [0, 10, 11, 12]}},
    {"name": "day", "type": "date", "constraints": {"exclusiveMinimum": "2020-01-01", "exclusiveMaximum": "2030-01-01"}},
    {"name": "share", "type": "number", "constraints": {"enum": [0.5, 1]}},
]
ON_THE_BOUNDS = {
    "count": ["0", "10", "11", "-1", "", "12", "7", None],
    "day": ["2020-01-01", "2020-01-02", "2029-12-31", "2030-01-01", "", "2019-01-01", "2031-01-01", None],
    "share": ["0.5", "1", "1.0", "2", "", "0.25", "-0.5", None],
}


def test_plain_columns_are_never_read_one_at_a_time(read_again):
    plain = {k: v for k, v in CELLS.items() if k in ("s", "short", "b")} | ON_THE_BOUNDS
    fields = fields_of([f for f in FIELDS if f["name"] in plain] + BOUNDED, [""])
    frame = frame_of(plain)
    assert_same(read_columns(frame, fields, one_line=True), one_at_a_time(frame, fields))
    assert read_again == []


def test_what_the_query_cannot_run_is_read_one_at_a_time(read_again):
    fields = fields_of(
        [
            {"name": "look", "type": "string", "constraints": {"pattern": "(?!b)[a-z]+"}},  # Rust has no lookaround
            {"name": "lines", "type": "string", "constraints": {"pattern": "[a-z]+"}},
            {"name": "decimal", "type": "number", "constraints": {"minimum": 1.5}},  # a Decimal bound
            {"name": "beyond", "type": "string", "constraints": {"required": True}},  # no column: a short header
        ],
        [""],
    )
    frame = frame_of({"look": ["a", "b", ""], "lines": ["a\n", "b", "c\nd"], "decimal": ["1", "2", "1.5"]})
    expected = one_at_a_time(frame, fields[:3], one_line=False) + [read_column(pl.Series([None] * 3, dtype=pl.String), fields[3])]
    assert_same(read_columns(frame, fields, one_line=False), expected)
    assert read_again == ["look", "lines", "decimal", "beyond"]
    assert expected[1].constraints["pattern"].to_list() == [False, False, True]  # Python's $ before a final \n


def test_a_pattern_python_cannot_compile_is_named_before_anything_is_read():
    bad = {"name": "bad", "type": "string", "constraints": {"pattern": "(["}}
    fields = fields_of([{"name": "ok", "type": "string"}, bad], [""])
    with pytest.raises(PatternError) as raised:
        read_columns(frame_of({"ok": ["a"], "bad": ["b"]}), fields)
    assert raised.value.field == "bad"
