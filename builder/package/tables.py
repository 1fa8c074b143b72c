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

import os
import re
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import polars as pl

from builder.common.errors import BuilderError
from builder.package.columns import dtype_for
from builder.package.columns_query import read_columns
from builder.package.csvreader import Parsed, labels_of, start_parts
from builder.package.findings import Checked, error, row_numbers
from builder.package.keychecks import may_repeat, unique_errors


class HeaderError(Exception):
    """The header cannot be paired with the schema's fields (fieldsMatch by name): the message says why."""


def check_table(
    resource, path: Path, dialect: dict, key_fields: set[str], pool: Executor | None = None, spill: Path | None = None
) -> Checked:
    """Header, cell and row checks of one frictionless resource, a chunk of rows at a time
    (side by side on `pool`'s threads when given)."""
    return start_table(resource, path, dialect, key_fields, pool, spill)()


def start_table(
    resource,
    path: Path,
    dialect: dict,
    key_fields: set[str],
    pool: Executor | None = None,
    spill: Path | None = None,
    unpatterned: set[str] = frozenset(),
):
    """check_table in two steps: the chunks are read and handed to `pool` now; the function
    returned waits for them and gives the Checked table.

    Only `key_fields` are kept for the key checks (unique, primary and foreign keys); the
    `pattern` of the fields in `unpatterned` is left to builder.package.linked_patterns. With a
    `spill` folder (a file too big to hold, see streaming_bytes) each chunk's typed rows and keys
    go to Arrow IPC files there as soon as they are checked, and `frame` and `keys` come back as
    LazyFrames scanning them: the key checks run on Polars' streaming engine.
    """
    schema = resource.schema
    labels = labels_of(path, dialect)
    expected, header_errors = check_header(resource, labels)
    names = [f.name for f in expected]

    def check(parsed: Parsed):
        frame, keys, errors, clean = _check_part(parsed, expected, schema.fields, key_fields, unpatterned)
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
    schema = resource.schema
    fields = list(schema.fields)
    ignore_case = not resource.dialect.header_case
    match = "exact"
    if schema.has_defined("fields_match"):
        from frictionless.table.fields_match import resolve

        match = resolve(schema.fields_match, schema_sync=False)
    if not labels:
        return fields, []
    if match != "exact":
        from frictionless import FrictionlessException
        from frictionless.table.header import Header

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
    if len(labels) <= len(fields):
        return fields[: len(labels)], found
    from frictionless.table.label_matching import deduplicate_names

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
    if may_repeat(schema, names, keys):  # only then are the key columns gathered, to name the rows
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


def _check_part(parsed: Parsed, expected: list, wanted: list, key_fields: set[str], unpatterned: set[str] = frozenset()):
    """(typed frame, key frame, errors) of one part of a table."""
    n = len(expected)
    height = parsed.cells.height
    rows = row_numbers(parsed.first_row, parsed.cells)  # chunked as the cells are, so are the keys
    width = parsed.cells.width
    errors: list[SimpleNamespace] = []

    def cells_of(j: int) -> pl.Series:
        return parsed.cells[f"c{j}"] if j < width else pl.Series([None] * height, dtype=pl.String)

    # Labels beyond the schema's fields come last (check_header). Their cells are neither typed nor
    # published: all that matters is whether a row holds anything in them (a blank row) and which
    # rows are short, found for all of them at once (a header of 20,000 labels is 20,000 columns).
    described = [f for f in expected if not isinstance(f, ExtraField)]
    k = len(described)
    columns = read_columns(parsed.cells, described, parsed.one_line, unpatterned)
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
