"""The Llama Ledger story: rules, views and home-page figures specific to this package."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from builder.errors import Problem

PAPER_AUTHORS = 14  # LLaMA: Open and Efficient Foundation Language Models (arXiv 2302.13971)


def _rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("__row", offset=2)


def check(descriptor: dict, tables: dict[str, pl.DataFrame], root: Path) -> list[Problem]:
    problems: list[Problem] = []
    for rule in (evidence_for_every_claim, status_matches_departures, paper_positions, departure_dates,
                 releases_after_predecessor):
        problems.extend(rule(tables))
    return problems


def evidence_for_every_claim(tables):
    claims, evidence = tables["claims"], tables["claim_evidence"]
    lacking = _rows(claims).join(evidence.select("claim_id").unique(), on="claim_id", how="anti")
    for row, claim_id in lacking.filter(pl.col("claim_id").is_not_null()).select("__row", "claim_id").rows():
        yield Problem("seeds/claims.csv", row, "claim_id", "claim-without-evidence",
                      f"Claim `{claim_id}` has no evidence row.",
                      "Add at least one row for it to seeds/claim_evidence.csv (stance supports, refutes or context).",
                      "claims")


def status_matches_departures(tables):
    people, departures = tables["people"], tables["departures"]
    with_departure = set(departures["person_id"].drop_nulls())
    for row, person_id, status in _rows(people).select("__row", "person_id", "status").rows():
        if status == "left" and person_id not in with_departure:
            yield Problem("seeds/people.csv", row, "status", "left-without-departure",
                          f"`{person_id}` has status left but no row in departures.",
                          "Add the departure to seeds/departures.csv, or correct the status.", "people")
        if status == "at-meta" and person_id in with_departure:
            yield Problem("seeds/people.csv", row, "status", "at-meta-with-departure",
                          f"`{person_id}` has status at-meta but has a departure.",
                          "Set the status to left, or remove the departure.", "people")


def paper_positions(tables):
    positions = set(tables["people"]["llama_paper_position"].drop_nulls())
    missing = sorted(set(range(1, PAPER_AUTHORS + 1)) - positions)
    if missing:
        yield Problem("seeds/people.csv", None, "llama_paper_position", "paper-author-missing",
                      f"No person holds LLaMA paper position(s) {', '.join(map(str, missing))}.",
                      f"Add every one of the paper's {PAPER_AUTHORS} authors with their position.", "people")


def departure_dates(tables):
    """A departure cannot come after the report that states the person's status."""
    joined = _rows(tables["departures"]).join(
        tables["people"].select("person_id", "status_as_of"), on="person_id", how="left")
    late = joined.filter(pl.col("date") > pl.col("status_as_of"))
    for row, person_id, date, as_of in late.select("__row", "person_id", "date", "status_as_of").rows():
        yield Problem("seeds/departures.csv", row, "date", "departure-after-status",
                      f"`{person_id}` left on {date}, after their status date {as_of}.",
                      "Correct the date, or update the person's `status_as_of` to the report that covers it.",
                      "departures")


def releases_after_predecessor(tables):
    """A model is not released before the model it succeeds."""
    first = tables["releases"].group_by("model_id").agg(pl.col("date").min().alias("first"))
    models = _rows(tables["models"]).join(first, on="model_id", how="left").join(
        first.rename({"model_id": "predecessor_id", "first": "predecessor_first"}), on="predecessor_id", how="left")
    early = models.filter(pl.col("first") < pl.col("predecessor_first"))
    for row, model_id, first_date, predecessor, before in early.select(
            "__row", "model_id", "first", "predecessor_id", "predecessor_first").rows():
        yield Problem("seeds/models.csv", row, "predecessor_id", "release-before-predecessor",
                      f"`{model_id}` first appears on {first_date}, before its predecessor `{predecessor}` ({before}).",
                      "Check the predecessor and both models' release dates.", "models")
