"""The site as a reader meets it, in headless Chromium: a 390 px phone, search, sorting and
filtering, charts, dark mode, and axe-core's accessibility rules on every kind of page."""

import csv
import re
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from a11y import AXE_VERSION, newest_axe, serious
from playwright.sync_api import expect
from test_browser import browser, page, server  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
PHONE = {"width": 390, "height": 844}

# One page of every kind a reader meets.
PAGE_KINDS = {
    "home": "/",
    "claims index": "/claims/",
    "claim": "/claims/compute-dispute-triggered-departures/",
    "article": "/documents/meta-llama-departures-article/",
    "models index": "/models/",
    "model": "/models/llama-2/",
    "people index": "/people/",
    "person": "/people/yann-lecun/",
    "organizations index": "/organizations/",
    "organization": "/organizations/mistral-ai/",
    "sources index": "/sources/",
    "source": "/sources/arxiv-llama/",
    "timeline": "/timeline/",
    "data overview": "/data/",
    "data table": "/data/release_cadence/",
    "about": "/about/",
    "changes": "/changes/",
    "api": "/api/",
    "not found": "/404.html",
}
TABLE_PAGES = [
    "/claims/",
    "/models/",
    "/people/",
    "/organizations/",
    "/sources/",
    "/timeline/",
    "/data/",
    "/data/releases/",
    "/api/",
]


@pytest.fixture
def phone(browser):  # noqa: F811
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    yield context.new_page()
    context.close()


# A word split across lines inside a table cell: the text of one word has client rects on two lines.
SPLIT_WORDS = """() => {
  const split = [];
  for (const cell of document.querySelectorAll('.ledger-table td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/[^\\s\\-\\/]{4,}/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) split.push(match[0]);
      }
    }
  }
  return split;
}"""


@pytest.mark.parametrize("path", TABLE_PAGES)
def test_tables_on_a_phone_neither_squeeze_words_nor_scroll_the_page(phone, server, path):  # noqa: F811
    phone.goto(server + path)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    words = phone.evaluate(SPLIT_WORDS)
    # A URL or a long id may wrap; a name or a word may not.
    words = [w for w in words if not re.match(r"^(https?:|[0-9a-f]{16,})", w) and len(w) < 25]
    assert words == [], f"words split across lines: {words[:10]}"
    # Sortable tables keep their sort buttons on a phone.
    for button in phone.locator(".ledger-sortable .ledger-sort").all()[:3]:
        assert button.is_visible()
    # A list (and the downloads, a schema) is compact rows under its headings; another table's rows are
    # stacked cards, each cell saying which column it is.
    table = phone.locator(".ledger-table").first
    if table.evaluate("t => t.matches('.ledger-sortable, .ledger-downloads, .ledger-schema')"):
        first = table.locator("tbody td").first
        # The label is a line of its own; the timeline's date leads its event's line.
        assert first.evaluate("c => getComputedStyle(c).display") == ("inline" if path == "/timeline/" else "block")
        values = table.locator("tbody tr").first.locator("td").all()[1:]
        assert {c.evaluate("c => getComputedStyle(c).display") for c in values} <= {"inline", "none"}
    else:
        cell = table.locator("tbody td").first
        label = phone.evaluate("c => getComputedStyle(c, '::before').content", cell.element_handle())
        assert label not in ("none", "normal", '""')


def test_api_page_fits_a_desktop_screen(page, server):  # noqa: F811
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server + "/api/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280, "the page scrolls sideways"
    # Every table fits its column: nothing hides behind a sideways scroll.
    wrappers = page.locator(".ledger-api .ledger-scroll")
    assert wrappers.count() == 2
    for wrapper in wrappers.all():
        assert wrapper.evaluate("w => w.scrollWidth <= w.clientWidth + 1")


def test_data_page_shows_every_row_first_and_in_release_order(page, server):  # noqa: F811
    page.goto(server + "/data/release_cadence/")
    headings = page.locator(".ledger-data h2").all_inner_texts()
    assert headings[0] == "Downloads" and "Preview" in headings and "Schema" in headings  # the files before the rows
    expect(page.locator(".ledger-data")).to_contain_text(
        "All 14 rows, in the order of the downloads: sorted by date, then model_id."
    )
    # model_id reads as the model's name, so the view's `name` column is not repeated beside it
    expect(page.locator(".ledger-data")).to_contain_text("name is not repeated here: it is what model_id shows.")
    names = page.locator(".ledger-preview tbody tr td:nth-child(1)").all_inner_texts()
    assert names[:3] == ["LLaMA", "Llama 2", "Llama 2-Chat"]
    assert len(names) == 14


def entities():
    """(what a reader types, the page that must come first) for every model, person and organization."""
    cases = []
    for table, key in (("models", "model_id"), ("people", "person_id"), ("organizations", "org_id")):
        with open(ROOT / "seeds" / f"{table}.csv", encoding="utf-8") as handle:
            cases += [(row["name"], f"/{table}/{row[key]}/") for row in csv.DictReader(handle)]
    cases += [("Llama2", "/models/llama-2/"), ("LLaMA 1", "/models/llama/"), ("Llama-3.1", "/models/llama-3-1/")]
    return cases


@pytest.fixture(scope="module")
def search_page(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(server + "/")
    yield tab
    context.close()


@pytest.mark.parametrize(
    "query,expected",
    entities(),
)
def test_search_puts_the_entity_page_first(search_page, query, expected):
    # "LLaMA" is a word of every Llama model's name, and lunr matches words as prefixes; "Google" is the
    # first word of "Google DeepMind": the builder's search worker puts the page titled as typed first.
    box = search_page.locator(".md-search__input")
    box.fill("")
    box.press_sequentially(query)
    first = search_page.locator(".md-search-result__item > a").first
    # Wait until the results are for the whole query, not a prefix typed so far: Material puts the
    # query's terms, sorted and deduplicated, in each result link's ?h=.
    terms = sorted(set(re.split(r"[\s\-]+", query.lower().strip())))
    search_page.wait_for_function(
        """terms => { const a = document.querySelector('.md-search-result__item > a'); if (!a) return false;
           const h = (new URL(a.href).searchParams.get('h') || '').toLowerCase();
           const got = [...new Set(h.split(/[\\s\\-]+/))].sort();
           return JSON.stringify(got) === JSON.stringify(terms); }""",
        arg=terms,
    )
    assert urlsplit(first.get_attribute("href")).path.endswith(expected)


# Questions readers type (issue 18 §2), and the page that answers them. Stop words ("who", "when")
# are not search terms: a result's ?h= lists only the typed words it matched.
QUESTIONS = [
    ("llama 3 release date", "/models/llama-3/"),
    ("llama 2 release date", "/models/llama-2/"),
    ("when was llama 2 launched", "/models/llama-2/"),
    ("llama 3", "/models/llama-3/"),
    ("release dates", "/data/releases/"),
    ("who left meta", "/data/departures/"),
    ("who quit meta", "/data/departures/"),
    ("departed", "/data/departures/"),
    ("open source", "/data/model_licences/"),
    ("open weights", "/data/model_licences/"),
    ("who founded mistral", "/organizations/mistral-ai/"),
    ("mistral founders", "/organizations/mistral-ai/"),
    ("yann lecun left", "/people/yann-lecun/"),
    ("lample left", "/people/guillaume-lample/"),
    ("when did pineau leave meta", "/people/joelle-pineau/"),
]
STOP_WORDS = {"who", "when", "was", "did"}
FIRST_RESULT_MS = 300


@pytest.fixture(scope="module")
def timings():
    measured: dict[str, float] = {}
    yield measured
    if measured:
        print("\nms from the last key to the final first result:", dict(sorted(measured.items(), key=lambda i: -i[1])))


# Notes the first change of the results after the last key (Material renders each result set anew).
WATCH_RESULTS = """() => {
  window.ledgerTyped = Infinity; window.ledgerShown = 0;
  if (!window.ledgerWatch) {
    window.ledgerWatch = new MutationObserver(() => {
      if (!window.ledgerShown && performance.now() >= window.ledgerTyped) window.ledgerShown = performance.now();
    });
    window.ledgerWatch.observe(document.querySelector('.md-search-result__list'), {childList: true, subtree: true});
  }
}"""
# The first result is for the whole query: every typed word (less stop words) is one of its ?h= terms
# or starts with one (Material may list "dat" for "date").
FOR_WHOLE_QUERY = """terms => { const a = document.querySelector('.md-search-result__item > a'); if (!a) return false;
  const h = (new URL(a.href).searchParams.get('h') || '').toLowerCase().split(/[\\s\\-]+/).filter(Boolean);
  return terms.every(t => h.some(g => t.startsWith(g))); }"""


@pytest.mark.parametrize("query,expected", QUESTIONS)
def test_search_answers_the_questions_readers_type(search_page, timings, query, expected):
    box = search_page.locator(".md-search__input")
    box.fill("")
    box.press_sequentially(query[:-1])
    search_page.wait_for_timeout(300)  # the results for all but the last key are in
    search_page.evaluate(WATCH_RESULTS)
    search_page.evaluate("window.ledgerTyped = performance.now()")
    box.press(query[-1])
    search_page.wait_for_function("() => window.ledgerShown > 0")
    elapsed = search_page.evaluate("window.ledgerShown - window.ledgerTyped")
    timings[query] = round(elapsed)
    terms = sorted({t for t in re.split(r"[\s\-]+", query.lower()) if t not in STOP_WORDS})
    search_page.wait_for_function(FOR_WHOLE_QUERY, arg=terms)
    first = search_page.locator(".md-search-result__item > a").first
    assert urlsplit(first.get_attribute("href")).path.endswith(expected)
    assert elapsed < FIRST_RESULT_MS, f"the first result took {elapsed:.0f} ms"


def test_tables_sort_by_click_and_keyboard_with_aria_sort(page, server):  # noqa: F811
    page.goto(server + "/people/")
    header = page.locator("#people-table th").nth(1)  # LLaMA paper position
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    positions = [p for p in page.locator("#people-table tbody tr td:nth-child(2)").all_inner_texts() if p.strip() != "—"]
    assert [int(p) for p in positions] == sorted(int(p) for p in positions)
    header.locator("button").focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    first = page.locator("#people-table tbody tr td:nth-child(2)").first.inner_text()
    assert first == "14"


def test_claims_filter_by_verdict(page, server):  # noqa: F811
    page.goto(server + "/claims/")
    total = page.locator("#claims-table tbody tr").count()
    page.locator("select.ledger-filter").select_option("misleading")
    visible = page.locator("#claims-table tbody tr:visible")
    assert 0 < visible.count() < total
    for verdict in visible.locator("td:nth-child(2)").all_inner_texts():
        assert verdict == "Misleading"
    expect(page.locator(".ledger-filter-count")).to_have_text(f"{visible.count()} shown")


def test_timeline_filters_by_kind(page, server):  # noqa: F811
    page.goto(server + "/timeline/")
    page.locator("select.ledger-filter").select_option("departure")  # the code filters, its label is shown
    kinds = page.locator("#timeline-table tbody tr:visible td:nth-child(3)").all_inner_texts()
    assert kinds and set(kinds) == {"Departure"}


def test_chart_text_is_readable_on_a_phone_and_ids_are_unique(phone, server):  # noqa: F811
    phone.goto(server + "/")
    sizes = phone.evaluate(
        """() => [...document.querySelectorAll('svg.ledger-chart text')]
             .filter(t => t.getBoundingClientRect().width > 0)
             .map(t => parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getBoundingClientRect().width
                       / t.ownerSVGElement.viewBox.baseVal.width)"""
    )
    assert sizes and min(sizes) >= 10, f"chart text at {min(sizes):.1f} CSS px on a 390 px screen"
    ids = phone.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    table = phone.locator("#releases-departures details")
    table.locator("summary").click()
    expect(table.locator("tbody tr").first).to_be_visible()


def test_charts_count_what_the_headline_counts(page, server):  # noqa: F811
    page.goto(server + "/")
    headline = page.locator("h1").inner_text()  # "11 of the 14 LLaMA authors have left Meta"
    left = int(headline.split()[0])
    lane = page.locator(".ledger-chart-wide svg text", has_text="Authors leaving Meta").text_content()
    dated, undated = map(int, re.match(r"Authors leaving Meta \((\d+) \+ (\d+) undated\)", lane).groups())
    assert dated + undated == left
    expect(page.locator(".ledger-chart-wide svg").first).to_contain_text("left, date unknown (reported 26 May 2025)")
    for link in ("charts/releases-departures.svg", "charts/releases-departures.csv", "charts/retention.csv"):
        assert page.request.get(f"{server}/{link}").ok


def seed_rows(table: str) -> list[dict]:
    with open(ROOT / "seeds" / f"{table}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def on_first_screen(locator) -> bool:
    box = locator.bounding_box()
    height = locator.page.viewport_size["height"]
    return box is not None and box["height"] > 0 and box["y"] >= 0 and box["y"] + box["height"] <= height


@pytest.mark.parametrize("screen", [PHONE, {"width": 1280, "height": 800}], ids=["phone", "desktop"])
def test_the_first_phone_screen_tells_who_left_when_where_and_which_claims_held_up(browser, server, screen):  # noqa: F811
    """Issue 18 §1: before any chart, a 390 × 844 phone (and a desktop) shows the count, the exits'
    dates, every destination with its count (linked), and claims named with their verdicts (linked)."""
    context = browser.new_context(viewport=screen, device_scale_factor=1)
    phone = context.new_page()
    authors = [p for p in seed_rows("people") if p["llama_paper_position"]]
    left = {p["person_id"] for p in authors if p["status"] == "left"}
    exits = sorted(
        (d for d in seed_rows("departures") if d["person_id"] in left and d["from_org_id"] == "meta"),
        key=lambda d: (d["date"] or d["left_by"], d["departure_id"]),
    )
    first = {}
    for departure in exits:
        first.setdefault(departure["person_id"], departure)
    where = Counter(d["to_org_id"] for d in first.values())
    undated = sum(1 for d in first.values() if not d["date"])
    labels = {v["verdict"]: v["label"] for v in seed_rows("verdicts")}
    claims = {c["claim_id"]: c for c in seed_rows("claims")}

    phone.goto(server + "/")
    story = phone.locator("h1")
    expect(story).to_have_text(f"{len(left)} of the {len(authors)} LLaMA authors have left Meta")
    when = phone.locator("#when")
    expect(when).to_contain_text(f"{undated} more on dates no source gives")  # honest about undated exits
    assert re.search(r"left between \w+ \d{4} and \w+ \d{4}", when.inner_text())
    assert on_first_screen(story) and on_first_screen(when)

    destinations = phone.locator(".ledger-where li")
    assert destinations.count() == len(where)
    for org, count in where.items():
        item = (
            destinations.filter(has=phone.locator(f'a[href$="organizations/{org}/"]'))
            if org
            else destinations.filter(has_text="Not reported")
        )
        expect(item.locator(".ledger-count")).to_have_text(str(count))
        assert on_first_screen(item), f"{org or 'unreported'} is below the first screen"

    named = phone.locator(".ledger-held li")
    assert named.count() >= 3
    shown = []
    for item in named.all():
        link = item.locator("a")
        claim_id = urlsplit(link.get_attribute("href")).path.rstrip("/").rsplit("/", 1)[-1]
        expect(link).to_have_text(claims[claim_id]["claim"])
        expect(item.locator(".ledger-tag")).to_have_text(labels[claims[claim_id]["verdict"]])
        assert on_first_screen(item), f"claim {claim_id} is below the first screen"
        shown.append(claims[claim_id]["verdict"])
    assert "supported" in shown and len(set(shown)) >= 3  # what held up and what did not
    # Then the charts: below all of it.
    chart = phone.locator("#releases-departures")
    assert chart.bounding_box()["y"] > named.last.bounding_box()["y"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= screen["width"], "the page scrolls sideways"
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_colour_scheme_follows_the_system_and_toggles(browser, server, scheme):  # noqa: F811
    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    tab.goto(server + "/")
    expected = {"light": "default", "dark": "slate"}
    expect(tab.locator("body")).to_have_attribute("data-md-color-scheme", expected[scheme])
    tab.locator("form[data-md-component=palette] label:visible").first.click()
    other = {"light": "slate", "dark": "default"}[scheme]
    expect(tab.locator("body")).to_have_attribute("data-md-color-scheme", other)
    context.close()


@pytest.fixture(scope="module")
def axe():
    return newest_axe()


@pytest.fixture(scope="module")
def schemed(browser):  # noqa: F811
    """One tab per colour scheme, reused across pages."""
    tabs = {}

    def tab(scheme):
        if scheme not in tabs:
            tabs[scheme] = browser.new_context(color_scheme=scheme).new_page()
        return tabs[scheme]

    yield tab
    for opened in tabs.values():
        opened.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_no_serious_accessibility_violations_on_any_kind_of_page(schemed, server, axe, scheme, kind):  # noqa: F811
    tab = schemed(scheme)
    tab.goto(server + PAGE_KINDS[kind])
    results = axe.run(tab)
    assert results.response["testEngine"]["version"] == AXE_VERSION  # the vendored newest, not the bundled 4.4.3
    assert serious(results) == []


def test_sources_filter_by_tier_and_publisher_together(page, server):  # noqa: F811
    page.goto(server + "/sources/")
    rows = page.locator("#sources-table tbody tr")
    total = rows.count()
    page.locator("select[data-attribute=data-tier]").select_option("primary")
    # With more sources than fit on a page, a filter first loads every row (asynchronously), then applies.
    page.wait_for_function(
        "() => { const t = document.getElementById('sources-table');"
        " return !t.hasAttribute('data-all-rows') || t.dataset.ledgerAll === 'loaded'; }"
    )
    primary = page.locator("#sources-table tbody tr:visible").count()
    assert 0 < primary < total
    publisher = page.locator("#sources-table tbody tr:visible").first.get_attribute("data-publisher")
    page.locator("select[data-attribute=data-publisher]").select_option(publisher)
    visible = page.locator("#sources-table tbody tr:visible")
    assert 0 < visible.count() <= primary
    for row in visible.all():
        assert row.get_attribute("data-tier") == "primary" and row.get_attribute("data-publisher") == publisher


def test_404_page_works_under_a_sub_path_without_a_site_url(browser, built):  # noqa: F811
    import functools
    import http.server
    import threading

    site = built / "site"

    class SubPath(http.server.SimpleHTTPRequestHandler):
        """The site at /sub/, and its 404.html for any missing path, as GitHub Pages serves a project."""

        def log_message(self, *args):
            pass

        def translate_path(self, path):
            return super().translate_path(path.removeprefix("/sub")) if path.startswith("/sub/") else "/nonexistent"

        def send_error(self, code, message=None, explain=None):
            body = (site / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SubPath, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    context = browser.new_context()
    tab = context.new_page()
    try:
        response = tab.goto(base + "/sub/no/such/page/")
        assert response.status == 404
        expect(tab.locator("h1")).to_have_text("Page not found")
        # Styled (Material's stylesheet found under /sub/) and the tabs lead into the site.
        assert tab.evaluate("getComputedStyle(document.querySelector('.md-header')).position") == "sticky"
        claims = tab.locator(".md-tabs__link", has_text="Claims")
        assert claims.evaluate("a => a.href") == base + "/sub/claims/"
        # The feed and the search (through the builder's worker) work from here too.
        feed = tab.locator('link[type="application/atom+xml"]')
        assert feed.evaluate("link => link.href") == base + "/sub/changes.xml"
        tab.locator(".md-search__input").click()
        tab.locator(".md-search__input").press_sequentially("Google")
        first = tab.locator(".md-search-result__item > a").first
        expect(first).to_have_attribute("href", re.compile(r"/sub/organizations/google/\?h=google$"))
    finally:
        context.close()
        httpd.shutdown()


def test_search_puts_the_exact_name_first_with_instant_navigation(browser, ledger):  # noqa: F811
    """Material's instant navigation swaps pages without reloading: the search worker started on the
    first page keeps ranking the page titled as typed first on every page after it."""
    from click.testing import CliRunner
    from test_browser import serve

    from builder.cli import cli

    config = ledger / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("    - navigation.top\n", "    - navigation.top\n    - navigation.instant\n")
    )
    assert "navigation.instant" in config.read_text(encoding="utf-8")
    # Instant navigation needs the site's address (Material reads the sitemap to tell its own pages).
    httpd, address = serve(ledger / "site")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        result = CliRunner().invoke(cli, ["build", "--root", str(ledger), "--quiet", "--site-url", address + "/"])
        assert result.exit_code == 0, result.output
        tab.goto(address + "/")
        tab.evaluate("window.ledgerSamePage = true")
        tab.locator(".md-tabs__link", has_text="People").click()
        tab.wait_for_url("**/people/")
        for query, expected in (("Google", "/organizations/google/"), ("LLaMA", "/models/llama/")):
            box = tab.locator(".md-search__input")
            box.click()
            box.fill("")
            box.press_sequentially(query)
            first = tab.locator(".md-search-result__item > a").first
            expect(first).to_have_attribute("href", re.compile(re.escape(expected) + r"\?h=" + query.lower() + "$"))
            first.evaluate("a => a.click()")  # the list re-renders as results arrive: click the link itself
            tab.wait_for_url("**" + expected + "**")
        assert tab.evaluate("window.ledgerSamePage === true")  # instant navigation: never a reload
    finally:
        context.close()
        httpd.shutdown()
