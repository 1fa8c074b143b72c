"""The processes a build runs beside itself (builder.common.beside): the share cards and the
workbook with the database. Blind to a package's own modules, and gone with a build killed outright."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from builder.cli import cli
from builder.site import ogimage

PAYLOAD = "import pathlib; pathlib.Path(__file__).with_name('ran').write_text('x')\n"


def test_a_package_cannot_put_its_own_modules_into_the_build_s_processes(bookshelf, monkeypatch):
    """Built from inside the package's folder (`--root .`), neither process imports anything the
    package ships: a `yaml.py`, `xlsxwriter.py`, `PIL/` or `polars/` beside datapackage.json is never run."""
    for module in ("yaml", "xlsxwriter"):
        (bookshelf / f"{module}.py").write_text(PAYLOAD)
    for package in ("PIL", "polars"):
        (bookshelf / package).mkdir()
        (bookshelf / package / "__init__.py").write_text(PAYLOAD)
    monkeypatch.chdir(bookshelf)
    result = CliRunner().invoke(cli, ["build", "--root", ".", "--quiet"])
    assert result.exit_code == 0, result.output
    assert not (bookshelf / "ran").exists() and not (bookshelf / "PIL" / "ran").exists()
    assert not (bookshelf / "polars" / "ran").exists()
    assert (bookshelf / "site" / ogimage.FOLDER / "home.png").is_file()
    assert any((bookshelf / "dist").glob("*.xlsx")) and any((bookshelf / "dist").glob("*.sqlite"))


# Each starts work that takes many seconds (a million cells; 3,000 cards), prints the process's id
# and ends at once, as a build killed outright does.
STARTS = {
    "workbook": """
import polars as pl
from test_bundle import exported
from builder.outputs import bundle, export
downloads, tables = exported(Path(package), out / "dist")
frame = pl.DataFrame({"id": range(500_000), "text": [f"row {n}" for n in range(500_000)]})
big = export.Table("big", "Big", "", {"fields": [{"name": "id", "type": "integer"}, {"name": "text"}]}, frame, False)
process = bundle.Bundle(downloads, [big], out / "bundle")
""",
    "cards": """
from builder.site import ogimage
cards = {f"p{n}.md": ogimage.Card(f"c{n}.png", f"Title {n}", "") for n in range(3000)}
process = ogimage.Drawing("Site", cards, out / "cards")
""",
}


@pytest.mark.parametrize("kind", sorted(STARTS))
def test_a_process_stops_when_its_build_is_killed(kind, bookshelf, tmp_path):
    """A build killed outright (no clean-up) leaves no process writing into its staging folder: the
    process ends without finishing its work."""
    script = (
        f"import os, sys\nsys.path.insert(0, {str(ROOT / 'tests')!r})\nfrom pathlib import Path\n"
        f"package, out = {str(bookshelf)!r}, Path({str(tmp_path)!r})\n"
        + STARTS[kind]
        + "print(process.beside.pid, flush=True)\nos._exit(0)\n"
    )
    parent = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert parent.returncode == 0, parent.stderr
    child = int(parent.stdout.split()[-1])
    deadline = time.monotonic() + 60
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child)
    if kind == "workbook":
        assert not list((tmp_path / "dist").glob("*.xlsx"))  # stopped, not finished
    else:
        assert len(list((tmp_path / "cards").rglob("*.png"))) < 3000


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent's wait is missing
