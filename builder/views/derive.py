"""Derived views: named Polars frames computed from the typed tables, with their invariants.

The views themselves belong to the package's story (builder/stories/); this module gives them
a common shape, checks their invariants and describes them as Table Schema for publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from builder.common.errors import Problem
from builder.package import story as stories


@dataclass
class View:
    """A derived table: its frame, what it means, and what each column holds."""

    name: str
    title: str
    description: str
    frame: pl.DataFrame
    fields: dict[str, str]  # column -> description
    primary_key: list[str]
    invariants: list[tuple[str, str, bool]] = field(default_factory=list)  # (type, message, holds)
    order: list[str] = field(default_factory=list)  # row order of the downloads when not the primary key
    # What a column's values name, so pages show words, not codes (downloads keep the codes):
    # `references`: column -> the table whose rows its ids are, or "@column" for the table a row's
    # other column names (a timeline event's subject); `categories`: column -> "table.column", whose
    # v2 categories it shares, or its own list of {"value", "label"}. Categories are published in the
    # schema as data; references only guide the site (a view's ids need not all be rows), and the
    # categories of a references column are only the words for its values that name no row.
    references: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str | list[dict]] = field(default_factory=dict)
    # The column that says what a row is in words (the timeline's `label`): pages show it for the
    # view's own id, which names nothing a reader knows.
    words: str | None = None

    @property
    def sort_by(self) -> list[str]:
        return self.order or self.primary_key

    def problems(self) -> list[Problem]:
        return [
            Problem(f"views/{self.name}", None, None, kind, message, "Check the seed rows this view is built from.", self.name)
            for kind, message, holds in self.invariants
            if not holds
        ]


def derive(descriptor: dict, tables: dict[str, pl.DataFrame]) -> tuple[list[View], list[Problem]]:
    """Every view of the package's story, sorted by name, and the invariants that fail."""
    story = stories.for_package(descriptor)
    views = sorted(story.views(tables), key=lambda v: v.name) if story else []
    problems = [problem for view in views for problem in view.problems()]
    for view in views:
        problems.extend(undeclared_precision(view))
        missing = set(view.frame.columns) ^ set(view.fields)
        if missing:
            problems.append(
                Problem(
                    f"views/{view.name}",
                    None,
                    ", ".join(sorted(missing)),
                    "view-undocumented",
                    "Columns and their descriptions differ.",
                    "Describe every column of the view.",
                )
            )
    return views, problems


PRECISIONS = ("day", "month", "year", "unknown")
PRECISION_CATEGORIES = [{"value": p, "label": p.capitalize()} for p in PRECISIONS]


def precision_column(name: str) -> str:
    """The column that says how exact the date column `name` is: `date` → `date_precision`,
    `departure_date` → `departure_precision`, `month` → `month_precision`."""
    return name.removesuffix("_date") + "_precision" if name.endswith("_date") else f"{name}_precision"


def undeclared_precision(view: View) -> list[Problem]:
    """Every date column of a view sits next to its precision, so no download shows a month as a day."""
    problems = []
    for name, dtype in view.frame.schema.items():
        if dtype != pl.Date:
            continue
        precision = precision_column(name)
        if precision not in view.frame.columns:
            problems.append(
                Problem(
                    f"views/{view.name}",
                    None,
                    name,
                    "view-date-without-precision",
                    f"Date column `{name}` has no `{precision}` column beside it.",
                    f"Add `{precision}` (one of {', '.join(PRECISIONS)}) to the view.",
                    view.name,
                )
            )
            continue
        unknown = set(view.frame[precision].drop_nulls().unique()) - set(PRECISIONS)
        blank = view.frame.filter(pl.col(name).is_not_null() & pl.col(precision).is_null()).height
        if unknown or blank:
            problems.append(
                Problem(
                    f"views/{view.name}",
                    None,
                    precision,
                    "view-precision-invalid",
                    f"`{precision}` holds {', '.join(sorted(map(repr, unknown))) or 'no value'} for some dates.",
                    f"Give every date one of {', '.join(PRECISIONS)}.",
                    view.name,
                )
            )
    return problems


TABLE_SCHEMA_TYPES = {
    pl.Int64: "integer",
    pl.Int32: "integer",
    pl.UInt32: "integer",
    pl.UInt64: "integer",
    pl.Float64: "number",
    pl.Boolean: "boolean",
    pl.Date: "date",
    pl.String: "string",
}


def view_categories(view: View, descriptor: dict | None) -> dict[str, list[dict]]:
    """A view's vocabularies as v2 categories: its own lists, and those it shares with a table's column."""
    fields = {
        (resource.get("name"), f.get("name")): f
        for resource in (descriptor or {}).get("resources", [])
        if isinstance(resource, dict) and isinstance(resource.get("schema"), dict)
        for f in resource["schema"].get("fields", [])
        if isinstance(f, dict)
    }
    out = {}
    for name, spec in view.categories.items():
        if name in view.references:
            continue  # words for the ids that are no row: the column is not a closed list
        if isinstance(spec, str):
            categories = fields.get(tuple(spec.split(".", 1)), {}).get("categories")
            if isinstance(categories, list):
                out[name] = [dict(c) if isinstance(c, dict) else {"value": c} for c in categories]
        else:
            out[name] = [dict(c) for c in spec]
    return out


def view_schema(view: View, descriptor: dict | None = None) -> dict:
    """Table Schema for a view, from its Polars dtypes and column descriptions; `descriptor` gives
    the categories a view shares with a table's column."""
    fields = []
    vocabularies = view_categories(view, descriptor)
    precision_of = {
        name: precision_column(name)
        for name, dtype in view.frame.schema.items()
        if dtype == pl.Date and precision_column(name) in view.frame.columns
    }
    for name, dtype in view.frame.schema.items():
        kind = TABLE_SCHEMA_TYPES.get(dtype.base_type(), "string")
        item = {"name": name, "type": kind, "title": name.replace("_", " ").capitalize(), "description": view.fields[name]}
        if kind == "date":
            item["format"] = "%Y-%m-%d"
        if precision_of.get(name):
            # The date column names its precision column, so a reader of the CSV knows "2023-06-01" may mean June 2023.
            item["description"] += (
                f" Read with `{precision_of[name]}`: a month- or year-precision date is stored as the period's first day."
            )
        if name in precision_of.values():
            item["constraints"] = {"enum": list(PRECISIONS)}
            item["categories"] = [dict(c) for c in PRECISION_CATEGORIES]
        if name in vocabularies:
            item["categories"] = vocabularies[name]
        fields.append(item)
    return {"fields": fields, "primaryKey": view.primary_key}
