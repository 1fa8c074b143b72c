"""The `builder` command: thin wrappers that call one stage and format its result."""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import click

from builder import pipeline
from builder.common import progress
from builder.common.errors import BuilderError, InvalidPackage, Report
from builder.package.paths import Paths, drop_process_caches
from builder.package.safety_site import site_url_fault
from builder.tools import scaffold
from builder.tools import synth as synth_module

root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, exists=True),
    default=".",
    show_default=True,
    help="Folder holding datapackage.json.",
)

strict_option = click.option(
    "--strict",
    is_flag=True,
    help="A missing title, description or primary key is a problem, not a warning.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show a traceback when something fails.")
@click.version_option(package_name="ledger-builder")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Validate a Frictionless data package and publish it as a site with downloads."""
    ctx.obj = {"debug": debug}


@cli.command()
@root_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@strict_option
@click.pass_context
def validate(ctx: click.Context, root: str, as_json: bool, strict: bool) -> None:
    """Check the package: Table Schema (types, constraints, keys) and our own rules.

    Exit 0 when valid (warnings alone leave it valid), 1 when any problem is found.

    Example:

        builder validate --root . --json
    """
    progress.enable(progress.wanted(quiet=as_json))
    with pipeline.interruptible():  # SIGTERM unwinds: the spill of a big file leaves $TMPDIR
        report = _run(ctx, lambda: pipeline.validate(Paths.at(root), strict))
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_report(report))
    ctx.exit(0 if report.valid else 1)


@cli.command()
@root_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--site-url",
    envvar="SITE_URL",
    default="",
    help="The address the site is published at (also $SITE_URL): canonical links, sitemap, absolute JSON-LD urls.",
)
@strict_option
@click.pass_context
def build(ctx: click.Context, root: str, quiet: bool, site_url: str, strict: bool) -> None:
    """Validate, derive views, export downloads and build the site.

    Everything is built in .build/ and swapped into dist/ and site/ only when every stage
    succeeds, so a failed build leaves the previous outputs untouched.

    Example:

        SOURCE_DATE_EPOCH=1700000000 builder build --root .

        SITE_URL=https://example.org/ledger/ builder build
    """
    fault = site_url_fault(site_url) if site_url else None
    if fault:
        raise click.BadParameter(fault, param_hint="--site-url")
    echo = (lambda line: None) if quiet else click.echo
    progress.enable(progress.wanted(quiet))  # a progress line on a terminal only, never in logs or CI
    with pipeline.interruptible():
        _run(ctx, lambda: pipeline.build(Paths.at(root), echo=echo, site_url=site_url, strict=strict))


@cli.command()
@root_option
@click.option(
    "--rows", type=click.IntRange(min=1), required=True, help="About how many rows in all (whole copies of the package's rows)."
)
@click.option("--out", type=click.Path(file_okay=False), required=True, help="Empty or new folder for the package.")
@click.option(
    "--errors",
    default="",
    help=f"Comma-separated error types to inject, 10 of each: {', '.join(synth_module.ERROR_TYPES)}.",
)
@click.option(
    "--distinct", is_flag=True, help="Redraw every value at random (seeded), as real data looks, instead of whole copies."
)
@click.option(
    "--related",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="With --distinct: about how many rows point at each row of the most referenced table (the sources).",
)
@click.option(
    "--documents",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="With --distinct: how many documents hold the quotes.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="With --distinct: the same seed writes the same bytes.")
@click.pass_context
def synth(
    ctx: click.Context, root: str, rows: int, out: str, errors: str, distinct: bool, related: int, documents: int, seed: int
) -> None:
    """Write a large package of this package's own shape, every rule satisfied, for benchmarks.

    Example:

        builder synth --rows 1000000 --out /tmp/ledger-1m --errors type-error,foreign-key
        builder synth --rows 1000000 --out /tmp/ledger-1m-distinct --distinct --related 20
    """
    wanted = [e.strip() for e in errors.split(",") if e.strip()]
    options = {"distinct": distinct, "related": related, "documents": documents, "seed": seed}
    counts = _run(ctx, lambda: synth_module.synth(Paths.at(root).root, Path(out), rows, wanted, **options))
    click.echo(f"{sum(counts.values())} rows in {len(counts)} tables written to {out}")


@cli.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, exists=True))
@click.option("--title", help="The package's title (asked for when missing).")
@click.option("--description", help="What the data is, in a sentence or two (asked for when missing).")
@click.option("--licence", "--license", "licence", help=f"Licence of the data, e.g. {', '.join(scaffold.LICENCES)}.")
@click.option("--yes", "-y", is_flag=True, help="Ask nothing: take the defaults for what is not given.")
@click.option("--force", is_flag=True, help="Replace an existing datapackage.json.")
@click.pass_context
def init(
    ctx: click.Context, folder: str, title: str | None, description: str | None, licence: str | None, yes: bool, force: bool
) -> None:
    """Describe a folder of CSVs as a data package the builder publishes.

    Infers each table's columns and types, proposes primary and foreign keys, and writes
    datapackage.json, mkdocs.yml, a Makefile and a GitHub Pages workflow (files that exist
    already are kept). Nothing is written when a CSV cannot be used.

    Example:

        builder init my-data --title "My data" --description "What it holds." --licence CC-BY-4.0 --yes
    """
    root = Path(folder)
    found = _run(ctx, lambda: scaffold.survey(root, force))
    for line in found.skipped:
        click.echo(f"skipped {line}", err=True)
    answers = {}
    for option, given, default in (
        ("title", title, scaffold.default_title(root)),
        ("description", description, scaffold.default_description(found)),
        ("licence", licence, scaffold.DEFAULT_LICENCE),
    ):
        if given is not None and not given.strip():
            _run(ctx, lambda option=option: _refuse(f"--{option} is empty; give the package a {option}."))
        answers[option] = given if given is not None else default if yes else click.prompt(option.capitalize(), default=default)
    package = scaffold.descriptor(found, answers["title"].strip(), answers["description"].strip(), answers["licence"])
    written, kept = _run(ctx, lambda: scaffold.write(found, package))
    for table in found.tables:
        keys = f"key {', '.join(table.key)}" if table.key else "no key found"
        refers = "".join(f"; {fk['fields'][0]} → {fk['reference']['resource']}" for fk in table.foreign)
        rows = f"{table.rows:,} row{'s' if table.rows != 1 else ''}"
        click.echo(f"{table.path}: table {table.name}, {rows}, {keys}{refers}")
    click.echo(f"wrote {', '.join(written)}" + (f"; kept your {', '.join(kept)}" if kept else ""))
    for line in scaffold.left_to_decide(found):
        click.echo(f"left to decide: {line}")
    click.echo("next: builder validate, then builder build (or make build)")


def _refuse(message: str):
    raise BuilderError(message)


@cli.command()
@root_option
@click.option("--port", default=8000, show_default=True, help="Port on localhost.")
@click.pass_context
def serve(ctx: click.Context, root: str, port: int) -> None:
    """Serve the built site/ on localhost (run `builder build` first).

    Example:

        builder serve --port 8000
    """
    _run(ctx, lambda: pipeline.serve(Paths.at(root), port=port, echo=click.echo))


@cli.command()
@root_option
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON (shape documented in builder/history/diff.py).")
@click.option("--markdown", is_flag=True, help="Print Markdown, e.g. for a pull-request summary.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(min=1), help="Changes listed per table.")
@click.pass_context
def diff(ctx: click.Context, root: str, old: str | None, new: str | None, as_json: bool, markdown: bool, limit: int) -> None:
    """What changed between two versions: rows added, removed and changed, and schema changes.

    OLD and NEW are release versions (0.1.0), commits or package folders; OLD defaults to the
    last release and NEW to the working tree. Exit 0 with the diff, 1 on an error.

    Example:

        builder diff 0.1.0 --markdown
    """
    from builder.history import changes

    _run(ctx, lambda: click.echo(changes.diff_command(Paths.at(root), old, new, as_json, markdown, limit), nl=False))


def _run(ctx: click.Context, action):
    """Turn our errors into a message and exit 1; tracebacks only with --debug."""
    try:
        return action()
    except InvalidPackage as error:
        click.echo(format_report(error.report), err=True)
        if ctx.obj["debug"]:
            raise
        ctx.exit(1)
    except BuilderError as error:
        if ctx.obj["debug"]:
            raise
        click.echo(f"Error: {error}", err=True)
        ctx.exit(1)
    finally:
        drop_process_caches()  # a cache no later command can name is not left behind


SHOWN_PER_KIND = 10  # problems printed per file, field and type; --json carries every one


def format_report(report: Report, shown: int = SHOWN_PER_KIND) -> str:
    """Problems grouped by file, each with row, field, type and the fix; then any warnings.

    A file with many problems of one kind (a column of bad dates) shows the count per field and
    type, then the first `shown` of each.
    """
    listed = report.sorted_warnings()  # worth fixing, but the package is valid: a section of their own
    count = len(listed)
    heading = [f"Warnings ({count}):"] if listed else []
    warnings = heading + _grouped(listed, prefix="warning ", shown=shown)
    if report.valid:
        return "\n".join([f"The package {report.package or 'at this root'} is valid.", *warnings])
    problems = report.sorted_problems()  # sorted once; _grouped keeps that order within each file
    lines = _grouped(problems, shown=shown) + warnings
    count, files = len(problems), len({p.path for p in problems})
    lines.append(
        f"{count:,} problem{'s' if count != 1 else ''} in {files} file{'s' if files != 1 else ''}: the package is not valid."
    )
    return "\n".join(lines)


def _grouped(problems, prefix: str = "", shown: int = SHOWN_PER_KIND) -> list[str]:
    by_path: dict[str, list] = {}
    for p in problems:
        by_path.setdefault(p.path, []).append(p)
    lines = []
    for path, items in by_path.items():
        lines.append(path)
        # A type found in more fields than are shown (a header of 20,000 stray labels) is counted
        # and shown as one kind, not field by field.
        fields_of = Counter(type_ for _, type_ in {(p.field or "", p.type) for p in items})
        wide = {type_ for type_, count in fields_of.items() if count > shown}

        def kind_of(p, wide=wide) -> tuple[str, str]:
            return ("", p.type) if p.type in wide else (p.field or "", p.type)

        kinds = Counter(kind_of(p) for p in items)
        if any(count > shown for count in kinds.values()):
            for (field, kind), count in sorted(kinds.items(), key=lambda item: (-item[1], item[0])):
                spread = f" in {fields_of[kind]:,} fields" if kind in wide else ""
                lines.append(f"  {prefix}{count:,} × {'field ' + field + ' ' if field else ''}[{kind}]{spread}")
        printed: Counter = Counter()
        for p in items:
            kind = kind_of(p)
            printed[kind] += 1
            if printed[kind] > shown:
                continue
            where = ", ".join(
                part for part in (f"row {p.row}" if p.row is not None else "", f"field {p.field}" if p.field else "") if part
            )
            lines.append(f"  {prefix}{where or 'file'} [{p.type}]: {p.message}")
            if p.fix:
                lines.append(f"      fix: {p.fix}")
            if printed[kind] == shown and kinds[kind] > shown:
                lines.append(f"  … {kinds[kind] - shown:,} more like this (builder validate --json lists them all)")
    return lines


def main() -> None:
    """The `builder` command. When it is done, the process ends at once: freeing a million loaded
    rows one object at a time took a twentieth of a second that the operating system does for free.
    Every command has finished its work and cleaned up its folders before it returns."""
    try:
        cli(prog_name="builder")
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
