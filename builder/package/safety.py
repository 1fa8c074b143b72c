"""What a package may not do: the checks that keep a hostile or careless package harmless.

They run before anything else reads the package (frictionless included), so a package that
fails them is never read further: no file outside the root is opened, no remote address is
resolved, and no name or id can become a path outside the output folders or a page that
overwrites another. Cell checks (control characters, ids that make clashing pages, values that
no download can hold) run on the typed tables, before rules, views and exports see them.

This module checks the descriptor as a whole; builder.package.safety_resource checks each resource,
safety_cells the typed tables and safety_site the package's mkdocs.yml, docs/ and the site's address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from builder.common.errors import Problem
from builder.package import story as stories
from builder.package.csvreader import CONTROL_RE
from builder.package.safety_resource import REMOTE, check_resource, problem

# Names of profiles frictionless knows without fetching anything.
KNOWN_PROFILES = {"data-package", "tabular-data-package", "data-resource", "tabular-data-resource"}
# The standard's own profile addresses (Data Package v2 `$schema`): frictionless recognises them
# by their form and never fetches them.
STANDARD_PROFILE = re.compile(r"^https://datapackage\.org/profiles/\d+\.\d+/[a-z-]+\.json$")
SURROGATE_RE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 32
PACKAGE_OPTIONS = {"story", "release_notes", "repository"}


def check_descriptor(descriptor: dict, root: Path) -> list[Problem]:
    """Everything about the descriptor's shape that must hold before it is handed to frictionless."""
    depth = _depth(descriptor)
    if depth > MAX_DEPTH:
        return [problem(f"datapackage.json nests {depth} levels deep.", f"Keep the descriptor under {MAX_DEPTH} levels.")]
    problems = list(_text_problems(descriptor))
    if problems:
        return problems
    resources = descriptor.get("resources")
    if not isinstance(resources, list) or not resources:
        shape = (
            "an empty list" if resources == [] else "missing" if resources is None else f"{type(resources).__name__}, not a list"
        )
        return [problem(f"`resources` is {shape}.", "Add a `resources` array with one object per CSV.")]
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            problems.append(
                problem(
                    f"Resource #{index + 1} is {type(resource).__name__}, not an object.",
                    "Write each resource as an object with a name, a path and a schema.",
                )
            )
    if problems:
        return problems
    problems += _package_options(descriptor)
    problems += _remote_references(descriptor)
    names = []
    for index, resource in enumerate(resources):
        problems += list(check_resource(resource, index, root))
        names.append(resource.get("name"))
    problems += _name_clashes(descriptor, [n for n in names if isinstance(n, str)])
    return problems


def _depth(value, level: int = 1) -> int:
    """How deeply the descriptor nests (stops counting past the limit)."""
    if level > MAX_DEPTH:
        return level
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max((_depth(child, level + 1) for child in children), default=level)


def _strings(value, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _strings(key, where)
            yield from _strings(child, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _strings(child, f"{where}[{index}]")


def _text_problems(descriptor: dict) -> Iterator[Problem]:
    """No lone surrogate (unencodable) and no control character anywhere in the descriptor."""
    for where, text in _strings(descriptor):
        if SURROGATE_RE.search(text):
            yield problem(
                f"`{where}` holds a lone surrogate escape (\\ud800–\\udfff), which no file can store.",
                "Write the character itself, or a valid pair of \\u escapes.",
            )
        elif CONTROL_RE.search(text):
            char = CONTROL_RE.search(text).group()
            yield problem(
                f"`{where}` holds the control character U+{ord(char):04X}.",
                "Remove it (it is often left by copying from a PDF or by a Latin-1 round trip).",
                kind="control-character",
            )


def _package_options(descriptor: dict) -> list[Problem]:
    problems = []
    ledger = descriptor.get("ledger", {})
    if not isinstance(ledger, dict):
        problems.append(problem("`ledger` must be an object.", 'Write `"ledger": {"story": "llama"}`, or remove it.'))
    elif unknown := sorted(set(ledger) - PACKAGE_OPTIONS, key=str):
        problems += [
            problem(
                f"`ledger.{option}` is not an option the builder knows.",
                f"Use {', '.join(f'`{o}`' for o in sorted(PACKAGE_OPTIONS))}, or remove it.",
            )
            for option in unknown
        ]
    repository = ledger.get("repository") if isinstance(ledger, dict) else None
    if repository is not None and not (isinstance(repository, str) and re.fullmatch(r"https://[^\s\"'<>]+", repository)):
        problems.append(
            problem(
                "`ledger.repository` must be the https address of the package's repository.",
                "Write e.g. https://github.com/owner/name.",
            )
        )
    if isinstance(ledger, dict) and ledger.get("story") is not None and ledger["story"] not in stories.KNOWN:
        problems.append(
            problem(
                f"datapackage.json names an unknown story {ledger['story']!r}.",
                f"Use one of: {', '.join(sorted(stories.KNOWN))}, or remove `ledger.story` to publish with generic pages only.",
            )
        )
    for label in ("title", "description"):  # a missing one is a warning with a default (builder.package.lenient)
        if descriptor.get(label) is not None and not isinstance(descriptor[label], str):
            problems.append(problem(f"The package's {label} is not text.", f"Write the `{label}` as text.", label))
    version = descriptor.get("version")
    if version is not None and not (isinstance(version, str) and re.fullmatch(r"\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?", version)):
        problems.append(
            problem(f"`version` {version!r} is not a semantic version.", "Write it as MAJOR.MINOR.PATCH, e.g. 0.2.0.", "version")
        )
    name = descriptor.get("name")
    if name is not None and not (isinstance(name, str) and re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", name)):
        problems.append(
            problem(
                f"The package `name` {name!r} is not a safe file name.",
                "Use lowercase letters, digits, dots, hyphens and underscores (it names the downloads).",
                "name",
            )
        )
    return problems


def _remote_references(descriptor: dict) -> list[Problem]:
    """The builder never fetches anything: a remote profile, path, schema or dialect is refused."""
    problems = []
    places = [("profile", descriptor.get("profile")), ("$schema", descriptor.get("$schema"))]
    for resource in descriptor["resources"]:
        name = resource.get("name", "?")
        for key in ("profile", "$schema", "path", "schema", "dialect"):
            places.append((f"resources[{name}].{key}", resource.get(key)))
        schema = resource.get("schema")
        for key in ("profile", "$schema") if isinstance(schema, dict) else ():  # a Table Schema's own profile
            places.append((f"resources[{name}].schema.{key}", schema.get(key)))
    for where, value in places:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and item not in KNOWN_PROFILES and REMOTE.match(item) and not _standard(where, item):
                problems.append(
                    problem(
                        f"`{where}` is a remote address ({item}); the builder never reads from the network.",
                        "Store the file in the package and give its relative path, or use a built-in profile name.",
                        kind="remote-reference",
                    )
                )
    return problems


def _standard(where: str, item: str) -> bool:
    return where.endswith(("profile", "$schema")) and STANDARD_PROFILE.match(item) is not None


def _name_clashes(descriptor: dict, names: list[str]) -> list[Problem]:
    problems = []
    seen = set()
    for name in names:
        folded = name.casefold()
        if folded in seen:
            problems.append(problem(f"Two resources are named `{name}`.", "Give every resource its own name."))
        seen.add(folded)
    story = stories.for_package(descriptor) if _story_known(descriptor) else None
    if story is not None:
        taken = set(getattr(story, "VIEWS", ())) | {path.split("/")[0].removesuffix(".md") for path in story.PAGES}
        for name in names:
            if name in taken and name not in getattr(story, "REQUIRES", {}):
                problems.append(
                    problem(
                        f"Resource `{name}` has the name of one of the story's own pages or views.",
                        "Rename the resource.",
                    )
                )
        for table, columns in getattr(story, "REQUIRES", {}).items():
            resource = next((r for r in descriptor["resources"] if r.get("name") == table), None)
            if resource is None:
                problems.append(
                    problem(
                        f"The {descriptor['ledger']['story']} story needs a resource `{table}`.",
                        "Add it, or remove `ledger.story` to publish with generic pages only.",
                    )
                )
                continue
            have = {f.get("name") for f in (resource.get("schema") or {}).get("fields", []) if isinstance(f, dict)}
            for column in columns:
                if column not in have:
                    problems.append(
                        problem(
                            f"The {descriptor['ledger']['story']} story needs field `{column}` in resource `{table}`.",
                            "Add the field, or remove `ledger.story`.",
                            column,
                        )
                    )
    return problems


def _story_known(descriptor: dict) -> bool:
    ledger = descriptor.get("ledger")
    return isinstance(ledger, dict) and ledger.get("story") in stories.KNOWN
