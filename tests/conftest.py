import os
import shutil
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
    """A fresh copy of the real Llama Ledger package (descriptor, seeds and docs)."""
    target = tmp_path / "ledger"
    target.mkdir()
    for name in ("datapackage.json", "mkdocs.yml", "CITATION.cff", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, target / name)
    for folder in ("seeds", "docs"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, target / folder)
    return target


# Builds in tests are stamped like `make build` stamps them: one fixed time for the whole session.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
