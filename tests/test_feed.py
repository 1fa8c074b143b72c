"""The Atom feed of releases (issue 18 §6): with the site's address it names itself (rel="self") and
every link is absolute; without one it has no self link and links relative to itself. Parsed as XML."""

import shutil
import xml.etree.ElementTree as ET

from click.testing import CliRunner
from test_history import repo  # noqa: F401  (a git repository with two releases)

from builder.cli import cli

ATOM = {"a": "http://www.w3.org/2005/Atom"}


def build_feed(repo, tmp_path, *options) -> ET.Element:  # noqa: F811
    root = tmp_path / "tiny"
    shutil.copytree(repo["root"], root, ignore=shutil.ignore_patterns("site", "dist", ".build"))
    result = CliRunner().invoke(cli, ["build", "--root", str(root), "--quiet", *options])
    assert result.exit_code == 0, result.output
    return ET.parse(root / "site" / "changes.xml").getroot()  # a real XML parser: well-formed or it raises


def links(feed: ET.Element) -> list[tuple[str, str]]:
    return [(link.get("rel"), link.get("href")) for link in feed.iter("{http://www.w3.org/2005/Atom}link")]


def test_with_a_site_url_the_feed_names_itself_and_links_absolutely(repo, tmp_path):  # noqa: F811
    feed = build_feed(repo, tmp_path, "--site-url", "https://example.org/tiny")
    assert links(feed) == [
        ("self", "https://example.org/tiny/changes.xml"),
        ("alternate", "https://example.org/tiny/changes/"),
        ("alternate", "https://example.org/tiny/changes/#v0-2-0"),
        ("alternate", "https://example.org/tiny/changes/#v0-1-0"),
    ]
    assert feed.find("a:link[@rel='self']", ATOM).get("type") == "application/atom+xml"
    assert [e.find("a:title", ATOM).text for e in feed.findall("a:entry", ATOM)] == ["Tiny 0.2.0", "Tiny 0.1.0"]


def test_with_site_url_from_the_environment_too(repo, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SITE_URL", "https://example.org/env/")
    feed = build_feed(repo, tmp_path)
    assert links(feed)[0] == ("self", "https://example.org/env/changes.xml")


def test_without_a_site_url_there_is_no_self_link_and_links_are_relative(repo, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.delenv("SITE_URL", raising=False)
    feed = build_feed(repo, tmp_path)
    assert links(feed) == [("alternate", "changes/"), ("alternate", "changes/#v0-2-0"), ("alternate", "changes/#v0-1-0")]
