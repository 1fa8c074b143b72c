"""Metadata the site wants but the Data Package standard does not require (issue 22).

A missing name, title, description or primary key is a warning with a default, not a refusal: the title
is the name in words, a missing description is left out of the page, and a table without a key
gets no links into it. A schema given as the path of a JSON file in the package is read in.
`--strict` makes each warning a problem again (the Ledger builds with it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from builder.common.errors import Problem, Report
from builder.package.paths import unsafe_path

DESCRIPTOR = "datapackage.json"
REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # as safety_resource.REMOTE: a remote address is safety's to refuse
WARNING_TYPES = ("missing-schema", "missing-name", "missing-title", "missing-description", "missing-primary-key")
MAX_SCHEMA_BYTES = 10 * 1024 * 1024  # a schema file is small; a huge one is not read into memory


def words(name: str) -> str:
    """A name as words for a title: "source_usage" -> "Source usage"."""
    text = re.sub(r"[_\-\s]+", " ", str(name)).strip()
    return text[:1].upper() + text[1:] if text else str(name)


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _warning(message: str, fix: str, kind: str, field: str | None = None, resource: str | None = None) -> Problem:
    return Problem(DESCRIPTOR, None, field, kind, message, fix, resource)


def read_schemas(descriptor: dict, root: Path) -> tuple[dict, list[Problem], list[Problem]]:
    """The descriptor with each schema given as a local JSON file read in, and each CSV without a
    schema given the one frictionless infers from it (a copy; the caller's is untouched); then the
    problems and the warnings. A path that leaves the package, or a file that is missing or not a
    JSON object, is a problem; a remote address is left for safety to refuse."""
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return descriptor, [], []
    problems, warnings, read = [], [], []
    for index, resource in enumerate(resources):
        reference = resource.get("schema") if isinstance(resource, dict) else None
        inferred = _inferred(resource, root) if isinstance(resource, dict) and "schema" not in resource else None
        if inferred:
            read.append({**resource, "schema": inferred})
            names = ", ".join(f"`{f['name']}` {f.get('type', 'string')}" for f in inferred["fields"])
            warnings.append(
                _warning(f"resource `{resource.get('name')}` has no schema; the builder read its fields from"
                         f" {resource['path']}: {names}.",
                         "Write the `schema` with each field's type, so a later row cannot change it.",
                         "missing-schema", resource=resource.get("name"))
            )  # fmt: skip
            continue
        if not isinstance(reference, str) or REMOTE.match(reference):
            read.append(resource)
            continue
        where = f"resource `{resource.get('name', f'#{index + 1}')}`"
        schema, fault = _schema_file(root, reference)
        if fault:
            problems.append(
                Problem(DESCRIPTOR, None, None, "schema-reference", f"{where} has `schema` {reference!r}, which {fault}.",
                        "Give the path of a JSON file inside the package folder, or write the schema inline.",
                        resource.get("name"))
            )  # fmt: skip
            read.append(resource)
            continue
        read.append({**resource, "schema": schema})
    return {**descriptor, "resources": read}, problems, warnings


def _inferred(resource: dict, root: Path) -> dict | None:
    """The schema frictionless infers from a CSV inside the package, or None (not a CSV the builder
    reads, outside the package, or unreadable: safety then says why)."""
    path = resource.get("path")
    if not isinstance(path, str) or not path.endswith(".csv") or REMOTE.match(path) or unsafe_path(root, path):
        return None
    if not (root / path).resolve().is_file():
        return None
    from frictionless import FrictionlessException, Resource  # only a package without a schema needs it

    try:
        found = Resource(path=path, basepath=str(root))
        found.infer()
        schema = found.schema.to_descriptor()
    except (FrictionlessException, OSError, UnicodeDecodeError, ValueError):
        return None
    return schema if schema.get("fields") else None


def _schema_file(root: Path, reference: str) -> tuple[dict | None, str | None]:
    reason = unsafe_path(root, reference)
    if reason:
        return None, reason
    file = (root / reference).resolve()
    if not file.is_file():
        return None, "is not a file in the package"
    if file.stat().st_size > MAX_SCHEMA_BYTES:
        return None, f"is larger than {MAX_SCHEMA_BYTES // 1024 // 1024} MiB"
    try:
        schema = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "is not a UTF-8 JSON file"
    if not isinstance(schema, dict):
        return None, "does not hold a JSON object"
    return schema, None


def complete(descriptor: dict) -> tuple[dict, list[Problem]]:
    """The descriptor with a title wherever one is missing (the name in words), and a warning for
    each title, description and primary key the site would have used. Call it after the safety
    checks: resources are objects with names and schemas with fields."""
    warnings = []
    done = dict(descriptor)
    if _missing(descriptor.get("name")):
        done["name"] = "package"  # as the downloads have always been named without one
        warnings.append(
            _warning('The package has no name; its downloads are called "package".',
                     "Add a `name`: lowercase letters, digits and hyphens, e.g. `my-data`.", "missing-name")
        )  # fmt: skip
    name = done["name"]
    if _missing(descriptor.get("title")):
        done["title"] = words(name)
        warnings.append(
            _warning(f'The package has no title; the site calls it "{done["title"]}".', "Add a `title` to the package.",
                     "missing-title")
        )  # fmt: skip
    if _missing(descriptor.get("description")):
        warnings.append(
            _warning("The package has no description; the home page has no introduction.",
                     "Add a `description` to the package: a sentence or two on what it holds.", "missing-description")
        )  # fmt: skip
    done["resources"] = []
    for resource in descriptor["resources"]:
        resource, found = _resource(resource)
        done["resources"].append(resource)
        warnings += found
    return done, warnings


def _resource(resource: dict) -> tuple[dict, list[Problem]]:
    name = resource["name"]
    where = f"resource `{name}`"
    warnings = []
    resource = dict(resource)
    if _missing(resource.get("title")):
        resource["title"] = words(name)
        warnings.append(
            _warning(f'{where} has no title; the site calls it "{resource["title"]}".', "Add a `title` to the resource.",
                     "missing-title", resource=name)
        )  # fmt: skip
    if _missing(resource.get("description")):
        warnings.append(
            _warning(f"{where} has no description; its page has no introduction.",
                     "Add a `description` to the resource: what one row is.", "missing-description", resource=name)
        )  # fmt: skip
    schema = dict(resource["schema"])
    if not schema.get("primaryKey"):
        options = resource.get("ledger") if isinstance(resource.get("ledger"), dict) else {}
        pages = " and get no pages of their own" if options.get("pages", "label" in options) else ""
        warnings.append(
            _warning(f"{where} has no primary key; its rows are numbered in file order{pages} and nothing links to them.",
                     "Set `schema.primaryKey` to the field(s) that identify a row.", "missing-primary-key",
                     resource=name)
        )  # fmt: skip
    fields = []
    for field in schema["fields"]:
        field = dict(field)
        label = field["name"]
        if _missing(field.get("title")):
            field["title"] = words(label)
            warnings.append(
                _warning(f'{where}, field `{label}` has no title; the site calls it "{field["title"]}".',
                         "Add a `title` to the field.", "missing-title", label, name)
            )  # fmt: skip
        if _missing(field.get("description")):
            warnings.append(
                _warning(f"{where}, field `{label}` has no description; the schema page leaves it blank.",
                         "Add a `description` to the field: what a value means.", "missing-description", label, name)
            )  # fmt: skip
        fields.append(field)
    schema["fields"] = fields
    resource["schema"] = schema
    return resource, warnings


def apply(report: Report, warnings: list[Problem], strict: bool) -> None:
    """Warnings stay warnings; with `strict` they are problems and the package is not valid."""
    (report.add if strict else report.warn)(warnings)
