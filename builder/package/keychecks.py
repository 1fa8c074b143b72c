"""The key checks on checked tables: `unique` fields, the primary key and foreign keys, each as
vectorised Polars queries (on the streaming engine when a table was spilled to disk).
"""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl

from builder.package.findings import ROW, Checked, error


def may_repeat(schema, names: list[str], keys: pl.LazyFrame) -> bool:
    """Whether a unique field or the primary key repeats (or the key is empty), by streaming
    group-bys: memory for the distinct keys, not the rows."""
    columns = set(keys.collect_schema().names())
    groups = [[name] for name in names if name in columns and schema.get_field(name).constraints.get("unique")]
    key = list(schema.primary_key)
    queries = []
    if key and set(key) <= set(names) and set(key) <= columns:
        groups.append(key)
        queries.append(keys.filter(pl.all_horizontal(pl.col(k).is_null() for k in key)).select(pl.len()))
    for group in groups:
        queries.append(keys.group_by(group).agg(pl.len().alias("__n")).filter(pl.col("__n") > 1).select(pl.len()))
    return any(result.item() for result in pl.collect_all(queries, engine="streaming"))


def unique_errors(schema, names: list[str], keys: pl.DataFrame) -> list[SimpleNamespace]:
    """`unique` fields and the primary key: a later row repeating an earlier value.

    One hash pass per column finds whether anything repeats at all (a valid table stops there);
    the primary key reuses its field's pass.
    """
    found = []
    duplicated: dict[str, pl.Series] = {}

    def repeats(name: str) -> pl.Series:
        if name not in duplicated:
            duplicated[name] = keys[name].is_duplicated()
        return duplicated[name]

    for name in names:
        ffield = schema.get_field(name) if schema.has_field(name) else None
        if ffield is None or not ffield.constraints.get("unique") or name not in keys.columns:
            continue
        if not repeats(name).any():
            continue
        column = keys[name]
        repeated = column.is_not_null() & ~column.is_first_distinct()
        for row, value in keys.filter(repeated).select(ROW, name).iter_rows():
            found.append(error("unique-error", row, field_name=name, cell=str(value)))
    key = list(schema.primary_key)
    if key and set(key) <= set(names) and set(key) <= set(keys.columns):
        empty = keys.select(pl.all_horizontal(pl.col(k).is_null() for k in key)).to_series()
        for row in keys[ROW].filter(empty).to_list():
            found.append(error("primary-key", row, note='cells composing the primary keys are all "None"'))
        if len(key) == 1:
            repeated = repeats(key[0]) & ~empty
        elif keys.select(key).hash_rows().n_unique() < keys.height:  # equal rows hash alike: else nothing repeats
            repeated = keys.select(pl.struct(key)).to_series().is_duplicated() & ~empty
        else:
            repeated = empty & False
        if repeated.any():  # name the previous row with the same key, as frictionless does
            twins = keys.filter(repeated).select(ROW, pl.col(ROW).shift(1).over(key).alias("previous"))
            for row, earlier in twins.filter(pl.col("previous").is_not_null()).iter_rows():
                found.append(error("primary-key", row, note=f"the same as in the row at position {earlier}"))
    return found


def foreign_key_errors(resources: dict, checked: dict[str, Checked]) -> dict[str, list[SimpleNamespace]]:
    """Every foreign key as anti-joins against the referenced tables' values, per table name.

    The keys that reference the same fields of the same table (every table citing `sources`,
    say) are stacked and joined at once: the referenced values are hashed once, not per key.
    With a spilled table the joins run on Polars' streaming engine, so it is scanned, not loaded.
    """
    found: dict[str, list[SimpleNamespace]] = {name: [] for name in checked}
    groups: dict[tuple, list] = {}
    for name, own in checked.items():
        for fk in resources[name].schema.foreign_keys:
            fields, ref = list(fk["fields"]), fk["reference"]
            target = ref["resource"] or name
            theirs = list(ref["fields"])
            if not set(fields) <= set(own.expected) or target not in checked:
                continue
            other = checked[target]
            lookup = other.keys.lazy().select(
                pl.col(t).alias(f"k{i}") if t in other.expected else pl.lit(None).alias(f"k{i}") for i, t in enumerate(theirs)
            )
            mine = own.keys.lazy().select(ROW, *[pl.col(f).alias(f"k{i}") for i, f in enumerate(fields)])
            mine = mine.filter(~pl.all_horizontal(pl.exclude(ROW).is_null()))
            ours_, theirs_ = mine.collect_schema(), lookup.collect_schema()
            never = False  # a date never equals a text, as in Python: nothing matches
            for i in range(len(fields)):
                ours, their = ours_[f"k{i}"], theirs_[f"k{i}"]
                if ours == their:
                    continue
                if ours.is_numeric() and their.is_numeric():  # 1 == 1.0, as in Python
                    cast = pl.Float64
                else:
                    never, cast = True, pl.String
                mine = mine.with_columns(pl.col(f"k{i}").cast(cast))
                lookup = lookup.with_columns(pl.col(f"k{i}").cast(cast))
            key = (target, tuple(theirs), tuple(lookup.collect_schema().dtypes()), never)
            if key not in groups:
                empty = pl.all_horizontal(pl.all().is_null())
                groups[key] = [lookup.filter(pl.lit(False) if never else ~empty)]
            groups[key].append((name, fields, ref, theirs, mine))
    queries, members_of = [], []
    for lookup, *members in groups.values():
        stacked = pl.concat(
            [mine.with_columns(pl.lit(index, dtype=pl.UInt32).alias("__fk")) for index, (*_, mine) in enumerate(members)]
        )
        on = [f"k{i}" for i in range(len(members[0][1]))]
        queries.append(stacked.join(lookup, on=on, how="anti", nulls_equal=True).sort("__fk", ROW))
        members_of.append(members)
    spilled = any(isinstance(table.keys, pl.LazyFrame) for table in checked.values())
    for query, members in zip(queries, members_of, strict=True):  # one at a time: one hash table in memory
        dangling = query.collect(engine="streaming" if spilled else "auto")
        if dangling.height == 0:
            continue
        for index, (name, fields, ref, theirs, _) in enumerate(members):
            rows = dangling.filter(pl.col("__fk") == index).drop("__fk")
            for row, *values in rows.iter_rows():
                cells = ["None" if v is None else str(v) for v in values]
                found[name].append(
                    error(
                        "foreign-key",
                        row,
                        field_names=fields,
                        field_cells=cells,
                        reference_name=ref["resource"],
                        reference_field_names=theirs,
                        note=f'for "{", ".join(fields)}": values "{", ".join(cells)}" not found',
                    )
                )
    return found
