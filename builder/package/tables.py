"""One reader for checking and loading: each CSV is parsed once, checked against its Table Schema
column at a time in Polars, and the same typed frames go on to derive, export and render.

Frictionless stays the reference. Its own objects decide what it decides best and cheaply: the
header (`Header`: which label pairs with which field) and, for any value the vectorised fast path
does not recognise, the field's own cell reader, called once per distinct value. So " 432" in an
integer column, `1,5` with `decimalChar: ","`, `trueValues`, date `format`s and `missingValues`
load with exactly the semantics that validated them. tests/test_differential.py compares the
findings with `frictionless validate` on a corpus of broken packages.

Deliberate differences from `frictionless validate`: every error is reported (frictionless stops
at 1,000 per table); the declared dialect is used as is (frictionless also sniffs a sample and may
guess `skipInitialSpace` or an escape character); a `pattern` is matched with Polars' (Rust) regex
where it compiles, and with Python's `re` per distinct value where it does not (lookaround,
backreferences) or where the value contains a line break (Python's `$` also matches before a
final newline); integers are 64-bit (frictionless accepts any size). The README lists these too.
"""

from __future__ import annotations

import csv
import os
import re
import sys
import threading
from array import array
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import polars as pl
from frictionless import FrictionlessException

from builder.common.errors import BuilderError
from builder.package import canonical

ROW = "__row"
csv.field_size_limit(sys.maxsize)  # a long cell is data, not a parse error


class PatternError(Exception):
    """A `pattern` Python cannot compile the way frictionless anchors it (^pattern$)."""

    def __init__(self, field: str, error: re.error):
        super().__init__(f"{error}")
        self.field = field


class HeaderError(Exception):
    """The header cannot be paired with the schema's fields (fieldsMatch by name): the message says why."""


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
    clean: bool = False  # known to hold no control character (see no_control_characters)
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

    def job(data: bytes, lines: int, skip: int, first_row: int):
        try:
            cells = _parse_chunk(data, lines, options, width).slice(skip)
            parsed = _with_counts(labels, _counts(cells, data, skip, options, width), cells, first_row)
            parsed.clean, parsed.one_line = no_control_characters(data), True
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
            lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            slots.acquire()
            jobs.append(pool.submit(job, data, lines, skip, first_row) if pool else _Done(job, data, lines, skip, first_row))
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
# separators; the noncharacters U+FFFE and U+FFFF. builder.package.safety refuses them in every cell.
CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff]"
CONTROL_RE = re.compile(CONTROL)
PLAIN_BYTES = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def no_control_characters(data: bytes) -> bool:
    """True when the text holds no CONTROL character: checked on what is left once the printable
    ASCII is deleted (a C-speed pass), which is still whole UTF-8 characters."""
    rest = data.translate(None, PLAIN_BYTES)
    if not rest:
        return True
    try:
        return CONTROL_RE.search(rest.decode("utf-8")) is None
    except UnicodeDecodeError:
        return False


def _parse_chunk(data: bytes, lines: int, options: dict, width: int) -> pl.DataFrame:
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
    if b"\r" in data and cells.select(pl.any_horizontal(pl.all().str.contains("\r", literal=True)).any()).item():
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


def _counts(cells: pl.DataFrame, data: bytes, skip: int, options: dict, width: int) -> pl.Series:
    """Cells per row: only a row whose last cell is empty can be short; count those from their line."""
    counts = pl.repeat(width, cells.height, dtype=pl.UInt32, eager=True).alias("n")
    maybe_short = (cells[f"c{width - 1}"] == "").fill_null(True)
    if not maybe_short.any() or _none_short(cells, data, skip, options, width):
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


def _none_short(cells: pl.DataFrame, data: bytes, skip: int, options: dict, width: int) -> bool:
    """Whether no row is short, from byte counts alone (the raw lines are then never read: an
    optional last column, mostly empty, made every row a candidate). Without a quote or a CR,
    a row's line is its cells joined by the delimiter; Polars fills a short row's missing cells
    with "", so the cells' bytes plus width - 1 delimiters per row exceed the lines' bytes by the
    delimiters a short row (or an empty line) lacks, and equal them only when every row is full."""
    quote = (options["quotechar"] or "").encode()
    start = 0
    for _ in range(skip):  # the header line
        start = data.find(b"\n", start) + 1
        if start == 0:
            return False
    if width < 2 or data.find(b"\r", start) != -1 or (quote and data.find(quote, start) != -1):
        return False
    line_bytes = len(data) - start - data.count(b"\n", start)
    cell_bytes = cells.select(pl.sum_horizontal(pl.all().str.len_bytes().cast(pl.Int64).sum().fill_null(0))).item()
    return cell_bytes + cells.height * (width - 1) * len(options["delimiter"].encode()) == line_bytes


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


# Typed reading of one column ------------------------------------------------------------------

POLARS_TYPES = {"integer": pl.Int64, "number": pl.Float64, "date": pl.Date, "boolean": pl.Boolean}
INTEGER = r"^-?[0-9]{1,18}$"
NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


@dataclass
class Column:
    """One field read from its cells: typed values and where each rule failed."""

    values: pl.Series  # typed; null where missing or not of the type
    key: pl.Series  # what unique/primary/foreign keys compare (values, or their text for other types)
    type_error: pl.Series  # bool
    constraints: dict[str, pl.Series] = field(default_factory=dict)  # constraint name -> bool


def dtype_for(ffield) -> pl.DataType:
    return POLARS_TYPES.get(ffield.type, pl.String)


def fast_path(ffield) -> bool:
    kind = ffield.type
    if kind == "string":
        return ffield.format == "default"
    if kind == "integer":
        return ffield.bare_number
    if kind == "number":
        return ffield.bare_number and ffield.group_char == "" and ffield.decimal_char == "."
    if kind == "date":
        return ffield.format in ("default", "%Y-%m-%d")
    return kind == "boolean"


def missing_values(ffield) -> list[str]:
    if not ffield.has_defined("missing_values") and ffield.schema:
        return list(ffield.schema.missing_values)
    return list(ffield.missing_values)


def read_column(cells: pl.Series, ffield, one_line: bool = False) -> Column:
    """The field's values from its cells, with frictionless's semantics (`one_line`: no cell
    holds a line break)."""
    missing = cells.is_in(missing_values(ffield)).fill_null(False)
    present = cells.set(missing, None) if missing.any() else cells
    supported = set(ffield.supported_constraints)
    constraints = {k: v for k, v in ffield.constraints.items() if k in supported and v is not None}
    if "pattern" in constraints:
        try:
            re.compile(f"^{constraints['pattern']}$")
        except re.error as error:
            raise PatternError(ffield.name, error) from None
    if fast_path(ffield):
        values = _fast_values(present, ffield)
        key = values
        checked: dict[str, pl.Series] = {}
        slow = set()
    else:  # any other type: the field's own cell reader, once per distinct value
        values, key, checked = _slow_values(present, ffield, constraints)
        slow = set(constraints) - {"required", "unique"}
    if not fast_path(ffield):
        type_error = checked.pop("type")
    elif ffield.type == "string":  # any text is a string
        type_error = pl.repeat(False, present.len(), dtype=pl.Boolean, eager=True)
    else:
        type_error = present.is_not_null() & values.is_null()
    ok = ~type_error
    out: dict[str, pl.Series] = {}
    if constraints.get("required"):
        out["required"] = key.is_null() & ok
    for name, bound in constraints.items():
        if name in slow:
            out[name] = checked[name] & ok
        elif name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            limit = ffield.create_value_reader()(bound)
            test = {"minimum": values < limit, "maximum": values > limit}.get(name)
            if test is None:
                test = values <= limit if name == "exclusiveMinimum" else values >= limit
            if values.dtype == pl.Float64:
                test = test | values.is_nan()
            out[name] = test.fill_null(False) & ok
        elif name == "enum":
            reader = ffield.create_value_reader()
            allowed = pl.Series([reader(v) for v in bound], dtype=values.dtype, strict=False)
            out[name] = (values.is_not_null() & ~values.is_in(allowed.drop_nulls().implode())).fill_null(False) & ok
        elif name == "pattern":
            out[name] = pattern_fails(values, bound, one_line) & ok
        elif name in ("minLength", "maxLength"):
            length = values.str.len_chars()
            out[name] = ((length < bound) if name == "minLength" else (length > bound)).fill_null(False) & ok
    if type_error.any():  # a value that is not of the type is null in the frame and the keys
        values, key = values.set(type_error, None), key.set(type_error, None)
    return Column(values, key, type_error, out)


def _fast_values(present: pl.Series, ffield) -> pl.Series:
    kind = ffield.type
    if kind == "string":
        return present
    if kind == "boolean":
        mapping = {v: True for v in ffield.true_values} | {v: False for v in ffield.false_values}
        return present.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
    if kind == "integer":
        fast = present.set(~present.str.contains(INTEGER).fill_null(False), None).cast(pl.Int64, strict=False)
    elif kind == "number":
        fast = present.set(~present.str.contains(NUMBER).fill_null(False), None).cast(pl.Float64, strict=False)
    else:  # date
        fast = present.set(~present.str.contains(ISO_DATE).fill_null(False), None).str.to_date("%Y-%m-%d", strict=False)
    leftover = present.filter(present.is_not_null() & fast.is_null()).unique()
    if leftover.len() == 0:
        return fast
    reader = ffield.create_value_reader()
    parsed = [reader(value) for value in leftover.to_list()]
    if kind == "number":
        parsed = [None if value is None else float(value) for value in parsed]
    mapped = present.replace_strict(leftover, pl.Series(parsed, dtype=fast.dtype, strict=False), default=None)
    return fast.fill_null(mapped)


def _slow_values(present: pl.Series, ffield, constraints: dict) -> tuple[pl.Series, pl.Series, dict[str, pl.Series]]:
    distinct = present.drop_nulls().unique()
    reader = ffield.create_cell_reader()
    names = ["type"] + [n for n in constraints if n not in ("required", "unique")]
    targets: list = []
    flags: dict[str, list[bool]] = {n: [] for n in names}
    for value in distinct.to_list():
        target, notes = reader(value)
        notes = notes or {}
        targets.append(float(target) if ffield.type == "number" and target is not None else target)
        for name in names:
            flags[name].append(name in notes)
    keys = pl.Series([None if t is None else str(t) for t in targets], dtype=pl.String)
    key = present.replace_strict(distinct, keys, default=None)
    checked = {name: present.replace_strict(distinct, pl.Series(flags[name], dtype=pl.Boolean), default=False) for name in names}
    if ffield.type in POLARS_TYPES:  # typed as the fast path types them; other types keep their text
        values = present.replace_strict(distinct, pl.Series(targets, dtype=dtype_for(ffield), strict=False), default=None)
        key = values
    elif canonical.rewrites_text(ffield):  # a datetime in a `format`, a list with its own delimiter
        texts = pl.Series([canonical.cell_text(ffield, t) for t in targets], dtype=pl.String)
        values = present.replace_strict(distinct, texts, default=None)
    else:
        values = present.set(checked["type"], None)
    return values, key, checked


def pattern_fails(values: pl.Series, pattern: str, one_line: bool = False) -> pl.Series:
    """Frictionless matches re.compile("^" + pattern + "$").match(value); so do we, in Rust where we can."""
    python = re.compile(f"^{pattern}$")
    try:
        rust = values.str.contains(rf"\A(?:^{pattern}$)")
    except pl.exceptions.PolarsError:
        rust = None
    if rust is None:
        odd = values.is_not_null()
    elif one_line:
        return (~rust).fill_null(False)
    else:
        odd = values.str.contains("\n", literal=True).fill_null(False)  # Python's $ matches before a final \n
    if not odd.any():
        return (~rust).fill_null(False)
    distinct = values.filter(odd).unique()
    verdicts = pl.Series([python.match(v) is None for v in distinct.to_list()], dtype=pl.Boolean)
    by_python = values.replace_strict(distinct, verdicts, default=False)
    return by_python if rust is None else by_python.zip_with(odd, ~rust).fill_null(False)


# Checking a table ------------------------------------------------------------------------------


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


def check_table(
    resource, path: Path, dialect: dict, key_fields: set[str], pool: Executor | None = None, spill: Path | None = None
) -> Checked:
    """Header, cell and row checks of one frictionless resource, a chunk of rows at a time
    (side by side on `pool`'s threads when given)."""
    return start_table(resource, path, dialect, key_fields, pool, spill)()


def start_table(
    resource, path: Path, dialect: dict, key_fields: set[str], pool: Executor | None = None, spill: Path | None = None
):
    """check_table in two steps: the chunks are read and handed to `pool` now; the function
    returned waits for them and gives the Checked table.

    Only `key_fields` are kept for the key checks (unique, primary and foreign keys). With a
    `spill` folder (a file too big to hold, see streaming_bytes) each chunk's typed rows and keys
    go to Arrow IPC files there as soon as they are checked, and `frame` and `keys` come back as
    LazyFrames scanning them: the key checks run on Polars' streaming engine.
    """
    schema = resource.schema
    labels = labels_of(path, dialect)
    expected, header_errors = check_header(resource, labels)
    names = [f.name for f in expected]

    def check(parsed: Parsed):
        frame, keys, errors, clean = _check_part(parsed, expected, schema.fields, key_fields)
        if spill is None:
            return frame, keys, errors, clean, parsed.unclosed
        frame_file, keys_file = spill / f"frame-{parsed.first_row}.arrow", spill / f"keys-{parsed.first_row}.arrow"
        frame.write_ipc(frame_file)
        keys.write_ipc(keys_file)
        return frame_file, keys_file, errors, clean, parsed.unclosed  # the files of the parts kept (not of a fast read given up)

    pending = start_parts(path, dialect, check, pool)
    return lambda: _finish_table(pending(), header_errors, schema, names, spill)


@dataclass
class ExtraField:
    """A label beyond the schema's fields: its cells are neither typed nor published."""

    name: str
    type: str = "any"
    format: str = "default"


def check_header(resource, labels: list[str]) -> tuple[list, list[SimpleNamespace]]:
    """(the field each label pairs with, header errors), as frictionless's Header finds them.

    For the usual fieldsMatch "exact" (by position) this is one linear pass: Header copies the
    whole header into every error it makes and looks back over every earlier label for each
    label, so a header of 20,000 labels took minutes and gigabytes. Other modes use Header.
    """
    from frictionless.table.fields_match import resolve
    from frictionless.table.header import Header
    from frictionless.table.label_matching import deduplicate_names

    schema = resource.schema
    fields = list(schema.fields)
    ignore_case = not resource.dialect.header_case
    match = resolve(schema.fields_match if schema.has_defined("fields_match") else None, schema_sync=False)
    if not labels:
        return fields, []
    if match != "exact":
        header = Header(labels, fields=fields, row_numbers=[1], ignore_case=ignore_case, fields_match=match)
        try:
            return header.get_expected_fields(), list(header.errors)
        except FrictionlessException as fault:  # labels that cannot be paired with fields by name
            raise HeaderError(fault.error.note or fault.error.message) from None
    found = []
    for number in range(len(fields) + 1, len(labels) + 1):
        found.append(error("extra-label", 1, label=labels[number - 1], field_number=number))
    for number in range(len(labels) + 1, len(fields) + 1):
        found.append(error("missing-label", 1, field_name=fields[number - 1].name, field_number=number))
    seen: dict[str, list[int]] = {}
    for number, (ffield, label) in enumerate(zip(fields, labels, strict=False), start=1):  # the shorter ends it
        where = dict(field_name=ffield.name, field_number=number)
        if not label:
            found.append(error("blank-label", 1, label="", **where))
            continue
        earlier = seen.setdefault(label, [])
        if earlier:
            note = f'at position "{", ".join(map(str, earlier))}"'
            found.append(error("duplicate-label", 1, label=label, note=note, **where))
        elif (label.lower() != ffield.name.lower()) if ignore_case else (label != ffield.name):
            found.append(error("incorrect-label", 1, label=label, **where))
        earlier.append(number)
    names = deduplicate_names([f.name for f in fields[: len(labels)]] + labels[len(fields) :])
    return fields[: len(labels)] + [ExtraField(name) for name in names[len(fields) :]], found


def _finish_table(parts: list, header_errors: list, schema, names: list[str], spill: Path | None) -> Checked:
    errors = list(header_errors)
    for part in parts:
        errors.extend(part[2])
    clean = all(part[3] for part in parts)
    unclosed = next((part[4] for part in parts if part[4]), None)
    if spill is None:
        frame = pl.concat([part[0] for part in parts])
        keys = pl.concat([part[1] for part in parts])
        errors.extend(unique_errors(schema, names, keys))
        return Checked(frame, keys, names, errors, clean, unclosed)
    keys = pl.scan_ipc([part[1] for part in parts])
    if _may_repeat(schema, names, keys):  # only then are the key columns gathered, to name the rows
        errors.extend(unique_errors(schema, names, keys.collect(engine="streaming")))
    return Checked(pl.scan_ipc([part[0] for part in parts]), keys, names, errors, clean, unclosed)


STREAMING_VARIABLE = "LEDGER_STREAMING_BYTES"
# Decimal units as disk makers count (64MB = 64,000,000), binary ones as memory does (64MiB, and the
# bare 64M or 1G, as `sort -S` and container limits read them).
SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
SIZE_UNITS |= {f"{p}{s}": 2 ** (10 * n) for n, p in enumerate("kmgt", start=1) for s in ("", "ib")}
SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)\s*")


def streaming_bytes() -> int:
    """Files larger than this are checked from a spill on disk: LEDGER_STREAMING_BYTES, else a
    quarter of the memory available (validation holds about 2.5 times a table's CSV size)."""
    override = os.environ.get(STREAMING_VARIABLE)
    return parse_size(override) if override else _available_memory() // 4


def parse_size(text: str) -> int:
    """A size in bytes from `64MB`, `64MiB`, `1G` or `1000000`; BuilderError naming the variable otherwise."""
    match = SIZE.fullmatch(text.lower())
    if not match or match.group(2) not in SIZE_UNITS:
        raise BuilderError(
            f"{STREAMING_VARIABLE}={text!r} is not a size: write bytes (67108864) or a number with a unit"
            " (64MB, 64MiB, 64M, 1G; KB/MB/GB are powers of 1000, KiB/MiB/GiB and K/M/G of 1024)."
        )
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2)])


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:  # Linux: counts reclaimable cache
            return next(int(line.split()[1]) * 1024 for line in handle if line.startswith("MemAvailable:"))
    except (OSError, StopIteration, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):  # no sysconf (Windows): assume a small machine
        return 4 * 2**30


def _may_repeat(schema, names: list[str], keys: pl.LazyFrame) -> bool:
    """Whether a unique field or the primary key repeats (or the key is empty), by streaming
    group-bys: memory for the distinct keys, not the rows."""
    columns = set(keys.collect_schema().names())
    groups = [[name] for name in names if name in columns and schema.get_field(name).constraints.get("unique")]
    key = list(schema.primary_key)
    queries = []
    if key and set(key) <= set(names) and set(key) <= columns:
        groups.append(key)
        queries.append(keys.filter(pl.all_horizontal(pl.col(k).is_null() for k in key)).select(pl.len()))
    for group in groups:
        queries.append(keys.group_by(group).agg(pl.len().alias("__n")).filter(pl.col("__n") > 1).select(pl.len()))
    return any(result.item() for result in pl.collect_all(queries, engine="streaming"))


def _check_part(parsed: Parsed, expected: list, wanted: list, key_fields: set[str]):
    """(typed frame, key frame, errors) of one part of a table."""
    n = len(expected)
    height = parsed.cells.height
    rows = pl.int_range(parsed.first_row, parsed.first_row + height, eager=True, dtype=pl.Int64).alias(ROW)
    width = parsed.cells.width
    errors: list[SimpleNamespace] = []

    def cells_of(j: int) -> pl.Series:
        return parsed.cells[f"c{j}"] if j < width else pl.Series([None] * height, dtype=pl.String)

    # Labels beyond the schema's fields come last (check_header). Their cells are neither typed nor
    # published: all that matters is whether a row holds anything in them (a blank row) and which
    # rows are short, found for all of them at once (a header of 20,000 labels is 20,000 columns).
    described = [f for f in expected if not isinstance(f, ExtraField)]
    k = len(described)
    columns = [read_column(cells_of(j), f, parsed.one_line) for j, f in enumerate(described)]
    filled = None
    if n > k:
        if min(n, width) > k:
            top = parsed.cells[:, k : min(n, width)].max_horizontal()  # "" sorts first: "" or null when all are empty
            filled = (top.is_not_null() & (top != "")).fill_null(False)
        else:
            filled = pl.repeat(False, height, dtype=pl.Boolean, eager=True)
    # A blank row has every field empty; a column with no null (a required id, say) rules them out.
    blank = pl.repeat(False, height, dtype=pl.Boolean, eager=True)
    if height and all(column.key.null_count() for column in columns) and (filled is None or not filled.all()):
        blank = ~blank
        for column in columns:
            blank = blank & column.key.is_null() & ~column.type_error
        if filled is not None:
            blank = blank & ~filled
    not_blank = ~blank
    shortest, longest = (parsed.counts.min(), parsed.counts.max()) if height else (n, n)

    def emit(mask: pl.Series, make) -> None:
        if mask.any():
            picked = pl.DataFrame([rows, *make.series()]).filter(mask & not_blank)
            errors.extend(make.build(*values) for values in picked.iter_rows())

    if n > k and shortest < n:  # a short row misses the extra labels' cells too
        short = pl.DataFrame([rows, parsed.counts.alias("n")]).filter((parsed.counts < n) & not_blank)
        for row, count in short.iter_rows():
            errors.extend(
                error("missing-cell", row, field_name=expected[j].name, field_number=j + 1) for j in range(max(count, k), n)
            )
    for j, (ffield, column) in enumerate(zip(described, columns, strict=True)):
        source = cells_of(j).alias("cell")
        emit(
            column.type_error,
            _maker(
                lambda source=source: [source],
                lambda row, cell, f=ffield, j=j: error(
                    "type-error", row, field_name=f.name, field_number=j + 1, cell=cell, note=f'type is "{f.type}/{f.format}"'
                ),
            ),
        )
        for name, mask in column.constraints.items():
            emit(
                mask,
                _maker(
                    lambda source=source: [source.fill_null("")],
                    lambda row, cell, f=ffield, j=j, name=name: error(
                        "constraint-error",
                        row,
                        field_name=f.name,
                        field_number=j + 1,
                        cell=cell,
                        note=f'constraint "{name}" is "{f.constraints[name]}"',
                    ),
                ),
            )
        if shortest <= j:
            emit(
                parsed.counts <= j,
                _maker(list, lambda row, f=ffield, j=j: error("missing-cell", row, field_name=f.name, field_number=j + 1)),
            )
    for j in range(n, width if longest > n else n):
        emit(
            parsed.counts > j,
            _maker(
                lambda j=j: [parsed.cells[f"c{j}"].alias("cell")],
                lambda row, cell, j=j: error("extra-cell", row, field_number=j + 1, cell=cell),
            ),
        )
    if blank.any():
        errors.extend(error("blank-row", row) for row in rows.filter(blank).to_list())

    by_name = {f.name: c for f, c in zip(described, columns, strict=True)}
    keys = pl.DataFrame([rows] + [by_name[name].key.alias(name) for name in by_name if name in key_fields])
    frame = pl.DataFrame(
        [
            (by_name[f.name].values if f.name in by_name else pl.Series([None] * height, dtype=dtype_for(f)))
            .cast(dtype_for(f), strict=False)
            .alias(f.name)
            for f in wanted
        ],
        height=height,
    )
    return frame, keys, errors, parsed.clean


@dataclass
class _maker:
    series: object  # () -> the Series an error shows beside the row number, made only when one is found
    build: object


def unique_errors(schema, names: list[str], keys: pl.DataFrame) -> list[SimpleNamespace]:
    """`unique` fields and the primary key: a later row repeating an earlier value.

    One hash pass per column finds whether anything repeats at all (a valid table stops there);
    the primary key reuses its field's pass.
    """
    found = []
    duplicated: dict[str, pl.Series] = {}

    def repeats(name: str) -> pl.Series:
        if name not in duplicated:
            duplicated[name] = keys[name].is_duplicated()
        return duplicated[name]

    for name in names:
        ffield = schema.get_field(name) if schema.has_field(name) else None
        if ffield is None or not ffield.constraints.get("unique") or name not in keys.columns:
            continue
        if not repeats(name).any():
            continue
        column = keys[name]
        repeated = column.is_not_null() & ~column.is_first_distinct()
        for row, value in keys.filter(repeated).select(ROW, name).iter_rows():
            found.append(error("unique-error", row, field_name=name, cell=str(value)))
    key = list(schema.primary_key)
    if key and set(key) <= set(names) and set(key) <= set(keys.columns):
        empty = keys.select(pl.all_horizontal(pl.col(k).is_null() for k in key)).to_series()
        for row in keys[ROW].filter(empty).to_list():
            found.append(error("primary-key", row, note='cells composing the primary keys are all "None"'))
        if len(key) == 1:
            repeated = repeats(key[0]) & ~empty
        elif keys.select(key).hash_rows().n_unique() < keys.height:  # equal rows hash alike: else nothing repeats
            repeated = keys.select(pl.struct(key)).to_series().is_duplicated() & ~empty
        else:
            repeated = empty & False
        if repeated.any():  # name the previous row with the same key, as frictionless does
            twins = keys.filter(repeated).select(ROW, pl.col(ROW).shift(1).over(key).alias("previous"))
            for row, earlier in twins.filter(pl.col("previous").is_not_null()).iter_rows():
                found.append(error("primary-key", row, note=f"the same as in the row at position {earlier}"))
    return found


def foreign_key_errors(resources: dict, checked: dict[str, Checked]) -> dict[str, list[SimpleNamespace]]:
    """Every foreign key as anti-joins against the referenced tables' values, per table name.

    The keys that reference the same fields of the same table (every table citing `sources`,
    say) are stacked and joined at once: the referenced values are hashed once, not per key.
    With a spilled table the joins run on Polars' streaming engine, so it is scanned, not loaded.
    """
    found: dict[str, list[SimpleNamespace]] = {name: [] for name in checked}
    groups: dict[tuple, list] = {}
    for name, own in checked.items():
        for fk in resources[name].schema.foreign_keys:
            fields, ref = list(fk["fields"]), fk["reference"]
            target = ref["resource"] or name
            theirs = list(ref["fields"])
            if not set(fields) <= set(own.expected) or target not in checked:
                continue
            other = checked[target]
            lookup = other.keys.lazy().select(
                pl.col(t).alias(f"k{i}") if t in other.expected else pl.lit(None).alias(f"k{i}") for i, t in enumerate(theirs)
            )
            mine = own.keys.lazy().select(ROW, *[pl.col(f).alias(f"k{i}") for i, f in enumerate(fields)])
            mine = mine.filter(~pl.all_horizontal(pl.exclude(ROW).is_null()))
            ours_, theirs_ = mine.collect_schema(), lookup.collect_schema()
            never = False  # a date never equals a text, as in Python: nothing matches
            for i in range(len(fields)):
                ours, their = ours_[f"k{i}"], theirs_[f"k{i}"]
                if ours == their:
                    continue
                if ours.is_numeric() and their.is_numeric():  # 1 == 1.0, as in Python
                    cast = pl.Float64
                else:
                    never, cast = True, pl.String
                mine = mine.with_columns(pl.col(f"k{i}").cast(cast))
                lookup = lookup.with_columns(pl.col(f"k{i}").cast(cast))
            key = (target, tuple(theirs), tuple(lookup.collect_schema().dtypes()), never)
            if key not in groups:
                empty = pl.all_horizontal(pl.all().is_null())
                groups[key] = [lookup.filter(pl.lit(False) if never else ~empty)]
            groups[key].append((name, fields, ref, theirs, mine))
    queries, members_of = [], []
    for lookup, *members in groups.values():
        stacked = pl.concat(
            [mine.with_columns(pl.lit(index, dtype=pl.UInt32).alias("__fk")) for index, (*_, mine) in enumerate(members)]
        )
        on = [f"k{i}" for i in range(len(members[0][1]))]
        queries.append(stacked.join(lookup, on=on, how="anti", nulls_equal=True).sort("__fk", ROW))
        members_of.append(members)
    spilled = any(isinstance(table.keys, pl.LazyFrame) for table in checked.values())
    for query, members in zip(queries, members_of, strict=True):  # one at a time: one hash table in memory
        dangling = query.collect(engine="streaming" if spilled else "auto")
        if dangling.height == 0:
            continue
        for index, (name, fields, ref, theirs, _) in enumerate(members):
            rows = dangling.filter(pl.col("__fk") == index).drop("__fk")
            for row, *values in rows.iter_rows():
                cells = ["None" if v is None else str(v) for v in values]
                found[name].append(
                    error(
                        "foreign-key",
                        row,
                        field_names=fields,
                        field_cells=cells,
                        reference_name=ref["resource"],
                        reference_field_names=theirs,
                        note=f'for "{", ".join(fields)}": values "{", ".join(cells)}" not found',
                    )
                )
    return found
