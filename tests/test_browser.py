"""The built site in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
home page, search, navigation, claim verdicts and downloads, as a reader uses them."""

import functools
import hashlib
import http.server
import json
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run must install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path):
    handler = functools.partial(QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def dialogs_of(page) -> list[str]:
    """The messages of every alert, confirm or prompt the page opens (each dismissed): script ran if any."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return dialogs


@pytest.fixture(scope="module")
def server(built):
    httpd, address = serve(built / "site")
    yield address
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_home_loads_without_errors_or_outside_requests(page, server):
    errors, hosts = [], set()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    page.goto(server + "/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text("LLaMA authors have left Meta")
    assert page.locator("svg.ledger-chart:visible").count() == 2  # the wide variants; the narrow ones are for phones
    assert errors == []
    assert hosts == {"127.0.0.1"}


def search(page, server, words: str):
    page.goto(server + "/")
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.click()
    meta = page.locator(".md-search-result__meta")
    expect(meta).not_to_contain_text("Initializing")
    box.press_sequentially(words, delay=30)
    expect(page.locator("li.md-search-result__item").first).to_be_visible()
    return page.locator("li.md-search-result__item")


def test_search_finds_a_person_and_their_departure(page, server):
    results = search(page, server, "Lample")
    link = results.locator("a[href*='people/guillaume-lample/']").first
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{server}/people/guillaume-lample/**")
    expect(page.locator("h1")).to_have_text("Guillaume Lample")
    departures = page.locator("h2", has_text="Departures").locator("xpath=following-sibling::div[1]")
    expect(departures).to_contain_text("Mistral AI")


def test_search_finds_a_model(page, server):
    results = search(page, server, "Behemoth")
    expect(results.locator("a[href*='models/llama-4-behemoth/']").first).to_be_visible()


def test_navigation_from_claims_index_to_a_verdict(page, server, built):
    import csv

    claim = next(csv.DictReader(open(built / "seeds" / "claims.csv", encoding="utf-8")))
    page.goto(server + "/claims/")
    page.locator(f"a[href$='{claim['claim_id']}/']").first.click()
    labels = {row["verdict"]: row["label"] for row in csv.DictReader(open(built / "seeds" / "verdicts.csv", encoding="utf-8"))}
    expect(page.locator(".ledger-verdict")).to_contain_text(labels[claim["verdict"]])
    expect(page.locator(".ledger-quote")).to_contain_text(claim["quote"])


def test_download_link_serves_the_published_file(page, server, built):
    published = json.loads((built / "dist" / "datapackage.json").read_text())
    people = next(r for r in published["resources"] if r["name"] == "people")
    csv_entry = next(d for d in people["downloads"] if d["format"] == "csv")
    page.goto(server + "/data/people/")
    with page.expect_download() as info:
        page.locator("a[download]", has_text="people.csv").first.click()
    data = Path(info.value.path()).read_bytes()
    assert "sha256:" + hashlib.sha256(data).hexdigest() == csv_entry["hash"]
    assert page.locator(".ledger-hash").first.inner_text() == csv_entry["hash"].split(":")[1]


def test_hostile_text_runs_no_script_in_pages_or_search(page, bookshelf):
    from click.testing import CliRunner
    from test_site import hostile_bookshelf

    from builder.cli import cli

    hostile_bookshelf(bookshelf, "https://example.org/")
    assert CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"]).exit_code == 0
    httpd, address = serve(bookshelf / "site")
    dialogs = dialogs_of(page)
    try:
        for path in ("/authors/mallory/", "/books/evil/", "/sources/hostile/", "/data/authors/"):
            page.goto(address + path)
            page.wait_for_load_state("networkidle")
        expect(page.locator("body")).to_contain_text("<img src=x onerror=alert(1)>")
        results = search(page, address, "onerror")
        expect(results.first).to_be_visible()
        page.wait_for_timeout(300)
    finally:
        httpd.shutdown()
    assert dialogs == []


# A hostile package: descriptor metadata, cells and a hand-written page full of script payloads;
# every built page is loaded and nothing runs (hardening issue, items 1-4).
PAYLOAD = "<img src=x onerror=window.pwned=1>"


def hostile_package(root: Path) -> None:
    data = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    data["title"] = f"Books {PAYLOAD}"
    data["description"] = "Shelf <!--<script> </script><script>window.pwned=1</script>"
    (root / "datapackage.json").write_text(json.dumps(data), encoding="utf-8")
    with open(root / "data" / "authors.csv", "a", encoding="utf-8") as out:
        out.write(f'mallory,"{PAYLOAD} ![x](x){{: onerror=window.pwned=1 }} ---",1900-01-01,year,gutenberg-austen\n')
    (root / "docs").mkdir()
    (root / "docs" / "about.md").write_text(
        "# About {{ site.published.title }}\n\n<script>window.pwned=1</script>\n\n"
        '<img src="x" onerror="window.pwned=1">\n\n[link](javascript:window.pwned=1)\n',
        encoding="utf-8",
    )


def test_no_page_of_a_hostile_package_runs_script(browser, bookshelf):
    from click.testing import CliRunner

    from builder.cli import cli

    hostile_package(bookshelf)
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    site = bookshelf / "site"
    httpd, address = serve(site)
    context = browser.new_context()
    page = context.new_page()
    dialogs = dialogs_of(page)
    try:
        pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
        assert "about/index.html" in pages and "authors/mallory/index.html" in pages
        for path in pages:
            page.goto(f"{address}/{path}")
            page.wait_for_load_state("load")
            assert page.evaluate("window.pwned") is None, path
            assert page.locator("[onerror], [onload], [onmouseover]").count() == 0, path
            scripts = page.eval_on_selector_all("script:not([type='application/ld+json'])", "s => s.map(e => e.textContent)")
            assert not any("pwned" in script for script in scripts), path  # the theme's own inline scripts only
        page.click("a:has-text('link')") if page.locator("a:has-text('link')").count() else None
        assert page.evaluate("window.pwned") is None
    finally:
        context.close()
        httpd.shutdown()
    assert dialogs == []
