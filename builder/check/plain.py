"""Descriptors frictionless is known to accept, recognised without importing it.

frictionless's check of a descriptor costs a fifth of a second, most of it importing frictionless
and its plugins: a third of what `builder validate` spends on a million rows. A descriptor made only
of the plain parts most packages use (CSV files, the five everyday field types, keys, the usual
metadata) is recognised here as one frictionless accepts; anything else, or anything unusual in
those parts, goes to frictionless as before, which then words what is wrong.

`accepted` may only say yes where frictionless does: tests/test_plain.py checks that on thousands
of descriptors with one part changed for the worse, against frictionless itself.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

from builder.package import formats
from builder.package.light import SUPPORTED_CONSTRAINTS, readable, texts
from builder.package.load import CSV_DIALECT

NAME = re.compile(r"^([-a-z0-9._/])+$")  # frictionless.settings.NAME_PATTERN: v1 names (no `$schema`)
PACKAGE_KEYS = {"name", "title", "description", "version", "homepage", "image", "keywords", "licenses",
                "contributors", "profile", "resources", "ledger"}  # fmt: skip
RESOURCE_KEYS = {"name", "title", "description", "path", "profile", "format", "mediatype", "encoding", "schema",
                 "dialect", "ledger"}  # fmt: skip
SCHEMA_KEYS = {"fields", "primaryKey", "foreignKeys"}
FIELD_KEYS = {"name", "title", "description", "type", "format", "constraints", "categories"}
DIALECT = {key: type(value) for key, value in CSV_DIALECT.items()}  # delimiter, quoteChar: str; doubleQuote, header: bool
FORMATS = {"date": ("default", "%Y-%m-%d")}  # other types: "default" only


def accepted(descriptor: dict) -> bool:
    """True only when frictionless would accept the descriptor and every resource is a plain CSV
    the table checks read with builder.package.light's objects."""
    if not set(descriptor) <= PACKAGE_KEYS or not _texts_at(descriptor, "title", "description", "version",
                                                           "homepage", "image"):  # fmt: skip
        return False
    if "name" in descriptor and not _name(descriptor["name"]):
        return False
    if not texts(descriptor.get("keywords", [])):
        return False
    for licence in _items(descriptor, "licenses"):
        if licence is None or not (set(licence) <= {"name", "path", "title"}) or not _texts_at(licence, *licence):
            return False
        if not (licence.get("name") or licence.get("path")):
            return False
    for contributor in _items(descriptor, "contributors"):
        if contributor is None or not set(contributor) <= {"title", "path", "organisation", "role"}:
            return False
        if not _texts_at(contributor, *contributor):
            return False
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources or not all(isinstance(r, dict) for r in resources):
        return False
    profile = descriptor.get("profile", "data-package")
    if profile not in ("data-package", "tabular-data-package"):
        return False
    if profile == "tabular-data-package" and any(r.get("profile") != "tabular-data-resource" for r in resources):
        return False
    names = [r.get("name") for r in resources]
    return len(set(map(str, names))) == len(names) and all(_resource(r) for r in resources)


def _resource(resource: dict) -> bool:
    if not set(resource) <= RESOURCE_KEYS or not _name(resource.get("name")):
        return False
    if not _texts_at(resource, "title", "description") or not _safe(resource.get("path")):
        return False
    if resource.get("profile", "data-resource") not in ("data-resource", "tabular-data-resource"):
        return False
    if resource.get("format", "csv") != "csv" or resource.get("mediatype", "text/csv") != "text/csv":
        return False
    if resource.get("encoding", "utf-8") not in ("utf-8", "utf8") or not formats.is_plain_csv(resource):
        return False
    dialect = resource.get("dialect", {})
    if not isinstance(dialect, dict) or not set(dialect) <= set(DIALECT):
        return False
    for key, value in dialect.items():
        if not isinstance(value, DIALECT[key]) or (DIALECT[key] is str and len(value) != 1):
            return False
    schema = resource.get("schema")
    if not isinstance(schema, dict) or not set(schema) <= SCHEMA_KEYS or not readable(resource):
        return False
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields or not all(_field(f) for f in fields):
        return False
    names = [f["name"] for f in fields]
    if len(set(names)) != len(names):
        return False
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else key
    if not texts(key) or not set(key) <= set(names):
        return False
    foreign_keys = schema.get("foreignKeys", [])
    return isinstance(foreign_keys, list) and all(_foreign_key(fk, names) for fk in foreign_keys)


def _field(field) -> bool:
    if not isinstance(field, dict) or not set(field) <= FIELD_KEYS or not _texts_at(field, "title", "description"):
        return False
    name, kind = field.get("name"), field.get("type")
    if not isinstance(name, str) or not name or not isinstance(kind, str) or kind not in SUPPORTED_CONSTRAINTS:
        return False
    if field.get("format", "default") not in FORMATS.get(kind, ("default",)):
        return False
    constraints = field.get("constraints", {})
    supported = set(SUPPORTED_CONSTRAINTS[kind]) - {"exclusiveMinimum", "exclusiveMaximum"}  # v2 only
    if not isinstance(constraints, dict) or not set(constraints) <= supported | {"unique"}:
        return False
    for name, value in constraints.items():
        if name in ("required", "unique") and not isinstance(value, bool):
            return False
        if name == "pattern" and not isinstance(value, str):
            return False
        if name == "enum" and not isinstance(value, list):
            return False
        if name in ("minLength", "maxLength") and (not isinstance(value, int) or isinstance(value, bool)):
            return False
        if name in ("minimum", "maximum") and (not isinstance(value, (int, float, str)) or isinstance(value, bool)):
            return False
    return True


def _foreign_key(fk, names: list[str]) -> bool:
    if not isinstance(fk, dict) or set(fk) != {"fields", "reference"}:
        return False
    reference = fk["reference"]
    if not isinstance(reference, dict) or set(reference) != {"resource", "fields"}:
        return False
    own, theirs = ([v] if isinstance(v, str) else v for v in (fk["fields"], reference["fields"]))
    return (
        isinstance(reference["resource"], str)
        and texts(own)
        and texts(theirs)
        and len(own) == len(theirs)
        and set(own) <= set(names)
    )


def _name(name) -> bool:
    return isinstance(name, str) and NAME.search(name) is not None


def _safe(path) -> bool:
    """frictionless.helpers.is_safe_path, and a plain relative path besides."""
    if not isinstance(path, str) or not path or os.path.isabs(path) or path.startswith("~"):
        return False
    if ".." in path.replace("\\", "/").split("/") or "$" in path or "%" in path or "\\" in path:
        return False
    return os.path.expandvars(path) == path and not urlparse(path).scheme


def _texts_at(item: dict, *keys: str) -> bool:
    return all(isinstance(item[key], str) for key in keys if key in item)


def _items(descriptor: dict, key: str) -> list:
    """The objects of a list property; None stands for anything that is not an object."""
    value = descriptor.get(key, [])
    if not isinstance(value, list):
        return [None]
    return [item if isinstance(item, dict) else None for item in value]
