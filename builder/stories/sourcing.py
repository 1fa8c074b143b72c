"""The Llama story's sourcing rules: what a verdict, a rationale, a source's date and a licence row may say.

Beside the story's other rules (llama_rules.py, whose `check` runs these too); each rule takes
(tables, paths) and yields Problems.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re

import polars as pl

from builder.views.plugin import ROW, Problem
from builder.views.plugin import numbered as _rows

PRIMARY = "primary"
MAX_ECHOES = 20  # an origin chain longer than this is a loop; it stops there


def origins(sources: pl.DataFrame, of: pl.Series | None = None) -> pl.DataFrame:
    """Each source's origin (columns source_id, origin), or only those of the source ids `of`:
    follow `origin_source_id` to a source that repeats no other in the table. In Polars, one join
    per step of the longest chain (at most MAX_ECHOES), not a Python loop per source."""
    if "origin_source_id" not in sources.columns:
        ids = sources.select("source_id").drop_nulls()
        ids = ids if of is None else ids.filter(pl.col("source_id").is_in(of.implode()))
        return ids.with_columns(origin=pl.col("source_id"))
    # One parent per source, the last row's (as a dict built from the rows would keep).
    parent = sources.select("source_id", pl.col("origin_source_id").alias("parent")).filter(
        pl.col("source_id").is_last_distinct() & pl.col("source_id").is_not_null()
    )
    known = parent.select(pl.col("source_id").alias("parent"), pl.lit(True).alias("known"))
    # A parent leads on only when it is filled and is itself a source.
    step = parent.join(known, on="parent", how="left").select(
        pl.col("source_id").alias("origin"), pl.when(pl.col("known") & (pl.col("parent") != "")).then("parent").alias("next")
    )
    # Only the sources still moving are joined again: a source whose chain has ended is set aside.
    moving = parent.select("source_id", pl.col("source_id").alias("origin"))
    if of is not None:
        moving = moving.filter(pl.col("source_id").is_in(of.implode()))
    settled = []
    for _ in range(MAX_ECHOES):
        moved = moving.join(step, on="origin", how="left")
        settled.append(moved.filter(pl.col("next").is_null()).drop("next"))
        moving = moved.filter(pl.col("next").is_not_null()).select("source_id", pl.col("next").alias("origin"))
        if moving.height == 0:
            break
    return pl.concat([*settled, moving])


def _support(tables) -> pl.DataFrame:
    """Per claim (claim_id): whether a primary source supports it (primary), and its distinct
    origins, sorted (seen)."""
    sources = tables["sources"]
    supports = tables["claim_evidence"].filter(pl.col("stance") == "supports").select("claim_id", "source_id")
    cited = supports["source_id"].unique()  # only their origins and tiers are needed
    # The last row of each cited id: an id's rows are all cited or none, so one filter does both.
    tier = sources.select("source_id", "tier").filter(
        pl.col("source_id").is_in(cited.implode(), nulls_equal=True) & pl.col("source_id").is_last_distinct()
    )
    return (
        supports.join(origins(sources, cited), on="source_id", how="left", nulls_equal=True)
        .join(tier, on="source_id", how="left", nulls_equal=True)
        .group_by("claim_id")
        .agg(
            (pl.col("tier") == PRIMARY).fill_null(False).any().alias("primary"),
            pl.coalesce("origin", "source_id").unique().sort().alias("seen"),
        )
    )


def sourcing_policy(tables, paths):
    """A `supported` claim needs a primary source or two independent origins; a `reported` one rests on one origin."""
    verdicts = set(tables["verdicts"]["verdict"].drop_nulls()) if "verdicts" in tables else set()
    with_evidence = tables["claim_evidence"]["claim_id"].drop_nulls().implode()  # a claim with none is claim-without-evidence
    claims = _rows(tables["claims"]).select(ROW, "claim_id", "verdict").filter(pl.col("claim_id").is_in(with_evidence))
    checked = claims.join(_support(tables), on="claim_id", how="left").with_columns(
        pl.col("primary").fill_null(False), pl.col("seen").fill_null([])
    )
    confirmed = pl.col("primary") | (pl.col("seen").list.len() >= 2)
    faulty = checked.filter(
        ((pl.col("verdict") == "supported") & ~confirmed) | ((pl.col("verdict") == "reported") & confirmed)
    ).sort(ROW)
    for row, claim_id, verdict, primary, seen in faulty.select(ROW, "claim_id", "verdict", "primary", "seen").rows():
        if verdict == "supported":
            named = f"only one origin, `{seen[0]}`," if seen else "no supporting source"
            yield Problem(
                paths["claims"],
                row,
                "verdict",
                "support-from-one-origin",
                f"Claim `{claim_id}` is supported on {named} and no primary source.",
                f"Add a primary source or a second independent origin to {paths['claim_evidence']}"
                + (", or set the verdict to reported." if "reported" in verdicts else "."),
                "claims",
            )
        else:
            why = "a primary source" if primary else f"{len(seen)} independent origins"
            yield Problem(
                paths["claims"],
                row,
                "verdict",
                "reported-but-confirmed",
                f"Claim `{claim_id}` is rated reported, but {why} support it.",
                "Set the verdict to supported, or correct the evidence's stance or the sources' origins.",
                "claims",
            )


def dated_sources(tables, paths):
    """An empty `published` says why in `dated`; a filled one is `dated`."""
    sources = tables["sources"]
    if "dated" not in sources.columns:
        return
    published, dated = pl.col("published"), pl.col("dated")
    suspects = _rows(sources).filter(
        (published.is_null() & (dated == "dated")) | (published.is_not_null() & dated.is_not_null() & (dated != "dated"))
    )
    for row, source_id, published, dated in suspects.select(ROW, "source_id", "published", "dated").rows():
        if published is None and dated == "dated":
            yield Problem(
                paths["sources"],
                row,
                "dated",
                "undated-source-unexplained",
                f"`{source_id}` has no `published` date but `dated` says dated.",
                "Write the publication date, or set `dated` to undated-page or date-not-seen.",
                "sources",
            )
        elif published is not None and dated not in (None, "dated"):
            yield Problem(
                paths["sources"],
                row,
                "dated",
                "dated-source-marked-undated",
                f"`{source_id}` is dated {published} but `dated` says {dated}.",
                "Set `dated` to dated, or empty `published`.",
                "sources",
            )


NUMBERS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
# The one phrase a rationale uses to state how many exits the Ledger dates before a day (README: Adding a row).
EXITS_BEFORE = re.compile(
    r"\b(\d+|" + "|".join(NUMBERS) + r") of the Ledger's dated exits from Meta came before (\d{1,2} [A-Z][a-z]+ \d{4})",
    re.IGNORECASE,
)


def _period_end(date: dt.date, precision: str | None) -> dt.date:
    """The last day a date of this precision may stand for (a June exit may be 30 June)."""
    if precision == "month":
        return date.replace(day=calendar.monthrange(date.year, date.month)[1])
    if precision == "year":
        return date.replace(month=12, day=31)
    return date


def rationale_counts(tables, paths):
    """A rationale that counts the Ledger's own dated exits before a day must agree with the departures."""
    exits = tables["departures"].filter((pl.col("from_org_id") == "meta") & pl.col("date").is_not_null())
    ends = sorted(_period_end(date, precision) for date, precision in exits.select("date", "date_precision").rows())
    # Only rationales that can hold the phrase reach Python (a superset: the regex decides below).
    stating = _rows(tables["claims"]).filter(pl.col("rationale").str.contains("(?i)exits"))
    for row, claim_id, rationale in stating.select(ROW, "claim_id", "rationale").rows():
        for said, day in EXITS_BEFORE.findall(rationale or ""):
            try:
                before = dt.datetime.strptime(day, "%d %B %Y").date()
            except ValueError:
                continue  # not a date in this form ("5 Julember 2023"): nothing to compare
            stated = int(said) if said.isdigit() else NUMBERS.index(said.lower())
            counted = bisect.bisect_left(ends, before)  # the exits that ended before the day
            if stated != counted:
                yield Problem(
                    paths["claims"],
                    row,
                    "rationale",
                    "rationale-count-mismatch",
                    f"The rationale of `{claim_id}` says {said} of the Ledger's dated exits from Meta came before {day}; "
                    f"{paths['departures']} dates {counted}.",
                    "Correct the figure in the rationale, or the departures it counts.",
                    "claims",
                )


def licence_sizes(tables, paths):
    """A licence row names a size the model was released in."""
    if "model_licences" not in tables:
        return
    params = dict(tables["models"].select("model_id", "parameters").rows())
    for row, model_id, size in _rows(tables["model_licences"]).select(ROW, "model_id", "size").rows():
        sizes = [part.strip() for part in (params.get(model_id) or "").split(";")]
        if model_id in params and size not in sizes:
            yield Problem(
                paths["model_licences"],
                row,
                "size",
                "licence-size-unknown",
                f"`{model_id}` has no size {size} in its parameters ({params[model_id] or 'none given'}).",
                "Write the size as the model's `parameters` gives it, or add the size there.",
                "model_licences",
            )
