"""Releases from git, `builder diff` in three formats, the Changes page, row history, old downloads
and the static JSON API, on a throwaway repository with two releases and an unreleased change."""

import csv
import functools
import hashlib
import html
import http.server
import io
import json
import re
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from builder.cli import cli
from builder.common.errors import BuilderError
from builder.history import diff as semantic
from builder.history import releases as history
from builder.outputs import api
from builder.package.paths import Paths
from builder.site import changes_page
from tests.conftest import run_git

FIELD = {"type": "string", "title": "", "description": "A field."}


def field(name: str, title: str, **extra) -> dict:
    return {**FIELD, "name": name, "title": title, **extra}


def descriptor(version: str, born: bool) -> dict:
    people_fields = [
        field("person_id", "Person", constraints={"required": True, "pattern": "^[a-z0-9-]+$"}),
        field("name", "Name", constraints={"required": True}),
    ]
    if born:
        people_fields.append(field("born", "Born", type="date"))
    return {
        "name": "tiny",
        "title": "Tiny",
        "description": "A package with two releases.",
        "version": version,
        "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "resources": [
            {
                "name": "people",
                "path": "data/people.csv",
                "title": "People",
                "description": "People.",
                "schema": {"fields": people_fields, "primaryKey": ["person_id"]},
                "ledger": {"label": "name"},
            },
            {
                "name": "claims",
                "path": "data/claims.csv",
                "title": "Claims",
                "description": "Claims about people.",
                "schema": {
                    "fields": [
                        field("claim_id", "Claim id", constraints={"required": True}),
                        field("claim", "Claim", constraints={"required": True}),
                        field("verdict", "Verdict", constraints={"required": True, "enum": ["supported", "false"]}),
                        field("person_id", "Person"),
                    ],
                    "primaryKey": ["claim_id"],
                    "foreignKeys": [{"fields": ["person_id"], "reference": {"resource": "people", "fields": ["person_id"]}}],
                },
                "ledger": {"label": "claim", "highlight": {"noun": "claim", "fields": ["verdict"]}},
            },
        ],
    }


def write(root: Path, version: str, people: str, claims: str, born: bool) -> None:
    (root / "data").mkdir(exist_ok=True)
    (root / "datapackage.json").write_text(json.dumps(descriptor(version, born), indent=2), encoding="utf-8")
    (root / "data" / "people.csv").write_text(people, encoding="utf-8")
    (root / "data" / "claims.csv").write_text(claims, encoding="utf-8")


def commit(root: Path, message: str, when: int) -> str:
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", message, when=when)
    return run_git(root, "rev-parse", "HEAD")


FIRST = 1_700_000_000  # 2023-11-14
SECOND = 1_710_000_000  # 2024-03-09

PEOPLE_1 = "person_id,name\nada,Ada\nbob,Bob\ncyd,Cyd\n"
CLAIMS_1 = "claim_id,claim,verdict,person_id\nc1,Ada wrote the first program.,supported,ada\nc2,Bob exists.,supported,bob\n"
PEOPLE_2 = "person_id,name,born\nada,Ada Lovelace,1815-12-10\nbob,Bob,\ndee,Dee,\n"
CLAIMS_2 = (
    "claim_id,claim,verdict,person_id\nc1,Ada wrote the first program.,false,ada\nc2,Bob exists.,supported,bob\n"
    "c3,Dee joined.,supported,dee\n"
)
CLAIMS_WORKING = CLAIMS_2.replace("Dee joined.", "Dee joined in 2024.")


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> dict:
    """Commit 0 has no package; 0.1.0; 0.2.0 (rows added, removed, changed, a field added, a verdict
    changed); then an uncommitted change in the working tree."""
    root = tmp_path_factory.mktemp("repo") / "tiny"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("site/\ndist/\n.build/\n", encoding="utf-8")
    (root / "README.md").write_text("Tiny.\n", encoding="utf-8")
    empty = commit(root, "Start", FIRST - 100)
    write(root, "0.1.0", PEOPLE_1, CLAIMS_1, born=False)
    first = commit(root, "First release", FIRST)
    (root / "README.md").write_text("Tiny, still 0.1.0.\n", encoding="utf-8")
    commit(root, "Not a release", FIRST + 50)
    write(root, "0.2.0", PEOPLE_2, CLAIMS_2, born=True)
    second = commit(root, "Second release", SECOND)
    (root / "data" / "claims.csv").write_text(CLAIMS_WORKING, encoding="utf-8")
    notes = descriptor("0.2.0", born=True)  # a note added after the release: shown, but not a data change
    notes["ledger"] = {"release_notes": {"0.1.0": "The first five rows."}}
    (root / "datapackage.json").write_text(json.dumps(notes, indent=2), encoding="utf-8")
    return {"root": root, "empty": empty, "first": first, "second": second}


@pytest.fixture(scope="module")
def built(repo) -> Path:
    result = CliRunner().invoke(cli, ["build", "--root", str(repo["root"]), "--quiet"])
    assert result.exit_code == 0, result.output
    return repo["root"]


def diff(root: Path, *args: str):
    return CliRunner().invoke(cli, ["diff", "--root", str(root), *args])


# ---------------------------------------------------------------- releases and diff


def test_releases_are_the_commits_where_the_version_changed(repo):
    found = history.read(repo["root"])
    assert found.available
    assert [(r.version, r.commit, r.timestamp) for r in found.releases] == [
        ("0.1.0", repo["first"], FIRST),
        ("0.2.0", repo["second"], SECOND),
    ]


def test_diff_json_lists_every_change(repo):
    result = diff(repo["root"], "0.1.0", "0.2.0", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format"] == "ledger-diff/1"
    assert data["old"] == {"label": "0.1.0", "version": "0.1.0", "commit": repo["first"], "date": "2023-11-14"}
    assert data["new"]["version"] == "0.2.0"
    assert data["package"] == [{"key": "version", "old": "0.1.0", "new": "0.2.0"}]
    people, claims = data["tables"]
    assert people["counts"] == {"added": 1, "removed": 1, "changed": 1}
    assert [r["key"] for r in people["added"]] == ["dee"]
    assert [r["key"] for r in people["removed"]] == ["cyd"]
    assert people["changed"] == [
        {"key": "ada", "label": "Ada Lovelace", "fields": [{"field": "name", "old": "Ada", "new": "Ada Lovelace"}]}
    ]
    assert people["schema"] == [{"change": "field-added", "field": "born", "old": None, "new": "date"}]
    assert claims["changed"][0]["fields"] == [{"field": "verdict", "old": "supported", "new": "false"}]
    assert data["highlights"][0] == {
        "table": "claims",
        "key": "c1",
        "kind": "changed",
        "text": "Claim “Ada wrote the first program.” (`c1`): verdict supported → false.",
    }
    assert data["summary"] == {
        "tables_added": 0,
        "tables_removed": 0,
        "tables_changed": 2,
        "rows_added": 2,
        "rows_removed": 1,
        "rows_changed": 2,
    }


def test_diff_text_calls_out_verdicts_first(repo):
    result = diff(repo["root"], "0.1.0", "0.2.0")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        lines[0]
        == "Changes from 0.1.0 (2023-11-14, " + repo["first"][:12] + ") to 0.2.0 (2024-03-09, " + repo["second"][:12] + ")"
    )
    assert lines[2:5] == [
        "Highlights",
        "  - Claim “Ada wrote the first program.” (c1): verdict supported → false.",
        "  - Added claim “Dee joined.” (c3): verdict supported.",
    ]
    assert "people (data/people.csv): 1 added, 1 removed, 1 changed" in lines
    assert "  schema: field born added (date)" in lines
    assert "  ~ ada Ada Lovelace" in lines
    assert "      name: Ada → Ada Lovelace" in lines


def test_diff_markdown_and_limit(repo):
    result = diff(repo["root"], "0.1.0", "0.2.0", "--markdown", "--limit", "1")
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.startswith("### Data changes: 0.1.0 (2023-11-14, ")
    assert "- Claim “Ada wrote the first program.” (`c1`): verdict supported → false." in text
    assert "| `people` | 1 | 1 | 1 | 1 |" in text
    assert "#### `people`: 1 added, 1 removed, 1 changed" in text
    assert "- schema: field `born` added (date)" in text
    assert "- added `dee` Dee\n- … and 2 more" in text


def test_diff_defaults_to_last_release_against_the_working_tree(repo):
    result = diff(repo["root"], "--json")
    data = json.loads(result.output)
    assert (data["old"]["label"], data["new"]["label"]) == ("0.2.0", "working tree")
    claims = data["tables"][1]
    assert claims["changed"] == [
        {
            "key": "c3",
            "label": "Dee joined in 2024.",
            "fields": [{"field": "claim", "old": "Dee joined.", "new": "Dee joined in 2024."}],
        }
    ]


def test_release_notes_are_validated(repo, tmp_path):
    folder = tmp_path / "notes"
    shutil.copytree(repo["root"], folder, ignore=shutil.ignore_patterns(".git", ".build", "site", "dist"))
    bad = json.loads((folder / "datapackage.json").read_text())
    bad["ledger"] = {"release_notes": {"0.1.0": "Two\nlines.", "latest": "x"}}
    (folder / "datapackage.json").write_text(json.dumps(bad), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--root", str(folder)])
    assert result.exit_code == 1
    assert result.output == (
        "datapackage.json\n"
        "  field ledger.release_notes [release-notes]: "
        "The release note for 0.1.0 must be one line of text (at most 300 characters).\n"
        "      fix: Write one short line.\n"
        "  field ledger.release_notes [release-notes]: `ledger.release_notes` names 'latest', which is not a version.\n"
        "      fix: Use the version, e.g. 0.2.0.\n"
        "2 problems in 1 file: the package is not valid.\n"
    )


def test_diff_accepts_commits_and_folders(repo, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(repo["root"], folder, ignore=shutil.ignore_patterns(".git", ".build", "site", "dist"))
    result = diff(repo["root"], repo["first"][:10], str(folder), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["old"]["commit"] == repo["first"] and data["new"]["label"] == str(folder)
    assert data["summary"]["rows_changed"] == 2


@pytest.mark.parametrize(
    "ref, message",
    [
        ("9.9.9", "Error: unknown version 9.9.9: the releases are 0.1.0, 0.2.0.\n"),
        ("no-such-thing", "Error: no-such-thing is not a release, a commit or a package folder (releases: 0.1.0, 0.2.0).\n"),
        ("data", "Error: data is a folder but not a data package: it has no datapackage.json.\n"),
    ],
)
def test_diff_bad_references(repo, ref, message, monkeypatch):
    monkeypatch.chdir(repo["root"])
    result = CliRunner().invoke(cli, ["diff", "--root", str(repo["root"]), ref])
    assert result.exit_code == 1
    assert result.output == message


def test_diff_commit_without_package(repo):
    result = diff(repo["root"], repo["empty"])
    assert result.exit_code == 1
    assert result.output == f"Error: commit {repo['empty'][:12]} has no datapackage.json: it holds no package.\n"


def test_outside_git_there_is_no_history_but_the_build_works(repo, tmp_path):
    folder = tmp_path / "plain"
    shutil.copytree(repo["root"], folder, ignore=shutil.ignore_patterns(".git", ".build", "site", "dist"))
    result = diff(folder)
    assert result.exit_code == 1
    assert result.output == (
        "Error: no release to compare with: this build is not from a git checkout, so earlier versions cannot be read."
        " Name OLD as a folder.\n"
    )
    built = CliRunner().invoke(cli, ["build", "--root", str(folder)])
    assert built.exit_code == 0, built.output
    assert "history unavailable: this build is not from a git checkout" in built.output
    page = (folder / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    assert "History is not available for this build:</strong> this build is not from a git checkout" in page
    entity = (folder / "site" / "people" / "ada" / "index.html").read_text(encoding="utf-8")
    assert "History is not available for this build: this build is not from a git checkout" in entity
    assert json.loads((folder / "site" / "api" / "v1" / "index.json").read_text())["releases"] == []


def test_a_shallow_clone_says_so(repo, tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo['root']}", str(clone)], check=True)
    found = history.read(clone)
    assert not found.available
    assert found.reason == "this build is from a shallow git clone; fetch the full history (fetch-depth: 0) to list releases."


# ---------------------------------------------------------------- the site


def test_changes_page_lists_releases_newest_first(built):
    page = (built / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    positions = [page.index(f'<h2 id="{anchor}">') for anchor in ("unreleased", "v0-2-0", "v0-1-0")]
    assert positions == sorted(positions)
    assert '<h2 id="v0-2-0">0.2.0 <small>9 March 2024</small></h2>' in page  # dates as a reader writes them
    # A row named in words is not followed by its key; a new column is named by its title.
    assert "Claim “Ada wrote the first program.”: verdict supported → false." in page
    assert "New column “Born”." in page
    assert "First release: 2 tables, 5 rows." in page
    assert '<p class="ledger-summary">The first five rows.</p>' in page
    release_zip = '<a href="../downloads/0.1.0/tiny-0.1.0.zip">tiny-0.1.0.zip<span class="ledger-sr"> of release 0.1.0</span></a>'
    assert release_zip in page


def test_atom_feed_dates_come_from_commits(built):
    feed = ET.parse(built / "site" / "changes.xml").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert feed.find("a:updated", ns).text == "2024-03-09T16:00:00Z"
    entries = feed.findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == ["Tiny 0.2.0", "Tiny 0.1.0"]
    assert [e.find("a:updated", ns).text for e in entries] == ["2024-03-09T16:00:00Z", "2023-11-14T22:13:20Z"]
    assert "verdict supported → false" in entries[0].find("a:summary", ns).text


FIELD_CHANGE = re.compile(
    r'<li class="ledger-change[^"]*">([^<:]+): <del>(.*?)</del><span class="ledger-arrow"> → </span><ins>(.*?)</ins></li>'
)


def field_changes(page: str) -> list[tuple[str, str, str]]:
    """(field title, old value's HTML, new value's HTML) for every field change listed on a page."""
    return FIELD_CHANGE.findall(page)


def test_history_section_on_entity_pages(built):
    claim = (built / "site" / "claims" / "c1" / "index.html").read_text(encoding="utf-8")
    history_html = claim[claim.index("<h2>History</h2>") :]
    assert '<a href="../../changes/#v0-1-0">0.1.0</a> (14 November 2023): added' in history_html
    assert '<a href="../../changes/#v0-2-0">0.2.0</a> (9 March 2024): changed' in history_html
    tag = '<span class="ledger-tag ledger-tag--{0}">{0}</span>'
    assert ("Verdict", tag.format("supported"), tag.format("false")) in field_changes(history_html)
    dee = (built / "site" / "claims" / "c3" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../../changes/#unreleased">Unreleased</a>: changed' in dee


@pytest.fixture(scope="module")
def notes(tmp_path_factory) -> Path:
    """Two releases of a small package whose changes touch a date and its precision, ids (one to a row
    that is gone, one to a row that is still there) and a note with Markdown; built."""
    root = tmp_path_factory.mktemp("notes") / "notes"
    (root / "data").mkdir(parents=True)
    package = {
        "name": "notes",
        "title": "Notes",
        "description": "People and their notes.",
        "version": "0.1.0",
        "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
        "resources": [
            {
                "name": "organizations",
                "path": "data/organizations.csv",
                "title": "Organizations",
                "description": "Employers.",
                "schema": {"fields": [field("org_id", "Organization"), field("name", "Name")], "primaryKey": ["org_id"]},
                "ledger": {"label": "name"},
            },
            {
                "name": "people",
                "path": "data/people.csv",
                "title": "People",
                "description": "People.",
                "schema": {
                    "fields": [
                        field("person_id", "Person"),
                        field("name", "Name"),
                        field("born", "Born", type="date"),
                        field("born_precision", "Born precision", constraints={"enum": ["day", "month"]}),
                        field("org_id", "Employer"),
                        field("note", "Note"),
                    ],
                    "primaryKey": ["person_id"],
                    "foreignKeys": [{"fields": ["org_id"], "reference": {"resource": "organizations", "fields": ["org_id"]}}],
                },
                "ledger": {"label": "name"},
            },
        ],
    }

    def release(version: str, organizations: str, people: str, when: int) -> None:
        (root / "datapackage.json").write_text(json.dumps({**package, "version": version}), encoding="utf-8")
        (root / "data" / "organizations.csv").write_text(organizations, encoding="utf-8")
        (root / "data" / "people.csv").write_text(people, encoding="utf-8")
        commit(root, version, when)

    run_git(root, "init", "-q", "-b", "main")
    header = "person_id,name,born,born_precision,org_id,note\n"
    organizations = "org_id,name\nnew-co,New Co\nold-co,Old Co\n"
    release("0.1.0", organizations + "gone-co,Gone Co\n", header + "ada,Ada,1815-12-10,day,gone-co,\nbob,Bob,,,old-co,\n", FIRST)
    note = '"Moved to `new-co`, see [her letter](https://example.org/ada) and [this](javascript:alert(1)) <b>x</b>."'
    release("0.2.0", organizations, header + f"ada,Ada,1815-12-01,month,new-co,{note}\nbob,Bob,,,new-co,\n", SECOND)
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    return root


def test_history_shows_old_and_new_values_as_the_page_shows_the_field(notes):
    """Dates read as dates at the precision they had, ids link to their row (or are named when the row
    is gone), a note's Markdown is rendered safely: no backticks, no Markdown source, no javascript: link."""
    root = notes
    page = (root / "site" / "people" / "ada" / "index.html").read_text(encoding="utf-8")
    history_html = page[page.index("<h2>History</h2>") : page.index("</div>", page.index("<h2>History</h2>"))]
    assert '<a href="../../changes/#v0-2-0">0.2.0</a> (9 March 2024): changed' in history_html
    changed = {title: (old, new) for title, old, new in field_changes(history_html)}
    assert changed["Born"] == ("10 December 1815", "December 1815")
    assert changed["Employer"] == ("<code>gone-co</code>", '<a href="../../organizations/new-co/">New Co</a>')
    assert changed["Note"] == (
        '<span class="ledger-empty">(empty)</span>',
        'Moved to <a href="../../organizations/new-co/">New Co</a>, see'
        ' <a href="https://example.org/ada" rel="noopener">her letter</a> and'
        " [this](javascript:alert(1)) &lt;b&gt;x&lt;/b&gt;.",
    )
    bob = (root / "site" / "people" / "bob" / "index.html").read_text(encoding="utf-8")
    assert (
        "Employer",
        '<a href="../../organizations/old-co/">Old Co</a>',
        '<a href="../../organizations/new-co/">New Co</a>',
    ) in (field_changes(bob))
    # A long value gets a labelled block of its own (the stylesheet says Before / After).
    assert '<li class="ledger-change ledger-change--long">Note:' in history_html
    assert "`" not in history_html and "javascript:" not in re.findall(r'href="([^"]*)"', history_html)
    # The Changes page shows the same values the same way.
    changes_page = (root / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    assert ("Born", "10 December 1815", "December 1815") in field_changes(changes_page)


def test_old_release_downloads_hold_that_release(built, repo):
    folder = built / "site" / "downloads" / "0.1.0"
    published = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert published["version"] == "0.1.0"
    people = next(r for r in published["resources"] if r["name"] == "people")
    assert [f["name"] for f in people["schema"]["fields"]] == ["person_id", "name"]
    assert (folder / "data" / "people.csv").read_text(encoding="utf-8") == PEOPLE_1
    zip_entry = published["downloads"][0]
    archive = folder / zip_entry["path"]
    assert zip_entry["hash"] == "sha256:" + hashlib.sha256(archive.read_bytes()).hexdigest()
    with zipfile.ZipFile(archive) as z:
        assert z.read("data/claims.csv").decode() == CLAIMS_1
        assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}  # the release commit's time


def test_rebuild_is_byte_identical(built):
    def digest(folder: Path) -> dict:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    parts = ("changes.xml", "changes/index.html", "downloads/0.1.0", "downloads/0.2.0", "api/v1", "claims/c1/index.html")

    def snapshot():
        return {
            part: digest(built / "site" / part) if (built / "site" / part).is_dir() else (built / "site" / part).read_bytes()
            for part in parts
        }

    before = snapshot()
    result = CliRunner().invoke(cli, ["build", "--root", str(built), "--quiet"])
    assert result.exit_code == 0, result.output
    assert snapshot() == before


def test_the_history_cache_keeps_only_what_the_build_used(built, repo):
    from builder.history.changes import CODE_FINGERPRINT

    cache = Paths.at(built).cache("history")
    (cache / ("0" * 40)).mkdir()  # a commit extracted for `builder diff`
    (cache / "downloads" / f"{repo['second']}-{'0' * 16}").mkdir()  # downloads made by older builder code
    result = CliRunner().invoke(cli, ["build", "--root", str(built), "--quiet"])
    assert result.exit_code == 0, result.output
    releases = {repo["first"], repo["second"]}
    assert {p.name for p in cache.iterdir()} == releases | {"downloads"}
    assert {p.name for p in (cache / "downloads").iterdir()} == {f"{c}-{CODE_FINGERPRINT}" for c in releases}


# ---------------------------------------------------------------- the API


def api_files(site: Path) -> list[Path]:
    return sorted(p for p in (site / "api" / "v1").rglob("*.json") if "schemas" not in p.parts)


def test_every_api_file_validates_against_its_schema(built):
    base = built / "site" / "api" / "v1"
    checked = 0
    for path in api_files(built / "site"):
        relative = path.relative_to(base)
        if relative.as_posix() == "index.json":
            schema = json.loads((base / "schemas" / "index.json").read_text())
        elif len(relative.parts) == 1:
            schema = json.loads((base / "schemas" / relative.name).read_text())
        else:
            table_schema = json.loads((base / "schemas" / f"{relative.parts[0]}.json").read_text())
            schema = {**table_schema, "$ref": "#/$defs/entity"}
            for key in ("type", "properties", "required", "additionalProperties"):
                schema.pop(key)
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema, cls=jsonschema.Draft202012Validator)
        checked += 1
    assert checked == 1 + 2 + 3 + 3  # index, two tables, three people, three claims


def test_schema_rejects_a_bad_row(built):
    schema = json.loads((built / "site" / "api" / "v1" / "schemas" / "claims.json").read_text())
    data = json.loads((built / "site" / "api" / "v1" / "claims.json").read_text())
    data["rows"][0]["verdict"] = "maybe"
    with pytest.raises(jsonschema.ValidationError, match="'maybe' is not one of"):
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)


def test_api_table_equals_the_csv(built):
    for table in ("people", "claims"):
        api_rows = json.loads((built / "site" / "api" / "v1" / f"{table}.json").read_text())["rows"]
        with open(built / "dist" / "data" / f"{table}.csv", encoding="utf-8", newline="") as handle:
            csv_rows = list(csv.DictReader(handle))
        assert [{k: "" if v is None else str(v) for k, v in row.items()} for row in api_rows] == csv_rows


def test_api_entity_joins_and_history(built):
    ada = json.loads((built / "site" / "api" / "v1" / "people" / "ada.json").read_text())
    assert ada["row"] == {"person_id": "ada", "name": "Ada Lovelace", "born": "1815-12-10"}
    assert ada["referenced_by"][0]["table"] == "claims" and [r["claim_id"] for r in ada["referenced_by"][0]["rows"]] == ["c1"]
    assert [(e["release"], e["kind"]) for e in ada["history"]] == [("0.1.0", "added"), ("0.2.0", "changed")]
    claim = json.loads((built / "site" / "api" / "v1" / "claims" / "c1.json").read_text())
    assert claim["references"]["person_id"]["name"] == "Ada Lovelace"
    index = json.loads((built / "site" / "api" / "v1" / "index.json").read_text())
    assert [(r["version"], r["date"]) for r in index["releases"]] == [("0.2.0", "2024-03-09"), ("0.1.0", "2023-11-14")]
    assert (built / "site" / "api" / "v1" / index["releases"][1]["downloads"]["datapackage"]).resolve().is_file()


def test_api_paths_cannot_leave_the_folder(tmp_path):
    with pytest.raises(BuilderError, match=r"API file name '\.\./x\.json' would leave the API folder\."):
        api.inside(tmp_path, "../x.json")
    assert api.inside(tmp_path, "people", "a-b.json") == (tmp_path / "people" / "a-b.json").resolve()


def test_odd_ids_stay_inside_the_api_folder(tmp_path):
    root = tmp_path / "odd"
    root.mkdir()
    write(
        root,
        "0.1.0",
        "person_id,name\nada,Ada\n",
        'claim_id,claim,verdict,person_id\n"../../Evil/..",Odd.,supported,ada\n',
        born=False,
    )
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    base = root / "site" / "api" / "v1"
    assert sorted(p.relative_to(base).as_posix() for p in (base / "claims").iterdir()) == ["claims/evil.json"]
    assert json.loads((base / "claims" / "evil.json").read_text())["id"] == "../../Evil/.."
    assert not (root / "site" / "Evil").exists() and not (root / "Evil").exists()


def test_the_api_pages_python_example_works(built):
    """The example on the API page, run against the built site served over HTTP."""
    page = (built / "site" / "api" / "index.html").read_text(encoding="utf-8")
    code = html.unescape(re.search(r'<code class="ledger-example-python">(.*?)</code>', page, re.S).group(1))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built / "site"))
    handler.log_message = lambda *args: None
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            namespace: dict = {}
            exec(code.replace("https://SITE/", f"http://127.0.0.1:{server.server_address[1]}/"), namespace)
        finally:
            server.shutdown()
    table = namespace["table"]
    assert table.columns == ["person_id", "name", "born"]
    assert table.rows() == [("ada", "Ada Lovelace", "1815-12-10"), ("bob", "Bob", None), ("dee", "Dee", None)]


def test_zip_of_a_release_reads_back(built):
    published = json.loads((built / "site" / "downloads" / "0.2.0" / "datapackage.json").read_text())
    data = (built / "site" / "downloads" / "0.2.0" / published["downloads"][0]["path"]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        inner = json.loads(z.read("datapackage.json"))
    assert inner["version"] == "0.2.0"
    assert [f["name"] for f in inner["resources"][0]["schema"]["fields"]] == ["person_id", "name", "born"]


def test_an_unsafe_old_release_is_left_out_not_fatal(tmp_path):
    root = tmp_path / "unsafe"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    write(root, "0.1.0", PEOPLE_1, CLAIMS_1, born=False)
    commit(root, "First release", FIRST)
    bad = descriptor("0.2.0", born=False)
    bad["resources"][0]["path"] = "../outside.csv"
    (root / "datapackage.json").write_text(json.dumps(bad), encoding="utf-8")
    bad_commit = commit(root, "A release that points outside the package", SECOND)
    write(root, "0.3.0", PEOPLE_1, CLAIMS_1, born=False)
    commit(root, "Fixed", SECOND + 10)
    result = CliRunner().invoke(cli, ["build", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert f"2 releases: 0.1.0, 0.3.0; skipped 0.2.0 (commit {bad_commit[:12]}): 0.2.0 cannot be read safely:" in result.output
    page = (root / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    assert f"<strong>Left out:</strong> 0.2.0 (commit {bad_commit[:12]}): 0.2.0 cannot be read safely:" in page
    assert not (root / "site" / "downloads" / "0.2.0").exists() and (root / "site" / "downloads" / "0.3.0").is_dir()


def test_the_ledger_has_two_real_releases():
    """This repository's own history: 0.1.0 (the first commit with a version) and 0.2.0 (curation)."""
    root = Path(__file__).resolve().parent.parent
    found = history.read(root)
    if not found.available:
        pytest.skip(f"no git history here: {found.reason}")
    assert [r.version for r in found.releases][:2] == ["0.1.0", "0.2.0"]
    result = CliRunner().invoke(cli, ["diff", "--root", str(root), "0.1.0", "0.2.0", "--json"])
    data = json.loads(result.output)
    departures = next(t for t in data["tables"] if t["name"] == "departures")
    assert {"change": "field-added", "field": "left_by", "old": None, "new": "date"} in departures["schema"]
    assert next(t for t in data["tables"] if t["name"] == "verdicts")["status"] == "added"


def test_changes_page_keeps_every_changed_value_but_counts_long_lists_of_new_rows():
    added = [{"table": "claims", "key": f"c{i}", "kind": "added", "text": f"Added claim `c{i}`."} for i in range(7)]
    changed = [{"table": "claims", "key": "c9", "kind": "changed", "text": "Claim `c9`: verdict a → b."}]
    assert changes_page.brief_highlights(changed + added, per_group=5) == [
        "Claim c9: verdict a → b.",
        *[f"Added claim c{i}." for i in range(5)],
        "… and 2 more rows added in claims.",
    ]


def test_an_undated_exit_reads_as_date_unknown():
    resource = {"name": "departures", "schema": {"fields": [{"name": "date", "type": "date"}, {"name": "date_precision"}]}}
    snapshot = semantic.Snapshot("x", Path("."), {"resources": [resource]})
    assert semantic.display_value(snapshot, resource, "date", {"date": None, "date_precision": "unknown"}) == "unknown"
    assert semantic.display_value(snapshot, resource, "date", {"date": "2023-05-01", "date_precision": "month"}) == "May 2023"
    assert semantic.display_value(snapshot, resource, "date", {"date": None, "date_precision": None}) == "(empty)"


def test_snippets_use_the_sites_own_address_when_known(repo, tmp_path):
    folder = tmp_path / "addressed"
    shutil.copytree(repo["root"], folder, ignore=shutil.ignore_patterns(".git", ".build", "site", "dist"))
    config = (Path(__file__).resolve().parent.parent / "builder" / "site" / "templates" / "mkdocs.yml").read_text(
        encoding="utf-8"
    )
    (folder / "mkdocs.yml").write_text("site_url: https://data.example.org/tiny/\n" + config, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--root", str(folder), "--quiet"])
    assert result.exit_code == 0, result.output
    page = (folder / "site" / "data" / "people" / "index.html").read_text(encoding="utf-8")
    assert 'pl.read_parquet("https://data.example.org/tiny/downloads/data/people.parquet")' in page
    assert "https://SITE/" not in page
