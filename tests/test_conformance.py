"""Issue 22, item 3: frictionless-py's own fixture packages through `builder validate` and
frictionless's validation.

The fixtures are frictionless-py's `data/*.package.json` and `data/*/datapackage.json`, each copied
into a folder of its own as `datapackage.json` with the files it names, and the repository's MIT
licence beside them. They are not part of this repository: scripts/frictionless_fixtures.py
unpacks them from the pinned frictionless release on PyPI (sha256-checked) into
tests/fixtures/frictionless/ (ignored by git) the first time, or the test reads $FRICTIONLESS_FIXTURES.
Without a network it is skipped, except under CI, where it fails.

Each fixture's expected outcome is data (EXPECTED): whether frictionless accepts it, and either
"build" or the problem types the builder refuses it with. When the builder learns more (formats,
inferred schemas), change the map; notes/conformance.md holds the same table with the reasons.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import traceback
from pathlib import Path

import pytest
from click.testing import CliRunner
from frictionless import FrictionlessException, Package

from builder.cli import cli

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("FRICTIONLESS_FIXTURES") or REPO / "tests" / "fixtures" / "frictionless")


@pytest.fixture(scope="module", autouse=True)
def frictionless_fixtures():
    """Unpack the fixtures once; a machine without PyPI skips, CI must have them."""
    if (FIXTURES / "LICENSE").is_file():
        return
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import frictionless_fixtures as unpacker

        unpacker.unpack(unpacker.download(), FIXTURES)
    except OSError as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"frictionless-py's fixture packages could not be had from PyPI ({error})")
    finally:
        sys.path.remove(str(REPO / "scripts"))


BUILD = "build"
# fixture: (frictionless accepts it, "build" or the builder's problem types, why)
EXPECTED: dict[str, tuple[bool, str | frozenset, str]] = {
    "ckan": (True, BUILD, "schema inferred, as frictionless does (a warning)"),
    "compression": (True, BUILD, "gzip and zip compressed CSV, explicit and implied (builder.package.formats)"),
    "country": (True, BUILD, "no name: the downloads are called package"),
    "detailed": (True, BUILD, "schemas inferred"),
    "detailed-with-id": (True, BUILD, "schema inferred"),
    "detailed-with-schema": (True, BUILD, ""),
    "geopoint": (True, BUILD, "field type geopoint (published in the default lon,lat form)"),
    "infer": (True, BUILD, "a schema inferred"),
    "invalid": (False, frozenset({"blank-row"}), "a blank row (frictionless also reports it as a primary-key error)"),
    "issue-1004": (False, frozenset({"blank-row", "extra-cell", "missing-cell"}), "same findings as frictionless"),
    "issue-1100": (True, BUILD, "CSV dialect delimiter `;`; a datetime `format` (published as ISO)"),
    "issue-1105": (True, BUILD, "CSV dialect delimiter `;` (published with commas)"),
    "issue-1293": (True, BUILD, "field type array (the JSON resource is read; published as JSON text)"),
    "issue-494": (False, frozenset({"descriptor-invalid"}), "a CKAN record, not a data package"),
    "issue-905": (True, BUILD, "schemas inferred"),
    "jsonl": (True, BUILD, "JSON Lines"),
    "multipart": (True, BUILD, "a resource in two parts (frictionless's reader)"),
    "multipart-zipped": (True, BUILD, "a resource in zipped parts"),
    "multiple-errors": (False, frozenset({"descriptor-invalid", "unsupported-feature"}), "two resources of one name; XLS"),
    "multiple-folders": (
        False,
        frozenset({"extra-cell", "incorrect-label", "missing-label", "type-error"}),
        "frictionless's findings, a missing header label named as such",
    ),
    "ndjson": (True, BUILD, "NDJSON"),
    "number": (False, frozenset({"constraint-error", "number-not-finite", "type-error", "unique-error"}), "also: NaN/inf"),
    "ods": (True, BUILD, "an ODS sheet"),
    "package": (True, BUILD, ""),
    "zipped-resources": (False, frozenset({"descriptor-invalid"}), "resource names with dots; fields differing in case"),
}
NEEDS_NETWORK: dict[str, str] = {}  # fixture -> why (a remote resource); none of the current ones


def frictionless_accepts(root: Path) -> bool:
    """frictionless's verdict; a package it cannot even open is one it rejects."""
    try:
        return Package(str(root / "datapackage.json")).validate().valid
    except FrictionlessException:
        return False


def frictionless_findings(root: Path) -> set[tuple]:
    """(file, row, field, type) of frictionless's row and cell errors, as the builder names them."""
    report = Package(str(root / "datapackage.json")).validate()
    found = set()
    for task in report.tasks:
        for error in task.errors:
            if getattr(error, "row_number", None) is not None:
                found.add((task.place, error.row_number, getattr(error, "field_name", None) or None, error.type))
    return found


def fixtures() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES.is_dir() else []


def test_every_fixture_has_an_expected_outcome():
    assert fixtures() == sorted(EXPECTED)


def copied(name: str, tmp_path: Path) -> Path:
    if name in NEEDS_NETWORK:
        pytest.skip(NEEDS_NETWORK[name])
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return root


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    accepts, outcome, _ = EXPECTED[name]
    root = copied(name, tmp_path)
    assert frictionless_accepts(root) is accepts
    result = CliRunner().invoke(cli, ["validate", "--json", "--root", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), "".join(
        traceback.format_exception(result.exception)
    )
    report = json.loads(result.output)
    if not accepts:  # what frictionless rejects, the builder never publishes
        assert result.exit_code == 1
    if outcome != BUILD:
        assert result.exit_code == 1
        assert {p["type"] for p in report["problems"]} == outcome
        if outcome <= {"blank-row", "extra-cell", "missing-cell", "type-error", "constraint-error", "unique-error"}:
            ours = {(p["path"], p["row"], p["field"], p["type"]) for p in report["problems"]}
            theirs = frictionless_findings(root)
            # frictionless also calls a blank row's empty key a primary-key error; the builder names the row once
            blank = {(path, row, None, "primary-key") for path, row, _, kind in ours if kind == "blank-row"}
            assert ours == theirs - blank  # the same (file, row, field, type) findings
        return
    assert (result.exit_code, report["valid"]) == (0, True)
    built = CliRunner().invoke(cli, ["build", "--quiet", "--root", str(root)])
    assert built.exit_code == 0, built.output
    assert (root / "site" / "index.html").is_file()
    published = Package(str(root / "dist" / "datapackage.json")).validate()
    assert published.valid, published.flatten(["type", "note"])


def test_share_that_builds():
    """The numbers notes/conformance.md records: of the packages frictionless accepts, how many build."""
    accepted = [name for name, (accepts, _, _) in EXPECTED.items() if accepts]
    built = [name for name in accepted if EXPECTED[name][1] == BUILD]
    assert (len(EXPECTED), len(accepted), len(built)) == (25, 18, 18)
