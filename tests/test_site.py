"""The built site: every entity has a page, links resolve, nothing loads from outside, sizes stay small,
structured data is present, hostile text is inert."""

import csv
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from click.testing import CliRunner

from builder.cli import cli
from builder.package.handwritten import page_slug
from tests.conftest import write_seed_rows


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append((tag, name, value))


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def links_of(page: Path) -> list[tuple[str, str, str]]:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def rows(root: Path, table: str) -> list[dict]:
    return list(csv.DictReader(open(root / "seeds" / f"{table}.csv", encoding="utf-8")))


def test_a_page_per_entity_and_per_table(built):
    site = built / "site"
    for table, key in [
        ("people", "person_id"),
        ("models", "model_id"),
        ("organizations", "org_id"),
        ("sources", "source_id"),
        ("claims", "claim_id"),
    ]:
        for row in rows(built, table):
            assert (site / table / page_slug(row[key]) / "index.html").is_file(), (table, row[key])
    for resource in json.loads((built / "dist" / "datapackage.json").read_text())["resources"]:
        assert (site / "data" / resource["name"] / "index.html").is_file()
    for page in ("index.html", "timeline/index.html", "about/index.html", "data/index.html", "claims/index.html"):
        assert (site / page).is_file()


def test_every_internal_link_resolves(built):
    site = built / "site"
    broken = []
    for page in html_files(site):
        if page.name == "404.html":
            continue  # MkDocs writes it with root-absolute links, for hosts that serve it at any depth
        for _tag, _, value in links_of(page):
            parts = urlsplit(value)
            if parts.scheme or value.startswith(("#", "mailto:", "data:")) or parts.netloc:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append((page.relative_to(site).as_posix(), value))
    assert broken == []


def test_no_page_loads_anything_from_outside(built):
    outside = []
    for page in html_files(built / "site"):
        for tag, attribute, value in links_of(page):
            external = urlsplit(value).scheme in ("http", "https") or value.startswith("//")
            if external and (attribute == "src" or tag == "link"):
                outside.append((page.name, tag, value))
    assert outside == []
    text = (built / "site" / "index.html").read_text()
    assert "fonts.googleapis.com" not in text and "fonts.gstatic.com" not in text


def test_page_and_search_index_sizes(built):
    site = built / "site"
    sizes = {page.relative_to(site).as_posix(): page.stat().st_size for page in html_files(site)}
    assert max(sizes.values()) <= 150 * 1024, max(sizes, key=sizes.get)
    entity_pages = sum(
        1
        for page in sizes
        if re.match(
            r"(people|models|organizations|sources|claims|documents)/[^/]+/"
            r"index\.html$",
            page,
        )
    )
    index = (site / "search" / "search_index.json").stat().st_size
    assert index / entity_pages <= 1.5 * 1024


def test_downloads_on_the_site_are_the_published_files(built):
    for path in (built / "dist").rglob("*"):
        if path.is_file():
            copy = built / "site" / "downloads" / path.relative_to(built / "dist")
            assert copy.read_bytes() == path.read_bytes()


def jsonld(page: Path) -> list[dict]:
    text = page.read_text(encoding="utf-8")
    return [
        json.loads(block.replace("<\\/", "</"))
        for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    ]


def test_dataset_jsonld_lists_every_download(built):
    (dataset,) = jsonld(built / "site" / "data" / "index.html")
    assert dataset["@type"] == "Dataset"
    files = [p for p in (built / "dist").rglob("*") if p.is_file() and p.name not in ("datapackage.json", "SHA256SUMS")]
    assert len(dataset["distribution"]) == len(files)
    assert {d["@type"] for d in dataset["distribution"]} == {"DataDownload"}


def test_claim_pages_carry_claimreview(built):
    # The rating's alternateName is what a search engine shows: the verdict's name, not its code.
    names = {v["verdict"]: v["label"] for v in rows(built, "verdicts")}
    for claim in rows(built, "claims"):
        page = built / "site" / "claims" / claim["claim_id"] / "index.html"
        (review,) = jsonld(page)
        assert review["@type"] == "ClaimReview"
        assert review["claimReviewed"] == claim["claim"]
        assert review["reviewRating"]["alternateName"] == names[claim["verdict"]]
        description = f'<meta name="description" content="Fact check: {names[claim["verdict"]]}. '
        assert description in page.read_text(encoding="utf-8")


def test_home_figures_are_computed_from_the_data(built):
    authors = [p for p in rows(built, "people") if p["llama_paper_position"]]
    left = sum(p["status"] == "left" for p in authors)
    home = (built / "site" / "index.html").read_text(encoding="utf-8")
    assert f"{left} of the {len(authors)} LLaMA authors have left Meta</h1>" in home
    claims = rows(built, "claims")
    assert f">{len(claims)} claims</a> checked in" in home


def hostile_bookshelf(root: Path, url: str) -> None:
    with open(root / "data" / "sources.csv", "a", encoding="utf-8") as out:
        out.write(f'hostile,<script>alert("title")</script>,{url},2024-01-01\n')
    with open(root / "data" / "authors.csv", "a", encoding="utf-8") as out:
        out.write("mallory,<img src=x onerror=alert(1)>,1900-01-01,year,hostile\n")
    with open(root / "data" / "books.csv", "a", encoding="utf-8") as out:
        out.write('evil,"[click](javascript:alert(2)) <b onmouseover=alert(3)>bold</b>",mallory,novel,1,1901-01-01,hostile\n')


def test_hostile_javascript_url_is_rejected_by_validation(bookshelf):
    hostile_bookshelf(bookshelf, "javascript:alert(1)")
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf)])
    assert result.exit_code == 1
    assert '  row 4, field url [constraint-error]: "javascript:alert(1)" is not a valid `url`.\n' in result.output
    assert "      fix: Use a web address starting with http:// or https://.\n" in result.output
    assert not (bookshelf / "site").exists()


def test_hostile_text_is_rendered_inert(bookshelf):
    hostile_bookshelf(bookshelf, "https://example.org/")
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    pages = {page: page.read_text(encoding="utf-8") for page in html_files(bookshelf / "site")}
    everything = "\n".join(pages.values())
    assert "<script>alert" not in everything
    assert "<img src=x onerror" not in everything
    assert "<b onmouseover" not in everything
    assert 'href="javascript:' not in everything.lower()
    author = (bookshelf / "site" / "authors" / "mallory" / "index.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in author
    assert "<title>img src=x onerror=alert(1)" in author  # markup characters stripped from the title


def test_second_package_publishes_with_generic_pages(bookshelf):
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    site = bookshelf / "site"
    assert (site / "index.html").is_file() and (site / "data" / "books" / "index.html").is_file()
    assert "Bookshelf" in (site / "index.html").read_text(encoding="utf-8")
    assert (bookshelf / "dist" / "bookshelf-1.0.0.zip").is_file()


def test_a_failing_publish_keeps_the_previous_site(ledger):
    runner = CliRunner()
    assert runner.invoke(cli, ["build", "--root", str(ledger), "--quiet"]).exit_code == 0
    before = {p: p.read_bytes() for p in (ledger / "site").rglob("*") if p.is_file()}
    (ledger / "mkdocs.yml").write_text((ledger / "mkdocs.yml").read_text().replace("- About: about.md", "- About: missing.md"))
    result = runner.invoke(cli, ["build", "--root", str(ledger)])
    assert result.exit_code == 1
    assert "mkdocs" in result.output and "missing.md" in result.output
    assert {p: p.read_bytes() for p in (ledger / "site").rglob("*") if p.is_file()} == before


def test_search_index_holds_every_entity_by_name(built):
    from builder.site.names import plain_title

    index = json.loads((built / "site" / "search" / "search_index.json").read_text())
    titles = {(doc["location"], doc["title"]) for doc in index["docs"]}
    for table, key, label in [
        ("people", "person_id", "name"),
        ("models", "model_id", "name"),
        ("organizations", "org_id", "name"),
        ("claims", "claim_id", "claim"),
        ("sources", "source_id", "title"),
    ]:
        for row in rows(built, table):
            assert (f"{table}/{page_slug(row[key])}/", plain_title(row[label])) in titles, (table, row[key])


def test_highlight_escapes_text_and_never_nests_marks():
    from builder.site.markup import highlight

    text = "A <b>bold</b> claim & another claim.\nSecond paragraph."
    html = str(highlight(text, [("<b>bold</b> claim", "c/1/", "x"), ("claim & another", "c/2/", "y"), ("Second", "c/3/", "z")]))
    assert html == (
        '<p>A <a class="ledger-mark x" href="c/1/"><mark>&lt;b&gt;bold&lt;/b&gt; claim</mark></a> &amp; another claim.</p>\n'
        '<p><a class="ledger-mark z" href="c/3/"><mark>Second</mark></a> paragraph.</p>'
    )


def test_article_page_highlights_every_claim(built):
    page = (built / "site" / "documents" / "meta-llama-departures-article" / "index.html").read_text(encoding="utf-8")
    marked = set(re.findall(r'class="ledger-mark [^"]*" href="\.\./\.\./claims/([^/]+)/"', page))
    assert marked == {claim["claim_id"] for claim in rows(built, "claims")}


def _flagged_people(site: Path) -> set[str]:
    """Names whose "Status as of" carries the stale flag in the people list."""
    text = (site / "people" / "index.html").read_text(encoding="utf-8")
    flagged = set()
    for row in re.findall(r"<tr[ >].*?</tr>", text, re.S):
        name = re.search(r'<a href="[^"]*">([^<]+)</a>', row)
        if name and 'class="ledger-flag"' in row:
            flagged.add(name.group(1))
    return flagged


def test_statuses_older_than_12_months_are_flagged_against_the_data_date(ledger):
    """The data date is the newest day a source was checked (`accessed`), never the wall clock: moving it
    moves the flags, in the people list and on the person's page."""
    from builder.common.dates import format_date

    sources = rows(ledger, "sources")
    before = max(r["accessed"] for r in sources)
    newest = max(r["published"] for r in sources if r["published"])
    assert newest < before  # so the date moves back
    for row in sources:
        row["accessed"] = newest  # every source checked on the newest publication day: the package stays valid
    write_seed_rows(ledger / "seeds" / "sources.csv", sources)
    result = CliRunner().invoke(cli, ["build", "--root", str(ledger), "--quiet"])
    assert result.exit_code == 0, result.output

    people = rows(ledger, "people")
    year, rest = newest.split("-", 1)
    cutoff = f"{int(year) - 1}-{rest}"  # twelve months back (no 29 February among these dates)
    expected = {p["name"] for p in people if p["status_as_of"] < cutoff}
    at_old_date = {p["name"] for p in people if p["status_as_of"] < f"{int(before[:4]) - 1}{before[4:]}"}
    assert expected and expected != at_old_date  # the flags moved with the data date
    assert _flagged_people(ledger / "site") == expected

    stale = min((p for p in people if p["name"] in expected), key=lambda p: p["status_as_of"])
    fresh = max(people, key=lambda p: p["status_as_of"])
    stale_page = (ledger / "site" / "people" / stale["person_id"] / "index.html").read_text(encoding="utf-8")
    shown = format_date(dt.date.fromisoformat(stale["status_as_of"]), "day")
    assert f'{shown} <span class="ledger-flag"' in stale_page
    as_of = format_date(dt.date.fromisoformat(newest), "day")
    assert f"That report is older than 12 months on {as_of}, the newest day a source was checked: the status may" in stale_page
    fresh_page = (ledger / "site" / "people" / fresh["person_id"] / "index.html").read_text(encoding="utf-8")
    assert "ledger-flag" not in fresh_page and "may have changed" not in fresh_page


def test_stale_flags_of_the_ledger_as_published(built):
    """The Ledger as built: checked up to its newest `accessed` day, every status more than 12 months
    older is flagged and only those."""
    newest = max(r["accessed"] for r in rows(built, "sources"))
    year, rest = newest.split("-", 1)
    cutoff = f"{int(year) - 1}-{rest}"  # no 29 February among the Ledger's dates
    expected = {p["name"] for p in rows(built, "people") if p["status_as_of"] < cutoff}
    assert expected and _flagged_people(built / "site") == expected


def test_months_before_keeps_the_day_or_the_month_end():
    from builder.stories.llama_entities import months_before

    assert months_before(dt.date(2026, 12, 3), 12) == dt.date(2025, 12, 3)
    assert months_before(dt.date(2024, 2, 29), 12) == dt.date(2023, 2, 28)
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 13) == dt.date(2024, 12, 15)


def test_home_says_how_far_the_models_go_from_the_data(built):
    """The Models line names the first and the newest release's model (it once said "to Llama 4"
    after Muse Spark was in the table)."""
    root = Path(__file__).resolve().parent.parent
    names = {m["model_id"]: m["name"] for m in rows(root, "models")}
    dated = sorted((r["date"], r["release_id"], r["model_id"]) for r in rows(root, "releases") if r["date"])
    first, newest = names[dated[0][2]], names[dated[-1][2]]
    home = (built / "site" / "index.html").read_text(encoding="utf-8")
    assert f"and their releases, from {first} to {newest}." in home
