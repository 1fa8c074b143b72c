"""One theme render per kind of generated page, shared by every page of that kind.

Material's templates were most of a large build: about 3.5 ms a page to print the same header,
tabs, nav and footer around 5,000 entity pages. An entity page is in no nav (no previous or next
page, no parent, no table of contents), so what the theme prints around it depends only on its
folder, its section (builder.site.sections), its front matter's shape and five values of its own:
its title, its front matter's title and description, its content and its canonical address.

So the first page of a kind is rendered whole, and the theme renders the same page once more with
each of those values replaced by a token: the shell. Every later page of the kind is its shell with
its own values put back in place of the tokens, which is what the theme would have printed
provided the theme prints each value as it is. That is checked, not assumed, for each kind:

- the shell filled with rich probe values (markup, entities, quotes, runs of spaces, a newline, a
  percent sign, accents, 300 characters) must equal the theme's render of those probe values, so a
  value the theme escapes, strips, encodes, cuts or tests is caught;
- the shell filled with the first two pages' values must equal their whole renders, so anything
  else of a page's own that the theme prints (its address, say) is caught.

A kind that fails either check is rendered whole, page by page, as before; so is every page that
is not a generated page outside the nav. tests/test_shell.py holds shared and whole renders of the
Ledger's site to the same bytes.
"""

from __future__ import annotations

import copy
import json
import posixpath
import re
from contextlib import contextmanager

from mkdocs.commands import build as mkdocs_build

# Front-matter keys the theme's templates never read (the search plugin reads `search`, the
# builder's hook reads `card`): only whether they are there is part of a kind.
UNREAD = frozenset({"search", "card"})
VALUES = ("title", "meta_title", "description", "content", "canonical")
# Private-use characters around a name: never in a theme's own text.
TOKEN = "\ue000ledger-shell:{}\ue001"
H1 = "<h1"
PROBE = '\ue002 <b class="x">A &amp; b</b> \'quoted\' "twice"  two  spaces\nline 100% Ünïcödé {} ' + "y" * 300


class Shells:
    """The shells of one MkDocs build: render(template, context) is what template.render(context) gives."""

    def __init__(self, generated: frozenset[str]):
        self.generated = generated
        self.kinds: dict[tuple, object] = {}  # kind -> _Pending(shell), a _Shell, or None (render whole)
        self.shared = 0

    def render(self, template, context) -> str:
        page = context.get("page")
        values = _values(page) if page is not None else {}
        kind = self._kind(template, page, values, context.get("nav"))
        if kind is None:
            return template.render(context)
        state = self.kinds.get(kind, _UNSEEN)
        if isinstance(state, _Shell):
            self.shared += 1
            return state.fill(values)
        whole = template.render(context)
        if state is _UNSEEN:
            self.kinds[kind] = self._first(template, context, values, whole)
        elif isinstance(state, _Pending):  # the second page of the kind: its own render must agree too
            self.kinds[kind] = state.shell if state.shell.fill(values) == whole else None
        return whole

    def _first(self, template, context, values: dict, whole: str):
        try:
            tokens = _stand_ins(values, TOKEN)
            shell = _Shell(_render_with(template, context, tokens), tokens)
            probes = _stand_ins(values, PROBE)
            probed = _render_with(template, context, probes)
        except Exception:  # a theme that cannot render the tokens or probes: its pages are rendered whole
            return None
        if shell.fill(values) != whole or shell.fill(probes) != probed:
            return None
        return _Pending(shell)

    def _kind(self, template, page, values: dict, nav) -> tuple | None:
        """What the theme's render of `page` depends on besides its five `values`; None: render it whole."""
        if page is None or nav is None or page.file.src_uri not in self.generated:
            return None
        if page.is_homepage or page.parent is not None or page.previous_page or page.next_page or page.toc:
            return None
        if any(value is not None and not isinstance(value, str) for value in values.values()):
            return None
        meta = {key: (True if key in UNREAD or key in ("title", "description") else value) for key, value in page.meta.items()}
        try:
            shape = json.dumps(meta, sort_keys=True)
        except (TypeError, ValueError):
            return None
        section = tuple(item.url for item in nav.pages if item.active and item is not page)
        truthy = tuple(bool(values[name]) for name in VALUES)
        heading = H1 in (values["content"] or "")  # Material prints its own <h1> when the content has none
        # A link from a page is relative to its folder: pages of one folder print the same links to
        # every nav page but one inside the page's own address.
        folder = posixpath.dirname(page.url.rstrip("/"))
        inside = tuple(item.url for item in nav.pages if item.url.startswith(page.url) and item is not page)
        return (template.name, folder, page.url.endswith("/"), inside, section, shape, truthy, heading)


class _Shell:
    """A render split at its tokens: literal text and the names of the values between."""

    def __init__(self, text: str, tokens: dict):
        names = {token: name for name, token in tokens.items() if token}
        # Split at the tokens (kept, by the capturing group): literal text at even places, tokens at odd.
        pieces = re.split("(" + "|".join(map(re.escape, names)) + ")", text) if names else [text]
        self.parts: list[tuple[bool, str]] = [
            (True, names[piece]) if place % 2 else (False, piece) for place, piece in enumerate(pieces)
        ]

    def fill(self, values: dict) -> str:
        return "".join(values[part] if named else part for named, part in self.parts)


class _Pending:
    def __init__(self, shell: _Shell):
        self.shell = shell


_UNSEEN = object()


def _values(page) -> dict:
    meta = page.meta
    return {
        "title": page.title,
        "meta_title": meta.get("title"),
        "description": meta.get("description"),
        "content": page.content,
        "canonical": page.canonical_url,
    }


def _marked(name: str, text: str, values: dict) -> str:
    """`text` for value `name`, keeping whether the content holds an <h1> (Material tests for it)."""
    return text + H1 if name == "content" and H1 in values["content"] else text


def _stand_ins(values: dict, pattern: str) -> dict:
    """Each value that is set replaced by `pattern` filled with its name (TOKEN or PROBE)."""
    return {name: _marked(name, pattern.format(name), values) if value else value for name, value in values.items()}


def _render_with(template, context, values: dict) -> str:
    """The theme's render of the context's page with its five values replaced."""
    page = copy.copy(context["page"])
    page.title = values["title"]
    page.meta = dict(page.meta)
    for key, name in (("title", "meta_title"), ("description", "description")):
        if key in page.meta:
            page.meta[key] = values[name]
    page.content = values["content"]
    page.canonical_url = values["canonical"]
    return template.render({**context, "page": page})


class _Template:
    def __init__(self, template, shells: Shells):
        self.template, self.shells, self.name = template, shells, template.name

    def render(self, context) -> str:
        return self.shells.render(self.template, context)


class _Environment:
    """MkDocs' theme environment, its templates rendered through the shells."""

    def __init__(self, env, shells: Shells):
        self._env, self._shells = env, shells

    def get_template(self, *args, **kwargs):
        return _Template(self._env.get_template(*args, **kwargs), self._shells)

    def __getattr__(self, name):
        return getattr(self._env, name)


@contextmanager
def shared(shells: Shells | None):
    """For one MkDocs build, each page's theme render goes through `shells` (None: as MkDocs does)."""
    if shells is None:
        yield
        return
    original = mkdocs_build._build_page

    def build_page(page, config, doc_files, nav, env, dirty=False, excluded=False):
        original(page, config, doc_files, nav, _Environment(env, shells), dirty, excluded)

    mkdocs_build._build_page = build_page
    try:
        yield
    finally:
        mkdocs_build._build_page = original
