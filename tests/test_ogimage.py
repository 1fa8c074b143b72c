"""Share cards (issue 18 §6): a 1200×630 PNG per page kind and per claim, drawn at build time, the same
bytes in every build; og:image and twitter:image name them only when the site's address is known."""

import csv
import hashlib
import html
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from conftest import ROOT, descriptor, save
from PIL import Image

from builder.check import validate as validation
from builder.cli import cli
from builder.package.paths import Paths
from builder.site import ogimage
from builder.stories import llama_cards
from builder.views import derive

META = re.compile(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">')
HOSTILE = '"><script>alert(1)</script> \u202eevil\u200b & <!-- ' + "x" * 300


def build(root: Path, *args: str) -> None:
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet", *args])
    assert result.exit_code == 0, result.output


def metas(page: Path) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in META.findall(page.read_text(encoding="utf-8"))}


def seed_rows(name: str) -> list[dict]:
    with (ROOT / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cards(site: Path) -> dict[str, bytes]:
    folder = site / "_ledger" / "og"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def test_a_card_per_page_kind_and_per_claim_all_1200_by_630_png(built):
    found = cards(built / "site")
    claims = seed_rows("claims")
    assert {f"claims/{row['claim_id']}.png" for row in claims} == {name for name in found if "/" in name}
    kinds = {name for name in found if "/" not in name}
    assert {"home.png", "claims.png", "models.png", "people.png", "organizations.png", "sources.png", "data.png"} <= kinds
    assert len(kinds) <= 15  # one per page kind, not one per page
    for name, data in found.items():
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ("PNG", (1200, 630)), name
        assert set(image.info) <= {"dpi"}, name  # no text chunks, no dates
    # Without a site address there is no og:image (Open Graph takes absolute URLs only) and a small card.
    tags = metas(built / "site" / "index.html")
    assert "og:image" not in tags and "twitter:image" not in tags and tags["twitter:card"] == "summary"


def test_pages_name_their_card_absolutely_when_the_site_address_is_known(ledger, built):
    build(ledger, "--site-url", "https://example.org/ledger")
    site = ledger / "site"
    base = "https://example.org/ledger/_ledger/og/"
    claim = seed_rows("claims")[0]
    tags = metas(site / "claims" / claim["claim_id"] / "index.html")
    assert tags["og:image"] == tags["twitter:image"] == f"{base}claims/{claim['claim_id']}.png"
    assert (tags["og:image:width"], tags["og:image:height"], tags["og:image:type"]) == ("1200", "630", "image/png")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["og:image:alt"] == tags["og:title"]
    assert metas(site / "index.html")["og:image"] == f"{base}home.png"
    assert metas(site / "models" / "index.html")["og:image"] == f"{base}models.png"
    model = next((site / "models").glob("*/index.html"))
    assert metas(model)["og:image"] == f"{base}models.png"  # a model page shares its kind's card
    assert metas(site / "data" / "claims" / "index.html")["og:image"] == f"{base}data.png"
    for url in {metas(page).get("og:image") for page in site.rglob("index.html")} - {None}:
        assert (site / url.removeprefix("https://example.org/ledger/")).is_file(), url
    # Two builds in two folders (no shared cache): the same cards, byte for byte.
    assert cards(site) == cards(built / "site")


def test_the_home_figure_is_counted_from_the_data(ledger):
    _, package, tables = validation.validate_package(Paths.at(ledger))
    views, _ = derive.derive(package, tables)
    figures = llama_cards.card_figures(SimpleNamespace(views=views, tables=tables))
    authors = [row for row in seed_rows("people") if row["llama_paper_position"]]
    left = sum(row["status"] == "left" for row in authors)
    assert figures["home"] == f"{left} of {len(authors)} LLaMA authors have left Meta"
    card = ogimage.Card("home.png", "Title", figures["home"])
    assert ogimage.draw("Site", card) != ogimage.draw("Site", ogimage.Card("home.png", "Title", "0 of 14"))


@pytest.mark.parametrize(
    "title",
    [HOSTILE, "", "\x00\x07\u2028", "🦙" * 50, "W" * 5000, " ".join(["word"] * 400), "مرحبا بالعالم"],
)
def test_any_text_draws_a_whole_card(title):
    data = ogimage.draw(title, ogimage.Card("x.png", title, title))
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size) == ("PNG", (1200, 630))
    assert ogimage.draw(title, ogimage.Card("x.png", title, title)) == data


def test_a_hostile_title_breaks_neither_the_card_nor_the_markup(bookshelf):
    data = descriptor(bookshelf)
    data["title"] = HOSTILE
    save(bookshelf, data)
    with open(bookshelf / "data" / "books.csv", "a", encoding="utf-8") as out:
        out.write(f'hostile,"{HOSTILE.replace(chr(34), chr(34) * 2)}",jane-austen,novel,1,1901-01-01,gutenberg-austen\n')
    build(bookshelf, "--site-url", "https://example.org/")
    home = (bookshelf / "site" / "index.html").read_text(encoding="utf-8")
    head = home.split("</head>", 1)[0]
    assert "<script>alert(1)" not in head and "<!-- " not in head.split("<meta", 1)[1]
    tags = metas(bookshelf / "site" / "index.html")
    assert tags["og:image"] == "https://example.org/_ledger/og/home.png"
    found = cards(bookshelf / "site")
    assert "home.png" in found and "books.png" in found
    for data_bytes in found.values():
        assert Image.open(io.BytesIO(data_bytes)).size == (1200, 630)
    # The card names the page kind, never the text: the address holds no title.
    for page in (bookshelf / "site").rglob("index.html"):
        image = metas(page).get("og:image", "")
        assert re.fullmatch(r"https://example\.org/_ledger/og/[a-z0-9/-]+\.png", image), (page, image)
    assert hashlib.sha256(found["home.png"]).hexdigest() != hashlib.sha256(found["books.png"]).hexdigest()


def test_the_card_cache_reuses_cards_and_never_writes_through_a_link(tmp_path):
    """Cards come back from the cache byte for byte; a link planted in the cache is replaced by the
    card drawn afresh, and the file it pointed at is left as it was."""
    cards = {f"p{i}.md": ogimage.Card(f"c{i}.png", f"Card number {i}", f"{i} of 9") for i in range(5)}
    cache, first, second = tmp_path / "cache", tmp_path / "one", tmp_path / "two"
    assert ogimage.write("Site", cards, first, cache) == (5, 5)
    assert ogimage.write("Site", cards, second, cache) == (5, 0)
    for i in range(5):
        assert (second / ogimage.FOLDER / f"c{i}.png").read_bytes() == (first / ogimage.FOLDER / f"c{i}.png").read_bytes()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    planted = cache / f"{ogimage.card_key('Site', cards['p0.md'])}.png"
    planted.unlink()
    planted.symlink_to(outside)
    assert ogimage.write("Site", cards, tmp_path / "three", cache) == (5, 1)
    assert outside.read_text() == "keep me"
    assert not planted.is_symlink()
    assert planted.read_bytes() == (first / ogimage.FOLDER / "c0.png").read_bytes()


def test_cards_that_cannot_be_drawn_fail_the_build_with_the_reason(tmp_path):
    """The cards are drawn by a process of their own while MkDocs builds; its failure is the build's."""
    target = tmp_path / "cards"
    (target / ogimage.FOLDER).mkdir(parents=True)
    (target / ogimage.FOLDER / "home.png").mkdir()  # a folder where the card would be written
    drawing = ogimage.Drawing("Site", {"index.md": ogimage.Card("home.png", "Home", "")}, target)
    with pytest.raises(RuntimeError, match="the share cards were not drawn: IsADirectoryError"):
        drawing.result()


def test_cards_are_a_palette_of_the_four_colours_and_their_shades():
    image = Image.open(io.BytesIO(ogimage.draw("Site", ogimage.Card("x.png", "A title", "3 of 14"))))
    assert image.mode == "P" and image.size == (1200, 630)
    rgb = image.convert("RGB")
    assert rgb.getpixel((600, 5)) == ogimage.ACCENT and rgb.getpixel((600, 300)) == ogimage.BACKGROUND
    colours = {colour for _, colour in rgb.getcolors(1200 * 630)}
    assert {ogimage.TEXT, ogimage.MUTED, ogimage.ACCENT, ogimage.BACKGROUND} <= colours
    assert len(colours) <= 1 + 3 * (ogimage.LEVELS - 1)


def test_what_a_stopped_card_process_left_in_the_cache_goes(tmp_path):
    """A card process stopped half-way (tests/test_beside.py) may leave a card half-copied under a
    temporary name: the next build removes it and keeps only its own cards."""
    cards = {"a.md": ogimage.Card("a.png", "A", ""), "b.md": ogimage.Card("b.png", "B", "")}
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / f"{'0' * 64}.123.tmp").write_bytes(b"half a card")  # left by a build that was stopped
    assert ogimage.write("Site", cards, tmp_path / "two", cache) == (2, 2)
    assert sorted(p.suffix for p in cache.iterdir()) == [".png", ".png"]


def test_cards_are_moved_in_beside_a_package_s_own_files_in_their_folder(bookshelf):
    own = bookshelf / "docs" / ogimage.FOLDER / "extra.png"
    own.parent.mkdir(parents=True)
    own.write_bytes(_png())
    result = CliRunner().invoke(cli, ["build", "--root", str(bookshelf), "--quiet"])
    assert result.exit_code == 0, result.output
    site = bookshelf / "site" / ogimage.FOLDER
    assert (site / "extra.png").is_file() and (site / "home.png").is_file()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2)).save(out, format="PNG")
    return out.getvalue()
