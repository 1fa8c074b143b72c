"""Releases from the repository's own history: no tags, no old data copied into the tree.

A release is a `version` of datapackage.json and the first commit that carried it; its date is
that commit's committer date. An old version is read blob by blob (`git ls-tree` and `git cat-file
--batch`) into a cache folder under .build/history-<key>/<commit>/, which never changes once written
because a commit never does. Reading blobs applies no attributes, filters, textconv or export rules,
so nothing the repository or its config names ever runs; symbolic links are not written (a release
that needs one is left out). Git runs without a shell, with a fixed environment (no user or system
config, no replace refs, no network, C locale), so one checkout gives the same releases on any
machine. Outside git, in a shallow or a partial clone, there is no history: `History.available` is
False and `History.reason` says why, in words.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from builder.common.errors import BuilderError, Problem
from builder.package.load import DESCRIPTOR_FILE

SAFE_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+_-]{0,63}$")  # also a folder name under downloads/
COMMIT = re.compile(r"^[0-9a-f]{40}$")
WORKING = "working tree"
ANCHOR_KEPT = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


class HistoryError(BuilderError):
    """A version, commit or folder that cannot be read as a package."""


@dataclass(frozen=True)
class Release:
    version: str
    commit: str
    timestamp: int  # committer time, seconds since the epoch
    summary: str = ""

    @property
    def date(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.timestamp, tz=dt.UTC)

    @property
    def anchor(self) -> str:
        """A page anchor one version has alone: dots read as dashes (`v0-2-0`), and every other character
        but a-z and 0-9 is written as `_` and its two hex digits, so `1.0-a` and `1.0+a` differ."""
        return "v" + "".join(c if c in ANCHOR_KEPT else "-" if c == "." else f"_{ord(c):02x}" for c in self.version)


@dataclass
class History:
    """What git tells us about one package folder."""

    root: Path
    available: bool
    reason: str = ""
    top: Path | None = None  # the repository's top folder
    prefix: str = ""  # the package folder inside the repository, "" or "sub/dir/"
    releases: list[Release] = field(default_factory=list)  # oldest first

    def release(self, version: str) -> Release | None:
        wanted = version.removeprefix("v") if version.startswith("v") and version[1:2].isdigit() else version
        return next((r for r in self.releases if r.version == wanted), None)


# Settings that keep git from running anything a repository's own config names, or from fetching.
SAFE_CONFIG = [
    "core.quotepath=off",
    "core.attributesFile=" + os.devnull,
    "core.fsmonitor=false",
    "core.hooksPath=" + os.devnull,
    "log.showSignature=false",  # would run gpg.program
    "protocol.allow=never",  # a lazy fetch (partial clone) fails instead of reaching a network
    *(f"protocol.{name}.allow=never" for name in ("file", "git", "http", "https", "ssh", "ext", "fd")),
]


def git(top: Path, *args: str, data: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run git with no shell, no user or system configuration and nothing the repository's config could run."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "LC_ALL": "C",
        "TZ": "UTC",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_NO_REPLACE_OBJECTS": "1",  # history as committed, not as refs/replace/ rewrites it
        "GIT_NO_LAZY_FETCH": "1",  # git 2.44 and later; older git is held by protocol.allow=never
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_PAGER": "cat",
        "PAGER": "cat",
        "GIT_LITERAL_PATHSPECS": "1",  # a package folder named `*` or `:x` is a name, not a pattern
    }
    options = [item for setting in SAFE_CONFIG for item in ("-c", setting)]
    try:
        result = subprocess.run(
            ["git", "--no-pager", *options, "-C", str(top), *args],
            input=data,
            capture_output=True,
            env=env,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HistoryError(f"git could not run ({type(error).__name__}).") from error
    if check and result.returncode != 0:
        raise HistoryError(f"git {args[0]} failed (exit {result.returncode}).")
    return result


def partial_clone(top: Path) -> bool:
    """A partial (blobless or treeless) clone: reading an old blob would fetch it from the network."""
    if git(top, "config", "--get", "extensions.partialClone", check=False).stdout.strip():
        return True
    if git(top, "config", "--get-regexp", r"^remote\..*\.promisor$", check=False).stdout.strip():
        return True
    packs = git(top, "rev-parse", "--git-path", "objects/pack", check=False).stdout.decode().strip()
    folder = (top / packs) if packs else None
    return bool(folder and folder.is_dir() and any(folder.glob("*.promisor")))


def read(root: Path, summaries: dict | None = None) -> History:
    """The releases of the package at `root`, or an unavailable History saying why."""
    root = root.resolve()
    if shutil.which("git") is None:
        return History(root, False, "git is not installed, so the build cannot read earlier versions.")
    probe = git(root, "rev-parse", "--show-toplevel", "--is-shallow-repository", check=False)
    if probe.returncode != 0:
        if b"dubious ownership" in probe.stderr:
            return History(
                root, False, "git refuses to read this checkout: it belongs to another user (see git's safe.directory)."
            )
        return History(root, False, "this build is not from a git checkout, so earlier versions cannot be read.")
    top_text, shallow = probe.stdout.decode().splitlines()[:2]
    if shallow.strip() == "true":
        return History(
            root, False, "this build is from a shallow git clone; fetch the full history (fetch-depth: 0) to list releases."
        )
    top = Path(top_text).resolve()
    if partial_clone(top):
        return History(
            root,
            False,
            "history is unavailable: this is a partial clone, and reading old versions would fetch them from"
            " the network; clone with the full history (no --filter) to list releases.",
        )
    try:
        prefix = root.relative_to(top).as_posix()
    except ValueError:
        return History(root, False, "the package folder is outside its git repository.")
    prefix = "" if prefix == "." else prefix + "/"
    if git(top, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0:
        return History(root, False, "the git repository has no commits yet.", top, prefix)
    history = History(root, True, "", top, prefix)
    history.releases = find_releases(history, summaries or {})
    return history


def find_releases(history: History, summaries: dict) -> list[Release]:
    """Every commit where the descriptor's version first appeared, oldest first."""
    path = history.prefix + DESCRIPTOR_FILE
    log = git(history.top, "log", "--reverse", "--topo-order", "--format=%H %ct", "HEAD", "--", path).stdout.decode()
    commits = [(c, int(t)) for c, t in (line.split() for line in log.splitlines() if line.strip())]
    if not commits:
        return []
    # One git process for every version of the descriptor.
    batch = "".join(f"{commit}:{path}\n" for commit, _ in commits).encode()
    output = git(history.top, "cat-file", "--batch", data=batch).stdout
    releases, seen, position = [], set(), 0
    for commit, timestamp in commits:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].decode()
        position = header_end + 1
        if header.endswith("missing"):
            continue
        size = int(header.split()[2])
        blob = output[position : position + size]
        position += size + 1
        try:
            descriptor = json.loads(blob)
        except ValueError:
            continue  # a commit with a broken descriptor is not a release
        version = descriptor.get("version") if isinstance(descriptor, dict) else None
        if not isinstance(version, str) or version in seen or not SAFE_VERSION.match(version):
            continue
        seen.add(version)
        summary = summaries.get(version) or release_summaries(descriptor).get(version, "")
        releases.append(Release(version, commit, timestamp, summary))
    return releases


def resolve_commit(history: History, ref: str) -> str | None:
    """The full commit id `ref` names, or None."""
    if not history.available or ref.startswith("-"):
        return None
    result = git(history.top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
    text = result.stdout.decode().strip()
    return text if result.returncode == 0 and COMMIT.match(text) else None


def has_descriptor(history: History, commit: str) -> bool:
    spec = f"{commit}:{history.prefix}{DESCRIPTOR_FILE}"
    return git(history.top, "cat-file", "-e", spec, check=False).returncode == 0


def checkout(history: History, commit: str, cache: Path) -> Path:
    """The package folder as it was at `commit`, written once into cache/<commit>/tree/ from its blobs.
    It is written in a folder of its own and renamed into place whole, so a `builder diff` beside a
    build never sees, nor removes, a half-written one."""
    if not COMMIT.match(commit):
        raise HistoryError(f"not a full commit id: {commit!r}")
    target = (cache / commit).resolve()
    if not target.is_relative_to(cache.resolve()):
        raise HistoryError(f"the cache folder for commit {commit[:12]} would leave the cache.")
    if not (target / "complete").exists():
        if not has_descriptor(history, commit):
            raise HistoryError(f"commit {commit[:12]} has no {history.prefix}{DESCRIPTOR_FILE}: it holds no package.")
        cache.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f"writing-{os.getpid()}-", dir=cache))
        try:
            write_tree(history, commit, scratch)
            if target.exists() and not (target / "complete").exists():
                shutil.rmtree(target, ignore_errors=True)  # left by an older builder or a killed one
            try:
                scratch.rename(target)
            except OSError:
                if not (target / "complete").exists():  # not another process's finished copy
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    package = target / "tree" / history.prefix if history.prefix else target / "tree"
    return check_declared(package, target, commit)


def write_tree(history: History, commit: str, target: Path) -> None:
    """Every file of the package folder at `commit` under target/tree/, the links it held in target/links."""
    package = target / "tree" / history.prefix if history.prefix else target / "tree"
    package.mkdir(parents=True)
    files, links = [], []
    for mode, kind, obj, path in tree(history, commit):
        relative = path[len(history.prefix) :]
        if kind != "blob":
            continue  # a submodule (a commit) is not part of a package
        if mode == "120000":
            links.append(relative)  # a symbolic link is never written, so never followed
            continue
        destination = (package / relative).resolve()
        if ".." in relative.split("/") or not destination.is_relative_to(package.resolve()):
            raise HistoryError(f"commit {commit[:12]} holds a file whose name leaves the package folder.")
        files.append((destination, obj))
    write_blobs(history, commit, files)
    (target / "links").write_text("".join(f"{link}\n" for link in links), encoding="utf-8", errors="surrogateescape")
    (target / "complete").write_text(commit + "\n", encoding="utf-8")


def check_declared(package: Path, target: Path, commit: str) -> Path:
    """`package`, once every file its descriptor declares is a committed file: a release missing one (or
    holding a link in its place) is refused, never published with an empty table."""
    try:
        descriptor = json.loads((package / DESCRIPTOR_FILE).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return package  # the snapshot reports an unreadable descriptor in words
    listing = target / "links"
    links = set(listing.read_text(encoding="utf-8", errors="surrogateescape").splitlines()) if listing.is_file() else set()
    for path in declared_paths(descriptor):
        if path in links or any(path.startswith(link + "/") for link in links):
            raise HistoryError(f"{path} is a symbolic link in commit {commit[:12]}, and links in old releases are not followed.")
        if not (package / path).is_file():
            raise HistoryError(f"it declares {path}, which commit {commit[:12]} does not hold.")
    return package


def declared_paths(descriptor) -> list[str]:
    """The package-relative files a descriptor's resources name (remote and odd paths are the safety check's)."""
    found = []
    for resource in descriptor.get("resources", []) if isinstance(descriptor, dict) else []:
        path = resource.get("path") if isinstance(resource, dict) else None
        for item in path if isinstance(path, list) else [path]:
            if isinstance(item, str) and item and "://" not in item and not item.startswith("/") and ".." not in item.split("/"):
                found.append(item.removeprefix("./"))
    return found


def tree(history: History, commit: str) -> list[tuple[str, str, str, str]]:
    """(mode, type, object, path) of every entry under the package folder at `commit`, recursively."""
    args = ["ls-tree", "-r", "-z", "--full-tree", commit]
    if history.prefix:
        args += ["--", history.prefix.rstrip("/")]
    entries = []
    for record in git(history.top, *args).stdout.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, obj = meta.decode("ascii").split()
        name = path.decode("utf-8", "surrogateescape")
        if name.startswith(history.prefix):
            entries.append((mode, kind, obj, name))
    return entries


def write_blobs(history: History, commit: str, files: list[tuple[Path, str]]) -> None:
    """Write each file with its blob's bytes exactly as committed: one `git cat-file --batch` for all."""
    if not files:
        return
    output = git(history.top, "cat-file", "--batch", data="".join(f"{obj}\n" for _, obj in files).encode()).stdout
    position = 0
    for destination, _ in files:
        header_end = output.index(b"\n", position)
        header = output[position:header_end].decode("ascii", "replace").split()
        position = header_end + 1
        if len(header) != 3 or header[1] != "blob":
            raise HistoryError(f"commit {commit[:12]} lacks the contents of one of its files.")
        size = int(header[2])
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(output[position : position + size])
        position += size + 1


def release_summaries(descriptor: dict) -> dict[str, str]:
    """Curated one-line summaries per version: `ledger.release_notes` (checked by `check_release_notes`)."""
    notes = descriptor.get("ledger", {}).get("release_notes", {}) if isinstance(descriptor.get("ledger"), dict) else {}
    return {k: v for k, v in notes.items() if isinstance(v, str)} if isinstance(notes, dict) else {}


def check_release_notes(descriptor: dict) -> list[Problem]:
    """`ledger.release_notes` maps versions to one line of text each."""
    ledger = descriptor.get("ledger")
    notes = ledger.get("release_notes") if isinstance(ledger, dict) else None
    if notes is None:
        return []

    def problem(message: str, fix: str) -> Problem:
        return Problem(DESCRIPTOR_FILE, None, "ledger.release_notes", "release-notes", message, fix)

    if not isinstance(notes, dict):
        return [problem("`ledger.release_notes` must be an object.", 'Write e.g. {"0.2.0": "One line on what changed."}.')]
    problems = []
    for version, text in notes.items():
        if not SAFE_VERSION.match(version):
            problems.append(
                problem(f"`ledger.release_notes` names {version!r}, which is not a version.", "Use the version, e.g. 0.2.0.")
            )
        elif not isinstance(text, str) or not text.strip() or "\n" in text or len(text) > 300:
            problems.append(
                problem(
                    f"The release note for {version} must be one line of text (at most 300 characters).", "Write one short line."
                )
            )
    return problems
