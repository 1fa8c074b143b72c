"""Curated text as safe HTML: quotes highlighted, inline Markdown, JSON-LD in a <script>.

Everything is escaped but the markup these functions write; only http(s) links become links."""

from __future__ import annotations

import json
import re

from markupsafe import Markup, escape


def highlight(text: str, marks: list[tuple]) -> Markup:
    """Text as escaped paragraphs, each quote wrapped in a link.

    Marks are (quote, href, css class[, id, label]): the id lets a page link to the passage, the
    label says in words what the colour says (a verdict), for readers who cannot tell colours apart.
    A quote that overlaps one already marked is left plain, so the markup always nests.
    """
    spans = []
    for quote, href, css, *rest in marks:
        mark_id, label = (list(rest) + ["", ""])[:2]
        start = text.find(quote)
        if start >= 0 and not any(start < span[1] and start + len(quote) > span[0] for span in spans):
            spans.append((start, start + len(quote), href, css, mark_id, label))
    spans.sort()
    pieces, position = [], 0
    for begin, end, href, css, mark_id, label in spans:
        pieces.append(escape(text[position:begin]))
        anchor = Markup(' id="{}"').format(mark_id) if mark_id else Markup("")
        suffix = Markup(' <span class="ledger-mark-label">[{}]</span>').format(label) if label else Markup("")
        pieces.append(
            Markup('<a class="ledger-mark {}" href="{}"{}><mark>{}</mark>{}</a>').format(
                css, href, anchor, text[begin:end], suffix
            )
        )
        position = end
    pieces.append(escape(text[position:]))
    html = Markup("").join(pieces)
    return Markup("\n").join(Markup("<p>{}</p>").format(Markup(p)) for p in html.split("\n") if p.strip())


INLINE_MARKDOWN = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?://[^\s)<>\"']+)\)")


def inline_markdown(text) -> Markup:
    """Curated prose with its inline Markdown (`code`, **bold**, [links](https://…)) as safe HTML.

    Everything else is escaped, and only http(s) links become links.
    """
    text = "" if text is None else str(text)
    pieces, position = [], 0
    for match in INLINE_MARKDOWN.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        code, bold, label, href = match.groups()
        if code is not None:
            pieces.append(Markup("<code>{}</code>").format(code))
        elif bold is not None:
            pieces.append(Markup("<strong>{}</strong>").format(bold))
        else:
            pieces.append(Markup('<a href="{}" rel="noopener">{}</a>').format(href, label))
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def jsonld(data: dict, compact: bool = False):
    """JSON-LD safe inside a <script> element: no <, > or & survives, so neither </script> nor <!-- can.
    `compact` drops the indentation (the home page's Croissant is a fifth smaller without it)."""
    layout = {"separators": (",", ":")} if compact else {"indent": 1}
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, **layout)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json">\n{text}\n</script>')
