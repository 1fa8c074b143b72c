"""Build the static site with MkDocs + Material from the generated pages.

The site configuration comes from builder/site/config.py; docs_dir and site_dir always point into
the staging folder. `--strict` semantics: any warning fails the build.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import yaml

from builder.common import clock, progress
from builder.common.errors import StageFailed
from builder.site import handover
from builder.site.cache import PageCache, pages_from
from builder.site.shell import Shells, shared


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def normalise_sitemap(site_dir: Path) -> None:
    """MkDocs gzips the sitemap with the build folder's name in the header: rewrite it without."""
    compressed = site_dir / "sitemap.xml.gz"
    if compressed.exists():
        data = gzip.decompress(compressed.read_bytes())
        compressed.write_bytes(gzip.compress(data, compresslevel=9, mtime=clock.source_date_epoch()))


@contextmanager
def _no_markdown_for(generated: frozenset[str]):
    """A generated page is finished HTML; the hook hands MkDocs an empty Markdown text for it, which
    Python-Markdown converts to "" without parsing anything, but only after building a parser with
    every extension (a second per 5,000 pages). For those pages MkDocs' Page.render is given what
    that conversion gives: no content, no table of contents, no title, no anchors, no links."""
    from mkdocs.structure import pages

    original = pages.Page.render

    def render(page, config, files):
        if page.markdown != "" or page.file.src_uri not in generated:
            return original(page, config, files)
        page.content = ""
        page.toc = pages.get_toc([])
        page._title_from_render = None
        page.present_anchor_ids = set()
        if pages.log.getEffectiveLevel() > logging.DEBUG:  # as MkDocs does
            page.links_to_anchors = {}

    pages.Page.render = render
    try:
        yield
    finally:
        pages.Page.render = original


def publish(
    config: dict,
    docs_dir: Path,
    site_dir: Path,
    downloads: Path,
    generated: dict[str, str],
    pages: Path | None = None,
) -> tuple[int, PageCache | None, int]:
    """Run MkDocs strictly, add the downloads beside the pages; return the number of HTML pages,
    the page cache (in `pages`, when given: unchanged pages are linked from it, not rendered again)
    and how many pages were their kind's shared theme render (builder.site.shell).
    `generated` (path -> text) is emptied: its texts are handed to the hooks (builder.site.handover)."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    config_file = io.StringIO(text)
    config_file.name = str(docs_dir.parent / "mkdocs.yml")  # MkDocs resolves relative paths against this
    page_cache = PageCache(pages, text, generated) if pages is not None else None
    paths = frozenset(generated)
    shells = Shells(paths)
    handover.give(generated)  # moved to the hooks (they put the texts in MkDocs' files), not copied
    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    progress.start("mkdocs", len(paths), "pages built")
    try:
        mkdocs_config = load_config(config_file=config_file, docs_dir=str(docs_dir), site_dir=str(site_dir), strict=True)
        with pages_from(page_cache), _no_markdown_for(paths), shared(shells):
            build(mkdocs_config)
    except Exception as error:  # MkDocs aborts with its own exception types; the log holds why
        details = "; ".join(handler.messages[:5]) or str(error)
        raise StageFailed(f"mkdocs build failed: {details}") from error
    finally:
        logger.removeHandler(handler)
        handover.clear()
    if handler.messages:
        raise StageFailed("mkdocs reported warnings: " + "; ".join(handler.messages[:5]))
    normalise_sitemap(site_dir)
    # Copied once, after the build: MkDocs has nothing to do with them but copy them again.
    shutil.copytree(downloads, site_dir / "downloads")
    if page_cache is not None:
        page_cache.finish()
    count = sum(name.endswith(".html") for _, _, names in os.walk(site_dir) for name in names)
    return count, page_cache, shells.shared
