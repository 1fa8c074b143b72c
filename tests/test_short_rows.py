"""Cells per row: a row whose last cell is empty may be short, and only its raw line says so.

The raw lines are read again only when the chunk's delimiters cannot rule short rows out (a quote
or a CR in the chunk, or a column of one field); the counts always equal Python's csv module's.
"""

from __future__ import annotations

import csv

import pytest

from builder.package import csvreader

HEADER = "id,name,note\n"
FULL = "".join(f"r{i},name {i},{'' if i % 10 else 'a note'}\n" for i in range(1, 201))  # the note mostly empty


def python_counts(path) -> list[int]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [len(row) for row in csv.reader(handle)][1:]


def test_an_optional_last_column_does_not_make_every_row_read_twice(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + FULL, encoding="utf-8")

    def never(*_):
        raise AssertionError("the raw lines were read again")

    monkeypatch.setattr(csvreader, "_lines", never)
    parsed = csvreader.parse_csv(path, {})
    assert parsed.counts.to_list() == python_counts(path) == [3] * 200


@pytest.mark.parametrize(
    "rows",
    [
        FULL + "r201,short\n",  # one cell short
        FULL + "\n" + "r202,after an empty line,\n",  # an empty line is a row of no cells
        FULL + "r203\n",  # two cells short, and no newline at the end below
        FULL.replace("\n", "\r\n") + "r204,short\r\n",  # CRLF: counted from the lines
        FULL + 'r205,"quoted, with a comma"\n',  # a quote: counted from the lines
        FULL + "r206,short",  # no final newline
    ],
)
def test_short_rows_are_counted_as_pythons_csv_counts_them(tmp_path, rows):
    path = tmp_path / "t.csv"
    path.write_bytes((HEADER + rows).encode("utf-8"))
    parsed = csvreader.parse_csv(path, {})
    assert parsed.counts.to_list() == python_counts(path)
    assert min(parsed.counts.to_list()) < 3


def test_a_file_of_one_column_with_an_empty_line_counts_it_as_no_cells(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id\na\n\nb\n", encoding="utf-8")
    assert csvreader.parse_csv(path, {}).counts.to_list() == python_counts(path) == [1, 0, 1]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", (0, True)),
        (b"a,b\r\nc,d", (1, True)),  # the carriage return is plain; the last line has no line feed
        ("a,\u00e9\n\u65e5,b\n".encode(), (2, True)),  # whole UTF-8 characters are no control
        (b"a\nb\x0b\nc\n", (3, False)),  # a vertical tab
        ("a\u2028b\n\n".encode(), (2, False)),  # a line separator, beside the line feeds it is not
        (b"\x7f\n", (1, False)),
        (b"a\n\xff\n", (2, False)),  # not UTF-8: left for the cell check to find
    ],
)
def test_one_pass_counts_line_feeds_and_finds_control_characters(data, expected):
    """A chunk's bytes are scanned once for both (issue 20): the line feeds number its rows, and a
    chunk found clean is not scanned again by the cell check."""
    scanned = csvreader.scan(data)
    assert (scanned.newlines, scanned.clean) == expected


@pytest.mark.parametrize(
    ("data", "rows", "full"),
    [
        (b"a,b,c\n1,2,3\n4,,\n", 3, True),  # empty cells are cells
        (b"a,b,c\n1,2,3\n\n", 3, False),  # an empty line is a row of no cells
        (b"a,b,c\n1,2\n", 2, False),  # a short row
        (b'a,b,c\n"1,2",3,\n', 2, False),  # a quote: a delimiter may be text
        (b"a,b,c\r\n1,2,3\r\n", 2, False),  # a carriage return: counted the slow way
    ],
)
def test_rows_are_known_full_from_their_delimiters(data, rows, full):
    """Issue 20: where a chunk has no quote and no carriage return, its delimiters alone say that no
    row is short, and its raw lines are never read."""
    assert csvreader.scan(data, kept=b'\r,"').full_rows(b",", b'"', rows, 3) is full
