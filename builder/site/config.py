"""The site's MkDocs configuration and its public address.

The configuration is the package's own mkdocs.yml when it has one, else a built-in default, its
titles and descriptions kept to plain text; the builder's hook, overrides and assets are always in it."""

from __future__ import annotations

from pathlib import Path

import yaml

from builder.common.errors import StageFailed
from builder.package import safety_site
from builder.site.cache import HOOKS
from builder.site.names import plain_title

DEFAULT_CONFIG = Path(__file__).parent / "templates" / "mkdocs.yml"
OVERRIDES = Path(__file__).parent / "overrides"  # the builder's Material overrides: skip link, 404 page


# Settings the theme prints into pages without escaping: kept to plain text.
TEXT_SETTINGS = ("site_name", "site_description", "site_author", "copyright")


def site_config(root: Path, descriptor: dict) -> dict:
    """The MkDocs config: the package's mkdocs.yml (checked by validation), or our default.

    Titles and descriptions become plain text: Material prints them unescaped into <title>,
    the header and meta tags. The builder's own hook is the only hook.
    """
    own, problems = safety_site.read_site_config(root)
    if problems:  # validation reports these; a build never gets here with them
        raise StageFailed(f"{problems[0].path}: {problems[0].message}")
    config = own if own is not None else yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    config.setdefault("site_name", descriptor.get("title") or descriptor.get("name") or "Data package")
    config.setdefault("site_description", descriptor.get("description", ""))
    for key in TEXT_SETTINGS:
        if key in config:
            config[key] = plain_title(config[key]) if key == "site_name" else plain_text(config[key])
    config["hooks"] = [HOOKS]
    theme = config.get("theme") or "material"
    config["theme"] = {**({"name": theme} if isinstance(theme, str) else theme), "custom_dir": str(OVERRIDES)}
    # The builder's own assets (written by render.write_pages): its CSS first, so a package's can override it.
    config["extra_css"] = ["_ledger/ledger.css", "_ledger/keyboard.css", *config.get("extra_css", [])]
    config["extra_javascript"] = ["_ledger/ledger.js", "_ledger/ledger-fit.js", "_ledger/keyboard.js"]
    return config


def plain_text(value) -> str:
    """Text with nothing the theme could read as markup."""
    return " ".join(str(value).replace("<", "‹").replace(">", "›").replace("&", "and").replace('"', "'").split())


def site_url(site) -> str:
    """The site's public address, with a trailing slash; "" if unknown. The build's own (`Site.site_url`,
    where the build is given one) wins over `site_url` in the package's MkDocs config."""
    url = getattr(site, "site_url", "") or site_config(site.root, site.descriptor).get("site_url") or ""
    return url.rstrip("/") + "/" if isinstance(url, str) and url.startswith(("https://", "http://")) else ""
