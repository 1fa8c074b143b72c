"""Validate a package: its structure (check.structure), the Table Schema check of every file
(check.schema, worded by check.messages), then our own rules (check.rules), into one Report.

Every fault is a Problem with the file, row (header = row 1), field and a fix a curator can act
on. Nothing here raises for bad data.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import polars as pl

from builder.check import rules
from builder.check.messages import without_type_echoes, without_url_echoes
from builder.check.schema import Resources, check_files, check_tables
from builder.check.structure import check_descriptor
from builder.common.errors import Problem, Report
from builder.history import releases as history
from builder.package import lenient, load, safety, safety_cells, safety_resource, safety_site
from builder.package import story as stories
from builder.package.paths import Paths
from builder.views import derive


def validate_package(paths: Paths, strict: bool = False) -> tuple[Report, dict | None, dict[str, pl.DataFrame]]:
    """Check everything; return the report, the descriptor (titles filled in, schema files read in)
    and the typed tables we could read. `strict`: a missing title, description or key is a problem."""
    report, descriptor, tables, _ = validate_and_derive(paths, strict)
    return report, descriptor, tables


def validate_and_derive(paths: Paths, strict: bool = False) -> tuple[Report, dict | None, dict[str, pl.DataFrame], list]:
    """validate_package, and the views it derived to check them (empty unless the package is valid):
    the build goes on with them rather than deriving them again."""
    descriptor, problems = load.read_descriptor(paths.descriptor)
    report = Report(package=(descriptor or {}).get("name", ""))
    report.add(problems)
    if descriptor is None:
        return report, None, {}, []
    descriptor, unread, inferred = lenient.read_schemas(descriptor, paths.root)
    unsafe = unread or safety.check_descriptor(descriptor, paths.root)
    report.add(unsafe)
    if unsafe:  # nothing more is read from a package that could make us read or fetch elsewhere
        return report, None, {}, []
    descriptor, wanted = lenient.complete(descriptor)
    lenient.apply(report, inferred + wanted, strict)
    package, structure = check_descriptor(descriptor, paths.root, recognise_plain=True)
    report.add(structure)
    report.add(history.check_release_notes(descriptor))  # issue 10: one line per release
    if structure:
        return report, None, {}, []

    unreadable, file_problems = check_files(descriptor, paths.root, utf8=False)
    report.add(file_problems)
    clean: set[str] = set()
    later = {}

    def views_of(tables: dict[str, pl.DataFrame]):
        try:
            return derive.derive(descriptor, tables)
        except Exception as fault:  # noqa: BLE001 (raised below when the rules pass)
            return fault

    def cells_then_rules(tables: dict[str, pl.DataFrame]):
        # rules and pages must never see a control character or a clashing id
        cell_problems = safety_cells.check_tables(descriptor, tables, clean)
        found = [] if cell_problems else rules.check(descriptor, tables, paths.root, unreadable=unreadable)
        return cell_problems, found, safety_cells.long_cells(descriptor, tables)

    def checked(tables: dict[str, pl.DataFrame], faultless: bool):
        # Once every table is read, while the foreign keys are checked: the cells, then the rules;
        # beside them the views and their own checks (invariants, a precision beside every date),
        # which `validate` finds too. Views assume the rules hold: what they find, or a fault they
        # raise, counts only when the rules pass. They start only on tables with no problem so far
        # (a repeated key could make a view's join explode).
        for resource in load.resources(descriptor):
            if resource["name"] in unreadable:
                tables[resource["name"]] = load.empty_table(resource)
        later["checks"] = aside.submit(cells_then_rules, tables)
        if faultless and report.valid:
            later["views"] = aside.submit(views_of, tables)

    with ThreadPoolExecutor(2) as aside:  # the site's pages are checked while Polars reads the tables
        site = aside.submit(site_problems, paths, descriptor)
        tables, table_problems = check_tables(
            Resources(descriptor, paths.root, package), descriptor, paths.root, unreadable, clean=clean, then=checked, quotes=True
        )
        report.add(table_problems)
        report.add(site.result())
        cell_problems, found, long = later["checks"].result()
        derived = later["views"].result() if "views" in later else None
    report.add(cell_problems)
    if not cell_problems:
        found = without_url_echoes(without_type_echoes(found, table_problems), table_problems)
        report.add(found)
    report.warn(long)
    if not report.valid:
        return report, descriptor, tables, []
    if derived is None:  # not started beside the rules (only a package with problems is not)
        derived = views_of(tables)
    if isinstance(derived, Exception):
        raise derived
    views, view_problems = derived
    report.add(view_problems)
    return report, descriptor, tables, views if report.valid else []


def site_problems(paths: Paths, descriptor: dict) -> list[Problem]:
    """The package's mkdocs.yml and hand-written pages (they need no table)."""
    return safety_site.read_site_config(paths.root)[1] + safety_site.check_docs(
        paths.docs, paths.root, generated_names(descriptor), descriptor
    )


def generated_names(descriptor: dict) -> set[str]:
    """Paths and top-level folders the builder writes pages to: hand-written pages may not take them."""
    story = stories.for_package(descriptor)
    names = {"index.md"} | safety_resource.RESERVED_NAMES | {r["name"] for r in load.resources(descriptor)}
    if story:
        names |= set(story.PAGES) | set(story.VIEWS)
    return names
