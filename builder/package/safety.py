"""What a package may not do: the checks that keep a hostile or careless package harmless.

They run before anything else reads the package (frictionless included), so a package that
fails them is never read further: no file outside the root is opened, no remote address is
resolved, and no name or id can become a path outside the output folders or a page that
overwrites another. Cell checks (control characters, ids that make clashing pages, values that
no download can hold) run on the typed tables, before rules, views and exports see them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import jinja2
import polars as pl

from builder.check.rules import ROW, numbered
from builder.common.errors import Problem
from builder.package import formats, load
from builder.package import story as stories
from builder.package.handwritten import docs_context, docs_environment, page_slug
from builder.package.paths import unsafe_path
from builder.package.tables import CONTROL_RE

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
# Names of profiles frictionless knows without fetching anything.
KNOWN_PROFILES = {"data-package", "tabular-data-package", "data-resource", "tabular-data-resource"}
# The standard's own profile addresses (Data Package v2 `$schema`): frictionless recognises them
# by their form and never fetches them.
STANDARD_PROFILE = re.compile(r"^https://datapackage\.org/profiles/\d+\.\d+/[a-z-]+\.json$")
REMOTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")  # http:, https:, ftp:, file:, data: …
FIELD_TYPES = {"string", "integer", "number", "boolean", "date", "year", "datetime", "time", "any", "list"}
# Published as canonical text (builder.package.canonical.JSON_TYPES and TEXT_TYPES).
FIELD_TYPES |= {"array", "object", "geojson", "geopoint", "duration", "yearmonth"}
LIST_ITEM_TYPES = {"string", "integer", "number", "boolean", "date", "datetime", "time"}
# The CSV dialect options the reader honours as frictionless does (builder.tables.python_dialect).
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
# CONTROL (builder.package.tables): text that breaks YAML front matter, HTML or a spreadsheet; the same
# characters in Rust's regex syntax for Polars.
POLARS_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x{9F}\x{2028}\x{2029}\x{FFFE}\x{FFFF}]"
SURROGATE_RE = re.compile("[\ud800-\udfff]")
# One page per row is named after its id: ids must give distinct, short file names.
MAX_SLUG = 100
# What one cell may show on a page (and so put in the search index); downloads keep it whole.
CELL_LIMIT = 5000
# Excel keeps at most this many characters in a cell; longer text is cut in the workbook only.
EXCEL_CELL_LIMIT = 32767
MAX_DEPTH = 32
# Characters a field name may not hold: it is escaped wherever it lands, and refused here as well.
MARKUP_CHARACTERS = re.compile(r"[<>\"'`&]")


def problem(message: str, fix: str, field: str | None = None, kind: str = "descriptor-invalid") -> Problem:
    return Problem(DESCRIPTOR, None, field, kind, message, fix)


# ---------------------------------------------------------------- the descriptor


def check_descriptor(descriptor: dict, root: Path) -> list[Problem]:
    """Everything about the descriptor's shape that must hold before it is handed to frictionless."""
    depth = _depth(descriptor)
    if depth > MAX_DEPTH:
        return [problem(f"datapackage.json nests {depth} levels deep.", f"Keep the descriptor under {MAX_DEPTH} levels.")]
    problems = list(_text_problems(descriptor))
    if problems:
        return problems
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        shape = (
            "an empty list" if resources == [] else "missing" if resources is None else f"{type(resources).__name__}, not a list"
        )
        return [problem(f"`resources` is {shape}.", "Add a `resources` array with one object per CSV.")]
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            problems.append(
                problem(
                    f"Resource #{index + 1} is {type(resource).__name__}, not an object.",
                    "Write each resource as an object with a name, a path and a schema.",
                )
            )
    if problems:
        return problems
    problems += _package_options(descriptor)
    problems += _remote_references(descriptor)
    names = []
    for index, resource in enumerate(resources):
        problems += list(_resource(resource, index, root))
        names.append(resource.get("name"))
    problems += _name_clashes(descriptor, [n for n in names if isinstance(n, str)])
    return problems


def _depth(value, level: int = 1) -> int:
    """How deeply the descriptor nests (stops counting past the limit)."""
    if level > MAX_DEPTH:
        return level
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(child, level + 1) for child in children), default=level)


def _strings(value, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(key, where)
            yield from _strings(child, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, f"{where}[{index}]")


def _text_problems(descriptor: dict) -> Iterator[Problem]:
    """No lone surrogate (unencodable) and no control character anywhere in the descriptor."""
    for where, text in _strings(descriptor):
        if SURROGATE_RE.search(text):
            yield problem(
                f"`{where}` holds a lone surrogate escape (\\ud800–\\udfff), which no file can store.",
                "Write the character itself, or a valid pair of \\u escapes.",
            )
        elif CONTROL_RE.search(text):
            char = CONTROL_RE.search(text).group()
            yield problem(
                f"`{where}` holds the control character U+{ord(char):04X}.",
                "Remove it (it is often left by copying from a PDF or by a Latin-1 round trip).",
                kind="control-character",
            )


def _package_options(descriptor: dict) -> list[Problem]:
    problems = []
    ledger = descriptor.get("ledger", {})
    if not isinstance(ledger, dict):
        problems.append(problem("`ledger` must be an object.", 'Write `"ledger": {"story": "llama"}`, or remove it.'))
    elif unknown := sorted(set(ledger) - PACKAGE_OPTIONS, key=str):
        problems += [
            problem(
                f"`ledger.{option}` is not an option the builder knows.",
                f"Use {', '.join(f'`{o}`' for o in sorted(PACKAGE_OPTIONS))}, or remove it.",
            )
            for option in unknown
        ]
    repository = ledger.get("repository") if isinstance(ledger, dict) else None
    if repository is not None and not (isinstance(repository, str) and re.fullmatch(r"https://[^\s\"'<>]+", repository)):
        problems.append(
            problem(
                "`ledger.repository` must be the https address of the package's repository.",
                "Write e.g. https://github.com/owner/name.",
            )
        )
    if isinstance(ledger, dict) and ledger.get("story") is not None and ledger["story"] not in stories.KNOWN:
        problems.append(
            problem(
                f"datapackage.json names an unknown story {ledger['story']!r}.",
                f"Use one of: {', '.join(sorted(stories.KNOWN))}, or remove `ledger.story` to publish with generic pages only.",
            )
        )
    for label in ("title", "description"):  # a missing one is a warning with a default (builder.package.lenient)
        if descriptor.get(label) is not None and not isinstance(descriptor[label], str):
            problems.append(problem(f"The package's {label} is not text.", f"Write the `{label}` as text.", label))
    version = descriptor.get("version")
    if version is not None and not (isinstance(version, str) and re.fullmatch(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?", version)):
        problems.append(
            problem(f"`version` {version!r} is not a semantic version.", "Write it as MAJOR.MINOR.PATCH, e.g. 0.2.0.", "version")
        )
    name = descriptor.get("name")
    if name is not None and not (isinstance(name, str) and re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", name)):
        problems.append(
            problem(
                f"The package `name` {name!r} is not a safe file name.",
                "Use lowercase letters, digits, dots, hyphens and underscores (it names the downloads).",
                "name",
            )
        )
    return problems


def _remote_references(descriptor: dict) -> list[Problem]:
    """The builder never fetches anything: a remote profile, path, schema or dialect is refused."""
    problems = []
    places = [("profile", descriptor.get("profile")), ("$schema", descriptor.get("$schema"))]
    for resource in descriptor["resources"]:
        name = resource.get("name", "?")
        for key in ("profile", "$schema", "path", "schema", "dialect"):
            places.append((f"resources[{name}].{key}", resource.get(key)))
        schema = resource.get("schema")
        for key in ("profile", "$schema") if isinstance(schema, dict) else ():  # a Table Schema's own profile
            places.append((f"resources[{name}].schema.{key}", schema.get(key)))
    for where, value in places:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and item not in KNOWN_PROFILES and REMOTE.match(item) and not _standard(where, item):
                problems.append(
                    problem(
                        f"`{where}` is a remote address ({item}); the builder never reads from the network.",
                        "Store the file in the package and give its relative path, or use a built-in profile name.",
                        kind="remote-reference",
                    )
                )
    return problems


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


def _standard(where: str, item: str) -> bool:
    return where.endswith(("profile", "$schema")) and STANDARD_PROFILE.match(item) is not None


def _resource(resource: dict, index: int, root: Path) -> Iterator[Problem]:
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
PACKAGE_OPTIONS = {"story", "release_notes", "repository"}
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


def _name_clashes(descriptor: dict, names: list[str]) -> list[Problem]:
    problems = []
    seen = set()
    for name in names:
        folded = name.casefold()
        if folded in seen:
            problems.append(problem(f"Two resources are named `{name}`.", "Give every resource its own name."))
        seen.add(folded)
    story = stories.for_package(descriptor) if _story_known(descriptor) else None
    if story is not None:
        taken = set(getattr(story, "VIEWS", ())) | {path.split("/")[0].removesuffix(".md") for path in story.PAGES}
        for name in names:
            if name in taken and name not in getattr(story, "REQUIRES", {}):
                problems.append(
                    problem(
                        f"Resource `{name}` has the name of one of the story's own pages or views.",
                        "Rename the resource.",
                    )
                )
        for table, columns in getattr(story, "REQUIRES", {}).items():
            resource = next((r for r in descriptor["resources"] if r.get("name") == table), None)
            if resource is None:
                problems.append(
                    problem(
                        f"The {descriptor['ledger']['story']} story needs a resource `{table}`.",
                        "Add it, or remove `ledger.story` to publish with generic pages only.",
                    )
                )
                continue
            have = {f.get("name") for f in (resource.get("schema") or {}).get("fields", []) if isinstance(f, dict)}
            for column in columns:
                if column not in have:
                    problems.append(
                        problem(
                            f"The {descriptor['ledger']['story']} story needs field `{column}` in resource `{table}`.",
                            "Add the field, or remove `ledger.story`.",
                            column,
                        )
                    )
    return problems


def _story_known(descriptor: dict) -> bool:
    ledger = descriptor.get("ledger")
    return isinstance(ledger, dict) and ledger.get("story") in stories.KNOWN


# ---------------------------------------------------------------- cells


def check_tables(descriptor: dict, tables: dict[str, pl.DataFrame], clean: set[str] = frozenset()) -> list[Problem]:
    """Cells no page or download may hold. `clean`: tables whose bytes were found free of control
    characters as they were read (builder.package.tables.no_control_characters), not scanned again."""
    problems: list[Problem] = []
    for resource in load.resources(descriptor):
        frame = tables.get(resource["name"])
        if frame is None or frame.height == 0:
            continue
        rows = numbered(frame)  # numbered once for the three checks
        if resource["name"] not in clean:
            problems += _control_characters(resource, rows)
        problems += _not_finite(resource, rows)
        problems += _page_names(resource, rows)
    return problems


def _control_characters(resource: dict, rows: pl.DataFrame) -> list[Problem]:
    problems = []
    for column, dtype in rows.schema.items():
        if dtype != pl.String:
            continue
        bad = rows.filter(pl.col(column).str.contains(POLARS_CONTROL)).select(ROW, column)
        for row, value in bad.rows():
            char = CONTROL_RE.search(value).group()
            problems.append(
                Problem(
                    resource["path"],
                    row,
                    column,
                    "control-character",
                    f"The cell holds the control character U+{ord(char):04X}.",
                    "Remove it: it is often mojibake from a Latin-1 round trip (re-save the file as UTF-8) or a stray"
                    " character copied from a PDF.",
                    resource["name"],
                )
            )
    return problems


def _not_finite(resource: dict, rows: pl.DataFrame) -> list[Problem]:
    problems = []
    for column, dtype in rows.schema.items():
        if dtype not in (pl.Float64, pl.Float32):
            continue
        for row, value in rows.filter(~pl.col(column).is_finite()).select(ROW, column).rows():
            problems.append(
                Problem(
                    resource["path"],
                    row,
                    column,
                    "number-not-finite",
                    f"{value} is not a finite number; JSON, the workbook and most tools cannot hold it.",
                    "Write a finite number, or leave the cell empty.",
                    resource["name"],
                )
            )
    return problems


# Page names the builder gives itself in a table's folder, which a row's page (named by its id's
# slug) must never take: the index, and the folder of the index's numbered pages, where a row's
# list pages (<table>/<id>/<section>/) would otherwise overwrite <table>/pages/2/.
RESERVED_SLUGS = {
    "index": "replace the table's index page",
    "pages": "share its folder with the numbered pages of the table's index ({table}/pages/2/)",
}


def _page_names(resource: dict, rows: pl.DataFrame) -> list[Problem]:
    """Rows that get pages must get distinct, legal file names from their ids."""
    key = load.primary_key(resource)
    if not load.gets_pages(resource) or key[0] not in rows.columns:
        return []
    problems = []
    seen: dict[str, tuple[int, str]] = {}
    # page_slug in Polars, to look only at rows that can be a problem (too long, reserved, shared):
    # linear at any size, and the loop below still decides with page_slug itself. An id that is
    # already a slug names its own page, and two such ids share a page only when they are equal
    # (the primary key's problem), so when every id is one, only length and the reserved names can clash.
    text = pl.col(key[0]).cast(pl.String)
    if rows.select(text.str.contains(r"^[a-z0-9]+(?:-[a-z0-9]+)*$").or_(text.is_null()).all()).item():
        slug, shared = text, pl.lit(False)
    else:
        slug = text.str.to_lowercase().str.replace_all("[^a-z0-9]+", "-").str.strip_chars("-")
        slug = pl.when(slug == "").then(pl.lit("row")).otherwise(slug)
        shared = pl.col("__slug").is_duplicated()
    suspects = rows.select(ROW, key[0], slug.alias("__slug")).filter(
        (pl.col("__slug").str.len_chars() > MAX_SLUG) | pl.col("__slug").is_in(list(RESERVED_SLUGS)) | shared
    )
    for row, value in suspects.select(ROW, key[0]).rows():
        if value is None:
            continue
        slug = page_slug(value)
        if len(slug) > MAX_SLUG:
            problems.append(
                Problem(
                    resource["path"],
                    row,
                    key[0],
                    "id-too-long",
                    f"The id is {len(str(value))} characters long; ids name files and pages.",
                    f"Use an id of at most {MAX_SLUG} characters.",
                    resource["name"],
                )
            )
        elif slug in RESERVED_SLUGS:
            problems.append(
                Problem(
                    resource["path"],
                    row,
                    key[0],
                    "id-reserved",
                    f'The id "{value}" would {RESERVED_SLUGS[slug].format(table=resource["name"])}.',
                    "Use another id.",
                    resource["name"],
                )
            )
        elif slug in seen and seen[slug][1] != str(value):  # an exact duplicate is the primary key's problem
            first_row, first = seen[slug]
            problems.append(
                Problem(
                    resource["path"],
                    row,
                    key[0],
                    "id-clash",
                    f'The id "{value}" makes the same page name ({slug}) as "{first}" in row {first_row}.',
                    "Make the ids differ in letters or digits, not only in case or punctuation.",
                    resource["name"],
                )
            )
        else:
            seen.setdefault(slug, (row, str(value)))
    return problems


def long_cells(descriptor: dict, tables: dict[str, pl.DataFrame]) -> list[Problem]:
    """Cells longer than a page shows (and Excel holds): a warning, since downloads keep them whole."""
    warnings = []
    for resource in load.resources(descriptor):
        frame = tables.get(resource["name"])
        text = [column for column, dtype in (frame.schema.items() if frame is not None else ()) if dtype == pl.String]
        # A character is at least one byte, and a cell's byte length is known without reading it.
        if not text or (frame.select(pl.max_horizontal(pl.col(text).str.len_bytes().max())).item() or 0) <= CELL_LIMIT:
            continue
        rows = numbered(frame)
        for column, dtype in frame.schema.items():
            if dtype != pl.String:
                continue
            long = rows.filter(pl.col(column).str.len_chars() > CELL_LIMIT).select(ROW, column)
            for row, value in long.rows():
                excel = (
                    f"; the XLSX workbook keeps the first {EXCEL_CELL_LIMIT:,} (Excel's limit)"
                    if len(value) > EXCEL_CELL_LIMIT
                    else ""
                )
                warnings.append(
                    Problem(
                        resource["path"],
                        row,
                        column,
                        "cell-too-long",
                        f"The cell holds {len(value):,} characters: pages show the first {CELL_LIMIT:,}{excel};"
                        " CSV, JSON, Parquet and SQLite keep it whole.",
                        "Shorten it, or move long text into a document under the package.",
                        resource["name"],
                    )
                )
    return warnings


# ---------------------------------------------------------------- the site configuration and docs/

SITE_CONFIG = "mkdocs.yml"
# What a package's mkdocs.yml may set. Everything that could run code at build time (hooks,
# plugins, Markdown extensions that read files), fetch something (analytics), read the host
# (INHERIT, !ENV) or add script to pages (extra_javascript, theme overrides) is refused.
CONFIG_KEYS = {
    "site_name",
    "site_description",
    "site_author",
    "copyright",
    "theme",
    "extra_css",
    "plugins",
    "markdown_extensions",
    "use_directory_urls",
    "nav",
    "not_in_nav",
    "site_url",
    "repo_url",
    "repo_name",
    "edit_uri",
    "extra",
    "validation",
}
THEME_KEYS = {"name", "font", "language", "palette", "features", "icon", "logo", "favicon"}
EXTRA_KEYS = {"social", "generator", "homepage"}
PLUGINS = {"search"}
MARKDOWN_EXTENSIONS = {
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "meta",
    "sane_lists",
    "smarty",
    "tables",
    "toc",
    "pymdownx.betterem",
    "pymdownx.caret",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.keys",
    "pymdownx.mark",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tasklist",
    "pymdownx.tilde",
}
# Files a package's docs/ may publish beside its Markdown pages: styles and raster images.
# Scripts, HTML and SVG (which can carry script) are refused.
ASSET_SUFFIXES = {".css", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".txt"}


def config_problem(message: str, fix: str, line: int | None = None, kind: str = "site-config") -> Problem:
    return Problem(SITE_CONFIG, line, None, kind, message, fix)


def read_site_config(root: Path) -> tuple[dict | None, list[Problem]]:
    """The package's mkdocs.yml (None when it has none), checked against what a package may set."""
    import yaml

    file = root / SITE_CONFIG
    if not file.exists() and not file.is_symlink():
        return None, []
    reason = unsafe_path(root, SITE_CONFIG)
    if reason or not file.is_file():
        return None, [config_problem(f"mkdocs.yml {reason or 'is not a file'}.", "Make mkdocs.yml a plain file in the package.")]
    try:
        config = yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [config_problem("mkdocs.yml is not UTF-8.", "Re-save it as UTF-8.")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        what = getattr(error, "problem", None) or str(error)
        fix = "Fix the YAML at that line (indentation and a missing colon are the usual causes)."
        if "could not determine a constructor" in str(error):
            fix = "Remove the tag: the site configuration may not read environment variables or other files."
        return None, [config_problem(f"mkdocs.yml is not valid YAML at line {line}: {what}.", fix, line)]
    if config is None:
        return {}, []
    if not isinstance(config, dict):
        return None, [config_problem("mkdocs.yml must hold a mapping of settings.", "Write `key: value` lines.")]
    problems = list(_config_problems(config))
    return (None if problems else config), problems


def _config_problems(config: dict) -> Iterator[Problem]:
    for key in config:
        if key not in CONFIG_KEYS:
            yield config_problem(
                f"mkdocs.yml sets `{key}`, which a package may not set.",
                f"Remove it. A package may set: {', '.join(sorted(CONFIG_KEYS))}.",
            )
    theme = config.get("theme", {})
    if isinstance(theme, str):
        theme = {"name": theme}
    if not isinstance(theme, dict):
        yield config_problem("`theme` must be a mapping.", "Write `theme:` with `name: material` under it.")
    else:
        if theme.get("name", "material") != "material":
            yield config_problem(f"`theme.name` is {theme.get('name')!r}.", "Use `name: material`.")
        if theme.get("font", False) is not False:
            yield config_problem("`theme.font` loads web fonts from the network.", "Set `font: false`.")
        for key in theme:
            if key not in THEME_KEYS:
                yield config_problem(f"`theme.{key}` may not be set by a package.", f"Use only: {', '.join(sorted(THEME_KEYS))}.")
    plugins = config.get("plugins", [])
    for plugin in plugins if isinstance(plugins, list) else [plugins]:
        name = plugin if isinstance(plugin, str) else next(iter(plugin), None) if isinstance(plugin, dict) else None
        if name not in PLUGINS:
            yield config_problem(f"The plugin {name!r} is not allowed: plugins run code at build time.", "Use only `search`.")
    extensions = config.get("markdown_extensions", [])
    for extension in extensions if isinstance(extensions, list) else [extensions]:
        name = extension if isinstance(extension, str) else next(iter(extension), None) if isinstance(extension, dict) else None
        if name not in MARKDOWN_EXTENSIONS:
            yield config_problem(
                f"The Markdown extension {name!r} is not allowed.",
                f"Use only: {', '.join(sorted(MARKDOWN_EXTENSIONS))}.",
            )
    extra = config.get("extra", {})
    if not isinstance(extra, dict) or any(key not in EXTRA_KEYS for key in extra):
        yield config_problem(f"`extra` may hold only: {', '.join(sorted(EXTRA_KEYS))}.", "Remove the other keys.")
    styles = config.get("extra_css", [])
    for style in styles if isinstance(styles, list) else [styles]:
        if not isinstance(style, str) or REMOTE.match(style) or style.startswith("/") or ".." in style.split("/"):
            yield config_problem(
                f"`extra_css` entry {style!r} is not a stylesheet inside docs/.", "Give a relative path under docs/."
            )
    for key in ("site_url", "repo_url"):
        value = config.get(key)
        if value is not None and not (isinstance(value, str) and re.match(r"^https?://[^\s<>\"']+$", value)):
            yield config_problem(f"`{key}` must be an http(s) address.", "Write it as https://….")


def check_docs(docs: Path, root: Path, taken: set[str], descriptor: dict) -> list[Problem]:
    """Hand-written pages and assets: inside the package, known kinds, valid templates, no clashes."""
    context = docs_context(descriptor)

    if not docs.is_dir() and not docs.is_symlink():
        return []
    reason = unsafe_path(root, docs.relative_to(root).as_posix())
    if reason:  # nothing behind a docs/ link that leads elsewhere is read, checked or published
        return [Problem(docs.name, None, None, "unsafe-path", f"{docs.name}/ {reason}.", "Make docs/ a folder of the package.")]
    problems = []
    env = docs_environment()
    for file in sorted(docs.rglob("*")):
        relative = file.relative_to(root).as_posix()
        where = file.relative_to(docs).as_posix()
        reason = unsafe_path(root, relative)
        if reason:
            problems.append(
                Problem(relative, None, None, "unsafe-path", f"{relative} {reason}.", "Replace the symlink with a file.")
            )
            continue
        hidden = [part for part in file.relative_to(docs).parts if part.startswith(".")]
        if hidden:  # a hidden folder is named once, not once per file in it
            if hidden == [file.name]:
                problems.append(
                    Problem(
                        relative,
                        None,
                        None,
                        "hidden-file",
                        f"{relative} is hidden, and hidden files and folders are never published.",
                        "Remove it from docs/, or rename it without the leading dot.",
                    )
                )
            continue
        if file.is_dir():
            continue
        if file.suffix == ".md":
            if where in taken or where.split("/")[0] in taken:
                problems.append(
                    Problem(
                        relative,
                        None,
                        None,
                        "page-clash",
                        f"{relative} has the path of a page the builder generates ({where}).",
                        "Rename the page.",
                    )
                )
                continue
            try:
                text = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(
                    Problem(relative, None, None, "encoding-error", f"{relative} is not UTF-8.", "Re-save it as UTF-8.")
                )
                continue
            control = CONTROL_RE.search(text)
            if control:
                line = text.count("\n", 0, control.start()) + 1
                problems.append(
                    Problem(
                        relative,
                        line,
                        None,
                        "control-character",
                        f"Line {line} holds the control character U+{ord(control.group()):04X}.",
                        "Remove it.",
                    )
                )
                continue
            try:
                env.from_string(text).render(**context)
            except jinja2.TemplateSyntaxError as error:
                line = error.lineno
                problems.append(
                    Problem(
                        relative,
                        line,
                        None,
                        "template-syntax",
                        f"Line {line}: {getattr(error, 'message', error)} (pages are Jinja templates).",
                        "Write {{ '{#' }} for a literal {#, {{ '{{' }} for {{, or wrap the passage in {% raw %}…{% endraw %}.",
                    )
                )
            except Exception as error:  # the sandbox refused something, or a value is undefined
                line = next((frame.lineno for frame in _traceback_frames(error) if frame.filename == "<template>"), None)
                problems.append(
                    Problem(
                        relative,
                        line,
                        None,
                        "template-error",
                        f"{relative} cannot be rendered: {error}.",
                        "A page may show `site.published` values (title, version, description…) and nothing else.",
                    )
                )
        elif file.suffix.lower() not in ASSET_SUFFIXES:
            problems.append(
                Problem(
                    relative,
                    None,
                    None,
                    "asset-not-allowed",
                    f"{relative} is a {file.suffix or 'extensionless'} file; docs/ publishes Markdown pages, stylesheets and"
                    " raster images only.",
                    f"Remove it, or convert it to one of: {', '.join(sorted(ASSET_SUFFIXES))}.",
                )
            )
    return problems


def _traceback_frames(error: BaseException):
    import traceback

    return traceback.extract_tb(error.__traceback__)


SITE_URL_EXAMPLE = "a plain http(s) address such as https://example.org/ledger/"


def site_url_fault(url: str) -> str | None:
    """Why `url` cannot be the site's published address (None when it can). It is printed into every
    page, the sitemap, the feed and JSON-LD, so it holds no secret, no query or fragment, and nothing
    that ends a string or an attribute there. A user name or password is never repeated back."""
    authority = re.match(r"[^:/?#]*://([^/?#]*)", url)
    if authority and "@" in authority.group(1):
        return (
            "the address holds a user name or password (user:token@), which would be published on every page;"
            f" give {SITE_URL_EXAMPLE}."
        )
    if re.search(r"[\s\x00-\x1f\x7f-\x9f]", url):
        return f"{url!r} holds a space or a control character; give {SITE_URL_EXAMPLE}."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return f"{url!r} is not {SITE_URL_EXAMPLE}."
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(f"{parts.scheme.lower()}://"):
        return f"{url!r} is not an http(s) address such as https://example.org/ledger/."
    if not parts.hostname:
        return f"{url!r} has no host; give {SITE_URL_EXAMPLE}."
    if "?" in url or "#" in url:
        return f"{url!r} has a query (?) or a fragment (#); give {SITE_URL_EXAMPLE}."
    if re.search(r"[<>\"'`\\{}|^]", url):
        return f"{url!r} holds a character an address may not hold (< > quotes \\ {{ }} | ^); give {SITE_URL_EXAMPLE}."
    return None
