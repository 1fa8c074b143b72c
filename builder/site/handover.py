"""The generated pages, handed from publish to the MkDocs hooks in memory.

MkDocs loads the hooks from their file as a module of its own, so publish and the hooks cannot
share a global of either; they share this module's. publish gives the pages for one build and
clears them after it, so a failed build leaves nothing behind; the hooks take them once, when
MkDocs reads its configuration. Which pages are generated is told only here, never by a page.
(A manifest file did this before: writing it and reading it back held every page twice more at
once, the peak of a large build's memory.)
"""

from __future__ import annotations

_pages: dict[str, str | None] = {}


def give(pages: dict[str, str | None]) -> None:
    """Hand over `pages` (path -> text, or None for a page whose file is in docs_dir): moved, not copied."""
    global _pages
    if _pages:  # MkDocs' own functions are patched for a build too: one build at a time per process
        raise RuntimeError("another build in this process is handing its pages to MkDocs")
    _pages = dict(pages)
    pages.clear()


def take() -> dict[str, str | None]:
    """The pages handed over, no longer held here: MkDocs holds them from now on."""
    global _pages
    pages, _pages = _pages, {}
    return pages


def clear() -> None:
    global _pages
    _pages = {}
