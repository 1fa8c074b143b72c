"""Issue 16, "code execution and secrets": nothing executable is loaded from the package folder,
no internal path or library message is published, names from the descriptor are safe where they
land, no repository file is published, the site address holds no secret, and every command that
reads a package goes through the same safety checks. Every test goes through the CLI."""

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli
from builder.paths import machine_key


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--root", str(root)])


def descriptor(root: Path) -> dict:
    return json.loads((root / "datapackage.json").read_text(encoding="utf-8"))


def save(root: Path, data: dict) -> None:
    (root / "datapackage.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def resource(data: dict, name: str) -> dict:
    return next(r for r in data["resources"] if r["name"] == name)


def build_ok(root: Path, *args: str) -> None:
    result = run(root, "build", "--quiet", *args)
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- 1: no executable cache in the package


def poisoned_template_cache(folder: Path, marker: Path) -> int:
    """Jinja bytecode for every Material template, under the names and checksums Jinja's file cache
    looks for: loading any of them writes `marker`. Returns how many were written."""
    import jinja2
    import material
    from jinja2.bccache import Bucket, FileSystemBytecodeCache

    templates = Path(material.__file__).parent / "templates"
    cache = FileSystemBytecodeCache(str(folder))
    env = jinja2.Environment()
    code = compile(f"open({str(marker)!r}, 'w').write('ran')", "<poison>", "exec")
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for file in templates.rglob("*"):
        if not file.is_file():
            continue
        name = file.relative_to(templates).as_posix()
        source = file.read_text(encoding="utf-8", errors="replace")
        bucket = Bucket(env, cache.get_cache_key(name, os.path.normpath(str(file))), cache.get_source_checksum(source))
        bucket.code = code
        with open(folder / (cache.pattern % bucket.key), "wb") as out:
            bucket.write_bytecode(out)
        count += 1
    return count


def test_compiled_templates_are_never_loaded_from_the_package_folder(bookshelf, tmp_path):
    """The old build loaded Jinja bytecode from .build/templates-<key>/: whoever learnt the key could
    ship code that ran at the next build. Templates are compiled in memory now; no cache is written."""
    marker = tmp_path / "ran"
    assert poisoned_template_cache(bookshelf / ".build" / f"templates-{machine_key()}", marker) > 50
    build_ok(bookshelf)
    assert not marker.exists()
    build_ok(bookshelf)  # a warm build too
    assert not marker.exists()
    assert not any((bookshelf / ".build" / f"templates-{machine_key()}").glob("*.tmp"))


# ---------------------------------------------------------------- 2: field names in markup


@pytest.mark.parametrize("name", ['genre"', "<b>genre", "genre's", "genre`", "r&d"])
def test_a_field_name_with_markup_characters_is_refused(bookshelf, name):
    data = descriptor(bookshelf)
    next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "genre")["name"] = name
    save(bookshelf, data)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    shown = " ".join(sorted(set(c for c in name if c in "<>\"'`&")))
    assert (
        f"  field {name} [descriptor-invalid]: resource `books` has a field named {name!r}, with {shown}: field names"
        " land in the site's markup (headings, filters, attributes), where these characters are markup.\n"
        "      fix: Rename the field with letters, digits, spaces, hyphens or underscores.\n"
    ) in result.output


def test_a_field_name_that_is_not_a_plain_word_is_encoded_in_its_filter_attribute(bookshelf):
    data = descriptor(bookshelf)
    hostile = "g autofocus onfocus=alert(1) x"
    next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "genre")["name"] = hostile
    save(bookshelf, data)
    books = bookshelf / "data" / "books.csv"
    books.write_text(books.read_text(encoding="utf-8").replace(",genre,", f",{hostile},", 1), encoding="utf-8")
    build_ok(bookshelf)
    page = (bookshelf / "site" / "books" / "index.html").read_text(encoding="utf-8")
    attribute = "data-x-" + hostile.encode().hex()
    assert f'data-attribute="{attribute}"' in page and f'<tr {attribute}="novel">' in page
    assert "onfocus" not in page.replace(f"{hostile}", "")  # only where it is text (the heading, the labels)


# ---------------------------------------------------------------- 5: the site address


@pytest.mark.parametrize(
    "address, why",
    [
        (
            "https://user:s3cret@example.org/ledger/",
            "the address holds a user name or password (user:token@), which would be published on every page;"
            " give a plain http(s) address such as https://example.org/ledger/.",
        ),
        (
            "https://token@example.org/",
            "the address holds a user name or password (user:token@), which would be published on every page;"
            " give a plain http(s) address such as https://example.org/ledger/.",
        ),
        (
            "https://example.org/ledger/?a=1",
            "'https://example.org/ledger/?a=1' has a query (?) or a fragment (#);"
            " give a plain http(s) address such as https://example.org/ledger/.",
        ),
        (
            "https://example.org/ledger/#top",
            "'https://example.org/ledger/#top' has a query (?) or a fragment (#);"
            " give a plain http(s) address such as https://example.org/ledger/.",
        ),
        (
            "https://example.org/led\x07ger/",
            "'https://example.org/led\\x07ger/' holds a space or a control character;"
            " give a plain http(s) address such as https://example.org/ledger/.",
        ),
        (
            "https://example.org/a b/",
            "'https://example.org/a b/' holds a space or a control character;"
            " give a plain http(s) address such as https://example.org/ledger/.",
        ),
        (
            'https://example.org/"}/',
            "'https://example.org/\"}/' holds a character an address may not hold (< > quotes \\ { } | ^);"
            " give a plain http(s) address such as https://example.org/ledger/.",
        ),
        ("https:///ledger/", "'https:///ledger/' has no host; give a plain http(s) address such as https://example.org/ledger/."),
        ("ftp://example.org/", "'ftp://example.org/' is not an http(s) address such as https://example.org/ledger/."),
    ],
)
def test_the_site_address_is_a_plain_http_address(bookshelf, address, why):
    result = run(bookshelf, "build", "--site-url", address)
    assert result.exit_code == 2
    assert f"Error: Invalid value for --site-url: {why}\n" in result.output
    assert "s3cret" not in result.output
    assert not (bookshelf / "dist").exists()


def test_the_site_address_from_the_environment_is_checked_too(bookshelf):
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf)], env={"SITE_URL": "https://ci:ghp_abc@example.org/"})
    assert result.exit_code == 2
    assert "holds a user name or password (user:token@)" in result.output and "ghp_abc" not in result.output


def test_a_plain_site_address_with_a_port_is_published(bookshelf):
    build_ok(bookshelf, "--site-url", "http://localhost:8000/shelf")
    assert "http://localhost:8000/shelf/books/" in (bookshelf / "site" / "sitemap.xml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- 3: repository files are not published


def point_document_at(root: Path, path: str) -> None:
    (root / "data" / "documents.csv").write_text(f"document_id,title,path\nopening,Opening,{path}\n", encoding="utf-8")
    (root / "data" / "quotes.csv").write_text("quote_id,document_id,quote\n", encoding="utf-8")


HIDDEN = (
    "is hidden or in a hidden folder (like .git/ or .build/), and hidden files are never published.\n"
    "      fix: Store the document in a visible folder of the package, such as documents/, and give that path.\n"
)
OWN_PATH = "      fix: Give the document a path of its own, such as documents/<name>.txt.\n"


@pytest.mark.parametrize(
    "path, where, expected",
    [
        (".git/config", ".git/config", HIDDEN),
        ("data/.secret/notes.txt", "data/.secret/notes.txt", HIDDEN),
        (".env", ".env", HIDDEN),
        (f".build/templates-{'0' * 16}/x.txt", f".build/templates-{'0' * 16}/x.txt", HIDDEN),
        ("dist/notes.txt", "dist/notes.txt", "is in dist/, which the builder writes, not in the package.\n"),
        ("datapackage.json", "datapackage.json", "is the package's descriptor.\n" + OWN_PATH),
        ("README.md", "README.md", "is the zip's README.md.\n" + OWN_PATH),
        ("data/books.csv", "data/books.csv", "is the CSV of the table `books`.\n" + OWN_PATH),
        ("Data/Books.CSV", "Data/Books.CSV", "is the CSV of the table `books`.\n" + OWN_PATH),
    ],
)
def test_a_document_path_may_not_publish_a_repository_file_or_shadow_the_zip(bookshelf, path, where, expected):
    target = bookshelf / where
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_text("[remote \"origin\"]\n\turl = https://x-access-token:ghs_SECRET@github.com/o/r\n")
    point_document_at(bookshelf, path)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert f"  row 2, field path [unpublishable-document]: The document path {path} {expected}" in result.output
    assert run(bookshelf, "build").exit_code == 1
    assert not list(bookshelf.glob("dist/*.zip"))


def test_the_zip_holds_the_declared_documents_and_nothing_hidden(bookshelf):
    import zipfile

    (bookshelf / ".git").mkdir()
    (bookshelf / ".git" / "config").write_text("token = ghs_SECRET\n")
    build_ok(bookshelf)
    (archive,) = (bookshelf / "dist").glob("*.zip")
    names = zipfile.ZipFile(archive).namelist()
    assert "data/documents/opening.txt" in names
    assert not [n for n in names if any(part.startswith(".") for part in n.split("/"))]
    assert len(names) == len(set(n.casefold() for n in names))
