"""Issue 17 §3: one version, one set of bytes. Every link to a zip of a given name, on any page,
in the API and in dist/, gives the same file, and its full sha256 is shown where it is offered."""

import csv
import hashlib
import html
import json
import re
import zipfile
from pathlib import Path

from click.testing import CliRunner

from builder.cli import cli
from tests.conftest import ROOT, copy_package, run_git, write_seed_rows


def git(root: Path, *args: str) -> None:
    run_git(root, *args, when=1700000000)


def released(tmp_path: Path) -> tuple[Path, dict]:
    """The real package in a fresh repository whose one commit releases its current version."""
    root = copy_package(ROOT, tmp_path / "ledger")
    (root / ".gitignore").write_text("site/\ndist/\n.build/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Release")
    return root, json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def build(root: Path) -> str:
    result = CliRunner().invoke(cli, ["build", "--root", str(root)])
    assert result.exit_code == 0, result.output
    return result.output


def zip_links(root: Path) -> dict[str, set[str]]:
    """Every zip a page, the API or a published datapackage.json offers: name -> sha256 of each target."""
    site = root / "site"
    found: dict[str, set[str]] = {}

    def add(target: Path) -> None:
        found.setdefault(target.name, set()).add(hashlib.sha256(target.read_bytes()).hexdigest())

    for page in site.rglob("*.html"):
        for href in re.findall(r'href="([^"]+\.zip)"', page.read_text(encoding="utf-8")):
            add((page.parent / html.unescape(href)).resolve())
    index = json.loads((site / "api" / "v1" / "index.json").read_text(encoding="utf-8"))
    for release in index["releases"]:
        add((site / "api" / "v1" / release["downloads"]["zip"]).resolve())
    for listing in (root / "dist").rglob("datapackage.json"):
        for download in json.loads(listing.read_text(encoding="utf-8")).get("downloads", []):
            if download["format"] == "zip":
                target = listing.parent / download["path"]
                assert download["hash"] == "sha256:" + hashlib.sha256(target.read_bytes()).hexdigest()
                add(target)
    for target in (root / "dist").rglob("*.zip"):
        add(target)
    return found


def test_the_current_version_and_its_release_are_one_zip(tmp_path, monkeypatch):
    root, descriptor = released(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # a build long after the release
    build(root)
    name = f"{descriptor['name']}-{descriptor['version']}.zip"
    links = zip_links(root)
    assert set(links) == {name}
    [digest] = links[name]  # the data page, the Changes page, the API and both places in dist/: one file
    with zipfile.ZipFile(root / "dist" / name) as archive:
        assert "data/timeline.csv" in archive.namelist()  # views included, as a build of the release gives them
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}  # the release's commit time
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1900000000")
    build(root)
    assert zip_links(root) == {name: {digest}}  # a later build offers the same bytes under that name
    changes = (root / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    data = (root / "site" / "data" / "index.html").read_text(encoding="utf-8")
    assert f'<code class="ledger-hash">{digest}</code>' in changes
    assert digest in data


def test_data_changed_without_a_new_version_is_not_that_release(tmp_path):
    root, descriptor = released(tmp_path)
    people = root / "seeds" / "people.csv"
    rows = list(csv.DictReader(people.open(encoding="utf-8")))
    rows[-1]["name"] += " (renamed)"
    write_seed_rows(people, rows)
    output = build(root)
    stem = f"{descriptor['name']}-{descriptor['version']}"
    assert f"this build's zip is {stem}-unreleased.zip" in output
    links = zip_links(root)
    assert set(links) == {f"{stem}.zip", f"{stem}-unreleased.zip"}
    assert all(len(digests) == 1 for digests in links.values())
    with zipfile.ZipFile(root / "dist" / descriptor["version"] / f"{stem}.zip") as archive:
        assert " (renamed)" not in archive.read("data/people.csv").decode()  # the release holds the release
    published = json.loads((root / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    assert f"{stem}-unreleased.zip" in [d["path"] for d in published["downloads"]]
    sums = (root / "dist" / "SHA256SUMS").read_text(encoding="utf-8")
    assert f"  {stem}-unreleased.zip\n" in sums and f"  {stem}.zip\n" not in sums
