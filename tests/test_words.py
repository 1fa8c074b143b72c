"""Issue 18 §4: every value a reader sees is a label from the data (a title, a name, a vocabulary's
label), not an id, a slug or a code; counts and numbers read one way. Checked in the built HTML.

The codes and ids are computed from datapackage.json and the seeds, never typed in here.
"""

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner
from conftest import descriptor, resource, run_git, save

from builder.cli import cli
from builder.common import labels

HIDDEN = {"script", "style", "title", "svg", "code", "pre"}  # not read as text (code shows an id on purpose)
VOID = {"br", "img", "meta", "link", "input", "hr", "wbr", "source", "col", "area", "base", "embed", "track"}


class VisibleText(HTMLParser):
    """The page's text nodes a reader sees, each with the classes of the elements around it."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, str]] = []
        self.nodes: list[tuple[str, str]] = []  # (text, classes of the enclosing elements)

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag):
        if any(t == tag for t, _ in self.stack):
            while self.stack and self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data):
        if data.strip() and not any(tag in HIDDEN for tag, _ in self.stack):
            self.nodes.append((data.strip(), " ".join(c for _, c in self.stack)))


def visible(page: Path) -> list[tuple[str, str]]:
    parser = VisibleText()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.nodes


def seed_rows(root: Path, table: str) -> list[dict]:
    with (root / "seeds" / f"{table}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def labelled_codes(root: Path) -> dict[str, str]:
    """code → label: every value a field's vocabulary labels differently, every id of a row that has a
    name of its own (its `ledger.label` is another field), and the timeline's kinds."""
    data = descriptor(root)
    codes = {}
    for res in data["resources"]:
        for field in res["schema"]["fields"]:
            codes.update({value: label for value, label in labels.vocabulary(field).items() if label != value})
        key, label_field = res["schema"]["primaryKey"], res.get("ledger", {}).get("label")
        if len(key) == 1 and label_field not in (None, *key):
            codes.update({row[key[0]]: row[label_field] for row in seed_rows(root, res["name"])})
    with (root / "dist" / "data" / "timeline.csv").open(encoding="utf-8") as handle:
        codes.update({row["kind"]: row["kind"] for row in csv.DictReader(handle)})
    return codes


def reader_pages(root: Path):
    """Every page but the data pages, whose previews and schemas show the downloads' own values."""
    site = root / "site"
    for page in sorted(site.rglob("*.html")):
        path = page.relative_to(site).as_posix()
        if not path.startswith("data/"):
            yield path, page


def test_no_page_shows_a_code_or_an_id_where_the_data_gives_a_label(built):
    codes = labelled_codes(built)
    # The examples are among them: a status, a timeline kind, a family, a row id.
    assert {"at-meta", "organization-founded", "llama-guard", "yann-lecun"} <= codes.keys()
    shown = {}
    for path, page in reader_pages(built):
        found = sorted({text for text, _ in visible(page) if text in codes})
        if found:
            shown[path] = found
    assert shown == {}


def test_generated_sentences_and_tags_never_spell_a_code(built):
    """Inside a sentence too: the lead of every entity page, headings, tags and the Changes page."""
    codes = [c for c in labelled_codes(built) if "-" in c]  # a hyphenated code cannot be an English word
    pattern = re.compile("|".join(rf"(?<![\w/.-]){re.escape(c)}(?![\w/-])" for c in sorted(codes, key=len, reverse=True)))
    found = {}
    for path, page in reader_pages(built):
        generated = path.startswith("changes/")
        for text, classes in visible(page):
            if (generated or re.search(r"ledger-(summary|tag|crumb)", classes)) and pattern.search(text):
                found.setdefault(path, []).append(text)
    assert found == {}


def test_data_previews_show_a_vocabulary_by_its_labels(built):
    field = next(f for f in resource(descriptor(built), "people")["schema"]["fields"] if f["name"] == "status")
    words = labels.vocabulary(field)
    preview = (built / "site" / "data" / "people" / "index.html").read_text(encoding="utf-8")
    for status in {row["status"] for row in seed_rows(built, "people")}:
        assert f'ledger-tag--{status}">{words[status]}</span>' in preview


def test_a_persons_lead_names_them_in_full_never_by_first_name_alone(built):
    for person in seed_rows(built, "people"):
        lead = next(
            t for t, c in visible(built / "site" / "people" / person["person_id"] / "index.html") if "ledger-summary" in c
        )
        assert lead.startswith(person["name"])
        first = person["name"].split()[0]
        rest = lead.replace(person["name"], "")
        assert not re.search(rf"\b{re.escape(first)} (has|was)\b", rest), lead
    lecun = next(p for p in seed_rows(built, "people") if p["person_id"] == "yann-lecun")
    assert lecun["status"] == "left"
    lead = next(t for t, c in visible(built / "site" / "people" / "yann-lecun" / "index.html") if "ledger-summary" in c)
    assert "Yann LeCun appears in the Llama story and, by the latest report (" in lead and "), has left Meta." in lead


def test_one_row_is_a_row_and_numbers_read_with_separators_on_pages_only(built):
    site = built / "site"
    for path, page in reader_pages(built):
        text = " ".join(t for t, _ in visible(page))
        assert not re.search(r"(?<![\d,.])1 (rows|tables)\b", text), path
    documents = len(seed_rows(built, "documents"))
    index = " ".join(t for t, _ in visible(site / "documents" / "index.html"))
    assert f"{documents:,} row{'s' if documents != 1 else ''}." in index
    big = [m for m in seed_rows(built, "models") if m["context_tokens"] and int(m["context_tokens"]) >= 1000]
    assert big  # 4,096 and 131,072 are in the data
    for model in big:
        tokens = int(model["context_tokens"])
        page = visible(site / "models" / model["model_id"] / "index.html")
        assert f"{tokens:,}" in [t for t, _ in page]
        assert str(tokens) not in [t for t, _ in page]
    # The downloads keep the value itself.
    with (built / "dist" / "data" / "models.csv").open(encoding="utf-8") as handle:
        exported = {row["model_id"]: row["context_tokens"] for row in csv.DictReader(handle)}
    assert all(exported[m["model_id"]] == m["context_tokens"] for m in big)
    api = json.loads((site / "api" / "v1" / "models.json").read_text(encoding="utf-8"))
    assert {r["model_id"]: r["context_tokens"] for r in api["rows"]}[big[0]["model_id"]] == int(big[0]["context_tokens"])


def test_source_pages_name_the_rows_they_support(built):
    """A departure has no page and no name: a source's page describes it by its person and destination."""
    people = {p["person_id"]: p["name"] for p in seed_rows(built, "people")}
    departures = {d["departure_id"]: d for d in seed_rows(built, "departures")}
    cited = [c for c in seed_rows(built, "citations") if c["resource"] == "departures"]
    assert cited
    for citation in cited:
        texts = [t for t, _ in visible(built / "site" / "sources" / citation["source_id"] / "index.html")]
        assert citation["row_id"] not in texts
        assert any(t.startswith(people[departures[citation["row_id"]]["person_id"]] + ", ") for t in texts)


def test_a_package_without_labels_shows_its_values_and_one_with_labels_its_labels(bookshelf):
    """The builder is for anyone's data: a vocabulary with no labels is shown as its values; labels
    declared as Data Package v2 categories replace them on the pages, never in the downloads."""
    books = seed_rows_at(bookshelf, resource(descriptor(bookshelf), "books")["path"])
    book = books[0]
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    page = (bookshelf / "site" / "books" / book["book_id"] / "index.html").read_text(encoding="utf-8")
    assert f'ledger-tag--{book["genre"]}">{book["genre"]}</span>' in page
    data = descriptor(bookshelf)
    genre = next(f for f in resource(data, "books")["schema"]["fields"] if f["name"] == "genre")
    genre["categories"] = [{"value": v, "label": f"The {v} kind"} for v in genre["constraints"]["enum"]]
    genre["categories"][-1]["label"] = "<b onmouseover=x>&"  # curated text: escaped wherever it lands
    save(bookshelf, data)
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    page = (bookshelf / "site" / "books" / book["book_id"] / "index.html").read_text(encoding="utf-8")
    assert f'ledger-tag--{book["genre"]}">The {book["genre"]} kind</span>' in page
    index = (bookshelf / "site" / "books" / "index.html").read_text(encoding="utf-8")
    assert f'<option value="{book["genre"]}">The {book["genre"]} kind</option>' in index  # the filter too
    assert book["genre"] != genre["categories"][-1]["value"]
    assert "<b onmouseover" not in index and "&lt;b onmouseover=x&gt;&amp;" in index
    with (bookshelf / "dist" / "data" / "books.csv").open(encoding="utf-8") as handle:
        assert [row["genre"] for row in csv.DictReader(handle)] == [b["genre"] for b in sorted(books, key=lambda b: b["book_id"])]


def seed_rows_at(root: Path, path: str) -> list[dict]:
    with (root / path).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_vocabulary_labels_and_numbers():
    field = {"name": "s", "categories": [{"value": "at-meta", "label": "At Meta"}, {"value": "left"}, "x"]}
    assert labels.vocabulary(field) == {"at-meta": "At Meta"}
    assert labels.values(field) == ["at-meta", "left", "x"]
    assert labels.values({"constraints": {"enum": ["b", "a"]}}) == ["b", "a"]
    assert labels.enumerated(field) and not labels.enumerated({"name": "n"})
    assert [labels.plural(n, "row") for n in (0, 1, 2, 4096)] == ["0 rows", "1 row", "2 rows", "4,096 rows"]
    assert [labels.number(v) for v in (4096, 131072, 7, 2.5, 1e6)] == ["4,096", "131,072", "7", "2.5", "1,000,000"]


def test_the_changes_page_reads_in_words(ledger):
    """Rows of a link table (claim evidence, citations) by their claim and source, tables by their
    titles, the editors' note for each release, and nothing a reader would have to type."""
    root = ledger
    evidence_path = root / "seeds" / "claim_evidence.csv"
    full = evidence_path.read_text(encoding="utf-8")
    first, *rest = full.splitlines(keepends=True)
    dropped = next(csv.DictReader([first, rest[-1]]))
    evidence_path.write_text(first + "".join(rest[:-1]), encoding="utf-8")
    data = descriptor(root)
    data["version"] = "0.0.1"
    data["ledger"]["release_notes"] = {"0.0.1": "The first cut.", "0.0.2": "One more piece of evidence."}
    save(root, data)
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "0.0.1", when=1700000000)
    evidence_path.write_text(full, encoding="utf-8")
    data["version"] = "0.0.2"
    save(root, data)
    run_git(root, "add", "-A")
    run_git(root, "commit", "-q", "-m", "0.0.2", when=1700086400)
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet"])
    assert result.exit_code == 0, result.output
    page = (root / "site" / "changes" / "index.html").read_text(encoding="utf-8")
    texts = [t for t, _ in visible(root / "site" / "changes" / "index.html")]
    claim = next(c for c in seed_rows(root, "claims") if c["claim_id"] == dropped["claim_id"])
    source = next(s for s in seed_rows(root, "sources") if s["source_id"] == dropped["source_id"])
    assert f"{dropped['claim_id']} / {dropped['source_id']}" not in page
    added = next(t for t in texts if t.startswith(claim["claim"][:40]))
    assert source["title"][:30] in added or source["publisher"] in added
    assert "Claim evidence" in texts and "claim_evidence" not in " ".join(texts)
    assert "One more piece of evidence." in texts and "The first cut." in texts
    words = " ".join(texts)
    assert "builder diff" not in words and "committing" not in words  # no instructions for maintainers


def test_a_note_citing_a_row_without_a_page_reads_its_words(built):
    """`muse-spark-reported-2025-12-10` in a note is a release: pages say which, in words."""
    data = descriptor(built)
    no_pages = {
        r["name"]: r["schema"]["primaryKey"][0]
        for r in data["resources"]
        if len(r["schema"]["primaryKey"]) == 1 and r.get("ledger", {}).get("pages") is False
    }
    ids = {row[key] for table, key in no_pages.items() for row in seed_rows(built, table)}
    notes = [
        row.get("note") or ""
        for r in data["resources"]
        if Path(r["path"]).parent.name == "seeds"
        for row in seed_rows(built, r["name"])
    ]
    assert any(cited in ids for note in notes for cited in re.findall(r"`([a-z0-9-]+)`", note))  # the case arises
    shown = {}
    for path, page in reader_pages(built):
        text = page.read_text(encoding="utf-8")
        found = [i for i in re.findall(r"<code>([a-z0-9-]+)</code>", text) if i in ids]
        if found:
            shown[path] = found
    assert shown == {}
