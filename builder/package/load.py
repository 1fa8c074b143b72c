"""Read the descriptor, and name what it says about resources, fields and keys.

The CSVs themselves are read once, by builder.package.tables, which checks them and hands the same typed
frames on: what validates is exactly what is published.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from builder.common.errors import Problem
from builder.package import formats
from builder.package.columns import POLARS_TYPES

DESCRIPTOR_FILE = "datapackage.json"


def read_descriptor(path: Path) -> tuple[dict | None, list[Problem]]:
    """The descriptor as a dict, or the problem that stops us reading it."""

    def cannot(kind: str, message: str, fix: str, line: int | None = None, column: int | None = None):
        return None, [Problem(DESCRIPTOR_FILE, line, None, kind, message, fix, column=column)]

    if not path.exists():
        return cannot(
            "descriptor-missing",
            "There is no datapackage.json at the package root.",
            "Run the command from the package folder, or pass --root.",
        )
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8-sig"))  # a BOM (Windows editors) is harmless
    except UnicodeDecodeError as error:
        return cannot("descriptor-encoding", f"datapackage.json is not UTF-8 (byte {error.start}).", "Re-save the file as UTF-8.")
    except RecursionError:
        return cannot(
            "descriptor-invalid", "datapackage.json nests too many levels deep to read.", "Keep the descriptor under 32 levels."
        )
    except json.JSONDecodeError as error:
        return cannot(
            "descriptor-syntax",
            f"JSON syntax error at line {error.lineno}, column {error.colno}: {error.msg}.",
            "Fix the JSON at that position (a missing comma or quote is the usual cause).",
            error.lineno,
            error.colno,
        )
    if not isinstance(descriptor, dict):
        return cannot("descriptor-invalid", "datapackage.json must hold a JSON object.", "Wrap the package in { … }.")
    return descriptor, []


def resources(descriptor: dict) -> list[dict]:
    return [r for r in descriptor.get("resources", []) if isinstance(r, dict)]


def fields(resource: dict) -> list[dict]:
    return resource.get("schema", {}).get("fields", [])


def primary_key(resource: dict) -> list[str]:
    key = resource.get("schema", {}).get("primaryKey", [])
    return [key] if isinstance(key, str) else list(key)


def foreign_keys(resource: dict) -> list[tuple[list[str], str, list[str]]]:
    """(fields, referenced resource, referenced fields); an empty resource name means itself."""
    found = []
    for key in resource.get("schema", {}).get("foreignKeys", []):
        own = key["fields"]
        own = [own] if isinstance(own, str) else list(own)
        ref = key["reference"]
        theirs = ref["fields"]
        theirs = [theirs] if isinstance(theirs, str) else list(theirs)
        found.append((own, ref.get("resource") or resource["name"], theirs))
    return found


def field_title(resource: dict, name: str) -> str:
    """A field's title from the schema, or its name."""
    return next((f.get("title", name) for f in fields(resource) if f["name"] == name), name)


def shown_columns(resource: dict) -> list[str]:
    """The columns a table of its rows shows: `ledger.columns`, else its first five fields."""
    return list(resource.get("ledger", {}).get("columns") or [f["name"] for f in fields(resource)][:5])


def gets_pages(resource: dict) -> bool:
    """A table gets a page (and an API file) per row when it asks for them, or names a label field to
    title them with, and one field identifies a row."""
    options = resource.get("ledger", {})
    return bool(options.get("pages", "label" in options)) and len(primary_key(resource)) == 1


def label_field(resource: dict) -> str:
    """The field that names a row on the site (descriptor's `ledger.label`, else the key)."""
    return resource.get("ledger", {}).get("label") or primary_key(resource)[0]


# The spec's CSV dialect: the only one the builder reads (safety refuses any other).
CSV_DIALECT = {"delimiter": ",", "quoteChar": '"', "doubleQuote": True, "header": True}


def with_default_dialect(descriptor: dict) -> dict:
    """The spec's CSV defaults where a resource names no dialect.

    Without them frictionless sniffs the dialect from a sample, and a note full of commas and
    apostrophes can make it guess wrong and misread the whole file.
    """
    if not isinstance(descriptor.get("resources"), list):
        return descriptor  # not a package at all: frictionless says why
    copied = dict(descriptor)
    copied["resources"] = [
        ({**r, "dialect": CSV_DIALECT} if "dialect" not in r else r) if _csv(r) else _table(r) for r in resources(descriptor)
    ]
    return copied


def _table(resource: dict) -> dict:
    """A JSON or spreadsheet file with a schema is a table (frictionless would open a .json path as
    a plain JSON document)."""
    return resource if "type" in resource or not isinstance(resource.get("schema"), dict) else {**resource, "type": "table"}


def _csv(resource: dict) -> bool:
    """A resource frictionless reads as CSV (a JSON or Excel file, or inline data, has no dialect)."""
    path = resource.get("path")
    first = path[0] if isinstance(path, list) and path else path
    declared = resource.get("format")
    if isinstance(declared, str):
        return declared.lower() == "csv"
    return isinstance(first, str) and ".csv" in first.lower() or "data" not in resource and not isinstance(first, str)


def frictionless_package(descriptor: dict, root: Path):
    """frictionless's Package of a descriptor it accepts (imported here: most commands never need it)."""
    from frictionless import Package

    return Package(with_default_dialect(descriptor), basepath=str(root))


def read_tables(descriptor: dict, root: Path, skip: set[str] = frozenset()) -> dict[str, pl.DataFrame]:
    """Every resource as a typed frame, read exactly as `validate` reads it (builder.package.tables).

    For a package already validated (an earlier release, say): problems are not reported here,
    and a table that cannot be read at all comes back empty.
    """
    from builder.package.columns import PatternError
    from builder.package.csvreader import CsvError
    from builder.package.paths import inside
    from builder.package.tables import check_table

    package = frictionless_package(descriptor, root)
    frames = {}
    for resource in resources(descriptor):
        if resource["name"] in skip:
            continue
        try:
            if not formats.is_plain_csv(resource):
                frames[resource["name"]] = formats.read_table(package.get_resource(resource["name"]), set()).frame
                continue
            path = inside(root, resource["path"])
            frames[resource["name"]] = check_table(
                package.get_resource(resource["name"]), path, resource.get("dialect", {}), set()
            ).frame
        except (OSError, UnicodeDecodeError, CsvError, PatternError):
            frames[resource["name"]] = empty_table(resource)
    return frames


def empty_table(resource: dict) -> pl.DataFrame:
    """A zero-row frame with the resource's columns, for a table we could not read."""
    return pl.DataFrame({f["name"]: pl.Series([], dtype=POLARS_TYPES.get(f.get("type"), pl.String)) for f in fields(resource)})
