"""Tables that are not one plain CSV file: compressed or multipart CSV, JSON, JSON Lines, Excel,
OpenDocument and inline `data`.

The plain CSV (the Ledger's, and most packages') goes through builder.package.tables' vectorised reader.
Everything else is read by frictionless's own parsers, row by row: their header and cell errors
are frictionless's by construction, and the rows become the same typed frame (and key columns)
the CSV reader hands on, so key checks, rules, the site and the canonical downloads do not know
where a table came from.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import polars as pl

from builder.package import canonical
from builder.package.columns import POLARS_TYPES, dtype_for
from builder.package.findings import ROW, Checked
from builder.package.keychecks import unique_errors

# Formats frictionless reads with its own parsers, by `format` or by the path's suffix.
TABULAR = {"csv", "tsv", "json", "jsonl", "ndjson", "xlsx", "ods", "inline"}
COMPRESSION = {"gz", "zip"}
# Key errors are the builder's own (builder.package.keychecks.unique_errors, foreign_key_errors): frictionless's
# row stream makes them too, so theirs are dropped here and counted once.
KEY_ERRORS = {"primary-key", "unique-error", "foreign-key"}


class SourceError(Exception):
    """Frictionless cannot read the file as a table (not JSON, not a workbook…): its reason."""


def parts(resource: dict) -> list[str]:
    """The files a resource reads (none for inline data)."""
    path = resource.get("path")
    return [path] if isinstance(path, str) else [p for p in path if isinstance(p, str)] if isinstance(path, list) else []


def suffixes(path: str) -> tuple[str, str | None]:
    """(format, compression) from a file name, e.g. data.csv.gz -> ("csv", "gz")."""
    names = PurePosixPath(path).name.lower().split(".")[1:]
    compression = names.pop() if names and names[-1] in COMPRESSION else None
    return (names[-1] if names else ""), compression


def format_of(resource: dict) -> str:
    if "data" in resource and "path" not in resource:
        return "inline"
    declared = resource.get("format")
    files = parts(resource)
    return (declared if isinstance(declared, str) else suffixes(files[0])[0] if files else "").lower()


def compression_of(resource: dict) -> str | None:
    declared = resource.get("compression")
    files = parts(resource)
    return declared if isinstance(declared, str) else suffixes(files[0])[1] if files else None


def is_plain_csv(resource: dict) -> bool:
    """One uncompressed CSV file: the vectorised reader's case."""
    path = resource.get("path")
    return (
        isinstance(path, str)
        and format_of(resource) == "csv"
        and compression_of(resource) is None
        and path.lower().endswith(".csv")
        and "data" not in resource
    )


def label(resource: dict) -> str:
    """How findings name a resource's source: its file, its parts, or the descriptor for inline data."""
    files = parts(resource)
    if not files:
        return "datapackage.json"
    return files[0] if len(files) == 1 else " + ".join(files)


def read_table(fresource, key_fields: set[str]) -> Checked:
    """A frictionless resource read by frictionless's parser: header and cell errors, the typed
    frame and the key columns, as builder.package.tables.check_table gives them for a CSV. A source
    frictionless cannot open raises CsvError with its reason."""
    from frictionless import FrictionlessException  # frictionless's parsers: loaded for the files they read

    fields = list(fresource.schema.fields)
    names = [f.name for f in fields]
    columns: dict[str, list] = {name: [] for name in names}
    keys: dict[str, list] = {name: [] for name in names if name in key_fields}
    rows, errors = [], []
    resource = fresource.to_copy()
    resource.schema.foreign_keys = []  # checked by the builder across tables; frictionless would look them up again
    try:
        with resource:
            errors.extend(resource.header.errors)
            for row in resource.row_stream:
                rows.append(row.row_number)
                errors.extend(e for e in row.errors if e.type not in KEY_ERRORS)
                for ffield, cell in zip(fields, row.cells + [None] * (len(fields) - len(row.cells)), strict=False):
                    target = row[ffield.name]
                    columns[ffield.name].append(_value(ffield, target, cell))
                    if ffield.name in keys:
                        keys[ffield.name].append(_key(ffield, target))
    except FrictionlessException as fault:
        note = fault.error.note or fault.error.message
        base = str(fresource.basepath or "")
        raise SourceError(note.replace(f"{base}/", "") if base else note) from None  # no absolute path in a message
    frame = pl.DataFrame([pl.Series(f.name, columns[f.name], dtype=dtype_for(f), strict=False) for f in fields])
    key_frame = pl.DataFrame(
        [pl.Series(ROW, rows, dtype=pl.Int64)]
        + [pl.Series(name, values, dtype=_key_dtype(fresource.schema.get_field(name))) for name, values in keys.items()]
    )
    errors.extend(unique_errors(fresource.schema, names, key_frame))
    return Checked(frame, key_frame, names, errors, clean=False)


def _value(ffield, target, cell):
    """A cell as the CSV reader would hold it: typed, or (other types) its canonical text."""
    if target is None:
        return None
    if ffield.type in POLARS_TYPES:
        return float(target) if ffield.type == "number" else target
    if isinstance(cell, str) and not canonical.rewrites_text(ffield):
        return cell
    return canonical.cell_text(ffield, target)


def _key(ffield, target):
    if target is None:
        return None
    if ffield.type in POLARS_TYPES:
        return float(target) if ffield.type == "number" else target
    return str(target)


def _key_dtype(ffield) -> pl.DataType:
    return dtype_for(ffield) if ffield.type in POLARS_TYPES else pl.String


def missing_files(resource: dict, root: Path) -> list[str]:
    from builder.package.paths import inside

    return [p for p in parts(resource) if not inside(root, p).is_file()]
