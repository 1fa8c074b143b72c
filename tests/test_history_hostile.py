"""Old releases as a hostile contributor commits them: git must run nothing the repository says
(filters, attributes), read exactly what was committed, never fetch, and one bad release is left out
with a reason in words while the build goes on. Also the build lock (two real processes)."""

import html
import json
import re
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape
from test_history import CLAIMS_1, FIRST, PEOPLE_1, SECOND, commit, descriptor, run_git, write

from builder.cli import cli
from builder.history import releases as history


def three_releases(root: Path, bad) -> dict:
    """0.1.0 good; 0.2.0 made by `bad(root)` after a good write; 0.3.0 good again."""
    root.mkdir(parents=True)
    run_git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("site/\ndist/\n.build/\n", encoding="utf-8")
    write(root, "0.1.0", PEOPLE_1, CLAIMS_1, born=False)
    first = commit(root, "First", FIRST)
    write(root, "0.2.0", PEOPLE_1, CLAIMS_1, born=False)
    bad(root)
    second = commit(root, "Second", SECOND)
    for link in (root / "data").iterdir():
        if link.is_symlink():
            link.unlink()
    write(root, "0.3.0", PEOPLE_1, CLAIMS_1, born=False)
    third = commit(root, "Third", SECOND + 10)
    return {"root": root, "first": first, "second": second, "third": third}


def build(root: Path):
    return CliRunner().invoke(cli, ["build", "--root", str(root)])


def history_line(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("[4/7] history"))
    return re.sub(r"^\[4/7\] history\s+[\d.]+s\s+", "", line)


def left_out(root: Path) -> str:
    page = (root / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    start = page.index("<strong>Left out:</strong> ") + len("<strong>Left out:</strong> ")
    return page[start : page.index("</p>", start)]


# ---------------------------------------------------------------- git runs nothing the repository says


def test_a_smudge_filter_never_runs_and_attributes_change_nothing(tmp_path):
    """`.gitattributes` asks for a filter whose smudge command writes a marker, drops the claims table
    from archives (export-ignore) and rewrites `$Format$` cells (export-subst), and a replace ref swaps
    the table: none of it happens."""
    marker = tmp_path / "MARKER"
    claims = CLAIMS_1.replace("Bob exists.", "$Format:%H$")

    def attributes(root: Path) -> None:
        (root / ".gitattributes").write_text(
            "*.csv filter=evil\ndata/claims.csv export-ignore\ndata/*.csv export-subst\n", encoding="utf-8"
        )
        (root / "data" / "claims.csv").write_text(claims, encoding="utf-8")

    repo = three_releases(tmp_path / "evil", attributes)
    root = repo["root"]
    # Configured after the commits (a clean filter would have run at `git add`): only checkout-side filters remain.
    run_git(root, "config", "filter.evil.smudge", f"sh -c 'touch {marker}; cat'")
    run_git(root, "config", "filter.evil.required", "true")
    # A replace ref would swap the committed table for another blob: history is read as committed.
    committed = run_git(root, "rev-parse", f"{repo['second']}:data/claims.csv")
    (tmp_path / "swap.csv").write_text("claim_id,claim,verdict,person_id\nx,Swapped.,false,ada\n", encoding="utf-8")
    swapped = run_git(root, "hash-object", "-w", "--no-filters", str(tmp_path / "swap.csv"))
    run_git(root, "replace", committed, swapped)
    result = build(root)
    assert result.exit_code == 0, result.output
    assert history_line(result.output) == "3 releases: 0.1.0, 0.2.0, 0.3.0"
    assert not marker.exists()
    release = root / "site" / "downloads" / "0.2.0" / "data" / "claims.csv"
    assert release.read_text(encoding="utf-8") == claims  # present, and `$Format:%H$` as committed
    diff = CliRunner().invoke(cli, ["diff", "--root", str(root), "0.1.0", "0.2.0", "--json"])
    assert diff.exit_code == 0, diff.output
    assert json.loads(diff.output)["tables"][1]["changed"][0]["fields"] == [
        {"field": "claim", "old": "Bob exists.", "new": "$Format:%H$"}
    ]
    assert not marker.exists()


def test_a_partial_clone_has_no_history_and_fetches_nothing(tmp_path):
    source = tmp_path / "source"
    three_releases(source, lambda root: None)
    run_git(source, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--filter=blob:none", f"file://{source}", str(clone)], check=True, capture_output=True)
    found = history.read(clone)
    assert not found.available
    assert found.reason == (
        "history is unavailable: this is a partial clone, and reading old versions would fetch them from the network;"
        " clone with the full history (no --filter) to list releases."
    )
    result = build(clone)
    assert result.exit_code == 0, result.output
    assert history_line(result.output) == f"history unavailable: {found.reason}"


def test_git_cannot_fetch_even_when_asked(tmp_path):
    """The last line of defence: every transport is off for the builder's git, so a lazy fetch fails."""
    source = tmp_path / "source"
    source.mkdir()
    run_git(source, "init", "-q")
    result = history.git(tmp_path, "ls-remote", f"file://{source}", check=False)
    assert result.returncode != 0 and b"transport 'file' not allowed" in result.stderr


# ---------------------------------------------------------------- one bad release is left out, in words


def link_people(root: Path) -> None:
    (root / "data" / "people.csv").unlink()
    (root / "data" / "people.csv").symlink_to("/etc/passwd")


def missing_table(root: Path) -> None:
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"][0]["path"] = "data/more-people.csv"
    (root / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")


def bad_highlight(root: Path) -> None:
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"][1]["ledger"]["highlight"] = {"noun": 3, "fields": "verdict"}
    (root / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")


def unreadable_table(root: Path) -> None:
    """A descriptor the safety checks pass but whose table cannot be read as declared."""
    package = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"][0]["schema"]["fields"][1]["constraints"] = {"minLength": "x"}
    (root / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")


@pytest.mark.parametrize(
    "bad, reason",
    [
        (link_people, "data/people.csv is a symbolic link in commit {short}, and links in old releases are not followed."),
        (missing_table, "it declares data/more-people.csv, which commit {short} does not hold."),
        (
            bad_highlight,
            "0.2.0 cannot be read safely: resource `claims`: `ledger.highlight.noun` must be a short word for one row.",
        ),
        (unreadable_table, "its data could not be read or exported."),
    ],
)
def test_a_bad_old_release_is_left_out_in_words_and_the_build_goes_on(tmp_path, bad, reason):
    repo = three_releases(tmp_path / "bad", bad)
    root, short = repo["root"], repo["second"][:12]
    result = build(root)
    assert result.exit_code == 0, result.output
    why = f"0.2.0 (commit {short}): " + reason.format(short=short)
    assert history_line(result.output) == f"2 releases: 0.1.0, 0.3.0; skipped {why}"
    assert left_out(root) == str(escape(why))  # one reason, its own full stop only
    assert str(tmp_path) not in left_out(root) and ".build" not in left_out(root)
    assert not (root / "site" / "downloads" / "0.2.0").exists()
    assert (root / "site" / "downloads" / "0.3.0" / "data" / "people.csv").read_text(encoding="utf-8") == PEOPLE_1
    diff = CliRunner().invoke(cli, ["diff", "--root", str(root), "0.1.0", "0.2.0"])
    if bad is unreadable_table:
        assert diff.exit_code == 0  # a diff compares the CSV text; only the export of that release fails
    else:
        assert diff.exit_code == 1
        assert diff.output.count("\n") == 1 and "Traceback" not in diff.output
        assert diff.output == "Error: " + reason.format(short=short) + "\n"


def test_every_ledger_option_is_checked_in_the_current_package(tmp_path):
    root = tmp_path / "options"
    root.mkdir()
    write(root, "0.1.0", PEOPLE_1, CLAIMS_1, born=False)
    package = descriptor("0.1.0", born=False)
    package["ledger"] = {"stroy": "llama", "repository": "javascript:alert(1)"}
    package["resources"][0]["ledger"] = {"label": "name", "lable": "name"}
    package["resources"][1]["ledger"]["highlight"] = {"noun": "claim", "fields": ["verdict", "nope"], "subject": 7, "x": 1}
    (root / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 1
    assert result.output == (
        "datapackage.json\n"
        "  file [descriptor-invalid]: `ledger.repository` must be the https address of the package's repository.\n"
        "      fix: Write e.g. https://github.com/owner/name.\n"
        "  file [descriptor-invalid]: `ledger.stroy` is not an option the builder knows.\n"
        "      fix: Use `release_notes`, `repository`, `story`, or remove it.\n"
        "  file [descriptor-invalid]: resource `claims`: `ledger.highlight.fields` names 'nope', which is not a field.\n"
        "      fix: Name its fields only.\n"
        "  file [descriptor-invalid]: resource `claims`: `ledger.highlight.subject` names 7, which is not a field.\n"
        "      fix: Name one of its fields.\n"
        "  file [descriptor-invalid]: resource `claims`: `ledger.highlight` has an unknown key 'x'.\n"
        "      fix: Use `noun`, `fields` and `subject` only.\n"
        "  file [descriptor-invalid]: resource `people`: `ledger.lable` is not an option the builder knows.\n"
        "      fix: Use `columns`, `highlight`, `label`, `pages`, or remove it.\n"
        "6 problems in 1 file: the package is not valid.\n"
    )


# ---------------------------------------------------------------- one build at a time


HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from builder.package.paths import Paths
    from builder.pipeline import build_lock
    with build_lock(Paths.at(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.readline()
    """
)


def test_a_second_build_in_the_same_folder_says_another_is_running(tmp_path):
    root = tmp_path / "busy"
    root.mkdir()
    write(root, "0.1.0", PEOPLE_1, CLAIMS_1, born=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        second = subprocess.run(
            [sys.executable, "-m", "builder", "build", "--root", str(root)], capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 1
        assert second.stderr == "Error: another build is running in this folder; wait for it to finish, then build again.\n"
        assert not (root / "site").exists()
    finally:
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
    started = time.monotonic()
    after = subprocess.run([sys.executable, "-m", "builder", "build", "--root", str(root), "--quiet"], capture_output=True)
    assert after.returncode == 0, after.stderr
    assert time.monotonic() - started < 120 and (root / "site" / "index.html").is_file()


def test_a_linked_lock_file_is_refused(tmp_path):
    root = tmp_path / "linked"
    root.mkdir()
    write(root, "0.1.0", PEOPLE_1, CLAIMS_1, born=False)
    (root / ".build").mkdir()
    target = tmp_path / "elsewhere"
    (root / ".build" / "lock").symlink_to(target)
    result = build(root)
    assert result.exit_code == 1
    assert result.output == "Error: .build/lock is a symbolic link; the builder needs it as its lock file: remove it.\n"
    assert not target.exists()


# ---------------------------------------------------------------- odd but honest old releases


def test_old_releases_with_odd_versions_names_dates_and_cells(tmp_path):
    """A release from 1975 (before zip's 1980), one under the package's old name, a control character
    in an old cell, and two versions that differ only in punctuation: all listed, each its own."""
    root = tmp_path / "odd"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("site/\ndist/\n.build/\n", encoding="utf-8")

    def release(version: str, when: int, name: str = "tiny", claims: str = CLAIMS_1) -> None:
        write(root, version, PEOPLE_1, claims, born=False)
        package = descriptor(version, born=False)
        package["name"] = name
        (root / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
        commit(root, version, when)

    release("0.1.0", 160_000_000, name="tiny-old", claims=CLAIMS_1.replace("Bob exists.", "Bob\x01 exists."))  # 1975
    release("1.0.0-a", FIRST)
    release("1.0.0+a", SECOND)
    result = build(root)
    assert result.exit_code == 0, result.output
    assert history_line(result.output) == "3 releases: 0.1.0, 1.0.0-a, 1.0.0+a"
    feed = ET.parse(root / "site" / "changes.xml").getroot()  # a real XML parser: no control character left
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.find("a:updated", ns).text for e in feed.findall("a:entry", ns)][-1] == "1975-01-26T20:26:40Z"
    page = (root / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    anchors = re.findall(r'<h2 id="(v[^"]*)">', page)
    assert anchors == ["v1-0-0_2ba", "v1-0-0_2da", "v0-1-0"]
    old = root / "site" / "downloads" / "0.1.0"
    with zipfile.ZipFile(old / "tiny-old-0.1.0.zip") as archive:  # its own name, stamped 1980-01-01
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert (
        '<a href="../downloads/0.1.0/tiny-old-0.1.0.zip">tiny-old-0.1.0.zip<span class="ledger-sr"> of release 0.1.0</span></a>'
    ) in page
    index = json.loads((root / "site" / "api" / "v1" / "index.json").read_text(encoding="utf-8"))
    links = {r["version"]: r["downloads"]["zip"] for r in index["releases"]}
    assert links["0.1.0"] == "../../downloads/0.1.0/tiny-old-0.1.0.zip"
    assert all((root / "site" / "api" / "v1" / link).resolve().is_file() for link in links.values())
    assert [r["changes"] for r in index["releases"]] == [f"../../changes/#{a}" for a in anchors]


# ---------------------------------------------------------------- the PR job summary


HOSTILE_ID = "c`9` | x\n## Injected <img src=x onerror=alert(1)>"
HOSTILE_LABEL = "**bold** [link](https://evil.example) <b>x</b> | pipe ``tick``\n- item &amp; #1"


def test_diff_markdown_escapes_ids_and_labels(tmp_path):
    """Ids and labels with line breaks, backticks, pipes and Markdown or HTML read as text in the job
    summary: parsed with a real Markdown parser, the only structure is the diff's own."""
    from markdown_it import MarkdownIt

    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
    write(old, "0.1.0", PEOPLE_1, CLAIMS_1, born=False)
    hostile = (
        CLAIMS_1.replace("Ada wrote the first program.,supported", f'"{HOSTILE_LABEL}",false')
        + f'"{HOSTILE_ID}","{HOSTILE_LABEL}",supported,ada\n'
    )
    write(new, "0.2.0", PEOPLE_1, hostile, born=False)
    result = CliRunner().invoke(cli, ["diff", "--root", str(new), str(old), str(new), "--markdown"])
    assert result.exit_code == 0, result.output
    text = result.output
    label = "\\*\\*bold\\*\\* \\[link\\](https://evil.example) \\<b\\>x\\</b\\> \\| pipe "
    code = "``c`9` | x ## Injected <img src=x onerror=alert(1)>``"
    lines = text.splitlines()
    assert f"- Added claim “{label}''tick'' - item…” ({code}): verdict supported." in lines
    assert f"- added {code} {label}\\`\\`tick\\`\\` - item…" in lines
    assert f"  - claim: Ada wrote the first program. → {label}\\`\\`tick\\`\\` - item \\&amp; \\#1" in lines
    assert "| `claims` | 1 | 0 | 1 | 0 |" in lines
    page = MarkdownIt("commonmark").enable("table").render(text)
    assert [tag for tag in re.findall(r"<(h\d)\b", page)] == ["h3", "h4"]
    assert re.findall(r"<(?:a|img|b)\b", page) == []
    assert re.findall(r"<strong>(.*?)</strong>", page) == ["Highlights"]
    assert page.count("<tr>") == 2  # the heading and one changed table
    codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", page)]
    assert HOSTILE_ID.replace("\n", " ") in codes and "c1" in codes


# ---------------------------------------------------------------- citations


HOSTILE_TITLE = "LLaMA by Meta}, note = {pwned}, x = {\\ 100% of GPT_4 & #1."


def cite_box(page: str) -> tuple[str, str]:
    """(the plain citation, the BibTeX) of a page's "Cite this", as a reader copies them."""
    box = page[page.index('<details class="ledger-cite') :]
    text = html.unescape(re.search(r"<p>(.*?)</p>", box, re.S).group(1))
    bib = html.unescape(re.search(r'<pre(?: class="ledger-bibtex")?><code>(.*?)</code></pre>', box, re.S).group(1))
    return text, bib


def test_bibtex_parses_names_the_version_and_a_hostile_title_adds_no_field(tmp_path, monkeypatch):
    import bibtexparser

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the citation's year is the build's (make exports another)

    root = tmp_path / "cited"
    root.mkdir()
    run_git(root, "init", "-q", "-b", "main")
    (root / ".gitignore").write_text("site/\ndist/\n.build/\n", encoding="utf-8")
    title = HOSTILE_TITLE.replace('"', '""')
    write(root, "0.1.0", PEOPLE_1, CLAIMS_1.replace("Bob exists.", f'"{title}"'), born=False)
    commit(root, "First", FIRST)
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet", "--site-url", "https://data.example.org/tiny/"])
    assert result.exit_code == 0, result.output
    text, bib = cite_box((root / "site" / "claims" / "c2" / "index.html").read_text(encoding="utf-8"))
    library = bibtexparser.parse_string(bib)
    assert library.failed_blocks == [] and len(library.entries) == 1
    entry = library.entries[0]
    assert entry.key == "tiny_claims_c2"
    assert [f.key for f in entry.fields] == ["author", "title", "howpublished", "version", "year", "url", "note"]
    assert entry["version"] == "0.1.0"
    assert entry["title"] == (
        r"{LLaMA} by {Meta\textbraceright{},} note = \textbraceleft{}pwned\textbraceright{}, x = \textbraceleft{}\textbackslash{}"
        r" 100\% of {GPT\_4} \& \#1."
    )
    assert entry["howpublished"] == "{Tiny}, version 0.1.0"
    # The URL reaches that version's data (its release download); the page's address is beside it.
    assert entry["url"] == "https://data.example.org/tiny/downloads/0.1.0/tiny-0.1.0.zip"
    assert (root / "site" / "downloads" / "0.1.0" / "tiny-0.1.0.zip").is_file()
    assert entry["note"] == "Data of version 0.1.0; page: https://data.example.org/tiny/claims/c2/"
    assert text == (
        f"Tiny editors (2023). “{HOSTILE_TITLE}” In Tiny, version 0.1.0."
        " Data: https://data.example.org/tiny/downloads/0.1.0/tiny-0.1.0.zip. Page: https://data.example.org/tiny/claims/c2/"
    )


def test_two_builds_at_once_never_finish_with_releases_missing(tmp_path):
    """Two real builds started together in one folder: each either builds every release or stops,
    saying another build is running; a `builder diff` beside them reads whole old releases."""
    repo = three_releases(tmp_path / "race", lambda root: None)
    root = repo["root"]
    command = [sys.executable, "-m", "builder"]
    builds = [
        subprocess.Popen([*command, "build", "--root", str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    diff = subprocess.run([*command, "diff", "--root", str(root), "0.1.0", "0.3.0", "--json"], capture_output=True, text=True)
    results = [(b.wait(timeout=300), b.stdout.read(), b.stderr.read()) for b in builds]
    assert diff.returncode == 0, diff.stderr
    assert json.loads(diff.stdout)["new"]["version"] == "0.3.0"
    built = [out for code, out, _ in results if code == 0]
    stopped = [err for code, _, err in results if code != 0]
    assert built and all(
        err == "Error: another build is running in this folder; wait for it to finish, then build again.\n" for err in stopped
    )
    assert all("3 releases: 0.1.0, 0.2.0, 0.3.0" in out for out in built)
    assert sorted(p.name for p in (root / "site" / "downloads").iterdir() if p.name[0].isdigit()) == ["0.1.0", "0.2.0", "0.3.0"]
