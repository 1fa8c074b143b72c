"""Which section of the site's nav a page belongs to, for pages the nav does not list.

An entity page (models/llama-2/) or a list's later page (sources/page/2/) is in no nav, so Material
marks no tab as current there. The nav page whose address is the longest prefix of the page's
(models/) is its section: marked active, Material styles its tab and drawer link as the current
section, and keyboard.js gives that link aria-current.
"""

from __future__ import annotations


def section_of(page, nav):
    """The nav page whose address holds `page`'s, longest first; None for the home page's children
    (every address starts with the home page's) and for a page the nav lists itself."""
    best = None
    for candidate in nav.pages:
        url = candidate.url
        if url and page.url != url and page.url.startswith(url) and (best is None or len(url) > len(best.url)):
            best = candidate
    return best


def mark_section(context, page, config, nav):
    """Material renders a page in the nav as active when `active` is set. MkDocs resets only the
    page it renders, so a section marked for the page before is reset here first."""
    if nav is None or page is None:
        return context
    for candidate in nav.pages:
        if candidate is not page and candidate.active:
            candidate.active = False
    section = section_of(page, nav)
    if section is not None:
        section.active = True
    return context
