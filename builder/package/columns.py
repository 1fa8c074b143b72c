"""Typed reading of one column: a field's values from its text cells with frictionless's semantics
(a vectorised fast path for plain strings, integers, numbers, dates and booleans; the field's own
cell reader once per distinct value for anything else), and where each constraint fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from builder.package import canonical


class PatternError(Exception):
    """A `pattern` Python cannot compile the way frictionless anchors it (^pattern$)."""

    def __init__(self, field: str, error: re.error):
        super().__init__(f"{error}")
        self.field = field


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


def constraints_of(ffield) -> dict:
    """The field's constraints that are checked: supported by its type, and set."""
    supported = set(ffield.supported_constraints)
    return {k: v for k, v in ffield.constraints.items() if k in supported and v is not None}


def checked_constraints(ffield, pattern: bool = True) -> dict:
    """constraints_of, with a `pattern` Python cannot compile refused (PatternError), and left out
    when not `pattern` (it is checked elsewhere)."""
    constraints = constraints_of(ffield)
    if "pattern" in constraints:
        try:
            re.compile(f"^{constraints['pattern']}$")
        except re.error as error:
            raise PatternError(ffield.name, error) from None
        if not pattern:
            del constraints["pattern"]
    return constraints


def read_column(cells: pl.Series, ffield, one_line: bool = False, pattern: bool = True) -> Column:
    """The field's values from its cells, with frictionless's semantics (`one_line`: no cell
    holds a line break; not `pattern`: no mask for it, it is checked elsewhere)."""
    markers = missing_values(ffield)
    # the usual [""]: a comparison, a tenth of the cost of a lookup in a set of one
    missing = (cells == "" if markers == [""] else cells.is_in(markers)).fill_null(False)
    present = cells.set(missing, None) if missing.any() else cells
    constraints = checked_constraints(ffield, pattern)
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
