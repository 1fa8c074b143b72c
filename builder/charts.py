"""Deterministic SVG charts, written directly: no plotting library, no timestamps, no random ids.

Text is escaped; coordinates are rounded to one decimal so the bytes never depend on float noise.
"""

from __future__ import annotations

import datetime as dt
from html import escape

WIDTH, HEIGHT = 760, 260
MARGIN = {"left": 48, "right": 16, "top": 20, "bottom": 36}


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _time_scale(start: dt.date, end: dt.date):
    span = max((end - start).days, 1)
    inner = WIDTH - MARGIN["left"] - MARGIN["right"]
    return lambda day: MARGIN["left"] + inner * (day - start).days / span


def _year_ticks(start: dt.date, end: dt.date, x, bottom: float) -> list[str]:
    parts = []
    for year in range(start.year + (start.month > 1 or start.day > 1), end.year + 1):
        px = _n(x(dt.date(year, 1, 1)))
        parts.append(
            f'<line x1="{px}" y1="{MARGIN["top"]}" x2="{px}" y2="{_n(bottom)}" class="grid"/>'
            f'<text x="{px}" y="{_n(bottom + 16)}" text-anchor="middle">{year}</text>'
        )
    return parts


def _svg(title: str, description: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="ledger-chart" '
        f'aria-labelledby="chart-title chart-desc">'
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>'
        "<style>text{font:13px sans-serif;fill:currentColor}.grid{stroke:currentColor;stroke-opacity:.15}"
        ".release{fill:#3f51b5}.departure{fill:#e53935}.line{fill:none;stroke:#e53935;stroke-width:2}"
        ".area{fill:#e53935;fill-opacity:.12}</style>" + "".join(body) + "</svg>"
    )


def timeline_chart(lanes: dict[str, list[tuple[dt.date, str]]], *, title: str, start: dt.date, end: dt.date) -> str:
    """One row of dots per lane (e.g. releases, departures) on a shared time axis."""
    x = _time_scale(start, end)
    bottom = HEIGHT - MARGIN["bottom"]
    body = _year_ticks(start, end, x, bottom)
    lane_height = (bottom - MARGIN["top"]) / max(len(lanes), 1)
    for index, (lane, events) in enumerate(lanes.items()):
        y = MARGIN["top"] + lane_height * (index + 0.5)
        css = "release" if index == 0 else "departure"
        body.append(f'<text x="{MARGIN["left"]}" y="{_n(y - 14)}">{escape(lane)} ({len(events)})</text>')
        for day, label in sorted(events):
            body.append(
                f'<circle cx="{_n(x(day))}" cy="{_n(y)}" r="5" class="{css}" fill-opacity=".75">'
                f"<title>{escape(day.isoformat())}: {escape(label)}</title></circle>"
            )
    description = "; ".join(f"{lane}: {len(events)} events" for lane, events in lanes.items())
    return _svg(title, description, body)


def step_chart(points: list[tuple[dt.date, int]], *, title: str, maximum: int, end: dt.date) -> str:
    """A step line of a count over months (e.g. authors still at Meta)."""
    if not points:
        return _svg(title, "No data.", [])
    start = points[0][0]
    x = _time_scale(start, end)
    bottom = HEIGHT - MARGIN["bottom"]
    inner = bottom - MARGIN["top"]
    y = lambda value: bottom - inner * value / max(maximum, 1)  # noqa: E731
    body = _year_ticks(start, end, x, bottom)
    for value in range(0, maximum + 1, max(1, maximum // 7)):
        body.append(
            f'<line x1="{MARGIN["left"]}" y1="{_n(y(value))}" x2="{WIDTH - MARGIN["right"]}" '
            f'y2="{_n(y(value))}" class="grid"/><text x="{MARGIN["left"] - 6}" y="{_n(y(value) + 4)}" '
            f'text-anchor="end">{value}</text>'
        )
    path = []
    for index, (day, value) in enumerate(points):
        nxt = points[index + 1][0] if index + 1 < len(points) else end
        path.append(f"{'M' if index == 0 else 'L'}{_n(x(day))},{_n(y(value))} L{_n(x(nxt))},{_n(y(value))}")
    line = " ".join(path)
    body.append(f'<path d="{line} L{_n(x(end))},{_n(bottom)} L{_n(x(start))},{_n(bottom)} Z" class="area"/>')
    body.append(f'<path d="{line}" class="line"/>')
    for day, value in points:
        body.append(
            f'<circle cx="{_n(x(day))}" cy="{_n(y(value))}" r="6" fill-opacity="0">'
            f"<title>{escape(day.strftime('%B %Y'))}: {value}</title></circle>"
        )
    description = f"From {points[0][1]} in {start:%B %Y} to {points[-1][1]} in {points[-1][0]:%B %Y}."
    return _svg(title, description, body)
