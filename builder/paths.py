"""Every path the builder reads or writes, relative to one root (overridable for tests)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


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

    def relative(self, path: Path) -> str:
        """A path as users see it in messages: relative to the root, with forward slashes."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.name


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
