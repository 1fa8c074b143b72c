"""Incremental builds: each generated page's finished HTML and search entries, kept in .build/pages-<key>/
(paths.Paths.cache: a folder only this machine's builder can name).

MkDocs' theme render of a page (Material's templates, the search parser, the hooks) is most of a
large build. A page's output depends only on its own generated text and on what is the same for
every page: the site configuration (footer, site_url, theme, plugins), the nav (every nav page's
title, url and front matter), the versions of MkDocs, Material and the libraries they render with,
and the builder's own code (the hooks). So the cache key of a page is the sha256 of all of that
plus the page's place (its path, url, neighbours, parents). A page whose key is stored is not
rendered again: its HTML is hard-linked from the cache into site/ and its search entries are put
back in the index at its place. Pages the key does not cover are always rendered: hand-written
Markdown pages (their links depend on other files), drafts, pages naming their own template, and
every page when a plugin other than search is configured.

Only the last build's entries are kept: a successful build removes every entry it did not use.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

from builder.common import progress

# The libraries a page's HTML passes through (Material's templates, Jinja, MkDocs' page and nav
# objects, the hooks' sanitiser): a new version of any of them renders every page again.
LIBRARIES = ("mkdocs", "mkdocs-material", "jinja2", "markupsafe", "markdown", "pymdown-extensions", "nh3", "babel")
INDEX = "index.json"
HOOKS = str(Path(__file__).parent / "mkdocs_hooks.py")  # as builder.site.publish names it in the config


def other_plugins(plugins) -> set[str]:
    """The configured plugins besides search and the builder's hooks: any of them may make a page
    depend on anything, or read pages after they are written."""
    return set(plugins) - {"material/search", "search", HOOKS}


FORMAT = 2  # bump when what is stored changes
OWN_FILE = re.compile(
    r"[0-9a-f]{64}\.html|[0-9a-f]{64}\.\d+\.tmp|tmp[a-z0-9_]+\.tmp"
)  # pages, pages being stored, an index being written


def _versions() -> list[str]:
    found = [sys.version]
    for name in LIBRARIES:
        try:
            found.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} absent")
    return found


def _builder_source() -> str:
    """A digest of the builder's own files (the hooks, the templates, this module): code changes miss."""
    digest = hashlib.sha256()
    package = Path(__file__).parent.parent  # all of builder/, not only site/
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _dump(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


class PageCache:
    def __init__(self, folder: Path, config_text: str, generated: dict[str, str]):
        self.folder = folder
        # A digest per page, not its text: the texts leave memory once MkDocs has them (publish).
        self.digests = {path: hashlib.sha256(text.encode()).hexdigest() for path, text in generated.items()}
        self.base = hashlib.sha256(_dump([FORMAT, config_text, _versions(), _builder_source()]).encode()).hexdigest()
        self.stored = self._read_index()
        self.used: dict[str, dict] = {}
        self.rebuilt: list[str] = []
        self.reused = 0
        self._site: tuple[int, str] | None = None

    def _read_index(self) -> dict[str, dict]:
        try:
            index = json.loads((self.folder / INDEX).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # no cache yet, or an unreadable one: every page is rendered
        if not isinstance(index, dict) or index.pop("format", None) != FORMAT:
            return {}
        return {
            key: entry
            for key, entry in index.items()
            if isinstance(entry, dict) and isinstance(entry.get("stat"), list) and isinstance(entry.get("search"), list)
        }

    def site_key(self, nav) -> str:
        """The base key with the nav as it is after every page was read (titles come from front matter)."""
        if self._site is None or self._site[0] != id(nav):
            state = [_nav_item(item) for item in nav.items]
            homepage = nav.homepage.url if nav.homepage else None
            self._site = (id(nav), hashlib.sha256(_dump([self.base, homepage, state]).encode()).hexdigest())
        return self._site[1]

    def key(self, page, nav) -> str | None:
        """The page's key, or None when its output may depend on something the key does not cover."""
        digest = self.digests.get(page.file.src_uri)
        if digest is None or page.meta.get("template"):
            return None
        place = [
            page.file.src_uri,
            page.url,
            page.canonical_url,
            page.edit_url,
            page.title,
            [(p.title, p.url) if p else None for p in (page.previous_page, page.next_page)],
            [getattr(parent, "title", None) for parent in page.ancestors],
            _toc(page.toc),
        ]
        return hashlib.sha256((self.site_key(nav) + _dump(place) + "\0" + digest).encode()).hexdigest()

    def reuse(self, key: str, destination: str, search_entries: list | None) -> bool:
        """Put the stored page in place; False (render it) when it is not stored, was changed since, or cannot be read."""
        stored = self.stored.get(key)
        source = self.folder / f"{key}.html"
        try:
            status = os.stat(source)
            # A stored page is hard-linked into site/: one edited there in place is not the page we stored.
            if stored is None or [status.st_size, status.st_mtime_ns] != stored["stat"]:
                return False
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            _place(source, destination)
        except OSError:
            return False
        if search_entries is not None:
            search_entries.extend(stored["search"])
        self.used[key] = stored
        self.reused += 1
        return True

    def store(self, key: str, source: str, entries: list, page: str) -> None:
        """Keep a page MkDocs just wrote (under a temporary name, then renamed: never half a file).

        A page that cannot be kept (MkDocs skipped it as empty, the disk is full) is rendered next time.
        """
        self.rebuilt.append(page)
        target = self.folder / f"{key}.html"
        temporary = self.folder / f"{key}.{os.getpid()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary.unlink(missing_ok=True)
            _place(Path(source), temporary)
            os.replace(temporary, target)
            status = os.stat(target)
        except OSError:
            return
        self.used[key] = {"stat": [status.st_size, status.st_mtime_ns], "search": entries}

    def finish(self) -> None:
        """Write the index of this build's pages and remove every other entry (a failure keeps the old index)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                # Not sort_keys: an entry's keys stay in Material's order, which its search_index.json keeps.
                json.dump({"format": FORMAT, **dict(sorted(self.used.items()))}, out, ensure_ascii=False, default=str)
            os.replace(temporary, self.folder / INDEX)
        except OSError:
            return
        keep = {f"{key}.html" for key in self.used} | {INDEX}
        for entry in os.scandir(self.folder):
            # Only files of the cache's own making go: never a folder, a link or a name it does not write.
            if entry.name not in keep and OWN_FILE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                try:
                    os.unlink(entry.path)
                except OSError:
                    pass


def _place(source: Path, destination) -> None:
    """A hard link (the page's bytes are not copied: thousands of pages cost a second of CPU to copy),
    or a copy where the file system has no links."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def _nav_item(item) -> list:
    children = getattr(item, "children", None) or []
    meta = getattr(item, "meta", None)
    return [type(item).__name__, item.title, getattr(item, "url", None), meta, [_nav_item(c) for c in children]]


def _toc(items) -> list:
    return [[item.title, item.url, item.level, _toc(item.children)] for item in items or []]


@contextmanager
def pages_from(cache: PageCache | None):
    """For the duration of one MkDocs build, pages whose key is stored are linked in, not rendered.

    MkDocs builds each page in `_build_page` (versions are pinned in constraints.txt); the wrapper
    keeps its order, so the search index lists entries in the same order as a clean build.
    """
    if cache is None:
        yield
        return
    from mkdocs.commands import build as mkdocs_build

    original = mkdocs_build._build_page

    def build_page(page, config, doc_files, nav, env, dirty=False, excluded=False):
        plugin = config.plugins.get("material/search") or config.plugins.get("search")
        searched = plugin is not None and plugin.config.enabled
        index = getattr(getattr(plugin, "search_index", None), "entries", None) if searched else None
        # Another plugin could make a page depend on anything: then nothing is cached.
        cacheable = not (excluded or dirty or other_plugins(config.plugins) or (searched and index is None))
        key = cache.key(page, nav) if cacheable else None
        if key is not None and cache.reuse(key, page.file.abs_dest_path, index):
            progress.advance()
            return
        before = len(index) if index is not None else 0
        original(page, config, doc_files, nav, env, dirty, excluded)
        if key is not None:
            cache.store(key, page.file.abs_dest_path, index[before:] if index is not None else [], page.file.src_uri)

    mkdocs_build._build_page = build_page
    try:
        yield
    finally:
        mkdocs_build._build_page = original
