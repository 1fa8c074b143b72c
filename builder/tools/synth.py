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

import csv
import io
import os
import shutil
from pathlib import Path

import polars as pl

from builder.common.errors import BuilderError, InvalidPackage, Report
from builder.package import csvreader, load, safety
from builder.package.paths import inside
from builder.tools import distinct as redrawn

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


def synth(
    root: Path,
    out: Path,
    rows: int,
    errors: list[str],
    per_type: int = 10,
    *,
    distinct: bool = False,
    related: int = 20,
    documents: int = 10,
    seed: int = 0,
) -> dict[str, int]:
    """Write the package at `root`, scaled to about `rows` rows, to `out`; return rows per table.

    `distinct`: every value redrawn at random (builder/tools/distinct.py), about `related` rows of the
    link table (citations) for each row it can name, the quotes written into `documents` documents."""
    descriptor, problems = load.read_descriptor(root / load.DESCRIPTOR_FILE)
    if descriptor is None:
        raise BuilderError(problems[0].message)
    # The checks `validate` and `build` run before reading anything (paths that lead out, remote references).
    unsafe = safety.check_descriptor(descriptor, root)
    if unsafe:
        raise InvalidPackage(Report(package=str(descriptor.get("name", "")), problems=unsafe))
    unknown = sorted(set(errors) - set(ERROR_TYPES))
    if unknown:
        raise BuilderError(f"unknown error type(s) {', '.join(unknown)}; choose from {', '.join(ERROR_TYPES)}.")
    resources = load.resources(descriptor)
    raw = {r["name"]: _raw(r, root) for r in resources}
    total = sum(frame.height for frame in raw.values())
    if total == 0:
        raise BuilderError("the package has no rows to copy.")
    fixed = _uncopyable(resources)
    link, extra = redrawn.link_table([r for r in resources if r["name"] not in fixed]) if distinct else None, 0
    if link:
        entities = sum(raw[name].height for name in link[1])
        extra = max(0, round(related - raw[link[0]["name"]].height / max(1, entities)))
        total += entities * extra  # the rows one copy will have
    copies = max(1, round(rows / total))
    ids = _ids([r for r in resources if r["name"] not in fixed], raw)
    if out.exists() and any(out.iterdir()):
        raise BuilderError(f"{out} is not empty; give an empty or new folder.")
    _copy_package_files(root, out, descriptor)
    frames = {}
    for resource in resources:
        copied = 1 if resource["name"] in fixed else copies
        frames[resource["name"]] = _scaled(resource, raw[resource["name"]], ids, copied, keep=distinct)
    texts = {}
    if distinct:
        for resource in resources:
            if resource["name"] not in fixed:
                id_columns = _id_columns(resource)
                frames[resource["name"]] = redrawn.redraw(resource, frames[resource["name"]], id_columns, seed)
        texts = redrawn.documents([r for r in resources if r["name"] not in fixed], frames, documents)
        if link and extra:
            frames[link[0]["name"]] = redrawn.more_links(link[0], link[1], frames, resources, extra, seed)
    counts = {}
    for resource in resources:
        frame = frames.pop(resource["name"]).drop(COPY, strict=False)
        counts[resource["name"]] = frame.height
        target = out / resource["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(frame, target, resource)
    for path, text in sorted(texts.items()):
        inside(out, path).write_text(text, encoding="utf-8")
    if errors:
        _inject(descriptor, out, errors, per_type)
    return counts


def _uncopyable(resources: list[dict]) -> set[str]:
    """Tables written once, not copied: vocabularies (an enumerated key, or a key other tables
    reference from an enumerated column, like verdicts) and tables with a required unique value
    that no suffix can keep unique (a rank)."""
    fixed = set()
    for resource in resources:
        key = load.primary_key(resource)
        fields = load.fields(resource)
        if key and all(f.get("constraints", {}).get("enum") for f in fields if f["name"] in key):
            fixed.add(resource["name"])
        for f in fields:
            constraints = f.get("constraints", {})
            if (
                constraints.get("unique")
                and constraints.get("required")
                and f.get("type", "string") != "string"
                and f["name"] not in key
            ):
                fixed.add(resource["name"])
        enumerated = {f["name"] for f in fields if f.get("constraints", {}).get("enum")}
        for own, target, _ in load.foreign_keys(resource):
            if set(own) <= enumerated:
                fixed.add(target)
    return fixed


def _raw(resource: dict, root: Path) -> pl.DataFrame:
    """The CSV's cells as text, columns named by the schema."""
    parsed = csvreader.parse_csv(inside(root, resource["path"]), resource.get("dialect", {}))
    names = [f["name"] for f in load.fields(resource)]
    # An empty cell stays null, so it is written unquoted, as curators write it (Polars quotes "").
    return parsed.cells.select(
        pl.col(f"c{j}").replace("", None).alias(name) for j, name in enumerate(names) if f"c{j}" in parsed.cells.columns
    )


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


def _id_columns(resource: dict) -> set[str]:
    """The columns whose values name rows (and get a copy's suffix)."""
    fields = {f["name"]: f for f in load.fields(resource)}
    keys = set(load.primary_key(resource)) | {f for own, _, _ in load.foreign_keys(resource) for f in own}
    return {
        name
        for name in fields
        if (name in keys or name.endswith("row_id")) and not fields[name].get("constraints", {}).get("enum")
    }


def _scaled(resource: dict, frame: pl.DataFrame, ids: pl.Series, copies: int, keep: bool = False) -> pl.DataFrame:
    """`copies` copies of the table's rows; `keep` keeps the copy number (COPY) for distinct.redraw."""
    fields = {f["name"]: f for f in load.fields(resource)}
    keys = set(load.primary_key(resource)) | {f for own, _, _ in load.foreign_keys(resource) for f in own}
    copy = pl.DataFrame({COPY: pl.int_range(0, copies, eager=True, dtype=pl.Int64)})
    grown = copy.join(frame, how="cross")
    columns = [pl.col(COPY)] if keep else []
    for name in frame.columns:
        column = pl.col(name)
        field = fields.get(name, {})
        constraints = field.get("constraints", {})
        unique = constraints.get("unique") and name not in keys
        suffix, first = pl.lit("-s") + pl.col(COPY).cast(pl.String), pl.col(COPY) == 0
        if name in _id_columns(resource):
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
    """The descriptor, site config and docs, and every folder the CSVs live in (documents too).

    Only the package's own files are copied: a symbolic link anywhere is refused (its target, which
    may be anywhere, is never copied), and hidden files and folders (.git/, .build/) are left out."""
    out.mkdir(parents=True, exist_ok=True)
    for name in (load.DESCRIPTOR_FILE, "mkdocs.yml"):
        _refuse_link(root, name)
        if (root / name).is_file():
            shutil.copy(root / name, out / name)
    folders = {Path(r["path"]).parts[0] for r in load.resources(descriptor) if len(Path(r["path"]).parts) > 1} | {"docs"}
    for folder in sorted(folders - {"."}):
        _refuse_link(root, folder)
        for top, dirs, files in os.walk(root / folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            here = Path(top).relative_to(root)
            for name in [*dirs, *sorted(files)]:
                _refuse_link(root, (here / name).as_posix())
            (out / here).mkdir(parents=True, exist_ok=True)
            for name in sorted(files):
                if not name.startswith(".") and not name.endswith(".csv"):
                    shutil.copyfile(root / here / name, out / here / name)


def _refuse_link(root: Path, relative: str) -> None:
    if (root / relative).is_symlink():
        raise BuilderError(
            f"{relative} is a symbolic link; synth copies only the package's own files and never follows a link:"
            " replace it with the file or folder it points to."
        )


# Faults in the shape of a row (written into the CSV's lines, not into a cell).
ROW_SHAPED = ("missing-cell", "extra-cell", "blank-row", "primary-key")


def _inject(descriptor: dict, out: Path, errors: list[str], per_type: int) -> None:
    """`per_type` faults of each chosen type at spread-out rows of the largest table that can hold it.

    Each type hits its own rows, and no fault removes an id, so one fault gives one problem.
    """
    resources = sorted(load.resources(descriptor), key=lambda r: -(out / r["path"]).stat().st_size)
    for number, kind in enumerate(sorted(errors, key=lambda kind: kind in ROW_SHAPED)):  # row shapes last
        for resource in resources:
            if _inject_one(resource, out, kind, per_type, number):
                break
        else:
            raise BuilderError(f"no table of this package can hold a {kind} error.")


def _hits(height: int, count: int, number: int) -> list[int]:
    step = max(1, height // max(1, count))
    return sorted({min(height - 1, i * step + (number % step)) for i in range(min(count, height))})


def _inject_one(resource: dict, out: Path, kind: str, count: int, number: int) -> bool:
    path = out / resource["path"]
    fields = load.fields(resource)
    comma = resource.get("dialect", {}).get("delimiter", ",")
    frame = pl.read_csv(path, infer_schema=False, separator=comma, truncate_ragged_lines=True)
    if frame.height == 0:
        return False
    hits = _hits(frame.height, count, number)
    if kind in ROW_SHAPED:
        return _inject_rows(path, resource, kind, hits, comma, frame.height)
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
    if column is None:
        return False
    hit = pl.int_range(0, frame.height, eager=True).is_in(hits)
    frame = frame.with_columns(pl.when(hit).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))
    _write(frame, path, resource)
    return True


def _inject_rows(path: Path, resource: dict, kind: str, hits: list[int], comma: str, height: int) -> bool:
    """Faults in the shape of a row: a cell short, a cell too many, a blank row, a repeated key."""
    if kind == "primary-key" and len(load.primary_key(resource)) == 0:
        return False
    lines = path.read_text(encoding="utf-8").split("\n")
    if len(lines) != height + 2:
        return False  # a record spans lines; keep it simple and pick another table
    for index in reversed(hits):
        line = index + 1  # the header is line 0
        cells = next(csv.reader([lines[line]], delimiter=comma))
        text = io.StringIO()
        writer = csv.writer(text, delimiter=comma, lineterminator="")
        if kind == "missing-cell":
            writer.writerow(cells[:-1])
            lines[line] = text.getvalue()
        elif kind == "extra-cell":
            writer.writerow([*cells, "extra"])
            lines[line] = text.getvalue()
        elif kind == "blank-row":
            lines.insert(line + 1, comma * (len(cells) - 1))
        else:  # the same row again: its key repeats, nothing else changes
            lines.insert(line + 1, lines[line])
    path.write_text("\n".join(lines), encoding="utf-8")
    return True
