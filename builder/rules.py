"""Our own checks beyond Table Schema, run on the typed frames.

Generic rules work on any package by convention (a `date` field with a `date_precision`
beside it, a `source_id` pointing at a table with an `accessed` date, a `quote` checked
against the document it points to). A story adds its own rules (see builder/stories/).
Each rule yields Problems with a stable kebab-case type; none raises for bad data.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from builder import load, stories
from builder.errors import Problem
from builder.paths import unsafe_path

ROW = "__row"  # spreadsheet row number: header is row 1, first data row is 2


def numbered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index(ROW, offset=2)


def check(descriptor: dict, tables: dict[str, pl.DataFrame], root: Path, *, unreadable: set[str] = frozenset()) -> list[Problem]:
    """Run every rule on the tables we could read; story rules need them all."""
    problems: list[Problem] = []
    for resource in load.resources(descriptor):
        if resource["name"] in unreadable:
            continue
        frame = tables[resource["name"]]
        for rule in GENERIC_RULES:
            problems.extend(rule(resource, frame, tables, descriptor, root))
    story = stories.for_package(descriptor)
    if story is not None and not unreadable:
        problems.extend(story.check(descriptor, tables, root))
    return problems


def no_rows(resource, frame, tables, descriptor, root):
    path = resource["path"]
    if frame.height == 0 and (root / path).is_file() and (root / path).stat().st_size > 0:
        yield Problem(
            path,
            None,
            None,
            "no-rows",
            f"{path} has a header but no rows.",
            "Add at least one row, or remove the resource from datapackage.json.",
            resource["name"],
        )


def date_precision(resource, frame, tables, descriptor, root):
    """A date with a `<name>_precision` beside it: month means the 1st, year means 1 January."""
    path, name = resource["path"], resource["name"]
    for field in load.fields(resource):
        if not field["name"].endswith("_precision"):
            continue
        base = field["name"].removesuffix("_precision") or "date"
        if base not in frame.columns or frame.schema[base] != pl.Date:
            continue
        rows = numbered(frame).select(ROW, base, field["name"]).rows()
        for row, date, precision in rows:
            if precision == "unknown":  # an explicitly undated row: the date must stay empty
                if date is not None:
                    yield Problem(
                        path,
                        row,
                        field["name"],
                        "precision-mismatch",
                        f"`{field['name']}` is unknown but `{base}` is {date}.",
                        f"Empty `{base}`, or set `{field['name']}` to day, month or year.",
                        name,
                    )
            elif date is None and precision is not None:
                yield Problem(
                    path,
                    row,
                    field["name"],
                    "precision-without-date",
                    f'`{field["name"]}` is "{precision}" but `{base}` is empty.',
                    f"Fill in `{base}`, or empty `{field['name']}`.",
                    name,
                )
            elif date is not None and precision is None:
                yield Problem(
                    path,
                    row,
                    field["name"],
                    "precision-missing",
                    f"`{base}` is {date} but `{field['name']}` is empty.",
                    "Write day, month or year.",
                    name,
                )
            elif precision == "month" and date is not None and date.day != 1:
                yield Problem(
                    path,
                    row,
                    base,
                    "precision-mismatch",
                    f"`{field['name']}` is month but `{base}` is {date}, not the first of the month.",
                    f"Write {date.replace(day=1)}, or set `{field['name']}` to day.",
                    name,
                )
            elif precision == "year" and date is not None and (date.month, date.day) != (1, 1):
                yield Problem(
                    path,
                    row,
                    base,
                    "precision-mismatch",
                    f"`{field['name']}` is year but `{base}` is {date}, not 1 January.",
                    f"Write {date.replace(month=1, day=1)}, or set a finer precision.",
                    name,
                )


def dates_before_access(resource, frame, tables, descriptor, root):
    """No fact can be dated after its source was last read."""
    path, name = resource["path"], resource["name"]
    date_fields = [f["name"] for f in load.fields(resource) if f.get("type") == "date" and f["name"] != "accessed"]
    if not date_fields:
        return
    if "accessed" in frame.columns:  # the sources table itself: published <= accessed
        joined = numbered(frame)
    elif "source_id" in frame.columns and "accessed" in tables.get("sources", pl.DataFrame()).columns:
        accessed = tables["sources"].select("source_id", "accessed").unique("source_id")
        joined = numbered(frame).join(accessed, on="source_id", how="left")
    else:
        return
    for field in date_fields:
        late = joined.filter(pl.col(field) > pl.col("accessed")).select(ROW, field, "accessed")
        for row, date, accessed in late.rows():
            yield Problem(
                path,
                row,
                field,
                "date-after-access",
                f"`{field}` is {date}, after its source was accessed ({accessed}).",
                "Correct the date, or re-read the source and update its `accessed` date.",
                name,
            )


def safe_urls(resource, frame, tables, descriptor, root):
    """Only http(s) links reach the site, whatever the descriptor's patterns say."""
    path, name = resource["path"], resource["name"]
    for field in load.fields(resource):
        if field["name"] == "url" or field["name"].endswith("_url") or field.get("format") == "uri":
            bad = numbered(frame).filter(
                pl.col(field["name"]).is_not_null() & ~pl.col(field["name"]).str.contains(r"^https?://[^\s]+$")
            )
            for row, value in bad.select(ROW, field["name"]).rows():
                yield Problem(
                    path,
                    row,
                    field["name"],
                    "unsafe-url",
                    f'"{value}" is not an http(s) address.',
                    "Use a web address starting with http:// or https://.",
                    name,
                )


def documents_exist(resource, frame, tables, descriptor, root):
    """A row with a `path` points to a stored document that must exist and be UTF-8 text."""
    if "path" not in frame.columns:
        return
    path, name = resource["path"], resource["name"]
    for row, document in numbered(frame).select(ROW, "path").rows():
        if document is None:
            continue
        reason = unsafe_path(root, document)
        if reason:
            yield Problem(
                path,
                row,
                "path",
                "unsafe-path",
                f"The document path {document} {reason}.",
                "Store the document inside the package folder (not through a symlink) and give its relative path.",
                name,
            )
            continue
        file = root / document
        if not file.is_file():
            yield Problem(
                path,
                row,
                "path",
                "document-missing",
                f"The document {document} does not exist.",
                "Store the document there, or correct `path`.",
                name,
            )
            continue
        try:
            file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            yield Problem(
                path,
                row,
                "path",
                "document-encoding",
                f"The document {document} is not UTF-8.",
                "Re-save the document as UTF-8.",
                name,
            )


def quotes_found(resource, frame, tables, descriptor, root):
    """A `quote` must occur word for word in the document its row points to."""
    if "quote" not in frame.columns:
        return
    path, name = resource["path"], resource["name"]
    for own, target, theirs in load.foreign_keys(resource):
        documents = tables.get(target)
        if len(own) != 1 or documents is None or "path" not in documents.columns:
            continue
        texts = {}
        for key, document in documents.select(theirs[0], "path").rows():
            file = root / (document or "")
            if document and not unsafe_path(root, document) and file.is_file():
                try:
                    texts[key] = file.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    pass
        for row, key, quote in numbered(frame).select(ROW, own[0], "quote").rows():
            if quote is None or key not in texts:
                continue
            if quote not in texts[key]:
                yield Problem(
                    path,
                    row,
                    "quote",
                    "quote-not-found",
                    f'The quote "{shorten(quote)}" does not occur word for word in document `{key}`.',
                    "Copy the quote exactly from the document (punctuation and curly apostrophes included).",
                    name,
                )


def rows_exist(resource, frame, tables, descriptor, root):
    """A link table (`resource` + `row_id` columns) may point at any table: the row must exist there."""
    if not {"resource", "row_id"} <= set(frame.columns):
        return
    keys = {}
    for other in load.resources(descriptor):
        key = load.primary_key(other)
        if len(key) == 1 and other["name"] in tables:
            keys[other["name"]] = set(tables[other["name"]][key[0]].drop_nulls())
    path, name = resource["path"], resource["name"]
    for row, table, row_id in numbered(frame).select(ROW, "resource", "row_id").rows():
        if table is None or row_id is None:
            continue
        if table not in keys:
            yield Problem(
                path,
                row,
                "resource",
                "table-not-found",
                f'"{table}" is not a table with a single-field key.',
                f"Use one of: {', '.join(sorted(keys))}.",
                name,
            )
        elif row_id not in keys[table]:
            yield Problem(
                path,
                row,
                "row_id",
                "row-not-found",
                f'"{row_id}" is not a row of `{table}`.',
                f"Correct the id, or add the row to {table}.",
                name,
            )


def ids_in_notes(resource, frame, tables, descriptor, root):
    """An id a `note` names in backticks must be the key of a row somewhere, so notes cannot cite a missing source."""
    if "note" not in frame.columns:
        return
    keys = set()
    for other in load.resources(descriptor):
        key = load.primary_key(other)
        if len(key) == 1 and other["name"] in tables:
            keys |= set(tables[other["name"]][key[0]].drop_nulls().cast(pl.String))
    path, name = resource["path"], resource["name"]
    for row, note in numbered(frame).select(ROW, "note").rows():
        for named in re.findall(r"`([^`]+)`", note or ""):
            if named not in keys:
                yield Problem(
                    path,
                    row,
                    "note",
                    "note-names-unknown-id",
                    f"The note names `{named}`, which is not the id of any row.",
                    "Correct the id, add the row it names, or drop the backticks (they mark ids only).",
                    name,
                )


def shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


GENERIC_RULES = [
    no_rows,
    date_precision,
    dates_before_access,
    safe_urls,
    documents_exist,
    quotes_found,
    rows_exist,
    ids_in_notes,
]
