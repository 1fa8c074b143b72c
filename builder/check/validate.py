"""Validate a package: frictionless for Table Schema, then our own rules, into one Report.

Frictionless errors are mapped to Problems with the file, row (header = row 1), field and a
fix a curator can act on. Nothing here raises for bad data.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import polars as pl
from frictionless import FrictionlessException, Package

from builder.check import rules
from builder.common import progress
from builder.common.errors import Problem, Report
from builder.history import releases as history
from builder.package import formats, lenient, load, safety, tables
from builder.package import story as stories
from builder.package.paths import Paths, inside
from builder.views import derive


def _sqlite_columns() -> int:
    """SQLite's real limit on a table's columns (SQLITE_MAX_COLUMN, 2,000 unless compiled otherwise)."""
    connection = sqlite3.connect(":memory:")
    try:
        return connection.getlimit(sqlite3.SQLITE_LIMIT_COLUMN)
    finally:
        connection.close()


XLSX_COLUMNS = 16_384  # columns in a worksheet (A to XFD)
MAX_FIELDS = min(_sqlite_columns(), XLSX_COLUMNS)
SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"

TYPE_FIXES = {
    "date": "Write a real calendar date as YYYY-MM-DD (for a month or year only, use the first day and set the precision field).",
    "integer": "Write a whole number without separators, or leave the cell empty if it is optional.",
    "number": "Write a number with a dot for decimals.",
    "boolean": "Write true or false.",
}


def validate_package(paths: Paths, strict: bool = False) -> tuple[Report, dict | None, dict[str, pl.DataFrame]]:
    """Check everything; return the report, the descriptor (titles filled in, schema files read in)
    and the typed tables we could read. `strict`: a missing title, description or key is a problem."""
    descriptor, problems = load.read_descriptor(paths.descriptor)
    report = Report(package=(descriptor or {}).get("name", ""))
    report.add(problems)
    if descriptor is None:
        return report, None, {}
    descriptor, unread, inferred = lenient.read_schemas(descriptor, paths.root)
    unsafe = unread or safety.check_descriptor(descriptor, paths.root)
    report.add(unsafe)
    if unsafe:  # nothing more is read from a package that could make us read or fetch elsewhere
        return report, None, {}
    descriptor, wanted = lenient.complete(descriptor)
    lenient.apply(report, inferred + wanted, strict)
    package, structure = check_descriptor(descriptor, paths.root)
    report.add(structure)
    report.add(history.check_release_notes(descriptor))  # issue 10: one line per release
    if structure:
        return report, None, {}

    unreadable, file_problems = check_files(descriptor, paths.root, utf8=False)
    report.add(file_problems)
    clean: set[str] = set()

    def cells_and_rules(tables: dict[str, pl.DataFrame]):
        for resource in load.resources(descriptor):
            if resource["name"] in unreadable:
                tables[resource["name"]] = load.empty_table(resource)
        cells = safety.check_tables(descriptor, tables, clean)
        # rules and pages must never see a control character or a clashing id
        found = [] if cells else rules.check(descriptor, tables, paths.root, unreadable=unreadable)
        return cells, found, safety.long_cells(descriptor, tables)

    later = []
    with ThreadPoolExecutor(1) as aside:  # the site's pages are checked while Polars reads the tables,
        site = aside.submit(site_problems, paths, descriptor)  # the rules while it checks foreign keys
        tables, table_problems = check_tables(
            package,
            descriptor,
            paths.root,
            unreadable,
            clean=clean,
            then=lambda frames: later.append(aside.submit(cells_and_rules, frames)),
            quotes=True,
        )
        report.add(table_problems)
        report.add(site.result())
        cells, found, long = later[0].result()
    report.add(cells)
    if not cells:
        found = without_url_echoes(without_type_echoes(found, table_problems), table_problems)
        report.add(found)
    report.warn(long)
    if report.valid:  # the views' own checks (invariants, a precision beside every date): `validate` finds them too
        report.add(derive.derive(descriptor, tables)[1])
    return report, descriptor, tables


def site_problems(paths: Paths, descriptor: dict) -> list[Problem]:
    """The package's mkdocs.yml and hand-written pages (they need no table)."""
    return safety.read_site_config(paths.root)[1] + safety.check_docs(
        paths.docs, paths.root, generated_names(descriptor), descriptor
    )


def generated_names(descriptor: dict) -> set[str]:
    """Paths and top-level folders the builder writes pages to: hand-written pages may not take them."""
    story = stories.for_package(descriptor)
    names = {"index.md"} | safety.RESERVED_NAMES | {r["name"] for r in load.resources(descriptor)}
    if story:
        names |= set(story.PAGES) | set(story.VIEWS)
    return names


def check_descriptor(descriptor: dict, root: Path) -> tuple[Package | None, list[Problem]]:
    """Structural checks: is this a tabular data package we can build from? Returns the package too."""
    problems = []

    def bad(message: str, fix: str, field: str | None = None):
        problems.append(Problem(load.DESCRIPTOR_FILE, None, field, "descriptor-invalid", message, fix))

    try:
        package = Package(load.with_default_dialect(descriptor), basepath=str(root))
    except FrictionlessException as error:
        reasons = getattr(error, "reasons", None) or [error.error]
        note = "; ".join(reason.note or reason.message for reason in reasons)
        bad(
            f"datapackage.json is not a valid data package: {note}.",
            "Compare it with the Data Package spec (https://datapackage.org/); every resource needs a name, a path and a schema.",
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


def check_files(descriptor: dict, root: Path, *, utf8: bool = True) -> tuple[set[str], list[Problem]]:
    """Files that are missing, empty or not UTF-8 (frictionless reports these confusingly).

    `utf8=False` leaves the encoding to the table reader, which finds it in the same pass.
    """
    unreadable: set[str] = set()
    problems = []
    for resource in load.resources(descriptor):
        name = resource["name"]
        if not formats.is_plain_csv(resource):  # read by frictionless, which names what it cannot read
            missing = formats.missing_files(resource, root)
            if missing:
                problems.append(
                    Problem(
                        missing[0],
                        None,
                        None,
                        "file-missing",
                        f"{missing[0]} is named in datapackage.json (resource `{name}`) but does not exist.",
                        "Create the file, or fix the resource's `path`.",
                        name,
                    )
                )
                unreadable.add(name)
            continue
        path = resource["path"]
        file = inside(root, path)  # safety.check_descriptor has refused paths that leave the root
        if not file.is_file():
            problems.append(
                Problem(
                    path,
                    None,
                    None,
                    "file-missing",
                    f"{path} is named in datapackage.json (resource `{name}`) but does not exist.",
                    "Create the file with its header row, or fix the resource's `path`.",
                    name,
                )
            )
        elif file.stat().st_size == 0:
            problems.append(
                Problem(
                    path,
                    None,
                    None,
                    "file-empty",
                    f"{path} is empty: it has not even a header row.",
                    "Write the header row: " + ",".join(f["name"] for f in load.fields(resource)) + ".",
                    name,
                )
            )
        else:
            problem = encoding_problem(resource, file) if utf8 else None
            if problem is None:
                continue
            problems.append(problem)
        unreadable.add(name)
    return unreadable, problems


def check_tables(
    package: Package,
    descriptor: dict,
    root: Path,
    unreadable: set[str],
    *,
    clean: set[str] | None = None,
    then=None,
    quotes: bool = False,
) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    """Table Schema checks of every readable CSV, vectorised (builder.package.tables), and the typed frames.

    Adds to `unreadable` a file that is not UTF-8 or that Python's csv module cannot read at all,
    and to `clean` each table whose bytes held no control character (safety need not look again).
    `then(frames)` is called once every table is read, before the foreign keys are checked (the
    frames dict is the one returned). With `quotes`, a quote a file never closes is reported where
    it opened, instead of what follows from it (frictionless, and so tests/test_differential.py,
    report only the short row and the foreign keys of other tables that miss the swallowed rows).
    """
    resource_by_name = {r["name"]: r for r in load.resources(descriptor)}
    key_fields = key_fields_of(descriptor)
    checked: dict[str, tables.Checked] = {}
    problems = []
    progress.start("validate", len(resource_by_name), "tables checked")
    workers = pl.thread_pool_size()
    limit = tables.streaming_bytes()
    readable = [name for name in resource_by_name if name not in unreadable]
    others = {name for name in readable if not formats.is_plain_csv(resource_by_name[name])}  # frictionless's parsers
    paths = {name: inside(root, resource_by_name[name]["path"]) for name in readable if name not in others}
    with ExitStack() as stack:
        # Entered first so it is removed last, once the threads that write into it have stopped
        # (an interrupted validate leaves nothing in $TMPDIR).
        spill_folder = stack.enter_context(SpillFolder())
        pool = stack.enter_context(tables.ChunkPool(workers)) if workers > 1 else None
        # Each table's key checks run on their own thread as soon as its chunks are checked, the
        # biggest files first: the pool stays busy to the end, with small tables to fill it.
        finisher = stack.enter_context(ThreadPoolExecutor(1)) if pool else None
        finishes = {}
        plain = [name for name in readable if name not in others]
        for name in sorted(plain, key=lambda name: -paths[name].stat().st_size) if pool else plain:
            resource, path = resource_by_name[name], paths[name]
            spill = None
            if path.stat().st_size > limit:  # too big to hold: checked from a spill on disk
                spill = spill_folder.path() / name
                spill.mkdir()
            arguments = (package.get_resource(name), path, resource.get("dialect", {}), key_fields[name], pool, spill)
            finish = unless_unreadable(resource, path, unreadable, problems, tables.start_table, *arguments)
            if finish is not None:
                finishes[name] = finisher.submit(finish).result if finisher else finish
        for name in readable:  # in the descriptor's order
            progress.advance()
            if name in others:
                arguments = (package.get_resource(name), key_fields[name])
                result = unless_unreadable(resource_by_name[name], root, unreadable, problems, formats.read_table, *arguments)
                if result is not None:
                    checked[name] = result
            elif name in finishes:
                result = unless_unreadable(resource_by_name[name], paths[name], unreadable, problems, finishes[name])
                if result is not None:
                    checked[name] = result
        for name, result in checked.items():
            if clean is not None and result.clean:
                clean.add(name)
            if isinstance(result.frame, pl.LazyFrame):  # rules and the build read whole tables
                result.frame = result.frame.collect(engine="streaming")
        frames = {name: result.frame for name, result in checked.items()}
        if then is not None:
            then(frames)
        dangling = tables.foreign_key_errors({name: package.get_resource(name) for name in checked}, checked)
        unclosed = {name: result.unclosed for name, result in checked.items() if quotes and result.unclosed}
        for name, result in checked.items():
            found = result.errors + [e for e in dangling[name] if (e.reference_name or name) not in unclosed]
            if name in unclosed:  # the rows from the quote on were read as one cell: their faults are its echo
                found = [e for e in found if e.row_number is None or e.row_number < unclosed[name][0]]
                problems.append(unclosed_problem(resource_by_name[name], result.expected, *unclosed[name]))
            problems.extend(p for p in (map_error(e, resource_by_name[name], unreadable) for e in found) if p is not None)
    return frames, drop_echoes(problems, resource_by_name)


def unclosed_problem(resource: dict, fields: list[str], row: int, index: int, lines: int) -> Problem:
    field = fields[index] if index < len(fields) else None
    where = f"`{field}`" if field else f"column {index + 1}"
    return Problem(
        resource["path"],
        row,
        field,
        "unclosed-quote",
        f"A quote opens in {where} at row {row} and is never closed, so the rest of {resource['path']}"
        f" ({lines:,} line{'s' if lines != 1 else ''}) was read as that one cell.",
        'Close the quote where the cell ends (a quote inside a quoted cell is written twice: ""), or remove it;'
        " the rows after it are checked once it is closed.",
        resource["name"],
    )


class SpillFolder:
    """A temporary folder made on first use and removed, whatever was written into it, on exit."""

    def __init__(self):
        self.folder: Path | None = None

    def path(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="ledger-spill-"))
        return self.folder

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def unless_unreadable(resource: dict, path: Path, unreadable: set[str], problems: list, step, *arguments):
    """step(*arguments), or None when the file cannot be read at all (its problem is added)."""
    try:
        return step(*arguments)
    except UnicodeDecodeError:
        problems.append(encoding_problem(resource, path))
    except tables.HeaderError as error:
        problems.append(
            Problem(
                formats.label(resource),
                1,
                None,
                "header-error",
                f"The header of {formats.label(resource)} cannot be matched to the schema: {error}.",
                'Give every column a distinct heading, or set the schema\'s `fieldsMatch` to "exact" to pair them by position.',
                resource["name"],
            )
        )
    except formats.SourceError as error:
        kind = formats.format_of(resource)
        problems.append(
            Problem(
                formats.label(resource),
                None,
                None,
                "source-error",
                f"{formats.label(resource)} cannot be read as a {kind} table: {error}.",
                f"Open it in the program that wrote it and save it again as {kind}, or correct the resource's"
                " `format`, `compression` or `dialect` in datapackage.json.",
                resource["name"],
            )
        )
    except tables.CsvError as error:
        problems.append(
            Problem(
                formats.label(resource),
                error.row,
                None,
                "csv-error",
                f"{formats.label(resource)} {error}.",
                "Open the file in a text editor at that row: a NUL byte or a broken quote is the usual cause.",
                resource["name"],
            )
        )
    unreadable.add(resource["name"])
    return None


def key_fields_of(descriptor: dict) -> dict[str, set[str]]:
    """Per resource, the fields key checks compare: primary key, unique, foreign keys both ways."""
    found = {r["name"]: set(load.primary_key(r)) for r in load.resources(descriptor)}
    for resource in load.resources(descriptor):
        name = resource["name"]
        found[name] |= {f["name"] for f in load.fields(resource) if f.get("constraints", {}).get("unique")}
        for own, target, theirs in load.foreign_keys(resource):
            found[name] |= set(own)
            found.setdefault(target, set()).update(theirs)
    return found


def encoding_problem(resource: dict, file: Path) -> Problem | None:
    bad = _first_bad_utf8(file)
    if bad is None:
        return None
    row, _, byte = bad
    path = resource["path"]
    return Problem(
        path,
        row,
        None,
        "encoding-error",
        f"{path} is not UTF-8: byte 0x{byte:02x} at row {row} cannot be decoded.",
        "Re-save the file as UTF-8 (in a spreadsheet: 'CSV UTF-8').",
        resource["name"],
    )


def _first_bad_utf8(file: Path, chunk: int = 2**20) -> tuple[int, int, int] | None:
    """(row, offset, byte) of the first byte that is not UTF-8, reading a megabyte at a time."""
    carry, offset, lines = b"", 0, 0
    with open(file, "rb") as handle:
        while True:
            data = handle.read(chunk)
            buffer = carry + data
            try:
                buffer.decode("utf-8")
                done, carry = len(buffer), b""
            except UnicodeDecodeError as error:
                if data and error.reason == "unexpected end of data":  # a character split by the chunk
                    done, carry = error.start, buffer[error.start :]
                else:
                    return lines + buffer[: error.start].count(b"\n") + 1, offset + error.start, buffer[error.start]
            lines += buffer[:done].count(b"\n")
            offset += done
            if not data:
                return None


def frictionless_problems(package: Package, descriptor: dict, unreadable: set[str]) -> list[Problem]:
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
