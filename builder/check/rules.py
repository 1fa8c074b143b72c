"""Our own checks beyond Table Schema, run on the typed frames.

Generic rules work on any package by convention (a `date` field with a `date_precision`
beside it, a `source_id` pointing at a table with an `accessed` date, a `quote` checked
against the document it points to). A story adds its own rules (see builder/stories/).
Each rule yields Problems with a stable kebab-case type; none raises for bad data.
"""

from __future__ import annotations

import functools
from pathlib import Path, PurePosixPath

import polars as pl

from builder.common.errors import Problem
from builder.package import formats, load
from builder.package import story as stories
from builder.package.findings import ROW, row_numbers  # ROW: spreadsheet row number (header 1, first data row 2)
from builder.package.paths import unpublishable, unsafe_path

URL_FIX = "Use a web address starting with http:// or https://."


def numbered(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its spreadsheet row numbers first, chunked as its first column is."""
    return pl.DataFrame([row_numbers(2, frame), *frame.get_columns()])


def check(descriptor: dict, tables: dict[str, pl.DataFrame], root: Path, *, unreadable: set[str] = frozenset()) -> list[Problem]:
    """Run every rule on the tables we could read; story rules need them all."""
    _document.cache_clear()  # documents are read once per validation, never remembered across them
    _memo.clear()

    def run(resource: dict) -> list[Problem]:
        frame = tables[resource["name"]]
        return [problem for rule in GENERIC_RULES for problem in rule(resource, frame, tables, descriptor, root)]

    readable = [resource for resource in load.resources(descriptor) if resource["name"] not in unreadable]
    story = stories.for_package(descriptor)
    # One table after another: validate derives the views beside the rules, and more threads asking
    # Polars' two for work made it slower, not faster.
    problems = [problem for resource in readable for problem in run(resource)]
    if story is not None and not unreadable:
        problems.extend(story.check(descriptor, tables, root))
    _document.cache_clear()
    _memo.clear()
    return problems


_memo: dict = {}  # lookups several tables' rules share, made once per validation (cleared by check)


def no_rows(resource, frame, tables, descriptor, root):
    path = formats.label(resource)
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
    path, name = formats.label(resource), resource["name"]
    for field in load.fields(resource):
        if not field["name"].endswith("_precision"):
            continue
        base = field["name"].removesuffix("_precision") or "date"
        if base not in frame.columns or frame.schema[base] != pl.Date:
            continue
        precision, date = pl.col(field["name"]), pl.col(base)
        suspect = (
            (date.is_null() & precision.is_not_null())
            | (date.is_not_null() & precision.is_null())
            | ((precision == "month") & (date.dt.day() != 1))
            | ((precision == "year") & ((date.dt.day() != 1) | (date.dt.month() != 1)))
            | ((precision == "unknown") & date.is_not_null())
        )
        rows = numbered(frame).filter(suspect.fill_null(False)).select(ROW, base, field["name"]).rows()
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
    path, name = formats.label(resource), resource["name"]
    date_fields = [f["name"] for f in load.fields(resource) if f.get("type") == "date" and f["name"] != "accessed"]
    if not date_fields:
        return
    if "accessed" in frame.columns:  # the sources table itself: published <= accessed
        joined = numbered(frame).select(ROW, *date_fields, "accessed")
    elif "source_id" in frame.columns and "accessed" in tables.get("sources", pl.DataFrame()).columns:
        # inner: a row whose source is unknown has no access date to be after (the foreign key says so)
        joined = _accessed(tables["sources"]).join(numbered(frame).select(ROW, "source_id", *date_fields), on="source_id")
    else:
        return
    for field in date_fields:
        late = joined.filter(pl.col(field) > pl.col("accessed")).select(ROW, field, "accessed").sort(ROW)
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


def _accessed(sources: pl.DataFrame) -> pl.DataFrame:
    """Each source's `accessed` date, one row per id: made once per validation, for every table citing sources."""
    if "accessed" not in _memo:
        _memo["accessed"] = sources.select("source_id", "accessed").filter(pl.col("source_id").is_first_distinct())
    return _memo["accessed"]


def safe_urls(resource, frame, tables, descriptor, root):
    """Only http(s) links reach the site, whatever the descriptor's patterns say."""
    path, name = formats.label(resource), resource["name"]
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
                    URL_FIX,
                    name,
                )


def documents_exist(resource, frame, tables, descriptor, root):
    """A row with a `path` points to a stored document that must exist and be UTF-8 text."""
    if "path" not in frame.columns:
        return
    path, name = formats.label(resource), resource["name"]
    taken = zip_names(descriptor)
    faults = {document: publish_fault(root, document, taken) for document in frame["path"].drop_nulls().unique().to_list()}
    bad = [document for document, fault in faults.items() if fault]
    for row, document in numbered(frame).filter(pl.col("path").is_in(bad)).select(ROW, "path").rows():
        fault = faults[document]
        if fault == "missing":
            yield Problem(
                path,
                row,
                "path",
                "document-missing",
                f"The document {document} does not exist.",
                "Store the document there, or correct `path`.",
                name,
            )
        elif fault == "encoding":
            yield Problem(
                path,
                row,
                "path",
                "document-encoding",
                f"The document {document} is not UTF-8.",
                "Re-save the document as UTF-8.",
                name,
            )
        elif isinstance(fault, tuple):
            yield Problem(
                path, row, "path", "unpublishable-document", f"The document path {document} {fault[0]}.", fault[1], name
            )
        else:
            yield Problem(
                path,
                row,
                "path",
                "unsafe-path",
                f"The document path {document} {fault}.",
                "Store the document inside the package folder (not through a symlink) and give its relative path.",
                name,
            )


def zip_names(descriptor: dict) -> dict[str, str]:
    """What the package's zip holds besides documents (casefolded path -> what it is), and each
    table's own CSV: a document may take none of these names."""
    names = {
        "datapackage.json": "the package's descriptor",
        "readme.md": "the zip's README.md",
        "license.txt": "the zip's LICENSE.txt",
    }
    story = stories.for_package(descriptor)
    for view in sorted(story.VIEWS) if story else []:
        names[f"data/{view}.csv"] = f"the CSV of the view `{view}`"
    for resource in load.resources(descriptor):
        names[f"data/{resource['name']}.csv"] = f"the CSV of the table `{resource['name']}`"
        if isinstance(resource.get("path"), str):
            names[PurePosixPath(resource["path"]).as_posix().casefold()] = f"the CSV of the table `{resource['name']}`"
    return names


def publish_fault(root: Path, document: str, taken: dict[str, str]) -> str | tuple[str, str] | None:
    """None for a document the zip may carry; else why not: unsafe to read (a reason), not to be
    published (reason and fix), or "missing" or "encoding"."""
    return unsafe_path(root, document) or unpublishable(document, taken) or _document_fault(root, document)


def _document_fault(root: Path, document: str) -> str | None:
    """None for a readable UTF-8 document inside the package; else "missing", "encoding" or why it is unsafe."""
    return _document(root, document)[1]


@functools.lru_cache(maxsize=256)
def _document(root: Path, document: str) -> tuple[str | None, str | None]:
    """(text, fault) of a stored document, read once per validation for both rules that need it."""
    reason = unsafe_path(root, document)
    if reason:
        return None, reason
    file = root / document
    if not file.is_file():
        return None, "missing"
    try:
        return file.read_text(encoding="utf-8"), None
    except UnicodeDecodeError:
        return None, "encoding"


def quotes_found(resource, frame, tables, descriptor, root):
    """A `quote` must occur word for word in the document its row points to.

    Linear in the documents and the quotes: each document file is read once and scanned once for
    all its distinct quotes together (an Aho–Corasick automaton, see `absent`), however many
    quotes there are and however many rows repeat them.
    """
    if "quote" not in frame.columns:
        return
    path, name = formats.label(resource), resource["name"]
    for own, target, theirs in load.foreign_keys(resource):
        documents = tables.get(target)
        if len(own) != 1 or documents is None or "path" not in documents.columns:
            continue
        pairs = (
            numbered(frame)
            .select(ROW, pl.col(own[0]).alias("__key"), "quote")
            .filter(pl.col("quote").is_not_null())
            .join(documents.select(pl.col(theirs[0]).alias("__key"), "path").unique("__key"), on="__key", how="inner")
        )
        missing = []
        for (document,), quotes in pairs.select("path", "quote").unique().partition_by("path", as_dict=True).items():
            text = _document(root, document)[0] if document is not None else None
            if text is not None:  # an unreadable document is documents_exist's finding, not a quote's
                missing.append(quotes.filter(pl.col("quote").is_in(absent(text, quotes["quote"]).implode())))
        if not missing:
            continue
        absent_pairs = pl.concat(missing)
        for row, key, quote in (
            pairs.join(absent_pairs, on=["path", "quote"], how="semi").select(ROW, "__key", "quote").sort(ROW).rows()
        ):
            yield Problem(
                path,
                row,
                "quote",
                "quote-not-found",
                f'The quote "{shorten(quote)}" does not occur word for word in document `{key}`.',
                "Copy the quote exactly from the document (punctuation and curly apostrophes included).",
                name,
            )


QUOTES_PER_PASS = 50_000  # quotes per automaton: bounds its memory; a document with more is scanned once per batch


def absent(text: str, quotes: pl.Series) -> pl.Series:
    """The distinct quotes that do not occur in `text`, as `quote not in text` says (verbatim, case
    and accents as written), found in one pass over the text: Polars' Aho–Corasick `extract_many`
    with overlapping matches reports every quote found anywhere, also one inside or overlapping
    another. An empty quote occurs in any text."""
    wanted = quotes.drop_nulls().unique(maintain_order=True)
    wanted = wanted.filter(wanted.str.len_bytes() > 0)
    found = []
    haystack = pl.Series([text], dtype=pl.String)
    for start in range(0, wanted.len(), QUOTES_PER_PASS):
        batch = wanted.slice(start, QUOTES_PER_PASS)
        found.append(haystack.str.extract_many(batch.implode(), overlapping=True).explode().drop_nulls().unique())
    seen = pl.concat(found) if found else pl.Series([], dtype=pl.String)
    return wanted.filter(~wanted.is_in(seen.implode()))


def rows_exist(resource, frame, tables, descriptor, root):
    """A link table (`resource` + `row_id` columns) may point at any table: the row must exist there."""
    if not {"resource", "row_id"} <= set(frame.columns):
        return
    keys = {
        other["name"]: load.primary_key(other)[0]
        for other in load.resources(descriptor)
        if len(load.primary_key(other)) == 1 and other["name"] in tables
    }
    path, name = formats.label(resource), resource["name"]
    # Per table the links name, its links' ids looked up in its own key (each key hashed once); the
    # rows are numbered only when some link is dangling.
    tables_named, row_ids = frame["resource"], frame["row_id"]
    dangling = []
    for table in tables_named.drop_nulls().unique().to_list():
        at = ((tables_named == table) & row_ids.is_not_null()).arg_true()
        if table in keys:
            known = tables[table][keys[table]].cast(pl.String)
            at = at.filter(~row_ids.gather(at).is_in(known.implode()))
        dangling.append(at)
    if not any(at.len() for at in dangling):
        return
    for row, table, row_id in numbered(frame)[pl.concat(dangling).sort()].select(ROW, "resource", "row_id").rows():
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
        else:
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
    if "note" not in frame.columns or not frame["note"].str.contains("`", literal=True).any():
        return
    named = (
        numbered(frame)
        .select(ROW, "note")
        .filter(pl.col("note").str.contains("`", literal=True))
        .select(ROW, pl.col("note").str.extract_all(r"`[^`]+`").alias("named"))
        .filter(pl.col("named").list.len() > 0)
        .explode("named")
        .with_columns(pl.col("named").str.slice(1).str.strip_suffix("`"))
    )
    if named.height == 0:
        return
    wanted = named["named"].unique().implode()  # look up only the names the notes use: linear in the keys
    known = _all_ids(descriptor, tables).filter(pl.col("named").is_in(wanted))
    path, name = formats.label(resource), resource["name"]
    for row, unknown in named.join(known, on="named", how="anti", maintain_order="left").rows():
        yield Problem(
            path,
            row,
            "note",
            "note-names-unknown-id",
            f"The note names `{unknown}`, which is not the id of any row.",
            "Correct the id, add the row it names, or drop the backticks (they mark ids only).",
            name,
        )


def _all_ids(descriptor: dict, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The key of every row of every table with a one-field key, as text (made once per validation)."""
    if "ids" not in _memo:
        known = [
            tables[other["name"]].select(pl.col(load.primary_key(other)[0]).cast(pl.String).alias("named"))
            for other in load.resources(descriptor)
            if len(load.primary_key(other)) == 1 and other["name"] in tables
        ]
        _memo["ids"] = pl.concat(known) if known else pl.DataFrame(schema={"named": pl.String})
    return _memo["ids"]


def shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def category_values(field: dict) -> list | None:
    """A Data Package v2 field's `categories` as a list of values (they may be given as
    {"value": …, "label": …} objects), or None when it has none. The shape is checked by
    structure.check_descriptor."""
    categories = field.get("categories")
    if not isinstance(categories, list):
        return None
    return [c["value"] if isinstance(c, dict) else c for c in categories]


def in_categories(resource, frame, tables, descriptor, root):
    """A value of a field with v2 `categories` must be one of them (frictionless 5.21 ignores
    them; the builder checks them as it checks `enum`)."""
    path, name = formats.label(resource), resource["name"]
    for field in load.fields(resource):
        values = category_values(field)
        if values is None or field["name"] not in frame.columns or _enum_within(field, values):
            continue
        column, allowed = frame[field["name"]], pl.Series(values, dtype=frame[field["name"]].dtype)
        outside = column.is_not_null() & ~column.is_in(allowed.implode())
        if not outside.any():  # the rows are numbered only when one is outside
            continue
        bad = numbered(frame).filter(outside)
        shown = ", ".join(str(v) for v in values[:20]) + (f" (and {len(values) - 20:,} more)" if len(values) > 20 else "")
        for row, value in bad.select(ROW, field["name"]).rows():
            yield Problem(
                path,
                row,
                field["name"],
                "constraint-error",
                f'"{value}" is not one of the categories of `{field["name"]}`.',
                f"Use one of: {shown}.",
                name,
            )


def _enum_within(field: dict, categories: list) -> bool:
    """Every `enum` value is a category: a value outside the categories is outside the enum too, and
    the Table Schema check has reported it (one fault, one report)."""
    enum = field.get("constraints", {}).get("enum")
    try:
        return isinstance(enum, list) and set(enum) <= set(categories)
    except TypeError:  # an unhashable value: the categories are checked
        return False


GENERIC_RULES = [
    no_rows,
    date_precision,
    dates_before_access,
    safe_urls,
    documents_exist,
    quotes_found,
    rows_exist,
    ids_in_notes,
    in_categories,
]
