"""The Changes page, the Atom feed of releases and the API page, rendered from the history the build
read (builder/history/changes.py: its Ledger of releases and their diffs)."""

from __future__ import annotations

import datetime as dt
import re
from xml.sax.saxutils import escape as xml_escape

from builder.common import clock
from builder.history.changes import Ledger
from builder.site.config import site_url
from builder.site.model import Page

LIMIT = 20  # row changes listed per table and release on the Changes page
HIGHLIGHTS_SHOWN = 5  # changes in words a release shows unfolded; the rest sit in a <details>
# Characters XML 1.0 cannot hold at all, even escaped: a control character in an old cell goes.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def pages(site, renderer) -> list:
    """The Changes page, the Atom feed and the API page (they need the history of the build)."""
    ledger = site.history or Ledger(False, "the build did not read the history.")
    titles = {name: resource.get("title") or name for name, resource in site.resources.items()}  # tables by their titles
    result = [
        Page(
            "changes.md",
            renderer.render(
                "changes.md.j2",
                1,
                ledger=ledger,
                first=first_changes,
                brief=brief_highlights,
                limit=LIMIT,
                titles=titles,
                counts=table_counts,
                row_ids=row_ids,
                highlights_shown=HIGHLIGHTS_SHOWN,
                table_title=lambda name: titles.get(name, name),
            ),
        ),
        Page("changes.xml", atom(site.descriptor, ledger, site_url(site))),
    ]
    result.append(Page("api.md", renderer.render("api.md.j2", 1, ledger=ledger)))
    return result


KEY_AFTER_NAME = re.compile(r" \(`[^`]*`\)")  # "“Llama 2 launched…” (`llama2-launched-july`)": the name says it


def brief_highlights(highlights: list[dict], per_group: int = 5, titles: dict | None = None) -> list[str]:
    """Every changed value, but at most `per_group` rows added (or removed) per table, then a count.
    A row named in words loses its key (readers read the name); a row with only its key keeps it."""
    lines, groups = [], {}
    for h in highlights:
        text = KEY_AFTER_NAME.sub("", h["text"]).replace("`", "")
        if h["kind"] == "changed":
            lines.append(text)
        else:
            groups.setdefault((h["kind"], h["table"]), []).append(text)
    for (kind, table), texts in groups.items():
        lines += texts[:per_group]
        if len(texts) > per_group:
            lines.append(f"… and {len(texts) - per_group:,} more rows {kind} in {(titles or {}).get(table, table)}.")
    return lines


def table_counts(table: dict) -> str:
    """A table's changes in one release as a reader scans them: "2 added, 1 changed" (no zeros),
    "new table: 12 added", "no rows changed" when only its columns did."""
    parts = [f"{table['counts'][kind]:,} {kind}" for kind in ("added", "removed", "changed") if table["counts"][kind]]
    status = {"added": "new table: ", "removed": "removed: "}.get(table["status"], "")
    return status + (", ".join(parts) or "no rows changed")


ROW_ID = re.compile(r"[^a-z0-9]+")


def row_ids(prefix: str, changes: list[tuple[str, dict]]) -> list[str]:
    """An anchor per row change listed (`v0-2-0-claims-c1`), unique on the page: keys that read the
    same once lowercased and reduced to letters and digits get -2, -3, …"""
    ids, seen = [], set()
    for _, change in changes:
        base = f"{prefix}-{ROW_ID.sub('-', str(change['key']).lower()).strip('-')}"
        anchor, n = base, 1
        while anchor in seen:
            n += 1
            anchor = f"{base}-{n}"
        seen.add(anchor)
        ids.append(anchor)
    return ids


def first_changes(table: dict, limit: int) -> list[tuple[str, dict]]:
    return [(kind, change) for kind in ("added", "removed", "changed") for change in table[kind]][:limit]


def xml_text(value) -> str:
    """Text for the feed: escaped, and without the characters XML 1.0 forbids."""
    return xml_escape(NOT_XML.sub("", str(value)))


def atom(descriptor: dict, ledger: Ledger, base: str = "") -> str:
    """An Atom feed of releases: ids and dates from commits, so it is byte-stable.

    With the site's address (`base`, ending in "/") every link is absolute and the feed names its own
    address (rel="self"), so a reader that fetched it elsewhere subscribes to the right place.
    Without it there is no address to name: no self link (a relative one would only name whatever
    URL the feed was read from), and links relative to the feed, which sits at the site's root."""
    name = descriptor.get("name", "package")
    title = descriptor.get("title", name)
    releases = [e for e in ledger.entries if e.release]
    base = xml_escape(NOT_XML.sub("", base), {'"': "&quot;"})  # inside attributes
    updated = releases[0].release.date if releases else dt.datetime.fromtimestamp(clock.source_date_epoch(), tz=dt.UTC)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{xml_text(title)}: releases</title>",
        f"  <id>urn:data-package:{xml_text(name)}:releases</id>",
        f"  <updated>{updated.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>",
        *([f'  <link rel="self" type="application/atom+xml" href="{base}changes.xml"/>'] if base else []),
        f'  <link rel="alternate" type="text/html" href="{base}changes/"/>',
        f"  <author><name>{xml_text((descriptor.get('contributors') or [{}])[0].get('title', title))}</name></author>",
    ]
    for entry in releases:
        release = entry.release
        s = entry.diff["summary"]
        words = (
            f"{s['rows_added']} row{'s' if s['rows_added'] != 1 else ''} added, {s['rows_removed']} removed,"
            f" {s['rows_changed']} changed"
            f" in {s['tables_changed'] + s['tables_added'] + s['tables_removed']} tables."
        )
        headline = [h["text"].replace("`", "") for h in entry.diff["highlights"][:5]]
        summary = " ".join([release.summary, words, *headline]).strip()
        lines += [
            "  <entry>",
            f"    <title>{xml_text(title)} {xml_text(release.version)}</title>",
            f"    <id>urn:data-package:{xml_text(name)}:release:{xml_text(release.version)}</id>",
            f"    <updated>{release.date.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>",
            f'    <link rel="alternate" type="text/html" href="{base}changes/#{release.anchor}"/>',
            f"    <summary>{xml_text(summary)}</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"
