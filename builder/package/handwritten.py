"""Hand-written pages (docs/) as templates, and the one function that names pages.

Both are used by builder.package.safety_cells and safety_site while `builder validate` checks a
package, and by builder.site.render when the site is built: here, in a module of their own,
validate does not import the renderer (its Jinja site templates, exports and MkDocs hooks).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    import jinja2

# Characters Python-Markdown lets a backslash escape: so escaped, a value is never Markdown syntax
# (`<`, `>` and `&` are HTML-escaped after this).
MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!])")


NOT_SLUG = re.compile(r"[^a-z0-9]+")


def page_slug(value) -> str:
    try:
        return _slug(value)
    except TypeError:  # an unhashable value: not remembered
        return _slug.__wrapped__(value)


@lru_cache(maxsize=1 << 17, typed=True)  # a large site asks for the same row's address on many pages
def _slug(value) -> str:
    slug = NOT_SLUG.sub("-", str(value).lower()).strip("-")
    return slug or "row"


def markdown_text(value):
    """A value for a hand-written Markdown page: plain text, whatever characters it holds."""
    if isinstance(value, Markup) or value is None:
        return value
    return MARKDOWN_SYNTAX.sub(r"\\\1", str(value))


def docs_environment() -> jinja2.Environment:
    """Hand-written pages are templates from the package: sandboxed, and every value lands as text."""
    import jinja2.sandbox  # here, not above: `builder validate` reads a package's pages on a thread of their own

    return jinja2.sandbox.ImmutableSandboxedEnvironment(
        autoescape=True, undefined=jinja2.StrictUndefined, finalize=markdown_text, keep_trailing_newline=True
    )


def docs_context(metadata: dict) -> dict:
    """What a hand-written page may show: the package's metadata (no tables, no objects), as plain data."""
    published = json.loads(json.dumps({key: value for key, value in metadata.items() if key not in ("resources", "downloads")}))
    return {"site": {"published": published}, "package": published}
