"""The package's story: which story plugin (builder/stories/) a package names, read by every stage.

A package names its story in datapackage.json (`"ledger": {"story": "llama"}`); a package
without one is still validated, exported and published, with generic pages only. The story's
module is imported by name when a stage asks for it, so no stage imports builder/stories/ itself.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from builder.common.errors import BuilderError

KNOWN = {"llama": "builder.stories.llama"}


def for_package(descriptor: dict) -> ModuleType | None:
    name = descriptor.get("ledger", {}).get("story")
    if name is None:
        return None
    if name not in KNOWN:
        raise BuilderError(f"datapackage.json names an unknown story {name!r}; known: {', '.join(sorted(KNOWN))}.")
    return importlib.import_module(KNOWN[name])
