"""An entity page's related rows: which tables point at it, under which heading a reader reads them,
and the Section each becomes (its first SECTION_ROWS rows; the rest on list pages of its own)."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from builder.package import load
from builder.package.handwritten import page_slug
from builder.site.model import Site

# An entity page lists at most SECTION_ROWS rows per related table and links to a list of the rest
# (see render.INDEX_PAGE_ROWS).
SECTION_ROWS = 50


def group_rows(frame: pl.DataFrame, column: str) -> dict:
    """Rows of a table grouped by one column's value, in table order."""
    grouped: dict = {}
    for row in frame.iter_rows(named=True):
        grouped.setdefault(row[column], []).append(row)
    return grouped


def referencing(site: Site, table: str) -> list[tuple[str, str]]:
    """(other table, its field) pairs whose foreign key points at `table`."""
    found = []
    for name, resource in site.resources.items():
        for own, target, _ in load.foreign_keys(resource):
            if target == table and len(own) == 1:
                found.append((name, own[0]))
    return found


def link_target(site: Site, table: str, column: str) -> str | None:
    """For a link table (two foreign keys, its primary key, and nothing else), the table at the other end."""
    resource = site.resources[table]
    key = load.primary_key(resource)
    if {f["name"] for f in load.fields(resource)} != set(key):
        return None
    keys = {own[0]: target for own, target, _ in load.foreign_keys(resource) if len(own) == 1}
    if len(key) != 2 or set(key) - set(keys) or column not in key:
        return None
    other = next(name for name in key if name != column)
    return keys[other] if site.has_pages(keys[other]) else None


@dataclass
class Section:
    """A table of rows related to an entity, under a heading a reader understands."""

    heading: str
    table: str
    rows: list[dict]
    columns: list[str]
    skip: tuple[str, ...] = ()
    link: bool = False  # rows reached through a link table (e.g. the models a claim is about)
    total: int = 0  # how many rows there are; `rows` holds the first SECTION_ROWS of them
    all_rows: list[dict] = field(default_factory=list)  # every row, for the section's own list pages
    list_path: str = ""  # where the list of every row is, when the entity page shows only the first ones

    def __post_init__(self):
        self.all_rows = self.rows
        self.total = max(self.total, len(self.rows))
        self.rows = self.rows[:SECTION_ROWS]

    @property
    def cut(self) -> bool:
        return self.total > len(self.rows)


def list_slug(heading: str, taken: set[str]) -> str:
    """A section's list folder under its entity's page: its heading as a slug, unique on the page."""
    slug = page_slug(heading)
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def sections_for(site: Site, table: str, label: str, related: list, headings: dict) -> list[Section]:
    """Related rows as sections: link tables show the rows they point at, others their own rows."""
    sections = []
    for other, column, rows in related:
        resource = site.resources[other]
        columns = load.shown_columns(resource)
        names = {f["name"] for f in load.fields(resource)}
        far = link_target(site, other, column)
        if far:
            far_key = next(name for name in load.primary_key(resource) if name != column)
            far_rows = [site.rows_by_id[far][r[far_key]] for r in rows if r[far_key] in site.rows_by_id[far]]
            far_resource = site.resources[far]
            heading = headings.get((other, column), f"{far_resource.get('title', far)} about this")
            sections.append(Section(heading, far, far_rows, load.shown_columns(far_resource), link=True))
            continue
        # Where a fact came from and what the editors noted travel with it.
        own_key = load.primary_key(resource)  # a source's own id is no "where it came from"
        columns += [n for n in ("source_id", "note") if n in names and n not in columns and n != column and n not in own_key]
        if column == "row_id":
            heading = headings.get((other, column), resource.get("title", other))
            sections.append(Section(heading, other, rows, columns, ("resource", "row_id")))
            continue
        same = sum(1 for own, target, _ in load.foreign_keys(resource) if target == table and len(own) == 1)
        title = resource.get("title", other)
        if (other, column) in headings:
            heading = headings[(other, column)]
        elif same == 1 and other != table:
            heading = title
        else:
            heading = f"{title} with {label} as {load.field_title(resource, column).lower()}"
        sections.append(Section(heading, other, rows, columns, (column,)))
    return sections
