"""Page naming and titles: how deep a page sits, a title safe in <title> and front matter, a field
name safe in a `data-` attribute, which URLs may become links. A leaf: the render, the site config
and the pipeline share it."""

from __future__ import annotations

import json
import re

from markupsafe import Markup

SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$")


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
