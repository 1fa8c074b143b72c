"""Names from the descriptor in Chromium: a field name that would add an attribute runs no script
(issue 16, "script from a field name"), and the list's filter still works on it."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402
from test_browser import ARGS, dialogs_of, serve  # noqa: E402

# Unquoted after `data-`, the old macro made this three attributes: focus on load, then an alert.
HOSTILE = "g autofocus tabindex=0 onfocus=alert(document.domain) x"


def rename_field(root: Path, table: str, old: str, new: str) -> None:
    data = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in data["resources"] if r["name"] == table)
    next(f for f in resource["schema"]["fields"] if f["name"] == old)["name"] = new
    (root / "datapackage.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    csv = root / "data" / f"{table}.csv"
    header, rest = csv.read_text(encoding="utf-8").split("\n", 1)
    csv.write_text(",".join(new if cell == old else cell for cell in header.split(",")) + "\n" + rest, encoding="utf-8")


def test_a_field_name_cannot_add_an_attribute_and_its_filter_still_works(bookshelf):
    rename_field(bookshelf, "books", "genre", HOSTILE)
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    httpd, address = serve(bookshelf / "site")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        dialogs = dialogs_of(page)
        try:
            page.goto(address + "/books/")
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)
            assert dialogs == []  # the old macro: ["127.0.0.1"]
            assert page.locator("tr[onfocus], tr[autofocus]").count() == 0
            rows = page.locator("#books-table tbody tr")
            total = rows.count()
            page.select_option("select.ledger-filter", "essay")
            shown = page.eval_on_selector_all("#books-table tbody tr", "rs => rs.filter(r => !r.hidden).length")
            essays = (bookshelf / "data" / "books.csv").read_text(encoding="utf-8").count(",essay,")
            assert 0 < shown == essays < total
        finally:
            browser.close()
            httpd.shutdown()
    assert dialogs == []
