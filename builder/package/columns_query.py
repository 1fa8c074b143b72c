"""Typed reading of a chunk's columns in one Polars query: the usual cases of
builder.package.columns.read_column (plain strings, integers, numbers, dates and booleans, with
their constraints) as expressions, so a chunk costs one query instead of about eight per column.

Each Polars call has a fixed cost, tens of microseconds, and several times that when it wakes
Polars' threads: at a million rows, validation made 1,171 queries, 600 of them here. A column the
query cannot read exactly is read again by read_column, with the same result as before: a value
the fast path leaves to frictionless's reader (" 432", "2023-02-30", "1e3"), a pattern Rust's
regex cannot run or a cell holding a line break beside one, a number's bound (a Decimal), and
any type but those five.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from builder.package.columns import (
    INTEGER,
    ISO_DATE,
    NUMBER,
    Column,
    checked_constraints,
    dtype_for,
    fast_path,
    missing_values,
    read_column,
)

BOUNDS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}


@dataclass
class _Plan:
    expressions: list[pl.Expr]
    constraints: list[str]  # names, in the field's order, each with a mask column
    leftover: bool  # a mask of values the fast path could not read (then read_column reads the column)


def read_columns(cells: pl.DataFrame, fields: list, one_line: bool = False, unpatterned=frozenset()) -> list[Column]:
    """read_column of every field, field j from column c{j} of `cells` (null where it has none).
    The fields named in `unpatterned` get no `pattern` mask: it is checked from another table's
    (builder.package.linked_patterns)."""
    plans = {}
    for j, ffield in enumerate(fields):
        constraints = checked_constraints(ffield, pattern=ffield.name not in unpatterned)
        if j < cells.width:
            plans[j] = _plan(j, ffield, constraints, one_line)
    chosen = {j: plan for j, plan in plans.items() if plan is not None}
    frame = cells.select([e for plan in chosen.values() for e in plan.expressions]) if chosen else None
    found = []
    for j, ffield in enumerate(fields):
        plan = chosen.get(j)
        if plan is None or (plan.leftover and frame[f"{j}:leftover"].any()):
            cells_j = cells[f"c{j}"] if j < cells.width else pl.Series([None] * cells.height, dtype=pl.String)
            found.append(read_column(cells_j, ffield, one_line, pattern=ffield.name not in unpatterned))
            continue
        values = frame[f"{j}:values"]
        found.append(Column(values, values, frame[f"{j}:type"], {name: frame[f"{j}:{name}"] for name in plan.constraints}))
    return found


def _plan(j: int, ffield, constraints: dict, one_line: bool) -> _Plan | None:
    """The expressions that read field j as read_column would, or None where they cannot."""
    if not fast_path(ffield):
        return None
    kind, cell = ffield.type, pl.col(f"c{j}")
    markers = missing_values(ffield)
    missing = cell == "" if markers == [""] else cell.is_in(pl.Series(markers, dtype=pl.String).implode())
    present = pl.when(~missing).then(cell)  # null where missing, and where a short row has no cell
    leftover = None
    if kind == "string":
        values, type_error = present, pl.lit(False)
    elif kind == "boolean":
        mapping = {v: True for v in ffield.true_values} | {v: False for v in ffield.false_values}
        values = present.replace_strict(mapping, default=None, return_dtype=pl.Boolean)
        type_error = present.is_not_null() & values.is_null()
    else:
        shape = {"integer": INTEGER, "number": NUMBER, "date": ISO_DATE}[kind]
        plain = pl.when(present.str.contains(shape)).then(present)
        values = plain.str.to_date("%Y-%m-%d", strict=False) if kind == "date" else plain.cast(dtype_for(ffield), strict=False)
        leftover, type_error = present.is_not_null() & values.is_null(), pl.lit(False)  # none, unless read again
    ok = ~type_error
    masks = [("required", values.is_null() & ok)] if constraints.get("required") else []  # first, as read_column
    for name, bound in constraints.items():
        if name in BOUNDS:
            limit = ffield.create_value_reader()(bound)
            if not isinstance(limit, (int, dt.date)) or isinstance(limit, bool):
                return None  # a number's bound, a Decimal: compared (NaN and all) as read_column compares it
            test = {
                "minimum": values < limit,
                "maximum": values > limit,
                "exclusiveMinimum": values <= limit,
                "exclusiveMaximum": values >= limit,
            }[name]
            mask = test.fill_null(False) & ok
        elif name == "enum":
            reader = ffield.create_value_reader()
            allowed = pl.Series([reader(v) for v in bound], dtype=dtype_for(ffield), strict=False)  # a null matches none
            mask = (values.is_not_null() & ~values.is_in(allowed.implode())).fill_null(False) & ok
        elif name == "pattern":
            if not one_line or not _runs_in_rust(bound):
                return None  # Python's `$` also matches before a final line break; lookarounds
            mask = (~values.str.contains(rf"\A(?:^{bound}$)")).fill_null(False) & ok
        elif name in ("minLength", "maxLength"):
            if kind != "string":
                return None
            length = values.str.len_chars()
            mask = ((length < bound) if name == "minLength" else (length > bound)).fill_null(False) & ok
        else:
            continue  # `required` is above, `unique` a key check; read_column makes no mask for others either
        masks.append((name, mask))
    expressions = [values.alias(f"{j}:values"), type_error.alias(f"{j}:type")]
    expressions += [mask.alias(f"{j}:{name}") for name, mask in masks]
    if leftover is not None:
        expressions.append(leftover.alias(f"{j}:leftover"))
    return _Plan(expressions, [name for name, _ in masks], leftover is not None)


@lru_cache(maxsize=256)
def _runs_in_rust(pattern: str) -> bool:
    try:
        pl.Series([""], dtype=pl.String).str.contains(rf"\A(?:^{pattern}$)")
    except pl.exceptions.PolarsError:
        return False
    return True
