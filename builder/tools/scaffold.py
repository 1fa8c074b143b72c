"""`builder init`: turn a folder of CSVs into a package the builder publishes.

survey() reads everything and refuses bad input before anything is written; write() then writes
datapackage.json, mkdocs.yml, a Makefile, a CI workflow and a .gitignore (never replacing an
existing one, except datapackage.json with --force).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from builder.common.errors import BuilderError
from builder.package import load
from builder.tools import infer

TEMPLATES = Path(__file__).parent / "templates"  # the files `builder init` writes
SITE_CONFIG = Path(__file__).parent.parent / "site" / "templates" / "mkdocs.yml"  # the builder's default site
DISTRIBUTION = "ledger-builder"
VERSION = "0.1.0"

# SPDX ids of the usual open-data licences: title and address for the descriptor.
LICENCES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODC-By-1.0": ("Open Data Commons Attribution 1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": ("Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "PDDL-1.0": ("Open Data Commons Public Domain Dedication 1.0", "https://opendatacommons.org/licenses/pddl/1-0/"),
}
DEFAULT_LICENCE = "CC-BY-4.0"

TYPE_WORDS = {
    "integer": "A whole number.",
    "number": "A number.",
    "boolean": "true or false.",
    "date": "A date (YYYY-MM-DD).",
    "datetime": "A date and time.",
    "time": "A time of day.",
    "year": "A year.",
    "string": "Text.",
}

# What `init` writes besides datapackage.json: the file in the package, and its template.
SUPPORT_FILES = {
    "mkdocs.yml": None,  # made from the builder's default site configuration
    "Makefile": "Makefile",
    ".github/workflows/publish.yml": "publish.yml",
    ".gitignore": "gitignore",
}


@dataclass
class Survey:
    root: Path
    tables: list[infer.Table]
    skipped: list[str] = field(default_factory=list)


def survey(root: Path, force: bool = False) -> Survey:
    """Every CSV read and its keys proposed; BuilderError (one line) on anything init cannot use."""
    if load.DESCRIPTOR_FILE in {p.name for p in root.iterdir()} and not force:
        raise BuilderError(f"{load.DESCRIPTOR_FILE} exists already; run with --force to replace it.")
    files, skipped = infer.csv_files(root)
    if not files:
        raise BuilderError("no CSV files in this folder (hidden folders, dist/ and site/ are not read).")
    taken: set[str] = set()
    tables = [infer.read_table(root, path, infer.resource_name(path.stem, taken)) for path in files]
    for table in tables:
        infer.propose_key(table)
    infer.propose_foreign_keys(tables)
    return Survey(root, tables, skipped)


def default_title(root: Path) -> str:
    words = re.sub(r"[_\-.\s]+", " ", root.resolve().name).strip()
    return words[:1].upper() + words[1:] if words else "Data package"


def default_description(found: Survey) -> str:
    names = ", ".join(table.name for table in found.tables)
    return f"{len(found.tables)} table{'s' if len(found.tables) != 1 else ''}: {names}."


def package_name(title: str) -> str:
    """The package's name (it names the downloads): the title as a lowercase ASCII slug, `Crème` -> creme."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9._-]+", "-", ascii_text.lower()).strip("-._")[:100].strip("-._")
    return slug or "data-package"


def licence_entry(licence: str) -> dict:
    known = {key.casefold(): key for key in LICENCES}
    spdx = known.get(licence.strip().casefold())
    if spdx is None:
        return {"name": licence.strip(), "title": licence.strip()}
    title, path = LICENCES[spdx]
    return {"name": spdx, "title": title, "path": path}


def descriptor(found: Survey, title: str, description: str, licence: str) -> dict:
    """The package, in the order a reader expects: what it is, then its tables."""
    return {
        "name": package_name(title),
        "title": title,
        "description": description,
        "version": VERSION,
        "licenses": [licence_entry(licence)],
        "resources": [resource(table) for table in found.tables],
    }


def resource(table: infer.Table) -> dict:
    refers = {fk["fields"][0]: fk["reference"]["resource"] for fk in table.foreign}
    fields = []
    for spec in table.fields:
        name = spec["name"]
        words = [TYPE_WORDS[spec["type"]]]
        if table.key == [name]:
            words.append("Identifies a row of this table.")
        if name in refers:
            words.append(f"Refers to a row of {refers[name]}.")
        fields.append({"name": name, "type": spec["type"], "title": title_of(name), "description": " ".join(words)})
    schema: dict = {"fields": fields}
    if table.key:
        schema["primaryKey"] = list(table.key)
    if table.foreign:
        schema["foreignKeys"] = table.foreign
    entry = {
        "name": table.name,
        "path": table.path,
        "profile": "tabular-data-resource",
        "title": title_of(Path(table.path).stem),
        "description": f"The table in {table.path}.",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
    }
    if table.dialect:
        entry["dialect"] = table.dialect
    entry["schema"] = schema
    return entry


def title_of(name: str) -> str:
    words = " ".join(re.sub(r"[_\-.]+", " ", name).split())
    return words[:1].upper() + words[1:] if words else name


def install_spec() -> str:
    """What the Makefile installs: the git commit or web address this builder came from (PEP 610),
    else this version from an index. A local file or folder is no address CI can reach."""
    try:
        installed = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source folder that was never installed
        return DISTRIBUTION
    try:
        origin = json.loads(installed.read_text("direct_url.json") or "null")
    except json.JSONDecodeError:
        origin = None
    url = (origin or {}).get("url", "")
    if url.startswith("https://"):
        vcs = origin.get("vcs_info")
        if vcs and vcs.get("vcs") == "git":
            return f"{DISTRIBUTION} @ git+{url}@{vcs.get('commit_id', '')}".rstrip("@")
        if "archive_info" in origin:
            return f"{DISTRIBUTION} @ {url}"
    return f"{DISTRIBUTION}=={installed.version}"


def site_config(title: str) -> str:
    """The builder's default site configuration, named after the package: the place to change the site."""
    default = SITE_CONFIG.read_text(encoding="utf-8").split("\n", 1)[1]
    import yaml  # here, not above: every command imports this module, only `init` writes YAML

    name = yaml.safe_dump({"site_name": title}, allow_unicode=True, width=10_000)
    return f"# The site's configuration (written by `builder init`; the builder's README says what it may set).\n{name}{default}"


def write(found: Survey, package: dict) -> tuple[list[str], list[str]]:
    """Write the package's files; returns (written, kept) as paths relative to the folder."""
    contents = {load.DESCRIPTOR_FILE: json.dumps(package, indent=2, ensure_ascii=False) + "\n"}
    kept = []
    for relative, template in SUPPORT_FILES.items():
        if (found.root / relative).exists() or (found.root / relative).is_symlink():
            kept.append(relative)
        elif template is None:
            contents[relative] = site_config(package["title"])
        else:
            text = (TEMPLATES / template).read_text(encoding="utf-8")
            contents[relative] = text.replace("@INSTALL@", install_spec().replace("#", "\\#"))  # `#` starts a Make comment
    for relative, text in contents.items():  # every text made first: a failure above writes nothing
        target = found.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(contents), kept


def left_to_decide(found: Survey) -> list[str]:
    """What init could not propose: said after writing, and by `builder validate`."""
    lines = []
    for table in found.tables:
        if not table.key:
            lines.append(
                f"{table.path}: no column (nor two or three together) is full and unique;"
                f" set `schema.primaryKey` of `{table.name}` to the column(s) that identify a row."
            )
    if install_spec().startswith(f"{DISTRIBUTION}=="):
        lines.append(
            f"Makefile: INSTALL is {install_spec()}; if CI cannot install that, set it to the address you installed"
            " builder from (e.g. git+https://github.com/owner/repository)."
        )
    return lines
