"""Build the static site with MkDocs + Material from the generated pages.

The site configuration is the package's own mkdocs.yml when it has one, else a built-in
default; docs_dir and site_dir always point into the staging folder. `--strict` semantics:
any warning fails the build.
"""

from __future__ import annotations

import gzip
import io
import logging
import os
import shutil
from pathlib import Path

import yaml

from builder import clock
from builder.errors import StageFailed
from builder.mkdocs_hooks import CACHE_VARIABLE

DEFAULT_CONFIG = Path(__file__).parent / "templates" / "mkdocs.yml"
HOOKS = Path(__file__).parent / "mkdocs_hooks.py"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def site_config(root: Path, descriptor: dict) -> dict:
    """The MkDocs config: the package's mkdocs.yml, or our default titled from the descriptor."""
    own = root / "mkdocs.yml"
    source = own if own.is_file() else DEFAULT_CONFIG
    config = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    config.setdefault("site_name", descriptor.get("title") or descriptor.get("name") or "Data package")
    config.setdefault("site_description", descriptor.get("description", ""))
    config["hooks"] = [*config.get("hooks", []), str(HOOKS)]
    return config


def normalise_sitemap(site_dir: Path) -> None:
    """MkDocs gzips the sitemap with the build folder's name in the header: rewrite it without."""
    compressed = site_dir / "sitemap.xml.gz"
    if compressed.exists():
        data = gzip.decompress(compressed.read_bytes())
        compressed.write_bytes(gzip.compress(data, compresslevel=9, mtime=clock.source_date_epoch()))


def publish(config: dict, docs_dir: Path, site_dir: Path, downloads: Path, cache: Path) -> int:
    """Run MkDocs strictly, add the downloads beside the pages, return the number of HTML pages."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    os.environ[CACHE_VARIABLE] = str(cache)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    config_file = io.StringIO(text)
    config_file.name = str(docs_dir.parent / "mkdocs.yml")  # MkDocs resolves relative paths against this
    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        mkdocs_config = load_config(config_file=config_file, docs_dir=str(docs_dir), site_dir=str(site_dir), strict=True)
        build(mkdocs_config)
    except Exception as error:  # MkDocs aborts with its own exception types; the log holds why
        details = "; ".join(handler.messages[:5]) or str(error)
        raise StageFailed(f"mkdocs build failed: {details}") from error
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise StageFailed("mkdocs reported warnings: " + "; ".join(handler.messages[:5]))
    normalise_sitemap(site_dir)
    # Copied once, after the build: MkDocs has nothing to do with them but copy them again.
    shutil.copytree(downloads, site_dir / "downloads")
    return sum(1 for _ in site_dir.rglob("*.html"))
