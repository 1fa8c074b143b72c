"""The safety checks of what a package says about its site: its mkdocs.yml (only settings that
cannot run code, fetch anything or read the host), its docs/ pages and assets, and the address
the site is published at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from builder.common.errors import Problem
from builder.package.csvreader import CONTROL_RE
from builder.package.handwritten import docs_context, docs_environment
from builder.package.paths import unsafe_path
from builder.package.safety_resource import REMOTE

SITE_CONFIG = "mkdocs.yml"
# What a package's mkdocs.yml may set. Everything that could run code at build time (hooks,
# plugins, Markdown extensions that read files), fetch something (analytics), read the host
# (INHERIT, !ENV) or add script to pages (extra_javascript, theme overrides) is refused.
CONFIG_KEYS = {
    "site_name",
    "site_description",
    "site_author",
    "copyright",
    "theme",
    "extra_css",
    "plugins",
    "markdown_extensions",
    "use_directory_urls",
    "nav",
    "not_in_nav",
    "site_url",
    "repo_url",
    "repo_name",
    "edit_uri",
    "extra",
    "validation",
}
THEME_KEYS = {"name", "font", "language", "palette", "features", "icon", "logo", "favicon"}
EXTRA_KEYS = {"social", "generator", "homepage"}
PLUGINS = {"search"}
MARKDOWN_EXTENSIONS = {
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "meta",
    "sane_lists",
    "smarty",
    "tables",
    "toc",
    "pymdownx.betterem",
    "pymdownx.caret",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.inlinehilite",
    "pymdownx.keys",
    "pymdownx.mark",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tasklist",
    "pymdownx.tilde",
}
# Files a package's docs/ may publish beside its Markdown pages: styles and raster images.
# Scripts, HTML and SVG (which can carry script) are refused.
ASSET_SUFFIXES = {".css", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico", ".txt"}


def config_problem(message: str, fix: str, line: int | None = None, kind: str = "site-config") -> Problem:
    return Problem(SITE_CONFIG, line, None, kind, message, fix)


def read_site_config(root: Path) -> tuple[dict | None, list[Problem]]:
    """The package's mkdocs.yml (None when it has none), checked against what a package may set."""
    import yaml

    file = root / SITE_CONFIG
    if not file.exists() and not file.is_symlink():
        return None, []
    reason = unsafe_path(root, SITE_CONFIG)
    if reason or not file.is_file():
        return None, [config_problem(f"mkdocs.yml {reason or 'is not a file'}.", "Make mkdocs.yml a plain file in the package.")]
    try:
        config = yaml.safe_load(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [config_problem("mkdocs.yml is not UTF-8.", "Re-save it as UTF-8.")]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        what = getattr(error, "problem", None) or str(error)
        fix = "Fix the YAML at that line (indentation and a missing colon are the usual causes)."
        if "could not determine a constructor" in str(error):
            fix = "Remove the tag: the site configuration may not read environment variables or other files."
        return None, [config_problem(f"mkdocs.yml is not valid YAML at line {line}: {what}.", fix, line)]
    if config is None:
        return {}, []
    if not isinstance(config, dict):
        return None, [config_problem("mkdocs.yml must hold a mapping of settings.", "Write `key: value` lines.")]
    problems = list(_config_problems(config))
    return (None if problems else config), problems


def _config_problems(config: dict) -> Iterator[Problem]:
    for key in config:
        if key not in CONFIG_KEYS:
            yield config_problem(
                f"mkdocs.yml sets `{key}`, which a package may not set.",
                f"Remove it. A package may set: {', '.join(sorted(CONFIG_KEYS))}.",
            )
    theme = config.get("theme", {})
    if isinstance(theme, str):
        theme = {"name": theme}
    if not isinstance(theme, dict):
        yield config_problem("`theme` must be a mapping.", "Write `theme:` with `name: material` under it.")
    else:
        if theme.get("name", "material") != "material":
            yield config_problem(f"`theme.name` is {theme.get('name')!r}.", "Use `name: material`.")
        if theme.get("font", False) is not False:
            yield config_problem("`theme.font` loads web fonts from the network.", "Set `font: false`.")
        for key in theme:
            if key not in THEME_KEYS:
                yield config_problem(f"`theme.{key}` may not be set by a package.", f"Use only: {', '.join(sorted(THEME_KEYS))}.")
    plugins = config.get("plugins", [])
    for plugin in plugins if isinstance(plugins, list) else [plugins]:
        name = plugin if isinstance(plugin, str) else next(iter(plugin), None) if isinstance(plugin, dict) else None
        if name not in PLUGINS:
            yield config_problem(f"The plugin {name!r} is not allowed: plugins run code at build time.", "Use only `search`.")
    extensions = config.get("markdown_extensions", [])
    for extension in extensions if isinstance(extensions, list) else [extensions]:
        name = extension if isinstance(extension, str) else next(iter(extension), None) if isinstance(extension, dict) else None
        if name not in MARKDOWN_EXTENSIONS:
            yield config_problem(
                f"The Markdown extension {name!r} is not allowed.",
                f"Use only: {', '.join(sorted(MARKDOWN_EXTENSIONS))}.",
            )
    extra = config.get("extra", {})
    if not isinstance(extra, dict) or any(key not in EXTRA_KEYS for key in extra):
        yield config_problem(f"`extra` may hold only: {', '.join(sorted(EXTRA_KEYS))}.", "Remove the other keys.")
    styles = config.get("extra_css", [])
    for style in styles if isinstance(styles, list) else [styles]:
        if not isinstance(style, str) or REMOTE.match(style) or style.startswith("/") or ".." in style.split("/"):
            yield config_problem(
                f"`extra_css` entry {style!r} is not a stylesheet inside docs/.", "Give a relative path under docs/."
            )
    for key in ("site_url", "repo_url"):
        value = config.get(key)
        if value is not None and not (isinstance(value, str) and re.match(r"^https?://[^\s<>\"']+$", value)):
            yield config_problem(f"`{key}` must be an http(s) address.", "Write it as https://….")


def check_docs(docs: Path, root: Path, taken: set[str], descriptor: dict) -> list[Problem]:
    """Hand-written pages and assets: inside the package, known kinds, valid templates, no clashes."""
    context = docs_context(descriptor)

    if not docs.is_dir() and not docs.is_symlink():
        return []
    reason = unsafe_path(root, docs.relative_to(root).as_posix())
    if reason:  # nothing behind a docs/ link that leads elsewhere is read, checked or published
        return [Problem(docs.name, None, None, "unsafe-path", f"{docs.name}/ {reason}.", "Make docs/ a folder of the package.")]
    problems = []
    env = docs_environment()
    import jinja2  # imported by docs_environment: here only for its error class

    for file in sorted(docs.rglob("*")):
        relative = file.relative_to(root).as_posix()
        where = file.relative_to(docs).as_posix()
        reason = unsafe_path(root, relative)
        if reason:
            problems.append(
                Problem(relative, None, None, "unsafe-path", f"{relative} {reason}.", "Replace the symlink with a file.")
            )
            continue
        hidden = [part for part in file.relative_to(docs).parts if part.startswith(".")]
        if hidden:  # a hidden folder is named once, not once per file in it
            if hidden == [file.name]:
                problems.append(
                    Problem(
                        relative,
                        None,
                        None,
                        "hidden-file",
                        f"{relative} is hidden, and hidden files and folders are never published.",
                        "Remove it from docs/, or rename it without the leading dot.",
                    )
                )
            continue
        if file.is_dir():
            continue
        if file.suffix == ".md":
            if where in taken or where.split("/")[0] in taken:
                problems.append(
                    Problem(
                        relative,
                        None,
                        None,
                        "page-clash",
                        f"{relative} has the path of a page the builder generates ({where}).",
                        "Rename the page.",
                    )
                )
                continue
            try:
                text = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                problems.append(
                    Problem(relative, None, None, "encoding-error", f"{relative} is not UTF-8.", "Re-save it as UTF-8.")
                )
                continue
            control = CONTROL_RE.search(text)
            if control:
                line = text.count("\n", 0, control.start()) + 1
                problems.append(
                    Problem(
                        relative,
                        line,
                        None,
                        "control-character",
                        f"Line {line} holds the control character U+{ord(control.group()):04X}.",
                        "Remove it.",
                    )
                )
                continue
            try:
                env.from_string(text).render(**context)
            except jinja2.TemplateSyntaxError as error:
                line = error.lineno
                problems.append(
                    Problem(
                        relative,
                        line,
                        None,
                        "template-syntax",
                        f"Line {line}: {getattr(error, 'message', error)} (pages are Jinja templates).",
                        "Write {{ '{#' }} for a literal {#, {{ '{{' }} for {{, or wrap the passage in {% raw %}…{% endraw %}.",
                    )
                )
            except Exception as error:  # the sandbox refused something, or a value is undefined
                line = next((frame.lineno for frame in _traceback_frames(error) if frame.filename == "<template>"), None)
                problems.append(
                    Problem(
                        relative,
                        line,
                        None,
                        "template-error",
                        f"{relative} cannot be rendered: {error}.",
                        "A page may show `site.published` values (title, version, description…) and nothing else.",
                    )
                )
        elif file.suffix.lower() not in ASSET_SUFFIXES:
            problems.append(
                Problem(
                    relative,
                    None,
                    None,
                    "asset-not-allowed",
                    f"{relative} is a {file.suffix or 'extensionless'} file; docs/ publishes Markdown pages, stylesheets and"
                    " raster images only.",
                    f"Remove it, or convert it to one of: {', '.join(sorted(ASSET_SUFFIXES))}.",
                )
            )
    return problems


def _traceback_frames(error: BaseException):
    import traceback

    return traceback.extract_tb(error.__traceback__)


SITE_URL_EXAMPLE = "a plain http(s) address such as https://example.org/ledger/"


def site_url_fault(url: str) -> str | None:
    """Why `url` cannot be the site's published address (None when it can). It is printed into every
    page, the sitemap, the feed and JSON-LD, so it holds no secret, no query or fragment, and nothing
    that ends a string or an attribute there. A user name or password is never repeated back."""
    authority = re.match(r"[^:/?#]*://([^/?#]*)", url)
    if authority and "@" in authority.group(1):
        return (
            "the address holds a user name or password (user:token@), which would be published on every page;"
            f" give {SITE_URL_EXAMPLE}."
        )
    if re.search(r"[\s\x00-\x1f\x7f-\x9f]", url):
        return f"{url!r} holds a space or a control character; give {SITE_URL_EXAMPLE}."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return f"{url!r} is not {SITE_URL_EXAMPLE}."
    if parts.scheme.lower() not in ("http", "https") or not url.lower().startswith(f"{parts.scheme.lower()}://"):
        return f"{url!r} is not an http(s) address such as https://example.org/ledger/."
    if not parts.hostname:
        return f"{url!r} has no host; give {SITE_URL_EXAMPLE}."
    if "?" in url or "#" in url:
        return f"{url!r} has a query (?) or a fragment (#); give {SITE_URL_EXAMPLE}."
    if re.search(r"[<>\"'`\\{}|^]", url):
        return f"{url!r} holds a character an address may not hold (< > quotes \\ {{ }} | ^); give {SITE_URL_EXAMPLE}."
    return None
