"""History on the site: releases, their semantic diffs, each row's history, old downloads, the feed.

`collect` runs as the build's history stage: it reads the releases from git, diffs each against
the one before (the first against nothing) and the working tree against the last, and writes
every release's own downloads to dist/<version>/ from that release's data. The Changes page and
the Atom feed are rendered from the result (builder/site/changes_page.py). Outside git or in a
shallow clone, `Ledger.available` is False and the pages say why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from builder.common.errors import BuilderError, in_words
from builder.history import diff as semantic
from builder.history import releases as git_history
from builder.outputs import export
from builder.package import load
from builder.package.paths import Paths
from builder.views import derive

UNRELEASED = "unreleased"
ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # zip cannot stamp a file earlier; the release keeps its date


@dataclass
class Entry:
    """One section of the Changes page: a release, or the unreleased changes."""

    release: git_history.Release | None  # None for the unreleased changes
    diff: dict
    downloads: list[dict] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return self.release.anchor if self.release else UNRELEASED

    @property
    def title(self) -> str:
        return self.release.version if self.release else "Unreleased"

    def zip_path(self, name: str) -> str:
        """The release's zip under downloads/: as written (its own package name), else `name`'s."""
        written = [d["path"] for d in self.downloads if d["path"].endswith(".zip")]
        return written[0] if written else f"{self.release.version}/{name}-{self.release.version}.zip"


@dataclass
class Ledger:
    available: bool
    reason: str
    entries: list[Entry] = field(default_factory=list)  # newest first; unreleased on top
    rows: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # (table, key) → events, oldest first
    skipped: list[str] = field(default_factory=list)  # releases that could not be read, and why

    @property
    def releases(self) -> list[git_history.Release]:
        return [e.release for e in self.entries if e.release]

    def row_history(self, table: str, key) -> list[dict]:
        return self.rows.get((table, str(key)), [])


def empty_snapshot() -> semantic.Snapshot:
    return semantic.Snapshot("nothing", Path("."), {"resources": []})


def collect(paths: Paths, descriptor: dict, dist: Path | None) -> Ledger:
    history = git_history.read(paths.root, git_history.release_summaries(descriptor))
    if not history.available:
        return Ledger(False, history.reason)
    cache = paths.cache("history")
    previous = empty_snapshot()
    entries = []
    skipped = []
    for release in history.releases:
        # A release that cannot be read safely or exported (a path outside the package, a file it
        # names but never committed) is left out and named on the Changes page: history is fixed,
        # so one bad old commit must not stop every later build.
        # Only the builder's own messages are shown: a library's may hold paths of this machine.
        try:
            folder = git_history.checkout(history, release.commit, cache)
            snapshot = semantic.folder_snapshot(folder, release.version, release.commit, release.timestamp)
            entry = Entry(release, semantic.compare(previous, snapshot))
            entry.downloads = cached_release(snapshot, release, dist, cache) if dist is not None else []
        except (BuilderError, OSError, ValueError) as error:
            skipped.append(f"{release.version} (commit {release.commit[:12]}): {in_words(error)}")
            continue
        except Exception:  # noqa: BLE001 - any fault of one old release leaves it out, never the build
            skipped.append(f"{release.version} (commit {release.commit[:12]}): its data could not be read or exported.")
            continue
        entries.append(entry)
        previous = snapshot
    if entries:
        current = semantic.folder_snapshot(paths.root, git_history.WORKING)
        unreleased = semantic.compare(previous, current)
        if not semantic.is_empty(unreleased):
            entries.append(Entry(None, unreleased))
    entries.reverse()
    prune(cache, {release.commit for release in history.releases})
    ledger = Ledger(True, "" if entries else "no commit has a datapackage.json with a version yet.", entries, skipped=skipped)
    ledger.rows = row_events(entries)
    return ledger


def prune(cache: Path, commits: set[str]) -> None:
    """Keep only what this build used: a release's extracted folder and its downloads for this code.
    Commits extracted for `builder diff`, dropped releases and downloads of older builder code go."""
    kept = commits | {f"{commit}-{CODE_FINGERPRINT}" for commit in commits}
    for folder in (cache, cache / "downloads"):
        for entry in folder.glob("*") if folder.is_dir() and not folder.is_symlink() else ():
            ours = re.fullmatch(r"[0-9a-f]{40}(-[0-9a-f]{16})?", entry.name)  # what checkout and cached_release name
            writing = re.fullmatch(r"writing-(\d+)-\w+", entry.name)  # checkout's, until it renames it
            if writing and alive(int(writing.group(1))):
                continue
            if (ours and entry.name not in kept or writing) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def row_events(entries: list[Entry]) -> dict[tuple[str, str], list[dict]]:
    """For every row: the release that added it and each release that changed or removed it."""
    events: dict[tuple[str, str], list[dict]] = {}
    for entry in reversed(entries):  # oldest first
        when = {
            "release": entry.release.version if entry.release else None,
            "anchor": entry.anchor,
            "date": entry.diff["new"]["date"],
        }
        for table in entry.diff["tables"]:
            for kind in ("added", "removed", "changed"):
                for change in table[kind]:
                    event = {**when, "kind": kind, "fields": change.get("fields", [])}
                    events.setdefault((table["name"], change["key"]), []).append(event)
    return events


# ---------------------------------------------------------------- a release's downloads


# Release downloads depend on the commit and on the code that writes them: both name the cache entry.
CODE_FINGERPRINT = hashlib.sha256(
    b"".join(
        (Path(__file__).parent.parent / name).read_bytes()
        for name in (
            "history/changes.py",
            "outputs/export.py",
            "package/load.py",
            "package/tables.py",
            "package/csvreader.py",
            "package/columns.py",
            "package/findings.py",
            "package/keychecks.py",
            "check/validate.py",
            "check/structure.py",
            "check/schema.py",
            "check/messages.py",
            "package/paths.py",
            "views/derive.py",
            "stories/llama.py",
            "stories/llama_rules.py",
            "stories/llama_views.py",
            "stories/llama_figures.py",
            "stories/llama_entities.py",
        )
    )
).hexdigest()[:16]


def release_folder(parent: Path, version: str) -> Path:
    """The folder a release's downloads go to: a new one, directly under `parent`."""
    target = (parent / version).resolve()
    if not git_history.SAFE_VERSION.match(version) or target.parent != parent.resolve() or target.exists():
        raise BuilderError(f"release version {version!r} cannot name a download folder.")
    return target


def cached_release(snapshot: semantic.Snapshot, release: git_history.Release, dist: Path, cache: Path) -> list[dict]:
    """write_release once per commit (and builder code); later builds copy the result."""
    entry = cache / "downloads" / f"{release.commit}-{CODE_FINGERPRINT}"
    listing = entry / "downloads.json"
    if not listing.is_file():
        shutil.rmtree(entry, ignore_errors=True)
        entry.mkdir(parents=True)
        downloads = write_release(snapshot, release, entry)
        listing.write_text(json.dumps(downloads), encoding="utf-8")  # written last: marks the entry complete
    shutil.copytree(entry / release.version, release_folder(dist, release.version))
    return json.loads(listing.read_text(encoding="utf-8"))


def write_release(snapshot: semantic.Snapshot, release: git_history.Release, dist: Path) -> list[dict]:
    """dist/<version>/: the release's datapackage.json, its CSVs and its zip, stamped with its commit time."""
    target = release_folder(dist, release.version)
    try:
        return _write_release(snapshot, release, target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # no half-written release in the downloads
        raise


def _write_release(snapshot: semantic.Snapshot, release: git_history.Release, target: Path) -> list[dict]:
    descriptor = snapshot.descriptor
    tables = load.read_tables(descriptor, snapshot.root)
    exported = export.collect(descriptor, tables, release_views(descriptor, tables))
    (target / "data").mkdir(parents=True)
    resources = []
    for table in exported:
        csv_path = target / "data" / f"{table.name}.csv"
        export.write_csv(table.frame, csv_path)
        resources.append(export.resource_entry(table, export.file_entry(csv_path, target, "csv"), export.ledger_facts(table)))
    published = {key: value for key, value in descriptor.items() if key != "resources"}
    published["resources"] = resources
    name = descriptor.get("name", "package")
    entries = export.package_files(descriptor, published, exported, release.version, target, snapshot.root, tables)
    archive = target / f"{name}-{release.version}.zip"
    export.write_zip(entries, archive, when=max(release.date, ZIP_EPOCH))
    published["downloads"] = [export.file_entry(archive, target, "zip")]
    (target / "datapackage.json").write_text(export.dumps(published), encoding="utf-8")
    prefix = f"{release.version}/"
    return [
        {**d, "path": prefix + d["path"]}
        for d in [*published["downloads"], export.file_entry(target / "datapackage.json", target, "json")]
    ]


def release_views(descriptor: dict, tables: dict) -> list:
    """A release's views, derived as a build of that release derives them (issue 17: a release's zip
    is the zip a build of it gives, views included). None where its story cannot derive them."""
    try:
        views, problems = derive.derive(descriptor, tables)
    except (BuilderError, KeyError, ValueError, pl.exceptions.PolarsError):
        return []  # an old release whose tables the story's views cannot read: its zip has its tables
    return [] if problems else views


def one_zip_per_version(ledger: Ledger, descriptor: dict, published: dict, dist: Path) -> str:
    """One version, one set of bytes (issue 17): this build's zip and a release's zip never share a
    name with different bytes. When this build's version is a released one and its data is that
    release's, this build's zip is the release's zip (the same tables and views, stamped with the
    release's commit time, so its sha256 never changes). When the data has changed since, this build is
    not that release: its zip is renamed `<name>-<version>-unreleased.zip`. Returns a note for the
    build's log, or ""."""
    version, name = descriptor.get("version"), descriptor.get("name", "package")
    entry = next((e for e in ledger.entries if e.release and e.release.version == version), None)
    current = dist / f"{name}-{version}.zip"
    release = dist / str(version) / current.name
    if entry is None or not current.is_file() or not release.is_file():
        return ""
    if any(e.release is None for e in ledger.entries):
        renamed = current.with_name(f"{name}-{version}-unreleased.zip")
        current.rename(renamed)
        _republish(published, dist, current.name, renamed)
        return f"; version {version} has changed since its release: this build's zip is {renamed.name}"
    shutil.copyfile(release, current)
    _republish(published, dist, current.name, current)
    return ""


def _republish(published: dict, dist: Path, old: str, archive: Path) -> None:
    """The zip `old` is now `archive`: its entry says so. The export is not finished yet (builder.outputs
    .export.Downloads.finish writes datapackage.json and SHA256SUMS from these entries after the history)."""
    published["downloads"] = [export.file_entry(archive, dist, "zip") if d["path"] == old else d for d in published["downloads"]]


# ---------------------------------------------------------------- the command


def diff_command(paths: Paths, old: str | None, new: str | None, as_json: bool, markdown: bool, limit: int) -> str:
    descriptor, problems = load.read_descriptor(paths.descriptor)
    if descriptor is None and not (old and new):
        raise BuilderError(f"{paths.root.name or paths.root} is not a data package: {problems[0].message}")
    history = git_history.read(paths.root, git_history.release_summaries(descriptor or {}))
    cache = paths.cache("history")
    if old is None:
        if not history.available:
            raise BuilderError(f"no release to compare with: {history.reason} Name OLD as a folder.")
        if not history.releases:
            raise BuilderError("no release to compare with: no commit has a datapackage.json with a version yet.")
        old = history.releases[-1].version
    try:
        before = semantic.resolve(old, paths.root, history, cache)
        after = semantic.resolve(new, paths.root, history, cache)
        result = semantic.compare(before, after)
    except BuilderError:
        raise
    except Exception as error:  # one line in words, never a library's message or a traceback
        raise BuilderError(
            f"cannot compare {old} with {new or git_history.WORKING}: their tables could not be read as their descriptors say."
        ) from error
    if as_json:
        return semantic.to_json(result)
    if markdown:
        return semantic.to_markdown(result, limit)
    return semantic.to_text(result, limit)
