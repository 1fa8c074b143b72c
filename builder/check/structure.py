"""Is this a tabular data package we can build from? The descriptor's structure, before any file
is read: frictionless's own check of the package, then what it lets through (schemas without fields,
titles that are not text, more fields than a download can hold, foreign keys to nothing, v2
`categories` of the wrong shape).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from builder.check import plain
from builder.common.errors import Problem
from builder.package import load


def _sqlite_columns() -> int:
    """SQLite's real limit on a table's columns (SQLITE_MAX_COLUMN, 2,000 unless compiled otherwise)."""
    connection = sqlite3.connect(":memory:")
    try:
        return connection.getlimit(sqlite3.SQLITE_LIMIT_COLUMN)
    finally:
        connection.close()


XLSX_COLUMNS = 16_384  # columns in a worksheet (A to XFD)
MAX_FIELDS = min(_sqlite_columns(), XLSX_COLUMNS)


def check_descriptor(descriptor: dict, root: Path, *, recognise_plain: bool = False):
    """Structural checks: is this a tabular data package we can build from? Returns frictionless's
    Package too, or None when it refused the descriptor, or (`recognise_plain`) when the descriptor
    is one builder.check.plain knows it accepts: frictionless is then not imported at all."""
    problems = []

    def bad(message: str, fix: str, field: str | None = None):
        problems.append(Problem(load.DESCRIPTOR_FILE, None, field, "descriptor-invalid", message, fix))

    package = None
    if not (recognise_plain and plain.accepted(descriptor)):
        from frictionless import FrictionlessException, Package

        try:
            package = Package(load.with_default_dialect(descriptor), basepath=str(root))
        except FrictionlessException as error:
            reasons = getattr(error, "reasons", None) or [error.error]
            note = "; ".join(reason.note or reason.message for reason in reasons)
            bad(
                f"datapackage.json is not a valid data package: {note}.",
                "Compare it with the Data Package spec (https://datapackage.org/); every resource needs a name,"
                " a path and a schema.",
            )
            return None, problems
    for index, resource in enumerate(descriptor["resources"]):
        name = resource.get("name", f"#{index + 1}")
        where = f"resource `{name}`"
        schema = resource.get("schema")
        if not isinstance(schema, dict) or not schema.get("fields"):
            bad(f"{where} has no schema fields.", "Describe the CSV's columns in `schema.fields`.")
            continue
        for label in ("title", "description"):  # a missing one is a warning with a default (builder.package.lenient)
            if resource.get(label) is not None and not isinstance(resource[label], str):
                bad(f"{where} has a {label} that is not text.", f"Write the `{label}` as text.")
        if len(schema["fields"]) > MAX_FIELDS:  # said now, not after the whole build when SQLite refuses the table
            problems.append(
                Problem(
                    load.DESCRIPTOR_FILE,
                    None,
                    None,
                    "too-many-fields",
                    f"{where} has {len(schema['fields']):,} fields; the SQLite download holds at most {MAX_FIELDS:,}"
                    f" columns per table (and a spreadsheet {XLSX_COLUMNS:,}).",
                    f"Split {resource.get('path', 'the table')} into tables of at most {MAX_FIELDS:,} fields"
                    " that share its primary key.",
                    name,
                )
            )
        for field in schema["fields"]:
            for label in ("title", "description"):
                if field.get(label) is not None and not isinstance(field[label], str):
                    bad(f"{where}, field `{field.get('name')}` has a {label} that is not text.", f"Write the `{label}` as text.",
                        field.get("name"))  # fmt: skip
    problems += foreign_key_targets(descriptor)
    problems += category_shapes(descriptor)
    return package, problems


def category_shapes(descriptor: dict) -> list[Problem]:
    """Data Package v2 `categories`: a list of values, or of {"value", "label"} objects, of a string
    or integer field, with values of the field's type; `categoriesOrdered` true or false."""
    problems = []
    for resource in load.resources(descriptor):
        for field in load.fields(resource):
            if "categories" not in field and "categoriesOrdered" not in field:
                continue
            kind, categories = field.get("type", "string"), field.get("categories")
            where = f"resource `{resource['name']}`, field `{field['name']}`"
            value_type = int if kind == "integer" else str
            objects = isinstance(categories, list) and all(isinstance(c, dict) for c in categories)
            values = [c.get("value") for c in categories] if objects else categories
            fault = None
            if kind not in ("string", "integer"):
                fault = f"{where} has `categories`, which only a string or integer field can have."
            elif not isinstance(categories, list) or not categories:
                fault = f"{where} has `categories` that is not a non-empty list."
            elif objects and not all(isinstance(c.get("label", ""), str) for c in categories):
                fault = f"{where} has a category whose `label` is not text."
            elif not all(isinstance(v, value_type) and not isinstance(v, bool) for v in values):
                fault = f"{where} has categories that are not all {'whole numbers' if kind == 'integer' else 'text'}."
            elif not isinstance(field.get("categoriesOrdered", False), bool):
                fault = f"{where} has a `categoriesOrdered` that is not true or false."
            if fault:
                problems.append(
                    Problem(
                        load.DESCRIPTOR_FILE,
                        None,
                        field["name"],
                        "descriptor-invalid",
                        fault,
                        'Write `categories` as a list of values, e.g. ["low", "high"], or of objects such as'
                        ' {"value": "low", "label": "Low"} (Data Package v2).',
                        resource["name"],
                    )
                )
    return problems


def foreign_key_targets(descriptor: dict) -> list[Problem]:
    """A foreign key must name a resource of this package and fields it has (frictionless checks
    neither: the key was silently never checked, or every value reported as missing)."""
    problems = []
    resources = {r.get("name"): r for r in descriptor["resources"]}
    for resource in descriptor["resources"]:
        if not isinstance(resource.get("schema"), dict):
            continue
        for own, target, theirs in load.foreign_keys(resource):
            where = f"resource `{resource['name']}`: the foreign key on `{', '.join(own)}`"
            if target not in resources:
                message = f"{where} refers to resource `{target}`, which is not in datapackage.json."
                fix = f"Name one of {', '.join(f'`{n}`' for n in resources)} in `reference.resource`, or remove the key."
            else:
                known = {f.get("name") for f in load.fields(resources[target])}
                missing = [name for name in theirs if name not in known]
                if not missing:
                    continue
                message = f"{where} refers to `{', '.join(missing)}` in `{target}`, which has no such field."
                fix = f"Name fields of `{target}` in `reference.fields`, or remove the key."
            problems.append(
                Problem(load.DESCRIPTOR_FILE, None, ", ".join(own), "foreign-key-target", message, fix, resource["name"])
            )
    return problems
