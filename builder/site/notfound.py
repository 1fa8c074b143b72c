"""The 404 page of a site published without a known address (no SITE_URL).

MkDocs writes 404.html with root-absolute links ("/assets/…"), because a 404 page is served at
any depth. Under a sub-path (a GitHub project page, /repo/) they point outside the site. Without
the address there is no right absolute link, so the page finds its own root when it loads: it
asks the server for <prefix>/404.html, longest prefix of the requested path first, and makes the
first that answers the page's <base>; every link is then written relative to it.
"""

from __future__ import annotations

import re
from pathlib import Path

FIND_ROOT = (
    "<script>(function(){var parts=location.pathname.split('/');"
    "for(var i=parts.length-1;i>=1;i--){var root=parts.slice(0,i).join('/')+'/';"
    "try{var r=new XMLHttpRequest();r.open('HEAD',root+'404.html',false);r.send();"
    "if(r.status===200){document.write('<base href=\"'+root+'\">');return}}catch(e){}}"
    "document.write('<base href=\"/\">')})();</script>"
)
# Material resolves its base against the address bar, not <base>: give it the found root, with its
# trailing slash (Material finds search/search_index.json relative to it).
FIX_CONFIG = (
    "<script>(function(){var c=document.getElementById('__config');"
    "if(c){var v=JSON.parse(c.textContent);v.base=document.baseURI;"
    "v.search=new URL(v.search,document.baseURI).href;c.textContent=JSON.stringify(v)}})();</script>"
)


def relocatable(site_dir: Path) -> bool:
    """Rewrite site/404.html to work under any path; False when there is none."""
    page = site_dir / "404.html"
    if not page.exists():
        return False
    text = page.read_text(encoding="utf-8")
    text = re.sub(r'(href|src|action)="/(?!/)', r'\1="', text)
    text = text.replace('"base": "/"', '"base": "."').replace('"search": "/', '"search": "')
    text = text.replace("<head>", "<head>\n" + FIND_ROOT, 1)
    text = re.sub(r'(<script src="assets/javascripts/bundle\.)', FIX_CONFIG + r"\n\1", text, count=1)
    page.write_text(text, encoding="utf-8")
    return True
