"""What a reader gets from the built pages, checked in the HTML: claims and entities linked both
ways, no placeholder titles, honest data pages, citations from datapackage.json, the site's address."""

import csv
import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from html import escape as html_escape
from html import unescape
from pathlib import Path

from click.testing import CliRunner

from builder.cli import cli
from builder.outputs import cite
from builder.site.markup import inline_markdown
from tests.conftest import write_seed_rows

ROOT = Path(__file__).resolve().parent.parent


def rows(root: Path, table: str) -> list[dict]:
    with open(root / "seeds" / f"{table}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def html(built: Path, path: str) -> str:
    return (built / "site" / path / "index.html").read_text(encoding="utf-8")


def test_claims_and_the_entities_they_are_about_link_both_ways(built):
    for table, column in (("models", "model_id"), ("people", "person_id"), ("organizations", "organization_id")):
        for link in rows(built, f"claim_{table}"):
            claim = html(built, f"claims/{link['claim_id']}")
            about = re.search(r'<p class="ledger-about">(.*?)</p>', claim).group(1)
            assert f'href="../../{table}/{link[column]}/"' in about
            entity = html(built, f"{table}/{link[column]}")
            section = entity.split("Claims about this", 1)[1]
            assert f'href="../../claims/{link["claim_id"]}/"' in section


def test_a_quote_links_to_its_marked_passage_and_marks_say_their_verdict(built):
    article = html(built, "documents/meta-llama-departures-article")
    labels = {row["verdict"]: row["label"] for row in rows(built, "verdicts")}
    for claim in rows(built, "claims"):
        page = html(built, f"claims/{claim['claim_id']}")
        assert f'href="../../documents/{claim["document_id"]}/#claim-{claim["claim_id"]}"' in page
        mark = re.search(rf'<a class="ledger-mark [^"]*" href="[^"]*" id="claim-{claim["claim_id"]}">(.*?)</a>', article, re.S)
        assert mark, claim["claim_id"]
        assert f"[{labels[claim['verdict']]}]" in mark.group(1)
    # The legend defines every verdict, in rank order.
    legend = re.search(r'<details class="ledger-legend".*?</details>', html(built, "claims"), re.S).group(0)
    shown = re.findall(r'ledger-tag--([a-z-]+)">', legend)
    assert shown == [row["verdict"] for row in sorted(rows(built, "verdicts"), key=lambda r: int(r["rank"]))]


def test_placeholder_titles_never_reach_readers(built):
    for page in (built / "site").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<title>.*?</title>|<h1[^>]*>.*?</h1>", text, re.S):
            assert "[title not seen" not in tag.lower() and "[headline not captured" not in tag.lower(), (page, tag)
    # A source whose headline was not seen is named "Publisher, date".
    for source in (row for row in rows(built, "sources") if row["title"].startswith("[")):
        assert re.search(
            rf"<h1[^>]*>{re.escape(html_escape(source['publisher']))}, ", html(built, f"sources/{source['source_id']}")
        )


def test_home_page_names_the_article_its_result_and_the_data_version(built):
    home = html(built, "")
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    document = rows(built, "documents")[0]
    assert "<title>Who left Meta's Llama team, and which claims hold up - Llama Ledger</title>" in home
    assert f"<cite>{document['title']}</cite>" in home
    assert f"All {len(rows(built, 'claims'))} claims of <cite>" in home
    # The data's last dated event, then the release (a copy outside git has no history: its version).
    version = re.escape(descriptor["version"])
    assert re.search(rf"Data as of \d+ \w+ \d{{4}}, the latest dated event · Version {version}, built ", home)


def test_data_pages_name_their_real_order_and_render_markdown(built):
    cadence = list(csv.DictReader(open(built / "dist" / "data" / "release_cadence.csv", encoding="utf-8")))
    assert [r["date"] for r in cadence] == sorted(r["date"] for r in cadence)
    page = html(built, "data/release_cadence")
    assert "sorted by <code>date</code>, then <code>model_id</code>." in page
    assert "(the primary key)" not in page
    sources = html(built, "data/sources")
    # The preview is cut to a size budget: how many rows it shows depends on how long they are.
    assert re.search(r"All \d+ rows|The first \d+ of \d+ rows", sources)
    for path in (built / "site" / "data").rglob("index.html"):
        assert not re.search(r"<td data-label=\"Description\"[^>]*>[^<]*`[^`<]+`", path.read_text(encoding="utf-8")), path


def test_every_page_stays_under_150_kb(built):
    sizes = {p.relative_to(built / "site").as_posix(): p.stat().st_size for p in (built / "site").rglob("*.html")}
    assert max(sizes.values()) <= 150 * 1024, max(sizes.items(), key=lambda item: item[1])


def test_inline_markdown_is_rendered_safely():
    text = "Use `model_id` **only**, see [docs](https://example.org/a?b=1&c=2) or [x](javascript:alert(1)) <b>"
    assert str(inline_markdown(text)) == (
        'Use <code>model_id</code> <strong>only</strong>, see <a href="https://example.org/a?b=1&amp;c=2" '
        'rel="noopener">docs</a> or [x](javascript:alert(1)) &lt;b&gt;'
    )


def test_citation_cff_is_made_from_datapackage_json():
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    expected = cite.citation_cff(descriptor)
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == expected, (
        "CITATION.cff disagrees with datapackage.json: regenerate it with `make citation`"
    )


def test_make_citation_runs_and_writes_the_same_file():
    """The fix the test above names must work: the Makefile's recipe, run as it is written."""
    recipe = re.search(r"^citation:.*\n\t\$\(BIN\)/python -c '(.*?)' > CITATION.cff$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe, "the Makefile has no `citation` recipe of the expected shape"
    made = subprocess.run([sys.executable, "-c", recipe.group(1)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert made.stdout == (ROOT / "CITATION.cff").read_text(encoding="utf-8")


def test_without_a_site_url_nothing_is_absolute(built):
    claim = html(built, f"claims/{rows(built, 'claims')[0]['claim_id']}")
    assert '<link rel="canonical"' not in claim
    review = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', claim, re.S).group(1))
    assert "url" not in review
    assert '<meta property="og:title"' in claim and '<meta property="og:url"' not in claim


def test_site_url_gives_canonical_links_a_full_sitemap_and_absolute_json_ld(bookshelf):
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet", "--site-url", "https://example.org/shelf"])
    assert result.exit_code == 0, result.output
    site = bookshelf / "site"
    pages = sorted(p for p in site.rglob("index.html") if p.parent.name != "404")
    sitemap = gzip.decompress((site / "sitemap.xml.gz").read_bytes()).decode()
    assert len(re.findall("<loc>", sitemap)) == len(pages)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/shelf/">' in home
    assert '<meta property="og:url" content="https://example.org/shelf/">' in home
    data = (site / "data" / "index.html").read_text(encoding="utf-8")
    dataset = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', data, re.S).group(1))
    assert dataset["url"] == "https://example.org/shelf/data/"
    assert all(d["contentUrl"].startswith("https://example.org/shelf/downloads/") for d in dataset["distribution"])


def test_a_site_url_that_is_not_http_is_refused(bookshelf):
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--site-url", "javascript:alert(1)"])
    assert result.exit_code == 2
    assert "'javascript:alert(1)' is not an http(s) address such as https://example.org/ledger/." in result.output


def test_a_bracketed_title_is_shown_as_publisher_and_date():
    import datetime as dt

    from builder.site.model import Site

    site = Site.__new__(Site)  # only what label() reads
    site._labels = {}  # where label() remembers what it found
    site.resources = {"sources": {"name": "sources", "schema": {"primaryKey": ["source_id"]}, "ledger": {"label": "title"}}}
    site.rows_by_id = {
        "sources": {
            "a": {"title": "[title not seen]", "publisher": "Wired", "published": dt.date(2025, 5, 26)},
            "b": {"title": "[Headline not captured]", "publisher": "Le Monde", "published": None},
            "c": {"title": "A real headline", "publisher": "Wired", "published": None},
        }
    }
    assert [site.label("sources", key) for key in "abc"] == ["Wired, 26 May 2025", "Le Monde, undated", "A real headline"]


def test_workbook_opens_on_a_readme_and_every_sheet_has_a_filter_and_widths(built):
    import zipfile

    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(built / "dist" / f"{descriptor['name']}-{descriptor['version']}.xlsx") as book:
        names = re.findall(r'<sheet name="([^"]+)"', book.read("xl/workbook.xml").decode())
        sheets = [book.read(f"xl/worksheets/sheet{i}.xml").decode() for i in range(1, len(names) + 1)]
    strings = sheets[0]  # text is stored in the rows (the workbook is written in constant-memory mode)
    assert names[0] == "README" and "sources" in names
    assert "Licence: Creative Commons Attribution 4.0" in strings
    assert "The source of the event." in strings  # a field description from a view
    for name, sheet in zip(names[1:], sheets[1:], strict=True):
        assert "<autoFilter ref=" in sheet and "<col " in sheet, name


def test_every_footer_says_which_data_it_shows(built):
    version = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))["version"]
    for path in ("", "claims", "data/sources", "people/yann-lecun"):
        footer = re.search(r'md-copyright__highlight">\s*(.*?)\s*</div>', html(built, path), re.S).group(1)
        # The release and when it was published; outside git (no history) the version and the build's day.
        assert re.fullmatch(rf"Data CC-BY-4.0 · Code MIT · Version {re.escape(version)}, built \d+ \w+ \d{{4}}", footer)


FEED_LINK = re.compile(r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">')


def test_every_page_names_the_atom_feed_of_releases(built):
    site = built / "site"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 200
    for page in pages:
        head = page.read_text(encoding="utf-8").split("</head>", 1)[0]
        links = FEED_LINK.findall(head)
        assert len(links) == 1, page
        title, href = links[0]
        assert title == "Llama Ledger: releases"
        # Relative to the page (the 404 page is served at any depth: its links are relative to its <base>).
        base = site if page.name == "404.html" else page.parent
        assert (base / href).resolve() == (site / "changes.xml").resolve(), (page, href)
    assert (site / "changes.xml").read_text(encoding="utf-8").startswith('<?xml version="1.0" encoding="utf-8"?>\n<feed')


def test_with_a_site_url_the_feed_link_is_absolute(bookshelf):
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet", "--site-url", "https://example.org/shelf"])
    assert result.exit_code == 0, result.output
    for page in ("index.html", "data/index.html", "404.html"):
        head = (bookshelf / "site" / page).read_text(encoding="utf-8").split("</head>", 1)[0]
        assert FEED_LINK.findall(head) == [("Bookshelf: releases", "https://example.org/shelf/changes.xml")], page


def test_about_links_to_the_changes_instead_of_keeping_its_own_changelog(built):
    descriptor = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    version = descriptor["version"]
    about = html(built, "about")
    assert "Changelog" not in about and "0.1.0" not in about  # no hand-written list of releases to go stale
    section = about[about.index('<h2 id="changes">') :]
    assert f"This is version <strong>{version}</strong>. " in section
    assert html_escape(descriptor["ledger"]["release_notes"][version], quote=False) in section
    assert re.search(r'<a href="\.\./changes/"[^>]*>Changes</a> page', section)


def test_verdicts_read_by_their_names_not_their_codes(built):
    labels = {row["verdict"]: row["label"] for row in rows(built, "verdicts")}
    model = html(built, "models/llama-2")
    tags = re.findall(r'<span class="ledger-tag ledger-tag--([a-z-]+)">([^<]*)</span>', model)
    verdicts = [(code, shown) for code, shown in tags if code in labels]
    assert verdicts and all(shown == labels[code] for code, shown in verdicts)
    assert 'ledger-tag--partly-supported">Partly supported</span>' in html(built, "claims")


def test_the_verdict_filter_and_the_home_figures_name_verdicts_in_words(built):
    labels = {row["verdict"]: row["label"] for row in rows(built, "verdicts")}
    claims = html(built, "claims")
    select = claims.split('data-attribute="data-verdict">', 1)[1].split("</select>", 1)[0]
    options = re.findall(r'<option value="([^"]*)">([^<]*)</option>', select)
    assert options[0] == ("", "all")
    assert sorted(options[1:], key=lambda o: o[0]) == sorted(labels.items())  # the code filters, the name is shown
    home = html(built, "")
    figure = re.search(r"claims of <cite>[^<]*</cite>: ([^<]*)\.</p>", home).group(1)
    counts = Counter(row["verdict"] for row in rows(built, "claims"))
    assert sorted(figure.split(", ")) == sorted(f"{n} {labels[code].lower()}" for code, n in counts.items())
    text = re.sub(r"<[^>]*>", "", home)  # what a reader sees (a tag's class may name its code)
    assert not any(code in text for code in labels if "-" in code)  # no "partly-supported" anywhere on it


def test_ids_cited_in_notes_link_to_their_pages(built):
    """A note cites rows by id (`mintlify-llama-2`): the reader sees the row's name, linked to its page."""
    model = html(built, "models/llama-2")
    source = next(r for r in rows(built, "sources") if r["source_id"] == "mintlify-llama-2")
    title = html_escape(source["title"])
    assert f'<a href="../../sources/mintlify-llama-2/">{title}</a>' in model
    assert '<a href="../../sources/lesswrong-meta-announces-llama2/">' in model
    assert "<code>mintlify-llama-2</code>" not in model
    assert "<td><code>llama-2</code></td>" in model  # the page's own id is not a link to itself


def test_claim_pages_say_what_their_sources_are_and_where_figures_conflict(built):
    # Every evidence item gives its source's date, or the reason it has none (the `dated` column).
    sources = {row["source_id"]: row for row in rows(built, "sources")}
    for evidence in rows(built, "claim_evidence"):
        source = sources[evidence["source_id"]]
        if source["published"]:
            continue
        page = html(built, f"claims/{evidence['claim_id']}")
        item = page.split(f'href="../../sources/{evidence["source_id"]}/"', 1)[1].split("</li>", 1)[0]
        assert f"{html_escape(source['publisher'])}, {source['dated'].replace('-', ' ')})" in item
    # Fudzilla's "more than half of the 14" is set against the Ledger's own dated exits on the claim page.
    page = html(built, "claims/headline-scientists-engineers-leave-meta")
    assert "This conflicts with the Ledger&#39;s own data: it dates 5 exits of paper authors by then" in page


def test_a_model_page_lists_its_licence_per_size(built):
    page = html(built, "models/llama-guard-3")
    table = page.split("Licences by size", 2)[2]  # the section after the note that names it
    for size, licence in (("1B", "Llama 3.2"), ("11B", "Llama 3.2"), ("8B", "Llama 3.1"), ("8B", "Llama 3.2")):
        assert re.search(rf"<td[^>]*>{size}</td>\s*<td[^>]*>{licence} Community License</td>", table), (size, licence)


def test_the_search_index_stays_small_and_carries_the_readers_words(built):
    """Issue 18 §2: offline search loads one index; it stays under 500 KB gzipped. Question words reach
    the pages that answer them through each page's unseen keywords field, and names are not keywords."""
    raw = (built / "site" / "search" / "search_index.json").read_bytes()
    assert len(gzip.compress(raw, compresslevel=6)) < 500_000
    index = json.loads(raw)
    assert index["config"]["fields"]["keywords"]["boost"] > 0
    keywords = {doc["location"]: doc.get("keywords", "") for doc in index["docs"]}
    assert "left" in keywords["data/departures/"] and "open source" in keywords["data/model_licences/"]
    released = {r["model_id"] for r in rows(built, "releases") if r["event"] in ("released", "open-weights") and r["date"]}
    for model in rows(built, "models"):
        assert ("release date" in keywords[f"models/{model['model_id']}/"]) == (model["model_id"] in released)
    for person in rows(built, "people"):
        assert person["name"] not in keywords.get(f"people/{person['person_id']}/", "")
    # Never shown: the keywords are not in any page's HTML.
    assert "leavers, resigned" not in html(built, "data/departures")


def test_a_chart_is_not_searched_the_table_beside_it_is(built):
    """A chart's drawn words (axis years, labels, the as-of line) would reach the search index as one
    run of text ("2023202420252026Year…"): the charts are left out, and what they draw is found in
    the table beside them."""
    index = json.loads((built / "site" / "search" / "search_index.json").read_bytes())
    timeline = [doc for doc in index["docs"] if doc["location"].startswith("timeline/")]
    text = " ".join(doc["text"] for doc in timeline)
    assert re.search(r'<svg [^>]*class="ledger-chart[^>]* data-search-exclude>', html(built, "timeline"))
    assert not re.search(r"(20\d\d){3}", text) and "data as of" not in text
    assert "Llama 2" in text and "leaves" in text  # the events, from the table
    for doc in index["docs"]:
        assert "data as of" not in doc["text"], doc["location"]


def test_a_views_preview_shows_a_title_once(built):
    """source_usage's rows hold each source's title beside its id, which the preview shows as the
    title (issue 18: ids read as words): the title column is left out of the preview, and says so;
    the downloads keep it. A table's own title is always shown (documents: a title that is its
    source's too)."""
    titles = {s["source_id"]: s["title"] for s in rows(built, "sources")}
    page = html(built, "data/source_usage")
    preview = page.split("ledger-preview", 1)[1].split("</tbody>", 1)[0]
    headings = re.findall(r'<th scope="col">([^<]*)</th>', preview)
    assert "source_id" in headings and "title" not in headings
    assert "<code>title</code> is not repeated here: it is what <code>source_id</code> shows." in page
    linked = re.findall(r'<tr><td data-label="source_id"[^>]*><a href="../../sources/([^/]+)/">([^<]*)</a>', preview)
    assert len(linked) == preview.count("<tr><td") > 1
    assert all(unescape(shown) == titles[source_id] for source_id, shown in linked)
    with open(built / "dist" / "data" / "source_usage.csv", encoding="utf-8") as handle:
        assert "title" in next(csv.reader(handle))
    documents = html(built, "data/documents").split("ledger-preview", 1)[1]
    assert '<th scope="col">title</th>' in documents and "is not repeated" not in html(built, "data/documents")


def test_a_hostile_title_left_out_of_a_preview_is_text_where_it_is_shown(ledger):
    """A source titled with markup: source_usage's preview shows it once, as the id's link text,
    escaped; the `title` column it repeats is still left out, and no raw markup reaches the page."""
    path = ledger / "seeds" / "sources.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    hostile = '<script>alert(1)</script><b onmouseover="x()">bold</b> & "quoted"'
    first = sorted(table, key=lambda row: row["source_id"])[0]
    first["title"] = hostile
    write_seed_rows(path, table)
    result = CliRunner().invoke(cli, ["build", "--root", str(ledger), "--quiet"])
    assert result.exit_code == 0, result.output
    page = html(ledger, "data/source_usage")
    assert "<script>alert(1)" not in page and "<b onmouseover" not in page
    preview = page.split("ledger-preview", 1)[1].split("</tbody>", 1)[0]
    assert '<th scope="col">title</th>' not in preview
    link = f'<a href="../../sources/{first["source_id"]}/">{html_escape(hostile, quote=False)}</a>'
    assert link in preview.replace("&#34;", '"')
    assert "<code>title</code> is not repeated here" in page


def test_summaries_say_when_a_model_came_out_and_when_and_where_a_person_left(built):
    """The sentences a search result shows answer the question: a model's first release, a person's exits."""
    orgs = {o["org_id"]: o["name"] for o in rows(built, "organizations")}
    people = {p["person_id"]: p["name"] for p in rows(built, "people")}
    for departure in rows(built, "departures"):
        page = html(built, f"people/{departure['person_id']}")
        sentence = f"{people[departure['person_id']]} left {orgs[departure['from_org_id']]}"
        sentence += "" if departure["date"] else " on a date no source gives"
        assert html_escape(sentence) in page, sentence
        if departure["to_org_id"]:
            assert html_escape(orgs[departure["to_org_id"]]) in page
    released = {r["model_id"] for r in rows(built, "releases") if r["event"] in ("released", "open-weights") and r["date"]}
    for model in rows(built, "models"):
        assert ("First released " in html(built, f"models/{model['model_id']}")) == (model["model_id"] in released)
