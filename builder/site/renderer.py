"""The Renderer: Jinja templates rendered one page at a time, every link relative to that page's depth,
and each value as safe HTML (linked ids, readable dates, tags for codes, the story's flags)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from builder.common import clock, labels
from builder.common.dates import format_date
from builder.outputs import cite
from builder.package import load
from builder.package.handwritten import page_slug
from builder.site import rowhtml, words
from builder.site.config import site_url
from builder.site.markup import highlight, inline_markdown, jsonld
from builder.site.mkdocs_hooks import MARKER
from builder.site.model import CELL_LIMIT, CUT_NOTE, Site
from builder.site.names import data_attribute, is_safe_url, plain_title, yaml_title
from builder.site.related import Section
from builder.views.derive import precision_column

TEMPLATES = Path(__file__).parent / "templates"
TAG = re.compile(r"<[^>]+>")
SHORT_TEXT = 24  # shorter cells (dates, ids, tags) stay on one line
LONG_TEXT = 80  # a cell with more characters than this gets a wide column, not a tall row
VERY_LONG_TEXT = 400  # a note of paragraphs gets a wider one still, so its row stays a few lines high
CODE_ID = re.compile(r"<code>([a-z0-9]+(?:-[a-z0-9]+)*)</code>")  # an id cited in a note, as inline_markdown writes it


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
        self._words: dict[tuple[str, str], str | None] = {}  # (view, column) -> the column of its words
        self._headings: dict[tuple[str, str, str | None], Markup] = {}  # a cell's data-label, escaped once
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
            release_stamp=words.release_stamp(site.published.get("version"), site.history, clock.build_time().date()),
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
            site_url=site_url(site),  # absolute address for code snippets, "" when unknown
        )
        self.env.filters["kib"] = lambda n: f"{n / 1024:,.1f} KiB" if n >= 1024 else f"{n} bytes"
        self.env.filters["yaml_title"] = yaml_title
        self.env.filters["data_attribute"] = data_attribute
        self.env.filters["day"] = lambda iso: format_date(dt.date.fromisoformat(iso), "day")
        self.env.filters["count"] = labels.plural  # {{ n | count('row') }}: "1 row", "4,096 rows"
        self.env.globals["vocabulary"] = site.vocabulary
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
            resource = self.site.resource(table)
            field = next((f for f in load.fields(resource) if f["name"] == name), None)
            title = field.get("title", name) if field else name.replace("_", " ").capitalize()
            targets = [t for own, t, _ in load.foreign_keys(resource) if own == [name]]
            refers = self.site.references(table).get(name)  # a view's ids: the table they are rows of
            if refers and not refers.startswith("@"):
                targets.append(refers)
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
        if target and (table in self.site.resources or value in self.site.rows_by_id.get(target, {})):
            return Markup(f'<a href="{escape(self.entity_url(target, value))}">{escape(self.site.label(target, value))}</a>')
        if target:  # a view's id that is no row (a destination "unknown"): its words, else nothing to name
            words = self.site.unlisted(table, name, value)
            return escape(words) if words else Markup('<span class="ledger-empty">—</span>')
        # A link to a row of the table another column names: citations' resource + row_id, a timeline
        # event's subject_table + subject_id.
        refers = self.site.references(table).get(name, "")
        named = refers[1:] if refers.startswith("@") else ""
        other = row.get(named) if named else None
        if other is not None and self.site.has_pages(other) and value in self.site.rows_by_id.get(other, {}):
            return Markup(f'<a href="{escape(self.entity_url(other, value))}">{escape(self.site.label(other, value))}</a>')
        if other in self.site.rows_by_id:
            return escape(self.site.label(other, value))  # a row with no page: its words, unlinked
        if lookup and not labels.enumerated(field) and table not in self.site.resources:
            return escape(self.site.label(lookup, value))  # a view's code a table names (a verdict)
        words = self.words_column(table, name)
        if words and row.get(words):
            return escape(row[words])  # a view's own id reads as its row's words (a timeline event's)
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
            shown = self.site.vocabulary(table, name).get(value) or (self.site.label(lookup, value) if lookup else value)
            return Markup(f'<span class="ledger-tag ledger-tag--{page_slug(value)}">{escape(shown)}</span>')
        if isinstance(value, int | float):
            return escape(labels.number(value))
        # Curated notes use inline Markdown (`ids`, links): rendered, everything else escaped; an id
        # with a page links to it, so a reader can follow the note's sources.
        return self.link_ids(inline_markdown(value)) if isinstance(value, str) else escape(value)

    def words_column(self, table: str, name: str) -> str | None:
        """The column whose words stand for `name`: a view's `words`, for its own single-column id."""
        key = (table, name)
        if key not in self._words:
            view = self.site.view_by_name.get(table)
            self._words[key] = view.words if view and view.primary_key == [name] else None
        return self._words[key]

    def repeated_words(self, table: str, fields: list[str], rows: list[dict]) -> dict[str, str]:
        """Columns a view's preview need not show: column -> the column of ids whose links show the
        same words in every one of `rows` (source_usage's `title` is what its `source_id` reads as).
        A table's columns are all shown: its title is its own, whatever another row is called."""
        found: dict[str, str] = {}
        if table not in self.site.view_by_name or not rows:
            return found
        for ids in fields:
            target = self.column(table, ids)[2]
            if not target or any(row.get(ids) not in self.site.rows_by_id.get(target, {}) for row in rows):
                continue
            words = [self.site.label(target, row[ids]) for row in rows]
            for name in fields:
                if name not in found and name != ids and all(row.get(name) == w for row, w in zip(rows, words, strict=True)):
                    found[name] = ids
        return {name: ids for name, ids in found.items() if ids not in found}  # what stands for a column is shown

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
        heading = self._headings.get((table, name, label))
        if heading is None:
            heading = self._headings[(table, name, label)] = escape(label if label is not None else self.field_title(table, name))
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
