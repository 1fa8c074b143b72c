"""The workbook and database are written by a process of their own while the site renders
(builder/outputs/bundle.py): the same bytes as written in the build's own process, its failure the
build's, stopped with a failed build or a killed one, and blind to a package's own modules."""

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, copy_package

from builder import pipeline
from builder.build import Job
from builder.cli import cli
from builder.outputs import bundle, export
from builder.package.paths import Paths
from builder.site import render


def exported(root: Path, dist: Path) -> tuple[export.Downloads, list[export.Table]]:
    job = Job(Paths.at(root), Path(tempfile.mkdtemp(dir=Paths.at(root).scratch())))
    checked, _ = pipeline._validate(job)
    views, _ = pipeline._derive(checked)
    dist.mkdir()
    return export.export(checked.descriptor, checked.tables, views, dist, root)


@pytest.mark.parametrize("fixture", ["options", "types", "bookshelf"])
def test_the_process_writes_the_bytes_the_build_itself_would(fixture, tmp_path):
    """The tables reach the process as Arrow IPC, so every type arrives as it was typed: the files
    equal those written from the frames in memory (dates, times, lists, booleans, missing values)."""
    root = copy_package(ROOT / "tests" / "fixtures" / fixture, tmp_path / fixture)
    downloads, tables = exported(root, tmp_path / "dist")
    writing = bundle.Bundle(downloads, tables, tmp_path / "bundle")
    export.write_xlsx(tables, tmp_path / "here.xlsx", **downloads.properties)
    export.write_sqlite(tables, tmp_path / "here.sqlite", downloads.metadata)
    writing.finish()
    assert downloads.workbook.read_bytes() == (tmp_path / "here.xlsx").read_bytes()
    assert downloads.database.read_bytes() == (tmp_path / "here.sqlite").read_bytes()
    assert [d["format"] for d in downloads.published["downloads"]] == ["xlsx", "sqlite", "zip", "jsonld"]
    assert not (tmp_path / "bundle").exists()  # the tables' copies are removed once read


def test_a_workbook_that_cannot_be_written_fails_with_the_reason(bookshelf, tmp_path):
    downloads, tables = exported(bookshelf, tmp_path / "dist")
    downloads.workbook = tmp_path / "missing" / "book.xlsx"  # a folder that does not exist
    writing = bundle.Bundle(downloads, tables, tmp_path / "bundle")
    with pytest.raises(RuntimeError, match=r"^the workbook and database were not written: .*FileCreateError"):
        writing.finish()
    assert not downloads.finished and not (downloads.dist / "datapackage.json").exists()


def test_a_failed_build_stops_the_process_and_keeps_the_outputs(bookshelf, monkeypatch):
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    before = {p.relative_to(bookshelf): p.read_bytes() for p in (bookshelf / "site").rglob("*") if p.is_file()}
    started = []
    real = bundle.Bundle.__init__

    def remember(self, *args):
        real(self, *args)
        started.append(self)

    def broken(*args):
        raise ValueError("a render that fails")

    monkeypatch.setattr(bundle.Bundle, "__init__", remember)
    monkeypatch.setattr(render, "render_pages", broken)
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf)])
    assert result.exit_code == 1
    assert "stage render failed: ValueError: a render that fails" in result.output
    [writing] = started
    assert writing.beside.ended()  # stopped, not left running
    assert not list((bookshelf / ".build").glob("build-*"))
    after = {p.relative_to(bookshelf): p.read_bytes() for p in (bookshelf / "site").rglob("*") if p.is_file()}
    assert after == before


def test_the_outputs_a_build_replaced_go_with_the_next_build(bookshelf, tmp_path):
    """The previous dist/ and site/ are moved into .build/trash-<key>/ and removed by the next build
    (in a process beside it); a link there is neither followed nor removed."""
    elsewhere = tmp_path / "documents"
    elsewhere.mkdir()
    (elsewhere / "letter.txt").write_text("keep me")
    for number in range(3):
        result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
        assert result.exit_code == 0, result.output
        trash = Paths.at(bookshelf).cache("trash")
        if number == 0:
            (trash / "build-1-link").symlink_to(elsewhere, target_is_directory=True)
        kept = sorted(p.name for p in trash.iterdir() if not p.is_symlink())
        assert len(kept) == 1  # this build's replaced outputs only: the one before's are gone
    assert (elsewhere / "letter.txt").read_text() == "keep me"
    assert (trash / "build-1-link").is_symlink()
    assert {p.name for p in (trash / kept[0]).iterdir()} >= {"old-site", "old-dist"}
    assert (bookshelf / "site" / "index.html").is_file()
    assert os.listdir(bookshelf / ".build").count("lock") == 1
