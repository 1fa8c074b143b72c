"""The story's index pages beyond the generic list: the Models index lists models by first release,
with the date, so a reader sees the sequence (render calls `index_context` for every index)."""

from __future__ import annotations

import datetime as dt

from builder.stories import llama_search


def index_context(site, table: str, rows: list[dict]) -> tuple[list[dict], dict]:
    """An index's rows in the order it lists them, and what its template needs besides.

    Models: by first public release (ties and undated models keep the seed's order, undated last),
    with `released`, model id -> (date, precision), for the Released column."""
    if table != "models":
        return rows, {}
    released = {row["model_id"]: llama_search.first_release(site, row["model_id"]) for row in rows}
    released = {model: when for model, when in released.items() if when}

    def when(row: dict) -> tuple[bool, dt.date]:
        first = released.get(row["model_id"])
        return (first is None, first[0] if first else dt.date.min)

    return sorted(rows, key=when), {"released": released}
