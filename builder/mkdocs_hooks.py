"""MkDocs hooks: let generated pages carry finished HTML past the Markdown parser.

Generated pages are rendered by Jinja with autoescaping, so they are already HTML. Feeding them
through Python-Markdown only re-parses every raw HTML block (most of the build time), and could
reinterpret text; a page that starts with the marker keeps its HTML as written. Hand-written
pages have no marker and are Markdown as usual.
"""

import os

import jinja2

MARKER = "<!-- ledger:html -->\n"
CACHE_VARIABLE = "LEDGER_JINJA_CACHE"


def on_env(env, config, files):
    """Keep the theme's compiled templates between builds (they cost more to compile than to render)."""
    folder = os.environ.get(CACHE_VARIABLE)
    if folder:
        os.makedirs(folder, exist_ok=True)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(folder)
    return env


def on_page_markdown(markdown, page, **kwargs):
    if markdown.lstrip().startswith(MARKER):
        page.ledger_html = markdown.lstrip()[len(MARKER) :]
        return ""
    return markdown


def on_page_content(html, page, **kwargs):
    return getattr(page, "ledger_html", html)
