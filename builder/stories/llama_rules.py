"""The Llama story's rules: what its tables must agree on beyond Table Schema and the generic rules.

`check` runs them all, these and the sourcing rules (sourcing.py); each rule takes (tables, paths)
and yields Problems that name the row and field at fault.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from builder.stories import sourcing
from builder.views.plugin import ROW, Problem, resources
from builder.views.plugin import numbered as _rows

PAPER_AUTHORS = 14  # LLaMA: Open and Efficient Foundation Language Models (arXiv 2302.13971)


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
