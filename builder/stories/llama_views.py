"""The Llama story's derived views: the timeline, where the LLaMA authors are and when they left,
release cadence, verdicts and source usage, each a View with its invariants."""

from __future__ import annotations

import polars as pl

from builder.stories.llama_rules import _known_by
from builder.views.plugin import View


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

# The timeline's kinds in words: a model event is "model-" and the releases' event (their labels, with
# "Model" before them), and the three kinds of its own. The invariant timeline-kinds keeps it whole.
MODEL_EVENTS = {
    "announced": "announced",
    "released": "released",
    "previewed": "previewed",
    "paper": "paper",
    "open-weights": "open weights",
    "leaked": "leaked",
    "reported": "reported",
}
TIMELINE_KINDS = [
    *({"value": f"model-{event}", "label": f"Model {words}"} for event, words in MODEL_EVENTS.items()),
    {"value": "departure", "label": "Departure"},
    {"value": "organization-founded", "label": "Organization founded"},
    {"value": "report", "label": "News report"},
]
SUBJECT_TABLES = [
    {"value": "models", "label": "Models"},
    {"value": "people", "label": "People"},
    {"value": "organizations", "label": "Organizations"},
    {"value": "sources", "label": "Sources"},
]


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
    # Events of one kind for one subject on one day are numbered in order. A window over some 30k
    # one-row groups takes 20 ms, so it runs only when such events repeat; else each is number 0.
    same = ["kind", "subject_id", "date"]
    repeats = frame.select(pl.struct(same).is_duplicated().any()).item()
    frame = frame.with_columns(
        pl.concat_str(
            "kind",
            pl.lit("-"),
            "subject_id",
            pl.lit("-"),
            pl.col("date").dt.strftime("%Y%m%d").fill_null("undated"),
            pl.lit("-"),
            (pl.int_range(pl.len()).over(same) if repeats else pl.lit(0)).cast(pl.String),
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
        references={"subject_id": "@subject_table", "source_id": "sources"},
        words="label",
        categories={"kind": TIMELINE_KINDS, "subject_table": SUBJECT_TABLES},
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
                "timeline-kinds",
                "a timeline kind or subject table has no label (TIMELINE_KINDS, SUBJECT_TABLES in llama_views.py)",
                set(frame["kind"].unique()) <= {k["value"] for k in TIMELINE_KINDS}
                and set(frame["subject_table"].unique()) <= {t["value"] for t in SUBJECT_TABLES},
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
        references={"person_id": "people", "to_org_id": "organizations"},
        categories={"status": "people.status", "confidence": "departures.confidence"},
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
        references={"to_org_id": "organizations"},
        categories={"to_org_id": [{"value": "unknown", "label": "Not reported"}]},  # the one id that is no row
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
        references={"model_id": "models"},
        categories={"family": "models.family", "event": "releases.event"},
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
        references={"document_id": "documents", "verdict": "verdicts"},
        fields={"document_id": "The document.", "verdict": "The verdict.", "claims": "Number of claims."},
        invariants=[
            ("verdict-count", "verdict counts do not add up to the claims table", frame["claims"].sum() == claims.height)
        ],
    )


def source_usage(tables):
    citing = sorted(name for name, frame in tables.items() if name != "sources" and "source_id" in frame.columns)
    frame = tables["sources"].select("source_id", "title", "tier")
    counts = _citations_per_source(frame["source_id"], tables, citing)
    if counts.height == frame.height:  # one row per source, in order (its ids are unique): no join needed
        frame = frame.hstack(counts.drop("source_id"))
    else:
        frame = frame.join(counts, on="source_id", how="left", maintain_order="left").with_columns(pl.col(citing).fill_null(0))
    frame = frame.with_columns(pl.sum_horizontal(citing).cast(pl.Int64).alias("total")).sort("source_id")
    citations = sum(tables[name].height for name in citing)
    return View(
        name="source_usage",
        title="Source usage",
        description="For each source, how many rows of each table cite it.",
        frame=frame,
        primary_key=["source_id"],
        references={"source_id": "sources"},
        categories={"tier": "sources.tier"},
        fields={
            "source_id": "The source.",
            "title": "Its title.",
            "tier": "primary or secondary.",
            **{name: f"Rows of {name} citing it." for name in citing},
            "total": "All rows citing it.",
        },
        invariants=[("usage-count", "citation counts do not add up to the citing tables", frame["total"].sum() == citations)],
    )


def _citations_per_source(source_ids: pl.Series, tables, citing: list[str]) -> pl.DataFrame:
    """Per source id, how many rows of each citing table name it (a column per table).

    Every citing row's source becomes its position among the ids (an Enum's code), once over all
    the tables stacked, and small integers are counted: at a million citations this is half the
    time of a string group-by and a join per table. A value that is no source id is not counted.
    """
    ids = source_ids.drop_nulls().unique(maintain_order=True)
    if not citing:
        return pl.DataFrame({"source_id": ids})
    stacked = pl.concat([tables[name]["source_id"] for name in citing])
    table = pl.concat([pl.repeat(i, tables[name].height, dtype=pl.UInt64, eager=True) for i, name in enumerate(citing)])
    code = (stacked.cast(pl.Enum(ids), strict=False).to_physical().cast(pl.UInt64) * len(citing) + table).alias("code")
    counts = code.drop_nulls().value_counts(name="n")
    at, of = counts["code"] // len(citing), counts["code"] % len(citing)
    return pl.DataFrame({"source_id": ids}).with_columns(  # scatter writes in place: fresh zeros per table
        pl.zeros(ids.len(), pl.Int64, eager=True).scatter(at.filter(of == i), counts["n"].filter(of == i)).alias(name)
        for i, name in enumerate(citing)
    )
