"""The CSV reader: a file parsed with Python's csv module's semantics at Polars' speed, a chunk of
lines at a time, into `Parsed` parts of text cells (with each row's cell count, so short rows are
known). Where Polars cannot read a file exactly as Python's csv does, the file is read again the
slow way. Also the control characters no cell may hold, found from a chunk's bytes as it is read.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import threading
from array import array
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

csv.field_size_limit(sys.maxsize)  # a long cell is data, not a parse error


class CsvError(Exception):
    """The CSV cannot be read at all (a NUL byte, say): file and row are in the message."""

    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row = row


@dataclass
class Parsed:
    """A CSV as text: header labels, the number of cells in each data row, and the cells."""

    labels: list[str]
    counts: pl.Series  # cells in each data row (a short row has fewer than the header)
    cells: pl.DataFrame  # String columns c0…; null where the row has no such cell, "" for an empty one
    first_row: int  # row number of the first data row (2 below a header)
    clean: bool = False  # known to hold no control character (see scan)
    one_line: bool = False  # known to hold no line break in any cell (one row per line)
    unclosed: tuple[int, int, int] | None = None  # (row, cell index, lines it swallowed): see _unclosed_quote


def python_dialect(dialect: dict) -> dict:
    return {
        "delimiter": dialect.get("delimiter", ","),
        "quotechar": dialect.get("quoteChar", '"'),
        "doublequote": dialect.get("doubleQuote", True),
        "escapechar": dialect.get("escapeChar"),
        "skipinitialspace": dialect.get("skipInitialSpace", False),
        "strict": False,
    }


CHUNK_BYTES = 16 * 2**20  # parsed and checked a chunk at a time: bounded transient memory, few Polars calls


class _SlowPath(Exception):
    """Polars cannot read this file exactly as Python's csv does: read it with Python's rows."""


def labels_of(path: Path, dialect: dict) -> list[str]:
    """The header row (none when the dialect says the file has no header)."""
    if not dialect.get("header", True):
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, **python_dialect(dialect))
        try:
            return next(reader, [])
        except csv.Error as error:
            raise CsvError(1, f"cannot be read as CSV at row 1: {error}") from None


def read_parts(path: Path, dialect: dict, consume, pool: Executor | None = None) -> list:
    """Parse the CSV with Python's csv module's semantics at Polars' speed; `consume` each part.

    Polars reads the values, a chunk of lines at a time (on `pool`'s threads when given: Polars
    releases the GIL, so chunks are parsed and checked side by side). It cannot tell a short row
    from one ending in an empty cell, so the cells of each row whose last cell is empty are
    counted from its raw line. Where Polars cannot read the file as Python does (a quoted line
    break, stray quotes, CR-only line ends, an escape character), the whole file is read again as
    one part: cells counted by Python's csv, values from Polars where it agrees on the rows, else
    from Python's rows. Returns what `consume` returned for each part, in file order.
    """
    return start_parts(path, dialect, consume, pool)()


def start_parts(path: Path, dialect: dict, consume, pool: Executor | None = None):
    """read_parts in two steps: the chunks are read and handed to `pool` now; the function
    returned waits for them (so the next file can be read meanwhile)."""
    options = python_dialect(dialect)

    def slow() -> list:
        return [consume(_slow_parse(path, options, dialect.get("header", True)))]

    if not (dialect.get("header", True) and _plain(options)):
        return slow
    try:
        jobs = _fast_parts(path, options, consume, pool)
    except _SlowPath:
        return slow

    def finish() -> list:
        results, fast = [], True
        for done in jobs:  # wait for every chunk before giving up on any
            try:
                results.append(done.result())
            except _SlowPath:
                fast = False
        return results if fast else slow()

    return finish


def parse_csv(path: Path, dialect: dict) -> Parsed:
    """The whole CSV as one part."""
    parts = read_parts(path, dialect, lambda part: part)
    if len(parts) == 1:
        return parts[0]
    return Parsed(
        parts[0].labels,
        pl.concat([p.counts for p in parts]),
        pl.concat([p.cells for p in parts]),
        parts[0].first_row,
    )


def _slow_parse(path: Path, options: dict, header: bool) -> Parsed:
    counts = array("I")
    labels: list[str] | None = None
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, **options)
        try:
            if header:
                labels = next(reader, [])
            counts.extend(map(len, reader))
        except csv.Error as error:
            raise CsvError(reader.line_num, f"cannot be read as CSV at row {reader.line_num}: {error}") from None
    width = max([len(labels or [])] + ([max(counts)] if counts else []))
    first_row = 2 if header else 1
    cells = _polars_cells(path, options, width, len(counts) + (1 if header else 0))
    if cells is None:
        cells = _python_cells(path, options, width)
    if header:
        cells = cells.slice(1)
    parsed = _with_counts(labels or [], pl.Series("n", counts, dtype=pl.UInt32), cells, first_row)
    parsed.unclosed = _unclosed_quote(path, options, parsed)
    return parsed


def _unclosed_quote(path: Path, options: dict, parsed: Parsed) -> tuple[int, int, int] | None:
    """Where a quote opened that the file never closes: Python's csv (strict=False) then reads the
    rest of the file into that one cell, the last of the last row. Known when the file ends with
    the quote and that cell's text as it would be written inside quotes (with no closing quote)."""
    quote = options["quotechar"]
    height = parsed.cells.height
    if not height or not quote or not options["doublequote"] or options["escapechar"]:
        return None
    index = int(parsed.counts[-1]) - 1
    cell = parsed.cells[height - 1, f"c{index}"] if index >= 0 else None
    if not cell:
        return None
    tail = (quote + cell.replace(quote, quote * 2)).encode("utf-8")
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - len(tail)))
        if handle.read() != tail:
            return None
    return parsed.first_row + height - 1, index, cell.count("\n") + (0 if cell.endswith("\n") else 1)


def _with_counts(labels: list[str], counts: pl.Series, cells: pl.DataFrame, first_row: int) -> Parsed:
    """Null, not "", where a short row has no cell."""
    width = cells.width
    if counts.len() and counts.min() < width:
        cells = cells.with_columns(
            pl.when(pl.lit(counts) > j).then(pl.col(f"c{j}")).otherwise(None).alias(f"c{j}") for j in range(width)
        )
    return Parsed(labels, counts, cells, first_row)


def _plain(options: dict) -> bool:
    """A dialect Polars reads exactly as Python's csv does."""
    return (
        options["doublequote"]
        and options["escapechar"] is None
        and not options["skipinitialspace"]
        and len(options["delimiter"]) == 1
        and len(options["quotechar"] or "") == 1
    )


def _fast_parts(path: Path, options: dict, consume, pool: Executor | None) -> list:
    """Chunks of whole lines, each parsed by Polars and consumed, as Futures (a chunk's raises
    _SlowPath where Polars' reading is not exact).

    On a ChunkPool, chunks wait for a free slot before they are read.
    """
    labels = labels_of(path, {"delimiter": options["delimiter"], "quoteChar": options["quotechar"]})
    width = len(labels)
    if width == 0:
        raise _SlowPath
    jobs = []
    slots = pool.slots if isinstance(pool, ChunkPool) else threading.BoundedSemaphore(1)

    kept = b"\r" + options["delimiter"].encode() + (options["quotechar"] or "").encode()

    def job(data: bytes, scanned: Scanned, lines: int, skip: int, first_row: int):
        try:
            cells = _parse_chunk(data, lines, options, width, cr=scanned.count(b"\r") > 0).slice(skip)
            parsed = _with_counts(labels, _counts(cells, data, scanned, skip, options, width), cells, first_row)
            parsed.clean, parsed.one_line = scanned.clean, True
            return consume(parsed)
        finally:
            slots.release()

    with open(path, "rb") as handle:
        start = 3 if handle.read(3) == b"\xef\xbb\xbf" else 0
        skip, first_row = 1, 2
        while True:
            # A chunk ends at the end of the line CHUNK_BYTES in, found first: one read, no copy.
            handle.seek(start + CHUNK_BYTES)
            end = start + CHUNK_BYTES + len(handle.readline())
            handle.seek(start)
            data = handle.read(end - start)
            if not data:
                break
            start += len(data)
            scanned = scan(data, kept)
            lines = scanned.newlines + (0 if data.endswith(b"\n") else 1)
            slots.acquire()
            arguments = (data, scanned, lines, skip, first_row)
            jobs.append(pool.submit(job, *arguments) if pool else _Done(job, *arguments))
            first_row += lines - skip  # _parse_chunk holds a chunk to one row per line, else the slow path reads the file
            skip = 0
    return jobs


class ChunkPool(ThreadPoolExecutor):
    """Threads that parse and check chunks, with at most as many chunks in flight as threads
    (across every table using the pool), so memory stays bounded however fast files are read."""

    def __init__(self, workers: int):
        super().__init__(workers)
        self.slots = threading.BoundedSemaphore(workers)


class _Done:
    """A job run at once, shaped like a finished Future."""

    def __init__(self, job, *args):
        try:
            self.value, self.error = job(*args), None
        except _SlowPath as error:
            self.value, self.error = None, error

    def result(self):
        if self.error:
            raise self.error
        return self.value


# Text that breaks YAML front matter, HTML or a spreadsheet: C0 controls but tab, newline and
# carriage return; DEL; the C1 block (what Latin-1 mojibake leaves behind); line and paragraph
# separators; the noncharacters U+FFFE and U+FFFF. builder.package.safety_cells refuses them in every cell.
CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]"
CONTROL_RE = re.compile(CONTROL)
PLAIN_BYTES = frozenset(range(0x20, 0x7F)) | {ord("\t"), ord("\r")}  # and the line feed, counted


@dataclass
class Scanned:
    """What one pass over a chunk's bytes found (scan)."""

    newlines: int  # line feeds
    clean: bool  # no CONTROL character
    rest: bytes  # the bytes left: line feeds, the bytes kept, and every byte that is not printable ASCII
    kept: dict[bytes, int]  # how many of each printable byte kept, counted as the pass ended

    def count(self, text: bytes) -> int:
        """How many times `text` (a delimiter, a quote: a byte scan kept, or bytes it never deletes)
        occurs in the chunk. A kept byte was counted in scan's pass; nothing is counted twice."""
        return self.kept[text] if text in self.kept else self.rest.count(text)

    def full_rows(self, delimiter: bytes, quote: bytes, rows: int, width: int) -> bool:
        """Whether every one of `rows` rows has all `width` cells, from the delimiters alone. Without
        a quote or a carriage return each delimiter separates two cells (Polars refuses a row with
        too many), so `rows` × (width - 1) of them means no row is short. (With one column an empty
        line, a row of no cells, has as many delimiters as a row of one empty cell: none.)"""
        if width < 2 or (quote and self.count(quote)) or self.count(b"\r"):
            return False
        return self.count(delimiter) == rows * (width - 1)


@lru_cache(maxsize=16)
def _deleted(kept: bytes) -> bytes:
    return bytes(sorted(PLAIN_BYTES - set(kept)))


def scan(data: bytes, kept: bytes = b"") -> Scanned:
    """Line feeds and CONTROL characters in one C-speed pass: what is left once the printable ASCII
    (but the bytes `kept`, to be counted) is deleted is those bytes, line feeds and whole UTF-8
    characters."""
    rest = data.translate(None, _deleted(kept))
    newlines = rest.count(b"\n")
    counts = {bytes([byte]): rest.count(bytes([byte])) for byte in set(kept) if byte in PLAIN_BYTES}
    if newlines + sum(counts.values()) == len(rest):
        return Scanned(newlines, True, rest, counts)
    try:
        return Scanned(newlines, CONTROL_RE.search(rest.decode("utf-8")) is None, rest, counts)
    except UnicodeDecodeError:
        return Scanned(newlines, False, rest, counts)


def _parse_chunk(data: bytes, lines: int, options: dict, width: int, cr: bool) -> pl.DataFrame:
    try:
        cells = pl.read_csv(
            data,
            has_header=False,
            schema={f"c{j}": pl.String for j in range(width)},
            separator=options["delimiter"],
            quote_char=options["quotechar"],
            empty_string_is_null=False,
            truncate_ragged_lines=False,  # a longer row raises: the slow path counts its extra cells
        )
    except pl.exceptions.PolarsError:
        raise _SlowPath from None
    if cells.height != lines:
        raise _SlowPath  # a record spans lines (a quoted line break), or the parsers disagree
    if cr and cells.select(pl.any_horizontal(pl.all().str.contains("\r", literal=True)).any()).item():
        raise _SlowPath  # CR-only line ends: Python's csv ends a record there
    return cells


def _lines(data: bytes) -> pl.Series:
    """The chunk's raw lines (only read when some row may be short)."""
    lines = pl.read_csv(
        data,
        has_header=False,
        schema={"line": pl.String},
        separator="\x1f",
        quote_char=None,
        empty_string_is_null=False,
        truncate_ragged_lines=True,
    )["line"]
    if lines.str.contains("\x1f", literal=True).any():
        raise _SlowPath  # the line reader split a line: count the slow way
    return lines


def _counts(cells: pl.DataFrame, data: bytes, scanned: Scanned, skip: int, options: dict, width: int) -> pl.Series:
    """Cells per row. Where the chunk's delimiters show every row full (Scanned.full_rows), that is
    all; else only a row whose last cell is empty can be short, and those are counted from their line."""
    counts = pl.repeat(width, cells.height, dtype=pl.UInt32, eager=True).alias("n")
    delimiter, quote = options["delimiter"].encode(), (options["quotechar"] or "").encode()
    if scanned.full_rows(delimiter, quote, cells.height + skip, width):
        return counts
    maybe_short = (cells[f"c{width - 1}"] == "").fill_null(True)
    if not maybe_short.any():
        return counts
    lines = _lines(data).slice(skip)
    if lines.len() != cells.height:
        raise _SlowPath
    candidates = lines.filter(maybe_short)
    quoted = candidates.str.contains(options["quotechar"], literal=True)
    counted = (candidates.str.count_matches(options["delimiter"], literal=True) + 1).cast(pl.UInt32)
    counted = counted.set(candidates.str.len_bytes() == 0, 0)  # an empty line is a row of no cells
    if quoted.any():
        exact = [len(row) for row in csv.reader(candidates.filter(quoted).to_list(), **options)]
        counted = counted.scatter(quoted.arg_true(), pl.Series(exact, dtype=pl.UInt32))
    return counts.scatter(maybe_short.arg_true(), counted)


def _polars_cells(path: Path, options: dict, width: int, records: int) -> pl.DataFrame | None:
    plain = options["doublequote"] and options["escapechar"] is None and not options["skipinitialspace"]
    if not plain or width == 0 or len(options["delimiter"]) != 1 or len(options["quotechar"] or '"') != 1:
        return None
    try:
        frame = pl.read_csv(
            path,
            has_header=False,
            schema={f"c{j}": pl.String for j in range(width)},
            missing_columns="insert",
            separator=options["delimiter"],
            quote_char=options["quotechar"],
            empty_string_is_null=False,
            truncate_ragged_lines=True,
            encoding="utf8",
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.height != records:
        return None
    if frame.height and frame[0, 0] is not None and frame[0, 0].startswith("\ufeff"):
        frame = frame.with_columns(pl.col("c0").str.strip_prefix("\ufeff"))
    return frame


def _python_cells(path: Path, options: dict, width: int) -> pl.DataFrame:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, **options))
    return pl.DataFrame(
        {f"c{j}": pl.Series([row[j] if j < len(row) else None for row in rows], dtype=pl.String) for j in range(width)}
    )
