"""The Llama Ledger story: rules, views and home-page figures specific to this package."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import polars as pl

from builder.stories import llama_search, sourcing
from builder.stories.llama_cards import card_figures, cards  # noqa: F401 (the story's share cards, read by builder/ogimage)
from builder.stories.llama_home import home_story
from builder.stories.llama_lists import index_context  # noqa: F401  (render's hook for index pages)
from builder.views import plugin
from builder.views.plugin import ROW, Problem, View, charts, format_date, resources
from builder.views.plugin import numbered as _rows

PAPER_AUTHORS = 14  # LLaMA: Open and Efficient Foundation Language Models (arXiv 2302.13971)
# The tables and columns the story's rules, views and pages read: checked before they run.
REQUIRES = {
    "claims": ["claim_id", "document_id", "quote", "verdict", "rationale"],
    "claim_evidence": ["claim_id", "source_id", "stance"],
    "people": ["person_id", "name", "status", "status_as_of", "llama_paper_position", "source_id"],
    "departures": ["departure_id", "person_id", "from_org_id", "to_org_id", "date", "date_precision", "confidence"],
    "releases": ["release_id", "model_id", "date", "date_precision", "event"],
    "models": ["model_id", "name", "developer_org_id", "family", "predecessor_id"],
    "organizations": ["org_id", "name", "founded", "founded_precision"],
    "sources": ["source_id", "title", "tier", "published"],
}
VIEWS = [
    "author_retention",
    "author_status",
    "departures_by_destination",
    "release_cadence",
    "source_usage",
    "timeline",
    "verdict_summary",
]


def check(descriptor: dict, tables: dict[str, pl.DataFrame], root: Path) -> list[Problem]:
    # Problems name each table's file as the descriptor gives it, wherever the package keeps its CSVs.
    paths = {resource["name"]: resource["path"] for resource in resources(descriptor)}
    problems: list[Problem] = []
    for rule in (
        evidence_for_every_claim,
        status_matches_departures,
        paper_positions,
        departure_dates,
        status_dated_by_source,
        undated_exits,
        releases_after_predecessor,
        subjects_for_every_claim,
        sourcing.sourcing_policy,
        sourcing.dated_sources,
        sourcing.rationale_counts,
        sourcing.licence_sizes,
    ):
        problems.extend(rule(tables, paths))
    return problems


def evidence_for_every_claim(tables, paths):
    claims, evidence = tables["claims"], tables["claim_evidence"]
    lacking = _rows(claims).join(evidence.select("claim_id").unique(), on="claim_id", how="anti")
    for row, claim_id in lacking.filter(pl.col("claim_id").is_not_null()).select(ROW, "claim_id").rows():
        yield Problem(
            paths["claims"],
            row,
            "claim_id",
            "claim-without-evidence",
            f"Claim `{claim_id}` has no evidence row.",
            f"Add at least one row for it to {paths['claim_evidence']} (stance supports, refutes or context).",
            "claims",
        )


def status_matches_departures(tables, paths):
    people, departures = tables["people"], tables["departures"]
    has_departure = pl.col("person_id").is_in(departures["person_id"].drop_nulls().implode()).fill_null(False)
    status = pl.col("status")
    suspects = _rows(people).filter(((status == "left") & ~has_departure) | ((status == "at-meta") & has_departure))
    for row, person_id, status in suspects.select(ROW, "person_id", "status").rows():  # only the rows at fault
        if status == "left":
            yield Problem(
                paths["people"],
                row,
                "status",
                "left-without-departure",
                f"`{person_id}` has status left but no row in departures.",
                f"Add the departure to {paths['departures']}, or correct the status.",
                "people",
            )
        if status == "at-meta":
            yield Problem(
                paths["people"],
                row,
                "status",
                "at-meta-with-departure",
                f"`{person_id}` has status at-meta but has a departure.",
                "Set the status to left, or remove the departure.",
                "people",
            )


def paper_positions(tables, paths):
    positions = set(tables["people"]["llama_paper_position"].drop_nulls())
    missing = sorted(set(range(1, PAPER_AUTHORS + 1)) - positions)
    if missing:
        yield Problem(
            paths["people"],
            None,
            "llama_paper_position",
            "paper-author-missing",
            f"No person holds LLaMA paper position(s) {', '.join(map(str, missing))}.",
            f"Add every one of the paper's {PAPER_AUTHORS} authors with their position.",
            "people",
        )


def departure_dates(tables, paths):
    """A departure (or, undated, the report that it happened) cannot come after the person's status report."""
    joined = _rows(_known_by(tables["departures"])).join(
        tables["people"].select("person_id", "status_as_of"), on="person_id", how="left"
    )
    late = joined.filter(pl.col("known_by") > pl.col("status_as_of")).with_columns(date=pl.col("known_by"))
    for row, person_id, date, as_of in late.select(ROW, "person_id", "date", "status_as_of").rows():
        yield Problem(
            paths["departures"],
            row,
            "date",
            "departure-after-status",
            f"`{person_id}` left on {date}, after their status date {as_of}.",
            "Correct the date, or update the person's `status_as_of` to the report that covers it.",
            "departures",
        )


def status_dated_by_source(tables, paths):
    """`status_as_of` is the publication date of the report cited for the status, so the two cannot drift apart."""
    published = tables["sources"].select("source_id", "published")
    joined = _rows(tables["people"]).join(published, on="source_id", how="inner")
    wrong = joined.filter(pl.col("published").is_null() | (pl.col("published") != pl.col("status_as_of")))
    for row, person_id, as_of, source_id, date in wrong.select(ROW, "person_id", "status_as_of", "source_id", "published").rows():
        yield Problem(
            paths["people"],
            row,
            "status_as_of",
            "status-date-mismatch",
            f"`{person_id}` has status as of {as_of}, but its source `{source_id}` is "
            + (f"dated {date}." if date else "undated."),
            "Set `status_as_of` to the source's publication date, or cite a dated report of the status.",
            "people",
        )


def _known_by(departures: pl.DataFrame) -> pl.DataFrame:
    """The date a departure is known to have happened by: its own date, else `left_by`."""
    left_by = pl.col("left_by") if "left_by" in departures.columns else pl.lit(None, dtype=pl.Date)
    return departures.with_columns(pl.coalesce("date", left_by).alias("known_by"))


def undated_exits(tables, paths):
    """`left_by` is the report date of an exit whose own date is unknown, and only of such an exit."""
    departures = tables["departures"]
    if "left_by" not in departures.columns:
        return
    for row, precision, left_by in _rows(departures).select(ROW, "date_precision", "left_by").rows():
        if precision == "unknown" and left_by is None:
            yield Problem(
                paths["departures"],
                row,
                "left_by",
                "undated-exit-without-report",
                "The exit's date is unknown but `left_by` is empty.",
                "Write the publication date of the earliest source that reports the person had left.",
                "departures",
            )
        elif precision != "unknown" and left_by is not None:
            yield Problem(
                paths["departures"],
                row,
                "left_by",
                "left-by-with-date",
                f"`left_by` is {left_by} but the exit's date is known.",
                "Empty `left_by`, or empty `date` and set `date_precision` to unknown.",
                "departures",
            )


def subjects_for_every_claim(tables, paths):
    """Every claim is tied to at least one model, person or organization it is about."""
    links = [name for name in ("claim_models", "claim_people", "claim_organizations") if name in tables]
    if not links:
        return
    tied = pl.concat([tables[name].select("claim_id") for name in links]).unique()
    lacking = _rows(tables["claims"]).join(tied, on="claim_id", how="anti")
    for row, claim_id in lacking.filter(pl.col("claim_id").is_not_null()).select(ROW, "claim_id").rows():
        yield Problem(
            paths["claims"],
            row,
            "claim_id",
            "claim-without-subject",
            f"Claim `{claim_id}` is not tied to any model, person or organization.",
            f"Add a row for it to {', '.join(paths[name] for name in links)}.",
            "claims",
        )


def releases_after_predecessor(tables, paths):
    """A model is not released before the model it succeeds."""
    first = tables["releases"].group_by("model_id").agg(pl.col("date").min().alias("first"))
    models = (
        _rows(tables["models"])
        .join(first, on="model_id", how="left")
        .join(first.rename({"model_id": "predecessor_id", "first": "predecessor_first"}), on="predecessor_id", how="left")
    )
    early = models.filter(pl.col("first") < pl.col("predecessor_first"))
    for row, model_id, first_date, predecessor, before in early.select(
        ROW, "model_id", "first", "predecessor_id", "predecessor_first"
    ).rows():
        yield Problem(
            paths["models"],
            row,
            "predecessor_id",
            "release-before-predecessor",
            f"`{model_id}` first appears on {first_date}, before its predecessor `{predecessor}` ({before}).",
            "Check the predecessor and both models' release dates.",
            "models",
        )


# ---------------------------------------------------------------- views


def views(tables: dict[str, pl.DataFrame]) -> list:
    return [
        timeline(tables),
        author_status(tables),
        author_retention(tables),
        departures_by_destination(tables),
        release_cadence(tables),
        verdict_summary(tables),
        source_usage(tables),
    ]


RELEASE_EVENTS = ("released", "open-weights")  # the moments a model became usable


def timeline(tables) -> object:
    models = tables["models"].select("model_id", "name")
    releases = (
        tables["releases"]
        .join(models, on="model_id", how="left")
        .select(
            "date",
            "date_precision",
            pl.concat_str(pl.lit("model-"), "event").alias("kind"),
            pl.lit("models").alias("subject_table"),
            pl.col("model_id").alias("subject_id"),
            pl.concat_str("name", pl.lit(" "), "event", ignore_nulls=True).alias("label"),
            "source_id",
            pl.lit(None, dtype=pl.Date).alias("left_by"),
        )
    )
    people = tables["people"].select("person_id", pl.col("name").alias("person"))
    orgs = tables["organizations"].select("org_id", pl.col("name").alias("org"))
    # Every departure, dated or not: an exit whose date is unknown is listed at the report that says it happened.
    departures = (
        _known_by(tables["departures"])
        .join(people, on="person_id", how="left")
        .join(orgs, left_on="to_org_id", right_on="org_id", how="left")
        .select(
            "date",
            "date_precision",
            pl.lit("departure").alias("kind"),
            pl.lit("people").alias("subject_table"),
            pl.col("person_id").alias("subject_id"),
            pl.when(pl.col("org").is_null())
            .then(pl.concat_str("person", pl.lit(" leaves Meta")))
            .otherwise(pl.concat_str("person", pl.lit(" leaves for "), "org"))
            .alias("label"),
            "source_id",
            pl.when(pl.col("date").is_null()).then("known_by").alias("left_by"),
        )
    )
    founded = (
        tables["organizations"]
        .filter(pl.col("founded").is_not_null())
        .select(
            pl.col("founded").alias("date"),
            pl.col("founded_precision").alias("date_precision"),
            pl.lit("organization-founded").alias("kind"),
            pl.lit("organizations").alias("subject_table"),
            pl.col("org_id").alias("subject_id"),
            pl.concat_str("name", pl.lit(" founded")).alias("label"),
            "source_id",
            pl.lit(None, dtype=pl.Date).alias("left_by"),
        )
    )
    reports = (
        tables["sources"]
        .filter(pl.col("published").is_not_null() & (pl.col("kind") == "news"))
        .select(
            pl.col("published").alias("date"),
            pl.lit("day").alias("date_precision"),
            pl.lit("report").alias("kind"),
            pl.lit("sources").alias("subject_table"),
            pl.col("source_id").alias("subject_id"),
            # A bracketed title means the headline was not seen: the report is named by its publisher.
            pl.when(pl.col("title").str.starts_with("["))
            .then(pl.concat_str("publisher", pl.lit(" report")))
            .otherwise(pl.concat_str("publisher", pl.lit(": "), "title"))
            .alias("label"),
            "source_id",
            pl.lit(None, dtype=pl.Date).alias("left_by"),
        )
    )
    frame = (
        pl.concat([releases, departures, founded, reports], how="vertical_relaxed")
        .with_columns(
            pl.when(pl.col("date").is_null()).then(pl.lit("unknown")).otherwise("date_precision").alias("date_precision"),
            pl.when(pl.col("left_by").is_not_null()).then(pl.lit("day")).alias("left_by_precision"),
        )
        .sort("date", "left_by", "kind", "subject_id", "label", nulls_last=True)
    )
    frame = frame.with_columns(
        pl.concat_str(
            "kind",
            pl.lit("-"),
            "subject_id",
            pl.lit("-"),
            pl.col("date").dt.strftime("%Y%m%d").fill_null("undated"),
            pl.lit("-"),
            pl.int_range(pl.len()).over("kind", "subject_id", "date").cast(pl.String),
        ).alias("event_id")
    )
    frame = frame.select(
        "event_id",
        "date",
        "date_precision",
        "left_by",
        "left_by_precision",
        "kind",
        "subject_table",
        "subject_id",
        "label",
        "source_id",
    )
    counted = tables["releases"].height + departures.height + founded.height + reports.height
    return View(
        name="timeline",
        title="Timeline",
        description=(
            "Every event, one row each: model releases, departures, foundings and news reports. A departure whose "
            "date is unknown has no `date` and is listed at `left_by`, the report that says the person had left."
        ),
        frame=frame,
        primary_key=["event_id"],
        order=["date", "left_by", "event_id"],
        fields={
            "event_id": "Stable id of the event.",
            "date": "When it happened; empty when unknown.",
            "date_precision": "day, month or year; unknown when there is no date.",
            "left_by": "For a departure with no date: the publication date of the earliest report that the person had left.",
            "left_by_precision": "day, where `left_by` is given.",
            "kind": "What sort of event.",
            "subject_table": "Table of the row the event is about.",
            "subject_id": "Id of that row.",
            "label": "What happened, in words.",
            "source_id": "The source of the event.",
        },
        invariants=[
            ("timeline-count", f"timeline has {frame.height} events, its parts {counted}", frame.height == counted),
            (
                "timeline-order",
                "timeline is not sorted by date (undated events last, by `left_by`)",
                frame.select("date", "left_by").equals(frame.select("date", "left_by").sort("date", "left_by", nulls_last=True)),
            ),
            (
                "timeline-undated",
                "an undated timeline event has no `left_by`",
                frame.filter(pl.col("date").is_null() & pl.col("left_by").is_null()).height == 0,
            ),
        ],
    )


def _first_departures(tables) -> pl.DataFrame:
    """Each person's earliest departure from Meta, with the destination's name."""
    orgs = tables["organizations"].select(pl.col("org_id").alias("to_org_id"), pl.col("name").alias("destination"))
    return (
        _known_by(tables["departures"])
        .filter(pl.col("from_org_id") == "meta")
        .sort("person_id", "known_by", "departure_id", nulls_last=True)
        .unique("person_id", keep="first", maintain_order=True)
        .join(orgs, on="to_org_id", how="left")
        .select(
            "person_id",
            "to_org_id",
            "destination",
            pl.col("date").alias("departure_date"),
            pl.col("date_precision").alias("departure_precision"),
            "confidence",
            "known_by",
        )
    )


def author_status(tables):
    authors = tables["people"].filter(pl.col("llama_paper_position").is_not_null())
    frame = (
        authors.join(_first_departures(tables), on="person_id", how="left")
        .sort("llama_paper_position")
        .select(
            "llama_paper_position",
            "person_id",
            "name",
            "status",
            "status_as_of",
            pl.when(pl.col("status_as_of").is_not_null()).then(pl.lit("day")).alias("status_as_of_precision"),
            "to_org_id",
            "destination",
            "departure_date",
            "departure_precision",
            pl.when(pl.col("departure_date").is_null()).then("known_by").alias("left_by"),
            pl.when(pl.col("departure_date").is_null() & pl.col("known_by").is_not_null())
            .then(pl.lit("day"))
            .alias("left_by_precision"),
            "confidence",
        )
    )
    return View(
        name="author_status",
        title="Where the LLaMA authors are",
        description="The authors of the LLaMA paper in paper order: status, as-of date, and where those who left went.",
        frame=frame,
        primary_key=["llama_paper_position"],
        fields={
            "llama_paper_position": "Place in the paper's author list.",
            "person_id": "The person.",
            "name": "Name.",
            "status": "at-meta, left or unknown.",
            "status_as_of": "Date of the latest report.",
            "status_as_of_precision": "day (a report's publication date).",
            "to_org_id": "Where they went (first departure).",
            "destination": "Name of that organization.",
            "departure_date": "When they left; empty when unknown.",
            "departure_precision": "day, month or year; unknown when the date is.",
            "left_by": "For a departure with no date: the publication date of the earliest report that the person had left.",
            "left_by_precision": "day, where `left_by` is given.",
            "confidence": "How sure the sources are of the departure.",
        },
        invariants=[
            (
                "author-order",
                "author positions are not 1..n in order",
                frame["llama_paper_position"].to_list() == list(range(1, frame.height + 1)),
            )
        ],
    )


def author_retention(tables):
    authors = tables["people"].filter(pl.col("llama_paper_position").is_not_null())
    # "Known to have left by": a date known only to the month or year counts from the period's last day.
    period_end = (
        pl.when(pl.col("departure_precision") == "year")
        .then(pl.col("departure_date").dt.offset_by("1y"))
        .when(pl.col("departure_precision") == "month")
        .then(pl.col("departure_date").dt.offset_by("1mo"))
        .otherwise(pl.col("departure_date").dt.offset_by("1d"))
        .dt.offset_by("-1d")
    )
    left = authors.join(_first_departures(tables), on="person_id", how="left").select(
        "person_id",
        pl.coalesce(period_end, "known_by", pl.when(pl.col("status") == "left").then("status_as_of")).alias("left_on"),
    )
    start = tables["releases"].filter(pl.col("model_id") == "llama")["date"].min()
    end = authors["status_as_of"].max()
    if start is None or end is None:
        months = pl.Series("month", [], dtype=pl.Date)
    else:
        months = pl.date_range(start.replace(day=1), end.replace(day=1), "1mo", eager=True).alias("month")
    total = authors.height
    frame = (
        pl.DataFrame(months)
        .join(left, how="cross")
        .group_by("month")
        .agg((pl.col("left_on") < pl.col("month").dt.offset_by("1mo")).sum().alias("left"))
        .sort("month")
        .select(
            "month",
            pl.lit("month").alias("month_precision"),
            (total - pl.col("left")).cast(pl.Int64).alias("authors_at_meta"),
            pl.col("left").cast(pl.Int64).alias("authors_left"),
        )
    )
    at_meta = frame["authors_at_meta"].to_list()
    return View(
        name="author_retention",
        title="Authors still at Meta, month by month",
        description=(
            "For each month from LLaMA's release to the latest status report, how many of the paper's "
            "authors were not known to have left Meta by the end of that month. A departure known only to the "
            "month or year counts from the last day of that period; one with no date, from the earliest report "
            "that says the person had left (`left_by`)."
        ),
        frame=frame,
        primary_key=["month"],
        fields={
            "month": "The month, stored as its first day.",
            "month_precision": "month: the row is about the whole month, not its first day.",
            "authors_at_meta": "Authors not known to have left by month's end.",
            "authors_left": "Authors who had left by month's end.",
        },
        invariants=[
            (
                "retention-increases",
                "retention rises in some month",
                all(a >= b for a, b in zip(at_meta, at_meta[1:], strict=False)),
            ),
            (
                "retention-total",
                "at Meta + left differs from the number of authors",
                all(a + b == total for a, b in frame.select("authors_at_meta", "authors_left").rows()),
            ),
        ],
    )


def departures_by_destination(tables):
    people = tables["people"].select("person_id", "name")
    orgs = tables["organizations"].select(pl.col("org_id").alias("to_org_id"), pl.col("name").alias("destination"))
    from_meta = tables["departures"].filter(pl.col("from_org_id") == "meta")
    frame = (
        from_meta.join(people, on="person_id", how="left")
        .with_columns(pl.col("to_org_id").fill_null("unknown"))
        .group_by("to_org_id")
        .agg(pl.len().cast(pl.Int64).alias("departures"), pl.col("name").sort().str.join("; ").alias("people"))
        .join(orgs, on="to_org_id", how="left")
        .with_columns(pl.col("destination").fill_null("Unknown"))
        .sort(["departures", "to_org_id"], descending=[True, False])
        .select("to_org_id", "destination", "departures", "people")
    )
    return View(
        name="departures_by_destination",
        title="Departures by destination",
        description="How many departures from Meta went to each organization, and who.",
        frame=frame,
        primary_key=["to_org_id"],
        fields={
            "to_org_id": "Destination organization (unknown when not reported).",
            "destination": "Its name.",
            "departures": "Number of departures.",
            "people": "Who, by name.",
        },
        invariants=[
            (
                "departure-count",
                "destination counts do not add up to the departures from Meta",
                frame["departures"].sum() == from_meta.height,
            )
        ],
    )


def release_cadence(tables):
    llama_models = tables["models"].filter((pl.col("developer_org_id") == "meta") & pl.col("family").str.contains("llama"))
    frame = (
        tables["releases"]
        .filter(pl.col("event").is_in(RELEASE_EVENTS))
        .join(llama_models.select("model_id", "name", "family"), on="model_id", how="inner")
        .sort("date", "model_id")
        .unique("model_id", keep="first", maintain_order=True)
        # A count of days needs two days: next to a date known only to the month or year it is left empty.
        .with_columns(
            pl.when((pl.col("date_precision") == "day") & (pl.col("date_precision").shift(1) == "day"))
            .then((pl.col("date") - pl.col("date").shift(1)).dt.total_days())
            .cast(pl.Int64)
            .alias("days_since_previous")
        )
        .select("model_id", "name", "family", "date", "date_precision", "event", "days_since_previous")
    )
    return View(
        name="release_cadence",
        title="Llama release cadence",
        description="Llama-family models in order of first public release, with the days since the previous one.",
        frame=frame,
        primary_key=["model_id"],
        order=["date", "model_id"],
        fields={
            "model_id": "The model.",
            "name": "Its name.",
            "family": "Model family.",
            "date": "First release.",
            "date_precision": "day, month or year.",
            "event": "released or open-weights.",
            "days_since_previous": (
                "Days since the previous release; empty for the first, and where either date is known only to the month or year."
            ),
        },
        invariants=[
            ("cadence-order", "releases are not in date order", frame["date"].is_sorted()),
            (
                "cadence-negative",
                "a gap between releases is negative",
                bool((frame["days_since_previous"].drop_nulls() >= 0).all()),
            ),
        ],
    )


def verdict_summary(tables):
    claims = tables["claims"]
    frame = claims.group_by("document_id", "verdict").agg(pl.len().cast(pl.Int64).alias("claims")).sort("document_id", "verdict")
    return View(
        name="verdict_summary",
        title="Verdicts",
        description="How many claims got each verdict, per document.",
        frame=frame,
        primary_key=["document_id", "verdict"],
        fields={"document_id": "The document.", "verdict": "The verdict.", "claims": "Number of claims."},
        invariants=[
            ("verdict-count", "verdict counts do not add up to the claims table", frame["claims"].sum() == claims.height)
        ],
    )


def source_usage(tables):
    citing = sorted(name for name, frame in tables.items() if name != "sources" and "source_id" in frame.columns)
    frame = tables["sources"].select("source_id", "title", "tier")
    for name in citing:
        counts = tables[name].group_by("source_id").agg(pl.len().cast(pl.Int64).alias(name))
        frame = frame.join(counts, on="source_id", how="left").with_columns(pl.col(name).fill_null(0))
    frame = frame.with_columns(pl.sum_horizontal(citing).cast(pl.Int64).alias("total")).sort("source_id")
    citations = sum(tables[name].height for name in citing)
    return View(
        name="source_usage",
        title="Source usage",
        description="For each source, how many rows of each table cite it.",
        frame=frame,
        primary_key=["source_id"],
        fields={
            "source_id": "The source.",
            "title": "Its title.",
            "tier": "primary or secondary.",
            **{name: f"Rows of {name} citing it." for name in citing},
            "total": "All rows citing it.",
        },
        invariants=[("usage-count", "citation counts do not add up to the citing tables", frame["total"].sum() == citations)],
    )


# ---------------------------------------------------------------- site pages

TEMPLATES = Path(__file__).parent / "templates" / "llama"
PAGES = {"index.md": "home.md.j2", "timeline.md": "timeline.md.j2"}


KEY_MODELS = {"llama": "LLaMA", "llama-2": "Llama 2", "llama-3": "Llama 3"}


def _csv(header: list[str], rows: list[tuple]) -> str:
    """A small CSV for a chart's data download (values never start with a formula character)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([tuple(header), *rows])
    return buffer.getvalue()


def median_release_gap(cadence: pl.DataFrame) -> float | None:
    """Median days between release days: same-day variants count once, month- or year-precision dates not at all."""
    days = cadence.filter(pl.col("date_precision") == "day")["date"].unique().sort()
    gaps = days.diff().dt.total_days().drop_nulls()
    return gaps.median() if gaps.len() else None


def timeline_kind_labels(site) -> dict[str, str]:
    """The timeline view's kinds in words: a model event by the releases' own label for it."""
    events = {
        f"model-{value}": f"Model {site.word('releases', 'event', value).lower()}"
        for value in site.tables["releases"]["event"].unique()
    }
    return {**events, "departure": "Departure", "organization-founded": "Organization founded", "report": "News report"}


def _event_when(event, format_date) -> str:
    """A chart event's date in words, as exactly as it is known."""
    if event.undated:
        return f"date unknown; left by {format_date(event.day, 'day')}"
    return format_date(event.day, event.precision)


CHART_TABLE_ROWS = 100  # rows a chart's "Show as table" lists; its CSV download has them all


def page_context(site) -> dict:
    """Headline figures and charts, computed from the data (never typed in)."""
    views = {view.name: view.frame for view in site.views}
    status = views["author_status"]
    authors = status.height
    left = status.filter(pl.col("status") == "left").height
    at_meta = status.filter(pl.col("status") == "at-meta").height
    as_of = status["status_as_of"].max()
    # Those still at Meta are "still there" only as of the latest report on them, not as of the newest report on anyone.
    at_meta_as_of = status.filter(pl.col("status") == "at-meta")["status_as_of"].max()
    destinations = (
        status.filter(pl.col("destination").is_not_null())
        .group_by("to_org_id", "destination")
        .agg(pl.len().alias("authors"))
        .sort(["authors", "to_org_id"], descending=[True, False])
    )
    cadence = views["release_cadence"]
    claims = site.tables["claims"]
    verdicts = claims.group_by("verdict").agg(pl.len().alias("claims")).sort(["claims", "verdict"], descending=[True, False])
    retention = views["author_retention"]
    timeline = views["timeline"]

    # The departures lane counts what the headline counts: paper authors who left Meta, dated or not.
    leavers = (
        status.filter(pl.col("status") == "left")
        .join(_first_departures(site.tables).select("person_id", "known_by"), on="person_id", how="left")
        .with_columns(pl.coalesce("departure_date", "known_by", "status_as_of").alias("shown_on"))
        .sort("shown_on", "llama_paper_position")
    )
    releases = [charts.Event(d, n, precision=p) for d, n, p in cadence.select("date", "name", "date_precision").rows()]
    departures = [
        charts.Event(
            shown_on,
            f"{name} leaves Meta" + (f" for {destination}" if destination else ""),
            undated=departure_date is None,
            precision=precision or "day",
        )
        for name, destination, departure_date, precision, shown_on in leavers.select(
            "name", "destination", "departure_date", "departure_precision", "shown_on"
        ).rows()
    ]
    undated = [e for e in departures if e.undated]
    days = [e.day for e in releases + departures] + [as_of]
    # From the first year's start to the last day the data speaks for, not a padded year after it.
    start, end = dt.date(min(days).year, 1, 1), max(days)

    key_events = [(d, KEY_MODELS[m]) for m, d in cadence.select("model_id", "date").rows() if m in KEY_MODELS]
    llama4 = cadence.filter(pl.col("name").str.starts_with("Llama 4"))
    if llama4.height:
        key_events.append((llama4["date"].min(), "Llama 4"))
    mistral = site.rows_by_id.get("organizations", {}).get("mistral-ai")
    if mistral and mistral.get("founded"):
        key_events.append((mistral["founded"], "Mistral AI founded"))
    key_events.sort()

    lanes = {"Llama releases": releases, "Authors leaving Meta": departures}
    timeline_title = "Llama releases and LLaMA authors leaving Meta"
    timeline_charts = {
        width: charts.timeline_chart(
            lanes, chart_id="releases-departures", title=timeline_title, start=start, end=end, key_events=key_events, width=width
        )
        for width in (charts.WIDE, charts.NARROW)
    }
    uncertain = None
    if undated:
        reported = min(e.day for e in undated)
        uncertain = (reported.replace(day=1), f"{len(undated)} left, date unknown (reported {format_date(reported, 'day')})")
    retention_title = "LLaMA paper authors still at Meta"
    retention_charts = {
        width: charts.step_chart(
            retention.select("month", "authors_at_meta").rows(),
            chart_id="retention",
            title=retention_title,
            maximum=authors,
            start=start,
            end=end,
            y_title="Authors at Meta",
            uncertain=uncertain,
            width=width,
        )
        for width in (charts.WIDE, charts.NARROW)
    }
    # The chart's data as the views give it: a date with its precision, and an undated exit with no date
    # but the report that says it happened (`left_by`). The "Show as table" rows say the same in words.
    events = sorted(
        [(e, "release") for e in releases] + [(e, "departure") for e in departures], key=lambda x: (x[0].day, x[1], x[0].label)
    )
    timeline_csv = [
        (None, "unknown", e.day, lane, e.label) if e.undated else (e.day, e.precision, None, lane, e.label) for e, lane in events
    ]
    series = dict(zip(("release", "departure"), lanes, strict=True))  # the table names a series as the chart does
    timeline_rows = [(_event_when(e, format_date), series[lane], e.label) for e, lane in events]
    retention_csv = retention.select("month", "month_precision", "authors_at_meta", "authors_left").rows()
    retention_rows = [(format_date(month, precision), *rest) for month, precision, *rest in retention_csv]
    files = {
        "charts/releases-departures.svg": timeline_charts[charts.WIDE],
        "charts/releases-departures.csv": _csv(["date", "date_precision", "left_by", "lane", "event"], timeline_csv),
        "charts/retention.svg": retention_charts[charts.WIDE],
        "charts/retention.csv": _csv(["month", "month_precision", "authors_at_meta", "authors_left"], retention_csv),
    }
    return {
        "authors": authors,
        "left": left,
        "at_meta": at_meta,
        "as_of": as_of,
        "at_meta_as_of": at_meta_as_of,
        "destinations": destinations.rows(named=True),
        "cadence": cadence.rows(named=True),
        "median_gap": median_release_gap(cadence),
        "verdicts": verdicts.rows(named=True),
        "claims_total": claims.height,
        "timeline_charts": timeline_charts,
        "retention_charts": retention_charts,
        "timeline_rows": timeline_rows,
        "retention_rows": retention_rows,
        "dated_leavers": len(departures) - len(undated),
        "undated_leavers": undated,
        "key_events": key_events,
        # A long timeline lists its first events and counts the rest (no page grows with the package).
        "timeline": timeline.head(plugin.INDEX_PAGE_ROWS).rows(named=True),
        "timeline_total": timeline.height,
        "timeline_kinds": timeline.group_by("kind").agg(pl.len().alias("events")).sort("kind").rows(),
        "kind_labels": timeline_kind_labels(site),
        "files": files,
        "release_bars": len(releases) > charts.DOTS_LIMIT,
        "chart_table_rows": CHART_TABLE_ROWS,
        **home_story(site, status),
    }


# Changes a reader of a diff should see first, in words (builder/history/diff.py): a claim's verdict,
# and where and when someone left.
DIFF_HIGHLIGHTS = {
    "claims": {"noun": "claim", "fields": ["verdict"]},
    "departures": {"noun": "departure of", "fields": ["to_org_id", "date"], "subject": "person_id"},
}


# ---------------------------------------------------------------- reading aids

# Headings for rows that point at an entity, where "<table> by <field>" would not read.
RELATED_HEADINGS = {
    ("departures", "person_id"): "Departures",
    ("departures", "from_org_id"): "People who left it",
    ("departures", "to_org_id"): "People who joined it",
    ("models", "predecessor_id"): "Successors",
    ("models", "developer_org_id"): "Models it built",
    ("releases", "model_id"): "Releases",
    ("claims", "document_id"): "Claims checked in it",
    ("claim_evidence", "source_id"): "Claims it is evidence for",
    ("citations", "source_id"): "Rows it is cited for",
    ("citations", "row_id"): "Further sources",
    ("claim_models", "model_id"): "Claims about this model",
    ("claim_people", "person_id"): "Claims about this person",
    ("claim_organizations", "organization_id"): "Claims about this organization",
}

# Index tables filtered by a column that is not an enum (enum columns get a filter anyway).
INDEX_FILTERS = {"sources": ["publisher"]}

# Material's per-page search weight: an entity's own page before the many sources that mention it.
SEARCH_BOOST = {"models": 20, "people": 20, "organizations": 20, "documents": 5, "claims": 0.5, "sources": 0.2}
# A data page that answers a question ("who left meta": the departures) wins a tie with an entity page;
# a name still finds its own page first, whose title holds the typed words (builder/site/assets/search-worker.js).
SEARCH_BOOST |= {f"data/{name}": 20 for name in llama_search.DATA_KEYWORDS}


def model_spellings(name: str, family: str | None) -> list[str]:
    """How readers write a model's name: "Llama2" and "Llama-2" for Llama 2, "CodeLlama", "LLaMA 1" for the first LLaMA.

    Only for "<name> <number>" names: a variant of "Llama Guard" or "Llama 2-Chat" would also match
    searches for other models (Material searches word prefixes, so "llama" finds "llamaguard").
    """
    short = name.split(" (")[0]  # "Llama 3.2 (1B/3B text)" is written "Llama 3.2"
    bases = {short, short.removeprefix("Meta ")}  # "Meta Llama 3" is mostly written "Llama 3"
    if family == "llama" and " " not in short and not any(c.isdigit() for c in short):
        bases.add(f"{short} 1")  # the first LLaMA, as people write it since Llama 2
    spellings = set()
    for base in bases:
        if re.fullmatch(r"\S+ [0-9][0-9.]*", base):
            spellings |= {base, base.replace(" ", ""), base.replace(" ", "-")}
        elif re.fullmatch(r"[A-Za-z]+ [A-Za-z]+", base):
            spellings.add(base.replace(" ", ""))  # "CodeLlama", "LlamaGuard"
    spellings.discard(name)
    return sorted(spellings)


DATA_KEYWORDS = llama_search.DATA_KEYWORDS  # words that ask for a data page (see llama_search)


def search_keywords(site, table: str, row: dict) -> str | None:
    """Indexed, unseen words that lead a question to this entity page (builder/stories/llama_search.py)."""
    spellings = model_spellings(row["name"], row.get("family")) if table == "models" else []
    return llama_search.keywords(site, table, row, spellings)


# ---------------------------------------------------------------- stale statuses

STALE_AFTER_MONTHS = 12  # a status resting on an older report is flagged: it may have changed since


def data_date(tables) -> dt.date | None:
    """The day the data speaks for: the newest day an editor checked a source (`accessed`).

    Read from the data, never the wall clock, so that the same package builds the same flags.
    """
    return tables["sources"]["accessed"].max() if tables["sources"].height else None


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (29 February a year back is 28 February)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def stale_statuses(tables) -> dict[str, dt.date]:
    """People whose status rests on a report more than STALE_AFTER_MONTHS older than the data date."""
    newest = data_date(tables)
    if newest is None:
        return {}
    cutoff = months_before(newest, STALE_AFTER_MONTHS)
    stale = tables["people"].filter(pl.col("status_as_of") < cutoff)
    return dict(stale.select("person_id", "status_as_of").rows())


STALE_TAG = f"older than {STALE_AFTER_MONTHS} months"


def cell_flags(site) -> dict[tuple[str, str, str], tuple[dt.date, str, str]]:
    """Words shown beside a value wherever a page shows it, keyed by (table, field, row id), with the
    value they are about: here the "Status as of" date of every stale status, on the person's page
    and in every list of people (an older value in a row's history is not flagged)."""

    newest = data_date(site.tables)
    if newest is None:
        return {}
    note = (
        f"This status rests on a report more than {STALE_AFTER_MONTHS} months older than the data "
        f"({format_date(newest, 'day')}, the newest day a source was checked); it may have changed since."
    )
    return {("people", "status_as_of", person): (as_of, STALE_TAG, note) for person, as_of in stale_statuses(site.tables).items()}


def summary(site, table: str, row: dict) -> str | None:
    """One plain sentence a reader (and the search index) sees at the top of an entity page."""

    label = site.label
    if table == "models":
        developer = label("organizations", row["developer_org_id"])
        text = f"{row['name']} is a model by {developer}"
        if row.get("parameters"):
            text += f" ({row['parameters']} parameters)"
        text += "."
        released = llama_search.first_release(site, row["model_id"])
        if released:
            text += f" First released {format_date(*released)}."
        spellings = model_spellings(row["name"], row.get("family"))
        if spellings:
            text += " Also written " + ", ".join(spellings) + "."
        return text
    if table == "people":
        position = row.get("llama_paper_position")
        text = row["name"]
        text += f" is author {position} of {PAPER_AUTHORS} of the LLaMA paper" if position else " appears in the Llama story"
        # One subject for the whole sentence: the full name once, never a first name alone ("Yann has left").
        status = {
            "left": "has left Meta",
            "at-meta": "was still at Meta",
            "not-at-meta": "was not at Meta",
            "unknown": "has an unknown status",
        }
        as_of = row["status_as_of"]
        said = status.get(row["status"], f"has the status “{site.word('people', 'status', row['status'])}”")
        text += f" and, by the latest report ({format_date(as_of, 'day')}), {said}."
        newest = data_date(site.tables)
        if newest is not None and as_of < months_before(newest, STALE_AFTER_MONTHS):
            text += f" That report is {STALE_TAG} (as of {format_date(newest, 'day')}): the status may have changed."
        text += "".join(f" {sentence}" for sentence in llama_search.departure_sentences(site, row, format_date))
        return text
    if table == "organizations":
        kind = (
            site.word("organizations", "kind", row["kind"]).lower() if row.get("kind") not in (None, "other") else "organization"
        )
        text = f"{row['name']} is {'an' if kind[0] in 'aeio' else 'a'} {kind}"
        if row.get("country"):
            text += f" based in {row['country']}"
        if row.get("founded"):
            text += f", founded {row['founded'].year}"
        text += "."
        names = llama_search.founders(site, row["org_id"])
        if names:
            text += f" Co-founders in the Ledger: {', '.join(names[:-1]) + ' and ' if len(names) > 1 else ''}{names[-1]}."
        return text
    if table == "sources":
        when = f" on {format_date(row['published'], 'day')}" if row.get("published") else ""
        tier = site.word("sources", "tier", row["tier"]).lower() if row.get("tier") else ""
        kind = site.word("sources", "kind", row["kind"]).lower() if row.get("kind") else "source"
        return f"A {tier} {kind} published by {row['publisher']}{when}.".replace("  ", " ")
    return None
