"""Generate the site's Markdown pages from the tables, views and published downloads.

`render_pages` makes every page in a stable order (entity pages and the lists they cut, data pages,
the story's pages, Changes, hand-written docs) and `write_pages` writes them for MkDocs. What they
use sits beside this module: the Site and Page (model), the Renderer (renderer), an entity's related
rows (related), numbered pages (lists), safe HTML (markup), page names (names).

Curated text is data: every value reaches HTML through Jinja's autoescaping, only http(s)
URLs become links, and page titles in front matter are stripped of markup characters.
Links between generated pages are relative, computed from each page's depth, so the site
works on any static host and under any path.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
from markupsafe import Markup

from builder.common import progress
from builder.outputs.croissant import MEDIA_TYPES
from builder.package import load
from builder.package import story as stories
from builder.package.handwritten import docs_context, docs_environment, page_slug
from builder.package.paths import output
from builder.site import changes_page
from builder.site.lists import ALL_ROWS, Pager, all_rows_file, index_pages
from builder.site.mkdocs_hooks import SEARCH_WORKER  # the search worker wrapper sits beside Material's
from builder.site.model import LINK_COLUMNS, Page, Site
from builder.site.names import is_safe_url, page_depth
from builder.site.related import Section, group_rows, list_slug, referencing, sections_for
from builder.site.renderer import Renderer
from builder.views.plugin import INDEX_PAGE_ROWS

ASSETS = Path(__file__).parent / "assets"
ASSET_FOLDER = "_ledger"  # where the builder's own assets go in the site
# A data page shows every row of a table this small, else the first this many: on a phone, 50 compact
# rows of long notes stay under 12,000 px (the downloads, above the preview, hold every row).
PREVIEW_ROWS = 50
# No page grows with the package: an index of more rows than this is split into numbered pages
# (table/, table/pages/2/, …), and an entity page lists at most related.SECTION_ROWS rows per related
# table, linking to the table's data page for the rest. Both keep a page well under 150 KB, and a
# page of compact rows under 12,000 px on a phone.
PREVIEW_BYTES = 110_000  # a data page's preview stops before its rows' HTML passes this many bytes
FILTER_CHOICES = 100  # a filter of a paginated index lists at most this many values of the whole list


def dataset_jsonld(site: Site, renderer: Renderer) -> dict:
    """schema.org Dataset with a DataDownload for every file, for search engines and catalogues."""
    published = site.published
    files = [d for r in published["resources"] for d in r["downloads"]] + published.get("downloads", [])
    media = {**MEDIA_TYPES, "jsonld": "application/ld+json"}  # the types Croissant names, and its own file
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


def render_pages(site: Site, docs: Path | None, downloads_written: Callable[[], None] | None = None) -> list[Page]:
    """Every page of the site as Markdown, in a stable order. The entity pages come first: they show
    no workbook or database, which are written meanwhile; `downloads_written()` waits for them before
    the pages that list every download (the data index, the home page's Croissant)."""
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
    links = {name: frame for name, frame in site.tables.items() if set(LINK_COLUMNS) <= set(frame.columns)}
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

    if downloads_written:
        downloads_written()
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
        shown = frame.head(PREVIEW_ROWS).rows(named=True)
        fields = [f["name"] for f in published["schema"]["fields"]]
        repeated = renderer.repeated_words(name, fields, shown)  # a view's title beside the id that reads as it
        kept = [f for f in fields if f not in repeated]
        pages.append(
            Page(
                f"data/{name}.md",
                renderer.render(
                    "data_table.md.j2",
                    2,
                    name=name,
                    published=published,
                    preview_fields=kept,
                    repeated=repeated,
                    preview=preview_rows(renderer, name, kept, shown),
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

    pages += changes_page.pages(site, renderer)  # Changes, Atom feed, API (issue 10)

    if docs and docs.is_dir():
        env, context = docs_environment(), docs_context(site.published)
        for source in sorted(docs.rglob("*.md")):
            relative = source.relative_to(docs).as_posix()
            pages.append(Page(relative, env.from_string(source.read_text(encoding="utf-8")).render(**context), generated=False))
    return sorted(pages, key=lambda page: page.path)


def preview_rows(renderer: Renderer, name: str, fields: list[str], shown: list[dict]) -> list[Markup]:
    """The preview's rows (`fields` of each row `shown`) as their cells' HTML, as many as fit in
    PREVIEW_BYTES (at least one): wide tables show fewer. Rendered once, here, and measured as they
    will be written."""
    renderer.depth = 2  # the data page's depth: its links are relative to it
    rows, size = [], 0
    for row in shown:
        cells = Markup("").join(renderer.td(name, f, row, label=f) for f in fields)
        size += len(cells) + len("<tr></tr>\n")
        if rows and size > PREVIEW_BYTES:
            break
        rows.append(cells)
    return rows


def write_pages(pages: list[Page], target: Path, docs: Path | None) -> dict[str, str]:
    """Write the hand-written pages and files, and the assets (CSS, images) from docs/ beside them.

    Returns the generated pages, path to text, which publish hands to the MkDocs hooks: MkDocs reads them
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
