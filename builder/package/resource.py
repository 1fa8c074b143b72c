"""A resource of the descriptor as a typed view: its name, fields and keys read once, where a stage
would otherwise ask builder.package.load for them again at every use (per row, per foreign key).

The raw dict stays the source (`raw`): frictionless, the published descriptor and the stories read
it as it is. Only for a descriptor that has passed the structural check (builder.check.structure).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from builder.package import load


@dataclass(frozen=True, eq=False)
class Resource:
    raw: dict

    @property
    def name(self) -> str:
        return self.raw["name"]

    @cached_property
    def fields(self) -> list[dict]:
        return load.fields(self.raw)

    @cached_property
    def primary_key(self) -> list[str]:
        return load.primary_key(self.raw)

    @cached_property
    def foreign_keys(self) -> list[tuple[list[str], str, list[str]]]:
        """(fields, referenced resource, referenced fields), as load.foreign_keys gives them."""
        return load.foreign_keys(self.raw)

    @property
    def single_key(self) -> str | None:
        """The one field that identifies a row, or None for a key of several fields (or none)."""
        return self.primary_key[0] if len(self.primary_key) == 1 else None

    @cached_property
    def gets_pages(self) -> bool:
        return load.gets_pages(self.raw)


def resources_by_name(descriptor: dict) -> dict[str, Resource]:
    """Every resource, by name, in the descriptor's order."""
    return {r["name"]: Resource(r) for r in load.resources(descriptor)}
