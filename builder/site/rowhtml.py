"""Related rows as HTML in plain Python: the same string the `table_rows` macro wrote, cell for cell.

A Jinja macro costs a template call per cell (and `Markup.format` per linked cell); on a site of
thousands of entity pages with tens of related rows each, that was a third of the render. Every
value still goes through markupsafe's `escape` (or is already Markup from `cell`/`td`), so curated
text stays data.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from builder.package import load

LINK = Markup('<a href="{}">{}</a>')


def rows_html(renderer, table: str, rows, columns, skip=(), filters=()) -> Markup:
    """One `<tr>…</tr>\\n` per row: a filtered column's value as a `data-` attribute, then a cell per
    shown column; the first cell of a row with a page links to it. `renderer` gives the cells
    (renderer.Renderer: td, cell, entity_url and the data_attribute filter), at the depth of the page being written."""
    site = renderer.site
    resource = site.resources[table]
    key = load.primary_key(resource)
    linked = site.has_pages(table) and len(key) == 1
    # A link to a row of any table (citations' resource + row_id) reads as one "About" column.
    if "row_id" in columns and "row_id" not in skip:
        skip = (*skip, "resource")
    shown = [c for c in columns if c not in skip]
    attribute = renderer.env.filters["data_attribute"]
    attributes = [(c, attribute(c)) for c in columns if c in filters]
    label_field = load.label_field(resource) if linked else None
    td, cell = renderer.td, renderer.cell
    out = []
    for row in rows:
        out.append("<tr")
        for c, name in attributes:
            out.append(f' {escape(name)}="{escape(row[c])}"')
        out.append(">")
        for position, c in enumerate(shown):
            if position == 0 and linked:
                target = row[key[0]]
                text = site.label(table, target) if c == label_field else cell(table, c, row)
                out.append(td(table, c, row, LINK.format(renderer.entity_url(table, target), text)))
            else:
                out.append(td(table, c, row, label="About" if c == "row_id" else None))
        out.append("</tr>\n")
    return Markup("".join(out))
