"""No page grows with the package: proved on synthetic packages (`builder synth`) with low limits.

The limits are lowered so a package of a few copies of the Ledger already crosses them; the
benchmark (`make bench`) checks the real limits at 1,000 and 5,000 entity pages.
"""

import csv
import io
import json
import re
from pathlib import Path

import polars as pl
import pytest

from builder import pipeline
from builder.build import Job
from builder.common import progress
from builder.package.paths import Paths
from builder.site import lists, related, render
from builder.tools import synth
from builder.views import plugin
from tests.conftest import ROOT

ROWS_PER_PAGE = 40
SECTION = 3


@pytest.fixture
def low_limits(monkeypatch):
    monkeypatch.setattr(render, "INDEX_PAGE_ROWS", ROWS_PER_PAGE)
    monkeypatch.setattr(plugin, "INDEX_PAGE_ROWS", ROWS_PER_PAGE)  # the story's long lists follow the page size
    monkeypatch.setattr(related, "SECTION_ROWS", SECTION)
    monkeypatch.setattr(render, "PREVIEW_BYTES", 8_000)


def rendered(tmp_path: Path, copies: int) -> tuple[dict[str, str], dict[str, int]]:
    """The generated pages of the Ledger scaled to `copies` copies, by path, and its tables' heights."""
    out = tmp_path / f"x{copies}"
    counts = synth.synth(ROOT, out, rows=636 * copies, errors=[])
    job = Job(Paths.at(out), tmp_path / f"staging{copies}")
    job.staging.mkdir()
    checked, _ = pipeline._validate(job)
    views, _ = pipeline._derive(checked)
    exported, _ = pipeline._export(job, checked, views)
    rendered, _ = pipeline._render(job, checked, views, exported, None)
    pages = dict(rendered.generated)  # path -> text, as the MkDocs hook receives them
    return pages, counts


def synth_package(tmp_path: Path) -> Path:
    out = tmp_path / "one-copy"
    synth.synth(ROOT, out, rows=636, errors=[])
    return out


def body_rows(text: str) -> int:
    """Rows of the page's first sortable table (the index's list)."""
    table = text.split('class="ledger-table ledger-sortable"', 1)[1].split("</table>", 1)[0]
    return table.split("<tbody>", 1)[1].count("<tr")


def shape(path: str) -> str:
    """A page's kind: numbered index pages and entity pages each count as one kind per table."""
    return re.sub(r"/pages/\d+\.md$", "/pages/N.md", path) if "/pages/" in path else path


def test_no_page_grows_with_the_package(tmp_path, low_limits):
    small, _ = rendered(tmp_path, 2)
    large, counts = rendered(tmp_path, 5)
    assert len(large) > 2 * len(small)  # two and a half times the entities and entity pages

    # Every kind of page of the large package is at most a little larger than the same kind in the
    # small one (ids carry a copy suffix), or its list was under the limit there and is at most at it now.
    def largest(pages):
        found: dict[str, tuple[int, str]] = {}
        for path, text in pages.items():
            kind = shape(path) if path.count("/") != 1 or path.endswith("index.md") else path.split("/")[0] + "/*"
            found[kind] = max(found.get(kind, (0, "")), (len(text.encode()), path))
        return found

    def under_limit(text):
        return 'class="ledger-table ledger-sortable"' in text and body_rows(text) < ROWS_PER_PAGE

    before, after = largest(small), largest(large)
    grown = {
        kind: (before[kind][0], size)
        for kind, (size, path) in after.items()
        if kind in before and size > 1.15 * before[kind][0] and not under_limit(small[before[kind][1]])
    }
    assert grown == {}
    lists = [p for p, text in large.items() if 'class="ledger-table ledger-sortable"' in text]
    assert max(body_rows(large[p]) for p in lists) == ROWS_PER_PAGE

    # The sources index is split into numbered pages of at most ROWS_PER_PAGE rows that list every source once.
    sources = counts["sources"]
    pages = sorted(p for p in large if re.fullmatch(r"sources/(index|pages/\d+)\.md", p))
    assert len(pages) == -(-sources // ROWS_PER_PAGE)
    assert all(body_rows(large[p]) <= ROWS_PER_PAGE for p in pages)
    assert sum(body_rows(large[p]) for p in pages) == sources
    last = len(pages)
    assert f"Rows {ROWS_PER_PAGE + 1}–{2 * ROWS_PER_PAGE} of {sources}, page 2 of {last}." in large["sources/pages/2.md"]
    assert 'href="../../../sources/" rel="prev">← Previous</a>' in large["sources/pages/2.md"]
    assert f'href="../../../sources/pages/{last}/">{last}</a>' in large["sources/pages/2.md"]
    assert 'title: "Sources, page 2"' in large["sources/pages/2.md"]
    assert f"Sorting by a column or filtering lists all {sources} rows on this page;" in large["sources/pages/2.md"]
    assert "<h1>Sources, page 2</h1>" in large["sources/pages/2.md"] and "<h1>Sources</h1>" in large["sources/index.md"]

    # A data page's preview stops before PREVIEW_BYTES and says that sorting orders only what it shows.
    preview = large["data/sources.md"]
    shown = preview.split("ledger-preview", 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1].count("<tr")
    assert shown < counts["sources"]
    assert f"The first {shown} of {counts['sources']} rows" in preview
    assert f"Click a column heading to sort these {shown} rows; the downloads above hold every row." in preview

    # The timeline lists its first events and counts all of them.
    timeline = large["timeline.md"]
    assert body_rows(timeline) == ROWS_PER_PAGE
    assert "The table lists the first 40 by date" in timeline

    # An organization with more related rows than SECTION shows the first ones, says how many, and
    # links to a list of exactly its rows (see test_an_entity_links_to_a_list_of_exactly_its_rows).
    meta = large["organizations/meta.md"]
    assert re.search(rf'The first {SECTION} of \d+: <a href="../../organizations/meta/models-it-built/">see all \d+</a>', meta)


def test_pager_shows_a_window_of_pages():
    pager = lists.Pager("sources", 7, 40, 1_600, 40)
    assert pager.pages == [1, None, 5, 6, 7, 8, 9, None, 40]
    assert (pager.first, pager.last) == (241, 280)
    assert lists.Pager("sources", 1, 3, 100, 40).pages == [1, 2, 3]
    assert lists.Pager("sources", 3, 3, 100, 40).last == 100
    assert pager.path(1) == "sources/" and pager.path(2) == "sources/pages/2/"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_on_a_terminal_only(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert progress.wanted(quiet=False, stream=Terminal())
    assert not progress.wanted(quiet=True, stream=Terminal())
    assert not progress.wanted(quiet=False, stream=io.StringIO())  # a log or a pipe
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted(quiet=False, stream=Terminal())


def test_progress_line_draws_after_the_delay_and_is_erased(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(progress.sys, "stderr", terminal)
    monkeypatch.setattr(progress, "DELAY", 0.0)
    progress.enable(True)
    try:
        progress.start("render", 4, "pages rendered")
        progress.advance(2)
        progress.finish()
    finally:
        progress.enable(False)
    assert terminal.getvalue() == "\rrender [###############---------------] 2/4 pages rendered\x1b[K\r\x1b[K"
    drawn = terminal.getvalue()
    progress.start("render", 4, "pages rendered")  # disabled: nothing drawn
    progress.advance(4)
    progress.finish()
    assert terminal.getvalue() == drawn


def test_a_build_in_a_log_has_no_progress_line(tmp_path):
    from click.testing import CliRunner

    from builder.cli import cli

    package = synth_package(tmp_path)
    result = CliRunner().invoke(cli, ["build", "--root", str(package)])
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "\x1b" not in result.output
    assert result.output.splitlines()[-1].startswith("built in ")


def test_search_reads_the_same_text_without_the_parts_it_skips(tmp_path):
    """The publish hook hands Material's search parser each generated page without its
    data-search-exclude parts: the parser must find exactly the sections and text it finds in the whole page."""
    from material.plugins.search.plugin import Parser

    from builder.site.mkdocs_hooks import MARKER, without_excluded

    def sections(html):
        parser = Parser()
        parser.feed(html)
        parser.close()
        return [(s.id, "".join(s.title), "".join(s.text)) for s in parser.data if not s.is_excluded()]

    pages, _ = rendered(tmp_path, 1)
    cut = 0
    for path, text in pages.items():
        if MARKER not in text:
            continue  # not a page (the Atom feed)
        html = text.split(MARKER, 1)[1]
        shorter = without_excluded(html)
        cut += len(html) - len(shorter)
        assert sections(shorter) == sections(html), path
    assert cut > sum(len(text) for text in pages.values()) / 3  # most of what search would parse


def test_excluded_parts_end_where_material_ends_them():
    from builder.site.mkdocs_hooks import without_excluded

    html = '<p>a</p>\n<div data-search-exclude><div>x</div>tail</div>\n<p data-search-exclude="">b</p><p>c</p>'
    assert without_excluded(html) == "<p>a</p>\ntail</div>\n<p>c</p>"
    kept = '<section data-search-exclude><h2 id="h">Heading</h2></section>'
    assert without_excluded(kept) == kept  # the parser opens a search section at a heading with an id


def list_links(text: str, table_id: str, target: str) -> list[str]:
    """The ids a list page's table links to in `target` (its first column), in order."""
    body = text.split(f'id="{table_id}"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(rf'<tr[^>]*><td[^>]*><a href="(?:\.\./)+{target}/([^/"]+)/">', body)


def test_an_entity_links_to_a_list_of_exactly_its_rows(tmp_path, monkeypatch):
    """Meta's models, cut on its page, are listed in full on pages of their own, and in their rows.json."""
    monkeypatch.setattr(render, "INDEX_PAGE_ROWS", 5)
    monkeypatch.setattr(related, "SECTION_ROWS", SECTION)
    pages, _ = rendered(tmp_path, 1)
    with (tmp_path / "x1" / "seeds" / "models.csv").open(encoding="utf-8") as f:
        built = [row["model_id"] for row in csv.DictReader(f) if row["developer_org_id"] == "meta"]
    assert len(built) > 2 * 5  # three pages at least

    meta = pages["organizations/meta.md"]
    assert f"The first {SECTION} of {len(built)}: " in meta
    assert f'<a href="../../organizations/meta/models-it-built/">see all {len(built)}</a>' in meta
    first = pages["organizations/meta/models-it-built.md"]
    assert "<h1>Models it built · Meta Platforms (formerly Facebook, Inc.)</h1>" in first
    assert "search:\n  exclude: true" in first  # the rows are searchable on their own pages
    assert f"Sorting by a column lists all {len(built)} rows on this page;" in first  # no filters here
    listed = sorted(p for p in pages if re.fullmatch(r"organizations/meta/models-it-built(/pages/\d+)?\.md", p))
    assert len(listed) == -(-len(built) // 5)
    shown = []
    for number in range(1, len(listed) + 1):
        path = "organizations/meta/models-it-built.md" if number == 1 else f"organizations/meta/models-it-built/pages/{number}.md"
        ids = list_links(pages[path], "ledger-list", "models")
        assert 0 < len(ids) <= 5
        shown += ids
    assert shown == [render.page_slug(m) for m in built]  # exactly its rows, in the table's order
    assert (
        'data-all-rows="../../../../../organizations/meta/models-it-built/rows.json"'
        in pages["organizations/meta/models-it-built/pages/2.md"]
    )

    # rows.json holds every row as its pages show them, links relative to the list's first page.
    data = json.loads((tmp_path / "staging1" / "docs" / "organizations" / "meta" / "models-it-built" / "rows.json").read_text())
    assert data["count"] == len(built)
    assert re.findall(r'<tr[^>]*><td[^>]*><a href="\.\./\.\./\.\./models/([^/"]+)/">', data["rows"]) == shown
    assert "../../../../../" not in data["rows"]

    # A list is written for a cut section its entity page links to (a claim's subjects too), and only then.
    lists = [p for p in pages if re.fullmatch(r"[a-z_]+/[^/]+/[^/]+\.md", p) and not p.split("/")[1] == "pages"]
    assert sum(text.count('/">see all ') for text in pages.values()) < len(lists)
    for path in lists:
        assert f'{path.removesuffix(".md")}/">' in pages[path.rsplit("/", 1)[0] + ".md"]
    claim = "claims/llama2-more-informative-creative-than-bard-chatgpt"
    assert (
        '<a href="../../claims/llama2-more-informative-creative-than-bard-chatgpt/models-about-this/">all 4 models</a>'
        in pages[f"{claim}.md"]
    )
    assert not any(p.startswith(f"{claim}/") and "evidence" in p for p in pages)  # its page shows all its evidence
    # The article lists its first claims (every passage stays highlighted) and links to them all.
    article = pages["documents/meta-llama-departures-article.md"]
    claims = article.split("<h2>Claims in this document</h2>", 1)[1]
    assert claims.split("</ul>", 1)[0].count("<li>") == SECTION
    assert 'href="../../documents/meta-llama-departures-article/claims-checked-in-it/">see all 27</a>' in claims
    assert article.count('class="ledger-mark ') == 27


def test_a_list_of_long_rows_is_cut_by_size_too(tmp_path, low_limits):
    """Departures carry long notes: their list is split before its rows pass PREVIEW_BYTES, not at 40 rows."""
    pages, _ = rendered(tmp_path, 1)
    base = "organizations/meta/people-who-left-it"
    listed = [f"{base}.md"] + sorted(p for p in pages if p.startswith(f"{base}/pages/"))
    assert len(listed) >= 2
    total = int(re.search(r"of (\d+), page 1 of", pages[listed[0]]).group(1))
    assert total < ROWS_PER_PAGE  # so it is the size that cut it
    first = 1
    for number, path in enumerate(listed, start=1):
        body = pages[path].split('id="ledger-list"', 1)[1].split("<tbody>\n", 1)[1].split("</tbody>", 1)[0]
        rows = body.count("<tr>")
        assert rows == 1 or len(body.encode()) <= 1.1 * render.PREVIEW_BYTES  # links on pages/N/ are a little longer
        assert f"Rows {first}–{first + rows - 1} of {total}, page {number} of {len(listed)}." in pages[path]
        first += rows
    assert first - 1 == total


def test_the_story_charts_and_their_tables_do_not_grow(tmp_path, monkeypatch):
    """A Ledger whose copies' models and departures all belong to Meta: the home chart's releases
    lane turns into bars per month past DOTS_LIMIT, and "Show as table" lists its first rows only."""
    from builder.stories import llama_figures
    from builder.views import charts

    monkeypatch.setattr(charts, "DOTS_LIMIT", 30)
    monkeypatch.setattr(llama_figures, "CHART_TABLE_ROWS", 25)
    out = tmp_path / "skewed"
    synth.synth(ROOT, out, rows=636 * 3, errors=[])
    models = out / "seeds" / "models.csv"
    frame = pl.read_csv(models, infer_schema=False).with_columns(pl.lit("meta").alias("developer_org_id"))
    frame.write_csv(models)
    job = Job(Paths.at(out), tmp_path / "staging")
    job.staging.mkdir()
    checked, _ = pipeline._validate(job)
    views, _ = pipeline._derive(checked)
    exported, _ = pipeline._export(job, checked, views)
    rendered, _ = pipeline._render(job, checked, views, exported, None)
    home = rendered.generated["index.md"]
    releases = next(v.frame for v in views if v.name == "release_cadence").height
    assert releases > 30
    assert f"Top: the {releases} Llama-family releases (too many for a dot each: one bar per month" in home
    wide = home.split('class="ledger-chart-wide">', 1)[1].split("</svg>", 1)[0]
    assert 'class="release"' in wide and "<circle cx" in wide and "<rect " in wide  # bars for releases, dots for the 11 authors
    assert not re.search(r'<circle[^>]*class="release"', wide)
    assert f"The first 25 of {releases + 11:,} rows;" in home
    table = home.split('<details class="ledger-chart-table">', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 1 + 25  # the header and the first rows


def test_a_long_span_labels_round_years_far_enough_apart_to_read():
    """A package whose dates span centuries: year labels on round years (1950, 1975…), never closer
    than YEAR_GAP, so they are not printed over each other, and a grid line only where a label is."""
    import datetime as dt

    from builder.views import charts

    for width in (charts.WIDE, charts.NARROW):
        for start, end in ((dt.date(1918, 2, 1), dt.date(2099, 5, 1)), (dt.date(1998, 9, 4), dt.date(2026, 7, 4))):
            parts = "".join(charts._Frame(start, end, width, 280).axis("Year"))
            labels = [(float(x), int(year)) for x, year in re.findall(r'<text x="([\d.]+)"[^>]*>(\d{4})</text>', parts)]
            assert len(labels) >= 3
            gaps = [b[0] - a[0] for a, b in zip(labels, labels[1:], strict=False)]
            assert min(gaps) >= charts.YEAR_GAP - 1, (width, start, gaps)
            steps = {b[1] - a[1] for a, b in zip(labels, labels[1:], strict=False)}
            assert len(steps) == 1 and (steps.pop() <= 2 or all(year % (labels[1][1] - labels[0][1]) == 0 for _, year in labels))
            if labels[1][1] - labels[0][1] > 2:
                assert parts.count('class="grid"') == len(labels)


def test_source_usage_counts_as_a_group_by_per_table_would():
    """The source usage view counts each table's citations from one Enum code over all of them
    (issue 20): the same counts as a string group-by and a join per table, with ids cited by no
    row, rows naming no source (or a null), a source listed twice and a citing table with no rows.
    A table's counts never leak into another's (scatter writes in place)."""
    import random

    from builder.stories import llama_views

    draw = random.Random(20)
    ids = [f"s{n}" for n in range(300)]
    sources = pl.DataFrame(
        {"source_id": ids + ["s7"], "title": [f"t{n}" for n in range(301)], "tier": ["primary", "secondary"] * 150 + ["primary"]}
    )
    tables = {"sources": sources}
    for name, height in (("citations", 5_000), ("claims", 700), ("models", 0), ("people", 40)):
        cited = [draw.choice(ids[:250] + ["nope", None]) for _ in range(height)]
        tables[name] = pl.DataFrame({"source_id": pl.Series(cited, dtype=pl.String)})
    expected = sources.select("source_id", "title", "tier")
    for name in ("citations", "claims", "models", "people"):
        counts = tables[name].group_by("source_id").agg(pl.len().cast(pl.Int64).alias(name))
        expected = expected.join(counts, on="source_id", how="left").with_columns(pl.col(name).fill_null(0))
    expected = expected.with_columns(pl.sum_horizontal("citations", "claims", "models", "people").alias("total"))
    view = llama_views.source_usage(tables)
    assert view.frame.sort("source_id", "title").equals(expected.sort("source_id", "title"))
    assert view.frame["models"].sum() == 0 and view.frame.filter(pl.col("source_id") == "s7")["total"].n_unique() == 1
    assert view.frame.filter(pl.col("source_id") == "s299")["total"].item() == 0


def test_timeline_numbers_events_of_one_subject_on_one_day_in_order():
    """Event ids end in a number counting a subject's events of one kind on one day: 0 when there is
    one (the window is skipped then, issue 20), 0 and 1 when a person has two exits that day."""
    from builder.check.validate import validate_package
    from builder.stories import llama_views

    _, _, tables = validate_package(Paths.at(ROOT))
    once = llama_views.timeline(tables).frame
    assert once["event_id"].str.ends_with("-0").all() and once["event_id"].is_unique().all()
    departures = tables["departures"]
    first = departures.filter(pl.col("date").is_not_null()).head(1)
    twice = {**tables, "departures": pl.concat([departures, first.with_columns(pl.col("departure_id") + "-again")])}
    frame = llama_views.timeline(twice).frame
    person, day = first["person_id"].item(), first["date"].item().strftime("%Y%m%d")
    assert frame.filter(pl.col("event_id").str.starts_with(f"departure-{person}-{day}-"))["event_id"].to_list() == [
        f"departure-{person}-{day}-0",
        f"departure-{person}-{day}-1",
    ]
    assert frame["event_id"].is_unique().all() and frame.height == once.height + 1


def test_row_numbers_are_chunked_as_the_cells_they_number(tmp_path):
    """Polars reads a chunk of CSV in pieces; the row numbers beside the cells are made in the same
    pieces (a whole column beside pieces makes every select copy the cells whole first: 45 MiB
    for a 1M-row key, issue 20). The keys a table's checks compare and the rules' numbered frames
    keep one layout, and the numbers are still the file's rows."""
    from builder.check.rules import ROW, numbered
    from builder.package import light, tables

    path = tmp_path / "links.csv"
    path.write_text("id,name\n" + "".join(f"row-{i},name {i}\n" for i in range(300_000)), encoding="utf-8")
    schema = {"fields": [{"name": "id", "constraints": {"required": True}}, {"name": "name"}], "primaryKey": ["id"]}
    resource = light.light_resource({"name": "links", "path": "links.csv", "schema": schema})
    checked = tables.check_table(resource, path, {}, {"id"})
    assert checked.frame["id"].n_chunks() > 1
    assert len(set(checked.keys.n_chunks("all"))) == 1
    rows = numbered(checked.frame)
    assert len(set(rows.n_chunks("all"))) == 1
    assert checked.keys[ROW].to_list() == rows[ROW].to_list() == list(range(2, 300_002))
