"""How to cite the package, from its descriptor alone (one source of truth): CITATION.cff."""

from __future__ import annotations

import json


def _q(value) -> str:
    """A YAML scalar: JSON strings are valid YAML and need no further escaping rules."""
    return json.dumps(str(value), ensure_ascii=False)


def authors(descriptor: dict) -> list[str]:
    names = [c.get("title") for c in descriptor.get("contributors", []) if c.get("role", "author") == "author" and c.get("title")]
    return names or [f"{descriptor.get('title') or descriptor.get('name')} editors"]


def citation_cff(descriptor: dict) -> str:
    """CITATION.cff (Citation File Format 1.2.0) for the data package, field by field from datapackage.json."""
    lines = [
        "# Made from datapackage.json by `make citation`; a test checks that they agree.",
        "cff-version: 1.2.0",
        f"message: {_q('If you use this data, please cite it as below.')}",
        f"title: {_q(descriptor.get('title') or descriptor.get('name'))}",
    ]
    if descriptor.get("description"):
        lines.append(f"abstract: {_q(descriptor['description'])}")
    lines.append("type: dataset")
    if descriptor.get("version"):
        lines.append(f"version: {_q(descriptor['version'])}")
    licences = [licence.get("name") for licence in descriptor.get("licenses", []) if licence.get("name")]
    if licences:
        lines.append(f"license: {_q(licences[0])}")
    homepage = descriptor.get("homepage")
    if isinstance(homepage, str) and homepage.startswith(("https://", "http://")):
        lines.append(f"repository-code: {_q(homepage)}")
    lines.append("authors:")
    lines += [f"  - name: {_q(name)}" for name in authors(descriptor)]
    if descriptor.get("keywords"):
        lines.append("keywords:")
        lines += [f"  - {_q(keyword)}" for keyword in descriptor["keywords"]]
    return "\n".join(lines) + "\n"
