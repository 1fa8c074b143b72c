"""Issue 18 leftovers, checked in the built HTML of the real package: the data previews of derived
views read like the tables' (labels, not codes or ids), a country reads by its name, one "data as of"
date (the data's last dated event) wherever the words appear, a footer that names the release, and
a list's two pagers with distinct accessible names.

Codes, ids and dates are computed from datapackage.json, the seeds and the downloads, never typed in here.
"""

import csv
import datetime as dt
import html
import json
import re
from collections import Counter
from html.parser import HTMLParser
from types import SimpleNamespace

from click.testing import CliRunner
from conftest import descriptor, resource, save
from test_words import labelled_codes, seed_rows, visible

from builder.cli import cli
from builder.common import labels
from builder.common.dates import format_date
from builder.site.words import release_stamp

PREVIEW = re.compile(r'<table class="ledger-table ledger-preview[^"]*">.*?<tbody>(.*?)</tbody>', re.S)


class Texts(HTMLParser):
    """The text nodes of an HTML fragment, but those in the cells of the columns `skipped`."""

    def __init__(self, skipped=()):
        super().__init__()
        self.skipped, self.column = set(skipped), None
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "td":
            self.column = dict(attrs).get("data-label")

    def handle_data(self, data):
        if data.strip() and self.column not in self.skipped:
            self.texts.append(data.strip())


def preview_texts(page, skipped=()) -> list[str]:
    """The text of a data page's preview rows (not its schema, which names the codes on purpose)."""
    parser = Texts(skipped)
    parser.feed(PREVIEW.search(page.read_text(encoding="utf-8")).group(1))
    return parser.texts


def views(root) -> list[str]:
    published = json.loads((root / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    return [r["name"] for r in published["resources"] if r["ledger"]["view"]]


def test_data_previews_of_views_and_tables_show_labels_never_a_code_or_an_id(built):
    """Before: author_status showed `hugo-touvron` and `at-meta`, the timeline `organization-founded`."""
    codes = labelled_codes(built)
    assert {"at-meta", "not-at-meta", "organization-founded", "hugo-touvron", "US"} <= codes.keys()
    assert {"author_status", "timeline", "release_cadence", "verdict_summary"} <= set(views(built))
    # A table's own key is the downloads' id of the row, as on every table's preview; a view's ids are all read.
    keys = {r["name"]: r["schema"]["primaryKey"] for r in descriptor(built)["resources"]}
    shown = {}
    for page in sorted((built / "site" / "data").glob("*/index.html")):
        texts = preview_texts(page, keys.get(page.parent.name, ()))
        found = sorted({t for t in texts if t in codes})
        # A hyphenated code inside a text (a note) is a code too: "Status not-at-meta: …".
        hyphenated = [c for c in codes if "-" in c]
        found += sorted({c for t in texts for c in hyphenated if re.search(rf"(?<![\w/.-]){re.escape(c)}(?![\w/-])", t)})
        if found:
            shown[page.parent.name] = found
    assert shown == {}


def test_a_views_vocabularies_are_published_as_categories_and_its_downloads_keep_the_codes(built):
    published = json.loads((built / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    fields = {(r["name"], f["name"]): f for r in published["resources"] for f in r["schema"]["fields"]}
    assert fields[("author_status", "status")]["categories"] == fields[("people", "status")]["categories"]
    assert fields[("release_cadence", "family")]["categories"] == fields[("models", "family")]["categories"]
    kinds = labels.vocabulary(fields[("timeline", "kind")])
    with (built / "dist" / "data" / "timeline.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["kind"] for row in rows} <= kinds.keys()  # every kind has its words, and the CSV the codes
    assert labels.vocabulary(fields[("timeline", "date_precision")])["month"] == "Month"
    with (built / "dist" / "data" / "author_status.csv").open(encoding="utf-8") as handle:
        assert "at-meta" in {row["status"] for row in csv.DictReader(handle)}
    preview = (built / "site" / "data" / "timeline" / "index.html").read_text(encoding="utf-8")
    # A destination that is no organization ("unknown") reads in words; the column is no closed list.
    assert "categories" not in fields[("departures_by_destination", "to_org_id")]
    with (built / "dist" / "data" / "departures_by_destination.csv").open(encoding="utf-8") as handle:
        assert "unknown" in {row["to_org_id"] for row in csv.DictReader(handle)}
    destinations = (built / "site" / "data" / "departures_by_destination" / "index.html").read_text(encoding="utf-8")
    assert '<td data-label="to_org_id" class="ledger-short">Not reported</td>' in destinations
    subject = next(r for r in rows if r["subject_table"] == "people")
    assert f'<a href="../../people/{subject["subject_id"]}/">' in preview  # a subject links to its page


def test_a_country_reads_by_its_name(built):
    """The country is an ISO code in the data; the descriptor names every code in use (v2 categories)."""
    country = next(f for f in resource(descriptor(built), "organizations")["schema"]["fields"] if f["name"] == "country")
    names = labels.vocabulary(country)
    organizations = seed_rows(built, "organizations")
    assert {o["country"] for o in organizations if o["country"]} <= names.keys()
    index = [t for t, _ in visible(built / "site" / "organizations" / "index.html")]
    for organization in organizations:
        code = organization["country"]
        if not code:
            continue
        texts = [t for t, _ in visible(built / "site" / "organizations" / organization["org_id"] / "index.html")]
        assert code not in texts and names[code] in texts
        assert code not in index and names[code] in index
        lead = " ".join(texts)
        assert f"based in {names[code]}" in lead or f"based in the {names[code]}" in lead
    with (built / "dist" / "data" / "organizations.csv").open(encoding="utf-8") as handle:
        assert {row["country"] for row in csv.DictReader(handle)} <= names.keys()  # the downloads keep the codes


def test_one_data_as_of_date_everywhere_and_the_footer_names_the_version(built):
    """Before: the footer said "Data as of" the build's date, the charts the last date they drew."""
    with (built / "dist" / "data" / "timeline.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    last = max(dt.date.fromisoformat(d) for r in rows for d in (r["date"], r["left_by"]) if d)
    said = Counter()
    for page in (built / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        said.update(re.findall(r"[Dd]ata as of (\d{1,2} [A-Z][a-z]+ \d{4})", text))
    assert set(said) == {format_date(last, "day")}, said
    home = (built / "site" / "index.html").read_text(encoding="utf-8")
    footer = re.search(r'<div class="md-copyright__highlight">(.*?)</div>', home, re.S).group(1)
    version = descriptor(built)["version"]
    assert f"Version {version}" in footer and "as of" not in footer
    assert re.search(r'class="ledger-asof">Data as of [^<]*· Version ' + re.escape(version), home)


def test_the_release_stamp_says_which_release_and_when_it_was_published():
    built = dt.date(2026, 12, 4)
    release = SimpleNamespace(version="0.3.1", date=dt.datetime(2026, 12, 3, 21, 24, tzinfo=dt.UTC))
    ledger = SimpleNamespace(available=True, releases=[release], entries=[SimpleNamespace(release=release)])
    assert release_stamp("0.3.1", ledger, built) == "Release 0.3.1, published 3 December 2026"
    ledger.entries.insert(0, SimpleNamespace(release=None))  # changed since the release
    assert release_stamp("0.3.1", ledger, built) == (
        "Release 0.3.1 (published 3 December 2026) and later changes, built 4 December 2026"
    )
    assert release_stamp("0.4.0", ledger, built) == "Version 0.4.0 (not yet released), built 4 December 2026"
    assert release_stamp("0.4.0", None, built) == "Version 0.4.0, built 4 December 2026"  # no history to ask
    assert release_stamp(None, None, built) == "Built 4 December 2026"


def test_a_lists_pagers_have_distinct_accessible_names(built):
    """Before: /sources/ had two navs named "Pages of this list" (axe: landmark-unique)."""
    paged = 0
    for page in (built / "site").rglob("*.html"):
        names = re.findall(r'<nav class="ledger-pager" aria-label="([^"]*)"', page.read_text(encoding="utf-8"))
        if names:
            paged += 1
            assert len(names) == len(set(names)), (page, names)
    assert paged > 0
    sources = (built / "site" / "sources" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<nav class="ledger-pager" aria-label="([^"]*)"', sources) == [
        "Sources: pages, above the list",
        "Sources: pages, below the list",
    ]


def test_a_views_own_id_reads_as_its_rows_words(built):
    """The timeline preview titled its phone rows `organization-founded-google-19980904-0`: a view's
    own key shows the row's `label` where the view has one (the downloads keep the id)."""
    rows = list(csv.DictReader(open(built / "dist" / "data" / "timeline.csv", encoding="utf-8")))
    ids, words = {r["event_id"] for r in rows}, {r["label"] for r in rows}
    page = built / "site" / "data" / "timeline" / "index.html"
    firsts = [
        m.group(1)
        for m in re.finditer(
            r'<tr><td data-label="[^"]*"[^>]*>(.*?)</td>', PREVIEW.search(page.read_text(encoding="utf-8")).group(1)
        )
    ]
    assert firsts and not ids & set(firsts)
    assert {html.unescape(f) for f in firsts} <= words


HOSTILE_WORDS = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"  # no comma or quote: a bare CSV cell


def test_hostile_words_for_codes_and_view_rows_are_text(ledger):
    """A country's label and a timeline event's words come from the data: on every page that shows
    them (the organization's lead and tag, its index, the data previews) they are text, never markup."""
    data = descriptor(ledger)
    country = next(f for f in resource(data, "organizations")["schema"]["fields"] if f["name"] == "country")
    country["categories"] = [{**c, "label": HOSTILE_WORDS} if c["value"] == "US" else c for c in country["categories"]]
    save(ledger, data)
    names = ledger / "seeds" / "organizations.csv"
    names.write_text(names.read_text(encoding="utf-8").replace("Mistral AI", HOSTILE_WORDS), encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--root", str(ledger), "--quiet"])
    assert result.exit_code == 0, result.output
    pages = {p: p.read_text(encoding="utf-8") for p in (ledger / "site").rglob("*.html")}
    assert not [p for p, text in pages.items() if "<script>alert(" in text or "<img src=x" in text]
    escaped = html.escape(HOSTILE_WORDS, quote=False)
    assert escaped in pages[ledger / "site" / "organizations" / "meta" / "index.html"]  # "based in …" and its tag
    assert f"leaves for {escaped}" in pages[ledger / "site" / "data" / "timeline" / "index.html"]  # an event's words
