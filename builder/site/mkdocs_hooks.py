"""MkDocs hooks: generated pages carry finished HTML past Markdown; hand-written pages are cleaned.

Generated pages are rendered by Jinja with autoescaping, so they are already HTML. Feeding them
through Python-Markdown would re-parse every raw HTML block (most of the build time) and could
reinterpret curated text as Markdown (`{: onerror=… }` with attr_list). Which pages are generated
is told by publish in memory (builder.site.handover), never by the page itself, so no page can
switch itself from one path to the other, and a generated page without its marker (its front
matter unreadable, say) stops the build instead of falling back to Markdown.

Hand-written pages (a package's docs/*.md) are Markdown; their HTML is sanitised with nh3
(ammonia): no script, no event handlers, no style, only http(s), mailto and relative links.
"""

import os
import re
from html import escape

import nh3
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils import get_relative_url

from builder.common import progress
from builder.site import handover
from builder.site.cache import other_plugins
from builder.site.sections import mark_section

MARKER = "<!-- ledger:html -->\n"
FEED = "changes.xml"  # the Atom feed of releases (builder/history/changes.py)
# Material's search worker, named in each page's __config; the builder's wrapper (SEARCH_WORKER, copied
# there by render.write_pages) sits beside it, loads it and puts the page titled exactly as the query first.
SEARCH_WORKER = "assets/javascripts/workers/ledger-search.js"
MATERIAL_WORKER = re.compile(r'("search": "[^"]*assets/javascripts/workers/)(search\.[0-9a-f]+\.min\.js)"')

ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"colspan", "rowspan", "scope", "align"},
    "td": {"colspan", "rowspan", "align"},
    "ol": {"start"},
    "abbr": {"title"},
}
ALLOWED_TAGS = nh3.ALLOWED_TAGS - {"area", "map"}


# A page's `search: keywords:` (words a reader asks with, never shown) become a field of its own in
# the search index, weighted below titles (a name typed alone still finds its page); the builder's
# worker ranks pages first by how many typed words their title and keywords hold (search-worker.js).
KEYWORDS = "keywords"
KEYWORDS_BOOST = 500


KEYWORDS_LINE = re.compile(r"^search:\n(?:  .*\n)*?  keywords: ", re.MULTILINE)


@event_priority(100)  # before Material's search plugin writes its fields into the index's config
def on_config(config):
    pages = handover.take()
    # Only a site whose pages have keywords gets the field (a package without them keeps its index as it was).
    plugins = config.get("plugins") or {}
    plugin = plugins.get("material/search") or plugins.get("search")
    fields = getattr(getattr(plugin, "config", None), "fields", None)
    if isinstance(fields, dict) and any(KEYWORDS_LINE.search(text[: text.find(MARKER)]) for text in pages.values() if text):
        fields.setdefault(KEYWORDS, {"boost": KEYWORDS_BOOST})
    config["ledger_generated"] = set(pages)
    config["ledger_pages"] = {path: text for path, text in pages.items() if text is not None}
    return config


def on_files(files, config):
    """The generated pages, handed over in memory: MkDocs treats them as files in docs_dir."""
    pages = config.get("ledger_pages", {})
    if not pages:
        return files
    added = [File.generated(config, path, content=text) for path, text in pages.items()]
    config["ledger_pages"] = {}  # MkDocs keeps the text in the files now
    # In the order MkDocs walks a docs folder (it builds pages, and so orders the search index, so).
    return Files(sorted([*files, *added], key=lambda f: walk_order(f.src_uri)))


def walk_order(path: str) -> tuple:
    """A file's place in MkDocs' walk of docs_dir: a folder's files (index first), then its subfolders by name."""
    *folders, name = path.split("/")
    return (*((1, folder) for folder in folders), (0, os.path.splitext(name)[0] not in ("index", "README"), name))


def on_page_markdown(markdown, page, config, **kwargs):
    if page.file.src_uri in config.get("ledger_generated", ()):
        start = markdown.find(MARKER)
        if start < 0:
            raise ValueError(f"generated page {page.file.src_uri} lost its marker (its front matter did not parse)")
        page.ledger_html = markdown[start + len(MARKER) :]
        page.file.content_string = ""  # read once: the page holds its HTML now, not the file its text too
        return ""
    return markdown


# What Material's search parser skips: from a start tag with data-search-exclude to the first end
# tag of the same name (its parser ends the exclusion there, however the tags nest).
EXCLUDED_START = re.compile(r"<([a-z][a-z0-9]*)\b[^>]*\sdata-search-exclude(?=[\s=/>])[^>]*>")
HEADING_WITH_ID = re.compile(r"<h[1-6]\b[^>]*\sid=")
# What the search plugin removes from every page it indexes (its own expression, kept as is).
SEARCH_ATTRIBUTES = re.compile(r"\s?data-search-\w+=\"[^\"]+\"")


def without_excluded(html: str) -> str:
    """The page's HTML without the parts search skips, so its parser does not read them at all.

    A skipped part holding a heading with an id is kept: the parser opens a search section there.
    """
    pieces, position = [], 0
    for start in EXCLUDED_START.finditer(html):
        if start.start() < position:
            continue  # inside a part already cut
        end = html.find(f"</{start.group(1)}>", start.end())
        if end < 0:
            break
        end += len(start.group(1)) + 3
        if HEADING_WITH_ID.search(html, start.end(), end):
            continue
        pieces.append(html[position : start.start()])
        position = end
    pieces.append(html[position:])
    return "".join(pieces)


def _search_on(config) -> bool:
    plugin = config["plugins"].get("material/search") or config["plugins"].get("search")
    return plugin is not None and getattr(getattr(plugin, "config", None), "enabled", True)


@event_priority(100)  # before Material's search plugin (priority 0) indexes the page
def _hide_excluded(context, page, config, nav):
    if page.file.src_uri in config.get("ledger_generated", ()) and _search_on(config):
        page.ledger_full_content = page.content
        page.content = without_excluded(page.content)
    return context


@event_priority(-100)  # after it: the page is rendered whole, with the attributes search removes removed
def _show_excluded(context, page, config, nav):
    _index_keywords(page, config)
    full = getattr(page, "ledger_full_content", None)
    if full is not None:
        page.content = SEARCH_ATTRIBUTES.sub("", full)
        page.ledger_full_content = None
    return context


def _index_keywords(page, config) -> None:
    """The page's own search entry (its address, no #section) gets the page's keywords."""
    words = (page.meta.get("search") or {}).get(KEYWORDS)
    plugin = config["plugins"].get("material/search") or config["plugins"].get("search")
    entries = getattr(getattr(plugin, "search_index", None), "entries", None)
    if not words or not entries or not _search_on(config):
        return
    for entry in reversed(entries):  # the search plugin has just added this page's entries
        if entry.get("location") == page.url:
            entry[KEYWORDS] = str(words)
            return


# Generated pages are mostly parts search skips (related rows, citations, history): its HTML
# parser was half of a large build's time reading them only to throw them away.
on_page_context = CombinedEvent(_hide_excluded, _show_excluded, mark_section)


def clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def on_page_content(html, page, **kwargs):
    generated = getattr(page, "ledger_html", None)
    return generated if generated is not None else clean(html)


def on_post_page(output, page, config, **kwargs):
    """Open Graph and Twitter tags from the page's own title and description, so a shared link
    previews this page (not the site's one description). og:url only when the site's address is known.
    Every page also names the releases' Atom feed, and searches through the builder's worker."""
    title = page.meta.get("title") or page.title or config["site_name"]
    description = page.meta.get("description") or config.get("site_description") or ""
    card = share_card(page, config)
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", config["site_name"]),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("name", "twitter:card", "summary_large_image" if card else "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    if page.canonical_url:
        tags.append(("property", "og:url", page.canonical_url))
    if card:
        tags += [
            ("property", "og:image", card),
            ("property", "og:image:type", "image/png"),
            ("property", "og:image:width", "1200"),
            ("property", "og:image:height", "630"),
            ("property", "og:image:alt", title),
            ("name", "twitter:image", card),
        ]
    meta = "".join(f'<meta {kind}="{name}" content="{escape(str(value))}">' for kind, name, value in tags)
    feed = config["site_url"] + FEED if config.get("site_url") else get_relative_url(FEED, page.url)
    progress.advance()
    if page.file.src_uri in config.get("ledger_generated", ()) and not other_plugins(config["plugins"]):
        # Written once this returns; the search index has its entries: a large site is not held whole.
        page.content = page.ledger_html = None
    return head_links(output, config, feed, meta)


CARD = re.compile(r"_ledger/og/[a-z0-9-]+(?:/[a-z0-9-]+)*\.png")  # as builder/ogimage names them


def share_card(page, config) -> str | None:
    """The page's card (its front matter's `card:`, drawn by builder/ogimage) as an absolute address.
    Only when the site's address is known: Open Graph readers take og:image as an absolute URL only."""
    card = page.meta.get("card")
    if not config.get("site_url") or not isinstance(card, str) or not CARD.fullmatch(card):
        return None
    return config["site_url"] + card


def on_post_template(output, template_name, config, **kwargs):
    """The 404 page (a theme template, not a page) gets the feed and the search worker too; its links
    are root-absolute, which notfound.relocatable rewrites when the site's address is unknown."""
    if template_name != "404.html":
        return output
    return head_links(output, config, (config.get("site_url") or "/") + FEED, "")


def head_links(output: str, config, feed: str, extra: str) -> str:
    link = (
        f'<link rel="alternate" type="application/atom+xml" title="{escape(config["site_name"])}: releases"'
        f' href="{escape(feed)}">'
    )
    output = MATERIAL_WORKER.sub(rf'\1{SEARCH_WORKER.rsplit("/", 1)[1]}?worker=\2"', output, count=1)
    return output.replace("</head>", extra + link + "</head>", 1)
