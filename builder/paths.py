"""Every path the builder reads or writes, relative to one root (overridable for tests)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
