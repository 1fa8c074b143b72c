"""`builder synth --distinct`: the copies of `synth` made to look like data, every value different.

synth's copies are a closed world in which every rule holds. This module redraws their values at
random (seeded: the same seed gives the same bytes) so that no copy repeats another, while the
relations that the rules read stay as they were:

- every id (keys, foreign keys, `row_id` references) becomes a random id, the same string for the
  same id everywhere, so keys stay unique and every reference still points at its row (the first
  copy keeps the package's own ids, which a story's pages may name);
- dates move by a whole number of years per copy: the same move for every date a rule
  compares (a fact and its source, a departure and the status report), and a year move keeps a
  month-precision date on the 1st and a year-precision date on 1 January;
- free text (names, titles, notes, claims) becomes random words, and each `quote` becomes random
  words that are then written into the document its row points to (`documents` documents in all);
- numbers are drawn within `minimum`/`maximum`, texts with a known pattern are drawn to match it,
  enumerated values (`enum` or v2 `categories`), booleans and texts the story ties to each other (a licence's size named in the
  model's parameters) are kept.

Related rows: the link table (`resource` + `row_id`, the Ledger's citations) gets more rows, so
that each entity it can name has about `related` rows pointing at it (`more_links`).
"""

from __future__ import annotations

from pathlib import PurePosixPath

import polars as pl

from builder.common import labels
from builder.package import load

# Text the story ties across tables (rules: a licence's `size` is one of its model's `parameters`).
# The story's views read `family` (the Llama family's releases on the home page).
KEEP = {("models", "parameters"), ("model_licences", "size"), ("models", "family")}
SLUG = "^[a-z0-9]+(-[a-z0-9]+)*$"
URL = "^https?://[^\\s]+$"
YEARS = 300  # dates move back by 0 to 299 whole years
COPY = "__copy"

_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]  # 70 syllables
# 4,900 two-syllable words, then 70 one-syllable ones: six words from it rarely repeat at 1M rows.
VOCABULARY = pl.Series("word", [a + b for a in _SYLLABLES for b in _SYLLABLES] + _SYLLABLES)
WORDS = {"quote": (8, 14), "claim": (8, 16), "rationale": (10, 20), "note": (6, 14), "title": (4, 9)}


def draws(n: int, seed: int) -> pl.Series:
    """n pseudo-random 64-bit numbers, the same for the same (n, seed) with the pinned Polars."""
    return pl.int_range(0, n, eager=True, dtype=pl.UInt64).hash(seed)


def words(n: int, seed: int, low: int, high: int) -> pl.Series:
    """n texts of `low` to `high` random words each."""
    count = (draws(n, seed) % (high - low + 1)).cast(pl.Int64) + low
    picked = [VOCABULARY.gather((draws(n, seed * 31 + k + 1) % VOCABULARY.len()).cast(pl.Int64)) for k in range(high)]
    frame = pl.DataFrame({f"w{k}": s for k, s in enumerate(picked)}).with_columns(count=count)
    kept = [pl.when(pl.col("count") > k).then(pl.col(f"w{k}")) for k in range(high)]
    return frame.select(pl.concat_str(kept, separator=" ", ignore_nulls=True).str.to_titlecase().alias("text")).to_series()


def _seed(*parts: object) -> int:
    """A stable seed per (table, column): Python's hash() of a str changes per process."""
    return sum((i + 1) * ord(ch) for i, ch in enumerate(":".join(map(str, parts)))) % 2**31


def new_id(column: pl.Expr, seed: int) -> pl.Expr:
    """The same random id for the same id string in every table (a 64-bit hash: no collisions in practice)."""
    return pl.lit("r") + column.hash(seed).cast(pl.String)


def redraw(resource: dict, frame: pl.DataFrame, id_columns: set[str], seed: int) -> pl.DataFrame:
    """The copies of one table with its values redrawn; `frame` carries the COPY column."""
    n, name = frame.height, resource["name"]
    shift = (pl.col(COPY).cast(pl.UInt64).hash(seed) % YEARS).cast(pl.Int64)
    columns = []
    for field in load.fields(resource):
        column_name = field["name"]
        if column_name not in frame.columns:
            continue
        column, kind = pl.col(column_name), field.get("type", "string")
        constraints = field.get("constraints", {})
        own = _seed(seed, name, column_name)
        if column_name in id_columns:  # the first copy keeps the ids a story may name (the Ledger's `meta`)
            value = pl.when(pl.col(COPY) == 0).then(column).otherwise(new_id(column, seed))
        elif constraints.get("enum") or field.get("categories") or (name, column_name) in KEEP or kind == "boolean":
            value = column
        elif kind == "date":
            written = field.get("format", "%Y-%m-%d") if str(field.get("format", "")).startswith("%") else "%Y-%m-%d"
            value = column.str.to_date(written).dt.offset_by(pl.format("-{}y", shift)).dt.to_string(written)
        elif kind in ("integer", "number") and not constraints.get("unique"):
            low, high = constraints.get("minimum", 0), constraints.get("maximum", 2**31 - 1)
            drawn = (draws(n, own) % (int(high) - int(low) + 1)).cast(pl.Int64) + int(low)
            value = pl.lit(drawn)
        elif kind == "string":
            value = _text(column_name, constraints.get("pattern"), n, own)
        else:
            value = column
        if value is not column:  # an empty cell stays empty: which cells are filled is part of the rules
            value = pl.when(column.is_null()).then(None).otherwise(value)
        columns.append(value.alias(column_name))
    return frame.select(columns)


def _text(name: str, pattern: str | None, n: int, seed: int) -> pl.Expr:
    token = draws(n, seed).cast(pl.String)
    if pattern is None:
        low, high = WORDS.get(name, (2, 5))
        return pl.lit(words(n, seed, low, high) + " " + token.str.slice(0, 6))
    if pattern == SLUG:
        return pl.lit("w" + token)
    if pattern == URL:
        return pl.lit("https://example.org/" + token)
    if pattern == "^Q[0-9]+$":
        return pl.lit("Q" + token)
    if pattern == "^[A-Z]{2}$":
        letters = pl.Series([chr(65 + i) for i in range(26)])
        first = letters.gather((draws(n, seed) % 26).cast(pl.Int64))
        return pl.lit(first + letters.gather((draws(n, seed + 1) % 26).cast(pl.Int64)))
    return pl.col(name)  # a pattern we cannot draw from: the copied value, which matches it


def documents(resources: list[dict], frames: dict[str, pl.DataFrame], count: int) -> dict[str, str]:
    """Spread the document rows over `count` files beside the first one and write every quote into
    its row's file. Returns path -> text: each quote on a line of its own, so it occurs verbatim."""
    texts: dict[str, list[pl.Series]] = {}
    spread: set[str] = set()
    for resource in resources:
        frame = frames[resource["name"]]
        if "quote" not in frame.columns:
            continue
        for own, target, theirs in load.foreign_keys(resource):
            table = frames.get(target)
            if len(own) != 1 or table is None or "path" not in table.columns or table["path"].null_count() == table.height:
                continue
            if target not in spread:
                folder = PurePosixPath(table["path"].drop_nulls()[0]).parent.as_posix()
                number = (pl.int_range(pl.len()) % count).cast(pl.String).str.zfill(3)
                frames[target] = table = table.with_columns(pl.format(folder + "/synth-{}.txt", number).alias("path"))
                spread.add(target)
            quoted = (
                frame.select(pl.col(own[0]).alias("__key"), "quote")
                .drop_nulls()
                .join(table.select(pl.col(theirs[0]).alias("__key"), "path"), on="__key", how="inner")
            )
            for (path,), rows in quoted.partition_by("path", as_dict=True, maintain_order=True).items():
                texts.setdefault(path, []).append(rows["quote"])
    return {path: "Synthetic document.\n" + "\n".join(pl.concat(parts).to_list()) + "\n" for path, parts in texts.items()}


def link_table(resources: list[dict]) -> tuple[dict, list[str]] | None:
    """The link table (`resource` + `row_id` columns, like the Ledger's citations) and the tables
    its `resource` may name that have a one-field key."""
    keyed = {r["name"] for r in resources if len(load.primary_key(r)) == 1}
    for resource in resources:
        fields = {f["name"]: f for f in load.fields(resource)}
        if {"resource", "row_id"} <= set(fields):
            named = fields["resource"].get("constraints", {}).get("enum") or []
            return resource, [name for name in named if name in keyed]
    return None


def more_links(link: dict, targets: list[str], frames: dict[str, pl.DataFrame], resources: list[dict], extra: int, seed: int):
    """`extra` more rows of the link table for every row of each target table (related rows, as an
    entity with many sources has): each names the row and a random row of each table the link
    table's foreign keys point at; enumerated cells are drawn from their values, required text is
    random words, optional text stays empty. A row whose key repeats one before it is dropped."""
    by_name = {r["name"]: r for r in resources}
    fields = [f for f in load.fields(link) if f["name"] in frames[link["name"]].columns]
    pointing = {own[0]: (target, theirs[0]) for own, target, theirs in load.foreign_keys(link) if len(own) == 1}
    parts = []
    for number, table in enumerate(targets):
        keys = frames[table][load.primary_key(by_name[table])[0]]
        n = keys.len() * extra
        if n == 0:
            continue
        base = _seed(seed, link["name"], table, number)
        columns = {}
        for k, field in enumerate(fields):
            name, constraints = field["name"], field.get("constraints", {})
            if name == "resource":
                value = pl.Series(name, [table] * n, dtype=pl.String)
            elif name == "row_id":
                value = keys.gather(pl.int_range(0, n, eager=True) // extra)
            elif name in pointing and pointing[name][0] in frames:
                target, column = pointing[name]
                values = frames[target][column].drop_nulls()
                value = values.gather((draws(n, base + k) % values.len()).cast(pl.Int64))
            elif constraints.get("enum") or field.get("categories"):
                allowed = pl.Series([str(v) for v in labels.values(field)])
                value = allowed.gather((draws(n, base + k) % allowed.len()).cast(pl.Int64))
            elif constraints.get("required"):
                value = words(n, base + k, 2, 5)
            else:
                value = pl.Series(name, [None] * n, dtype=pl.String)
            columns[name] = value.cast(pl.String).alias(name)
        parts.append(pl.DataFrame(columns))
    frame = frames[link["name"]]
    grown = pl.concat([frame, *[part.select(frame.columns) for part in parts]], how="vertical_relaxed")
    key = load.primary_key(link)
    return grown.unique(subset=key, keep="first", maintain_order=True) if key else grown
