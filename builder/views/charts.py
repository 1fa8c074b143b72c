"""Deterministic SVG charts, written directly: no plotting library, no timestamps, no random ids.

Text is escaped; coordinates are rounded to one decimal so the bytes never depend on float noise.
Every chart comes in two widths: the wide one for screens over 600 px, and a narrow one whose
text stays at least 10 CSS px on a 390 px phone (the page shows one or the other). Ids are
prefixed with the chart's own id, so two charts on one page never share one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

FONT = 13  # px in the SVG's own units
WIDE, NARROW = 760, 380  # viewBox widths: a 380-unit chart drawn 350 px wide keeps 13-unit text at 12 px
YEAR_GAP = 40  # viewBox units from one year label to the next: "2024" in 13-unit text is about 32 wide
YEAR_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
MARGIN = {"left": 52, "right": 16, "top": 24, "bottom": 52}
DOTS_LIMIT = 120  # events a lane draws as dots; past it, bars per month (no page grows with the package)


@dataclass(frozen=True)
class Event:
    """One dot on a lane: its day, a label for the tooltip and table, and whether its date is unknown."""

    day: dt.date
    label: str
    undated: bool = False  # drawn hollow at the date of the report that says it happened
    precision: str = "day"  # day, month or year: a tooltip never names a day the data does not know

    @property
    def when(self) -> str:
        """The date as exactly as it is known: 2023-07-18, June 2023 or 2023."""
        if self.precision == "year":
            return str(self.day.year)
        if self.precision == "month":
            return f"{self.day:%B %Y}"
        return self.day.isoformat()


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Frame:
    """The x scale and axis shared by both charts: one domain, year ticks, an axis title."""

    def __init__(self, start: dt.date, end: dt.date, width: int, height: int):
        self.start, self.end, self.width, self.height = start, end, width, height
        self.left, self.right = MARGIN["left"], width - MARGIN["right"]
        self.top, self.bottom = MARGIN["top"], height - MARGIN["bottom"]

    def x(self, day: dt.date) -> float:
        span = max((self.end - self.start).days, 1)
        return self.left + (self.right - self.left) * (day - self.start).days / span

    def year_step(self, years: range) -> int:
        """Years between two labels: every year, every other where space is short, and over a long
        span a round step (5, 10, 20…) that keeps labels YEAR_GAP apart instead of printed over each other."""
        if len(years) <= 4:
            return 1
        per_year = (self.right - self.left) * 365.25 / max((self.end - self.start).days, 1)
        fitting = [step for step in YEAR_STEPS if step * per_year >= YEAR_GAP]
        step = fitting[0] if fitting else YEAR_STEPS[-1]
        return 2 if step == 1 and self.width < WIDE else step  # a narrow chart: every other year at most

    def axis(self, title: str) -> list[str]:
        years = range(self.start.year + (self.start.month > 1 or self.start.day > 1), self.end.year + 1)
        step = self.year_step(years)
        if step > 2:  # a round step: labels (and their grid lines) on its multiples, 1950, 1960…
            years = range(-(-years.start // step) * step, years.stop, step)
            step = 1
        parts = []
        for index, year in enumerate(years):
            px = _n(self.x(dt.date(year, 1, 1)))
            parts.append(f'<line x1="{px}" y1="{self.top}" x2="{px}" y2="{_n(self.bottom)}" class="grid"/>')
            if index % step == 0:
                # A year at the frame's left edge starts there, clear of the y axis' "0" beside it.
                anchor = "start" if self.x(dt.date(year, 1, 1)) <= self.left else "middle"
                parts.append(f'<text x="{px}" y="{_n(self.bottom + 16)}" text-anchor="{anchor}">{year}</text>')
        # The axis title at the left, the "data as of" note at the right: they never meet, even on a phone.
        parts.append(
            f'<text x="{self.left}" y="{_n(self.bottom + 38)}" text-anchor="start" class="axis-title">{escape(title)}</text>'
        )
        # The axis ends where the data does, and says so: no empty stretch of a year nothing is known about.
        parts.append(
            f'<line x1="{_n(self.right)}" y1="{self.top}" x2="{_n(self.right)}" y2="{_n(self.bottom + 4)}" class="as-of"/>'
            f'<text x="{_n(self.right)}" y="{_n(self.bottom + 38)}" text-anchor="end" class="as-of-label">'
            f"data as of {self.end.day} {self.end:%B %Y}</text>"
        )
        return parts


def _svg(chart_id: str, width: int, height: int, title: str, description: str, body: list[str]) -> str:
    # Out of the search index (MkDocs Material skips a `data-search-exclude` element): a chart's
    # labels would be indexed as one run of text ("2023202420252026Year…"); its events are in the
    # table beside it, which is indexed.
    variant = "wide" if width >= WIDE else "narrow"
    prefix = f"{chart_id}-{variant}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="ledger-chart ledger-chart--{variant}" aria-labelledby="{prefix}-title {prefix}-desc" data-search-exclude>'
        f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(description)}</desc>'
        f"<style>text{{font:{FONT}px sans-serif;fill:currentColor}}.axis-title{{font-weight:700}}"
        ".grid{stroke:currentColor;stroke-opacity:.15}.key{stroke:currentColor;stroke-opacity:.45;stroke-dasharray:3 3}"
        ".release{fill:#3f51b5}.departure{fill:#d32f2f}.undated{fill:none;stroke:#d32f2f;stroke-width:2}"
        ".as-of{stroke:currentColor;stroke-opacity:.6}.as-of-label{font-style:italic}"
        ".line{fill:none;stroke:#d32f2f;stroke-width:2}"
        ".line-undated{fill:none;stroke:#d32f2f;stroke-width:2;stroke-dasharray:5 4}"
        ".area{fill:#d32f2f;fill-opacity:.12}@media (prefers-color-scheme:dark){.release{fill:#8c9eff}}</style>"
        + "".join(body)
        + "</svg>"
    )


def text_width(text: str) -> float:
    """A generous estimate of a label's width in SVG units (sans-serif at FONT): wide enough that
    labels placed by it never touch in a browser."""
    return 0.62 * FONT * len(text)


RADIUS, STEP = 5, 11  # a dot, and the distance between the centres of two dots that must not touch


def place_dots(xs: list[float]) -> list[int]:
    """Each dot's level (0 at the base, then upwards): the lowest level where it clears every dot already
    placed there, so dots on the same or nearby days stack instead of hiding each other."""
    rightmost: list[float] = []
    levels = []
    for x in xs:
        level = next((i for i, right in enumerate(rightmost) if x - right >= STEP), len(rightmost))
        if level == len(rightmost):
            rightmost.append(x)
        else:
            rightmost[level] = x
        levels.append(level)
    return levels


def timeline_chart(
    lanes: dict[str, list[Event]],
    *,
    chart_id: str,
    title: str,
    start: dt.date,
    end: dt.date,
    key_events: list[tuple[dt.date, str]] = (),
    width: int = WIDE,
) -> str:
    """One lane of dots per series on a time axis; dots that would touch stack upwards, none hidden.

    Key events get a dashed line and a direct label, each on a row of its own above the lanes (on a
    phone too); undated events are hollow, at their report's date, with a note above them.
    """
    narrow = width < WIDE
    frame = _Frame(start, end, width, 0)  # x only; the height follows from the lanes
    lanes_drawn = [_lane(events, frame, narrow) for events in lanes.values()]
    heights = [max(100, lane_height) for _, lane_height in lanes_drawn]
    rows = len(key_events)
    height = sum(heights) + 18 * rows + MARGIN["top"] + MARGIN["bottom"]
    frame = _Frame(start, end, width, height)
    body = frame.axis("Year")
    for index, (day, text) in enumerate(key_events):
        px = frame.x(day)
        y = frame.top + 18 * index + 12
        # Start at the line when the label fits to the right, else end there.
        anchor = "start" if px + 4 + text_width(text) <= width - 2 or px - 4 - text_width(text) < 0 else "end"
        shift = 4 if anchor == "start" else -4
        body.append(
            f'<line x1="{_n(px)}" y1="{_n(y + 4)}" x2="{_n(px)}" y2="{_n(frame.bottom)}" class="key"/>'
            f'<text x="{_n(px + shift)}" y="{_n(y)}" text-anchor="{anchor}" class="key-label">{escape(text)}</text>'
        )
    top = frame.top + 18 * rows
    for index, ((lane, events), (draw, _), lane_height) in enumerate(zip(lanes.items(), lanes_drawn, heights, strict=True)):
        dated = sum(1 for e in events if not e.undated)
        undated = len(events) - dated
        count = f"{dated}" + (f" + {undated} undated" if undated else "")
        body.append(f'<text x="{frame.left}" y="{_n(top + 16)}">{escape(lane)} ({count})</text>')
        body.extend(draw(top + lane_height - 14, lane_height, "release" if index == 0 else "departure"))
        top += lane_height
    description = "; ".join(
        f"{lane}: {sum(1 for e in events if not e.undated)} dated, {sum(1 for e in events if e.undated)} undated"
        for lane, events in lanes.items()
    )
    return _svg(chart_id, width, height, title, description, body)


def _lane(events: list[Event], frame: _Frame, narrow: bool):
    """One lane's dots and notes, laid out upwards from its base: (draw(base, height, css) → SVG parts,
    the height it needs). Dots that would touch stack; a note on undated dots sits above every dot and
    note under it, so nothing covers anything (tests measure the boxes in a browser)."""
    if len(events) > DOTS_LIMIT:  # a dot each would grow the page with the package: a bar per month
        return (lambda base, height, css: _month_bars(events, frame, base, height - 30, css)), 100
    ordered = sorted(events, key=lambda e: (e.day, e.undated, e.label))
    levels = place_dots([frame.x(e.day) for e in ordered])
    dots = [(e, frame.x(e.day), -STEP * level) for e, level in zip(ordered, levels, strict=True)]
    boxes = [(x - RADIUS, y - RADIUS, x + RADIUS, y + RADIUS) for _, x, y in dots]  # (x0, y0, x1, y1), y up is negative
    notes = []
    for day in sorted({e.day for e in events if e.undated}):
        n = sum(1 for e in events if e.undated and e.day == day)
        text = f"{n} undated (reported {day:%b %Y})" if narrow else f"{n} left, date unknown (reported {day.day} {day:%b %Y})"
        # From the hollow stack rightwards, moved left as far as the chart's edge needs.
        wide = text_width(text)
        x0 = max(0.0, min(frame.x(day) - RADIUS, frame.width - 2 - wide))
        x, x1, anchor = x0, x0 + wide, "start"
        y = -RADIUS - 4
        while any(b[0] < x1 and x0 < b[2] and b[1] < y + 4 and y - FONT < b[3] for b in boxes):
            y -= 4  # up until clear of every dot and earlier note
        boxes.append((x0, y - FONT, x1, y + 4))
        notes.append((x, y, anchor, text))
    highest = min((b[1] for b in boxes), default=0)

    def draw(base: float, height: float, css: str) -> list[str]:
        parts = []
        for event, x, y in dots:
            if event.undated:
                tip = f"date unknown: {event.label} (reported by {event.day.day} {event.day:%B %Y})"
            else:
                tip = f"{event.when}: {event.label}"
            shape = "undated" if event.undated else css
            parts.append(
                f'<circle cx="{_n(x)}" cy="{_n(base + y)}" r="{RADIUS}" class="{shape}"><title>{escape(tip)}</title></circle>'
            )
        for x, y, anchor, text in notes:
            parts.append(f'<text x="{_n(x)}" y="{_n(base + y)}" text-anchor="{anchor}">{escape(text)}</text>')
        return parts

    return draw, 14 - highest + 26  # the base's margin, the stack and notes, the lane's title


def _month_bars(events: list[Event], frame: _Frame, base: float, tallest: float, css: str) -> list[str]:
    """A lane too full for dots: one bar per month, as tall as its count against the fullest month,
    with the count in its tooltip; undated events are hollow bars at their report's month."""
    months: dict[tuple[dt.date, bool], int] = {}
    for event in events:
        key = (event.day.replace(day=1), event.undated)
        months[key] = months.get(key, 0) + 1
    most = max(months.values())
    parts = []
    for (month, undated), count in sorted(months.items()):
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        left, right = frame.x(month), frame.x(following)
        height = max(2.0, tallest * count / most)
        what = "left, date unknown (reported that month)" if undated else "events"
        parts.append(
            f'<rect x="{_n(left)}" y="{_n(base + 5 - height)}" width="{_n(max(right - left - 0.5, 1.0))}" '
            f'height="{_n(height)}" class="{"undated" if undated else css}">'
            f"<title>{month:%B %Y}: {count} {what}</title></rect>"
        )
    return parts


def step_chart(
    points: list[tuple[dt.date, int]],
    *,
    chart_id: str,
    title: str,
    maximum: int,
    start: dt.date,
    end: dt.date,
    y_title: str,
    uncertain: tuple[dt.date, str] | None = None,
    width: int = WIDE,
) -> str:
    """A step line of a monthly count; from `uncertain` on, the drop is dashed and labelled (undated exits)."""
    height = 280
    frame = _Frame(start, end, width, height)
    if not points:
        return _svg(chart_id, width, height, title, "No data.", frame.axis("Year"))
    inner = frame.bottom - frame.top
    y = lambda value: frame.bottom - inner * value / max(maximum, 1)  # noqa: E731
    body = frame.axis("Year")
    for value in range(0, maximum + 1, max(1, maximum // (7 if width >= WIDE else 4))):
        body.append(
            f'<line x1="{frame.left}" y1="{_n(y(value))}" x2="{frame.right}" y2="{_n(y(value))}" class="grid"/>'
            f'<text x="{frame.left - 6}" y="{_n(y(value) + 4)}" text-anchor="end">{value}</text>'
        )
    body.append(
        f'<text transform="translate(14 {_n((frame.top + frame.bottom) / 2)}) rotate(-90)" text-anchor="middle" '
        f'class="axis-title">{escape(y_title)}</text>'
    )
    last = (points[-1][0].replace(day=28) + dt.timedelta(days=4)).replace(day=1)  # end of the last month shown
    last = min(last, frame.end)  # but not past the day the data speaks for
    solid, dashed, full = [], [], []
    for index, (day, value) in enumerate(points):
        nxt = points[index + 1][0] if index + 1 < len(points) else last
        full.append(f"{'M' if not full else 'L'}{_n(frame.x(day))},{_n(y(value))} L{_n(frame.x(nxt))},{_n(y(value))}")
        segment = f"{'M' if not solid else 'L'}{_n(frame.x(day))},{_n(y(value))} L{_n(frame.x(nxt))},{_n(y(value))}"
        if uncertain and index + 1 < len(points) and points[index + 1][0] >= uncertain[0] > day:
            solid.append(segment)
            after = points[index + 1][1]
            dashed.append(f"M{_n(frame.x(nxt))},{_n(y(value))} L{_n(frame.x(nxt))},{_n(y(after))}")
        elif uncertain and day >= uncertain[0]:
            dashed.append(f"M{_n(frame.x(day))},{_n(y(value))} L{_n(frame.x(nxt))},{_n(y(value))}")
        else:
            solid.append(segment)
    line = " ".join(solid)
    area = f"{' '.join(full)} L{_n(frame.x(last))},{_n(frame.bottom)} L{_n(frame.x(points[0][0]))},{_n(frame.bottom)} Z"
    body.append(f'<path d="{area}" class="area"/>')
    body.append(f'<path d="{line}" class="line"/>')
    if dashed:
        body.append(f'<path d="{" ".join(dashed)}" class="line-undated"/>')
    if uncertain:
        body.append(f'<text x="{frame.right}" y="{frame.top - 8}" text-anchor="end">{escape(uncertain[1])}</text>')
    for day, value in points:
        body.append(
            f'<circle cx="{_n(frame.x(day))}" cy="{_n(y(value))}" r="6" fill-opacity="0">'
            f"<title>{escape(day.strftime('%B %Y'))}: {value}</title></circle>"
        )
    description = f"From {points[0][1]} in {points[0][0]:%B %Y} to {points[-1][1]} in {points[-1][0]:%B %Y}."
    if uncertain:
        description += f" {uncertain[1]}."
    return _svg(chart_id, width, height, title, description, body)
