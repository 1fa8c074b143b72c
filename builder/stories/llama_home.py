"""The home page's first screen: who left, when, where to, and which of the article's claims held up.

Every number and name comes from the data: the author_status view, the departures' report dates
(`left_by`) for exits with no date, the claims and the verdicts' own order and labels.
"""

from __future__ import annotations

import polars as pl

UNCHECKABLE = "not-checkable"  # opinion or prediction: named in the counts, never as a claim that held up or not


def exits(status: pl.DataFrame, departures: pl.DataFrame) -> dict:
    """The span of the dated exits of the authors who left, and the reports behind the undated ones."""
    left = status.filter(pl.col("status") == "left")
    dated = left.filter(pl.col("departure_date").is_not_null()).sort("departure_date", "llama_paper_position")
    undated = left.filter(pl.col("departure_date").is_null())
    reports = []
    if "left_by" in departures.columns and undated.height:
        known = departures.filter(pl.col("person_id").is_in(undated["person_id"].implode()))["left_by"].drop_nulls()
        reports = sorted(set(known.to_list()))
    return {
        "dated": dated.height,
        "first": dated.row(0, named=True) if dated.height else None,
        "last": dated.row(-1, named=True) if dated.height else None,
        "undated": undated.height,
        "undated_reports": reports,
    }


def destinations(status: pl.DataFrame) -> list[dict]:
    """Where the authors who left went (first departure), most authors first; an unreported one last."""
    left = status.filter(pl.col("status") == "left")
    counted = (
        left.group_by("to_org_id", "destination")
        .agg(pl.len().alias("authors"), pl.col("name").sort().alias("names"))
        .with_columns(pl.col("to_org_id").is_null().alias("unreported"))
        .sort(["unreported", "authors", "destination"], descending=[False, True, False], nulls_last=True)
    )
    return counted.drop("unreported").rows(named=True)


def named_claims(claims: pl.DataFrame, verdicts: pl.DataFrame | None) -> list[dict]:
    """One claim per verdict, in the verdicts' own order (best first), each the first the article makes:
    so the reader sees what held up and what did not. Opinions (not checkable) are only counted."""
    order = claims.with_row_index("position")
    if verdicts is not None and verdicts.height:
        ranks = verdicts.select("verdict", "rank")
    else:
        ranks = pl.DataFrame({"verdict": order["verdict"].unique().sort(), "rank": None})
    first = (
        order.filter(pl.col("verdict") != UNCHECKABLE)
        .sort("position")
        .unique("verdict", keep="first", maintain_order=True)
        .join(ranks, on="verdict", how="left")
        .sort("rank", "position", nulls_last=True)
    )
    return first.select("claim_id", "verdict").rows(named=True)


def home_story(site, status: pl.DataFrame) -> dict:
    claims = site.tables["claims"]
    return {
        "exits": exits(status, site.tables["departures"]),
        "where": destinations(status),
        "named_claims": named_claims(claims, site.tables.get("verdicts")),
    }
