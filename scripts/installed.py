"""The builder as a stranger gets it: a wheel, a fresh virtualenv, a package folder outside this repository.

    python scripts/installed.py venv DEST            # build the wheel from a clean copy, install it into DEST
    python scripts/installed.py build VENV PACKAGE   # copy PACKAGE to a temporary folder, validate and build it
                                                     # there with VENV's builder, check the site and downloads

CI (.ci/run) builds tests/fixtures/bookshelf this way; tests/test_install.py uses the same functions.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "builder")  # what the wheel is built from, and nothing else


def build_wheel(out: Path) -> Path:
    """The wheel, built from a copy of the sources: nothing is written into the repository (build/, egg-info)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "source"
        source.mkdir()
        for name in SOURCES:
            if (REPOSITORY / name).is_dir():
                shutil.copytree(REPOSITORY / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(REPOSITORY / name, source / name)
        run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)])
    return next(out.glob("ledger_builder-*.whl"))


def fresh_venv(dest: Path) -> Path:
    """A new virtualenv at `dest` holding only the wheel and its pinned dependencies; returns its bin folder."""
    wheel = build_wheel(dest.parent / f"{dest.name}-wheel")
    run([sys.executable, "-m", "venv", str(dest)])
    pins = ["--constraint", str(REPOSITORY / "constraints.txt")]
    run([str(dest / "bin" / "python"), "-m", "pip", "install", "--quiet", *pins, str(wheel)])
    return dest / "bin"


def clean_env() -> dict[str, str]:
    """The environment without this repository's Python path: the installed builder must stand alone."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=clean_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def incomplete(folder: Path) -> list[str]:
    """What a built package lacks: every table in CSV, JSON and Parquet, the workbook, database and zip,
    SHA256SUMS true to the files, the same downloads on the site, and a page for every table."""
    dist, site = folder / "dist", folder / "site"
    if not (dist / "datapackage.json").is_file():
        return ["dist/datapackage.json"]
    published = json.loads((dist / "datapackage.json").read_text(encoding="utf-8"))
    stem = f"{published['name']}-{published['version']}" if published.get("version") else published["name"]
    wanted = [f"{stem}.sqlite", f"{stem}.xlsx", f"{stem}.zip", "datapackage.json", "SHA256SUMS"]
    source = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in published["resources"]:
        wanted += [f"data/{resource['name']}.{suffix}" for suffix in ("csv", "json", "parquet")]
    missing = [f"dist/{name}" for name in wanted if not (dist / name).is_file()]
    for line in (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines() if (dist / "SHA256SUMS").is_file() else []:
        digest, name = line.split("  ", 1)
        if not (dist / name).is_file() or hashlib.sha256((dist / name).read_bytes()).hexdigest() != digest:
            missing.append(f"dist/{name} as SHA256SUMS says")
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        relative = path.relative_to(dist).as_posix()
        copy = site / "downloads" / relative
        if not copy.is_file() or copy.read_bytes() != path.read_bytes():
            missing.append(f"site/downloads/{relative}")
    pages = ["index.html", "404.html", "sitemap.xml", "data/index.html"]
    pages += [f"data/{resource['name']}/index.html" for resource in source["resources"]]
    missing += [f"site/{page}" for page in pages if not (site / page).is_file()]
    return missing


def build_copy(bin_folder: Path, package: Path, scratch: Path) -> list[str]:
    """Copy the package outside this repository, validate and build it with the installed builder."""
    folder = scratch / package.name
    shutil.copytree(package, folder, ignore=shutil.ignore_patterns("site", "dist", ".build"))
    builder = str(bin_folder / "builder")
    run([builder, "validate"], cwd=folder)
    run([builder, "build", "--quiet"], cwd=folder)
    return incomplete(folder)


def main(argv: list[str]) -> int:
    started = time.monotonic()
    if argv[:1] == ["venv"] and len(argv) == 2:
        bin_folder = fresh_venv(Path(argv[1]).resolve())
        # run from the virtualenv, not from here: `python -c` would import this repository's builder/ first
        where = run([str(bin_folder / "python"), "-c", "import builder; print(builder.__file__)"], cwd=bin_folder).stdout.strip()
        if not Path(where).is_relative_to(bin_folder.parent):
            raise SystemExit(f"the installed builder is not the wheel's: {where}")
        print(f"installed builder into {argv[1]} ({where}) in {time.monotonic() - started:.0f} s")
        return 0
    if argv[:1] == ["build"] and len(argv) == 3:
        with tempfile.TemporaryDirectory() as scratch:
            missing = build_copy(Path(argv[1]).resolve() / "bin", Path(argv[2]).resolve(), Path(scratch))
        for item in missing:
            print(f"missing: {item}", file=sys.stderr)
        verdict = "INCOMPLETE" if missing else "complete"
        print(f"built {argv[2]} outside the repository in {time.monotonic() - started:.0f} s: {verdict}")
        return 1 if missing else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
