"""The semantic diff of two versions of a package: per table, rows added, removed and changed
(matched by primary key, field by field) and schema changes; headline changes first, in words.

Values are compared as the CSV text the curators wrote, so a diff never depends on how a type
is parsed, and a field that changes type still diffs. The JSON shape (`FORMAT`) is stable:

    {"format": "ledger-diff/1",
     "old": SIDE, "new": SIDE,            SIDE = {"label", "version", "commit", "date"}
     "package": [{"key", "old", "new"}],  top-level descriptor changes (not resources)
     "highlights": [{"table", "key", "kind", "text"}],
     "summary": {"tables_added", "tables_removed", "tables_changed", "rows_added", "rows_removed", "rows_changed"},
     "tables": [{"name", "title", "path", "status", "primary_key",
                 "counts": {"added", "removed", "changed"},
                 "schema": [{"change", "field", "old", "new"}],
                 "added": [{"key", "label", "row"}], "removed": [{"key", "label", "row"}],
                 "changed": [{"key", "label", "fields": [{"field", "old", "new"}]}]}]}

`key` is the primary key's values joined by " / "; an empty cell is null; tables are listed in
the new descriptor's order, then removed ones; rows by key.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from builder.common.dates import format_date
from builder.history import releases as git_history
from builder.history.releases import HistoryError
from builder.package import load, safety
from builder.package import story as stories
from builder.package.paths import unsafe_path

FORMAT = "ledger-diff/1"
VERSION_LIKE = re.compile(r"^v?\d+\.\d+(\.\d+)?([-+].*)?$")
DEFAULT_LIMIT = 10


@dataclass
class Snapshot:
    """One version of a package: a folder holding its descriptor and CSVs."""

    label: str
    root: Path
    descriptor: dict
    commit: str | None = None
    timestamp: int | None = None
    _rows: dict = field(default_factory=dict, repr=False)

    @property
    def version(self) -> str | None:
        version = self.descriptor.get("version")
        return version if isinstance(version, str) else None

    @functools.cached_property
    def resources(self) -> dict[str, dict]:
        return {r["name"]: r for r in load.resources(self.descriptor) if isinstance(r.get("name"), str)}

    def rows(self, name: str) -> dict[str, dict]:
        """A table's rows as {key: {field: text or None}}, read once."""
        if name not in self._rows:
            resource = self.resources[name]
            self._rows[name] = read_rows(resource, self.root)
        return self._rows[name]

    def side(self) -> dict:
        date = dt.datetime.fromtimestamp(self.timestamp, tz=dt.UTC).date().isoformat() if self.timestamp else None
        return {"label": self.label, "version": self.version, "commit": self.commit, "date": date}


def read_rows(resource: dict, root: Path) -> dict[str, dict]:
    """A table's rows by key (its primary key's values joined by " / ")."""
    path = resource.get("path")
    if not isinstance(path, str) or unsafe_path(root, path) or not (root / path).is_file():
        return {}
    with (root / path).open(encoding="utf-8", errors="replace", newline="") as handle:
        rows = [{k: (v if v != "" else None) for k, v in row.items() if k is not None} for row in csv.DictReader(handle)]
    key = load.primary_key(resource)
    return {" / ".join(str(row.get(k) or "") for k in (key or list(row))): row for row in rows}


def folder_snapshot(folder: Path, label: str, commit: str | None = None, timestamp: int | None = None) -> Snapshot:
    """A package folder, refused unless it passes the same safety checks as the package being built:
    an old commit or another folder must not make the builder read outside it."""
    descriptor, problems = load.read_descriptor(folder / load.DESCRIPTOR_FILE)
    if descriptor is None:
        raise HistoryError(f"{label} is not a data package: {problems[0].message}")
    unsafe = safety.check_descriptor(descriptor, folder)
    if unsafe:
        raise HistoryError(f"{label} cannot be read safely: {unsafe[0].message}")
    return Snapshot(label, folder, descriptor, commit, timestamp)


def resolve(ref: str | None, root: Path, history: git_history.History, cache: Path) -> Snapshot:
    """OLD or NEW as given on the command line: a release version, a package folder, or a commit."""
    if not ref:
        return folder_snapshot(root, git_history.WORKING)
    release = history.release(ref) if history.available else None
    if release:
        return folder_snapshot(
            git_history.checkout(history, release.commit, cache), release.version, release.commit, release.timestamp
        )
    folder = Path(ref)
    if folder.is_dir():
        if not (folder / load.DESCRIPTOR_FILE).is_file():
            raise HistoryError(f"{ref} is a folder but not a data package: it has no {load.DESCRIPTOR_FILE}.")
        return folder_snapshot(folder.resolve(), ref)
    if not history.available:
        raise HistoryError(f"{ref} is not a folder, and versions and commits cannot be read: {history.reason}")
    commit = git_history.resolve_commit(history, ref)
    if commit is None:
        known = ", ".join(r.version for r in history.releases) or "none yet"
        if VERSION_LIKE.match(ref):
            raise HistoryError(f"unknown version {ref}: the releases are {known}.")
        raise HistoryError(f"{ref} is not a release, a commit or a package folder (releases: {known}).")
    timestamp = int(git_history.git(history.top, "show", "-s", "--format=%ct", commit).stdout.decode().strip())
    return folder_snapshot(git_history.checkout(history, commit, cache), commit[:12], commit, timestamp)


# ---------------------------------------------------------------- comparing


def schema_changes(old: dict, new: dict) -> list[dict]:
    before = {f["name"]: f for f in load.fields(old)}
    after = {f["name"]: f for f in load.fields(new)}
    changes = [
        {"change": "field-added", "field": n, "old": None, "new": after[n].get("type", "string")}
        for n in after
        if n not in before
    ]
    changes += [
        {"change": "field-removed", "field": n, "old": before[n].get("type", "string"), "new": None}
        for n in before
        if n not in after
    ]
    for name in (n for n in after if n in before):
        if before[name].get("type", "string") != after[name].get("type", "string"):
            changes.append(
                {
                    "change": "field-retyped",
                    "field": name,
                    "old": before[name].get("type", "string"),
                    "new": after[name].get("type", "string"),
                }
            )
        if before[name].get("constraints", {}) != after[name].get("constraints", {}):
            changes.append(
                {
                    "change": "constraints-changed",
                    "field": name,
                    "old": before[name].get("constraints", {}),
                    "new": after[name].get("constraints", {}),
                }
            )
    if load.primary_key(old) != load.primary_key(new):
        changes.append(
            {"change": "primary-key-changed", "field": None, "old": load.primary_key(old), "new": load.primary_key(new)}
        )
    old_fks = old.get("schema", {}).get("foreignKeys", [])
    new_fks = new.get("schema", {}).get("foreignKeys", [])
    if old_fks != new_fks:
        changes.append({"change": "foreign-keys-changed", "field": None, "old": old_fks, "new": new_fks})
    return changes


def label_of(resource: dict, row: dict, key: str) -> str:
    value = row.get(load.label_field(resource))
    return str(value) if value not in (None, "") else key


def compare_table(name: str, old: Snapshot, new: Snapshot) -> dict:
    old_resource, new_resource = old.resources.get(name), new.resources.get(name)
    resource = new_resource or old_resource
    before = old.rows(name) if old_resource else {}
    after = new.rows(name) if new_resource else {}
    common = [
        f["name"] for f in load.fields(resource) if old_resource and f["name"] in {g["name"] for g in load.fields(old_resource)}
    ]
    added = [{"key": k, "label": label_of(resource, after[k], k), "row": after[k]} for k in sorted(after.keys() - before.keys())]
    removed = [
        {"key": k, "label": label_of(old_resource or resource, before[k], k), "row": before[k]}
        for k in sorted(before.keys() - after.keys())
    ]
    changed = []
    for k in sorted(after.keys() & before.keys()):
        fields = [
            {"field": f, "old": before[k].get(f), "new": after[k].get(f)} for f in common if before[k].get(f) != after[k].get(f)
        ]
        if fields:
            changed.append({"key": k, "label": label_of(resource, after[k], k), "fields": fields})
    schema = schema_changes(old_resource, new_resource) if old_resource and new_resource else []
    if not old_resource:
        status = "added"
    elif not new_resource:
        status = "removed"
    elif added or removed or changed or schema or old_resource.get("path") != new_resource.get("path"):
        status = "changed"
    else:
        status = "unchanged"
    return {
        "name": name,
        "title": resource.get("title", name),
        "path": resource.get("path"),
        "status": status,
        "primary_key": load.primary_key(resource),
        "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)},
        "schema": schema,
        "added": added,
        "removed": removed,
        "changed": changed,
    }


def package_metadata(descriptor: dict) -> dict:
    """The descriptor but its resources and release notes (a note on a past release changes no data)."""
    metadata = {k: v for k, v in descriptor.items() if k != "resources"}
    ledger = metadata.get("ledger")
    if isinstance(ledger, dict) and "release_notes" in ledger:
        rest = {k: v for k, v in ledger.items() if k != "release_notes"}
        if rest:
            metadata["ledger"] = rest
        else:
            del metadata["ledger"]
    return metadata


def compare(old: Snapshot, new: Snapshot) -> dict:
    """The whole diff, in the documented shape."""
    new_names = list(new.resources)
    names = new_names + [n for n in old.resources if n not in new_names]
    tables = [compare_table(name, old, new) for name in names]
    before, after = package_metadata(old.descriptor), package_metadata(new.descriptor)
    package = [
        {"key": key, "old": before.get(key), "new": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
    return {
        "format": FORMAT,
        "old": old.side(),
        "new": new.side(),
        "package": package,
        "highlights": highlights(tables, old, new),
        "summary": {
            "tables_added": sum(t["status"] == "added" for t in tables),
            "tables_removed": sum(t["status"] == "removed" for t in tables),
            "tables_changed": sum(t["status"] == "changed" for t in tables),
            "rows_added": sum(t["counts"]["added"] for t in tables),
            "rows_removed": sum(t["counts"]["removed"] for t in tables),
            "rows_changed": sum(t["counts"]["changed"] for t in tables),
        },
        "tables": tables,
    }


def is_empty(diff: dict) -> bool:
    return not diff["package"] and all(t["status"] == "unchanged" for t in diff["tables"])


# ---------------------------------------------------------------- headline changes, in words


def highlight_spec(descriptor: dict) -> dict:
    """Which tables and fields matter most: a resource's `ledger.highlight`
    (`{"noun": "claim", "fields": ["verdict"], "subject": "person_id"}`), else the story's `DIFF_HIGHLIGHTS`."""
    try:
        story = stories.for_package(descriptor)
    except Exception:  # an unknown story: no headlines from it, the rest of the diff still stands
        story = None
    spec = dict(getattr(story, "DIFF_HIGHLIGHTS", {}) if story else {})
    for resource in load.resources(descriptor):
        rule = resource.get("ledger", {}).get("highlight") if isinstance(resource.get("ledger"), dict) else None
        if isinstance(rule, dict) and isinstance(rule.get("fields"), list):
            spec[resource.get("name")] = rule
    return spec


def prose(text: str) -> str:
    """Curated text in a headline sentence: on one line, and with no backtick, so the sentence's only
    code span is the row's key (Markdown output finds it by the first and last backtick)."""
    return re.sub(r"\r\n|\r|\n", " ", str(text)).replace("`", "'")


def shown(value: str | None, limit: int = 90) -> str:
    if value is None:
        return "(empty)"
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def display_value(snapshot: Snapshot, resource: dict, name: str, row: dict) -> str:
    """A value in words: a referenced row by its label, a date with its precision."""
    value = row.get(name)
    if value is None:
        return "unknown" if row.get(f"{name}_precision") == "unknown" else "(empty)"
    for own, target, _ in load.foreign_keys(resource):
        if own == [name] and target in snapshot.resources:
            ref = snapshot.rows(target).get(value)
            if ref is not None:
                return label_of(snapshot.resources[target], ref, value)
    kind = next((f.get("type") for f in load.fields(resource) if f["name"] == name), "string")
    if kind == "date":
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
        return format_date(day, row.get(f"{name}_precision"))
    return shown(value)


def highlights(tables: list[dict], old: Snapshot, new: Snapshot) -> list[dict]:
    spec = highlight_spec(new.descriptor)
    found = []
    for table in tables:
        rule = spec.get(table["name"])
        if not rule or table["status"] in ("added", "removed"):
            continue
        name = table["name"]
        noun = rule.get("noun", name)
        fields = rule["fields"]
        new_resource, old_resource = new.resources[name], old.resources[name]

        def subject(snapshot, resource, row, key, rule=rule):
            if rule.get("subject"):
                return f"{prose(display_value(snapshot, resource, rule['subject'], row))} (`{key}`)"
            return f"“{prose(shown(label_of(resource, row, key), 70))}” (`{key}`)"

        for change in table["changed"]:
            before, after = old.rows(name)[change["key"]], new.rows(name)[change["key"]]
            names = {f["field"] for f in change["fields"]}
            parts = []
            for f in fields:
                # A date's precision belongs to the date: "June 2023 → May 2023" says both.
                if f in names or f"{f}_precision" in names:
                    title = load.field_title(new_resource, f).lower()
                    was, now = display_value(old, old_resource, f, before), display_value(new, new_resource, f, after)
                    parts.append(prose(f"{title} {was} → {now}"))
            if parts:
                found.append(
                    {
                        "table": name,
                        "key": change["key"],
                        "kind": "changed",
                        "text": f"{prose(noun.capitalize())} {subject(new, new_resource, after, change['key'])}: "
                        + "; ".join(parts)
                        + ".",
                    }
                )
        for kind, rows, snapshot, resource in (
            ("added", table["added"], new, new_resource),
            ("removed", table["removed"], old, old_resource),
        ):
            for entry in rows:
                row = entry["row"]
                details = prose(
                    ", ".join(
                        f"{load.field_title(resource, f).lower()} {display_value(snapshot, resource, f, row)}"
                        for f in fields
                        if f in row
                    )
                )
                found.append(
                    {
                        "table": name,
                        "key": entry["key"],
                        "kind": kind,
                        "text": f"{kind.capitalize()} {prose(noun)} {subject(snapshot, resource, row, entry['key'])}"
                        + (f": {details}." if details else "."),
                    }
                )
    order = {"changed": 0, "added": 1, "removed": 2}
    return sorted(found, key=lambda h: (order[h["kind"]], h["table"], h["key"]))


# ---------------------------------------------------------------- text and Markdown


def side_words(side: dict) -> str:
    parts = [side["label"]]
    if side["version"] and side["version"] != side["label"]:
        parts.append(f"version {side['version']}")
    if side["date"]:
        parts.append(side["date"])
    if side["commit"] and not side["commit"].startswith(side["label"]):
        parts.append(side["commit"][:12])
    return parts[0] + (f" ({', '.join(parts[1:])})" if len(parts) > 1 else "")


def plain(text) -> str:
    return str(text)


def schema_words(change: dict, code=plain, esc=plain) -> str:
    """A schema change in words; `code` writes a field name, `esc` any other text from the descriptor."""
    field_name = code(change["field"]) if change["field"] else ""
    kind = change["change"]
    if kind == "field-added":
        return f"field {field_name} added ({esc(change['new'])})"
    if kind == "field-removed":
        return f"field {field_name} removed (was {esc(change['old'])})"
    if kind == "field-retyped":
        return f"field {field_name} retyped {esc(change['old'])} → {esc(change['new'])}"
    if kind == "constraints-changed":
        return f"constraints of {field_name} changed: {esc(compact(change['old']))} → {esc(compact(change['new']))}"
    if kind == "primary-key-changed":
        return f"primary key changed: {esc(', '.join(change['old']))} → {esc(', '.join(change['new']))}"
    return "foreign keys changed"


def compact(value) -> str:
    return shown(json.dumps(value, ensure_ascii=False, sort_keys=True), 120)


def row_lines(table: dict, limit: int, code=plain, esc=plain) -> tuple[list[tuple[str, str, list[str]]], int]:
    """Up to `limit` entries (sign, heading, detail lines) and how many were left out; `code` writes a
    key, `esc` a label or value."""

    def heading(e: dict) -> str:
        return f"{code(e['key'])} {esc(shown(e['label'], 70))}" if e["label"] != e["key"] else code(e["key"])

    entries = [("+", heading(e), []) for e in table["added"]]
    entries += [("-", heading(e), []) for e in table["removed"]]
    entries += [
        ("~", heading(e), [esc(f"{f['field']}: {shown(f['old'])} → {shown(f['new'])}") for f in e["fields"]])
        for e in table["changed"]
    ]
    return entries[:limit], max(0, len(entries) - limit)


def counts_words(table: dict) -> str:
    c = table["counts"]
    words = f"{c['added']} added, {c['removed']} removed, {c['changed']} changed"
    return {"added": "new table; ", "removed": "table removed; "}.get(table["status"], "") + words


def first_highlights(diff: dict, limit: int) -> tuple[list[dict], int]:
    """The headline changes a text or Markdown diff lists (three per `limit`), and how many it leaves out."""
    highlights = diff["highlights"]
    return highlights[: limit * 3], max(0, len(highlights) - limit * 3)


def to_text(diff: dict, limit: int = DEFAULT_LIMIT) -> str:
    lines = [f"Changes from {side_words(diff['old'])} to {side_words(diff['new'])}", ""]
    if is_empty(diff):
        return "\n".join(lines + ["No changes."]) + "\n"
    shown_highlights, hidden = first_highlights(diff, limit)
    if shown_highlights:
        lines.append("Highlights")
        lines += [f"  - {h['text'].replace('`', '')}" for h in shown_highlights]
        if hidden:
            lines.append(f"  … and {hidden} more")
        lines.append("")
    for change in diff["package"]:
        lines.append(f"Package {change['key']}: {compact(change['old'])} → {compact(change['new'])}")
    s = diff["summary"]
    lines.append(
        f"Rows: {s['rows_added']} added, {s['rows_removed']} removed, {s['rows_changed']} changed; "
        f"tables: {s['tables_changed']} changed, {s['tables_added']} added, {s['tables_removed']} removed."
    )
    for table in diff["tables"]:
        if table["status"] == "unchanged":
            continue
        lines += ["", f"{table['name']} ({table['path']}): {counts_words(table)}"]
        lines += [f"  schema: {schema_words(c)}" for c in table["schema"]]
        entries, more = row_lines(table, limit)
        for sign, heading, details in entries:
            lines.append(f"  {sign} {heading}")
            lines += [f"      {d}" for d in details]
        if more:
            lines.append(f"  … and {more} more")
    return "\n".join(lines) + "\n"


MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~&#!"})


def one_line(text) -> str:
    return re.sub(r"\r\n|\r|\n", " ", str(text))


def md(text) -> str:
    """Curated text inside Markdown: on one line, every character that could format or link escaped."""
    return one_line(text).translate(MARKDOWN_SPECIAL)


def md_code(text, in_table: bool = False) -> str:
    """Text as one code span, exactly: a fence longer than any run of backticks in it, on one line
    (a pipe is escaped inside a table, where GitHub would end the cell at it)."""
    text = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    span = f"{fence}{pad}{text}{pad}{fence}" if text else md("(empty)")
    return span.replace("|", "\\|") if in_table else span


def md_highlight(text: str) -> str:
    """A headline sentence: its one code span (the key, between its first and last backtick) as code,
    the rest escaped (`prose` keeps backticks out of the rest)."""
    if text.count("`") < 2:
        return md(text)
    start, end = text.index("`"), text.rindex("`")
    return md(text[:start]) + md_code(text[start + 1 : end]) + md(text[end + 1 :])


def to_markdown(diff: dict, limit: int = DEFAULT_LIMIT) -> str:
    lines = [f"### Data changes: {md(side_words(diff['old']))} → {md(side_words(diff['new']))}", ""]
    if is_empty(diff):
        return "\n".join(lines + ["No changes to the data."]) + "\n"
    shown_highlights, hidden = first_highlights(diff, limit)
    if shown_highlights:
        lines += ["**Highlights**", ""]
        lines += [f"- {md_highlight(h['text'])}" for h in shown_highlights]
        if hidden:
            lines.append(f"- … and {hidden} more")
        lines.append("")
    for change in diff["package"]:
        lines.append(f"- Package {md_code(change['key'])}: {md(compact(change['old']))} → {md(compact(change['new']))}")
    if lines[-1] != "":
        lines.append("")
    lines += ["| table | added | removed | changed | schema changes |", "|---|---:|---:|---:|---:|"]
    for table in diff["tables"]:
        if table["status"] != "unchanged":
            c = table["counts"]
            name = md_code(table["name"], in_table=True) + {"added": " (new)", "removed": " (removed)"}.get(table["status"], "")
            lines.append(f"| {name} | {c['added']} | {c['removed']} | {c['changed']} | {len(table['schema'])} |")
    for table in diff["tables"]:
        if table["status"] == "unchanged":
            continue
        lines += ["", f"#### {md_code(table['name'])}: {counts_words(table)}", ""]
        lines += [f"- schema: {schema_words(c, md_code, md)}" for c in table["schema"]]
        entries, more = row_lines(table, limit, md_code, md)
        for sign, heading, details in entries:
            word = {"+": "added", "-": "removed", "~": "changed"}[sign]
            lines.append(f"- {word} {heading}")
            lines += [f"  - {d}" for d in details]
        if more:
            lines.append(f"- … and {more} more")
    return "\n".join(lines) + "\n"


def to_json(diff: dict) -> str:
    return json.dumps(diff, ensure_ascii=False, indent=2) + "\n"
