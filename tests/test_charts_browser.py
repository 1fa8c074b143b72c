"""Issue 18 §6, the charts: the time axis ends at the data's last day with a "data as of" note (no
padded year after it), and on a 390 px phone the timeline labels its key events, with no dot, note
or label covering another. Measured in headless Chromium."""

import csv
import datetime as dt
import re
from pathlib import Path

import pytest
from test_browser import browser, server  # noqa: F401  (shared fixtures)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
MONTHS = "January February March April May June July August September October November December".split()

# Every dot and text of the visible charts, as boxes on the screen, and each pair that intersects.
COLLISIONS = """() => {
  const hits = [];
  for (const svg of document.querySelectorAll('svg.ledger-chart')) {
    if (svg.getBoundingClientRect().width === 0) continue;  // the variant for the other width
    // A transparent circle is a hover target for a tooltip, not a dot anyone sees.
    const seen = [...svg.querySelectorAll('circle, text')]
      .filter(e => e.tagName === 'text' || getComputedStyle(e).fillOpacity !== '0');
    const items = seen.map(e => {
      const r = e.getBoundingClientRect();
      return {what: e.tagName === 'circle' ? 'dot ' + e.textContent : 'text ' + e.textContent, r};
    }).filter(i => i.r.width > 0);
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i].r, b = items[j].r;
        if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) {
          hits.push(svg.id + ': ' + items[i].what + ' × ' + items[j].what);
        }
      }
    }
  }
  return hits;
}"""


def seed_rows(table: str) -> list[dict]:
    with open(ROOT / "seeds" / f"{table}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def data_end(built: Path) -> dt.date:
    """The last day the charts speak for: the data's last dated event (the timeline's newest date,
    an undated exit at its `left_by`), never earlier than what the charts draw (their newest event,
    the newest status of a LLaMA paper author, which the retention chart counts up to)."""
    with (built / "site" / "charts" / "releases-departures.csv").open(encoding="utf-8") as handle:
        days = [dt.date.fromisoformat(row["date"] or row["left_by"]) for row in csv.DictReader(handle)]
    days += [dt.date.fromisoformat(p["status_as_of"]) for p in seed_rows("people") if p["llama_paper_position"]]
    with (built / "dist" / "data" / "timeline.csv").open(encoding="utf-8") as handle:
        days += [dt.date.fromisoformat(d) for row in csv.DictReader(handle) for d in (row["date"], row["left_by"]) if d]
    return max(days)


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["/", "/timeline/"])
def test_no_dot_or_label_of_a_chart_covers_another(browser, server, path, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    page.goto(server + path)
    assert page.locator("svg.ledger-chart:visible").count() >= 1
    assert page.evaluate(COLLISIONS) == []
    context.close()


def test_the_phone_timeline_labels_the_key_events(browser, server):  # noqa: F811
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = context.new_page()
    page.goto(server + "/")
    listed = page.locator(".ledger-key-events").inner_text()  # "Key events: LLaMA (February 2023) · …"
    events = [re.sub(r" \([^()]*\)$", "", item) for item in listed.removeprefix("Key events: ").split(" · ")]
    assert len(events) >= 3
    chart = page.locator("#releases-departures .ledger-chart-narrow svg")
    assert chart.is_visible()
    texts = chart.locator("text").all_text_contents()
    assert [e for e in events if e not in texts] == []
    context.close()


def test_the_time_axis_ends_at_the_data_with_a_data_as_of_note(built):
    end = data_end(built)
    note = f"data as of {end.day} {MONTHS[end.month - 1]} {end.year}"
    home = (built / "site" / "index.html").read_text(encoding="utf-8")
    timeline = (built / "site" / "timeline" / "index.html").read_text(encoding="utf-8")
    svgs = re.findall(r'<svg [^>]*class="ledger-chart .*?</svg>', home + timeline, re.S)
    svgs += [(built / "site" / "charts" / f"{n}.svg").read_text(encoding="utf-8") for n in ("releases-departures", "retention")]
    assert len(svgs) == 8  # two charts, wide and narrow, on the home page; the timeline's two; the files
    for svg in svgs:
        assert note in svg
        years = [int(y) for y in re.findall(r">(\d{4})</text>", svg)]
        assert years and max(years) <= end.year  # no year after the data
        right = float(re.search(r'<line x1="([\d.]+)"[^>]*class="as-of"', svg).group(1))
        dots = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
        assert dots and max(dots) <= right + 0.01
        ticks = [float(x) for x in re.findall(r'<line x1="([\d.]+)"[^>]*class="grid"', svg)]
        assert max(ticks, default=0) <= right
