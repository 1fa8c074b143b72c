"""`builder synth`: a large package of a real package's own shape, for benchmarks and tests.

The rows are whole copies of the package's rows. In copy i (from 1) every value that is the id of
a row somewhere in the package (primary keys, foreign keys, `row_id`-style references) gets the
suffix `-s<i>`, so each copy is a closed world: every key is unique, every reference points into
its own copy, and every rule the original satisfies (Table Schema, the generic rules and the
package's story) holds in each copy. A `unique` field that is not a key cannot repeat across
copies: it is left empty in the copies where it may be. Errors of chosen types can then be
injected at fixed, spread-out rows, so two runs give the same bytes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from builder import load, tables
from builder.errors import BuilderError

ERROR_TYPES = (
    "type-error",
    "required",
    "enum",
    "pattern",
    "primary-key",
    "foreign-key",
    "missing-cell",
    "extra-cell",
    "blank-row",
)
COPY = "__copy"


def synth(root: Path, out: Path, rows: int, errors: list[str], per_type: int = 10) -> dict[str, int]:
    """Write the package at `root`, scaled to about `rows` rows, to `out`; return rows per table."""
    descriptor, problems = load.read_descriptor(root / load.DESCRIPTOR_FILE)
    if descriptor is None:
        raise BuilderError(problems[0].message)
    unknown = sorted(set(errors) - set(ERROR_TYPES))
    if unknown:
        raise BuilderError(f"unknown error type(s) {', '.join(unknown)}; choose from {', '.join(ERROR_TYPES)}.")
    resources = load.resources(descriptor)
    raw = {r["name"]: _raw(r, root) for r in resources}
    total = sum(frame.height for frame in raw.values())
    if total == 0:
        raise BuilderError("the package has no rows to copy.")
    copies = max(1, round(rows / total))
    # A table whose key is an enum (a vocabulary such as verdicts) cannot be copied: one copy serves all.
    fixed = {
        r["name"]
        for r in resources
        if all(f.get("constraints", {}).get("enum") for f in load.fields(r) if f["name"] in load.primary_key(r))
    }
    ids = _ids([r for r in resources if r["name"] not in fixed], raw)
    if out.exists() and any(out.iterdir()):
        raise BuilderError(f"{out} is not empty; give an empty or new folder.")
    _copy_package_files(root, out, descriptor)
    counts = {}
    for resource in resources:
        frame = _scaled(resource, raw[resource["name"]], ids, 1 if resource["name"] in fixed else copies)
        counts[resource["name"]] = frame.height
        target = out / resource["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(frame, target, resource)
    if errors:
        _inject(descriptor, out, errors, per_type)
    return counts


def _raw(resource: dict, root: Path) -> pl.DataFrame:
    """The CSV's cells as text, columns named by the schema."""
    parsed = tables.parse_csv(root / resource["path"], resource.get("dialect", {}))
    names = [f["name"] for f in load.fields(resource)]
    return parsed.cells.select(pl.col(f"c{j}").alias(name) for j, name in enumerate(names) if f"c{j}" in parsed.cells.columns)


def _ids(resources: list[dict], raw: dict[str, pl.DataFrame]) -> pl.Series:
    """Every value that names a row: the package's primary and foreign key values."""
    values = []
    for resource in resources:
        frame = raw[resource["name"]]
        for name in load.primary_key(resource) + [f for own, _, _ in load.foreign_keys(resource) for f in own]:
            if name in frame.columns:
                values.append(frame[name])
    keys = {name for r in resources for name in load.primary_key(r)}
    for resource in resources:  # references by value (a `row_id` naming a row of any table)
        for name in raw[resource["name"]].columns:
            if name.endswith("row_id") and name not in keys:
                values.append(raw[resource["name"]][name])
    found = pl.concat(values).drop_nulls().unique() if values else pl.Series([], dtype=pl.String)
    return found.filter(found != "")


def _scaled(resource: dict, frame: pl.DataFrame, ids: pl.Series, copies: int) -> pl.DataFrame:
    fields = {f["name"]: f for f in load.fields(resource)}
    keys = set(load.primary_key(resource)) | {f for own, _, _ in load.foreign_keys(resource) for f in own}
    copy = pl.DataFrame({COPY: pl.int_range(0, copies, eager=True, dtype=pl.Int64)})
    grown = copy.join(frame, how="cross")
    suffix = pl.lit("-s") + pl.col(COPY).cast(pl.String)
    first = pl.col(COPY) == 0
    columns = []
    for name in frame.columns:
        column = pl.col(name)
        field = fields.get(name, {})
        constraints = field.get("constraints", {})
        unique = constraints.get("unique") and name not in keys
        if (name in keys or name.endswith("row_id")) and not constraints.get("enum"):
            column = pl.when(first | ~column.is_in(ids.implode())).then(column).otherwise(column + suffix)
        elif unique and field.get("type", "string") == "string":
            column = pl.when(first).then(column).otherwise(column + suffix)
        elif unique and not constraints.get("required"):
            column = pl.when(first).then(column).otherwise(None)
        columns.append(column.alias(name))
    return grown.select(columns)


def _write(frame: pl.DataFrame, target: Path, resource: dict) -> None:
    dialect = resource.get("dialect", {})
    frame.write_csv(
        target, separator=dialect.get("delimiter", ","), quote_char=dialect.get("quoteChar", '"'), line_terminator="\n"
    )


def _copy_package_files(root: Path, out: Path, descriptor: dict) -> None:
    """The descriptor, site config and docs, and every folder the CSVs live in (documents too)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in (load.DESCRIPTOR_FILE, "mkdocs.yml"):
        if (root / name).is_file():
            shutil.copy(root / name, out / name)
    folders = {Path(r["path"]).parts[0] for r in load.resources(descriptor) if len(Path(r["path"]).parts) > 1} | {"docs"}
    for folder in sorted(folders):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, out / folder, ignore=shutil.ignore_patterns("*.csv"), dirs_exist_ok=True)


def _inject(descriptor: dict, out: Path, errors: list[str], per_type: int) -> None:
    """`per_type` faults of each chosen type, at evenly spread rows of the largest table that can hold it."""
    resources = sorted(load.resources(descriptor), key=lambda r: -(out / r["path"]).stat().st_size)
    for kind in errors:
        for resource in resources:
            if _inject_one(resource, out, kind, per_type):
                break
        else:
            raise BuilderError(f"no table of this package can hold a {kind} error.")


def _inject_one(resource: dict, out: Path, kind: str, count: int) -> bool:
    path = out / resource["path"]
    fields = load.fields(resource)
    if kind in ("missing-cell", "extra-cell", "blank-row"):
        width, comma = len(fields), resource.get("dialect", {}).get("delimiter", ",")
        line = {
            "missing-cell": comma.join(["x"] * (width - 1)),
            "extra-cell": comma.join(["x"] * (width + 1)),
            "blank-row": comma * (width - 1),
        }[kind]
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for _ in range(count)))
        return True
    frame = pl.read_csv(path, infer_schema=False, separator=resource.get("dialect", {}).get("delimiter", ","))
    key = load.primary_key(resource)
    column, value = None, None
    if kind == "type-error":
        column = next((f["name"] for f in fields if f.get("type") in ("integer", "number", "date", "boolean")), None)
        value = "not-a-value"
    elif kind == "required":
        column = next((f["name"] for f in fields if f.get("constraints", {}).get("required") and f["name"] not in key), None)
        value = ""
    elif kind == "enum":
        column = next((f["name"] for f in fields if f.get("constraints", {}).get("enum")), None)
        value = "not-allowed"
    elif kind == "pattern":
        column = next((f["name"] for f in fields if f.get("constraints", {}).get("pattern") and f["name"] not in key), None)
        value = "Not A Match !"
    elif kind == "foreign-key":
        column = next((own[0] for own, _, _ in load.foreign_keys(resource) if len(own) == 1), None)
        value = "no-such-row"
    elif kind == "primary-key" and frame.height > 1:
        column = key[0] if len(key) == 1 else None
    if column is None or frame.height == 0:
        return False
    step = max(1, frame.height // count)
    rows = pl.int_range(0, frame.height, eager=True)
    hit = (rows % step == step - 1) & (rows < step * count)
    if kind == "primary-key":
        replaced = pl.when(hit).then(pl.col(column).shift(1)).otherwise(pl.col(column))
    else:
        replaced = pl.when(hit).then(pl.lit(value)).otherwise(pl.col(column))
    frame = frame.with_columns(replaced.alias(column))
    _write(frame, path, resource)
    return True
