"""Long lists in headless Chromium, on a small synthetic package with low limits (as tests/test_scale.py
lowers them): an entity page's "see all" opens a list of exactly its related rows, and sorting or
filtering a paginated list acts on every row, not one page."""

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import expect
from test_browser import browser, dialogs_of, serve  # noqa: F401  (shared fixtures)

from builder.cli import cli
from builder.site import related, render
from builder.tools import synth
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

PAGE_ROWS = 5  # meta's 16 models are four list pages; the sources index a few dozen


def pages(rows):
    """How many list pages of PAGE_ROWS hold this many rows."""
    return -(-rows // PAGE_ROWS)


SECTION = 3


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lists") / "synth"
    synth.synth(ROOT, root, rows=636, errors=[])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "INDEX_PAGE_ROWS", PAGE_ROWS)
        patch.setattr(related, "SECTION_ROWS", SECTION)
        result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture(scope="module")
def site(package):
    httpd, address = serve(package / "site")
    yield address
    httpd.shutdown()


def table(package: Path, name: str) -> list[dict]:
    with (package / "seeds" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


def first_column(page, table_id: str) -> list[str]:
    return page.locator(f"#{table_id} tbody tr:visible td:first-child").all_inner_texts()


IN_ORDER = """(id) => {
  const cells = [...document.querySelectorAll('#' + id + ' tbody tr td:first-child')].map(td => td.textContent.trim());
  const order = {numeric: true, sensitivity: 'base'};  // as ledger.js compares text
  return cells.every((text, i) => i === 0 || cells[i - 1].localeCompare(text, undefined, order) <= 0);
}"""


def test_see_all_opens_a_list_of_exactly_the_related_rows(page, site, package):
    built = [m for m in table(package, "models") if m["developer_org_id"] == "meta"]
    assert len(built) > 3 * PAGE_ROWS
    page.goto(site + "/organizations/meta/")
    # The section's table: the first div after its heading (a column-fit note may sit between them).
    section = page.locator("h2", has_text="Models it built").locator("xpath=following-sibling::div[1]")
    expect(section.locator("tbody tr")).to_have_count(SECTION)
    page.get_by_role("link", name=f"see all {len(built)}").first.click()
    assert page.url == site + "/organizations/meta/models-it-built/"
    expect(page.locator("h1")).to_contain_text("Models it built")
    # As served (and without JavaScript): the first of four pages, which says so.
    expect(page.locator("#ledger-list tbody tr")).to_have_count(PAGE_ROWS)
    expect(page.locator(".ledger-pager-status").first).to_contain_text(f"Rows 1–5 of {len(built)}, page 1 of 4.")
    # Sorting lists every row of the list: exactly meta's models, from all four pages.
    page.locator("#ledger-list th").first.locator("button").click()
    expect(page.locator("#ledger-list tbody tr")).to_have_count(len(built))
    assert sorted(first_column(page, "ledger-list")) == sorted(m["name"] for m in built)
    assert page.evaluate(IN_ORDER, "ledger-list")
    expect(page.locator(".ledger-pager-status").first).to_have_text(
        f"All {len(built)} rows, sorted by Name (ascending). Back to page 1 of 4"
    )
    # The rows' links still lead to the models' pages.
    link = page.locator("#ledger-list tbody tr a").first
    link.click()
    assert page.url.startswith(site + "/models/") and page.locator("h1").inner_text() in {m["name"] for m in built}


def test_sorting_a_paginated_index_orders_every_row(page, site, package):
    titles = [s["title"] for s in table(package, "sources")]
    page.goto(site + "/sources/pages/2/")
    on_page = first_column(page, "sources-table")
    assert len(on_page) == PAGE_ROWS
    header = page.locator("#sources-table th").first
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#sources-table tbody tr")).to_have_count(len(titles))
    assert page.evaluate(IN_ORDER, "sources-table")
    first = first_column(page, "sources-table")[0]
    assert first not in on_page  # the smallest title of all pages, not of page 2
    status = page.locator(".ledger-pager-status").first
    expect(status).to_have_text(f"All {len(titles)} rows, sorted by Title (ascending). Back to page 2 of {pages(len(titles))}")
    expect(page.locator(".ledger-pager-links").first).to_be_hidden()
    # The keyboard reverses it, over every row still.
    header.locator("button").focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-sort", "descending")
    assert first_column(page, "sources-table")[-1] == first
    # Links in rows loaded from another page lead to the right pages.
    href = page.locator("#sources-table tbody tr a").first.get_attribute("href")
    assert href.startswith(site + "/sources/") and href.count("/") == site.count("/") + 3


def test_filters_of_a_paginated_index_act_on_every_row(page, site, package):
    sources = table(package, "sources")
    primary = [s for s in sources if s["tier"] == "primary"]
    assert len(primary) > PAGE_ROWS
    page.goto(site + "/sources/")
    page.locator("select[data-attribute=data-tier]").select_option("primary")
    tier = page.locator("select[data-attribute=data-tier] option[value=primary]").inner_text()  # the label the data gives
    visible = page.locator("#sources-table tbody tr:visible")
    expect(visible).to_have_count(len(primary))
    links = page.locator("#sources-table tbody tr:visible td:first-child a").evaluate_all("as => as.map(a => a.href)")
    assert sorted(links) == sorted(f"{site}/sources/{render.page_slug(s['source_id'])}/" for s in primary)
    expect(page.locator(".ledger-pager-status").first).to_have_text(
        f"{len(primary)} of all {len(sources)} rows (tier: {tier}), in the list's order. Back to page 1 of {pages(len(sources))}"
    )
    expect(page.locator("select[data-attribute=data-tier] ~ .ledger-filter-count, .ledger-filter-count").nth(1)).to_have_text(
        f"{len(primary)} shown"
    )


def test_without_the_rows_file_a_page_still_sorts_its_own_rows(page, site):
    page.route("**/rows.json", lambda route: route.abort())
    page.goto(site + "/sources/pages/3/")
    header = page.locator("#sources-table th").first
    header.locator("button").click()
    expect(page.locator(".ledger-pager-status").first).to_have_text(
        "Could not load the other pages' rows: sorting and filters act on this page only."
    )
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#sources-table tbody tr")).to_have_count(PAGE_ROWS)
    assert page.evaluate(IN_ORDER, "sources-table")


def test_on_a_phone_every_row_loads_as_a_compact_row(browser, site, package):  # noqa: F811
    sources = table(package, "sources")
    primary = sum(s["tier"] == "primary" for s in sources)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(site + "/sources/pages/2/")
    phone.locator("#sources-table th").nth(1).locator("button").click()  # Publisher
    expect(phone.locator("#sources-table tbody tr")).to_have_count(len(sources))
    displays = phone.evaluate(
        "() => [...document.querySelectorAll('#sources-table tbody tr:last-child td')].map(td => getComputedStyle(td).display)"
    )
    # A loaded row is laid out as the page's own: its label, then at most three values as a line of text.
    assert displays[0] == "block" and set(displays[1:]) <= {"inline", "none"} and 1 <= displays[1:].count("inline") <= 3
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    # A filter hides the rows that do not match (a row's display: block must not show them).
    phone.locator("select[data-attribute=data-tier]").select_option("primary")
    expect(phone.locator("#sources-table tbody tr:visible")).to_have_count(primary)
    context.close()


def test_dates_sort_by_day_not_by_their_words(page, site, package):
    sources = table(package, "sources")
    published = sorted(s["published"] for s in sources if s["published"])
    page.goto(site + "/sources/pages/2/")
    page.locator("#sources-table th", has_text="Published").locator("button").click()
    expect(page.locator("#sources-table tbody tr")).to_have_count(len(sources))
    days = page.locator("#sources-table tbody td[data-label=Published][data-sort]").evaluate_all(
        "cells => cells.map(td => td.dataset.sort)"
    )
    assert days == published  # "24 February 2023" after "9 January 2023" would be out of order as text


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_lists_and_their_all_rows_view_have_no_serious_accessibility_violations(browser, site, scheme):  # noqa: F811
    from a11y import newest_axe

    context = browser.new_context(color_scheme=scheme)
    tab = context.new_page()
    found = []
    for path in ("/organizations/meta/models-it-built/pages/2/", "/sources/pages/2/"):
        tab.goto(site + path)
        tab.locator(".ledger-sortable th").first.locator("button").click()
        expect(tab.locator(".ledger-pager-status").first).to_contain_text("All ")
        tab.mouse.move(0, 0)  # a hovered link takes Material's accent colour: judge the page at rest
        results = newest_axe().run(tab)
        found += [
            f"{path} {v['id']} ({len(v['nodes'])}) {v['nodes'][0]['target']}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    context.close()
    assert found == [], "\n".join(found)


def test_rows_loaded_from_a_hostile_package_run_no_script(browser, bookshelf):  # noqa: F811
    """A script payload in a cell reaches rows.json as escaped text, and stays text once loaded."""
    from test_browser import PAYLOAD, hostile_package

    hostile_package(bookshelf)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "INDEX_PAGE_ROWS", 1)
        patch.setattr(related, "SECTION_ROWS", 1)
        result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    site = bookshelf / "site"
    lists = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("rows.json"))
    assert "authors" in lists and any(path.startswith("sources/gutenberg-austen/") for path in lists)
    httpd, address = serve(site)
    context = browser.new_context()
    tab = context.new_page()
    dialogs = dialogs_of(tab)
    try:
        for path in lists:
            tab.goto(f"{address}/{path}/pages/2/")
            tab.locator(".ledger-sortable th").first.locator("button").click()
            expect(tab.locator(".ledger-pager-status").first).to_contain_text("All ")
            assert tab.evaluate("window.pwned") is None, path
            assert tab.locator("[onerror], [onload], [onmouseover]").count() == 0, path
        tab.goto(f"{address}/authors/pages/2/")
        tab.locator("#authors-table th").first.locator("button").click()
        expect(tab.locator("#authors-table tbody")).to_contain_text(PAYLOAD)  # shown as the text it is
        tab.wait_for_timeout(200)
        assert tab.evaluate("window.pwned") is None
    finally:
        context.close()
        httpd.shutdown()
    assert dialogs == []
