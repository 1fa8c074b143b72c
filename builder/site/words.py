"""Rows in words for readers: a row with no name of its own, and a diff's row by its key's parts.

Works on a model.Site (duck-typed: `resources`, `rows_by_id`, `label`, `word`) and never imports
model, so model may import it.
"""

from __future__ import annotations

import datetime as dt

from builder.common.dates import format_date
from builder.package import load
from builder.views.derive import precision_column

PART_LIMIT = 60  # characters of one part of a key in words, before an ellipsis


def describe(site, table: str, row: dict) -> str:
    """A row with no name of its own (a departure, a release: its label is its id) in words: the
    names its shown columns link to and its dates ("Armand Joulin, Google DeepMind, June 2023")."""
    resource = site.resources[table]
    parts = []
    for name in load.shown_columns(resource):
        value = row.get(name)
        targets = [t for own, t, _ in load.foreign_keys(resource) if own == [name] and t != table]
        if value in (None, "") or name in load.primary_key(resource) and not targets:
            continue
        if targets and targets[0] in site.rows_by_id:
            parts.append(site.label(targets[0], value))
        elif isinstance(value, dt.date):
            parts.append(format_date(value, row.get(precision_column(name))))
    return ", ".join(parts)


def key_words(site, table: str, key: str, label: str) -> str:
    """A row of a diff in words: its name today, else the diff's label, else its key's parts by
    their names ("Claims · Llama 2 launched in July · Meta blog: Llama 2", not `claims / llama2-…`)."""
    resource = site.resources.get(table, {})
    names = load.primary_key(resource)
    if len(names) == 1 and key in site.rows_by_id.get(table, {}):
        return site.label(table, key)
    if len(names) == 1 and label != key or not resource:
        return label  # a row gone since: its name then
    parts = key.split(" / ")
    if len(parts) != len(names):
        return label
    values = dict(zip(names, parts, strict=True))
    words = []
    for name, part in values.items():
        targets = [t for own, t, _ in load.foreign_keys(resource) if own == [name]]
        lookup = next((t for t in targets if t in site.rows_by_id), None)
        if name == "row_id" and values.get("resource") in site.rows_by_id:
            lookup = values["resource"]  # a link to a row of any table names its table in `resource`
        if lookup and part in site.rows_by_id.get(lookup, {}):
            words.append(site.label(lookup, part))
        else:
            words.append(site.word(table, name, part))
    return " · ".join(w if len(w) <= PART_LIMIT else w[: PART_LIMIT - 1].rstrip() + "…" for w in words)
