"""The `pattern` of a foreign-key column, checked from its target's: where a column's values must be
among another column's and both share one pattern, a value found there passes or fails the pattern
as it did there, so only the values found nowhere are matched again.

At a million distinct rows half the values the patterns ran on were such links (a citation's
source, a claim's evidence), and matching them a tenth of validation's CPU time. The findings are
the same: every cell that fails its pattern is reported on its own row, whether or not the value
is also found in the target (tests/test_differential.py, tests/test_linked_patterns.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import polars as pl

from builder.package.columns import constraints_of, fast_path, pattern_fails
from builder.package.findings import ROW, Checked, error


@dataclass(frozen=True)
class Link:
    """A string column whose pattern is checked from its foreign key's target column's."""

    field: str
    target: str
    target_field: str
    pattern: str

    @property
    def note(self) -> str:
        return f'constraint "pattern" is "{self.pattern}"'


def links(resources: dict) -> dict[str, list[Link]]:
    """Per table, its columns whose pattern its foreign keys let it check from another table of
    `resources` (the resource objects the table checks read, by name)."""
    found: dict[str, list[Link]] = {}
    for name in sorted(resources):
        taken = set()
        for fk in resources[name].schema.foreign_keys:
            fields, reference = list(fk["fields"]), fk["reference"]
            target, theirs = reference["resource"] or name, list(reference["fields"])
            if len(fields) != 1 or target not in resources or fields[0] in taken:
                continue
            pattern = _pattern(resources[name], fields[0])
            if pattern is not None and pattern == _pattern(resources[target], theirs[0]):
                found.setdefault(name, []).append(Link(fields[0], target, theirs[0], pattern))
                taken.add(fields[0])  # one target is enough: a second would report the cell twice
    return found


def _pattern(resource, name: str) -> str | None:
    if not resource.schema.has_field(name):
        return None
    ffield = resource.schema.get_field(name)
    if ffield.type != "string" or not fast_path(ffield):
        return None
    return constraints_of(ffield).get("pattern")


def pattern_errors(name: str, link: Link, checked: dict[str, Checked], dangling: list) -> list[SimpleNamespace]:
    """The constraint errors of `link`'s column in table `name`, once its foreign keys are checked
    (`dangling`: the table's foreign-key errors). The values its target holds fail as they failed
    there; the values found nowhere (all of them, when the target could not be read) are matched."""
    own, target = checked[name], checked.get(link.target)
    if link.field not in own.expected:
        return []
    if target is None:
        candidates = own.keys[link.field].drop_nulls().unique()
        failing: set[str] = set()
    else:
        found_nowhere = {
            e.field_cells[0]
            for e in dangling
            if e.type == "foreign-key" and e.field_names == [link.field] and (e.reference_name or name) == link.target
        }
        candidates = pl.Series(sorted(found_nowhere), dtype=pl.String)
        failing = {
            e.cell
            for e in target.errors
            if e.type == "constraint-error" and e.field_name == link.target_field and e.note == link.note
        }
    if candidates.len():
        failing |= set(candidates.filter(pattern_fails(candidates, link.pattern)).to_list())
    if not failing:
        return []
    number = own.expected.index(link.field) + 1
    failing_values = pl.Series(sorted(failing), dtype=pl.String).implode()
    rows = own.keys.select(ROW, link.field).filter(pl.col(link.field).is_in(failing_values))
    return [
        error("constraint-error", row, field_name=link.field, field_number=number, cell=value, note=link.note)
        for row, value in rows.iter_rows()
    ]
