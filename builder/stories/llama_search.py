"""The words readers search the Ledger with, per page: indexed, never shown.

A question such as "llama 3 release date" or "who left meta" shares few words with the page that
answers it (a model's release is in its fields, which search skips; the departures are a data page).
Each page gets a short `search.keywords` front-matter entry: the MkDocs hook indexes it as its own
field, and the search worker ranks pages by how many of the typed words their title and keywords
hold. Only vocabulary goes here (release date, left, founders, open source), never names but the
story's company ("when did pineau leave meta"), so that a name still finds its own page first. The
facts behind it (release days, founders, who left) come from the data.
"""

from __future__ import annotations

import polars as pl

# The data page a question about a topic should open first, and the words that ask for it.
DATA_KEYWORDS = {
    "departures": "who left Meta, left, leave, leaving, departed, departures, quit, exits, leavers, resigned, where they went",
    "model_licences": "open source, open weights, open, licence, license, licences, licenses, free",
    "releases": "release dates, released, launched, launch",
}
RELEASE_WORDS = "release date, released, launched, launch date"
LEAVER_WORDS = "left, leave, leaving, departed, departure, quit, exit"
STORY_ORG, STORY_ORG_WORD = "meta", "Meta"  # the company the story's people leave (as departures_by_destination)
FOUNDER_WORDS = "founders, co-founders, founder, founded by"
FOUNDED_WORDS = "founded"


def _facts(site) -> dict:
    """First release per model and co-founders per organization, read once per site."""
    facts = getattr(site, "_llama_search_facts", None)
    if facts is None:
        releases = site.tables["releases"]
        first = (
            releases.filter(pl.col("event").is_in(("released", "open-weights")) & pl.col("date").is_not_null())
            .sort("date", "release_id")
            .unique("model_id", keep="first", maintain_order=True)
        )
        departures = site.tables["departures"]
        leavers = set(departures["person_id"].drop_nulls())
        # The story's company: "when did pineau leave meta" names it (its full name would match "Meta Platforms").
        left_meta = set(departures.filter(pl.col("from_org_id") == STORY_ORG)["person_id"].drop_nulls())
        founders: dict[str, list[str]] = {}
        if "role" in departures.columns:
            people = site.tables["people"].select("person_id", "name")
            rows = (
                departures.filter(pl.col("role").str.to_lowercase().str.contains("founder") & pl.col("to_org_id").is_not_null())
                .join(people, on="person_id", how="left")
                .sort("to_org_id", "name")
            )
            for org, name in rows.select("to_org_id", "name").rows():
                founders.setdefault(org, []).append(name)
        facts = {
            "released": {m: (d, p) for m, d, p in first.select("model_id", "date", "date_precision").rows()},
            "founders": founders,
            "leavers": leavers,
            "left_meta": left_meta,
            "founder_people": set(
                departures.filter(pl.col("role").str.to_lowercase().str.contains("founder"))["person_id"]
                if "role" in departures.columns
                else []
            ),
        }
        site._llama_search_facts = facts
    return facts


def first_release(site, model_id: str):
    """(date, precision) of a model's first public release, or None."""
    return _facts(site)["released"].get(model_id)


def departure_sentences(site, person: dict, format_date) -> list[str]:
    """'Guillaume Lample left Meta … in May 2023 for Mistral AI.': when and where to, as a question asks it."""
    departures = site.tables["departures"].filter(pl.col("person_id") == person["person_id"])
    sentences = []
    for row in departures.sort("date", "departure_id", nulls_last=True).iter_rows(named=True):
        text = f"{person['name']} left {site.label('organizations', row['from_org_id'])}"
        if row["date"] is not None:
            precision = row.get("date_precision")
            text += f" {'on' if precision == 'day' else 'in'} {format_date(row['date'], precision)}"
        elif row.get("left_by") is not None:
            text += f" on a date no source gives (reported by {format_date(row['left_by'], 'day')})"
        if row["to_org_id"] is not None:
            text += f" for {site.label('organizations', row['to_org_id'])}"
        sentences.append(text + ".")
    return sentences


def founders(site, org_id: str) -> list[str]:
    """People the Ledger records as (co-)founders of an organization, by their role where they went."""
    return _facts(site)["founders"].get(org_id, [])


def keywords(site, table: str, row: dict, spellings: list[str]) -> str | None:
    """The vocabulary a reader would type to reach this entity page, beyond its name (and a model's
    other spellings, which the summary also shows)."""
    if table == "models":
        words = list(spellings)
        if first_release(site, row["model_id"]):
            words.append(RELEASE_WORDS)
        return ", ".join(words) or None
    if table == "people":
        facts = _facts(site)
        words = [LEAVER_WORDS] if row["person_id"] in facts["leavers"] else []
        if row["person_id"] in facts["left_meta"]:
            words.append(STORY_ORG_WORD)
        if row["person_id"] in facts["founder_people"]:
            words.append(FOUNDER_WORDS)
        return ", ".join(words) or None
    if table == "organizations":
        words = []
        if founders(site, row["org_id"]):
            words.append(FOUNDER_WORDS)
        if row.get("founded"):
            words.append(FOUNDED_WORDS)
        return ", ".join(words) or None
    return None
