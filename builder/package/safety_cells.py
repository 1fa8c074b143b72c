"""The safety checks of the typed tables, before rules, views and exports see them: control
characters, numbers no download can hold, ids that make clashing or reserved page names, and
cells longer than a page shows (a warning).
"""

from __future__ import annotations

import polars as pl

from builder.check.rules import ROW, numbered
from builder.common.errors import Problem
from builder.package import load
from builder.package.csvreader import CONTROL_RE
from builder.package.handwritten import page_slug

# CONTROL (builder.package.csvreader): text that breaks YAML front matter, HTML or a spreadsheet; the same
# characters in Rust's regex syntax for Polars.
POLARS_CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x{9F}\x{2028}\x{2029}\x{FFFE}\x{FFFF}]"
# One page per row is named after its id: ids must give distinct, short file names.
MAX_SLUG = 100
# What one cell may show on a page (and so put in the search index); downloads keep it whole.
CELL_LIMIT = 5000
# Excel keeps at most this many characters in a cell; longer text is cut in the workbook only.
EXCEL_CELL_LIMIT = 32767


def check_tables(descriptor: dict, tables: dict[str, pl.DataFrame], clean: set[str] = frozenset()) -> list[Problem]:
    """Cells no page or download may hold. `clean`: tables whose bytes were found free of control
    characters as they were read (builder.package.csvreader.scan), not scanned again."""
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
