"""`builder` as a tool: its wheel holds every file it reads, and installed into a fresh virtualenv it
runs `init`, `validate` and `build` on a folder outside this repository.

The fresh install takes a minute or two (marked `install`); CI (.ci/run) makes the virtualenv once with
scripts/installed.py and names it in $INSTALLED_BUILDER_VENV, which these tests then use."""

import importlib.util
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from test_init import FLAGS, SHELF, write

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("installed", ROOT / "scripts" / "installed.py")
installed = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(installed)

pytestmark = pytest.mark.install


@pytest.fixture(scope="module")
def venv_bin(tmp_path_factory) -> Path:
    given = os.environ.get("INSTALLED_BUILDER_VENV")
    if given:
        return Path(given) / "bin"
    return installed.fresh_venv(tmp_path_factory.mktemp("fresh") / "venv")


def test_the_wheel_holds_every_file_the_builder_reads(tmp_path):
    wheel = installed.build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(info).decode()
    sources = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "builder").rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }
    assert sources - names == set()  # templates, assets and the story's templates included
    assert "builder = builder.command:main" in entry_points
    assert wheel.name.startswith("ledger_builder-")


def test_installed_builder_inits_validates_and_builds_outside_the_repository(venv_bin, tmp_path):
    folder = write(tmp_path / "shelf", SHELF)
    assert not folder.resolve().is_relative_to(ROOT)
    where = installed.run([str(venv_bin / "python"), "-c", "import builder; print(builder.__file__)"], cwd=folder).stdout
    assert Path(where.strip()).is_relative_to(venv_bin.parent) and not Path(where.strip()).is_relative_to(ROOT)
    builder = str(venv_bin / "builder")
    installed.run([builder, "init", *FLAGS], cwd=folder)
    assert installed.run([builder, "validate"], cwd=folder).stdout == "The package reading-list is valid.\n"
    installed.run([builder, "build", "--quiet"], cwd=folder)
    assert installed.incomplete(folder) == []
    # the Makefile init wrote runs the same builder
    made = subprocess.run(["make", "validate", f"BUILDER={builder}"], cwd=folder, capture_output=True, text=True)
    assert made.returncode == 0 and "The package reading-list is valid." in made.stdout, made.stdout + made.stderr


def test_installed_builder_builds_the_bookshelf_from_a_copy(venv_bin, tmp_path):
    assert installed.build_copy(venv_bin, ROOT / "tests" / "fixtures" / "bookshelf", tmp_path) == []


def test_incomplete_names_what_a_build_lacks(tmp_path, bookshelf):
    from click.testing import CliRunner

    from builder.cli import cli

    assert CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"]).exit_code == 0
    assert installed.incomplete(bookshelf) == []
    (bookshelf / "dist" / "data" / "books.parquet").unlink()
    (bookshelf / "site" / "data" / "authors" / "index.html").unlink()
    assert installed.incomplete(bookshelf) == [
        "dist/data/books.parquet",
        "dist/data/books.parquet as SHA256SUMS says",
        "site/data/authors/index.html",
    ]
