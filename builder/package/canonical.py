"""The canonical form the builder publishes, whatever Table Schema options the source used.

A source may write dates as 03/12/2026, decimals with a comma, booleans as yes/no, missing cells
as NA and separate its columns with semicolons: the reader (builder.package.tables) reads them with
frictionless's meaning. The downloads hold the values in one form only (ISO dates and times,
`.` decimals, `true`/`false`, empty for missing, comma-separated with a header row), so the
published schema drops every option that described the source's form: what it says is exactly
what the published files hold.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal

# Options that describe how a value is written in the source, not what it is.
FORM_OPTIONS = ("trueValues", "falseValues", "decimalChar", "groupChar", "bareNumber", "missingValues")
# Formats that already are the canonical form (the Ledger writes "%Y-%m-%d" on its dates).
CANONICAL_FORMATS = {"date": {"default", "%Y-%m-%d"}, "datetime": {"default"}, "time": {"default"}}
# Types frictionless reads to a JSON value: published as compact JSON text, keys in the source's order.
JSON_TYPES = {"array", "object", "geojson"}
# Types frictionless reads to a Python value with a default text form (geopoint: "lon,lat").
TEXT_TYPES = {"geopoint", "duration", "yearmonth"}
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def rewrites_text(ffield) -> bool:
    """A text-kept field (not typed in Polars) whose source text is not already canonical."""
    if ffield.type in ("datetime", "time"):
        return ffield.format not in CANONICAL_FORMATS[ffield.type]
    if ffield.type in JSON_TYPES or ffield.type in TEXT_TYPES:
        return True
    if ffield.type == "list":  # items in their canonical form, joined by the source's own delimiter
        return ffield.item_type != "string"
    return False


def cell_text(ffield, target) -> str | None:
    """A value frictionless read from a cell of `ffield`, in the published (default-format) text."""
    if target is None:
        return None
    kind = ffield.type
    if kind in JSON_TYPES:
        return json.dumps(target, ensure_ascii=False, separators=(",", ":"))
    if kind == "geopoint":  # the default form; it holds any pair the array or object forms hold
        return f"{text(target.lon)},{text(target.lat)}"
    if kind == "yearmonth":
        return f"{target.year:04d}-{target.month:02d}"
    if kind == "duration":
        return ffield.create_cell_writer()(target)[0]  # ISO 8601, as frictionless writes it
    return text(target, getattr(ffield, "delimiter", ","))


def text(target, delimiter: str = ",") -> str | None:
    """A value frictionless read, written in the form a default-option field reads back the same."""
    if target is None:
        return None
    if isinstance(target, bool):
        return "true" if target else "false"
    if isinstance(target, (dt.date, dt.datetime, dt.time)):
        return target.isoformat()
    if isinstance(target, Decimal):
        return format(target, "f")
    if isinstance(target, list):
        return delimiter.join(text(item) or "" for item in target)  # an item never holds the delimiter it was split by
    return str(target)


def published_field(field: dict, schema: dict) -> dict:
    """The field as the published CSV holds it: no option about the source's form (`schema`, the
    source's, gives frictionless's reader of the constraints written in that form)."""
    out = {k: v for k, v in field.items() if k not in FORM_OPTIONS}
    kind = field.get("type", "string")
    if kind in CANONICAL_FORMATS and out.get("format", "default") not in CANONICAL_FORMATS[kind]:
        del out["format"]
    if kind == "geopoint":  # published in the default "lon, lat" form, whatever the source's format
        out.pop("format", None)
    constraints = out.get("constraints")
    if isinstance(constraints, dict) and out != field:  # bounds and enum were written in the source's form
        from frictionless import Schema  # a source form only a few packages use

        ffield = Schema.from_descriptor(schema).get_field(field["name"])
        reader = ffield.create_value_reader()
        out["constraints"] = constraints = dict(constraints)
        for name in BOUNDS:
            if isinstance(constraints.get(name), str):
                constraints[name] = _bound(reader(constraints[name]), constraints[name])
        if isinstance(constraints.get("enum"), list):
            constraints["enum"] = [_bound(reader(v), v) if isinstance(v, str) else v for v in constraints["enum"]]
    return out


def _bound(target, source):
    """A constraint value in the published form: a number as JSON number, else its canonical text."""
    if target is None:
        return source
    if isinstance(target, Decimal):
        return float(target)
    if isinstance(target, (bool, int)):
        return target
    return text(target)


def published_schema(schema: dict) -> dict:
    """The schema of the published CSV."""
    out = copy.deepcopy(schema)
    if out.get("missingValues", [""]) != [""]:
        del out["missingValues"]
    if "fields" in out:
        out["fields"] = [published_field(f, schema) for f in out["fields"]]
    return out
