"""Unpack frictionless-py's own fixture packages for the conformance test (issue 22).

They are not kept in this repository: they come from the frictionless release we pin, as published
on PyPI (its source distribution holds the repository's `data/` folder and LICENSE.md), checked
against a recorded sha256. Each fixture package lands in a folder of its own as `datapackage.json`
with the files it names (no remote ones, nothing outside `data/`), and the licence beside them.

    python scripts/frictionless_fixtures.py OUT
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from pathlib import Path, PurePosixPath

VERSION = "5.21.0"  # the pin in pyproject.toml
SDIST = f"frictionless-{VERSION}.tar.gz"
SHA256 = "4d9848570bc682943375824a4be7633e8bbdeff228affee763cab346e48000b4"
INDEX = "https://pypi.org/simple/frictionless/"
# data/<name>.package.json, data/<name>.datapackage.json and data/<name>/datapackage.json
PACKAGE = re.compile(r"data/(?:(?P<file>[^/]+)\.(?:data)?package\.json|(?P<folder>[^/]+)/datapackage\.json)")


def download() -> bytes:
    """The sdist's bytes, found through PyPI's JSON simple index and checked against SHA256."""
    ask = urllib.request.Request(INDEX, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(ask, timeout=60) as answer:
        files = json.load(answer)["files"]
    (url,) = [entry["url"] for entry in files if entry["filename"] == SDIST]
    with urllib.request.urlopen(url, timeout=300) as answer:
        data = answer.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SystemExit(f"{SDIST}: sha256 {digest}, expected {SHA256}; not unpacked")
    return data


def unpack(data: bytes, out: Path) -> list[str]:
    """Write every fixture package under OUT; return their names."""
    top = f"frictionless-{VERSION}/"
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        members = {m.name.removeprefix(top): m for m in archive.getmembers() if m.isfile()}

        def read(name: str) -> bytes:
            return archive.extractfile(members[name]).read()

        out.mkdir(parents=True, exist_ok=True)
        (out / "LICENSE").write_bytes(read("LICENSE.md"))
        names = []
        for member in sorted(members):
            match = PACKAGE.fullmatch(member)
            if not match:
                continue
            name = match["file"] or match["folder"]
            base = PurePosixPath(member).parent
            descriptor = read(member)
            folder = out / name
            folder.mkdir(exist_ok=True)
            (folder / "datapackage.json").write_bytes(descriptor)
            for ref in references(json.loads(descriptor)):
                source = str(base / ref)
                if source in members:
                    (folder / ref).parent.mkdir(parents=True, exist_ok=True)
                    (folder / ref).write_bytes(read(source))
            names.append(name)
    return names


def references(descriptor: dict) -> list[str]:
    """Local files a package names: resource paths (one or many), schema and dialect files."""
    found = []
    for resource in descriptor.get("resources", []) if isinstance(descriptor, dict) else []:
        if not isinstance(resource, dict):
            continue
        path = resource.get("path")
        found += path if isinstance(path, list) else [path]
        found += [resource.get("schema"), resource.get("dialect")]
    return [
        ref
        for ref in found
        if isinstance(ref, str) and not re.match(r"^[a-z]+:", ref) and ".." not in PurePosixPath(ref).parts
        and not ref.startswith("/")
    ]  # fmt: skip


if __name__ == "__main__":
    target = Path(sys.argv[1])
    print(f"{len(unpack(download(), target))} fixture packages in {target}")
