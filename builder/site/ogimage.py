"""Open Graph cards: a 1200×630 PNG per page kind (the home page, each section) and one per page a
story names (a claim and its verdict), drawn at build time with Pillow, no service, no system font.

A page names its card in its front matter (`card:`), so the card is part of the page's own text (the
page cache keys on it) and the MkDocs hook turns it into og:image when the site's address is known.
Same text, same bytes: Pillow's built-in font (Aileron), its basic layout engine (not raqm, which a
machine may lack), no PNG metadata.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import unicodedata
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import PIL
import yaml
from PIL import Image, ImageDraw, ImageFont

from builder.common.beside import Beside, job
from builder.package.handwritten import page_slug
from builder.package.paths import output

WIDTH, HEIGHT = 1200, 630
FOLDER = "_ledger/og"  # under the site's root, beside the builder's other assets
MARGIN = 72
BACKGROUND, TEXT, MUTED, ACCENT = (26, 35, 126), (255, 255, 255), (197, 202, 233), (255, 171, 145)
TITLE_SIZES = (64, 54, 46)  # the largest size at which the title fits in TITLE_LINES
TITLE_LINES = 4
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*\n", re.DOTALL)


@dataclass(frozen=True)
class Card:
    name: str  # the PNG's path under FOLDER, e.g. "home.png", "claims/some-claim.png"
    title: str
    figure: str  # the verdict, or a key figure ("11 of 14 authors have left Meta")


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    built_in = ImageFont.load_default(size=size)
    return ImageFont.truetype(io.BytesIO(built_in.font_bytes), size, layout_engine=ImageFont.Layout.BASIC)


def plain(text: str) -> str:
    """One line of printable text: control and format characters (bidi overrides, zero widths) dropped."""
    kept = "".join(c if unicodedata.category(c)[0] not in "CZ" or c == " " else " " for c in str(text))
    return " ".join(kept.split())


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines no wider than `width`; a word too long for a line is cut where it fills one."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}".strip()
        if face.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if face.getlength(line + char) > width and line:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines


def fitted(text: str, face: ImageFont.FreeTypeFont, width: int, most: int) -> list[str]:
    lines = wrap(text, face, width)
    if len(lines) <= most:
        return lines
    last = lines[most - 1]
    while last and face.getlength(last + " …") > width:
        last = last[:-1]
    return [*lines[: most - 1], last.rstrip() + " …"]


def draw(site_name: str, card: Card) -> bytes:
    """The card as PNG bytes: the site's name, the title (as large as fits), the figure.

    A palette image: the background, and LEVELS shades from it to each text colour. Each text is
    drawn as a grey mask and its shades looked up (one byte a pixel, not three): a third of the
    time and a third of the bytes of an RGB card, and no eye tells 16 shades of an edge from 256."""
    image = Image.new("P", (WIDTH, HEIGHT), 0)
    image.putpalette(PALETTE)
    inner = WIDTH - 2 * MARGIN
    image.paste(SHADES[ACCENT][-1], (0, 0, WIDTH, 13))  # the accent bar, 13 rows as a filled rectangle to y=12
    name = plain(site_name)
    _text(image, (MARGIN, 56, inner, 60), fitted(name, font(34), inner, 1)[:1] if name else [], 34, MUTED)
    title = plain(card.title) or "Untitled"
    for size in TITLE_SIZES:
        lines = wrap(title, font(size), inner)
        if len(lines) <= TITLE_LINES:
            break
    else:
        lines = fitted(title, font(size), inner, TITLE_LINES)
    _text(image, (MARGIN, 150, inner, HEIGHT - MARGIN - 56 - 160), lines, size, TEXT, int(size * 1.22))
    figure = fitted(plain(card.figure), font(48), inner, 1) if plain(card.figure) else []
    _text(image, (MARGIN, HEIGHT - MARGIN - 56, inner, 70), figure, 48, ACCENT)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)  # level 9: three times the CPU for 4% fewer bytes
    return out.getvalue()


LEVELS = 16  # shades from the background to each text colour, the background itself included
SHADES = {
    colour: [0 if level == 0 else 1 + number * (LEVELS - 1) + level - 1 for level in range(LEVELS)]
    for number, colour in enumerate((TEXT, MUTED, ACCENT))
}
# A text mask's alpha (0-255) -> the palette index of that shade of each colour, for Image.point.
LOOKUP = {colour: [shades[round(alpha * (LEVELS - 1) / 255)] for alpha in range(256)] for colour, shades in SHADES.items()}
PALETTE = list(BACKGROUND) + [
    round(b + (c - b) * level / (LEVELS - 1))
    for colour in SHADES
    for level in range(1, LEVELS)
    for b, c in zip(BACKGROUND, colour, strict=True)
]


def _text(image: Image.Image, box: tuple[int, int, int, int], lines: list[str], size: int, colour, step: int = 0) -> None:
    """Draw `lines` in `colour` into box (left, top, width, height) of the palette image."""
    if not lines:
        return
    left, top, width, height = box
    mask = Image.new("L", (width + MARGIN // 2, height), 0)  # room for a glyph that overhangs its advance
    pen = ImageDraw.Draw(mask)
    for number, line in enumerate(lines):
        pen.text((0, number * step), line, font=font(size), fill=255)
    image.paste(mask.point(LOOKUP[colour]), (left, top))


# ---------------------------------------------------------------- which page gets which card


def front_matter(text: str) -> dict:
    match = FRONT_MATTER.match(text)
    if not match:
        return {}
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def kind(path: str) -> str:
    """A page's kind: its first path segment ("claims/x.md" → "claims"), "home" for the home page."""
    first = path.split("/", 1)[0]
    return "home" if path == "index.md" else first.removesuffix(".md")


def plan(pages: list, figures: dict[str, str], own: dict[str, Card]) -> dict[str, Card]:
    """Page path -> its card: a page's own card (`own`, by page path), else its kind's, titled as the
    kind's first page is (the section's index) and showing `figures[kind]`."""
    titles: dict[str, str] = {}
    for page in sorted(pages, key=lambda p: (p.path.count("/"), not p.path.endswith("index.md"), p.path)):
        if page.path.endswith(".md") and kind(page.path) not in titles:  # a section's first page names it
            titles[kind(page.path)] = str(front_matter(page.text).get("title") or "")
    cards = {}
    for page in pages:
        if not page.path.endswith(".md"):
            continue
        name = kind(page.path)
        cards[page.path] = own.get(page.path) or Card(f"{page_name(name)}.png", titles.get(name) or name, figures.get(name, ""))
    return cards


def figures(site) -> dict[str, str]:
    """Each kind's key figure from the data: rows of a table with pages, the tables and views of the
    data pages, the version elsewhere; a story may say more (its `card_figures`)."""
    version = site.published.get("version")
    found = {}
    for table in site.entity_tables():
        found[table] = f"{site.tables[table].height:,} {site.resources[table].get('title', table).lower()}"
    tables = [r for r in site.published["resources"] if not r.get("ledger", {}).get("view")]
    views = len(site.published["resources"]) - len(tables)
    rows = sum(r.get("ledger", {}).get("rows", 0) for r in tables)
    versioned = f" · version {version}" if version else ""
    found["home"] = f"{len(tables):,} tables, {rows:,} rows{versioned}"
    found["data"] = f"{len(tables):,} tables" + (f", {views:,} views" if views else "") + versioned
    for name in ("changes", "api", "about", "timeline"):
        found.setdefault(name, f"Version {version}" if version else "")
    return found


def own_cards(story, site) -> dict[str, Card]:
    """Page path -> card for the rows a story gives a card of their own (`cards(site)`: (table, id) -> (title, figure))."""
    found = {}
    for (table, key), (title, figure) in sorted((story.cards(site) if hasattr(story, "cards") else {}).items()):
        slug = page_slug(key)
        found[f"{table}/{slug}.md"] = Card(f"{page_name(table)}/{slug}.png", title, figure)
    return found


def prepare(site, story, pages: list) -> tuple[list, dict[str, Card]]:
    """The pages with their cards named in their front matter, and the cards to draw."""
    found = figures(site) | (story.card_figures(site) if hasattr(story, "card_figures") else {})
    cards = plan(pages, found, own_cards(story, site))
    return attach(pages, cards), cards


def page_name(kind_name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", kind_name.lower()).strip("-") or "page"


def attach(pages: list, cards: dict[str, Card]) -> list:
    """Each page with `card: <path of its PNG>` in its front matter (one added, for a page without).

    In place: each page's old text goes as its new one is made, so a large site is never held twice."""
    for index, page in enumerate(pages):
        card = cards.get(page.path)
        if card is None:
            continue
        line = f"card: {FOLDER}/{card.name}\n"
        if FRONT_MATTER.match(page.text):
            opening = page.text.index("\n") + 1
            text = page.text[:opening] + line + page.text[opening:]
        else:
            text = f"---\n{line}---\n\n{page.text}"
        pages[index] = replace(page, text=text)
    return pages


def write(site_name: str, cards: dict[str, Card], target: Path, cache: Path | None = None) -> tuple[int, int]:
    """Draw each distinct card once into target/FOLDER; returns (cards, drawn). A card drawn by an
    earlier build with the same text and the same code is copied from `cache` instead; the cache
    keeps only this build's cards (and none that a process stopped half-way left)."""
    distinct = {card.name: card for card in sorted(cards.values(), key=lambda c: c.name)}
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    stored = {name: cache / f"{card_key(site_name, card)}.png" if cache is not None else None for name, card in distinct.items()}
    # a link in the cache is never followed: such a card is drawn again
    missing = [name for name, path in stored.items() if path is None or not path.is_file() or path.is_symlink()]
    for name in missing:
        destination = output(target, f"{FOLDER}/{name}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(draw(site_name, distinct[name]))
        if stored[name] is not None:
            # Under a name of its own, then renamed: a card stopped half-copied is never kept under its
            # key, and a link put there is replaced, never written through.
            temporary = stored[name].with_name(f"{stored[name].stem}.{os.getpid()}.tmp")
            temporary.unlink(missing_ok=True)
            shutil.copyfile(destination, temporary)
            os.replace(temporary, stored[name])
    for name in sorted(distinct.keys() - set(missing)):
        destination = output(target, f"{FOLDER}/{name}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(stored[name], destination)
    used = {path.name for path in stored.values() if path is not None}
    for old in [*cache.glob("*.png"), *cache.glob("*.tmp")] if cache is not None else ():
        if old.name not in used:  # cards no page names now, and copies a stopped build left
            old.unlink()
    return len(distinct), len(missing)


class Drawing:
    """The cards drawn by a process of their own while MkDocs builds the site (`write`, in
    builder.common.beside): the build's second core draws them, and neither waits for the other's
    lock. result() waits for them; cancel() stops them (the build failed)."""

    def __init__(self, site_name: str, cards: dict[str, Card], target: Path, cache: Path | None = None):
        self.target = target
        listed = {path: [card.name, card.title, card.figure] for path, card in cards.items()}
        task = {"site_name": site_name, "cards": listed, "cache": str(cache.resolve()) if cache else None}
        self.beside = Beside("builder.site.ogimage", task, target, "the share cards were not drawn")

    def result(self) -> tuple[int, int]:
        count, drawn = json.loads(self.beside.result())
        return count, drawn

    def cancel(self) -> None:
        self.beside.cancel()


def main() -> None:
    """Draw the cards of a job file (Drawing) into the job's folder; print [cards, drawn]."""
    task, folder = job()
    cards = {path: Card(*fields) for path, fields in task["cards"].items()}
    cache = Path(task["cache"]) if task["cache"] else None
    print(json.dumps(write(task["site_name"], cards, folder, cache)))


@cache
def _code() -> bytes:
    """This module's source, read once per build, not once per card."""
    return Path(__file__).read_bytes()


def card_key(site_name: str, card: Card) -> str:
    """What a card's bytes depend on: its text, this module and Pillow's version."""
    digest = hashlib.sha256(_code())
    digest.update(json.dumps([PIL.__version__, site_name, card.title, card.figure]).encode())
    return digest.hexdigest()
