"""Read a folder of CSVs for `builder init`: each table's schema (frictionless), its primary key and
the foreign keys between tables. Nothing here writes; a file that cannot be described raises
BuilderError with one line naming the file and the fix."""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from builder.common.errors import BuilderError
from builder.package import csvreader  # noqa: F401 - lifts csv's field size limit on import (see _columns below)
from builder.package.paths import OUTPUT_FOLDERS, unsafe_path
from builder.package.safety_resource import NAME, RESERVED_NAMES

SAMPLE_ROWS = 10_000  # frictionless infers types from these; every cell is then checked against the type
ID_NAMES = ("id", "key", "code", "slug")  # what a column that identifies a row is usually called
FOREIGN_TYPES = {"string", "integer"}  # keys worth pointing at; dates or booleans matching a key is chance

# The types init proposes: the plain ones every reader of a CSV knows. Anything else frictionless
# guesses (yearmonth, geopoint, duration…) stays text; a curator may declare it afterwards.
PROPOSED_TYPES = frozenset({"integer", "number", "boolean", "date", "datetime", "time", "year"})


@dataclass
class Table:
    name: str  # the resource name
    path: str  # relative to the package folder, with forward slashes
    fields: list[dict]  # {"name", "type"}
    dialect: dict  # {} for the default CSV dialect
    rows: int = 0
    values: dict[str, list] = field(default_factory=dict)  # typed cells per column, None when empty
    key: list[str] = field(default_factory=list)
    foreign: list[dict] = field(default_factory=list)


def csv_files(root: Path) -> tuple[list[Path], list[str]]:
    """The package's CSVs, sorted by path, and why others were left out (hidden, outputs, links out).
    Hidden folders (.git, .venv, .build) and the builder's outputs are never walked into."""
    found, skipped = [], []
    for folder, subfolders, names in os.walk(root):
        here = Path(folder)
        subfolders[:] = [
            name for name in subfolders if not name.startswith(".") and not (here == root and name in OUTPUT_FOLDERS)
        ]
        for name in names:
            path = here / name
            relative = path.relative_to(root).as_posix()
            if path.suffix.lower() != ".csv" or path.is_dir():
                continue
            if name.startswith("."):
                skipped.append(f"{relative}: hidden files are never published")
            elif path.suffix != ".csv":
                skipped.append(f"{relative}: the builder reads files ending in .csv (lowercase); rename it")
            elif reason := unsafe_path(root, relative):
                skipped.append(f"{relative}: it {reason}")
            else:
                found.append(path)
    return sorted(found, key=lambda path: path.relative_to(root).as_posix()), sorted(skipped)


def resource_name(stem: str, taken: set[str]) -> str:
    """A safe resource name from a file name: lowercase ASCII slug, at most 31 characters, not one of
    the site's own folders, unique (`books`, `books_2`)."""
    ascii_text = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_-")[:31].strip("_") or "table"
    if slug in RESERVED_NAMES:
        slug = f"{slug}_table"
    name, number = slug, 1
    while name in taken:
        number += 1
        name = f"{slug[: 31 - len(str(number)) - 1]}_{number}"
    assert NAME.match(name), name
    taken.add(name)
    return name


def read_table(root: Path, path: Path, name: str) -> Table:
    """Describe one CSV with frictionless and read every cell with the type it inferred."""
    relative = path.relative_to(root).as_posix()
    try:
        data = path.read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        raise BuilderError(f"{relative} cannot be read ({reason}): check the file and its permissions.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BuilderError(
            f"{relative} is not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}): re-save it as UTF-8."
        ) from None
    if not text.strip():
        raise BuilderError(f"{relative} is empty: a CSV needs a header row.")
    from frictionless import Detector, FrictionlessException, describe  # not imported by every `builder` command

    try:
        described = describe(
            relative,
            type="resource",
            basepath=str(root),
            detector=Detector(sample_size=SAMPLE_ROWS, field_confidence=1.0),
        )
    except FrictionlessException as error:
        raise BuilderError(f"{relative} cannot be read as CSV: {error.error.message}") from None
    delimiter = getattr(described.dialect.get_control("csv"), "delimiter", ",") if described.dialect else ","
    # no field size limit (builder.package.csvreader lifts it on import): a cell of any length is read, as validate reads it
    header, columns, rows = _columns(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    check_header(relative, header)
    inferred = {f.name: f for f in described.schema.fields}
    table = Table(name, relative, [], {} if delimiter == "," else {"delimiter": delimiter}, rows)
    for label, cells in zip(header, columns, strict=True):
        kind, values = typed(inferred.get(label), cells)  # a label frictionless read otherwise stays text
        table.fields.append({"name": label, "type": kind})
        table.values[label] = values
    return table


def _columns(reader) -> tuple[list[str], list[list[str]], int]:
    """The header, each column's cells (a short row's missing cells empty) and the number of rows."""
    header = next(reader, [])
    columns: list[list[str]] = [[] for _ in header]
    rows = 0
    for row in reader:
        if not row:
            continue
        rows += 1
        for index, column in enumerate(columns):
            column.append(row[index] if index < len(row) else "")
    return header, columns, rows


def check_header(relative: str, header: list[str]) -> None:
    """Names the builder can use as fields: none empty, none twice (ignoring case, as SQLite and Excel do)."""
    if not header:
        raise BuilderError(f"{relative} has no header row: its first line must name the columns.")
    seen: dict[str, str] = {}
    for number, label in enumerate(header, start=1):
        if not label.strip():
            raise BuilderError(f"{relative}: column {number} has no name in the header row; name every column.")
        if label.casefold() in seen:
            other = seen[label.casefold()]
            twice = f"`{label}` twice" if other == label else f"`{other}` and `{label}`, which differ only in case"
            raise BuilderError(f"{relative}: the header names {twice}; give every column its own name.")
        seen[label.casefold()] = label


def typed(inferred, cells: list[str]) -> tuple[str, list]:
    """The inferred type, if every cell reads as it (else text), and the cells as values of that type.
    One reader per column, each distinct cell read once: read_cell builds a reader per call."""
    if inferred is not None and inferred.type in PROPOSED_TYPES:
        reader, seen = inferred.create_cell_reader(), {}
        for cell in cells:
            if cell not in seen:
                value, notes = reader(cell)
                if notes:
                    break
                seen[cell] = value
        else:
            return inferred.type, [seen[cell] for cell in cells]
    return "string", [cell if cell != "" else None for cell in cells]


def propose_key(table: Table) -> None:
    """The column, or two or three columns together, that are full and unique, preferring id-like
    names (`id`, then `book_id` in books, then any `…_id`, `…code`), then fewer columns. Free text
    (a value with a space, or over 100 characters) is a key only when nothing else is: a link table's
    `claim_id` + `source_id` identify its rows better than a `note` that happens to be unique."""
    if not table.rows:
        return
    full = [f["name"] for f in table.fields if None not in table.values[f["name"]]][:KEY_COLUMNS]
    ranks = {name: key_rank(table, name) for name in full}
    combos = [combo for size in (1, 2, 3) for combo in itertools.combinations(full, size)]
    combos.sort(key=lambda combo: (max(ranks[n] for n in combo), len(combo), sum(ranks[n] for n in combo)))
    for combo in combos[:KEY_TRIES]:  # sorted is stable: columns keep their order among equals
        rows = list(zip(*(table.values[name] for name in combo), strict=True))
        if len(set(rows)) == len(rows):
            table.key = list(combo)
            return


KEY_COLUMNS = 12  # the first full columns tried as keys, alone and in twos and threes
KEY_TRIES = 60  # at most this many column sets are checked: each check reads the whole column


def key_rank(table: Table, name: str) -> int:
    lowered = name.lower()
    if lowered in ID_NAMES:
        return 0
    if re.search(r"(^|[_\s-])(id|key|code|slug)$", lowered) or lowered.endswith("id"):
        return 1 if re.sub(r"[_\s-]*(id|key|code|slug)$", "", lowered) in singulars(table.name) else 2
    if any(isinstance(v, str) and (" " in v or len(v) > 100) for v in table.values[name]):
        return 4
    return 3


def singulars(name: str) -> set[str]:
    """A table name and its likely singulars: `books` -> book, `people`'s own name is kept."""
    forms = {name}
    if name.endswith("ies"):
        forms.add(name[:-3] + "y")
    if name.endswith("es"):
        forms.add(name[:-2])
    if name.endswith("s"):
        forms.add(name[:-1])
    return forms


def propose_foreign_keys(tables: list[Table]) -> None:
    """A column whose values all occur in another table's one-column key refers to it. Numbers match
    by chance (every table numbered 1, 2, 3 …) and so do two keys, so a whole-number column or a key
    must also be named after the table it refers to (`author_id` -> authors); a key never refers to
    itself (the trivial case). A column of a table may refer to that table's own key (`mentor`)."""
    targets = [t for t in tables if len(t.key) == 1]
    keys = {t.name: set(t.values[t.key[0]]) for t in targets}
    for table in tables:
        for spec in table.fields:
            column, kind = spec["name"], spec["type"]
            present = {v for v in table.values[column] if v is not None}
            if kind not in FOREIGN_TYPES or not present:
                continue
            found = []
            for target in targets:
                if target is table and table.key == [column]:
                    continue
                target_field = next(f for f in target.fields if f["name"] == target.key[0])
                if target_field["type"] != kind or not present <= keys[target.name]:
                    continue
                related = named_after(column, target)
                if not related and (kind == "integer" or table.key == [column]):
                    continue
                found.append((not related, target is table, tables.index(target), target))
            if found:
                target = min(found, key=lambda item: item[:3])[3]
                table.foreign.append({"fields": [column], "reference": {"resource": target.name, "fields": list(target.key)}})


def named_after(column: str, target: Table) -> bool:
    """`author_id`, `author` or `authorId` refers to table `authors`, or to a key of the same name
    (`customer_id`); a bare `id` or `code` names no table."""
    lowered = column.lower()
    stem = re.sub(r"[_\s-]*(id|key|code|slug)$", "", lowered)
    return bool(stem) and (stem in singulars(target.name) or lowered == target.key[0].lower())
