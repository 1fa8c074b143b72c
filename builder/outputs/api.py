"""A static JSON API under site/api/v1/: plain files any static host serves, no server code.

    index.json                 the package, its tables (with where their files are) and releases
    <table>.json               every row of a table or view, sorted by primary key
    <table>/<id>.json          for tables with pages: the row, rows joined to it, citations, history
    schemas/<table>.json       JSON Schema of <table>.json, generated from the Table Schema; its
                               $defs.row is one row and $defs.entity a <table>/<id>.json file
    schemas/index.json         JSON Schema of index.json

Every file is written with fixed key order and indentation, so two builds give the same bytes.
A row's file is named like its page (handwritten.page_slug), checked to stay inside the folder.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import polars as pl
from frictionless import Field

from builder.common import progress
from builder.common.errors import BuilderError
from builder.outputs import export
from builder.package import load
from builder.package.handwritten import page_slug
from builder.package.paths import resolved
from builder.package.resource import Resource, resources_by_name
from builder.views.derive import View

VERSION = "v1"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean", "date": "string"}


def dumps(data) -> str:
    # Compact: smaller files, and json's C encoder (indenting falls back to the slow pure-Python one).
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def inside(base: Path, *parts: str) -> Path:
    """A path under `base`, refusing anything that would land outside it."""
    path = base.joinpath(*parts).resolve()
    root = resolved(base)
    if not path.is_relative_to(root) or path == root:
        raise BuilderError(f"API file name {'/'.join(parts)!r} would leave the API folder.")
    return path


# ---------------------------------------------------------------- JSON Schema from Table Schema


def json_pattern(pattern: str) -> str:
    """A Table Schema pattern as JSON Schema's (a search anywhere in the value) with frictionless's
    meaning: it matches re.compile("^" + pattern + "$") at the start of the value, so `a|b` means
    "starts with a, or is b". `^(?:^a|b$)` says exactly that; a plain anchored pattern is kept."""
    if "|" not in pattern and pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern
    return f"^(?:^{pattern}$)"


def exported(f: dict, values: list) -> list:
    """Constraint values (enum, bounds) as the API exports the field's values: an integer enum
    written as ["1", "2"] is [1, 2], a date is its ISO text. A value of the wrong type is dropped
    (it can match no cell)."""
    reader = Field.from_descriptor({"name": f["name"], "type": f.get("type", "string")}).create_value_reader()
    out = []
    for value in values:
        typed = reader(value)
        if typed is None:
            continue
        if isinstance(typed, dt.date):
            typed = typed.isoformat()
        elif isinstance(typed, Decimal):
            typed = float(typed)  # numbers are exported as floats
        out.append(typed)
    return out


def field_schema(f: dict) -> dict:
    kind = f.get("type", "string")
    constraints = f.get("constraints", {})
    schema: dict = {"title": f.get("title", f["name"]), "description": f.get("description", "")}
    if kind == "date":
        schema["format"] = "date"
        schema["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
    if "pattern" in constraints and kind == "string":
        schema["pattern"] = json_pattern(constraints["pattern"])
    for key in ("minimum", "maximum"):  # JSON Schema bounds numbers only
        if key in constraints and kind in ("integer", "number"):
            schema[key] = next(iter(exported(f, [constraints[key]])), None)
            if schema[key] is None:
                del schema[key]
    for key in ("minLength", "maxLength"):
        if key in constraints:
            schema[key] = constraints[key]
    required = bool(constraints.get("required"))
    json_type = JSON_TYPES.get(kind, "string")
    schema["type"] = json_type if required else [json_type, "null"]
    allowed = constraints.get("enum")
    if allowed is None and isinstance(f.get("categories"), list):  # Data Package v2, checked like enum
        allowed = [c["value"] if isinstance(c, dict) else c for c in f["categories"]]
    if allowed is not None:
        schema["enum"] = exported(f, list(allowed)) + ([] if required else [None])
    return schema


def row_schema(schema: dict) -> dict:
    names = [f["name"] for f in schema["fields"]]
    return {
        "type": "object",
        "properties": {f["name"]: field_schema(f) for f in schema["fields"]},
        "required": names,
        "additionalProperties": False,
    }


EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "release": {"type": ["string", "null"], "description": "The version, or null for unreleased changes."},
        "date": {"type": ["string", "null"], "format": "date"},
        "kind": {"enum": ["added", "changed", "removed"]},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "old": {"type": ["string", "null"]},
                    "new": {"type": ["string", "null"]},
                },
                "required": ["field", "old", "new"],
                "additionalProperties": False,
            },
        },
        "changes": {"type": "string", "description": "The release's section of the Changes page."},
    },
    "required": ["release", "date", "kind", "fields", "changes"],
    "additionalProperties": False,
}
ROWS = {"type": "array", "items": {"type": "object"}}


def table_schema(name: str, title: str, description: str, schema: dict) -> dict:
    return {
        "$schema": SCHEMA_DIALECT,
        "title": f"{title} ({name}.json)",
        "description": description,
        "type": "object",
        "properties": {
            "table": {"const": name},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "primary_key": {"type": "array", "items": {"type": "string"}},
            "count": {"type": "integer", "minimum": 0},
            "rows": {"type": "array", "items": {"$ref": "#/$defs/row"}},
        },
        "required": ["table", "title", "description", "primary_key", "count", "rows"],
        "additionalProperties": False,
        "$defs": {
            "row": row_schema(schema),
            "entity": {
                "type": "object",
                "properties": {
                    "table": {"const": name},
                    "id": {"type": "string"},
                    "page": {"type": "string"},
                    "row": {"$ref": "#/$defs/row"},
                    "references": {"type": "object", "additionalProperties": {"type": "object"}},
                    "referenced_by": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"table": {"type": "string"}, "field": {"type": "string"}, "rows": ROWS},
                            "required": ["table", "field", "rows"],
                        },
                    },
                    "linked": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"table": {"type": "string"}, "via": {"type": "string"}, "rows": ROWS},
                            "required": ["table", "via", "rows"],
                        },
                    },
                    "citations": ROWS,
                    "history": {"type": "array", "items": EVENT_SCHEMA},
                },
                "required": ["table", "id", "page", "row", "references", "referenced_by", "linked", "citations", "history"],
                "additionalProperties": False,
            },
        },
    }


INDEX_SCHEMA = {
    "$schema": SCHEMA_DIALECT,
    "title": "API index (index.json)",
    "type": "object",
    "properties": {
        "api": {"const": VERSION},
        "package": {"type": "object", "required": ["name", "title", "version"]},
        "tables": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "title": {"type": "string"},
                    "kind": {"enum": ["table", "view"]},
                    "count": {"type": "integer"},
                    "primary_key": {"type": "array", "items": {"type": "string"}},
                    "data": {"type": "string"},
                    "schema": {"type": "string"},
                    "rows": {"type": ["string", "null"]},
                    "downloads": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["name", "title", "kind", "count", "primary_key", "data", "schema", "rows", "downloads"],
            },
        },
        "downloads": {
            "type": "array",
            "description": "This build's whole-package files, named by the version: workbook, database, zip.",
            "items": {
                "type": "object",
                "properties": {
                    "format": {"type": "string"},
                    "url": {"type": "string"},
                    "bytes": {"type": "integer"},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
                "required": ["format", "url", "bytes", "sha256"],
                "additionalProperties": False,
            },
        },
        "history": {
            "type": "object",
            "properties": {"available": {"type": "boolean"}, "reason": {"type": "string"}},
            "required": ["available", "reason"],
        },
        "releases": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "version": {"type": "string"},
                    "date": {"type": "string", "format": "date"},
                    "commit": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
                    "summary": {"type": "string"},
                    "changes": {"type": "string"},
                    "downloads": {"type": "object", "additionalProperties": {"type": "string"}},
                },
                "required": ["version", "date", "commit", "summary", "changes", "downloads"],
            },
        },
    },
    "required": ["api", "package", "tables", "downloads", "history", "releases"],
    "additionalProperties": False,
}


# ---------------------------------------------------------------- the files


def write(base: Path, descriptor: dict, tables: dict[str, pl.DataFrame], views: list[View], published: dict, ledger) -> int:
    """Write the API into `base` (site/api/v1); return how many files. `published` is export's
    descriptor (its downloads are listed); `ledger` the history stage's changes.Ledger, or None
    when unread (not imported for its name: history sits above outputs)."""
    resources = resources_by_name(descriptor)
    exported = export.collect(descriptor, tables, views)
    rows_of = {t.name: export.records(t.frame) for t in exported if not t.is_view}  # sorted, JSON-ready, read once
    by_key = {
        name: {row[r.single_key]: row for row in rows_of[name]} for name, r in resources.items() if r.single_key is not None
    }
    base.mkdir(parents=True)
    (base / "schemas").mkdir()
    files: dict[Path, str] = {}
    index_tables = []
    for table in exported:
        pages = table.name in resources and resources[table.name].gets_pages
        key = load.primary_key({"schema": table.schema})
        files[inside(base, f"{table.name}.json")] = dumps(
            {
                "table": table.name,
                "title": table.title,
                "description": table.description,
                "primary_key": key,
                "count": table.frame.height,
                "rows": rows_of[table.name] if table.name in rows_of else export.records(table.frame),
            }
        )
        files[inside(base, "schemas", f"{table.name}.json")] = dumps(
            table_schema(table.name, table.title, table.description, table.schema)
        )
        index_tables.append(
            {
                "name": table.name,
                "title": table.title,
                "kind": "view" if table.is_view else "table",
                "count": table.frame.height,
                "primary_key": key,
                "data": f"{table.name}.json",
                "schema": f"schemas/{table.name}.json",
                "rows": f"{table.name}/{{id}}.json" if pages else None,
                "downloads": {fmt: f"../../downloads/data/{table.name}.{fmt}" for fmt in ("csv", "json", "parquet")},
            }
        )
        if pages:
            files.update(entity_files(base, table.name, resources, rows_of, by_key, ledger))
    entries = [e for e in ledger.entries if e.release] if ledger and ledger.available else []
    index = {
        "api": VERSION,
        "package": {
            k: descriptor[k]
            for k in ("name", "title", "description", "version", "licenses", "homepage", "keywords")
            if k in descriptor
        },
        "tables": index_tables,
        "downloads": [
            {
                "format": d["format"],
                "url": f"../../downloads/{d['path']}",
                "bytes": d["bytes"],
                "sha256": d["hash"].removeprefix("sha256:"),
            }
            for d in published.get("downloads", [])
        ],
        "history": {"available": bool(ledger and ledger.available), "reason": ledger.reason if ledger else "not read"},
        "releases": [
            {
                "version": e.release.version,
                "date": e.release.date.date().isoformat(),
                "commit": e.release.commit,
                "summary": e.release.summary,
                "changes": f"../../changes/#{e.anchor}",
                "downloads": {
                    # The zip as that release wrote it: named with the package name it had then.
                    "zip": "../../downloads/" + e.zip_path(descriptor.get("name", "package")),
                    "datapackage": f"../../downloads/{e.release.version}/datapackage.json",
                },
            }
            for e in entries  # newest first
        ],
    }
    files[inside(base, "index.json")] = dumps(index)
    files[inside(base, "schemas", "index.json")] = dumps(INDEX_SCHEMA)
    progress.start("api", len(files), "files written")
    folders = set()
    for path in sorted(files):
        if path.parent not in folders:  # once per folder, not once per file
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_text(files[path], encoding="utf-8")
        progress.advance()
    return len(files)


def entity_files(
    base: Path, name: str, resources: dict[str, Resource], rows_of: dict[str, list[dict]], by_key: dict[str, dict], ledger
) -> dict[Path, str]:
    """One file per row: the row, what it references, what references it, citations, history."""
    resource = resources[name]
    key = resource.primary_key[0]
    incoming = [
        (other, own[0], r)
        for other, r in resources.items()
        for own, target, _ in r.foreign_keys
        if target == name and len(own) == 1
    ]
    # What each row is joined through, worked out once per table rather than once per row.
    outgoing = [(own[0], target) for own, target, _ in resource.foreign_keys if len(own) == 1 and target in by_key]
    # A link table (key = two foreign keys) joins a row of this table to rows of another table.
    through = {
        (other, column): [
            (own[0], target)
            for own, target, _ in r.foreign_keys
            if len(r.primary_key) == 2 and own[0] in r.primary_key and own[0] != column and target in by_key
        ]
        for other, column, r in incoming
    }
    citing = [t for t, rows in rows_of.items() if rows and {"resource", "row_id"} <= set(rows[0])]
    grouped = {(other, column): group(rows_of[other], column) for other, column, _ in incoming}
    cited = {t: group([r for r in rows_of[t] if r["resource"] == name], "row_id") for t in citing}
    folder = inside(base, name)  # checked once: a row's file name is a page slug, [a-z0-9-] only
    files: dict[Path, str] = {}
    for row in rows_of[name]:
        value = row[key]
        slug = page_slug(value)
        path = folder / f"{slug}.json"
        if path in files:
            raise BuilderError(
                f"two rows of {name} share the API file name {slug}.json; make their ids differ in more than case or punctuation."
            )
        references = {}
        for column, target in outgoing:
            if row.get(column) is not None:
                found = by_key[target].get(row[column])
                if found is not None:
                    references[column] = found
        referenced_by, linked = [], []
        for other, column, _ in incoming:
            rows = grouped[(other, column)].get(value, [])
            if not rows:
                continue
            referenced_by.append({"table": other, "field": column, "rows": rows})
            for own, target in through[(other, column)]:
                joined = [by_key[target][r[own]] for r in rows if r[own] in by_key[target]]
                linked.append({"table": target, "via": other, "rows": joined})
        citations = [r for t in citing for r in cited[t].get(value, [])]
        history = [
            {
                "release": e["release"],
                "date": e["date"],
                "kind": e["kind"],
                "fields": e["fields"],
                "changes": f"../../../changes/#{e['anchor']}",
            }
            for e in (ledger.row_history(name, value) if ledger else [])
        ]
        files[path] = dumps(
            {
                "table": name,
                "id": str(value),
                "page": f"../../../{name}/{slug}/",
                "row": row,
                "references": references,
                "referenced_by": referenced_by,
                "linked": linked,
                "citations": citations,
                "history": history,
            }
        )
    return files


def group(rows: list[dict], column: str) -> dict:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(row.get(column), []).append(row)
    return grouped
