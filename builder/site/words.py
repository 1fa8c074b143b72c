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
        refers = site.references(table).get(name, "")
        if refers.startswith("@") and values.get(refers[1:]) in site.rows_by_id:
            lookup = values[refers[1:]]  # a link to a row of any table names its table in another column
        if lookup and part in site.rows_by_id.get(lookup, {}):
            words.append(site.label(lookup, part))
        else:
            words.append(site.word(table, name, part))
    return " · ".join(w if len(w) <= PART_LIMIT else w[: PART_LIMIT - 1].rstrip() + "…" for w in words)


def release_stamp(version: str | None, ledger, built: dt.date) -> str:
    """Which data a page shows, in words: "Release 0.3.1, published 3 December 2026" (the date of the
    first commit that carried the version). A version not yet released, or released and changed
    since, says so and names the build's date instead; "data as of" is kept for the data's own last
    dated event, which the story's pages name."""
    releases = list(getattr(ledger, "releases", None) or [])
    release = next((r for r in releases if r.version == version), None)
    changed = any(entry.release is None for entry in getattr(ledger, "entries", None) or [])
    if release is not None:
        published = format_date(release.date.date(), "day")
        if not changed:
            return f"Release {version}, published {published}"
        return f"Release {version} (published {published}) and later changes, built {format_date(built, 'day')}"
    if version:
        unreleased = " (not yet released)" if getattr(ledger, "available", False) else ""  # no history: not known
        return f"Version {version}{unreleased}, built {format_date(built, 'day')}"
    return f"Built {format_date(built, 'day')}"
