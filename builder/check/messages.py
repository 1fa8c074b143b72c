"""Frictionless's errors (and the same errors from builder.package.tables) as Problems a curator
can act on: the file, the row (header = row 1), the field, a message and a fix; and the echoes of
one fault that are dropped so each is reported once.
"""

from __future__ import annotations

import re

from builder.check import rules
from builder.common.errors import Problem
from builder.package import formats, load

SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"

TYPE_FIXES = {
    "date": "Write a real calendar date as YYYY-MM-DD (for a month or year only, use the first day and set the precision field).",
    "integer": "Write a whole number without separators, or leave the cell empty if it is optional.",
    "number": "Write a number with a dot for decimals.",
    "boolean": "Write true or false.",
}


def frictionless_problems(package, descriptor: dict, unreadable: set[str]) -> list[Problem]:
    """`frictionless validate`'s findings as Problems: the reference tests/test_differential.py holds
    check_tables to (the builder itself no longer calls it)."""
    resource_by_name = {r["name"]: r for r in load.resources(descriptor)}
    problems = []
    for task in package.validate().tasks:
        resource = resource_by_name.get(task.name, {})
        for error in task.errors:
            problem = map_error(error, resource, unreadable)
            if problem is not None:
                problems.append(problem)
    return drop_echoes(problems, resource_by_name)


def map_error(error, resource: dict, unreadable: set[str]) -> Problem | None:
    """One frictionless error as a Problem with a message and a fix; None if already reported."""
    path = formats.label(resource) if resource else ""
    name = resource.get("name")
    kind = error.type
    row = getattr(error, "row_number", None)
    field_name = getattr(error, "field_name", None) or None
    cell = getattr(error, "cell", None)
    field = next((f for f in load.fields(resource) if f["name"] == field_name), {})

    def problem(message: str, fix: str, field_: str | None = field_name) -> Problem:
        return Problem(path, row, field_, kind, message, fix, name)

    if kind in {"scheme-error", "encoding-error", "source-error"}:
        if unreadable:
            return None  # check_files has named the bad file; this is its echo
        return problem(error.message, "Check that the file is a readable UTF-8 CSV.")
    if kind == "type-error":
        expected = field.get("type", "value")
        return problem(f'"{cell}" is not a valid {expected}.', TYPE_FIXES.get(expected, "Correct the value."))
    if kind == "constraint-error":
        return constraint_problem(error, field, problem)
    if kind == "unique-error":
        return problem(
            f'"{cell}" appears in an earlier row; `{field_name}` must be unique.', "Change the value or delete the duplicate row."
        )
    if kind == "primary-key":
        key = ", ".join(load.primary_key(resource))
        if 'all "None"' in (error.note or ""):
            return problem(f"The primary key ({key}) is empty.", "Fill in the row's id.", key)
        earlier = re.search(r"row at position (\d+)", error.note or "")
        where = f" (same as row {earlier.group(1)})" if earlier else ""
        return problem(f"Duplicate primary key ({key}){where}.", "Give this row a new id, or delete the duplicate.", key)
    if kind == "foreign-key":
        fields = error.field_names
        target = error.reference_name or name
        values = ", ".join(f'"{c}"' for c in error.field_cells)
        return problem(
            f"{values} in `{', '.join(fields)}` is not a `{', '.join(error.reference_field_names)}` in `{target}`.",
            f"Correct the id, or add the missing row to {target}.",
            ", ".join(fields),
        )
    if kind == "missing-cell":
        return problem("The row has fewer cells than the header.", "Add the missing cells (an empty cell is just a comma).")
    if kind == "extra-cell":
        return problem(
            "The row has more cells than the header.",
            "Put double quotes around a cell that contains a comma, or remove the extra cell.",
        )
    if kind == "incorrect-label":
        return Problem(
            path,
            1,
            field_name,
            kind,
            f'Column {error.field_number} is headed "{error.label}" but the schema expects "{field_name}".',
            f'Rename the column to "{field_name}", or rename the field in datapackage.json.',
            name,
        )
    if kind == "extra-label":
        return Problem(
            path,
            1,
            error.label or None,
            kind,
            f'Column {error.field_number} "{error.label}" is not in the schema.',
            "Remove the column, or describe it as a field in datapackage.json.",
            name,
        )
    if kind == "missing-label":
        return Problem(
            path,
            1,
            field_name,
            kind,
            f'The header has no column "{field_name}".',
            f'Add the column "{field_name}" where the schema places it.',
            name,
        )
    if kind == "duplicate-label":
        return Problem(
            path,
            1,
            field_name,
            kind,
            f'Column {error.field_number} is headed "{error.label}" like an earlier column; the schema expects "{field_name}".',
            f'Rename the column to "{field_name}".',
            name,
        )
    if kind == "blank-label":
        return Problem(
            path,
            1,
            field_name,
            kind,
            f'Column {error.field_number} has no heading; the schema expects "{field_name}".',
            f'Write "{field_name}" in the header row.',
            name,
        )
    if kind == "blank-row":
        return problem("The row is blank.", "Delete the blank row.")
    return problem(error.message, "See the message; the Frictionless docs describe this error type.")


def constraint_problem(error, field: dict, problem) -> Problem:
    cell = error.cell
    name = field.get("name")
    constraint = re.search(r'constraint "(\w+)"', error.note or "")
    constraint = constraint.group(1) if constraint else ""
    rules_ = field.get("constraints", {})
    if constraint == "required":
        return problem(f"`{name}` is required but the cell is empty.", f"Fill in `{name}`: {field.get('description', '')}")
    if constraint == "enum":
        allowed = ", ".join(rules_["enum"])
        return problem(f'"{cell}" is not an allowed value of `{name}`.', f"Use one of: {allowed}.")
    if constraint == "pattern":
        pattern = rules_["pattern"]
        if pattern == SLUG_PATTERN:
            fix = "Use lowercase letters, digits and single hyphens, e.g. llama-2."
        elif pattern.startswith("^https?://"):
            fix = rules.URL_FIX  # the same text as the unsafe-url rule's, which without_url_echoes relies on
        else:
            fix = f"Make it match the pattern {pattern}."
        return problem(f'"{cell}" is not a valid `{name}`.', fix)
    if constraint in {"minimum", "maximum"}:
        return problem(
            f'"{cell}" is out of range for `{name}`.',
            f"Use a value from {rules_.get('minimum', '…')} to {rules_.get('maximum', '…')}.",
        )
    return problem(f'"{cell}" breaks the `{constraint}` constraint of `{name}`.', "Correct the value.")


def without_type_echoes(found: list[Problem], table_problems: list[Problem]) -> list[Problem]:
    """A date that does not parse is a type error, not also "precision set but date empty"."""
    bad_cells = {(p.path, p.row, p.field) for p in table_problems if p.type == "type-error"}
    return [
        p
        for p in found
        if not (
            p.type == "precision-without-date"
            and (p.path, p.row, (p.field or "").removesuffix("_precision") or "date") in bad_cells
        )
    ]


def without_url_echoes(found: list[Problem], table_problems: list[Problem]) -> list[Problem]:
    """A bad URL is reported once, as frictionless reports it: the schema's http(s) pattern's
    constraint-error, not also the unsafe-url rule (which stays for a URL field no pattern guards)."""
    pattern = {(p.path, p.row, p.field, p.fix) for p in table_problems if p.type == "constraint-error"}
    return [p for p in found if not (p.type == "unsafe-url" and (p.path, p.row, p.field, p.fix) in pattern)]


def drop_echoes(problems: list[Problem], resources: dict[str, dict]) -> list[Problem]:
    """Frictionless reports some faults twice; keep the clearer report of each."""
    missing = {(p.path, p.row, p.field) for p in problems if p.type == "missing-cell"}
    duplicate_keys = {(p.path, p.row) for p in problems if p.type == "primary-key"}
    single_keys = {formats.label(r): load.primary_key(r) for r in resources.values()}
    faulty_rows = {
        (p.path, p.row)
        for p in problems
        if p.type == "blank-row" or (p.type in ("type-error", "constraint-error") and p.field in single_keys.get(p.path, []))
    }
    kept = []
    for p in problems:
        if p.type == "primary-key" and p.message.endswith("is empty.") and (p.path, p.row) in faulty_rows:
            continue  # an empty key is the blank row, the missing required id or the id that is not of its type
        if p.type == "constraint-error" and (p.path, p.row, p.field) in missing:
            continue  # a short row: "missing cell" says it better than "required"
        if p.type == "unique-error" and (p.path, p.row) in duplicate_keys and single_keys.get(p.path) == [p.field]:
            continue  # the key's uniqueness is the primary-key problem itself
        kept.append(p)
    return kept
