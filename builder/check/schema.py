"""The Table Schema check of every file, as frictionless would make it but vectorised
(builder.package.tables): files missing, empty or not UTF-8, then each table's cells, keys and
foreign keys, read once into the typed frames the build goes on with.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import polars as pl

from builder.check.messages import drop_echoes, map_error
from builder.common import progress
from builder.common.errors import Problem
from builder.package import csvreader, formats, keychecks, light, linked_patterns, load, tables
from builder.package.findings import Checked
from builder.package.paths import inside
from builder.package.resource import resources_by_name


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


class Resources:
    """The resource objects the table checks read, by name: light ones (builder.package.light)
    where the resource is a plain CSV, else frictionless's, from `package` or, when validation did
    not need one (builder.check.plain), from a Package made on first need."""

    def __init__(self, descriptor: dict, root: Path, package=None):
        self.descriptor, self.root, self.package = descriptor, root, package
        self.light = {r["name"]: light.light_resource(r) for r in load.resources(descriptor) if formats.is_plain_csv(r)}

    def get_resource(self, name: str):
        if self.light.get(name) is not None:
            return self.light[name]
        if self.package is None:
            self.package = load.frictionless_package(self.descriptor, self.root)
        return self.package.get_resource(name)


def check_tables(
    package,
    descriptor: dict,
    root: Path,
    unreadable: set[str],
    *,
    clean: set[str] | None = None,
    then=None,
    quotes: bool = False,
) -> tuple[dict[str, pl.DataFrame], list[Problem]]:
    """Table Schema checks of every readable CSV, vectorised (builder.package.tables), and the typed frames.

    `package`: what gives each resource's object by name (`get_resource`): a frictionless Package,
    or Resources.

    Adds to `unreadable` a file that is not UTF-8 or that Python's csv module cannot read at all,
    and to `clean` each table whose bytes held no control character (safety need not look again).
    `then(frames, faultless)` is called once every table is read, before the foreign keys are
    checked (the frames dict is the one returned; `faultless`: no table has a problem so far).
    With `quotes`, a quote a file never closes is reported where it opened, instead of what
    follows from it (frictionless, and so tests/test_differential.py, report only the short row
    and the foreign keys of other tables that miss the swallowed rows).
    """
    resource_by_name = {r["name"]: r for r in load.resources(descriptor)}
    key_fields = key_fields_of(descriptor)
    checked: dict[str, Checked] = {}
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
        pool = stack.enter_context(csvreader.ChunkPool(workers)) if workers > 1 else None
        # Each table's key checks run on their own thread as soon as its chunks are checked, the
        # biggest files first: the pool stays busy to the end, with small tables to fill it.
        finisher = stack.enter_context(ThreadPoolExecutor(1)) if pool else None
        finishes = {}
        plain = [name for name in readable if name not in others]
        sizes = {name: paths[name].stat().st_size for name in plain}
        held = {name for name in plain if sizes[name] <= limit}  # else checked from a spill on disk
        linked = linked_patterns.links({name: package.get_resource(name) for name in held})
        for name in sorted(plain, key=lambda name: -sizes[name]) if pool else plain:
            resource, path = resource_by_name[name], paths[name]
            spill = None
            if name not in held:
                spill = spill_folder.path() / name
                spill.mkdir()
            unpatterned = {link.field for link in linked.get(name, [])}
            dialect = resource.get("dialect", {})
            arguments = (package.get_resource(name), path, dialect, key_fields[name], pool, spill, unpatterned)
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
        if then is not None:  # and whether any table has a problem yet (the foreign keys are not checked)
            then(frames, not problems and not any(result.errors for result in checked.values()))
        dangling = keychecks.foreign_key_errors({name: package.get_resource(name) for name in checked}, checked)
        unclosed = {name: result.unclosed for name, result in checked.items() if quotes and result.unclosed}
        for name, result in checked.items():
            found = result.errors + [e for e in dangling[name] if (e.reference_name or name) not in unclosed]
            for link in linked.get(name, []):
                found += linked_patterns.pattern_errors(name, link, checked, dangling[name])
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
    except csvreader.CsvError as error:
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
    resources = resources_by_name(descriptor)
    found = {name: set(r.primary_key) for name, r in resources.items()}
    for name, resource in resources.items():
        found[name] |= {f["name"] for f in resource.fields if f.get("constraints", {}).get("unique")}
        for own, target, theirs in resource.foreign_keys:
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
