import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOKSHELF = Path(__file__).resolve().parent / "fixtures" / "bookshelf"


@pytest.fixture
def bookshelf(tmp_path: Path) -> Path:
    """A fresh copy of the small second package, safe to break."""
    target = tmp_path / "bookshelf"
    shutil.copytree(BOOKSHELF, target)
    return target


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """A fresh copy of the real Llama Ledger package, safe to break."""
    return copy_package(ROOT, tmp_path / "ledger")


# Builds in tests are stamped like `make build` stamps them: one fixed time for the whole session.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


def copy_package(source: Path, target: Path) -> Path:
    """The package's own files (descriptor, seeds, docs, site config), none of its outputs."""
    target.mkdir(parents=True)
    for name in ("datapackage.json", "mkdocs.yml"):
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    for folder in ("seeds", "docs", "data"):
        if (source / folder).exists():
            shutil.copytree(source / folder, target / folder)
    return target


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """The real package, built once for the session: dist/ and site/."""
    from click.testing import CliRunner

    from builder.cli import cli

    root = copy_package(ROOT, tmp_path_factory.mktemp("built") / "ledger")
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    return root


def run_git(root: Path, *args: str, when: int = 0) -> str:
    """git in a throwaway repository: no system or user config, a fixed author and commit time."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(root),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_AUTHOR_DATE": f"{when} +0000",
        "GIT_COMMITTER_DATE": f"{when} +0000",
    }
    return subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, text=True).stdout.strip()


def descriptor(root: Path) -> dict:
    """A package's datapackage.json, to edit in a test."""
    return json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def save(root: Path, data: dict) -> None:
    (root / "datapackage.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def write_seed_rows(path: Path, rows: list[dict]) -> None:
    """Seed rows (dicts, all with the first row's columns) written back as the package's CSV."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def resource(data: dict, name: str) -> dict:
    return next(r for r in data["resources"] if r["name"] == name)


def page_height(tab) -> int:
    """How tall the page open in a Playwright tab is, in CSS pixels (what a reader scrolls through)."""
    return tab.evaluate("document.documentElement.scrollHeight")


def without_a_precision(views_of):
    """The story's views (`views_of`) with author_retention's `month_precision` dropped: a view
    date without its precision, which validation must report."""

    def views(tables):
        found = views_of(tables)
        for view in found:
            if view.name == "author_retention":
                view.frame = view.frame.drop("month_precision")
                del view.fields["month_precision"]
        return found

    return views
