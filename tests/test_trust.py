"""Issue 16, "code execution and secrets": nothing executable is loaded from the package folder,
no internal path or library message is published, names from the descriptor are safe where they
land, no repository file is published, the site address holds no secret, and every command that
reads a package goes through the same safety checks. Every test goes through the CLI."""

import gzip
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli
from builder.package.paths import machine_key
from tests.conftest import descriptor, resource, run_git, save, write_seed_rows


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--root", str(root)])


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
        target.write_text('[remote "origin"]\n\turl = https://x-access-token:ghs_SECRET@github.com/o/r\n')
    point_document_at(bookshelf, path)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert f"  row 2, field path [unpublishable-document]: The document path {path} {expected}" in result.output
    assert run(bookshelf, "build").exit_code == 1
    assert not list(bookshelf.glob("dist/*.zip"))


def test_the_zip_holds_the_declared_documents_and_nothing_hidden(bookshelf):
    (bookshelf / ".git").mkdir()
    (bookshelf / ".git" / "config").write_text("token = ghs_SECRET\n")
    build_ok(bookshelf)
    (archive,) = (bookshelf / "dist").glob("*.zip")
    names = zipfile.ZipFile(archive).namelist()
    assert "data/documents/opening.txt" in names
    assert not [n for n in names if any(part.startswith(".") for part in n.split("/"))]
    assert len(names) == len(set(n.casefold() for n in names))


# ---------------------------------------------------------------- 6: every command goes through the same checks


def synth(root: Path, out: Path):
    return CliRunner().invoke(cli, ["synth", "--root", str(root), "--rows", "50", "--out", str(out)])


def test_synth_never_copies_what_a_docs_link_points_to(bookshelf, tmp_path):
    secret = tmp_path / "home"
    secret.mkdir()
    (secret / "id_rsa.css").write_text("PRIVATE KEY")
    (bookshelf / "docs").symlink_to(secret)
    result = synth(bookshelf, tmp_path / "out")
    assert result.exit_code == 1
    assert result.output == (
        "Error: docs is a symbolic link; synth copies only the package's own files and never follows a link:"
        " replace it with the file or folder it points to.\n"
    )
    assert not any("PRIVATE KEY" in p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())


def test_synth_never_copies_what_a_link_inside_a_folder_points_to(bookshelf, tmp_path):
    (tmp_path / "secret.txt").write_text("PRIVATE KEY")
    (bookshelf / "data" / "documents" / "key.txt").symlink_to(tmp_path / "secret.txt")
    result = synth(bookshelf, tmp_path / "out")
    assert result.exit_code == 1
    assert "Error: data/documents/key.txt is a symbolic link; synth copies only" in result.output
    assert not any("PRIVATE KEY" in p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())


def test_synth_leaves_hidden_files_out(bookshelf, tmp_path):
    (bookshelf / "data" / ".git").mkdir()
    (bookshelf / "data" / ".git" / "config").write_text("token")
    (bookshelf / "data" / ".env").write_text("token")
    result = synth(bookshelf, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert not [p for p in (tmp_path / "out").rglob(".*")]
    assert (tmp_path / "out" / "data" / "documents" / "opening.txt").is_file()


def test_synth_refuses_a_path_out_of_the_package_as_validate_does(bookshelf, tmp_path):
    (tmp_path / "outside.csv").write_text((bookshelf / "data" / "quotes.csv").read_text())
    data = descriptor(bookshelf)
    resource(data, "quotes")["path"] = "../outside.csv"
    save(bookshelf, data)
    result = synth(bookshelf, tmp_path / "out")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    line = "  file [unsafe-path]: resource `quotes` has `path` '../outside.csv', which goes up out of the package folder.\n"
    assert line in result.output
    assert line in run(bookshelf, "validate").output
    assert not (tmp_path / "out").exists()


def test_a_docs_link_out_of_the_package_is_refused_not_published(bookshelf, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.css").write_text("/* PRIVATE */")
    (bookshelf / "docs").symlink_to(outside)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert (
        "docs\n  file [unsafe-path]: docs/ leads outside the package folder through a symlink.\n"
        "      fix: Make docs/ a folder of the package.\n"
    ) in result.output
    assert run(bookshelf, "build").exit_code == 1
    assert not (bookshelf / "site").exists()


def test_a_hidden_file_in_docs_is_refused(bookshelf):
    (bookshelf / "docs" / ".private").mkdir(parents=True)
    (bookshelf / "docs" / ".private" / "notes.css").write_text("/* token */")
    (bookshelf / "docs" / ".private" / "more.png").write_bytes(b"\x89PNG")
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert result.output.count("[hidden-file]") == 1
    assert (
        "  file [hidden-file]: docs/.private is hidden, and hidden files and folders are never published.\n"
        "      fix: Remove it from docs/, or rename it without the leading dot.\n"
    ) in result.output


# ---------------------------------------------------------------- 1: no internal path or library message published


def git(root: Path, *args: str, when: int = 1700000000) -> None:
    run_git(root, *args, when=when)


def release(root: Path, version: str, when: int) -> None:
    data = descriptor(root)
    data["version"] = version
    save(root, data)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", version, when=when)


def test_no_build_path_cache_key_or_library_message_is_published(bookshelf):
    """A release holding a link out of the package is left out: the Changes page once printed
    tarfile's message there, with the absolute build path and .build/history-<key>/."""
    git(bookshelf, "init", "-q", "-b", "main")
    release(bookshelf, "0.1.0", 1700000000)
    authors = bookshelf / "data" / "authors.csv"
    kept = authors.read_bytes()
    authors.unlink()
    authors.symlink_to("../../../../outside")  # a declared table that is a link out of the package
    release(bookshelf, "0.2.0", 1700086400)
    authors.unlink()
    authors.write_bytes(kept)
    release(bookshelf, "0.3.0", 1700172800)
    build_ok(bookshelf)
    changes_page = (bookshelf / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    assert "0.2.0 (commit " in changes_page
    assert "is a symbolic link in commit" in changes_page and "links in old releases are not followed" in changes_page
    secrets = [str(bookshelf).encode(), str(bookshelf.resolve()).encode(), machine_key().encode(), b".build/"]
    for folder in ("site", "dist"):
        for path in (bookshelf / folder).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                if path.suffix == ".gz":
                    data = gzip.decompress(data)
                elif path.suffix in (".zip", ".xlsx"):
                    with zipfile.ZipFile(path) as archive:
                        data += b"".join(archive.read(name) for name in archive.namelist())
                found = [s.decode() for s in secrets if s in data]
                assert not found, f"{path.relative_to(bookshelf)} holds {found}"


def test_serve_never_serves_what_a_site_link_points_to(bookshelf, tmp_path, monkeypatch):
    import http.server

    # Were it served, the test returns at once instead of serving until killed.
    monkeypatch.setattr(http.server.ThreadingHTTPServer, "serve_forever", lambda self: None)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "index.html").write_text("private")
    (bookshelf / "site").symlink_to(tmp_path / "home")
    result = run(bookshelf, "serve", "--port", "0")
    assert result.exit_code == 1
    assert result.output == (
        "Error: site is a symbolic link; serve shows only a site the builder wrote: run `make build` first.\n"
    )


@pytest.mark.parametrize("path", [".git/quotes.csv", "data/.hidden/quotes.csv", f".build/history-{'0' * 16}/quotes.csv"])
def test_a_table_in_a_hidden_folder_is_refused(bookshelf, path):
    (bookshelf / path).parent.mkdir(parents=True, exist_ok=True)
    (bookshelf / path).write_text((bookshelf / "data" / "quotes.csv").read_text())
    data = descriptor(bookshelf)
    resource(data, "quotes")["path"] = path
    save(bookshelf, data)
    result = run(bookshelf, "validate")
    assert result.exit_code == 1
    assert (
        f"  file [unsafe-path]: resource `quotes` has `path` {path!r}, which is hidden or in a hidden folder"
        " (like .git/ or .build/), and hidden files are never published.\n"
        "      fix: Keep the CSV in a visible folder of the package, such as data/.\n"
    ) in result.output


def test_a_hostile_model_name_stays_data_in_search_keywords(tmp_path):
    """A model's other spellings become its page's search keywords (front matter, then the index):
    markup in a name is dropped there as it is from titles, and never reaches the page as markup."""
    import csv
    import io
    import json

    from tests.conftest import ROOT, copy_package

    root = copy_package(ROOT, tmp_path / "ledger")
    models = root / "seeds" / "models.csv"
    rows = list(csv.DictReader(io.StringIO(models.read_text(encoding="utf-8"))))
    hostile = "Meta <svg/onload=alert(1)> 3"  # "Meta X 3" gives the spellings "X 3", "X3" and "X-3"
    for row in rows:
        if row["model_id"] == "llama-3":
            row["name"] = hostile
    write_seed_rows(models, rows)
    result = run(root, "build", "--quiet")
    assert result.exit_code == 0, result.output
    index = json.loads((root / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    entry = next(d for d in index["docs"] if d["location"] == "models/llama-3/")
    spellings = ["svg/onload=alert(1) 3", "svg/onload=alert(1)-3", "svg/onload=alert(1)3"]  # as plain as titles
    assert entry["keywords"] == ", ".join(spellings) + ", release date, released, launched, launch date"
    page = (root / "site" / "models" / "llama-3" / "index.html").read_text(encoding="utf-8")
    assert "<svg/onload" not in page and "&lt;svg/onload=alert(1)&gt;" in page
