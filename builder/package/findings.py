"""What the table checks hand on: the row-number column, errors shaped like frictionless's, and
`Checked`, a table after its row checks (the typed frame and the values its key checks compare).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import polars as pl

ROW = "__row"


def row_numbers(first: int, frame: pl.DataFrame) -> pl.Series:
    """Row numbers of `frame`'s rows from `first`, chunked as its first column is. Polars selects
    and filters a frame whose columns are chunked alike as it is; one column chunked otherwise (a
    row index made whole beside cells read in pieces) makes it copy every column whole first:
    45 MiB for a 1M-row key."""
    pieces = frame.to_series(0).get_chunks() if frame.width else [frame]
    numbers, start = [], first
    for piece in pieces:
        numbers.append(pl.int_range(start, start + len(piece), eager=True, dtype=pl.Int64))
        start += len(piece)
    return pl.concat(numbers, rechunk=False).alias(ROW)


def error(kind: str, row: int | None = None, **attributes) -> SimpleNamespace:
    """An error shaped like frictionless's, so validate.map_error words both alike."""
    base = dict(
        type=kind,
        row_number=row,
        field_name="",
        cell="",
        note="",
        message="",
        field_number=None,
        label="",
        field_names=[],
        field_cells=[],
        reference_name="",
        reference_field_names=[],
    )
    return SimpleNamespace(**(base | attributes))


@dataclass
class Checked:
    """A resource after its row checks: the typed frame and what the key checks compare."""

    frame: pl.DataFrame | pl.LazyFrame  # schema fields, typed, in schema order: what is derived and published
    keys: pl.DataFrame | pl.LazyFrame  # expected fields' comparable values (null for a type error), plus ROW
    expected: list[str]
    errors: list[SimpleNamespace]
    clean: bool  # no cell holds a control character (known from the bytes as they were read)
    unclosed: tuple[int, int, int] | None = None  # a quote the file never closes (Parsed.unclosed)
