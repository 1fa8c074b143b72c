"""One theme render per kind of generated page (builder.site.shell): the same bytes as a render per page.

The Ledger's site is built twice, with shared renders and with every page rendered whole, and every
file compared; then themes that print a page's values in ways a shell cannot copy (escaped, changed
case, its address) are held to their whole renders, as are values made of the tokens themselves.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_package

from builder.cli import cli
from builder.site import publish, shell


def _files(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in site.rglob("*") if p.is_file()}


SHARED = re.compile(r"\((\d+) rendered, (\d+) in a shared theme render")


class Whole(shell.Shells):
    """Every page rendered whole, as MkDocs does."""

    def _kind(self, template, page, values, nav):
        return None


def test_shared_renders_give_the_same_site_as_whole_renders(tmp_path, monkeypatch):
    sites = {}
    for name, shells in (("shared", shell.Shells), ("whole", Whole)):
        root = copy_package(ROOT, tmp_path / name)
        monkeypatch.setattr(publish, "Shells", shells)
        result = CliRunner().invoke(cli, ["build", "--root", str(root), "--site-url", "https://example.org/ledger/"])
        assert result.exit_code == 0, result.output
        sites[name] = (_files(root / "site"), result.output)
    shared, whole = sites["shared"][0], sites["whole"][0]
    assert shared.keys() == whole.keys()
    assert [path for path in shared if shared[path] != whole[path]] == []
    # Most pages were their kind's shell, filled: the comparison above is of shared renders.
    rendered, sharing = (int(n) for n in SHARED.search(sites["shared"][1]).groups())
    assert sharing > rendered / 2, sites["shared"][1]
    assert SHARED.search(sites["whole"][1]).group(2) == "0"


# ---------------------------------------------------------------- themes a shell must not copy


def _whole(template, pages, nav) -> list[str]:
    return [template.render({"page": page, "nav": nav}) for page in pages]


def _page(number: int, title: str, content: str = "<h1>x</h1><p>body</p>", **meta) -> SimpleNamespace:
    return SimpleNamespace(
        file=SimpleNamespace(src_uri=f"people/p{number}.md"),
        url=f"people/p{number}/",
        is_homepage=False,
        parent=None,
        previous_page=None,
        next_page=None,
        toc=[],
        meta={"title": title, "description": f"About {title}", **meta},
        title=title,
        content=content,
        canonical_url=f"https://example.org/people/p{number}/",
    )


TITLES = ["Ada Lovelace", "Grace  Hopper & co", '<script>alert("x")</script>', shell.TOKEN.format("content"), "Ünï\ncode"]


def _renders(source: str, titles=TITLES) -> tuple[list[str], list[str], shell.Shells]:
    template = jinja2.Environment().from_string(source)
    template.name = "main.html"
    nav = SimpleNamespace(pages=[SimpleNamespace(url="people/", active=True)])
    pages = [_page(number, title) for number, title in enumerate(titles)]
    shells = shell.Shells(frozenset(p.file.src_uri for p in pages))
    through = [shells.render(template, {"page": page, "nav": nav}) for page in pages]
    whole = [template.render({"page": page, "nav": nav}) for page in pages]
    return through, whole, shells


PLAIN = (
    '<title>{{ page.meta.title }}</title><meta content="{{ page.meta.description }}">'
    '{{ page.content }}<a href="{{ page.canonical_url }}">'
)


def test_a_theme_that_prints_values_as_they_are_is_shared():
    through, whole, shells = _renders(PLAIN)
    assert through == whole
    assert shells.shared == len(TITLES) - 2  # the first two pages of the kind are rendered whole and checked


@pytest.mark.parametrize(
    "source",
    [
        "<title>{{ page.meta.title | e }}</title>{{ page.content }}",  # escaped
        "<title>{{ page.meta.title | upper }}</title>{{ page.content }}",  # changed
        "<title>{{ page.meta.title | truncate(40) }}</title>{{ page.content }}",  # cut
        "{% if '&' in page.meta.title %}and{% endif %}{{ page.meta.title }}{{ page.content }}",  # tested
        '<title>{{ page.meta.title }}</title>{{ page.content }}<a href="/{{ page.url }}">',  # the page's own address
    ],
)
def test_a_theme_that_changes_or_adds_a_value_renders_every_page_whole(source):
    through, whole, shells = _renders(source)
    assert through == whole
    assert shells.shared == 0


def test_content_without_a_heading_is_its_own_kind():
    """Material prints its own <h1> when the content has none: the two are different kinds."""
    source = "{% if '<h1' not in page.content %}<h1>{{ page.title }}</h1>{% endif %}{{ page.content }}"
    template = jinja2.Environment().from_string(source)
    template.name = "main.html"
    nav = SimpleNamespace(pages=[])
    pages = [_page(n, f"P{n}", content="<h1>P</h1>" if n % 2 else "<p>no heading</p>") for n in range(8)]
    shells = shell.Shells(frozenset(p.file.src_uri for p in pages))
    assert [shells.render(template, {"page": p, "nav": nav}) for p in pages] == _whole(template, pages, nav)
    assert shells.shared == 4


def test_pages_in_the_nav_and_pages_not_generated_are_rendered_whole():
    template = jinja2.Environment().from_string(PLAIN)
    template.name = "main.html"
    nav = SimpleNamespace(pages=[])
    pages = [_page(n, f"P{n}") for n in range(6)]
    pages[3].next_page = pages[4]
    shells = shell.Shells(frozenset(p.file.src_uri for p in pages[:5]))
    assert [shells.render(template, {"page": p, "nav": nav}) for p in pages] == _whole(template, pages, nav)
    assert shells.shared == 2  # pages 2 and 4: page 3 is in a sequence, page 5 is hand-written


def test_the_keys_a_kind_ignores_are_read_by_no_template_of_the_theme():
    """shell.UNREAD (front-matter keys whose values do not split kinds) holds only keys that neither
    Material's templates nor the builder's overrides read."""
    import material

    from builder.site.config import OVERRIDES

    folders = [Path(material.__file__).parent / "templates", OVERRIDES]
    texts = [path.read_text(encoding="utf-8") for folder in folders for path in folder.rglob("*.html")]
    assert len(texts) > 50
    for key in shell.UNREAD:
        reads = re.compile(rf"meta\s*(\.\s*{key}\b|\[\s*['\"]{key}['\"]\s*\])")
        assert not [text for text in texts if reads.search(text)], key
    assert any(re.search(r"meta\s*\.\s*hide\b", text) for text in texts)  # the pattern finds a key they do read


def test_pages_of_another_folder_at_the_same_depth_are_another_kind():
    """A link is relative to the page's folder: from a/c/1/ a nav page a/b/x/ is ../../b/x/, from
    a/b/3/ it is ../x/. Pages at one depth but in two folders never share a render."""
    from mkdocs.utils import get_relative_url

    environment = jinja2.Environment()
    environment.globals["relative"] = get_relative_url
    template = environment.from_string('<a href="{{ relative("a/b/x/", page.url) }}">x</a>{{ page.content }}')
    template.name = "main.html"
    nav = SimpleNamespace(pages=[SimpleNamespace(url="a/b/x/", active=False)])
    pages = [_page(n, f"P{n}") for n in range(6)]
    for page, url in zip(pages, ["a/c/1/", "a/c/2/", "a/b/3/", "a/c/4/", "a/b/5/", "a/b/6/"], strict=True):
        page.url, page.file.src_uri = url, url.rstrip("/") + ".md"
    shells = shell.Shells(frozenset(p.file.src_uri for p in pages))
    assert [shells.render(template, {"page": p, "nav": nav}) for p in pages] == _whole(template, pages, nav)
    assert shells.shared == 2  # a/c/4/ and a/b/6/: the third page of each folder
