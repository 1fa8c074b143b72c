"""The Llama story's home and timeline pages: headline figures and the two charts (releases and
departures, authors still at Meta), with their data downloads and "Show as table" rows, all computed
from the views by `page_context`."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl

from builder.stories.llama_home import home_story
from builder.stories.llama_views import TIMELINE_KINDS, _first_departures
from builder.views import plugin
from builder.views.plugin import charts, format_date

KEY_MODELS = {"llama": "LLaMA", "llama-2": "Llama 2", "llama-3": "Llama 3"}


def _csv(header: list[str], rows: list[tuple]) -> str:
    """A small CSV for a chart's data download (values never start with a formula character)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([tuple(header), *rows])
    return buffer.getvalue()


def model_span(tables: dict[str, pl.DataFrame]) -> tuple[str, str] | None:
    """The names of the first and the newest model released (dated releases only): the home page
    says how far the Models pages go, whatever was added since."""
    ordered = (
        tables["releases"]
        .filter(pl.col("date").is_not_null())
        .sort("date", "release_id")
        .join(tables["models"].select("model_id", "name"), on="model_id", how="left", maintain_order="left")
    )
    return (ordered["name"][0], ordered["name"][-1]) if ordered.height else None


def median_release_gap(cadence: pl.DataFrame) -> float | None:
    """Median days between release days: same-day variants count once, month- or year-precision dates not at all."""
    days = cadence.filter(pl.col("date_precision") == "day")["date"].unique().sort()
    gaps = days.diff().dt.total_days().drop_nulls()
    return gaps.median() if gaps.len() else None


def timeline_kind_labels() -> dict[str, str]:
    """The timeline view's kinds in words, as the view declares them (its schema's `kind` categories)."""
    return {c["value"]: c["label"] for c in TIMELINE_KINDS}


def _event_when(event, format_date) -> str:
    """A chart event's date in words, as exactly as it is known."""
    if event.undated:
        return f"date unknown; left by {format_date(event.day, 'day')}"
    return format_date(event.day, event.precision)


CHART_TABLE_ROWS = 100  # rows a chart's "Show as table" lists; its CSV download has them all


def page_context(site) -> dict:
    """Headline figures and charts, computed from the data (never typed in)."""
    views = {view.name: view.frame for view in site.views}
    status = views["author_status"]
    authors = status.height
    left = status.filter(pl.col("status") == "left").height
    at_meta = status.filter(pl.col("status") == "at-meta").height
    as_of = status["status_as_of"].max()
    # Those still at Meta are "still there" only as of the latest report on them, not as of the newest report on anyone.
    at_meta_as_of = status.filter(pl.col("status") == "at-meta")["status_as_of"].max()
    destinations = (
        status.filter(pl.col("destination").is_not_null())
        .group_by("to_org_id", "destination")
        .agg(pl.len().alias("authors"))
        .sort(["authors", "to_org_id"], descending=[True, False])
    )
    cadence = views["release_cadence"]
    claims = site.tables["claims"]
    verdicts = claims.group_by("verdict").agg(pl.len().alias("claims")).sort(["claims", "verdict"], descending=[True, False])
    retention = views["author_retention"]
    timeline = views["timeline"]

    # The departures lane counts what the headline counts: paper authors who left Meta, dated or not.
    leavers = (
        status.filter(pl.col("status") == "left")
        .join(_first_departures(site.tables).select("person_id", "known_by"), on="person_id", how="left")
        .with_columns(pl.coalesce("departure_date", "known_by", "status_as_of").alias("shown_on"))
        .sort("shown_on", "llama_paper_position")
    )
    releases = [charts.Event(d, n, precision=p) for d, n, p in cadence.select("date", "name", "date_precision").rows()]
    departures = [
        charts.Event(
            shown_on,
            f"{name} leaves Meta" + (f" for {destination}" if destination else ""),
            undated=departure_date is None,
            precision=precision or "day",
        )
        for name, destination, departure_date, precision, shown_on in leavers.select(
            "name", "destination", "departure_date", "departure_precision", "shown_on"
        ).rows()
    ]
    undated = [e for e in departures if e.undated]
    days = [e.day for e in releases + departures] + [as_of]
    # From the first year's start to the last day the data speaks for, not a padded year after it: the
    # data's last dated event (the timeline's newest date), the one "data as of" date every page names.
    newest = [d for d in (timeline["date"].max(), timeline["left_by"].max()) if d is not None]
    start, end = dt.date(min(days).year, 1, 1), max(days + newest)

    key_events = [(d, KEY_MODELS[m]) for m, d in cadence.select("model_id", "date").rows() if m in KEY_MODELS]
    llama4 = cadence.filter(pl.col("name").str.starts_with("Llama 4"))
    if llama4.height:
        key_events.append((llama4["date"].min(), "Llama 4"))
    mistral = site.rows_by_id.get("organizations", {}).get("mistral-ai")
    if mistral and mistral.get("founded"):
        key_events.append((mistral["founded"], "Mistral AI founded"))
    key_events.sort()

    lanes = {"Llama releases": releases, "Authors leaving Meta": departures}
    timeline_title = "Llama releases and LLaMA authors leaving Meta"
    timeline_charts = {
        width: charts.timeline_chart(
            lanes, chart_id="releases-departures", title=timeline_title, start=start, end=end, key_events=key_events, width=width
        )
        for width in (charts.WIDE, charts.NARROW)
    }
    uncertain = None
    if undated:
        reported = min(e.day for e in undated)
        uncertain = (reported.replace(day=1), f"{len(undated)} left, date unknown (reported {format_date(reported, 'day')})")
    retention_title = "LLaMA paper authors still at Meta"
    retention_charts = {
        width: charts.step_chart(
            retention.select("month", "authors_at_meta").rows(),
            chart_id="retention",
            title=retention_title,
            maximum=authors,
            start=start,
            end=end,
            y_title="Authors at Meta",
            uncertain=uncertain,
            width=width,
        )
        for width in (charts.WIDE, charts.NARROW)
    }
    # The chart's data as the views give it: a date with its precision, and an undated exit with no date
    # but the report that says it happened (`left_by`). The "Show as table" rows say the same in words.
    events = sorted(
        [(e, "release") for e in releases] + [(e, "departure") for e in departures], key=lambda x: (x[0].day, x[1], x[0].label)
    )
    timeline_csv = [
        (None, "unknown", e.day, lane, e.label) if e.undated else (e.day, e.precision, None, lane, e.label) for e, lane in events
    ]
    series = dict(zip(("release", "departure"), lanes, strict=True))  # the table names a series as the chart does
    timeline_rows = [(_event_when(e, format_date), series[lane], e.label) for e, lane in events]
    retention_csv = retention.select("month", "month_precision", "authors_at_meta", "authors_left").rows()
    retention_rows = [(format_date(month, precision), *rest) for month, precision, *rest in retention_csv]
    files = {
        "charts/releases-departures.svg": timeline_charts[charts.WIDE],
        "charts/releases-departures.csv": _csv(["date", "date_precision", "left_by", "lane", "event"], timeline_csv),
        "charts/retention.svg": retention_charts[charts.WIDE],
        "charts/retention.csv": _csv(["month", "month_precision", "authors_at_meta", "authors_left"], retention_csv),
    }
    return {
        "authors": authors,
        "left": left,
        "at_meta": at_meta,
        "as_of": as_of,
        "data_as_of": end,  # the data's last dated event: the charts' "data as of" and the home page's
        "at_meta_as_of": at_meta_as_of,
        "destinations": destinations.rows(named=True),
        "cadence": cadence.rows(named=True),
        "model_span": model_span(site.tables),
        "median_gap": median_release_gap(cadence),
        "verdicts": verdicts.rows(named=True),
        "claims_total": claims.height,
        "timeline_charts": timeline_charts,
        "retention_charts": retention_charts,
        "timeline_rows": timeline_rows,
        "retention_rows": retention_rows,
        "dated_leavers": len(departures) - len(undated),
        "undated_leavers": undated,
        "key_events": key_events,
        # A long timeline lists its first events and counts the rest (no page grows with the package).
        "timeline": timeline.head(plugin.INDEX_PAGE_ROWS).rows(named=True),
        "timeline_total": timeline.height,
        "timeline_kinds": timeline.group_by("kind").agg(pl.len().alias("events")).sort("kind").rows(),
        "kind_labels": timeline_kind_labels(),
        "files": files,
        "release_bars": len(releases) > charts.DOTS_LIMIT,
        "chart_table_rows": CHART_TABLE_ROWS,
        **home_story(site, status),
    }
