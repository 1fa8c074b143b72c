"""`builder init`: a folder of CSVs becomes a package that validates; bad input writes nothing."""

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from builder.cli import cli
from builder.package.safety_resource import NAME, RESERVED_NAMES

FLAGS = ["--title", "Reading list", "--description", "Books we read.", "--licence", "CC0-1.0", "--yes"]


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every file (and link) under the folder with its bytes: `init` refusing must leave it as it was."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        found[key] = f"-> {os.readlink(path)}" if path.is_symlink() else path.read_bytes() if path.is_file() else "dir"
    return found


def init(folder: Path, *args: str, **kwargs):
    return CliRunner().invoke(cli, ["init", str(folder), *args], **kwargs)


def resources(folder: Path) -> dict[str, dict]:
    return {r["name"]: r for r in json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["resources"]}


SHELF = {
    "data/authors.csv": "author_id,name,born\nann,Ann Smith,1970-01-02\nbob,Bob Jones,1980-05-06\n",
    "data/books.csv": (
        "book_id,isbn,title,author_id,pages,read,mentor\n"
        "1,978-1,A book,ann,3,true,\n"
        "2,978-2,B book,bob,2,false,1\n"
        "3,978-3,C book,ann,,true,1\n"
    ),
}


def test_init_writes_a_package_that_validates(tmp_path):
    folder = write(tmp_path / "shelf", SHELF)
    result = init(folder, *FLAGS)
    assert result.exit_code == 0, result.output
    install = "left to decide: Makefile"  # said only when builder was installed from a local file (as in tests)
    assert [line for line in result.output.splitlines() if not line.startswith(install)] == [
        "data/authors.csv: table authors, 2 rows, key author_id",
        "data/books.csv: table books, 3 rows, key book_id; author_id → authors",
        "wrote datapackage.json, mkdocs.yml, Makefile, .github/workflows/publish.yml, .gitignore",
        "next: builder validate, then builder build (or make build)",
    ]
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert list(package) == ["name", "title", "description", "version", "licenses", "resources"]
    assert (package["name"], package["title"], package["description"]) == ("reading-list", "Reading list", "Books we read.")
    assert package["licenses"] == [
        {"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}
    ]
    books = resources(folder)["books"]
    assert books["path"] == "data/books.csv"
    assert {f["name"]: f["type"] for f in books["schema"]["fields"]} == {
        "book_id": "integer",
        "isbn": "string",
        "title": "string",
        "author_id": "string",
        "pages": "integer",
        "read": "boolean",
        "mentor": "integer",
    }
    assert all(f["title"] and f["description"] for f in books["schema"]["fields"])
    assert books["schema"]["primaryKey"] == ["book_id"]  # the id-like name, not the first unique column (isbn is unique too)
    # `pages` (3, 2) and `mentor` (1) hold values of book_id, but numbers match by chance: only the named column refers
    assert books["schema"]["foreignKeys"] == [
        {"fields": ["author_id"], "reference": {"resource": "authors", "fields": ["author_id"]}}
    ]
    assert resources(folder)["authors"]["schema"]["fields"][2]["type"] == "date"
    checked = CliRunner().invoke(cli, ["validate", "--root", str(folder)])
    assert checked.output == "The package reading-list is valid.\n"
    assert checked.exit_code == 0


def test_init_output_is_stable_and_has_no_absolute_paths(tmp_path):
    texts = []
    for name in ("one", "two"):
        folder = write(tmp_path / name / "shelf", SHELF)
        assert init(folder, *FLAGS).exit_code == 0
        files = {k: v for k, v in snapshot(folder).items() if k not in SHELF and v != "dir"}
        assert not any(str(tmp_path).encode() in content for content in files.values())
        texts.append(files)
    assert texts[0] == texts[1]
    assert sorted(texts[0]) == [".github/workflows/publish.yml", ".gitignore", "Makefile", "datapackage.json", "mkdocs.yml"]


def test_init_asks_for_title_description_and_licence(tmp_path):
    folder = write(tmp_path / "my_shelf", SHELF)
    result = init(folder, input="\nWhat we read in 2026.\nodbl-1.0\n")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "Title [My shelf]: \nDescription [2 tables: authors, books.]: What we read in 2026.\nLicence [CC-BY-4.0]: odbl-1.0\n"
    )
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert (package["title"], package["description"]) == ("My shelf", "What we read in 2026.")
    assert package["licenses"][0]["name"] == "ODbL-1.0"  # the SPDX spelling, whatever the case typed
    assert yaml.safe_load((folder / "mkdocs.yml").read_text(encoding="utf-8"))["site_name"] == "My shelf"


def test_the_workflow_and_makefile_build_and_publish(tmp_path):
    folder = write(tmp_path / "shelf", SHELF)
    assert init(folder, *FLAGS).exit_code == 0
    workflow = yaml.safe_load((folder / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    assert [s.get("run") for s in steps if "run" in s] == ["make build"]
    assert {"uses": "actions/upload-pages-artifact@v3", "with": {"path": "site"}} in steps
    assert workflow["jobs"]["deploy"]["steps"][0]["uses"] == "actions/deploy-pages@v4"
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    makefile = (folder / "Makefile").read_text(encoding="utf-8")
    assert "\tpython -m pip" not in makefile and "\t$(BUILDER) build\n" in makefile
    assert "INSTALL ?= ledger-builder" in makefile


def test_existing_files_are_kept_and_force_replaces_only_the_descriptor(tmp_path):
    folder = write(tmp_path / "shelf", {**SHELF, "mkdocs.yml": "site_name: Mine\n", "datapackage.json": "{}\n"})
    result = init(folder, *FLAGS, "--force")
    assert result.exit_code == 0, result.output
    assert "wrote datapackage.json, Makefile, .github/workflows/publish.yml, .gitignore; kept your mkdocs.yml" in result.output
    assert (folder / "mkdocs.yml").read_text() == "site_name: Mine\n"
    assert json.loads((folder / "datapackage.json").read_text())["title"] == "Reading list"


OK = {"ok.csv": "id\n1\n"}  # a good table beside the bad one: one bad file is enough to write nothing


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"notes.txt": "no tables here\n", ".hidden/a.csv": "a\n1\n", "dist/a.csv": "a\n1\n"},
            "no CSV files in this folder (hidden folders, dist/ and site/ are not read).",
        ),
        ({"a.csv": b"name\nCaf\xe9\n", **OK}, "a.csv is not UTF-8 (byte 0xe9 at offset 8): re-save it as UTF-8."),
        ({"b.csv": "id,name,id\n1,x,2\n", **OK}, "b.csv: the header names `id` twice; give every column its own name."),
        (
            {"b.csv": "Name,id,name\nx,1,y\n", **OK},
            "b.csv: the header names `Name` and `name`, which differ only in case; give every column its own name.",
        ),
        ({"b.csv": "id,,x\n1,2,3\n", **OK}, "b.csv: column 2 has no name in the header row; name every column."),
        ({"c.csv": "", **OK}, "c.csv is empty: a CSV needs a header row."),
        ({**OK, "datapackage.json": '{"name": "mine"}\n'}, "datapackage.json exists already; run with --force to replace it."),
    ],
    ids=["no-csv", "not-utf8", "duplicate", "case-duplicate", "unnamed", "empty", "descriptor-exists"],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, files, message):
    folder = write(tmp_path / "in", files)
    before = snapshot(folder)
    result = init(folder, *FLAGS)
    assert (result.exit_code, result.output) == (1, f"Error: {message}\n")
    assert snapshot(folder) == before


def test_an_unreadable_csv_is_one_line_and_writes_nothing(tmp_path):
    folder = write(tmp_path / "in", {"ok.csv": "id\n1\n"})
    (folder / "gone.csv").symlink_to("missing.csv")  # a link to nothing: as unreadable as a file without permission
    before = snapshot(folder)
    result = init(folder, *FLAGS)
    assert (result.exit_code, result.output) == (
        1,
        "Error: gone.csv cannot be read (No such file or directory): check the file and its permissions.\n",
    )
    assert snapshot(folder) == before


def test_hostile_file_names_become_safe_resource_names(tmp_path):
    folder = write(
        tmp_path / "in",
        {
            "My Books.csv": "id\n1\n",
            "Bücher.csv": "id\n1\n",
            "data.csv": "id\n1\n",  # a folder of the site's own
            "-x-.csv": "id\n1\n",
            "書.csv": "id\n1\n",
            "sub/my_books.csv": "id\n1\n",  # the same name as My Books.csv
            "a" * 40 + ".csv": "id\n1\n",
            ".secret.csv": "id\n1\n",
            ".git/x.csv": "id\n1\n",
            "site/y.csv": "id\n1\n",
            "LOUD.CSV": "id\n1\n",
        },
    )
    (folder / "away.csv").symlink_to(write(tmp_path / "elsewhere", {"t.csv": "id\n1\n"}) / "t.csv")
    result = init(folder, *FLAGS)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "skipped .secret.csv: hidden files are never published",
        "skipped LOUD.CSV: the builder reads files ending in .csv (lowercase); rename it",
        "skipped away.csv: it leads outside the package folder through a symlink",
    ]
    names = {r["path"]: name for name, r in resources(folder).items()}
    assert names == {
        "-x-.csv": "x",
        "Bücher.csv": "bucher",
        "My Books.csv": "my_books",
        "a" * 40 + ".csv": "a" * 31,
        "data.csv": "data_table",
        "sub/my_books.csv": "my_books_2",
        "書.csv": "table",
    }
    assert all(NAME.match(name) and name not in RESERVED_NAMES for name in names.values())
    checked = CliRunner().invoke(cli, ["validate", "--root", str(folder)])
    assert checked.exit_code == 0, checked.output


def test_what_is_left_to_decide_is_said(tmp_path):
    folder = write(tmp_path / "in", {"pairs.csv": "a,b\n1,x\n1,y\n2,x\n1,x\n"})
    result = init(folder, *FLAGS)
    assert result.exit_code == 0, result.output
    assert (
        "left to decide: pairs.csv: no column (nor two or three together) is full and unique;"
        " set `schema.primaryKey` of `pairs` to the column(s) that identify a row.\n" in result.output
    )
    assert "primaryKey" not in resources(folder)["pairs"]["schema"]
    checked = CliRunner().invoke(cli, ["validate", "--root", str(folder)])
    # A missing key is a warning (the site numbers the rows); --strict makes it a problem.
    assert checked.exit_code == 0, checked.output
    assert "warning file [missing-primary-key]: resource `pairs` has no primary key;" in checked.output
    strict = CliRunner().invoke(cli, ["validate", "--strict", "--root", str(folder)])
    assert strict.exit_code == 1


def test_foreign_keys_by_value_self_reference_and_no_trivial_self_case(tmp_path):
    folder = write(
        tmp_path / "in",
        {
            "people.csv": "person,mentor,team\nann,,red\nbob,ann,blue\ncat,bob,red\n",
            "teams.csv": "name,colour\nred,crimson\nblue,navy\n",
            "scores.csv": "id,teams,points\n1,red,1\n2,blue,2\n",
        },
    )
    assert init(folder, *FLAGS).exit_code == 0
    found = {name: r["schema"].get("foreignKeys", []) for name, r in resources(folder).items()}
    assert found["people"] == [
        {"fields": ["mentor"], "reference": {"resource": "people", "fields": ["person"]}},  # its own key: not trivial
        {"fields": ["team"], "reference": {"resource": "teams", "fields": ["name"]}},  # text values of another key
    ]
    assert found["scores"] == [{"fields": ["teams"], "reference": {"resource": "teams", "fields": ["name"]}}]
    assert found["teams"] == []  # `name` is its own key, and refers to nothing by itself
    checked = CliRunner().invoke(cli, ["validate", "--root", str(folder)])
    assert checked.exit_code == 0, checked.output


def test_values_that_do_not_all_read_as_the_type_stay_text(tmp_path):
    rows = "".join(f"{n},{n}\n" for n in range(1, 10_050)) + "10050,n/a\n"  # beyond frictionless's sample
    folder = write(tmp_path / "in", {"big.csv": "id,count\n" + rows})
    assert init(folder, *FLAGS).exit_code == 0
    assert [f["type"] for f in resources(folder)["big"]["schema"]["fields"]] == ["integer", "string"]


def test_a_link_table_gets_a_key_of_two_ids_not_a_unique_note(tmp_path):
    folder = write(
        tmp_path / "in",
        {
            "claims.csv": "claim_id,text\nc1,One thing\nc2,Another\n",
            "claim_sources.csv": "claim_id,source_id,note\nc1,s1,As said here\nc1,s2,Also here\nc2,s1,And here\n",
        },
    )
    result = init(folder, *FLAGS)
    assert "claim_sources.csv: table claim_sources, 3 rows, key claim_id, source_id; claim_id → claims\n" in result.output
    assert "claims.csv: table claims, 2 rows, key claim_id\n" in result.output
    assert resources(folder)["claim_sources"]["schema"]["primaryKey"] == ["claim_id", "source_id"]
    checked = CliRunner().invoke(cli, ["validate", "--root", str(folder)])
    assert checked.exit_code == 0, checked.output


def test_an_unanswered_prompt_writes_nothing(tmp_path):
    folder = write(tmp_path / "in", SHELF)
    before = snapshot(folder)
    result = init(folder, input="")  # no terminal, no flags: the first question meets the end of input
    assert result.exit_code == 1
    assert (result.stdout, result.stderr) == ("Title [In]: ", "Aborted!\n")
    assert snapshot(folder) == before


def test_a_semicolon_csv_is_described_with_its_dialect(tmp_path):
    folder = write(tmp_path / "in", {"prices.csv": "item_id;price\na;1.5\nb;2\n"})
    assert init(folder, "--title", "Prices", "--description", "Prices.", "--license", "Mine, ask us", "--yes").exit_code == 0
    prices = resources(folder)["prices"]
    assert prices["dialect"] == {"delimiter": ";"}
    assert [(f["name"], f["type"]) for f in prices["schema"]["fields"]] == [("item_id", "string"), ("price", "number")]
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"] == [{"name": "Mine, ask us", "title": "Mine, ask us"}]  # not a known id: kept as given


@pytest.mark.parametrize(
    "origin, spec",
    [
        (
            {"url": "https://github.com/owner/ledger", "vcs_info": {"vcs": "git", "commit_id": "abc123"}},
            "ledger-builder @ git+https://github.com/owner/ledger@abc123",
        ),
        (
            {"url": "https://example.org/ledger_builder-0.1.0-py3-none-any.whl", "archive_info": {}},
            "ledger-builder @ https://example.org/ledger_builder-0.1.0-py3-none-any.whl",
        ),
        ({"url": "file:///home/me/llama-ledger", "dir_info": {}}, "ledger-builder==9.9.9"),  # no address CI can reach
        (None, "ledger-builder==9.9.9"),  # from an index
    ],
)
def test_the_makefile_installs_builder_from_where_it_came(monkeypatch, origin, spec):
    from builder.tools import scaffold

    class Installed:
        version = "9.9.9"

        def read_text(self, name):
            return json.dumps(origin) if origin is not None and name == "direct_url.json" else None

    monkeypatch.setattr(scaffold.metadata, "distribution", lambda name: Installed())
    assert scaffold.install_spec() == spec


def test_a_csv_saved_with_a_byte_order_mark_is_read_like_any_other(tmp_path):
    folder = write(tmp_path / "in", {"a.csv": b"\xef\xbb\xbfid,n\n1,2\n2,3\n"})  # as Excel saves "CSV UTF-8"
    assert init(folder, *FLAGS).exit_code == 0
    a = resources(folder)["a"]
    assert [(f["name"], f["type"]) for f in a["schema"]["fields"]] == [("id", "integer"), ("n", "integer")]
    assert a["schema"]["primaryKey"] == ["id"]


@pytest.mark.parametrize(
    "title, name",
    [("Reading list", "reading-list"), ("Crème brûlée: recettes", "creme-brulee-recettes"), ("書籍", "data-package")],
)
def test_the_package_name_is_a_safe_slug_of_the_title(title, name):
    from builder.tools import scaffold

    assert scaffold.package_name(title) == name


def test_types_beyond_the_plain_ones_are_proposed_as_text(tmp_path):
    """frictionless may guess yearmonth or geopoint; init proposes only types a CSV reader knows."""
    folder = write(tmp_path / "in", {"visits.csv": 'visit,month,place\nv1,2021-03,"10,20"\nv2,2022-11,"30,40"\n'})
    result = init(folder, *FLAGS)
    assert result.exit_code == 0, result.output
    types = {f["name"]: f["type"] for f in resources(folder)["visits"]["schema"]["fields"]}
    assert types == {"visit": "string", "month": "string", "place": "string"}
    assert CliRunner().invoke(cli, ["validate", "--root", str(folder)]).exit_code == 0
