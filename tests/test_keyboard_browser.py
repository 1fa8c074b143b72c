"""Keyboard and assistive technology in headless Chromium (issue 18 §5), and the 404 page served at any
depth (§6): the skip link, where Tab goes on a phone and a desktop, the drawer and search by keyboard,
the current section, names of download links, filters, and the page for an address that does not exist."""

import functools
import http.server
import re
import socket
import threading
from collections import defaultdict

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect
from test_browser import browser, server  # noqa: F401  (shared fixtures)
from test_reader import PAGE_KINDS

from builder.cli import cli

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PRESSES = 20

# Where the element with focus is, and whether a reader can see it there.
FOCUSED = """() => {
  const e = document.activeElement;
  const r = e.getBoundingClientRect();
  const style = getComputedStyle(e);
  return {tag: e.tagName, text: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60),
          x: r.left, y: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height,
          hidden: style.visibility === 'hidden' || style.display === 'none',
          inContent: !!e.closest('.md-content')};
}"""


def tab_stops(tab, presses: int = PRESSES) -> list[dict]:
    """Where focus lands on each Tab press; a short page's last stop is followed by the browser's own
    controls (the body has focus) and then its first stop again."""
    stops = []
    for _ in range(presses):
        tab.keyboard.press("Tab")
        stop = tab.evaluate(FOCUSED)
        if stop["tag"] != "BODY":
            stops.append(stop)
    return stops


def on_screen(stop: dict, viewport: dict) -> bool:
    """A focus stop a reader sees: a box of some size, wholly inside the viewport."""
    return (
        stop["width"] >= 1
        and stop["height"] >= 1
        and not stop["hidden"]
        and stop["x"] >= -1
        and stop["y"] >= -1
        and stop["right"] <= viewport["width"] + 1
        and stop["bottom"] <= viewport["height"] + 1
    )


@pytest.fixture
def screen(browser):  # noqa: F811
    contexts = []

    def open_tab(viewport):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        tab = context.new_page()
        tab.set_default_timeout(15000)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("kind", ["home", "model", "sources index"])
def test_the_skip_link_is_the_first_focus_stop_and_skips_to_the_content(screen, server, viewport, kind):  # noqa: F811
    tab = screen(viewport)
    tab.goto(server + PAGE_KINDS[kind])
    first = tab_stops(tab, 1)[0]
    assert (first["tag"], first["text"]) == ("A", "Skip to content")
    assert on_screen(first, viewport), first
    tab.keyboard.press("Enter")
    # The next stop is the page's own first link, past the header, the tabs and the navigation.
    tab.keyboard.press("Tab")
    assert tab.evaluate(FOCUSED)["inContent"]


@pytest.mark.parametrize("kind", ["home", "model", "sources index", "data table", "not found"])
def test_no_focus_stop_outside_the_viewport_in_the_first_tab_presses_on_a_phone(screen, server, kind):  # noqa: F811
    """The closed drawer's links sit off-screen to the left: they must not take focus until it opens."""
    tab = screen(PHONE)
    tab.goto(server + PAGE_KINDS[kind])
    outside = [stop for stop in tab_stops(tab) if not on_screen(stop, PHONE)]
    assert outside == []


@pytest.mark.parametrize("kind", ["home", "model", "data overview", "not found"])
def test_the_first_tab_stops_on_a_desktop_are_visible(screen, server, kind):  # noqa: F811
    """No focus on a 0×0 radio button (the colour toggle) or an empty box (the search's output)."""
    tab = screen(DESKTOP)
    tab.goto(server + PAGE_KINDS[kind])
    unseen = [stop for stop in tab_stops(tab) if not on_screen(stop, DESKTOP)]
    assert unseen == []


def test_the_drawer_and_the_search_open_and_close_by_keyboard_on_a_phone(screen, server):  # noqa: F811
    tab = screen(PHONE)
    tab.goto(server + "/models/llama-2/")
    stops = tab_stops(tab, 2)
    assert stops[1]["text"] == "Navigation menu"
    menu = tab.locator('.md-header label[for="__drawer"]')
    expect(menu).to_have_attribute("aria-expanded", "false")
    tab.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    # Focus is in the open drawer, and Tab walks its links, all on screen.
    sections = [stop["text"] for stop in tab_stops(tab, 3)]
    assert tab.evaluate("!!document.activeElement.closest('.md-sidebar--primary')")
    assert "Home" in sections and "Claims" in sections
    tab.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    assert tab.evaluate(FOCUSED)["text"] == "Navigation menu"
    # The search button opens the search with the cursor in its box.
    tab.keyboard.press("Tab")
    tab.keyboard.press("Tab")
    assert tab.evaluate(FOCUSED)["text"] == "Search"
    tab.keyboard.press("Enter")
    assert tab.evaluate("document.activeElement.classList.contains('md-search__input')")
    tab.keyboard.type("Google")
    expect(tab.locator(".md-search-result__item > a").first).to_have_attribute("href", re.compile(r"organizations/google/"))


# Entity pages and the section (nav tab) they belong to.
SECTIONS = {
    "claim": "Claims",
    "model": "Models",
    "person": "People",
    "organization": "Organizations",
    "source": "Sources",
    "data table": "Data",
}


@pytest.mark.parametrize("kind", SECTIONS)
def test_entity_pages_mark_their_section_as_current(screen, server, kind):  # noqa: F811
    tab = screen(DESKTOP)
    tab.goto(server + PAGE_KINDS[kind])
    current = tab.locator(".md-tabs__link[aria-current]")
    expect(current).to_have_count(1)
    expect(current).to_have_text(SECTIONS[kind])
    expect(current).to_have_attribute("aria-current", "true")  # inside the section, not the section's page
    expect(tab.locator(".md-tabs__item--active")).to_have_text(SECTIONS[kind])
    drawer = tab.locator(".md-nav--primary a.md-nav__link[aria-current]")
    expect(drawer).to_have_text(SECTIONS[kind])
    # On the section's own page the link says "page".
    current.click()
    expect(tab.locator(".md-tabs__link[aria-current]")).to_have_attribute("aria-current", "page")


# The accessible name of every link (aria-label, else its text, visually hidden text included).
LINK_NAMES = """() => [...document.querySelectorAll('a[href]')].map(a => [
  (a.getAttribute('aria-label') || a.textContent).replace(/\\s+/g, ' ').trim(), a.href])"""


def test_download_links_have_names_unique_on_each_page(screen, server):  # noqa: F811
    """Links that read "csv", "json" or "datapackage.json" say which table or release they download."""
    tab = screen(DESKTOP)
    checked = 0
    for kind in ("data overview", "data table", "changes", "api"):
        tab.goto(server + PAGE_KINDS[kind])
        hrefs = defaultdict(set)
        for name, href in tab.evaluate(LINK_NAMES):
            if "/downloads/" in href or "/api/v1/" in href:
                hrefs[name.lower()].add(href.split("#")[0])
                checked += 1
        assert {name: sorted(found) for name, found in hrefs.items() if len(found) > 1} == {}, kind
    assert checked > 50
    tab.goto(server + "/data/")
    row = tab.locator(".ledger-overview tbody tr", has=tab.locator('a[href$="/data/models/"]'))
    title = row.locator("td.ledger-name a").inner_text()
    expect(row.locator("a[download]", has_text=re.compile("^csv$"))).to_have_attribute("aria-label", f"Download {title} as CSV")


def test_filters_are_at_least_24_pixels_tall(screen, server):  # noqa: F811
    tab = screen(DESKTOP)
    tab.goto(server + "/sources/")
    heights = tab.locator("select.ledger-filter").evaluate_all("all => all.map(s => s.getBoundingClientRect().height)")
    assert heights and min(heights) >= 24, heights


def test_an_empty_filter_result_says_so_in_a_live_region(screen, server):  # noqa: F811
    tab = screen(DESKTOP)
    tab.goto(server + "/sources/")
    tier = tab.locator("select[data-attribute=data-tier]")
    publisher = tab.locator("select[data-attribute=data-publisher]")
    tier.select_option(index=1)
    tab.wait_for_function(
        "() => { const t = document.getElementById('sources-table');"
        " return !t.hasAttribute('data-all-rows') || t.dataset.ledgerAll === 'loaded'; }"
    )
    chosen = tier.input_value()
    pairs = tab.locator("#sources-table tbody tr").evaluate_all("rows => rows.map(r => [r.dataset.tier, r.dataset.publisher])")
    publishers = publisher.locator("option").evaluate_all("all => all.map(o => o.value).filter(v => v)")
    # A publisher with no source of the chosen tier, found in the rows themselves.
    empty = next(p for p in publishers if [chosen, p] not in pairs)
    publisher.select_option(empty)
    expect(tab.locator("#sources-table tbody tr:visible")).to_have_count(0)
    message = publisher.locator("xpath=ancestor::p[1]").locator(".ledger-filter-count")
    expect(message).to_have_attribute("aria-live", "polite")
    tier_text = tier.locator("option:checked").inner_text()
    publisher_text = publisher.locator("option:checked").inner_text()
    expect(message).to_have_text(
        f"No rows match tier {tier_text} and publisher {publisher_text}: choose “all” in a filter to see more."
    )
    publisher.select_option("")
    expect(message).not_to_have_text(re.compile("No rows"))


# ---------------------------------------------------------------- the 404 page, served at any depth


def serve_with_404(site, prefix: str, port: int = 0):
    """The site under `prefix` ("" or "/sub"), and its 404.html for any missing path, as GitHub Pages
    serves a user site or a project."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def translate_path(self, path):
            inside = path == prefix + "/" or path.startswith(prefix + "/")
            return super().translate_path(path.removeprefix(prefix)) if inside else "/nonexistent"

        def send_error(self, code, message=None, explain=None):
            body = (site / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}{prefix}"


def check_not_found_page(tab, root: str, missing: str, sections: list[str], query: str, expected: str) -> None:
    response = tab.goto(root + missing)
    assert response.status == 404
    expect(tab.locator("h1")).to_have_text("Page not found")
    # Styled: Material's stylesheet and the builder's were found from this depth.
    assert tab.evaluate("getComputedStyle(document.querySelector('.md-header')).position") == "sticky"
    assert tab.evaluate("getComputedStyle(document.querySelector('.ledger-notfound-search')).display") == "flex"
    links = tab.locator(".ledger-notfound-sections a")
    expect(links).to_have_text(sections)
    hrefs = links.evaluate_all("all => all.map(a => a.href)")
    assert hrefs[0] == root + "/" and all(h.startswith(root + "/") for h in hrefs)
    # Every section it links to exists.
    for href in hrefs[1:]:
        assert tab.request.get(href).status == 200, href
    # Its search box: what is typed opens the site's search on the home page, answered there.
    box = tab.get_by_label("Search the site")
    box.fill(query)
    box.press("Enter")
    tab.wait_for_url(re.compile(re.escape(root) + r"/\?q="))
    first = tab.locator(".md-search-result__item > a").first
    expect(first).to_have_attribute("href", re.compile(expected))


@pytest.mark.parametrize("prefix", ["", "/sub"])
def test_the_404_page_works_at_any_depth_without_a_site_url(browser, built, prefix):  # noqa: F811
    """Without a known address its links are relative to the root the page finds (builder/site/notfound.py)."""
    httpd, root = serve_with_404(built / "site", prefix)
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(root + "/")
        sections = tab.locator(".md-tabs__link").all_inner_texts()
        for missing in ("/no/such/page", "/models/llama-99/", "/a/b/c/d/e.html"):
            check_not_found_page(tab, root, missing, sections, "Google", r"organizations/google/")
    finally:
        context.close()
        httpd.shutdown()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_404_page_with_a_site_url_links_absolutely(browser, bookshelf):  # noqa: F811
    port = free_port()
    address = f"http://127.0.0.1:{port}/shelf/"
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet", "--site-url", address])
    assert result.exit_code == 0, result.output
    page = (bookshelf / "site" / "404.html").read_text(encoding="utf-8")
    assert 'href="/shelf/data/"' in page and "<base " not in page  # absolute paths, no finding of the root
    httpd, root = serve_with_404(bookshelf / "site", "/shelf", port)
    context = browser.new_context()
    try:
        tab = context.new_page()
        check_not_found_page(tab, root, "/deep/er/still/", ["Home", "Data", "Changes", "API"], "Books", r"data/books/")
    finally:
        context.close()
        httpd.shutdown()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_colour_toggle_shows_focus_and_switches_by_keyboard(browser, server, scheme):  # noqa: F811
    """Following a dark system setting, Tab used to land on the first radio, whose label is hidden."""
    context = browser.new_context(viewport=DESKTOP, color_scheme=scheme)
    try:
        tab = context.new_page()
        tab.goto(server + "/")
        for _ in range(3):
            tab.keyboard.press("Tab")
        label_shown = "getComputedStyle(document.activeElement.nextElementSibling).display !== 'none'"
        assert tab.evaluate("document.activeElement.classList.contains('md-option')") and tab.evaluate(label_shown)
        tab.keyboard.press("Space")
        other = {"light": "slate", "dark": "default"}[scheme]
        expect(tab.locator("body")).to_have_attribute("data-md-color-scheme", other)
        assert tab.evaluate("document.activeElement.classList.contains('md-option')") and tab.evaluate(label_shown)
    finally:
        context.close()
