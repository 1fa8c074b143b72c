"""MkDocs hooks: generated pages carry finished HTML past Markdown; hand-written pages are cleaned.

Generated pages are rendered by Jinja with autoescaping, so they are already HTML. Feeding them
through Python-Markdown would re-parse every raw HTML block (most of the build time) and could
reinterpret curated text as Markdown (`{: onerror=… }` with attr_list). Which pages are generated
is told by a manifest the builder writes outside the docs folder, never by the page itself, so no
page can switch itself from one path to the other, and a generated page without its marker (its
front matter unreadable, say) stops the build instead of falling back to Markdown.

Hand-written pages (a package's docs/*.md) are Markdown; their HTML is sanitised with nh3
(ammonia): no script, no event handlers, no style, only http(s), mailto and relative links.
"""

import json
import os

import jinja2
import nh3

from builder import progress

MARKER = "<!-- ledger:html -->\n"
CACHE_VARIABLE = "LEDGER_JINJA_CACHE"
MANIFEST_VARIABLE = "LEDGER_GENERATED_PAGES"

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


def _generated() -> set[str]:
    manifest = os.environ.get(MANIFEST_VARIABLE)
    if not manifest:
        return set()
    with open(manifest, encoding="utf-8") as handle:
        return set(json.load(handle))


def on_config(config):
    config["ledger_generated"] = _generated()
    return config


def on_env(env, config, files):
    """Keep the theme's compiled templates between builds (they cost more to compile than to render)."""
    folder = os.environ.get(CACHE_VARIABLE)
    if folder:
        os.makedirs(folder, exist_ok=True)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(folder)
    return env


def on_page_markdown(markdown, page, config, **kwargs):
    if page.file.src_uri in config.get("ledger_generated", ()):
        start = markdown.find(MARKER)
        if start < 0:
            raise ValueError(f"generated page {page.file.src_uri} lost its marker (its front matter did not parse)")
        page.ledger_html = markdown[start + len(MARKER) :]
        return ""
    return markdown


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
    previews this page (not the site's one description). og:url only when the site's address is known."""
    from html import escape

    title = page.meta.get("title") or page.title or config["site_name"]
    description = page.meta.get("description") or config.get("site_description") or ""
    tags = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", config["site_name"]),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("name", "twitter:card", "summary"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", description),
    ]
    if page.canonical_url:
        tags.append(("property", "og:url", page.canonical_url))
    meta = "".join(f'<meta {kind}="{name}" content="{escape(str(value))}">' for kind, name, value in tags)
    progress.advance()
    return output.replace("</head>", meta + "</head>", 1)
