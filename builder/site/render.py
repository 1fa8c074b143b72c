"""Generate the site's Markdown pages from the tables, views and published downloads.

Curated text is data: every value reaches HTML through Jinja's autoescaping, only http(s)
URLs become links, and page titles in front matter are stripped of markup characters.
Links between generated pages are relative, computed from each page's depth, so the site
works on any static host and under any path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import polars as pl
from markupsafe import Markup, escape

from builder.common import clock, labels, progress
from builder.common.dates import format_date
from builder.common.errors import Report
from builder.history import changes
from builder.outputs import cite
from builder.package import load, safety_cells
from builder.package import story as stories
from builder.package.handwritten import docs_context, docs_environment, page_slug
from builder.package.paths import inside, output
from builder.site import rowhtml, words
from builder.site.mkdocs_hooks import MARKER, SEARCH_WORKER  # the search worker wrapper sits beside Material's
from builder.views.derive import View, precision_column
from builder.views.plugin import INDEX_PAGE_ROWS

TEMPLATES = Path(__file__).parent / "templates"
ASSETS = Path(__file__).parent / "assets"
ASSET_FOLDER = "_ledger"  # where the builder's own assets go in the site
TAG = re.compile(r"<[^>]+>")
SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$")
# A data page shows every row of a table this small, else the first this many: on a phone, 50 compact
# rows of long notes stay under 12,000 px (the downloads, above the preview, hold every row).
PREVIEW_ROWS = 50
# No page grows with the package: an index of more than INDEX_PAGE_ROWS rows (builder/views/plugin.py)
# is split into numbered pages (table/, table/pages/2/, …), and an entity page lists at most SECTION_ROWS rows per related
# table, linking to the table's data page for the rest. Both keep a page well under 150 KB, and a
# page of compact rows under 12,000 px on a phone.
PREVIEW_BYTES = 110_000  # a data page's preview stops before its rows' HTML passes this many bytes
SECTION_ROWS = 50
FILTER_CHOICES = 100  # a filter of a paginated index lists at most this many values of the whole list
SHORT_TEXT = 24  # shorter cells (dates, ids, tags) stay on one line
LONG_TEXT = 80  # a cell with more characters than this gets a wide column, not a tall row
VERY_LONG_TEXT = 400  # a note of paragraphs gets a wider one still, so its row stays a few lines high
# What one cell may contribute to a page (and so to the search index): longer text is cut, with a
# pointer to the downloads, which keep every value whole.
CELL_LIMIT = safety_cells.CELL_LIMIT
CUT_NOTE = " … [cut: the full text is in the downloads]"
CODE_ID = re.compile(r"<code>([a-z0-9]+(?:-[a-z0-9]+)*)</code>")  # an id cited in a note, as inline_markdown writes it


def is_safe_url(value) -> bool:
    return isinstance(value, str) and bool(SAFE_URL.match(value))


def plain_title(text: str) -> str:
    """A title safe in <title> and search even where the theme does not escape it."""
    return re.sub(r"[<>&\"`\x00-\x1f\x7f-\x9f\u2028\u2029]", "", str(text)).strip() or "Untitled"


def page_depth(path: str) -> int:
    """How many folders deep a page's URL is: about.md is /about/ (1), data/index.md is /data/ (1)."""
    return path.count("/") + (0 if path.endswith("index.md") else 1)


def yaml_title(text) -> Markup:
    """A front-matter title: a JSON string is valid YAML, and pure ASCII (\\u escapes) cannot break it."""
    return Markup(json.dumps(plain_title(text), ensure_ascii=True))


# A field name used as it is in a `data-` attribute name: lowercase words, never the `x-` of encoded names.
PLAIN_ATTRIBUTE = re.compile(r"(?!x-)[a-z][a-z0-9_]*(?:-[a-z0-9_]+)*")


def data_attribute(name) -> str:
    """The `data-` attribute a row carries a filtered column's value in. An attribute name cannot be
    quoted or escaped, so a field name that is not a plain lowercase name is written as the hex of
    its UTF-8 bytes: no field name can end the attribute or add another (an event handler)."""
    text = str(name)
    return f"data-{text}" if PLAIN_ATTRIBUTE.fullmatch(text) else f"data-x-{text.encode().hex()}"


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

    def __post_init__(self):
        self.resources = {r["name"]: r for r in load.resources(self.descriptor)}
        self.paged = {name for name, resource in self.resources.items() if load.gets_pages(resource)}
        self.tables = {name: capped(frame) for name, frame in self.tables.items()}
        self.views = [dataclasses.replace(view, frame=capped(view.frame)) for view in self.views]
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
        field = next((f for f in load.fields(self.resources.get(table, {})) if f["name"] == name), {})
        return str(labels.vocabulary(field).get(value, value))

    def document_text(self, path: str) -> str:
        """A stored document's text (validation has checked it exists and is UTF-8)."""
        return inside(self.root, path).read_text(encoding="utf-8")


class Renderer:
    """Renders one page at a time; `depth` makes every link relative to the page being written."""

    def __init__(self, site: Site, story_templates: Path | None):
        loaders = [jinja2.FileSystemLoader(str(story_templates))] if story_templates else []
        loaders.append(jinja2.FileSystemLoader(str(TEMPLATES)))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self.site = site
        self.depth = 0
        self._lists: dict[str, Section] = {}  # sections whose full list the page being rendered links to
        self._columns: dict[tuple[str, str], tuple[str, dict, str | None, str | None]] = {}
        # A story's flags beside a value: (table, field, row id) -> (value flagged, words shown, explanation).
        self.flags: dict[tuple[str, str, str], tuple[object, str, str]] = {}
        self._flagged: dict[tuple[str, str], str] = {}  # (table, field) -> the table's key column
        self.env.globals.update(
            site=site,
            url=self.url,
            entity_url=self.entity_url,
            download=self.download,
            cell=self.cell,
            history_value=self.history_value,
            td=self.td,
            permalink=self.permalink,
            list_of=self.list_of,
            build_date=clock.build_time().date(),
            page_slug=page_slug,
            bibtex_key=lambda text: page_slug(text).replace("-", "_"),
            bibtex=cite.bibtex,
            citation_text=cite.citation_text,
            version_zip=cite.version_zip,
            Markup=Markup,
            inline_markdown=inline_markdown,
            field_title=self.field_title,
            jsonld=jsonld,
            highlight=highlight,
            plain_title=plain_title,
            format_date=format_date,
            is_safe_url=is_safe_url,
            fields_of=load.fields,
            shown_columns=load.shown_columns,
            label_field=load.label_field,
            primary_key=load.primary_key,
            site_url=changes.site_url(site),  # absolute address for code snippets, "" when unknown
        )
        self.env.filters["kib"] = lambda n: f"{n / 1024:,.1f} KiB" if n >= 1024 else f"{n} bytes"
        self.env.filters["yaml_title"] = yaml_title
        self.env.filters["data_attribute"] = data_attribute
        self.env.filters["day"] = lambda iso: format_date(dt.date.fromisoformat(iso), "day")
        self.env.filters["count"] = labels.plural  # {{ n | count('row') }}: "1 row", "4,096 rows"
        self.env.globals["vocabulary"] = lambda table, name: labels.vocabulary(self.column(table, name)[1])
        self.env.globals["enumerated"] = labels.enumerated
        self.env.globals["key_words"] = lambda table, key, label: words.key_words(self.site, table, key, label)
        self.env.globals["closed_values"] = labels.values
        self.env.globals["rows_html"] = lambda *args: rowhtml.rows_html(self, *args)
        self.macros = self.env.get_template("_macros.md.j2").module  # row_table and friends, callable from Python

    # ------------------------------------------------------------ links
    def url(self, target: str) -> str:
        """Relative link to a site path such as 'people/' or 'downloads/data/x.csv'."""
        return "../" * self.depth + target if self.depth or target else "./"

    def entity_url(self, table: str, key) -> str:
        return self.url(f"{table}/{page_slug(key)}/")

    def list_of(self, section: Section) -> str:
        """Link to the list of every row of a section its entity page cuts; the list is written because
        a page links to it (render_pages asks for take_lists after each entity page)."""
        self._lists[section.list_path] = section
        return self.url(section.list_path)

    def take_lists(self) -> list[Section]:
        lists, self._lists = list(self._lists.values()), {}
        return lists

    def permalink(self, path: str) -> str:
        """The page's absolute address when the site's URL is known, else its path within the site."""
        base = self.site.site_url
        return f"{base.rstrip('/')}/{path}" if base else f"/{path}"

    def download(self, path: str) -> str:
        return self.url(f"downloads/{path}")

    # ------------------------------------------------------------ values
    def field_title(self, table: str, name: str) -> str:
        return self.column(table, name)[0]

    def column(self, table: str, name: str) -> tuple[str, dict, str | None, str | None]:
        """(title, field, table its values link to, table that names its codes) of a column, looked up
        once per build, not per cell."""
        found = self._columns.get((table, name))
        if found is None:
            resource = self.site.resources.get(table, {})
            field = next((f for f in load.fields(resource) if f["name"] == name), None)
            title = field.get("title", name) if field else name.replace("_", " ").capitalize()
            targets = [t for own, t, _ in load.foreign_keys(resource) if own == [name]]
            target = next((t for t in targets if self.site.has_pages(t)), None)
            lookup = next((t for t in targets if t in self.site.rows_by_id), None)
            found = self._columns[(table, name)] = (title, field or {}, target, lookup)
        return found

    def set_flags(self, flags: dict[tuple[str, str, str], tuple[object, str, str]]) -> None:
        self.flags = flags
        self._flagged = {(t, f): load.primary_key(self.site.resources[t])[0] for t, f, _ in flags}

    def cell(self, table: str, name: str, row: dict):
        """One value as safe HTML, with the story's flag beside it where it has one for this value."""
        html = self._cell(table, name, row)
        key = self._flagged.get((table, name)) if self._flagged else None
        if key is not None:
            flag = self.flags.get((table, name, row.get(key)))
            if flag is not None and flag[0] == row.get(name):
                return Markup('{} <span class="ledger-flag" title="{}">{}</span>').format(html, flag[2], flag[1])
        return html

    def _cell(self, table: str, name: str, row: dict):
        """One value as safe HTML: linked ids, readable dates, tags for enums, http(s) links only."""
        value = row.get(name)
        if value is None and row.get(precision_column(name)) == "unknown":
            # An exit with no date still happened: say so, and by when a report says it had (`left_by`).
            left_by = row.get("left_by") if name != "left_by" else None
            known = f"; left by {format_date(left_by, 'day')}" if isinstance(left_by, dt.date) else ""
            return Markup('<span class="ledger-undated">date unknown{}</span>').format(known)
        if value is None or value == "":
            return Markup('<span class="ledger-empty">—</span>')
        _, field, target, lookup = self.column(table, name)
        if target:
            return Markup(f'<a href="{escape(self.entity_url(target, value))}">{escape(self.site.label(target, value))}</a>')
        if name == "row_id" and self.site.has_pages(row.get("resource")):
            target = row["resource"]
            return Markup(f'<a href="{escape(self.entity_url(target, value))}">{escape(self.site.label(target, value))}</a>')
        if name == "row_id" and row.get("resource") in self.site.rows_by_id:
            return escape(self.site.label(row["resource"], value))  # a row with no page: its words, unlinked
        if isinstance(value, dt.date):
            return escape(format_date(value, row.get(precision_column(name))))
        if isinstance(value, bool):
            return "yes" if value else "no"
        if name == "url" or name.endswith("_url"):
            if is_safe_url(value):
                return Markup(f'<a href="{escape(value)}" rel="noopener">{escape(value)}</a>')
            return escape(value)
        if labels.enumerated(field):
            # A code reads by its name: the field's own label for it, else the row of the lookup table
            # that names it (a verdict "partly-supported" is "Partly supported"), else the code itself.
            shown = labels.vocabulary(field).get(value) or (self.site.label(lookup, value) if lookup else value)
            return Markup(f'<span class="ledger-tag ledger-tag--{page_slug(value)}">{escape(shown)}</span>')
        if isinstance(value, int | float):
            return escape(labels.number(value))
        # Curated notes use inline Markdown (`ids`, links): rendered, everything else escaped; an id
        # with a page links to it, so a reader can follow the note's sources.
        return self.link_ids(inline_markdown(value)) if isinstance(value, str) else escape(value)

    def link_ids(self, html: Markup) -> Markup:
        def link(match: re.Match) -> str:
            table = self.site.page_of_id(match.group(1))
            if table is None:
                other = self.site.row_ids.get(match.group(1))
                return str(escape(self.site.label(other, match.group(1)))) if other else match.group(0)
            # The reader sees the row's name; the id the editors wrote stays in the link's address.
            label = escape(self.site.label(table, match.group(1)))
            return f'<a href="{escape(self.entity_url(table, match.group(1)))}">{label}</a>'

        return Markup(CODE_ID.sub(link, str(html)))

    def history_value(self, table: str, name: str, row: dict, fields: list[dict], side: str) -> Markup:
        """A field's old or new value in a History section, shown as the page shows that field: a date
        as a date (at the precision it had then), an id as a link to its row, Markdown rendered.

        `fields` are the event's changes ({field, old, new}, as text); `row` is the row today, which
        gives the fields that did not change (a date's precision, say).
        """
        value = next(f[side] for f in fields if f["field"] == name)
        if value is None or value == "":
            return Markup('<span class="ledger-empty">(empty)</span>')
        resource = self.site.resources.get(table, {})
        target = self.column(table, name)[2]
        if target and value not in self.site.rows_by_id[target]:
            return Markup("<code>{}</code>").format(value)  # a row that is gone has no page to link to
        then = {**row, **{f["field"]: typed_text(resource, f["field"], f[side]) for f in fields}}
        if isinstance(then[name], str) and len(then[name]) > CELL_LIMIT:
            then[name] = then[name][:CELL_LIMIT] + CUT_NOTE
        return Markup(self.cell(table, name, then))

    def td(self, table: str, name: str, row: dict, content=None, label: str | None = None) -> Markup:
        """A table cell: `data-label` names its column on a phone (stacked cards), long text gets width."""
        body = escape(self.cell(table, name, row) if content is None else content)
        shown = len(TAG.sub("", body)) if "<" in body else len(body)
        css = ""
        if shown > VERY_LONG_TEXT:
            css = ' class="ledger-long ledger-xlong"'
        elif shown > LONG_TEXT:
            css = ' class="ledger-long"'
        elif shown <= SHORT_TEXT:
            css = ' class="ledger-short"'
        heading = escape(label if label is not None else self.field_title(table, name))
        # A date sorts by its ISO form, not by its words ("4 February 2004").
        value = row.get(name)
        if value is None and isinstance(row.get("left_by"), dt.date) and row.get(precision_column(name)) == "unknown":
            value = row["left_by"]  # an undated exit sorts where its report puts it
        order = f' data-sort="{value.isoformat()}"' if isinstance(value, dt.date) else ""
        # Plain string formatting: every piece is already escaped (Markup.format costs 3x as much).
        return Markup(f'<td data-label="{heading}"{order}{css}>{body}</td>')

    def render(self, template: str, depth: int, **context) -> str:
        """A generated page: front matter, then the marker that keeps its HTML out of Markdown."""
        self.depth = depth
        text = self.env.get_template(template).render(**context)
        front, separator, body = text.partition("\n---\n")
        return front + separator + MARKER + body.lstrip("\n")


def highlight(text: str, marks: list[tuple]) -> Markup:
    """Text as escaped paragraphs, each quote wrapped in a link.

    Marks are (quote, href, css class[, id, label]): the id lets a page link to the passage, the
    label says in words what the colour says (a verdict), for readers who cannot tell colours apart.
    A quote that overlaps one already marked is left plain, so the markup always nests.
    """
    spans = []
    for quote, href, css, *rest in marks:
        mark_id, label = (list(rest) + ["", ""])[:2]
        start = text.find(quote)
        if start >= 0 and not any(start < span[1] and start + len(quote) > span[0] for span in spans):
            spans.append((start, start + len(quote), href, css, mark_id, label))
    spans.sort()
    pieces, position = [], 0
    for begin, end, href, css, mark_id, label in spans:
        pieces.append(escape(text[position:begin]))
        anchor = Markup(' id="{}"').format(mark_id) if mark_id else Markup("")
        suffix = Markup(' <span class="ledger-mark-label">[{}]</span>').format(label) if label else Markup("")
        pieces.append(
            Markup('<a class="ledger-mark {}" href="{}"{}><mark>{}</mark>{}</a>').format(
                css, href, anchor, text[begin:end], suffix
            )
        )
        position = end
    pieces.append(escape(text[position:]))
    html = Markup("").join(pieces)
    return Markup("\n").join(Markup("<p>{}</p>").format(Markup(p)) for p in html.split("\n") if p.strip())


INLINE_MARKDOWN = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?://[^\s)<>\"']+)\)")


def inline_markdown(text) -> Markup:
    """Curated prose with its inline Markdown (`code`, **bold**, [links](https://…)) as safe HTML.

    Everything else is escaped, and only http(s) links become links.
    """
    text = "" if text is None else str(text)
    pieces, position = [], 0
    for match in INLINE_MARKDOWN.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        code, bold, label, href = match.groups()
        if code is not None:
            pieces.append(Markup("<code>{}</code>").format(code))
        elif bold is not None:
            pieces.append(Markup("<strong>{}</strong>").format(bold))
        else:
            pieces.append(Markup('<a href="{}" rel="noopener">{}</a>').format(href, label))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def jsonld(data: dict, compact: bool = False):
    """JSON-LD safe inside a <script> element: no <, > or & survives, so neither </script> nor <!-- can.
    `compact` drops the indentation (the home page's Croissant is a fifth smaller without it)."""
    layout = {"separators": (",", ":")} if compact else {"indent": 1}
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, **layout)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">\n{text}\n</script>')


def typed_text(resource: dict, name: str, text: str | None):
    """A CSV cell of a past release as the type its field has today (text if it does not parse)."""
    if text is None or text == "":
        return None
    kind = next((f.get("type") for f in load.fields(resource) if f["name"] == name), "string")
    try:
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "integer":
            return int(text)
    except ValueError:
        return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def capped(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells cut to CELL_LIMIT characters for pages; exports use the uncut tables."""
    long = [c for c, t in frame.schema.items() if t == pl.String]
    if not long or frame.height == 0:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.len_chars() > CELL_LIMIT).then(pl.col(c).str.slice(0, CELL_LIMIT) + CUT_NOTE).otherwise(pl.col(c))
        for c in long
    )


def dataset_jsonld(site: Site, renderer: Renderer) -> dict:
    """schema.org Dataset with a DataDownload for every file, for search engines and catalogues."""
    published = site.published
    files = [d for r in published["resources"] for d in r["downloads"]] + published.get("downloads", [])
    media = {
        "csv": "text/csv",
        "json": "application/json",
        "parquet": "application/vnd.apache.parquet",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "sqlite": "application/vnd.sqlite3",
        "zip": "application/zip",
        "jsonld": "application/ld+json",
    }
    licence = (published.get("licenses") or [{}])[0]
    return {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": published.get("title", published.get("name")),
        "description": published.get("description", ""),
        "version": published.get("version"),
        **({"url": f"{site.site_url}data/"} if site.site_url else {}),
        "keywords": published.get("keywords", []),
        "license": licence.get("path") if is_safe_url(licence.get("path")) else licence.get("name"),
        "creator": [{"@type": "Organization", "name": c.get("title")} for c in published.get("contributors", [])],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": d["path"],
                "encodingFormat": media.get(d["format"], d["format"]),
                "contentUrl": f"{site.site_url}downloads/{d['path']}" if site.site_url else renderer.download(d["path"]),
                "contentSize": f"{d['bytes']} B",
                "sha256": d["hash"].removeprefix("sha256:"),
            }
            for d in files
        ],
    }


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


@dataclass
class Pager:
    """Where one page of a long list sits among its pages; `pages` is the window of links shown.

    `base` is the list's first page (e.g. "sources/" or "organizations/meta/models-it-built/"), and
    `table` the table its rows come from (its data page holds them all in the downloads).
    """

    table: str
    number: int
    count: int
    total: int
    size: int
    base: str = ""
    span: tuple[int, int] | None = None  # (first, last) row of a page cut by size in bytes, not rows

    def __post_init__(self):
        self.base = self.base or f"{self.table}/"

    @property
    def first(self) -> int:
        return self.span[0] if self.span else (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.span[1] if self.span else min(self.total, self.number * self.size)

    @property
    def pages(self) -> list[int | None]:
        """Page numbers to link, None for a gap: the first, the last and two either side of this one."""
        shown = sorted({1, self.count, *range(max(1, self.number - 2), min(self.count, self.number + 2) + 1)})
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out

    def path(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}pages/{number}/"

    @property
    def all_rows(self) -> str:
        """The file with every row of the list (ALL_ROWS), for sorting and filtering across its pages."""
        return self.base + ALL_ROWS


def index_pages(table: str, rows: list[dict], size: int) -> list[tuple[str, int, list[dict], Pager | None]]:
    """(page path, depth, rows, pager) for an entity index: one page, or numbered pages of `size` rows."""
    if len(rows) <= size:
        return [(f"{table}/index.md", 1, rows, None)]
    count = -(-len(rows) // size)
    pages = []
    for number in range(1, count + 1):
        pager = Pager(table, number, count, len(rows), size)
        path = f"{table}/index.md" if number == 1 else f"{table}/pages/{number}.md"
        pages.append((path, page_depth(path), rows[(number - 1) * size : number * size], pager))
    return pages


# Every row of a paginated list, as the <tr> elements its pages show (links relative to its first
# page): ledger.js loads it on the first sort or filter, so both act on all rows, not one page.
ALL_ROWS = "rows.json"
TBODY = re.compile(r"<tbody>\n?(.*?)</tbody>", re.S)
DEEPER = re.compile(r'href="\.\./\.\./')  # pages/N/ is two folders below the list's first page


def all_rows_file(pages: list[tuple[str, int, list[dict], Pager | None]], texts: list[str], table_id: str) -> Page | None:
    """The rows.json of a paginated list, cut from its rendered pages: each row rendered once, as it is shown."""
    pager = pages[0][3]
    marker = f' id="{table_id}"'
    if pager is None or not all(marker in text for text in texts):
        return None  # one page, or a story's own index template without the list's table id
    parts = []
    for (_, _, _, page_pager), text in zip(pages, texts, strict=True):
        body = TBODY.search(text, text.index(marker)).group(1)  # curated text is escaped: no stray </tbody>
        parts.append(body if page_pager.number == 1 else DEEPER.sub('href="', body))
    data = {"count": pager.total, "rows": "".join(parts)}
    return Page(pager.all_rows, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", generated=False)


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


ROW_END = "</tr>\n"  # how the table_rows macro ends each row (curated text is escaped: never inside a cell)
LIST_DEEPER = re.compile(r'href="(?=\.\./)')  # a site link of the list's first page, to be read from pages/N/


def list_pages(renderer: Renderer, section: Section, table: str, key, label: str) -> list[Page]:
    """The pages listing every row of a section an entity page cuts, and their rows.json.

    The rows are rendered once, at the depth of the list's first page, then split into pages of at
    most INDEX_PAGE_ROWS rows and PREVIEW_BYTES bytes of rows (notes can be long), so no page passes 150 KB.
    """
    base = section.list_path
    first = f"{base.rstrip('/')}.md"
    renderer.depth = page_depth(first)
    html = str(renderer.macros.table_rows(section.table, section.all_rows, section.columns, skip=section.skip))
    rows = [row + ROW_END for row in html.split(ROW_END) if row.strip()]
    groups: list[list[str]] = [[]]
    size = 0
    for row in rows:
        if groups[-1] and (len(groups[-1]) == INDEX_PAGE_ROWS or size + len(row) > PREVIEW_BYTES):
            groups.append([])
            size = 0
        groups[-1].append(row)
        size += len(row)
    pages, start = [], 1
    for number, group in enumerate(groups, start=1):
        pager = None
        if len(groups) > 1:
            span = (start, start + len(group) - 1)
            pager = Pager(section.table, number, len(groups), len(rows), INDEX_PAGE_ROWS, base, span)
        path = first if number == 1 else f"{base}pages/{number}.md"
        body = Markup("".join(group) if number == 1 else LIST_DEEPER.sub('href="../../', "".join(group)))
        context = {"section": section, "body": body, "pager": pager, "table": table, "key": key, "label": label}
        pages.append(Page(path, renderer.render("entity_list.md.j2", page_depth(path), **context)))
        start += len(group)
    if len(groups) > 1:
        data = {"count": len(rows), "rows": html}
        pages.append(Page(base + ALL_ROWS, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", generated=False))
    return pages


def render_pages(site: Site, docs: Path | None) -> list[Page]:
    """Every page of the site as Markdown, in a stable order."""
    story = stories.for_package(site.descriptor)
    story_templates = story.TEMPLATES if story else None
    headings = getattr(story, "RELATED_HEADINGS", {}) if story else {}
    boosts = getattr(story, "SEARCH_BOOST", {}) if story else {}
    index_filters = getattr(story, "INDEX_FILTERS", {}) if story else {}
    summary = getattr(story, "summary", None) if story else None
    # A story may order an index and give its template more (the Models index: by release date).
    index_context = getattr(story, "index_context", None) if story else None
    keywords = getattr(story, "search_keywords", None) if story else None
    data_keywords = getattr(story, "DATA_KEYWORDS", {}) if story else {}
    renderer = Renderer(site, story_templates)
    if story and hasattr(story, "cell_flags"):
        renderer.set_flags(story.cell_flags(site))
    pages: list[Page] = []
    refs = {table: referencing(site, table) for table in site.entity_tables()}
    groups = {(other, column): group_rows(site.tables[other], column) for pairs in refs.values() for other, column in pairs}
    # Link tables with `resource` + `row_id` columns can point at a row of any table.
    links = {name: frame for name, frame in site.tables.items() if {"resource", "row_id"} <= set(frame.columns)}
    linked = {
        (name, table): group_rows(frame.filter(pl.col("resource") == table), "row_id")
        for name, frame in links.items()
        for table in site.entity_tables()
    }

    progress.start("render", sum(site.tables[t].height for t in site.entity_tables()), "pages rendered")
    for table in site.entity_tables():
        resource = site.resources[table]
        template = f"{table}.md.j2" if story_templates and (story_templates / f"{table}.md.j2").exists() else "entity.md.j2"
        index_template = (
            f"{table}_index.md.j2"
            if story_templates and (story_templates / f"{table}_index.md.j2").exists()
            else "entity_index.md.j2"
        )
        frame = site.tables[table]
        table_rows = list(frame.iter_rows(named=True))  # read once for the index pages and the row pages
        listed, more = index_context(site, table, table_rows) if index_context else (table_rows, {})
        index = index_pages(table, listed, INDEX_PAGE_ROWS)
        # A filter of a paginated index offers every value of the whole list when there are few (else the
        # page's own values, so the page stays small); counted once here, not once per page.
        extra = index_filters.get(table, [])
        choices = {c: frame[c].drop_nulls().unique().to_list() for c in extra if c in frame.columns}
        texts = [
            renderer.render(
                index_template,
                depth,
                table=table,
                resource=resource,
                rows=rows,
                total=frame.height,
                pager=pager,
                extra_filters=extra,
                choices={c: values if len(values) <= FILTER_CHOICES else None for c, values in choices.items()},
                **more,
            )
            for _, depth, rows, pager in index
        ]
        pages += [Page(path, text) for (path, *_), text in zip(index, texts, strict=True)]
        pages += [p for p in [all_rows_file(index, texts, f"{table}-table")] if p]
        key = load.primary_key(resource)[0]
        for row in table_rows:
            related = []
            for other, column in refs[table]:
                rows = groups[(other, column)].get(row[key])
                if rows:
                    related.append((other, column, rows))
            for name in links:
                rows = linked[(name, table)].get(row[key])
                if rows:
                    related.append((name, "row_id", rows))
            label = site.label(table, row[key])
            sections = sections_for(site, table, label, related, headings)
            taken: set[str] = set()
            for section in sections:
                if section.cut:
                    section.list_path = f"{table}/{page_slug(row[key])}/{list_slug(section.heading, taken)}/"
            progress.advance()
            pages.append(
                Page(
                    f"{table}/{page_slug(row[key])}.md",
                    renderer.render(
                        template,
                        2,
                        table=table,
                        resource=resource,
                        row=row,
                        key=key,
                        related=related,
                        sections=sections,
                        summary=summary(site, table, row) if summary else None,
                        search_boost=boosts.get(table, 2),
                        search_keywords=keywords(site, table, row) if keywords else None,
                        page_path=f"{table}/{page_slug(row[key])}/",
                    ),
                )
            )
            # Every row of a section the page cut and links to (list_of), on pages of the section's own.
            for section in renderer.take_lists():
                pages += list_pages(renderer, section, table, row[key], label)

    data_items = [(r["name"], r) for r in site.published["resources"]]
    renderer.depth = 1
    pages.append(
        Page("data/index.md", renderer.render("data_index.md.j2", 1, items=data_items, dataset=dataset_jsonld(site, renderer)))
    )
    views = {v.name: v for v in site.views}
    for name, published in data_items:
        # The preview shows rows in the order of the downloads, which the page then names.
        frame = (views[name].frame if name in views else site.tables[name]).sort(
            published["ledger"]["sorted_by"] or load.primary_key(published), nulls_last=True
        )
        pages.append(
            Page(
                f"data/{name}.md",
                renderer.render(
                    "data_table.md.j2",
                    2,
                    name=name,
                    published=published,
                    preview=preview_rows(renderer, name, published, frame.head(PREVIEW_ROWS)),
                    is_view=name in views,
                    source=site.resources.get(name),
                    search_keywords=data_keywords.get(name),
                    search_boost=boosts.get(f"data/{name}"),
                ),
            )
        )

    if story:
        context = story.page_context(site)
        for path, template in story.PAGES.items():
            pages.append(Page(path, renderer.render(template, page_depth(path), **context)))
        # Files the story's pages link to (each chart as SVG and its data as CSV), copied as they are.
        for path, text in sorted(context.get("files", {}).items()):
            pages.append(Page(path, text, generated=False))
    else:
        pages.append(Page("index.md", renderer.render("home.md.j2", 0)))

    pages += changes.pages(site, renderer)  # Changes, Atom feed, API (issue 10)

    if docs and docs.is_dir():
        env, context = docs_environment(), docs_context(site.published)
        for source in sorted(docs.rglob("*.md")):
            relative = source.relative_to(docs).as_posix()
            pages.append(Page(relative, env.from_string(source.read_text(encoding="utf-8")).render(**context), generated=False))
    return sorted(pages, key=lambda page: page.path)


def preview_rows(renderer: Renderer, name: str, published: dict, frame: pl.DataFrame) -> list[Markup]:
    """The preview's rows as their cells' HTML, as many as fit in PREVIEW_BYTES (at least one): wide
    tables show fewer. Rendered once, here, and measured as they will be written."""
    renderer.depth = 2  # the data page's depth: its links are relative to it
    rows, size = [], 0
    fields = [f["name"] for f in published["schema"]["fields"]]
    for row in frame.iter_rows(named=True):
        cells = Markup("").join(renderer.td(name, f, row, label=f) for f in fields)
        size += len(cells) + len("<tr></tr>\n")
        if rows and size > PREVIEW_BYTES:
            break
        rows.append(cells)
    return rows


def write_pages(pages: list[Page], target: Path, docs: Path | None) -> dict[str, str]:
    """Write the hand-written pages and files, and the assets (CSS, images) from docs/ beside them.

    Returns the generated pages, path to text, for the MkDocs hook's manifest: MkDocs reads them
    from there, not from one file each (thousands of small files cost more to write than to render).
    Every path is checked to stay inside `target`; validation has already refused anything that would not.
    """
    target.mkdir(parents=True, exist_ok=True)
    # The builder's own script and styles (sortable tables, phone layout), served from the site.
    for asset in sorted(ASSETS.iterdir()):
        destination = output(target, SEARCH_WORKER if asset.name == "search-worker.js" else f"{ASSET_FOLDER}/{asset.name}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(asset, destination)
    if docs and docs.is_dir():
        for asset in sorted(docs.rglob("*")):
            if asset.is_file() and asset.suffix != ".md":
                destination = output(target, asset.relative_to(docs).as_posix())
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(asset, destination)
    generated = {}
    for page in pages:
        destination = output(target, page.path)
        if page.generated:
            generated[page.path] = page.text
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(page.text, encoding="utf-8")
    return dict(sorted(generated.items()))
