"""How to cite the package, from its descriptor alone (one source of truth): CITATION.cff."""

from __future__ import annotations

import json
import re


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


# ---------------------------------------------------------------- BibTeX and the line to quote on a page

# LaTeX's special characters as text. Braces and backslashes become commands with balanced braces of
# their own, so no value can close its field early (BibTeX counts `\{` as a brace) and add fields.
LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
SPECIAL = re.compile("[" + re.escape("".join(LATEX)) + "]")
ENDS_SENTENCE = (".", "?", "!", "…")


CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SPACES = re.compile(r"\s+")


def one_line(text) -> str:
    """Text on one line: line breaks and other control characters read as a space."""
    return SPACES.sub(" ", CONTROL.sub(" ", str(text))).strip()


def latex(text) -> str:
    return SPECIAL.sub(lambda m: LATEX[m.group()], one_line(text))


def protected(title) -> str:
    """A title for BibTeX: every word holding a capital is braced (`{LLaMA}`, `{Meta}`), so a style that
    sets titles in sentence case keeps names and acronyms as written."""
    words = []
    for word in one_line(title).split(" "):
        text = latex(word)
        words.append(
            f"{{{{{text}}}}}"
            if text.startswith("\\") and re.search("[A-Z]", word)
            else f"{{{text}}}"
            if re.search("[A-Z]", word)
            else text
        )
    return " ".join(words)


def url_text(url: str) -> str:
    """A URL as BibTeX's `url` field takes it (verbatim): characters that could end the field are %-escaped."""
    return "".join(f"%{ord(c):02X}" if c in '{}\\%" ' or ord(c) < 0x20 else c for c in one_line(url))


def bibtex(key: str, *, author: str, title: str, container: str, version: str, year: int, url: str, page: str) -> str:
    """A @misc entry naming the version; `url` reaches that version's data, `page` is the page cited."""
    fields = [
        ("author", "{" + latex(author) + "}"),  # one name, braced whole: a group, not "Last, First"
        ("title", protected(title)),
        ("howpublished", f"{protected(container)}, version {latex(version)}"),
        ("version", latex(version)),
        ("year", latex(year)),
        ("url", url_text(url)),
        ("note", f"Data of version {latex(version)}; page: {latex(page)}"),
    ]
    safe_key = re.sub(r"[^A-Za-z0-9_:-]", "_", key) or "ledger"
    return f"@misc{{{safe_key},\n" + ",\n".join(f"  {name} = {{{value}}}" for name, value in fields) + "\n}"


def sentence(text: str) -> str:
    """`text` ending in one full stop: no second one after its own."""
    text = one_line(text)
    return text if text.endswith(ENDS_SENTENCE) else text + "."


def citation_text(*, author: str, title: str, container: str, version: str, year: int, url: str, page: str) -> str:
    """The plain citation shown above the BibTeX: author, year, title, version, the data's address and the page's."""
    quoted = f"“{one_line(title)}”" if one_line(title).endswith(ENDS_SENTENCE) else f"“{one_line(title)}.”"
    return " ".join(
        [
            sentence(f"{one_line(author)} ({year})"),
            quoted,
            sentence(f"In {one_line(container)}, version {one_line(version)}"),
            sentence(f"Data: {one_line(url)}"),
            f"Page: {one_line(page)}",
        ]
    )


def version_zip(published: dict, ledger) -> str | None:
    """The zip of the version cited, under downloads/: the release's own when that version is a release
    (fixed bytes, named as it was written), else this build's."""
    version = published.get("version")
    for entry in ledger.entries if ledger is not None and ledger.available else []:
        if entry.release and entry.release.version == version and entry.downloads:
            return entry.zip_path(published.get("name", "package"))
    zips = [d["path"] for d in published.get("downloads", []) if isinstance(d, dict) and d.get("format") == "zip"]
    return zips[0] if zips else None
