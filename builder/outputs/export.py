"""Downloads: every table and view as CSV, JSON and Parquet; one XLSX workbook; one SQLite
database; the package as a zip; and a published datapackage.json with bytes and sha256.

Everything is byte-reproducible: rows sorted by primary key (or a view's own order), keys in schema order, fixed zip
timestamps from SOURCE_DATE_EPOCH, Parquet rechunked with a fixed row-group size, SQLite
written fresh and vacuumed, workbook properties dated from SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from builder.check import rules
from builder.common import clock
from builder.outputs import croissant
from builder.package import canonical, safety_cells
from builder.package.paths import inside, output
from builder.package.resource import resources_by_name
from builder.views.derive import View, precision_column, view_schema

DATA_LICENCE_NOTE = """The data in this package is licensed under {licence}.
You may share and adapt it, provided you give appropriate credit:
  {title} (version {version}).
Each row cites its own source in the `source_id` column; see sources.csv.
Licence text: {licence_url}
"""


@dataclass(frozen=True)
class Table:
    """A table or a view, as exported: name, description, schema and sorted rows."""

    name: str
    title: str
    description: str
    schema: dict
    frame: pl.DataFrame
    is_view: bool
    sorted_by: tuple[str, ...] = ()


def collect(descriptor: dict, tables: dict[str, pl.DataFrame], views: list[View]) -> list[Table]:
    """Tables in descriptor order, then views by name; rows sorted by primary key."""
    collected = []
    for resource in resources_by_name(descriptor).values():
        raw = resource.raw
        schema = canonical.published_schema(raw["schema"])  # describes the canonical CSV written below
        frame = tables[resource.name].sort(resource.primary_key, nulls_last=True)
        collected.append(
            Table(
                resource.name,
                raw.get("title", resource.name),
                raw.get("description", ""),
                schema,
                frame,
                False,
                tuple(resource.primary_key),
            )
        )
    for view in views:
        collected.append(
            Table(
                view.name,
                view.title,
                view.description,
                view_schema(view, descriptor),
                view.frame.sort(view.sort_by, nulls_last=True),
                True,
                tuple(view.sort_by),
            )
        )
    return collected


def sha256(path: Path) -> str:
    with path.open("rb") as handle:  # read in blocks: a download can be larger than memory allows twice
        return hashlib.file_digest(handle, "sha256").hexdigest()


def file_entry(path: Path, dist: Path, fmt: str) -> dict:
    return {
        "path": path.relative_to(dist).as_posix(),
        "format": fmt,
        "bytes": path.stat().st_size,
        "hash": f"sha256:{sha256(path)}",
    }


# ---------------------------------------------------------------- per-table files


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    frame.write_csv(path, line_terminator="\n", date_format="%Y-%m-%d")


def json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def records(frame: pl.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: the JSON download and the API share them."""
    return [{key: json_value(value) for key, value in row.items()} for row in frame.iter_rows(named=True)]


JSON_SLICE_ROWS = 50_000


def write_json(frame: pl.DataFrame, path: Path) -> None:
    """A JSON array with one row object per line, written by Polars a slice at a time (a million
    rows never become a million Python dicts)."""
    with path.open("wb") as handle:
        handle.write(b"[")
        for number, piece in enumerate(frame.iter_slices(JSON_SLICE_ROWS)):
            lines = piece.write_ndjson().encode("utf-8").rstrip(b"\n")
            handle.write((b",\n" if number else b"\n") + lines.replace(b"\n", b",\n"))
        handle.write(b"\n]\n" if frame.height else b"]\n")


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.rechunk().write_parquet(path, compression="zstd", compression_level=3, statistics=True, row_group_size=100_000)


# ---------------------------------------------------------------- workbook


def write_xlsx(
    tables: list[Table], path: Path, *, title: str, description: str = "", licence: str = "", version: str = ""
) -> None:
    """A README sheet (the version, the build date, the licence, and what each sheet and column
    holds), then a sheet per table and view with a filter on its header row and columns sized to
    their contents; every cell is written as a value, never a formula. The document properties
    carry the same title, version, licence and build date, so a copy passed on says what it is."""
    # constant_memory: each row goes to disk as it is written, so a million-row table does not hold
    # every cell in memory (strings are stored in the row, not in a shared table).
    options = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    workbook = xlsxwriter.Workbook(str(path), options | {"constant_memory": True})
    built = clock.build_time()
    properties = {"title": f"{title} {version}".strip(), "created": built.replace(tzinfo=None)}
    if version:
        properties["subject"] = f"Version {version}, built {built:%Y-%m-%d}"
    if licence:
        properties["comments"] = f"Licence: {licence}"
    workbook.set_properties(properties)
    for key, value in (("version", version), ("build_date", f"{built:%Y-%m-%d}"), ("licence", licence)):
        if value:
            workbook.set_custom_property(key, value)
    header = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    # A date known to the month or year reads as "June 2023" or "2023" in Excel, as on the site.
    inexact = {"month": workbook.add_format({"num_format": "mmmm yyyy"}), "year": workbook.add_format({"num_format": "yyyy"})}
    taken = {table.name[:31].lower() for table in tables}
    readme = workbook.add_worksheet(next(n for n in ("README", "_README", "__README") if n.lower() not in taken))
    lines = [(title, ""), (description, "")]
    lines += [("Version", version), ("Built", f"{built:%Y-%m-%d}")] if version else []
    lines += [(f"Licence: {licence}" if licence else "", ""), ("", "")]
    head = len(lines)
    lines.append(("Sheet / column", "What it holds"))
    for table in tables:
        lines.append((table.name[:31], f"{table.title}: {table.description}".strip(": ")))
        for field in table.schema.get("fields", []):
            kind = field.get("type", "string")
            lines.append((f"  {field['name']}", f"{field.get('description', field.get('title', ''))} ({kind})"))
    for row_index, (left, right) in enumerate(lines):
        bold = row_index == 0 or left == "Sheet / column" or (left and not left.startswith(" ") and row_index > head)
        readme.write_string(row_index, 0, excel_text(left), header if bold else wrap)
        readme.write_string(row_index, 1, excel_text(right), wrap)
    readme.set_column(0, 0, 28)
    readme.set_column(1, 1, 100)
    for table in tables:
        sheet = workbook.add_worksheet(table.name[:31])
        for col, name in enumerate(table.frame.columns):
            sheet.write_string(0, col, name, header)
        frame, cut = table.frame, max(0, table.frame.height - (EXCEL_ROWS - 1))
        if cut:  # Excel stops at 1,048,576 rows: fill the sheet, then say where the rest is
            frame = frame.head(EXCEL_ROWS - 2)
        # One writer per column, chosen once from its type (a per-cell isinstance chain was most of the time).
        writers = [_cell_writer(sheet, frame[name].dtype, date_format) for name in frame.columns]
        # Date columns with a precision column beside them: that row's precision picks the cell's format.
        paired = {
            col: frame.columns.index(precision_column(name))
            for col, name in enumerate(frame.columns)
            if frame[name].dtype == pl.Date and precision_column(name) in frame.columns
        }
        for row_index, row in enumerate(frame.iter_rows(), start=1):
            for col, value in enumerate(row):
                if value is None:
                    continue
                if col in paired and row[paired[col]] in inexact:
                    sheet.write_datetime(
                        row_index, col, dt.datetime(value.year, value.month, value.day), inexact[row[paired[col]]]
                    )
                else:
                    writers[col](row_index, col, value)
        if cut:  # last: in constant-memory mode rows are written in order
            sheet.write_string(EXCEL_ROWS - 1, 0, EXCEL_ROWS_NOTE.format(count=cut + 1, name=table.name))
        sheet.freeze_panes(1, 0)
        if frame.width:
            sheet.autofilter(0, 0, frame.height, frame.width - 1)  # the rows written, not those cut
            # Wide enough for the header and most values (not the longest note), within Excel's sense.
            for col, name in enumerate(table.frame.columns):
                lengths = sorted(len(str(v)) for v in table.frame[name].head(1000).to_list() if v is not None)
                typical = lengths[int(len(lengths) * 0.9)] if lengths else 0
                sheet.set_column(col, col, min(max(len(name) + 3, typical + 2, 8), 60))
    workbook.close()


def _cell_writer(sheet, dtype: pl.DataType, date_format):
    """How a column's cells are written: numbers and dates as Excel values, text as text (never a formula)."""
    if dtype == pl.Boolean:
        return sheet.write_boolean
    if dtype.is_numeric():
        return sheet.write_number
    if dtype == pl.Date:
        return lambda row, col, value: sheet.write_datetime(
            row, col, dt.datetime(value.year, value.month, value.day), date_format
        )
    return lambda row, col, value: sheet.write_string(row, col, excel_text(str(value)))


EXCEL_ROWS = 1_048_576  # rows in one Excel sheet, the header included
EXCEL_ROWS_NOTE = (
    "… {count:,} more rows: an Excel sheet holds 1,048,576 rows; the whole table is in {name}.csv and {name}.parquet."
)
EXCEL_CELL_LIMIT = safety_cells.EXCEL_CELL_LIMIT  # characters Excel keeps in one cell (validation warns past it)
EXCEL_CUT = "… [cut: Excel's limit; the full text is in the CSV]"


def excel_text(text: str) -> str:
    """Text as Excel can hold it: longer cells are cut visibly (validation warns about them)."""
    return text if len(text) <= EXCEL_CELL_LIMIT else text[: EXCEL_CELL_LIMIT - len(EXCEL_CUT)] + EXCEL_CUT


# ---------------------------------------------------------------- SQLite

SQLITE_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT", "string": "TEXT"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(table: Table, keys: dict[str, tuple[str, ...]] | None = None) -> tuple[str, list[str]]:
    """CREATE TABLE with declared keys, and CREATE INDEX for each foreign key.

    `keys`: each table's primary key. SQLite refuses a foreign key into columns that are not the
    target's key, so such a key (valid in a data package, issue 22) gets its index only."""
    schema = table.schema
    columns = [
        f"{_quote(f['name'])} {SQLITE_TYPES.get(f.get('type'), 'TEXT')}"
        + (" NOT NULL" if f.get("constraints", {}).get("required") else "")
        for f in schema["fields"]
    ]
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else key
    if key:
        columns.append(f"PRIMARY KEY ({', '.join(map(_quote, key))})")
    indexes = []
    for number, fk in enumerate(schema.get("foreignKeys", []), start=1):
        own = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        theirs = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        target = ref.get("resource") or table.name
        if keys is not None and sorted(keys.get(target, ())) != sorted(theirs):
            theirs = []
        if theirs:
            columns.append(
                f"FOREIGN KEY ({', '.join(map(_quote, own))}) REFERENCES {_quote(target)} ({', '.join(map(_quote, theirs))})"
            )
        indexes.append(
            f"CREATE INDEX {_quote(f'{table.name}_fk{number}')} ON {_quote(table.name)} ({', '.join(map(_quote, own))})"
        )
    return f"CREATE TABLE {_quote(table.name)} (\n  " + ",\n  ".join(columns) + "\n)", indexes


def sqlite_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def licence_names(descriptor: dict) -> str:
    """The package's licences by title (else name), as the workbook and database name them."""
    return ", ".join(item.get("title") or item.get("name", "") for item in descriptor.get("licenses") or [])


def metadata_rows(descriptor: dict) -> list[tuple[str, str]]:
    """What a database or workbook says about itself: the package, its version, build date and licence."""
    rows = [
        ("name", descriptor.get("name", "package")),
        ("title", descriptor.get("title", descriptor.get("name", "package"))),
        ("version", descriptor.get("version", "")),
        ("build_date", f"{clock.build_time():%Y-%m-%d}"),
        ("licence", licence_names(descriptor)),
        ("licence_url", ", ".join(item.get("path", "") for item in descriptor.get("licenses") or [] if item.get("path"))),
    ]
    return [(key, value) for key, value in rows if value]


def write_sqlite(tables: list[Table], path: Path, metadata: list[tuple[str, str]] | None = None) -> None:
    """A fresh file, tables in dependency-free order (foreign keys are checked at the end), and a
    `metadata` table (key, value) saying which package, version, build date and licence it holds
    (`_metadata` if the package has a table of that name)."""
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA foreign_keys = OFF")
        if metadata:
            taken = {table.name.lower() for table in tables}
            name = next(n for n in ("metadata", "_metadata", "__metadata") if n not in taken)
            connection.execute(f"CREATE TABLE {_quote(name)} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            connection.executemany(f"INSERT INTO {_quote(name)} VALUES (?, ?)", metadata)
        keys = {table.name: table.sorted_by for table in tables if not table.is_view}
        for table in tables:
            create, indexes = create_table_sql(table, keys)
            connection.execute(create)
            for index in indexes:
                connection.execute(index)
            placeholders = ", ".join("?" for _ in table.frame.columns)
            connection.executemany(
                f"INSERT INTO {_quote(table.name)} VALUES ({placeholders})",
                (tuple(sqlite_value(v) for v in row) for row in table.frame.iter_rows()),  # streamed, not a list
            )
        connection.commit()
        broken = connection.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise ValueError(f"SQLite foreign key check failed: {broken[:3]}")
        connection.execute("VACUUM")
    finally:
        connection.close()


# ---------------------------------------------------------------- zip and descriptor


def write_zip(entries: dict[str, bytes | Path], path: Path, when: dt.datetime | None = None) -> None:
    """Sorted names, fixed timestamps and permissions: same bytes for the same content.
    An entry given as a Path is copied from that file in blocks, not read into memory whole."""
    stamp = (when or clock.build_time()).timetuple()[:6]  # `when`: a release's commit time
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            content = entries[name]
            if isinstance(content, Path):
                info.file_size = content.stat().st_size  # lets zipfile choose ZIP64 only when a file needs it
                with content.open("rb") as source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
            else:
                archive.writestr(info, content)


def dumps(descriptor: dict) -> str:
    return json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n"


@dataclass
class Downloads:
    """What export wrote, and what it leaves to finish(): the workbook and database are written
    beside the build (builder.outputs.bundle), then finish() adds them to `published` (in place: the
    site and the API hold this dict) and writes the files that list every download."""

    published: dict  # the descriptor as published; its downloads are the zip's only, until finish()
    dist: Path
    site_url: str
    workbook: Path
    database: Path
    properties: dict  # what the workbook says about itself (write_xlsx's title, description, licence, version)
    metadata: list[tuple[str, str]]  # and the database (metadata_rows)
    finished: bool = False

    def finish(self) -> dict:
        """The workbook's and database's entries, then Croissant (which describes every file above
        with its hash), datapackage.json and SHA256SUMS. A zip renamed since (builder.history's
        one_zip_per_version) is listed under its new name."""
        published, dist = self.published, self.dist
        published["downloads"] = [
            file_entry(self.workbook, dist, "xlsx"),
            file_entry(self.database, dist, "sqlite"),
            *published["downloads"],
        ]
        published["downloads"].append(file_entry(croissant.write(published, dist, self.site_url), dist, "jsonld"))
        (dist / "datapackage.json").write_text(dumps(published), encoding="utf-8")
        checksums = [
            (entry["hash"].removeprefix("sha256:"), entry["path"])
            for resource in published["resources"]
            for entry in resource["downloads"]
        ]
        checksums += [(entry["hash"].removeprefix("sha256:"), entry["path"]) for entry in published["downloads"]]
        (dist / "SHA256SUMS").write_text(
            "".join(f"{digest}  {path}\n" for digest, path in sorted(checksums, key=lambda item: item[1])), encoding="utf-8"
        )
        self.finished = True
        return published


def export(
    descriptor: dict, tables: dict[str, pl.DataFrame], views: list[View], dist: Path, root: Path, site_url: str = ""
) -> tuple[Downloads, list[Table]]:
    """Write every table's and view's files and the zip into `dist`; return what is left to finish
    (Downloads) and the tables as exported, for the workbook and database (`site_url`, when known,
    makes the Croissant file's addresses absolute)."""
    name = descriptor.get("name", "package")
    version = descriptor.get("version", "0.0.0")
    exported = collect(descriptor, tables, views)
    data_dir = dist / "data"
    data_dir.mkdir(parents=True, exist_ok=True)

    resources = []
    for table in exported:
        stem = output(data_dir, table.name)  # names are validated slugs; this makes sure of it
        write_csv(table.frame, stem.with_suffix(".csv"))
        write_json(table.frame, stem.with_suffix(".json"))
        write_parquet(table.frame, stem.with_suffix(".parquet"))
        csv_entry = file_entry(stem.with_suffix(".csv"), dist, "csv")
        resources.append(
            resource_entry(table, csv_entry, ledger_facts(table))
            | {
                "downloads": [
                    csv_entry,
                    file_entry(stem.with_suffix(".json"), dist, "json"),
                    file_entry(stem.with_suffix(".parquet"), dist, "parquet"),
                ],
            }
        )

    # The descriptor inside the zip: every resource with its CSV's bytes and hash.
    published = {key: value for key, value in descriptor.items() if key != "resources"}
    published["resources"] = [{k: v for k, v in r.items() if k != "downloads"} for r in resources]
    entries = package_files(descriptor, published, exported, version, dist, root, tables)

    # Every download of a version is named by it, so two versions' files never share a name.
    archive = dist / f"{name}-{version}.zip"
    write_zip(entries, archive)
    properties = {
        "title": descriptor.get("title", name),
        "description": descriptor.get("description", ""),
        "licence": licence_names(descriptor),
        "version": version,
    }
    published_dist = dict(published)
    published_dist["resources"] = resources
    published_dist["downloads"] = [file_entry(archive, dist, "zip")]
    workbook, database = dist / f"{name}-{version}.xlsx", dist / f"{name}-{version}.sqlite"
    return Downloads(published_dist, dist, site_url, workbook, database, properties, metadata_rows(descriptor)), exported


def ledger_facts(table: Table) -> dict:
    """What the builder adds to a published resource: view or table, rows, row order."""
    return {"view": table.is_view, "rows": table.frame.height, "sorted_by": list(table.sorted_by)}


def resource_entry(table: Table, csv_entry: dict, ledger: dict | None = None) -> dict:
    """A table as a published resource: its CSV's path, bytes and hash, builder facts, and its schema."""
    entry = {
        "name": table.name,
        "path": csv_entry["path"],
        "profile": "tabular-data-resource",
        "title": table.title,
        "description": table.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "bytes": csv_entry["bytes"],
        "hash": csv_entry["hash"],
    }
    if ledger is not None:
        entry["ledger"] = ledger
    entry["schema"] = copy.deepcopy(table.schema)
    return entry


def package_files(
    descriptor: dict, published: dict, exported: list[Table], version: str, folder: Path, root: Path, tables: dict
) -> dict[str, bytes | Path]:
    """What the zip holds: the published descriptor, a README, the licence note, every CSV (written
    under `folder`) and the documents the tables point to, so `documents.path` resolves inside it."""
    name = descriptor.get("name", "package")
    licence = (descriptor.get("licenses") or [{}])[0]
    entries = {
        "datapackage.json": dumps(published).encode(),
        "README.md": zip_readme(descriptor, exported).encode(),
        "LICENSE.txt": DATA_LICENCE_NOTE.format(
            licence=licence.get("title", licence.get("name", "")),
            licence_url=licence.get("path", ""),
            title=descriptor.get("title", name),
            version=version,
        ).encode(),
    }
    for resource in published["resources"]:
        entries[resource["path"]] = folder / resource["path"]
    for document in stored_documents(descriptor, tables, root):
        entries[document] = inside(root, document)
    return entries


def stored_documents(descriptor: dict, tables: dict[str, pl.DataFrame], root: Path) -> list[str]:
    """Relative paths of the documents that tables point to with a `path` column."""
    found = set()
    taken = rules.zip_names(descriptor)  # validation refuses the rest; an old release's are left out
    for frame in tables.values():
        if "path" in frame.columns:
            found.update(p for p in frame["path"].drop_nulls() if rules.publish_fault(root, p, taken) is None)
    return sorted(found)


def zip_readme(descriptor: dict, exported: list[Table]) -> str:
    lines = [
        f"# {descriptor.get('title', descriptor.get('name'))} {descriptor.get('version', '')}",
        "",
        descriptor.get("description", ""),
        "",
        "`datapackage.json` describes every file (Frictionless Data Package: schema, bytes, sha256).",
        "",
        "| file | rows | what it holds |",
        "|---|---|---|",
    ]
    for table in exported:
        kind = "view" if table.is_view else "table"
        lines.append(f"| data/{table.name}.csv | {table.frame.height} | {kind}: {table.description} |")
    return "\n".join(lines) + "\n"
