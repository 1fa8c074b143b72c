"""What flows between the build's stages (builder.pipeline), typed: each stage's signature names
which of these it reads, and it returns one of them.

    Job        what was asked: the package's folders, the staging folder, the site's address, strictness
    Checked    validate  -> the report, the descriptor (titles filled in, schemas read in), the typed tables
    list[View] derive    -> the story's views (builder.views.derive.View)
    Exported   export    -> the staged dist/ and the published descriptor (every file with its hash), and
                            the workbook and database being written beside the build, which render
                            waits for before the pages that list every download
    Ledger     history   -> releases and row history (builder.history.changes.Ledger), or None unread
    Rendered   render    -> the staged docs folder, the generated pages' texts, which publish takes over,
                            and the share cards being drawn beside the build, which publish waits for

publish and api write files only: they return nothing but their one-line summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # names for the signatures only: importing polars here would slow `builder validate`
    import polars as pl

    from builder.common.errors import Report
    from builder.outputs.bundle import Bundle
    from builder.package.paths import Paths
    from builder.site.ogimage import Drawing


@dataclass(frozen=True)
class Job:
    paths: Paths
    staging: Path  # a fresh folder in .build/: dist/, docs/ and site/ are built in it, then swapped in
    site_url: str = ""  # the published address ending in "/", or "" when unknown
    strict: bool = False  # a missing title, description or key is a problem, not a warning

    @property
    def dist(self) -> Path:
        return self.staging / "dist"


@dataclass(frozen=True)
class Checked:
    report: Report
    descriptor: dict
    tables: dict[str, pl.DataFrame]
    views: list = field(default_factory=list)  # derived by validation to check them: the derive stage reuses them


@dataclass(frozen=True)
class Exported:
    dist: Path
    published: dict  # the descriptor as published in dist/datapackage.json; bundle.finish() completes its downloads
    bundle: Bundle  # the workbook and database, written by a process of their own


@dataclass(frozen=True)
class Rendered:
    docs_dir: Path
    generated: dict[str, str]  # path -> page text; publish hands the texts to MkDocs and empties it
    cards: Drawing | None = None  # drawn into their own folder while MkDocs builds; publish moves them into site/
