"""The safety checks of one resource in the descriptor: its name, path, format and dialect, its
`ledger` options, its fields and its keys (builder.package.safety runs them for every resource).
Also the names and addresses every safety check shares, and `problem`, a descriptor problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from builder.common.errors import Problem
from builder.package import formats, load
from builder.package.paths import unsafe_path

DESCRIPTOR = load.DESCRIPTOR_FILE

# A resource name becomes a file name in dist/, a folder on the site, a SQLite table and an XLSX
# sheet (Excel allows 31 characters), so it is a short lowercase slug.
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,30}$")
# Folders and pages the site and the downloads use for themselves.
RESERVED_NAMES = {
    "api",
    "assets",
    "changes",
    "data",
    "downloads",
    "index",
    "javascripts",
    "search",
    "sitemap",
    "stylesheets",
    "404",
}
REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # http:, https:, ftp:, file:, data: …
FIELD_TYPES = {"string", "integer", "number", "boolean", "date", "year", "datetime", "time", "any", "list"}
# Published as canonical text (builder.package.canonical.JSON_TYPES and TEXT_TYPES).
FIELD_TYPES |= {"array", "object", "geojson", "geopoint", "duration", "yearmonth"}
LIST_ITEM_TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "time"}
# The CSV dialect options the reader honours as frictionless does (builder.package.csvreader.python_dialect).
DIALECT_OPTIONS = {
    "$schema",
    "delimiter",
    "quoteChar",
    "doubleQuote",
    "escapeChar",
    "skipInitialSpace",
    "header",
    "lineTerminator",
    "caseSensitiveHeader",
}
# Characters a field name may not hold: it is escaped wherever it lands, and refused here as well.
MARKUP_CHARACTERS = re.compile(r"[<>\"'`&]")


def problem(message: str, fix: str, field: str | None = None, kind: str = "descriptor-invalid") -> Problem:
    return Problem(DESCRIPTOR, None, field, kind, message, fix)


def _source_format(where: str, resource: dict) -> Iterator[Problem]:
    """A file format and compression frictionless reads into a table (builder.package.formats)."""
    kind, compression = formats.format_of(resource), formats.compression_of(resource)
    if kind not in formats.TABULAR:
        yield problem(
            f"{where} is in the format {kind or 'of no known suffix'!r}, which the builder does not read as a table.",
            f"Save it as one of: {', '.join(sorted(formats.TABULAR - {'inline'}))}, or set `format` to the one it is.",
            kind="unsupported-feature",
        )
    if compression is not None and compression not in formats.COMPRESSION:
        yield problem(
            f"{where} is compressed as {compression!r}, which the builder does not read.",
            "Compress it as .gz or .zip, or store it uncompressed.",
            kind="unsupported-feature",
        )


def check_resource(resource: dict, index: int, root: Path) -> Iterator[Problem]:
    name = resource.get("name")
    where = f"resource `{name}`" if isinstance(name, str) else f"resource #{index + 1}"
    if not isinstance(name, str) or not NAME.match(name):
        yield problem(
            f"{where} needs a name of 1–31 lowercase letters, digits, hyphens or underscores"
            f" (it becomes a file name, a folder and a sheet){'' if name is None else f', not {name!r}'}.",
            "Rename the resource, e.g. `release_cadence` or `people`.",
        )
    elif name in RESERVED_NAMES and (name == "index" or _gets_pages(resource)):
        # Only a table with row pages has a folder of its own at the top of the site; every table's
        # data page is data/<name>/, where only `index` clashes (with the data index).
        yield problem(
            f"{where} is named like one of the site's own folders ({', '.join(sorted(RESERVED_NAMES))}).",
            "Rename the resource.",
        )
    path = resource.get("path")
    inline = path is None and isinstance(resource.get("data"), list)
    files = path if isinstance(path, list) and path else [path]
    if not inline and not all(isinstance(p, str) and p for p in files):
        yield problem(f"{where} has no CSV `path`.", "Give every resource a relative path to its CSV file (or inline `data`).")
    elif not inline:
        yield from _source_format(where, resource)
    for path in files if not inline else ():
        if not isinstance(path, str) or REMOTE.match(path):
            continue
        reason = unsafe_path(root, path)
        if reason:
            yield problem(
                f"{where} has `path` {path!r}, which {reason}.", "Keep the CSV inside the package folder.", kind="unsafe-path"
            )
        elif any(part.startswith(".") for part in PurePosixPath(path).parts):
            yield problem(
                f"{where} has `path` {path!r}, which is hidden or in a hidden folder (like .git/ or .build/),"
                " and hidden files are never published.",
                "Keep the CSV in a visible folder of the package, such as data/.",
                kind="unsafe-path",
            )
    for key in ("dialect",):  # a schema file was read in before (builder.package.lenient.read_schemas)
        if isinstance(resource.get(key), str) and not REMOTE.match(resource[key]):
            yield problem(
                f"{where} points its {key} to a file ({resource[key]}).",
                f"Write the {key} inline in datapackage.json.",
            )
    dialect = resource.get("dialect")
    if isinstance(dialect, dict) and formats.is_plain_csv(resource):  # other formats are read by frictionless itself
        for key, value in dialect.items():
            if key not in DIALECT_OPTIONS and not (key == "headerRows" and value == [1]):
                yield problem(
                    f"{where} asks for the CSV dialect {key}={value!r}, which the builder does not read yet"
                    f" (it reads {', '.join(sorted(DIALECT_OPTIONS - {'$schema'}))}).",
                    "Re-save the file with one header row (or none) and no comment rows, and remove the option.",
                    kind="unsupported-feature",
                )
    ledger = resource.get("ledger", {})
    if not isinstance(ledger, dict):
        yield problem(f"{where} has a `ledger` that is not an object.", 'Write e.g. `"ledger": {"label": "name"}`, or remove it.')
        ledger = {}
    schema = resource.get("schema")
    if not isinstance(schema, dict):
        yield problem(f"{where} has no schema.", "Describe the CSV's columns in an inline `schema` with `fields`.")
        return
    fields = schema.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        yield problem(f"{where} has no list of field objects in `schema.fields`.", "Describe each column as an object.")
        return
    yield from _fields(where, fields, schema)
    names = [f.get("name") for f in fields if isinstance(f.get("name"), str)]
    yield from _keys(where, schema, names)
    for option in ("label",):
        if option in ledger and ledger[option] not in names:
            yield problem(
                f"{where}: `ledger.{option}` names {ledger[option]!r}, which is not a field.", "Name one of its fields."
            )
    if "columns" in ledger:
        columns = ledger["columns"]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            yield problem(f"{where}: `ledger.columns` must be a list of field names.", 'Write e.g. `["name", "date"]`.')
        else:
            for column in columns:
                if column not in names:
                    yield problem(f"{where}: `ledger.columns` names {column!r}, which is not a field.", "Name its fields only.")
    if "pages" in ledger and not isinstance(ledger["pages"], bool):
        yield problem(f"{where}: `ledger.pages` must be true or false.", "Write true or false.")
    if "highlight" in ledger:
        yield from _highlight(where, ledger["highlight"], names)
    for option in sorted(set(ledger) - RESOURCE_OPTIONS, key=str):
        yield problem(
            f"{where}: `ledger.{option}` is not an option the builder knows.",
            f"Use {', '.join(f'`{o}`' for o in sorted(RESOURCE_OPTIONS - BUILDER_WRITTEN))}, or remove it.",
        )


def _gets_pages(resource: dict) -> bool:
    """Whether the resource asks for row pages (load.gets_pages, before its key is known to be good)."""
    ledger = resource.get("ledger")
    return isinstance(ledger, dict) and bool(ledger.get("pages", "label" in ledger))


RESOURCE_OPTIONS = {"label", "columns", "pages", "highlight", "view", "rows", "sorted_by"}
BUILDER_WRITTEN = {"view", "rows", "sorted_by"}  # what the builder adds to a published descriptor
HIGHLIGHT_EXAMPLE = 'Write e.g. `"highlight": {"noun": "claim", "fields": ["verdict"], "subject": "person_id"}`.'


def _highlight(where: str, rule, names: list[str]) -> Iterator[Problem]:
    """`ledger.highlight`: which fields' changes `builder diff` and the Changes page put first."""
    if not isinstance(rule, dict):
        yield problem(f"{where}: `ledger.highlight` must be an object.", HIGHLIGHT_EXAMPLE)
        return
    for key in sorted(set(rule) - {"noun", "fields", "subject"}, key=str):
        yield problem(f"{where}: `ledger.highlight` has an unknown key {key!r}.", "Use `noun`, `fields` and `subject` only.")
    noun = rule.get("noun")
    if noun is not None and not (isinstance(noun, str) and noun.strip() and len(noun) <= 40 and "\n" not in noun):
        yield problem(f"{where}: `ledger.highlight.noun` must be a short word for one row.", 'Write e.g. `"noun": "claim"`.')
    fields = rule.get("fields")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) for f in fields):
        yield problem(f"{where}: `ledger.highlight.fields` must be a list of field names.", HIGHLIGHT_EXAMPLE)
    else:
        for name in fields:
            if name not in names:
                yield problem(
                    f"{where}: `ledger.highlight.fields` names {name!r}, which is not a field.", "Name its fields only."
                )
    subject = rule.get("subject")
    if subject is not None and subject not in names:
        yield problem(f"{where}: `ledger.highlight.subject` names {subject!r}, which is not a field.", "Name one of its fields.")


def _fields(where: str, fields: list[dict], schema: dict) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    for field in fields:
        name = field.get("name")
        if not isinstance(name, str) or not name or name.startswith("__"):
            yield problem(
                f"{where} has a field named {name!r}.",
                "Name every field with text that does not start with two underscores (those are the builder's own).",
            )
            continue
        markup = sorted(set(MARKUP_CHARACTERS.findall(name)))
        if markup:
            yield problem(
                f"{where} has a field named {name!r}, with {' '.join(markup)}: field names land in the site's"
                " markup (headings, filters, attributes), where these characters are markup.",
                "Rename the field with letters, digits, spaces, hyphens or underscores.",
                name,
            )
            continue
        folded = name.casefold()
        if folded in seen:
            yield problem(
                f"{where} has fields `{seen[folded]}` and `{name}`, which differ only in case.",
                "Rename one: SQLite, Excel and most tools treat them as the same column.",
                name,
            )
        seen[folded] = name
        kind = field.get("type", "string")
        if kind not in FIELD_TYPES:
            yield problem(
                f"{where}, field `{name}` has type {kind!r}, which the builder cannot publish yet.",
                f"Use one of: {', '.join(sorted(FIELD_TYPES))}.",
                name,
                "unsupported-feature",
            )
        if kind == "list" and field.get("itemType", "string") not in LIST_ITEM_TYPES:
            yield problem(
                f"{where}, field `{name}` is a list of {field['itemType']!r}, which the builder cannot publish yet.",
                f"Use an itemType of: {', '.join(sorted(LIST_ITEM_TYPES))}.",
                name,
                "unsupported-feature",
            )
        constraints = field.get("constraints", {})
        if not isinstance(constraints, dict):
            yield problem(f"{where}, field `{name}` has constraints that are not an object.", "Write them as an object.", name)
            continue
        pattern = constraints.get("pattern")
        if pattern is not None:
            try:
                re.compile(f"^{pattern}$")  # as frictionless anchors it: `(?i)…` is an error there too
            except (re.error, TypeError) as error:
                yield problem(
                    f"{where}, field `{name}` has a pattern that is not a regular expression: {error}.",
                    "Correct the pattern (backslashes are doubled in JSON).",
                    name,
                )
        enum = constraints.get("enum")
        if enum is not None and not isinstance(enum, list):
            yield problem(f"{where}, field `{name}` has an enum that is not a list.", "Write the allowed values as a list.", name)


def _keys(where: str, schema: dict, names: list[str]) -> Iterator[Problem]:
    key = schema.get("primaryKey")
    keys = [key] if isinstance(key, str) else key if isinstance(key, list) else None
    if key is not None and keys is None:  # none at all is a warning (builder.package.lenient)
        yield problem(f"{where} has a primary key that is not a field name or a list of them.", "Name its fields only.")
    elif keys:
        for name in keys:
            if name not in names:
                yield problem(f"{where}: primary key names {name!r}, which is not a field.", "Name its fields only.")
    foreign = schema.get("foreignKeys", [])
    if not isinstance(foreign, list):
        yield problem(f"{where} has `foreignKeys` that is not a list.", "Write a list of foreign keys.")
        return
    for index, fk in enumerate(foreign):
        ok = (
            isinstance(fk, dict)
            and isinstance(fk.get("fields"), (str, list))
            and isinstance(fk.get("reference"), dict)
            and isinstance(fk["reference"].get("fields"), (str, list))
            and isinstance(fk["reference"].get("resource", ""), str)
        )
        if not ok:
            yield problem(
                f"{where}: foreign key #{index + 1} is not of the form"
                ' {"fields": [...], "reference": {"resource": "...", "fields": [...]}}.',
                "Write it in that form.",
            )
