"""The Llama story's sourcing rules: what a verdict, a rationale, a source's date and a licence row may say.

Separate from llama.py to keep that module readable; each rule takes (tables, paths) and yields Problems.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import polars as pl

from builder.errors import Problem
from builder.rules import ROW
from builder.rules import numbered as _rows

PRIMARY = "primary"
MAX_ECHOES = 20  # an origin chain longer than this is a loop; it stops there


def origins(sources: pl.DataFrame) -> dict[str, str]:
    """Each source's origin: follow `origin_source_id` to a source that repeats no other in the table."""
    if "origin_source_id" not in sources.columns:
        return {sid: sid for sid in sources["source_id"].drop_nulls()}
    parent = dict(sources.select("source_id", "origin_source_id").rows())
    found = {}
    for sid in parent:
        node, seen = sid, 0
        while parent.get(node) and parent[node] in parent and seen < MAX_ECHOES:
            node, seen = parent[node], seen + 1
        found[sid] = node
    return found


def _support(tables) -> dict[str, tuple[bool, list[str]]]:
    """Per claim: whether a primary source supports it, and its distinct origins (sorted)."""
    sources = tables["sources"]
    origin = origins(sources)
    tier = dict(sources.select("source_id", "tier").rows())
    found: dict[str, tuple[bool, set[str]]] = {}
    supports = tables["claim_evidence"].filter(pl.col("stance") == "supports")
    for claim_id, source_id in supports.select("claim_id", "source_id").rows():
        primary, seen = found.get(claim_id, (False, set()))
        found[claim_id] = (primary or tier.get(source_id) == PRIMARY, seen | {origin.get(source_id, source_id)})
    return {claim_id: (primary, sorted(seen)) for claim_id, (primary, seen) in found.items()}


def sourcing_policy(tables, paths):
    """A `supported` claim needs a primary source or two independent origins; a `reported` one rests on one origin."""
    verdicts = set(tables["verdicts"]["verdict"].drop_nulls()) if "verdicts" in tables else set()
    support = _support(tables)
    with_evidence = set(tables["claim_evidence"]["claim_id"].drop_nulls())  # a claim with none is claim-without-evidence
    for row, claim_id, verdict in _rows(tables["claims"]).select(ROW, "claim_id", "verdict").rows():
        if claim_id not in with_evidence:
            continue
        primary, seen = support.get(claim_id, (False, []))
        confirmed = primary or len(seen) >= 2
        if verdict == "supported" and not confirmed:
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
        elif verdict == "reported" and confirmed:
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
    for row, source_id, published, dated in _rows(sources).select(ROW, "source_id", "published", "dated").rows():
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
    ends = [_period_end(date, precision) for date, precision in exits.select("date", "date_precision").rows()]
    for row, claim_id, rationale in _rows(tables["claims"]).select(ROW, "claim_id", "rationale").rows():
        for said, day in EXITS_BEFORE.findall(rationale or ""):
            try:
                before = dt.datetime.strptime(day, "%d %B %Y").date()
            except ValueError:
                continue  # not a date in this form ("5 Julember 2023"): nothing to compare
            stated = int(said) if said.isdigit() else NUMBERS.index(said.lower())
            counted = sum(end < before for end in ends)
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
