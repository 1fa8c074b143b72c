"""The Llama story's share cards: the home page's key figure and one card per claim with its verdict.

Every figure is computed from the data (the author_status view, the claims and the verdicts' labels).
"""

from __future__ import annotations

import polars as pl


def card_figures(site) -> dict[str, str]:
    """Key figures by page kind, beside the generic ones (builder/ogimage.figures)."""
    status = next(view.frame for view in site.views if view.name == "author_status")
    left = status.filter(pl.col("status") == "left").height
    claims = site.tables["claims"]
    checked = claims.filter(pl.col("verdict") != "not-checkable").height
    return {
        "home": f"{left} of {status.height} LLaMA authors have left Meta",
        "claims": f"{claims.height:,} claims, {checked:,} checkable",
    }


def cards(site) -> dict[tuple[str, str], tuple[str, str]]:
    """(table, row id) -> (title, figure) for rows whose page gets a card of its own: each claim, with its verdict."""
    labelled = "verdicts" in site.rows_by_id
    found = {}
    for row in site.tables["claims"].iter_rows(named=True):
        verdict = site.label("verdicts", row["verdict"]) if labelled else row["verdict"]
        found[("claims", row["claim_id"])] = (row["claim"], f"Verdict: {verdict}")
    return found
