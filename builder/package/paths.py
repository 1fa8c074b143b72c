"""Every path the builder reads or writes, relative to one root (overridable for tests)."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from builder.common.errors import BuilderError


@dataclass(frozen=True)
class Paths:
    root: Path

    @classmethod
    def at(cls, root: str | Path = ".") -> Paths:
        return cls(Path(root).resolve())

    @property
    def descriptor(self) -> Path:
        return self.root / "datapackage.json"

    @property
    def docs(self) -> Path:
        """Hand-written pages and theme overrides, copied into the generated docs."""
        return self.root / "docs"

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def work(self) -> Path:
        """Scratch folder: each build writes here first, then swaps into dist/ and site/."""
        return self.root / ".build"

    def scratch(self) -> Path:
        """.build/, made if missing; refused when it is a link or a file, so no scratch file, cache or
        clean-up of the builder's ever lands outside the package."""
        work = self.work
        if work.is_symlink() or (work.exists() and not work.is_dir()):
            kind = "a symbolic link" if work.is_symlink() else "a file"
            raise BuilderError(f"{work.name} is {kind}; the builder needs it as its scratch folder: remove it.")
        work.mkdir(exist_ok=True)
        return work

    def cache(self, name: str) -> Path:
        """A cache folder in .build/ named with this machine's key (`pages-<key>`): a package that ships
        a .build/ folder (finished pages, compiled templates, release downloads) is never read from, as
        its author cannot know the name. Caches are only ever read from folders the builder made.

        With a key for this process only (no secret could be kept), no later build can use the folder:
        drop_process_caches removes it when the command ends."""
        folder = self.scratch() / f"{name}-{machine_key()}"
        if not key_is_kept():
            _PROCESS_CACHES.add(folder)
        return folder

    def relative(self, path: Path) -> str:
        """A path as users see it in messages: relative to the root, with forward slashes."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.name


_PROCESS_CACHES: set[Path] = set()


def drop_process_caches() -> None:
    """Remove the cache folders named with a key no later process will have (see Paths.cache)."""
    while _PROCESS_CACHES:
        shutil.rmtree(_PROCESS_CACHES.pop(), ignore_errors=True)


@functools.cache
def machine_key() -> str:
    """16 hex digits from a secret kept outside every package (the user's cache folder), made once.
    Where it cannot be kept, a key for this process only: nothing is reused, every build is whole."""
    _kept[0] = True
    try:
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llama-ledger"
        secret = home / "cache-key"
        home.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            value = secret.read_text(encoding="ascii").strip()
        else:
            value = secrets.token_hex(32)
            with os.fdopen(handle, "w", encoding="ascii") as out:
                out.write(value + "\n")
        if len(value) < 32:
            raise OSError("cache key too short")
    except (OSError, RuntimeError, UnicodeDecodeError):
        value, _kept[0] = secrets.token_hex(32), False
    return hashlib.sha256(value.encode()).hexdigest()[:16]


_kept = [True]  # whether machine_key's secret is kept for later processes


def key_is_kept() -> bool:
    machine_key()
    return _kept[0]


def unsafe_path(root: Path, relative: str) -> str | None:
    """Why a package-relative path may not be read, or None when it stays inside the root."""
    if "\x00" in relative or "\\" in relative:
        return "holds a backslash or NUL"
    pure = PurePosixPath(relative)
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", relative):
        return "is absolute"
    if ".." in pure.parts:
        return "goes up out of the package folder"
    try:
        resolved = (root / relative).resolve()
    except (OSError, RuntimeError):
        return "cannot be resolved (a symlink loop?)"
    if not resolved.is_relative_to(root.resolve()):
        return "leads outside the package folder through a symlink"
    return None


# Folders of the builder's own making: never a document.
OUTPUT_FOLDERS = ("dist", "site")


def unpublishable(relative: str, taken: dict[str, str]) -> tuple[str, str] | None:
    """Why a document (a `path` cell) may not go into the package's zip, and the fix; None when it may.

    A hidden file or folder (.git/config holds a CI token, .build/ the builder's caches), the
    builder's outputs, and a name the zip holds already (`taken`: casefolded path -> what it is,
    so that a document never replaces the descriptor or a table, even unpacked on a file system
    that ignores case) are never published. Call it after `unsafe_path`."""
    pure = PurePosixPath(relative)
    if any(part.startswith(".") for part in pure.parts):
        return (
            "is hidden or in a hidden folder (like .git/ or .build/), and hidden files are never published",
            "Store the document in a visible folder of the package, such as documents/, and give that path.",
        )
    if pure.parts and pure.parts[0] in OUTPUT_FOLDERS:
        return (
            f"is in {pure.parts[0]}/, which the builder writes, not in the package",
            "Store the document in a folder of the package, such as documents/, and give that path.",
        )
    name = pure.as_posix().casefold()
    for other, what in taken.items():
        if name == other or other.startswith(name + "/") or name.startswith(other + "/"):
            return (
                f"is {what}" if name == other else f"has the same name as {what} in the zip",
                "Give the document a path of its own, such as documents/<name>.txt.",
            )
    return None


def inside(root: Path, relative: str) -> Path:
    """A package file to read: resolved, and refused unless it stays inside the root."""
    reason = unsafe_path(root, relative)
    if reason:
        raise PermissionError(f"{relative} {reason}")
    return (root / relative).resolve()


@functools.lru_cache(maxsize=64)
def resolved(folder: Path) -> Path:
    """A folder's resolved path, worked out once: thousands of files are checked against the same folder."""
    return folder.resolve()


def output(base: Path, relative: str) -> Path:
    """A file to write under `base` (the staging folder): refused if it would land anywhere else."""
    target = (base / relative).resolve()
    if not target.is_relative_to(resolved(base)):
        raise PermissionError(f"refusing to write {relative}: it is outside {base.name}/")
    return target
