"""Incremental rebuilds (builder/site/cache.py): a build after one changed row renders only the pages
that row touches, and its site/ and dist/ are byte-identical to a clean build of the same package."""

import json
import re
import shutil
from pathlib import Path

import pytest

from builder import pipeline
from builder.package.paths import Paths
from builder.site import cache

COUNTS = re.compile(r"(\d+) HTML pages \((\d+) rendered, \d+ in a shared theme render; (\d+) from the page cache\)")


def build(root: Path, site_url: str = "") -> tuple[int, int]:
    """Build the package; (pages rendered by MkDocs, pages linked from the cache), from the build log."""
    lines: list[str] = []
    pipeline.build(Paths.at(root), echo=lines.append, site_url=site_url)
    found = [COUNTS.search(line) for line in lines]
    match = next(m for m in found if m)
    return int(match.group(2)), int(match.group(3))


def files(root: Path) -> dict[str, bytes]:
    """Every file of site/ and dist/, by path."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for folder in ("site", "dist")
        for path in sorted((root / folder).rglob("*"))
        if path.is_file()
    }


def rename_author(root: Path) -> None:
    authors = root / "data" / "authors.csv"
    text = authors.read_text(encoding="utf-8")
    assert "virginia-woolf,Virginia Woolf," in text
    authors.write_text(text.replace("virginia-woolf,Virginia Woolf,", "virginia-woolf,Adeline Virginia Woolf,"), encoding="utf-8")


def cached_pages(root: Path) -> set[str]:
    return {p.name for p in Paths.at(root).cache("pages").iterdir()}


def test_one_changed_row_renders_only_its_pages_and_matches_a_clean_build(bookshelf, tmp_path):
    rendered, reused = build(bookshelf)
    assert reused == 0 and rendered > 10
    pages = rendered
    before = files(bookshelf)

    # Nothing changed: every generated page comes from the cache, and the output is the same bytes.
    assert build(bookshelf) == (0, pages)
    assert files(bookshelf) == before

    rename_author(bookshelf)
    rendered, reused = build(bookshelf)

    clean = tmp_path / "clean"
    shutil.copytree(bookshelf, clean, ignore=shutil.ignore_patterns(".build", "site", "dist"))
    assert build(clean) == (pages, 0)
    after = files(clean)
    assert files(bookshelf) == after  # (a) byte-identical to a clean build, every file of site/ and dist/

    # (b) rendered again: exactly the pages whose HTML the change altered (the author's page, the
    # authors index, her books' pages…), no other; the rest came from the cache.
    changed = {path for path, data in after.items() if path.endswith(".html") and before.get(path) != data}
    assert "site/authors/virginia-woolf/index.html" in changed
    assert rendered == len(changed) and 0 < rendered < pages / 2
    assert reused == pages - rendered

    # Only the last build's entries are kept: one HTML file per page, and the index.
    assert cached_pages(bookshelf) == cached_pages(clean)
    assert len(cached_pages(bookshelf)) == pages + 1


DEFAULT_CONFIG = (Path(cache.__file__).parent / "templates" / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        "theme",  # the site configuration: every page's header and colours
        "nav",  # a page added to a nav MkDocs makes from every page: every page lists it
        "version",  # the package's version: every page's footer
        "libraries",  # a new MkDocs, Material or Jinja: every page's HTML may differ
        "site_url",  # the published address: every page's canonical link and Open Graph url
    ],
)
def test_a_site_wide_change_renders_every_page(bookshelf, monkeypatch, change):
    config = bookshelf / "mkdocs.yml"
    if change == "nav":  # no nav in the configuration: MkDocs lists every page
        config.write_text(DEFAULT_CONFIG.split("\nnav:")[0] + "\n", encoding="utf-8")
    pages, _ = build(bookshelf)
    if change == "theme":
        config.write_text(DEFAULT_CONFIG.replace("- navigation.top", "- navigation.top\n    - navigation.tabs"), encoding="utf-8")
    elif change == "nav":
        with (bookshelf / "data" / "authors.csv").open("a", encoding="utf-8") as authors:
            authors.write("mary-shelley,Mary Shelley,1797-08-30,day,gutenberg-woolf\n")
        pages += 1  # her page
    elif change == "version":
        descriptor = json.loads((bookshelf / "datapackage.json").read_text(encoding="utf-8"))
        descriptor["version"] = "1.0.1"
        (bookshelf / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    elif change == "libraries":
        versions = cache._versions()
        monkeypatch.setattr(cache, "_versions", lambda: [*versions, "mkdocs-material==99.0.0"])
    assert build(bookshelf, site_url="https://example.org/shelf/" if change == "site_url" else "") == (pages, 0)


def test_a_missing_or_damaged_cache_renders_again(bookshelf):
    pages, _ = build(bookshelf)
    before = files(bookshelf)
    folder = Paths.at(bookshelf).cache("pages")
    html = sorted(p for p in folder.iterdir() if p.suffix == ".html")
    html[0].unlink()  # one page's HTML gone: that page is rendered again
    assert build(bookshelf) == (1, pages - 1)
    assert files(bookshelf) == before
    (folder / "index.json").write_text("{not json", encoding="utf-8")  # an unreadable index: everything is rendered
    assert build(bookshelf) == (pages, 0)
    assert files(bookshelf) == before


def test_a_page_edited_in_site_is_not_reused(bookshelf):
    """Stored pages are hard-linked into site/: one edited there in place is rendered again, not reused."""
    pages, _ = build(bookshelf)
    before = files(bookshelf)
    page = bookshelf / "site" / "authors" / "jane-austen" / "index.html"
    with page.open("ab") as handle:  # in place: the same file as the stored one
        handle.write(b"<!-- edited -->")
    assert build(bookshelf) == (1, pages - 1)
    assert files(bookshelf) == before


def test_a_build_derives_the_views_once(ledger, monkeypatch):
    """Validation derives the views to check them; the build's derive stage goes on with those
    (issue 20: deriving them twice cost a tenth of a second at a million rows)."""
    from builder.views import derive

    calls = []
    original = derive.derive
    monkeypatch.setattr(derive, "derive", lambda *arguments: calls.append(1) or original(*arguments))
    pipeline.build(Paths.at(ledger), echo=lambda *_: None)
    assert len(calls) == 1
    assert (ledger / "dist" / "data" / "timeline.csv").is_file()
