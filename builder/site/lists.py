"""Long lists cut into numbered pages: the Pager a page shows, an index's pages, and the rows.json
that holds every row of a paginated list for sorting and filtering across its pages."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from builder.site.model import Page
from builder.site.names import page_depth


@dataclass
class Pager:
    """Where one page of a long list sits among its pages; `pages` is the window of links shown.

    `base` is the list's first page (e.g. "sources/" or "organizations/meta/models-it-built/"), and
    `table` the table its rows come from (its data page holds them all in the downloads).
    """

    table: str
    number: int
    count: int
    total: int
    size: int
    base: str = ""
    span: tuple[int, int] | None = None  # (first, last) row of a page cut by size in bytes, not rows

    def __post_init__(self):
        self.base = self.base or f"{self.table}/"

    @property
    def first(self) -> int:
        return self.span[0] if self.span else (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.span[1] if self.span else min(self.total, self.number * self.size)

    @property
    def pages(self) -> list[int | None]:
        """Page numbers to link, None for a gap: the first, the last and two either side of this one."""
        shown = sorted({1, self.count, *range(max(1, self.number - 2), min(self.count, self.number + 2) + 1)})
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out

    def path(self, number: int) -> str:
        return self.base if number == 1 else f"{self.base}pages/{number}/"

    @property
    def all_rows(self) -> str:
        """The file with every row of the list (ALL_ROWS), for sorting and filtering across its pages."""
        return self.base + ALL_ROWS


def index_pages(table: str, rows: list[dict], size: int) -> list[tuple[str, int, list[dict], Pager | None]]:
    """(page path, depth, rows, pager) for an entity index: one page, or numbered pages of `size` rows."""
    if len(rows) <= size:
        return [(f"{table}/index.md", 1, rows, None)]
    count = -(-len(rows) // size)
    pages = []
    for number in range(1, count + 1):
        pager = Pager(table, number, count, len(rows), size)
        path = f"{table}/index.md" if number == 1 else f"{table}/pages/{number}.md"
        pages.append((path, page_depth(path), rows[(number - 1) * size : number * size], pager))
    return pages


# Every row of a paginated list, as the <tr> elements its pages show (links relative to its first
# page): ledger.js loads it on the first sort or filter, so both act on all rows, not one page.
ALL_ROWS = "rows.json"
TBODY = re.compile(r"<tbody>\n?(.*?)</tbody>", re.S)
DEEPER = re.compile(r'href="\.\./\.\./')  # pages/N/ is two folders below the list's first page


def all_rows_file(pages: list[tuple[str, int, list[dict], Pager | None]], texts: list[str], table_id: str) -> Page | None:
    """The rows.json of a paginated list, cut from its rendered pages: each row rendered once, as it is shown."""
    pager = pages[0][3]
    marker = f' id="{table_id}"'
    if pager is None or not all(marker in text for text in texts):
        return None  # one page, or a story's own index template without the list's table id
    parts = []
    for (_, _, _, page_pager), text in zip(pages, texts, strict=True):
        body = TBODY.search(text, text.index(marker)).group(1)  # curated text is escaped: no stray </tbody>
        parts.append(body if page_pager.number == 1 else DEEPER.sub('href="', body))
    data = {"count": pager.total, "rows": "".join(parts)}
    return Page(pager.all_rows, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", generated=False)
