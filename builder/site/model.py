"""The Site a template reads (tables, views, published files, how to name and link rows) and the
Page the render writes; text cells cut to CELL_LIMIT for pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from builder.common import labels
from builder.common.dates import format_date
from builder.common.errors import Report
from builder.package import load, safety_cells
from builder.package.paths import inside
from builder.site import words
from builder.views.derive import View

# What one cell may contribute to a page (and so to the search index): longer text is cut, with a
# pointer to the downloads, which keep every value whole.
CELL_LIMIT = safety_cells.CELL_LIMIT
# A link table (citations, claim evidence) points at a row of any table: `resource` names the table, `row_id` the row.
LINK_COLUMNS = ("resource", "row_id")
LINK_REFERENCES = {"row_id": "@resource"}
CUT_NOTE = " … [cut: the full text is in the downloads]"


@dataclass
class Page:
    path: str  # e.g. "people/hugo-touvron.md"
    text: str
    generated: bool = True  # rendered HTML (not Markdown): see mkdocs_hooks


@dataclass
class Site:
    """Everything a template may need: tables, views, published files, and how to link rows."""

    descriptor: dict
    tables: dict[str, pl.DataFrame]
    views: list[View]
    published: dict
    report: Report
    root: Path
    site_url: str = ""  # absolute base URL of the published site, when known (SITE_URL / --site-url)
    history: object = None  # changes.Ledger: releases and row history, when the build read them
    croissant: dict | None = None  # Croissant JSON-LD the home page embeds (builder/outputs/croissant.py)
    resources: dict[str, dict] = field(init=False)
    rows_by_id: dict[str, dict[str, dict]] = field(init=False)
    paged: set[str] = field(init=False)  # tables with a page per row (load.gets_pages)
    page_ids: dict[str, str] = field(init=False)
    row_ids: dict[str, str] = field(init=False)
    view_resources: dict[str, dict] = field(init=False)  # a view's published resource (its schema's categories)
    view_by_name: dict[str, View] = field(init=False)

    def __post_init__(self):
        self._labels: dict[tuple, str] = {}  # (table, type of key, key) -> label, as label() found it
        self._vocabularies: dict[tuple[str, str], dict] = {}  # (table, column) -> code -> label
        self.resources = {r["name"]: r for r in load.resources(self.descriptor)}
        names = {view.name for view in self.views}
        self.view_resources = {r["name"]: r for r in self.published.get("resources", []) if r.get("name") in names}
        self.paged = {name for name, resource in self.resources.items() if load.gets_pages(resource)}
        self.tables = {name: capped(frame) for name, frame in self.tables.items()}
        self.views = [dataclasses.replace(view, frame=capped(view.frame)) for view in self.views]
        self.view_by_name = {view.name: view for view in self.views}
        self.rows_by_id = {}
        for name, resource in self.resources.items():
            key = load.primary_key(resource)
            if len(key) == 1:
                self.rows_by_id[name] = {row[key[0]]: row for row in self.tables[name].iter_rows(named=True)}
        # Ids a note may cite (`id`): each names the one table with pages that has it.
        owners: dict = {}
        for table in self.entity_tables():
            for row_id in self.rows_by_id[table]:
                owners.setdefault(row_id, []).append(table)
        self.page_ids = {row_id: tables[0] for row_id, tables in owners.items() if len(tables) == 1}
        # Ids of rows with no page (a release, a departure), where one table has them: read by their words.
        others: dict = {}
        for table, rows in self.rows_by_id.items():
            if not self.has_pages(table):
                for row_id in rows:
                    others.setdefault(row_id, []).append(table)
        self.row_ids = {row_id: tables[0] for row_id, tables in others.items() if len(tables) == 1 and row_id not in owners}

    def page_of_id(self, key: str) -> str | None:
        """The table whose page has this id, when exactly one table with pages has it."""
        return self.page_ids.get(key)

    def has_pages(self, table: str) -> bool:
        return table in self.paged

    def entity_tables(self) -> list[str]:
        return [name for name in self.resources if self.has_pages(name)]

    def label(self, table: str, key) -> str:
        """The words that name a row (asked for again on every page that links to it: remembered)."""
        memo = (table, type(key), key)  # 1, 1.0 and True are one dict key: their words are not
        try:
            return self._labels[memo]
        except KeyError:
            found = self._labels[memo] = self._label(table, key)
            return found
        except TypeError:  # an unhashable key names no row
            return str(key)

    def _label(self, table: str, key) -> str:
        row = self.rows_by_id.get(table, {}).get(key)
        if row is None:
            return str(key)
        value = row.get(load.label_field(self.resources[table]))
        if isinstance(value, str) and value.startswith("[") and row.get("publisher"):
            # A bracketed title is the editors' note that the real headline was not seen: name the
            # source by its publisher and date instead, as a reader would cite it.
            published = row.get("published")
            when = format_date(published, "day") if isinstance(published, dt.date) else "undated"
            return f"{row['publisher']}, {when}"
        if value in (None, "") or (value == key and not self.has_pages(table)):
            return words.describe(self, table, row) or str(key)  # a row named only by its key
        return str(value)

    def word(self, table: str, name: str, value) -> str:
        """A code as a reader reads it: the label the field's vocabulary gives it, else the value."""
        return str(self.vocabulary(table, name).get(value, value))

    def vocabulary(self, table: str, name: str) -> dict:
        """A column's labels for its codes (labels.vocabulary), read once per build."""
        found = self._vocabularies.get((table, name))
        if found is None:
            field = next((f for f in load.fields(self.resource(table)) if f["name"] == name), {})
            found = self._vocabularies[(table, name)] = labels.vocabulary(field)
        return found

    def resource(self, name: str) -> dict:
        """A table's resource, or a view's as published (a view's schema names its vocabularies)."""
        return self.resources.get(name) or self.view_resources.get(name, {})

    def references(self, name: str) -> dict[str, str]:
        """Columns of ids whose table is not a foreign key's: column -> table, or "@column" for the
        table another column names. A view declares its own; a link table's `row_id` is a row of the
        table its `resource` names."""
        view = self.view_by_name.get(name)
        if view is not None:
            return view.references
        frame = self.tables.get(name)
        return LINK_REFERENCES if frame is not None and set(LINK_COLUMNS) <= set(frame.columns) else {}

    def unlisted(self, name: str, column: str, value) -> str | None:
        """The words a view gives an id of its references column that names no row ("Not reported")."""
        view = self.view_by_name.get(name)
        words = view.categories.get(column) if view and column in view.references else None
        return next((c.get("label") for c in words if c.get("value") == value), None) if isinstance(words, list) else None

    def document_text(self, path: str) -> str:
        """A stored document's text (validation has checked it exists and is UTF-8)."""
        return inside(self.root, path).read_text(encoding="utf-8")


def capped(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells cut to CELL_LIMIT characters for pages; exports use the uncut tables."""
    long = [c for c, t in frame.schema.items() if t == pl.String]
    if not long or frame.height == 0:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.len_chars() > CELL_LIMIT).then(pl.col(c).str.slice(0, CELL_LIMIT) + CUT_NOTE).otherwise(pl.col(c))
        for c in long
    )
