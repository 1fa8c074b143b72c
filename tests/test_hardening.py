"""A hostile or careless package: no script from data, nothing read or written outside the root,
no network, no value lost, clear errors and whole outputs. Each case goes through the CLI and
judges the exit code, the message a user sees and what is left on disk."""

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from builder.cli import cli
from builder.package.paths import Paths
from tests.conftest import descriptor, resource, save

ROOT = Path(__file__).resolve().parent.parent


def run(root: Path, *args: str):
    return CliRunner().invoke(cli, [*args, "--root", str(root)])


def report(root: Path) -> list[list]:
    result = run(root, "validate", "--json")
    assert "Traceback" not in result.output
    data = json.loads(result.output)
    assert result.exit_code == (0 if data["valid"] else 1)
    return [[p["path"], p["row"], p["field"], p["type"]] for p in data["problems"]]


def messages(root: Path) -> str:
    result = run(root, "validate")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output


def append(root: Path, table: str, line: str) -> None:
    with open(root / "data" / f"{table}.csv", "a", encoding="utf-8") as out:
        out.write(line + "\n")


def files_outside(root: Path) -> set[Path]:
    return {p for p in root.parent.rglob("*") if not p.is_relative_to(root)}


def build_ok(root: Path) -> None:
    result = run(root, "build", "--quiet")
    assert result.exit_code == 0, result.output


def everything(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))


# ---------------------------------------------------------------- 1–4: no script from data


def test_package_title_and_description_are_plain_text_on_every_page(bookshelf):
    data = descriptor(bookshelf)
    data["title"] = "Books <img src=x onerror=alert(1)>"
    data["description"] = 'Shelf" onmouseover="alert(2)'
    save(bookshelf, data)
    build_ok(bookshelf)
    html = everything(bookshelf / "site")
    assert "<img src=x" not in html
    assert 'onmouseover="alert' not in html
    assert "<title>Bookshelf - Books img src=x onerror=alert(1)</title>" in html or "Books img src=x onerror=alert(1)" in html


@pytest.mark.parametrize("char", ["\x85", "\x7f", "\ufffe", "\u2028", "\x00", "\x9d"])
def test_a_control_character_in_a_cell_is_an_error_with_row_and_field(bookshelf, char):
    append(bookshelf, "authors", f"mallory,Mal{char}lory,1900-01-01,year,gutenberg-austen")
    assert report(bookshelf) == [["data/authors.csv", 4, "name", "control-character"]]
    assert f"U+{ord(char):04X}" in messages(bookshelf)
    assert run(bookshelf, "build").exit_code == 1
    assert not (bookshelf / "site").exists()


def test_markdown_attribute_syntax_in_a_name_stays_text(bookshelf):
    append(bookshelf, "authors", "mallory,![x](x){: onerror=alert(1) } ---,1900-01-01,year,gutenberg-austen")
    build_ok(bookshelf)
    page = (bookshelf / "site" / "authors" / "mallory" / "index.html").read_text(encoding="utf-8")
    # As text only: in the page, and in the BibTeX with its braces escaped for LaTeX.
    assert "onerror" not in page.replace("onerror=alert(1) } ---", "").replace("onerror=alert(1) \\textbraceright{} ---", "")
    assert "![x](x){: onerror=alert(1) } ---" in page


def test_a_generated_page_never_falls_back_to_markdown(tmp_path, monkeypatch):
    from builder.site import handover, mkdocs_hooks

    handover.give({"people/x.md": None})
    config = mkdocs_hooks.on_config({})

    class Page:
        class file:
            src_uri = "people/x.md"

    with pytest.raises(ValueError, match="lost its marker"):
        mkdocs_hooks.on_page_markdown("---\ntitle: [\n---\n![x](x){: onerror=alert(1) }", Page, config)
    # A hand-written page that carries the marker is still Markdown, and is sanitised.
    Page.file.src_uri = "about.md"
    assert mkdocs_hooks.on_page_markdown(mkdocs_hooks.MARKER + "<script>x</script>", Page, config).startswith("<!--")
    assert mkdocs_hooks.clean('<p onclick="x()">a<script>alert(1)</script><a href="javascript:x">l</a></p>') == (
        '<p>a<a rel="noopener noreferrer">l</a></p>'
    )


def test_jsonld_cannot_end_its_script_element(bookshelf):
    data = descriptor(bookshelf)
    data["description"] = "Shelf <!--<script> </script><script>alert(1)</script> & more"
    save(bookshelf, data)
    build_ok(bookshelf)
    page = (bookshelf / "site" / "data" / "index.html").read_text(encoding="utf-8")
    start = page.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    block = page[start : page.index("</script>", start)]
    assert "<" not in block and ">" not in block and "&" not in block
    assert json.loads(block)["description"] == data["description"]


def test_version_must_be_semver(bookshelf):
    data = descriptor(bookshelf)
    data["version"] = "0.1 [x](javascript:alert(1))"
    save(bookshelf, data)
    assert report(bookshelf) == [["datapackage.json", None, "version", "descriptor-invalid"]]
    assert "is not a semantic version" in messages(bookshelf)


def test_values_in_a_hand_written_page_are_text_not_markdown(bookshelf):
    data = descriptor(bookshelf)
    data["title"] = "Shelf [x](javascript:alert(1)) **bold** <b>b</b>"
    save(bookshelf, data)
    (bookshelf / "docs").mkdir()
    (bookshelf / "docs" / "about.md").write_text(
        '# About\n\n{{ site.published.title }}\n\n<script>alert(2)</script>\n<p onclick="alert(3)">hi</p>\n'
        "[bad](javascript:alert(4))\n",
        encoding="utf-8",
    )
    build_ok(bookshelf)
    page = (bookshelf / "site" / "about" / "index.html").read_text(encoding="utf-8")
    assert "Shelf [x](javascript:alert(1)) **bold** &lt;b&gt;b&lt;/b&gt;" in page
    assert 'href="javascript' not in page
    assert "<script>alert(2)" not in page and "onclick" not in page and "<strong>bold" not in page


def test_a_hand_written_page_cannot_reach_python(bookshelf):
    (bookshelf / "docs").mkdir()
    (bookshelf / "docs" / "about.md").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}\n", encoding="utf-8")
    assert report(bookshelf) == [["docs/about.md", 1, None, "template-error"]]
    assert "docs/about.md" in messages(bookshelf)


@pytest.mark.parametrize("text", ["## Title {#anchor}\n", "Braces {{ in text\n"])
def test_template_syntax_in_a_hand_written_page_names_file_and_line(bookshelf, text):
    (bookshelf / "docs").mkdir()
    (bookshelf / "docs" / "about.md").write_text("# About\n\n" + text, encoding="utf-8")
    assert report(bookshelf) == [["docs/about.md", 3, None, "template-syntax"]]
    assert "{% raw %}" in messages(bookshelf)


# ---------------------------------------------------------------- 5–7: nothing outside the package


@pytest.mark.parametrize("name", ["../escape", "a/b", "x.y", "Upper", "a" * 32])
def test_resource_names_are_safe_file_names(bookshelf, name):
    data = descriptor(bookshelf)
    resource(data, "quotes")["name"] = name
    save(bookshelf, data)
    before = files_outside(bookshelf)
    assert ["datapackage.json", None, None, "descriptor-invalid"] in report(bookshelf)
    assert run(bookshelf, "build").exit_code == 1
    assert files_outside(bookshelf) == before
    assert not (bookshelf / "dist").exists()


@pytest.mark.parametrize("reserved", ["data", "downloads", "index", "api"])
def test_resource_names_of_the_sites_own_folders_are_refused(bookshelf, reserved):
    data = descriptor(bookshelf)
    resource(data, "quotes")["ledger"] = {"pages": True}  # a folder of its own at the top of the site
    resource(data, "quotes")["name"] = reserved
    save(bookshelf, data)
    assert report(bookshelf) == [["datapackage.json", None, None, "descriptor-invalid"]]
    assert "site's own folders" in messages(bookshelf)


def test_a_resource_named_like_a_view_is_refused(ledger):
    data = descriptor(ledger)
    resource(data, "citations")["name"] = "timeline"
    save(ledger, data)
    assert "Resource `timeline` has the name of one of the story's own pages or views." in messages(ledger)


def test_an_absolute_document_path_is_never_read(bookshelf):
    (bookshelf / "data" / "documents.csv").write_text("document_id,title,path\nopening,Opening,/etc/hostname\n")
    (bookshelf / "data" / "quotes.csv").write_text("quote_id,document_id,quote\n")
    assert ["data/documents.csv", 2, "path", "unsafe-path"] in report(bookshelf)
    assert "The document path /etc/hostname is absolute." in messages(bookshelf)


def test_a_symlinked_document_outside_the_package_is_never_read(bookshelf, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=hunter2\n")
    link = bookshelf / "data" / "documents" / "opening.txt"
    link.unlink()
    link.symlink_to(secret)
    assert ["data/documents.csv", 2, "path", "unsafe-path"] in report(bookshelf)
    assert run(bookshelf, "build").exit_code == 1
    assert not (bookshelf / "dist").exists()


def test_a_symlinked_csv_outside_the_package_is_never_read(bookshelf, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text((bookshelf / "data" / "quotes.csv").read_text())
    (bookshelf / "data" / "quotes.csv").unlink()
    (bookshelf / "data" / "quotes.csv").symlink_to(outside)
    assert report(bookshelf) == [["datapackage.json", None, None, "unsafe-path"]]
    assert "leads outside the package folder through a symlink" in messages(bookshelf)


@pytest.mark.parametrize("path", ["/etc/passwd.csv", "../outside.csv"])
def test_resource_paths_stay_inside(bookshelf, path):
    data = descriptor(bookshelf)
    resource(data, "quotes")["path"] = path
    save(bookshelf, data)
    assert report(bookshelf) == [["datapackage.json", None, None, "unsafe-path"]]


def test_a_symlink_in_docs_is_refused(bookshelf, tmp_path):
    (bookshelf / "docs").mkdir()
    (tmp_path / "env").write_text("SECRET=1")
    (bookshelf / "docs" / "env.txt").symlink_to(tmp_path / "env")
    assert report(bookshelf) == [["docs/env.txt", None, None, "unsafe-path"]]


def test_scripts_and_html_in_docs_are_refused(bookshelf):
    (bookshelf / "docs").mkdir()
    (bookshelf / "docs" / "x.js").write_text("alert(1)")
    (bookshelf / "docs" / "y.html").write_text("<script>alert(1)</script>")
    assert report(bookshelf) == [["docs/x.js", None, None, "asset-not-allowed"], ["docs/y.html", None, None, "asset-not-allowed"]]


def test_an_id_named_index_would_replace_the_index_page(bookshelf):
    append(bookshelf, "authors", "index,Index Person,1900-01-01,year,gutenberg-austen")
    assert report(bookshelf) == [["data/authors.csv", 4, "author_id", "id-reserved"]]


@pytest.mark.parametrize("pair", [("Emma", "emma"), ("a.b", "a-b")])
def test_ids_that_make_the_same_page_are_refused_naming_both_rows(bookshelf, pair):
    data = descriptor(bookshelf)
    for field in resource(data, "authors")["schema"]["fields"]:
        field.get("constraints", {}).pop("pattern", None)
    save(bookshelf, data)
    append(bookshelf, "authors", f"{pair[0]},One,1900-01-01,year,gutenberg-austen")
    append(bookshelf, "authors", f"{pair[1]},Two,1900-01-01,year,gutenberg-austen")
    assert report(bookshelf) == [["data/authors.csv", 5, "author_id", "id-clash"]]
    assert f'The id "{pair[1]}" makes the same page name' in messages(bookshelf)
    assert f'as "{pair[0]}" in row 4' in messages(bookshelf)


def test_a_very_long_id_is_refused_before_it_names_a_file(bookshelf):
    data = descriptor(bookshelf)
    for field in resource(data, "authors")["schema"]["fields"]:
        field.get("constraints", {}).pop("pattern", None)
    save(bookshelf, data)
    append(bookshelf, "authors", "a" * 300 + ",Long,1900-01-01,year,gutenberg-austen")
    assert report(bookshelf) == [["data/authors.csv", 4, "author_id", "id-too-long"]]


# ---------------------------------------------------------------- 8: no network


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(profile="https://example.invalid/profile.json"),
        lambda d: resource(d, "quotes").update(path="https://example.invalid/quotes.csv"),
        lambda d: resource(d, "quotes").update(dialect="https://example.invalid/dialect.json"),
        lambda d: resource(d, "quotes").update(profile="http://example.invalid/p.json"),
    ],
)
def test_remote_references_are_problems_and_nothing_is_resolved(bookshelf, change, monkeypatch):
    data = descriptor(bookshelf)
    change(data)
    save(bookshelf, data)
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError("network used")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert ["datapackage.json", None, None, "remote-reference"] in report(bookshelf)
    assert "the builder never reads from the network" in messages(bookshelf)
    assert calls == []


def test_validate_and_build_work_with_no_network_at_all(bookshelf):
    """In a network namespace of its own (no interface but loopback), where unshare is allowed."""
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -rn is not permitted here")
    builder = Path(sys.executable).parent / "builder"
    result = subprocess.run(
        ["unshare", "-rn", str(builder), "build", "--root", str(bookshelf), "--quiet"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (bookshelf / "site" / "index.html").is_file()


# ---------------------------------------------------------------- 9: what validates is what is published


@pytest.mark.parametrize(
    ("change", "where"),
    [
        # A `;` dialect, bareNumber, date formats and missingValues are read and published now
        # (tests/test_canonical.py); these are not.
        (lambda d: resource(d, "books").update(dialect={"delimiter": ",", "commentChar": "#"}), None),
        (lambda d: resource(d, "books").update(dialect={"headerRows": [1, 2]}), None),
        # object, array and the other JSON-like types are read now (tests/test_types.py); a list of
        # years is not.
        (lambda d: resource(d, "books")["schema"]["fields"][3].update(type="list", itemType="year"), "genre"),
    ],
)
def test_schema_features_the_loader_cannot_honour_are_refused(bookshelf, change, where):
    data = descriptor(bookshelf)
    change(data)
    save(bookshelf, data)
    assert report(bookshelf) == [["datapackage.json", None, where, "unsupported-feature"]]


def test_every_published_value_equals_its_source_cell(bookshelf):
    """Frictionless reads the published package (dist/) and the source package to the same values:
    every cell of every table, including integers frictionless accepts in unusual forms."""
    from frictionless import Package

    append(bookshelf, "books", 'quoted,"Title, with ""quotes"" and, commas",jane-austen,novel," 432",1811-10-30,gutenberg-austen')
    append(bookshelf, "books", "under,Underscored,jane-austen,novel,1_000,1811-10-31,gutenberg-austen")
    append(bookshelf, "books", "plus,Plus,jane-austen,novel,+5,1811-11-01,gutenberg-austen")
    build_ok(bookshelf)

    def rows(folder: Path) -> dict:
        package = Package(str(folder / "datapackage.json"))
        read = {}
        for item in package.resources:
            key = item.schema.primary_key
            read[item.name] = sorted((r.to_dict() for r in item.read_rows()), key=lambda r: [str(r[k]) for k in key])
        return read

    source, published = rows(bookshelf), rows(bookshelf / "dist")
    assert {name: published[name] for name in source} == source
    books = {row["book_id"]: row["pages"] for row in published["books"]}
    assert (books["quoted"], books["under"], books["plus"]) == (432, 1000, 5)
    import polars as pl

    for name in source:
        parquet = pl.read_parquet(bookshelf / "dist" / "data" / f"{name}.parquet")
        as_json = json.loads((bookshelf / "dist" / "data" / f"{name}.json").read_text())
        assert parquet.height == len(as_json) == len(source[name])
        assert parquet.null_count().sum_horizontal()[0] == sum(v is None for row in source[name] for v in row.values())


# ---------------------------------------------------------------- 10: whole outputs


def test_a_failed_swap_rolls_back_to_the_previous_outputs(bookshelf, monkeypatch):
    build_ok(bookshelf)
    before = {p.relative_to(bookshelf): p.read_bytes() for p in bookshelf.rglob("*") if p.is_file() and ".build" not in p.parts}
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,249,1817-12-20,gutenberg-austen")
    real = Path.rename
    failed = []

    def failing(self, target):  # the new site/ cannot be moved in, once: dist/ is already swapped
        if Path(target).name == "site" and self.name == "site" and not failed:
            failed.append(target)
            raise PermissionError(13, "Permission denied", str(target))
        return real(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    result = run(bookshelf, "build", "--quiet")
    assert result.exit_code == 1
    assert "the previous dist/ and site/ are kept" in result.output
    assert "Traceback" not in result.output
    monkeypatch.undo()
    after = {p.relative_to(bookshelf): p.read_bytes() for p in bookshelf.rglob("*") if p.is_file() and ".build" not in p.parts}
    assert {k: v for k, v in after.items() if k.parts[0] != "data"} == {k: v for k, v in before.items() if k.parts[0] != "data"}
    assert list((bookshelf / ".build").glob("build-*")) == []


def test_a_stray_build_file_gives_a_clear_error(bookshelf):
    (bookshelf / ".build").write_text("not a folder")
    result = run(bookshelf, "build")
    assert result.exit_code == 1
    assert ".build is a file; the builder needs it as its scratch folder: remove it." in result.output


def test_a_linked_build_folder_is_refused_and_what_it_points_to_is_left_alone(bookshelf, tmp_path):
    elsewhere = tmp_path / "documents"
    (elsewhere / "pages").mkdir(parents=True)
    (elsewhere / "pages" / "letter.txt").write_text("keep me")
    (elsewhere / "build-99999999-x").mkdir()  # looks like a dead build's staging folder
    (bookshelf / ".build").symlink_to(elsewhere, target_is_directory=True)
    result = run(bookshelf, "build")
    assert result.exit_code == 1
    assert ".build is a symbolic link; the builder needs it as its scratch folder: remove it." in result.output
    assert sorted(p.relative_to(elsewhere).as_posix() for p in elsewhere.rglob("*")) == [
        "build-99999999-x",
        "pages",
        "pages/letter.txt",
    ]


def test_a_shipped_build_folder_is_never_read_nor_cleaned(bookshelf, tmp_path):
    """A package may ship .build/ with finished pages, compiled templates and release downloads made
    to look like the builder's: its caches live in folders named with a key kept outside the package."""
    shipped = bookshelf / ".build"
    for name in ("pages", "templates", "history", "pages-0000000000000000"):
        (shipped / name).mkdir(parents=True)
        (shipped / name / "index.json").write_text('{"format": 2}')
        (shipped / name / ("a" * 64 + ".html")).write_text("<script>window.pwned = 1</script>")
    (shipped / "history" / ("b" * 40)).mkdir()
    before = sorted(p.relative_to(shipped).as_posix() for p in shipped.rglob("*"))
    for _ in range(2):  # a clean build, then one that reuses its own cache
        result = run(bookshelf, "build", "--quiet")
        assert result.exit_code == 0, result.output
    assert not any("pwned" in p.read_text(errors="replace") for p in (bookshelf / "site").rglob("*.html"))
    assert [n for n in before if (shipped / n).exists()] == before  # nothing of theirs removed
    ours = Paths.at(bookshelf).cache("pages")
    assert ours.name.startswith("pages-") and ours.name != "pages-0000000000000000" and any(ours.glob("*.html"))


def test_a_read_only_root_gives_a_clear_error(bookshelf, monkeypatch):
    real = Path.mkdir

    def read_only(self, *args, **kwargs):  # as the OS answers in a read-only folder (even root gets it on a read-only mount)
        if self.name == ".build":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    result = run(bookshelf, "build")
    assert result.exit_code == 1
    assert "cannot write the scratch folder" in result.output


def test_sigterm_cleans_up_staging_and_keeps_outputs(bookshelf):
    builder = Path(sys.executable).parent / "builder"
    first = subprocess.run([str(builder), "build", "--root", str(bookshelf), "--quiet"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    before = sorted(p.relative_to(bookshelf) for p in (bookshelf / "site").rglob("*"))
    process = subprocess.Popen([str(builder), "build", "--root", str(bookshelf), "--quiet"])
    deadline = time.monotonic() + 20
    while not list((bookshelf / ".build").glob("build-*/dist")) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert list((bookshelf / ".build").glob("build-*")) == []
    assert sorted(p.relative_to(bookshelf) for p in (bookshelf / "site").rglob("*")) == before


def test_stale_staging_of_a_dead_build_is_removed(bookshelf):
    stale = bookshelf / ".build" / "build-999999999-abc"
    stale.mkdir(parents=True)
    build_ok(bookshelf)
    assert not stale.exists()


# ---------------------------------------------------------------- 11–12: clear errors, never a traceback


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(ledger=[]), "`ledger` must be an object."),
        (lambda d: d.update(description=["not", "text"]), "The package's description is not text."),
        (lambda d: d["resources"].append("books.csv"), "Resource #6 is str, not an object."),
        (
            lambda d: resource(d, "books")["schema"]["foreignKeys"].append({"fields": "author_id", "reference": "authors"}),
            "foreign key #3 is not of the form",
        ),
        (
            lambda d: resource(d, "books")["schema"]["fields"][1]["constraints"].update(pattern="(["),
            "is not a regular expression",
        ),
        (lambda d: resource(d, "books")["schema"]["fields"][1]["constraints"].update(pattern="(?i)x"), "global flags"),
        (lambda d: resource(d, "books")["schema"]["fields"][1].update(name="__row"), "two underscores"),
        (lambda d: resource(d, "books")["schema"]["fields"][1].update(name="Book_ID"), "differ only in case"),
        (
            lambda d: resource(d, "books").update(ledger={"label": "missing"}),
            "`ledger.label` names 'missing', which is not a field.",
        ),
        (lambda d: resource(d, "books").update(ledger={"columns": ["title", "nope"]}), "`ledger.columns` names 'nope'"),
        (lambda d: d.update(title="A\ud800B"), "lone surrogate"),
        (lambda d: d.update(ledger={"story": "llama"}), "The llama story needs a resource `claims`."),
    ],
)
def test_descriptor_mistakes_are_problems_not_tracebacks(bookshelf, change, expected):
    data = descriptor(bookshelf)
    change(data)
    save(bookshelf, data)
    output = messages(bookshelf)
    assert expected in output
    assert run(bookshelf, "validate").exit_code == 1


@pytest.mark.parametrize("depth", [40, 100_000])
def test_a_very_deep_descriptor_is_a_problem(bookshelf, depth):
    text = (bookshelf / "datapackage.json").read_text(encoding="utf-8").rstrip()[:-1]
    (bookshelf / "datapackage.json").write_text(text + ', "deep": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    assert report(bookshelf) == [["datapackage.json", None, None, "descriptor-invalid"]]
    assert "levels deep" in messages(bookshelf)


def test_a_story_column_missing_is_a_problem(ledger):
    data = descriptor(ledger)
    claims = resource(data, "claims")
    claims["schema"]["fields"] = [f for f in claims["schema"]["fields"] if f["name"] != "verdict"]
    save(ledger, data)
    assert "The llama story needs field `verdict` in resource `claims`." in messages(ledger)


def test_not_finite_numbers_are_refused(bookshelf):
    data = descriptor(bookshelf)
    resource(data, "books")["schema"]["fields"][4]["type"] = "number"
    save(bookshelf, data)
    append(bookshelf, "books", "persuasion,Persuasion,jane-austen,novel,INF,1817-12-20,gutenberg-austen")
    assert report(bookshelf) == [["data/books.csv", 5, "pages", "number-not-finite"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("site_name: [unclosed\n", "mkdocs.yml is not valid YAML at line 2"),
        ("site_name: !ENV GITHUB_TOKEN\n", "may not read environment variables"),
        ("hooks:\n  - evil.py\n", "mkdocs.yml sets `hooks`, which a package may not set."),
        ("plugins:\n  - macros\n", "The plugin 'macros' is not allowed"),
        ("markdown_extensions:\n  - pymdownx.snippets\n", "The Markdown extension 'pymdownx.snippets' is not allowed."),
        ("INHERIT: /etc/mkdocs.yml\n", "mkdocs.yml sets `INHERIT`"),
        ("theme:\n  name: material\n  custom_dir: /etc\n", "`theme.custom_dir` may not be set by a package."),
        ("extra_javascript:\n  - https://cdn.example/x.js\n", "mkdocs.yml sets `extra_javascript`"),
    ],
)
def test_site_configuration_that_could_run_code_or_read_the_host_is_refused(bookshelf, text, expected):
    (bookshelf / "mkdocs.yml").write_text(text, encoding="utf-8")
    assert expected in messages(bookshelf)
    assert run(bookshelf, "validate").exit_code == 1


def test_a_bad_source_date_epoch_names_the_variable(bookshelf, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = run(bookshelf, "build")
    assert result.exit_code == 1
    assert "SOURCE_DATE_EPOCH is 'yesterday'" in result.output


# ---------------------------------------------------------------- 13: one huge cell


def test_a_huge_cell_is_cut_on_pages_and_kept_whole_in_downloads(bookshelf):
    huge = "word " * 200_000  # a million characters
    append(bookshelf, "authors", f"mallory,{huge.strip()},1900-01-01,year,gutenberg-austen")
    result = run(bookshelf, "validate")
    assert result.exit_code == 0
    assert "warning row 4, field name [cell-too-long]" in result.output
    build_ok(bookshelf)
    site_bytes = sum(p.stat().st_size for p in (bookshelf / "site").rglob("*.html"))
    assert site_bytes < 3_000_000
    assert (bookshelf / "site" / "search" / "search_index.json").stat().st_size < 200_000
    page = (bookshelf / "site" / "authors" / "mallory" / "index.html").read_text(encoding="utf-8")
    assert "[cut: the full text is in the downloads]" in page
    import polars as pl

    published = pl.read_csv(bookshelf / "dist" / "data" / "authors.csv")
    assert published.filter(pl.col("author_id") == "mallory")["name"][0] == huge.strip()


def test_the_cache_key_is_kept_outside_the_package_or_made_per_build(tmp_path, monkeypatch):
    from builder.package import paths

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    paths.machine_key.cache_clear()
    first = paths.machine_key()
    paths.machine_key.cache_clear()
    assert paths.machine_key() == first  # read back from the secret it made
    assert oct((tmp_path / "cache" / "llama-ledger" / "cache-key").stat().st_mode & 0o777) == "0o600"
    (tmp_path / "blocked").write_text("a file, not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocked"))
    keys = set()
    for _ in range(2):
        paths.machine_key.cache_clear()
        keys.add(paths.machine_key())
    paths.machine_key.cache_clear()
    assert len(keys) == 2 and first not in keys  # nowhere to keep it: a key of its own each time, nothing reused


def test_a_second_build_in_one_process_cannot_take_the_first_one_s_pages():
    """The pages reach MkDocs' hooks through one process-wide handover (MkDocs' functions are patched
    for a build too): a second hand-over while one is pending is refused, not mixed in."""
    from builder.site import handover

    handover.give({"people/x.md": "first"})
    try:
        with pytest.raises(RuntimeError, match="another build in this process"):
            handover.give({"people/y.md": "second"})
        assert handover.take() == {"people/x.md": "first"}
    finally:
        handover.clear()
