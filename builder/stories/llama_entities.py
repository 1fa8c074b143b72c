"""The Llama story's hooks for entity pages: one summary sentence per entity, the flag on a stale
status, headings for related rows, search boosts, and the spellings and keywords search finds them by."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl

from builder.stories import llama_search
from builder.stories.llama_rules import PAPER_AUTHORS
from builder.views.plugin import format_date

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


def country_words(name: str) -> str:
    """A country's name after "in": "the United States", "the United Kingdom", but "France"."""
    named = name.startswith("United ") or name.endswith(("s", "Republic", "Kingdom")) or " of " in name
    return f"the {name}" if named else name


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
            text += (
                f" That report is {STALE_TAG} on {format_date(newest, 'day')}, the newest day a source was checked:"
                " the status may have changed."
            )
        text += "".join(f" {sentence}" for sentence in llama_search.departure_sentences(site, row, format_date))
        return text
    if table == "organizations":
        kind = (
            site.word("organizations", "kind", row["kind"]).lower() if row.get("kind") not in (None, "other") else "organization"
        )
        text = f"{row['name']} is {'an' if kind[0] in 'aeio' else 'a'} {kind}"
        if row.get("country"):
            text += f" based in {country_words(site.word('organizations', 'country', row['country']))}"
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
