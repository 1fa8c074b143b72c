"""Lists a phone can hold and tables a desktop can read, on the real package in headless Chromium
(issue 18, section 3): Downloads first on every data page, compact rows and no index page taller
than 12,000 px on a 390 px phone, no table that scrolls sideways at 1280 px, empty values sorted
last, and the Models index in order of release, with the date."""

import csv
import datetime as dt
import json

import pytest
from playwright.sync_api import expect
from test_browser import browser, server  # noqa: F401  (shared fixtures)

from builder.common.dates import format_date
from builder.package.handwritten import page_slug
from tests.conftest import ROOT, page_height

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TALLEST = 12_000
RELEASE_EVENTS = ("released", "open-weights")


def seed_rows(table: str) -> list[dict]:
    with (ROOT / "seeds" / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def data_pages(built) -> list[str]:
    """Every data page of the built site: one per table of the package and per derived view."""
    return sorted(f"/data/{p.parent.name}/" for p in (built / "site" / "data").glob("*/index.html"))


INDEX_PAGES = ["/models/", "/people/", "/organizations/", "/sources/", "/sources/pages/2/", "/claims/", "/timeline/", "/data/"]


@pytest.fixture
def phone(browser):  # noqa: F811
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


@pytest.fixture
def desktop(browser):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def test_downloads_with_sizes_and_version_sit_in_the_first_two_phone_screens_of_every_data_page(phone, server, data_pages):  # noqa: F811
    version = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["version"]
    late = []
    for path in data_pages:
        phone.goto(server + path)
        table = phone.locator(".ledger-downloads")
        expect(table).to_contain_text("KiB")  # the sizes
        bottom = table.evaluate("t => t.getBoundingClientRect().bottom + scrollY")
        if bottom > 2 * PHONE["height"]:
            late.append((path, round(bottom)))
        expect(phone.locator(".ledger-data")).to_contain_text(f"version {version} of the data")
    assert late == [], f"Downloads below the second phone screen: {late}"


def test_no_index_page_is_taller_than_12000_px_on_a_phone(phone, server, data_pages):  # noqa: F811
    tall = []
    for path in INDEX_PAGES + data_pages:
        phone.goto(server + path)
        height = page_height(phone)
        if height > TALLEST:
            tall.append((path, height))
    assert tall == [], f"pages taller than {TALLEST:,} px at 390 px: {tall}"


def test_a_list_on_a_phone_is_compact_rows_of_a_label_and_three_values(phone, server):  # noqa: F811
    phone.goto(server + "/sources/")
    rows = phone.locator("#sources-table tbody tr")
    first = rows.first
    # The label links to the row's page, which has the other columns.
    first_source = page_slug(seed_rows("sources")[0]["source_id"])
    expect(first.locator("td").first.locator("a")).to_have_attribute("href", f"../sources/{first_source}/")
    shown = phone.evaluate(
        """() => [...document.querySelectorAll('#sources-table tbody tr')].map(tr =>
             [...tr.cells].filter(td => getComputedStyle(td).display !== 'none').length)"""
    )
    assert max(shown) <= 4 and min(shown) >= 1
    heights = rows.evaluate_all("trs => trs.map(tr => tr.getBoundingClientRect().height)")
    # A typical row is its title and a line of values (a card of five labelled values was over 250 px).
    assert sorted(heights)[len(heights) // 2] < 120
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


# One page of every kind that has a table, the widest first (before: 15 pages scrolled sideways).
DESKTOP_PAGES = [
    "/organizations/meta/",
    "/organizations/mistral-ai/",
    "/organizations/ami-labs/",
    "/people/yann-lecun/",
    "/models/llama-guard-2/",
    "/models/muse-spark/",
    "/sources/bi-2025-llama-talent/",
    "/sources/theinformation-2023-excerpt/",
    "/sources/newsbytes-msl-reorg-2025/",
    "/claims/compute-dispute-triggered-departures/",
    "/api/",
    "/changes/",
]
WIDE = """() => [...document.querySelectorAll('.ledger-scroll, .md-typeset__scrollwrap')]
  .filter(w => w.offsetParent !== null && w.scrollWidth > w.clientWidth + 1)
  .map(w => (w.querySelector('th') || w).textContent.trim().slice(0, 30) + ': ' + w.scrollWidth + ' > ' + w.clientWidth)"""
CUT = """() => [...document.querySelectorAll('.ledger-table td')]
  .filter(td => td.offsetParent !== null && td.scrollWidth > td.clientWidth + 1)
  .map(td => td.textContent.trim().slice(0, 30))"""


def test_no_table_scrolls_sideways_or_cuts_words_on_a_desktop(desktop, server, data_pages):  # noqa: F811
    wide, cut = [], []
    for path in DESKTOP_PAGES + INDEX_PAGES + data_pages:
        desktop.goto(server + path)
        desktop.wait_for_function(
            "document.querySelectorAll('.ledger-scroll').length === 0 || !!document.querySelector('[data-ledger-fit]')"
        )
        wide += [f"{path} {w}" for w in desktop.evaluate(WIDE)]
        cut += [f"{path} {c}" for c in desktop.evaluate(CUT)]
    assert wide == [], "tables that scroll sideways at 1280 px:\n" + "\n".join(wide)
    assert cut == [], "cells whose text is cut:\n" + "\n".join(cut)


def test_a_desktop_table_names_the_columns_it_hides_and_shows_them_when_there_is_room(desktop, server):  # noqa: F811
    fields = [
        f["name"]
        for r in json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["resources"]
        if r["name"] == "sources"
        for f in r["schema"]["fields"]
    ]
    desktop.goto(server + "/data/sources/")
    note = desktop.locator(".ledger-fit-note")
    expect(note).to_contain_text(f"of {len(fields)} columns at this width")
    headings = desktop.locator(".ledger-preview thead th")
    visible = [h.inner_text().strip(" ↕") for h in headings.all() if h.is_visible()]
    assert visible == fields[: len(visible)] and 2 <= len(visible) < len(fields)
    assert ", ".join(fields[len(visible) :]) in note.inner_text()  # the hidden ones, by name
    # Sorting loads no other rows here; hidden columns stay hidden on the re-ordered rows.
    headings.first.locator("button").click()
    cells = desktop.locator(".ledger-preview tbody tr").first.locator("td")
    assert sum(c.is_visible() for c in cells.all()) == len(visible)
    # A wider window shows more of them.
    desktop.set_viewport_size({"width": 2400, "height": 900})
    desktop.wait_for_timeout(400)
    assert sum(h.is_visible() for h in headings.all()) > len(visible)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_empty_values_sort_last_in_both_directions(browser, server, viewport):  # noqa: F811
    sources = seed_rows("sources")
    undated = sum(not s["published"] for s in sources)
    assert 0 < undated < len(sources)
    context = browser.new_context(viewport=viewport)
    tab = context.new_page()
    tab.goto(server + "/sources/")
    header = tab.locator("#sources-table th", has_text="Published")
    for direction in ("ascending", "descending"):
        header.locator("button").click()
        expect(header).to_have_attribute("aria-sort", direction)
        expect(tab.locator("#sources-table tbody tr")).to_have_count(len(sources))
        days = tab.locator("#sources-table tbody td[data-label=Published]").evaluate_all(
            "tds => tds.map(td => td.dataset.sort || '')"
        )
        dated = [d for d in days if d]
        assert days == dated + [""] * undated, direction
        assert dated == sorted(dated, reverse=direction == "descending")
    context.close()


def first_releases() -> dict[str, tuple[dt.date, str]]:
    first: dict[str, tuple[dt.date, str]] = {}
    for r in sorted(seed_rows("releases"), key=lambda r: (r["date"], r["release_id"])):
        if r["event"] in RELEASE_EVENTS and r["date"] and r["model_id"] not in first:
            first[r["model_id"]] = (dt.date.fromisoformat(r["date"]), r["date_precision"])
    return first


def test_the_models_index_lists_models_by_release_date_and_their_pages_say_the_date(desktop, server):  # noqa: F811
    models = seed_rows("models")
    first = first_releases()
    assert any(precision == "month" for _, precision in first.values())  # a date known only to the month
    expected = sorted(models, key=lambda m: (m["model_id"] not in first, first.get(m["model_id"], (dt.date.min,))[0]))
    desktop.goto(server + "/models/")
    rows = desktop.locator("#models-table tbody tr")
    expect(rows).to_have_count(len(models))
    shown = rows.evaluate_all("trs => trs.map(tr => [tr.cells[0].textContent.trim(), tr.cells[1].textContent.trim()])")
    assert [name for name, _ in shown] == [m["name"] for m in expected]
    assert [when for _, when in shown] == [
        format_date(*first[m["model_id"]]) if m["model_id"] in first else "—" for m in expected
    ]
    expect(desktop.locator("#models-table thead th").nth(1)).to_have_text("Released")
    # Each released model's lead sentence gives the date at its precision ("July 2024").
    for model in expected[:3] + [m for m in expected if first.get(m["model_id"], (0, ""))[1] == "month"]:
        desktop.goto(server + f"/models/{model['model_id']}/")
        expect(desktop.locator(".ledger-summary")).to_contain_text(f"First released {format_date(*first[model['model_id']])}.")


def test_a_lists_two_pagers_are_distinct_landmarks_for_axe(desktop, server):  # noqa: F811
    """Before: /sources/ had two navs named "Pages of this list", and axe reported landmark-unique
    (moderate). Each pager now says which list it pages and whether it is above or below it."""
    from a11y import newest_axe

    found = []
    for path in ("/sources/", "/sources/pages/2/"):
        desktop.goto(server + path)
        pagers = desktop.locator("nav.ledger-pager")
        expect(pagers).to_have_count(2)
        names = [pagers.nth(i).get_attribute("aria-label") for i in range(2)]
        assert names[0] != names[1] and all(n.startswith("Sources") for n in names), names
        results = newest_axe().run(desktop)
        found += [f"{path} {v['id']}" for v in results.response["violations"] if v["id"].startswith("landmark")]
    assert found == []
