"""Run the stages in order for `build`: validate, derive, export, history, render, publish, api, swap.

Each stage takes the typed results it reads (builder.build) and returns its own with a summary line.

Every output is written under a fresh folder in .build/ and moved into dist/ and site/ only
after the last stage succeeds, so a failure leaves the previous outputs as they were.
"""

from __future__ import annotations

import errno
import fcntl
import html
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from builder.build import Checked, Exported, Job, Rendered
from builder.check import validate as validation
from builder.common import progress
from builder.common.errors import BuilderError, InvalidPackage, Report, StageFailed
from builder.package import lenient
from builder.package.paths import Paths
from builder.package.safety_site import site_url_fault

if TYPE_CHECKING:  # the later stages' types, for signatures only (they are imported where they run)
    from builder.history.changes import Ledger
    from builder.views.derive import View


def validate(paths: Paths, strict: bool = False) -> Report:
    try:
        report, _, _ = validation.validate_package(paths, strict)
    finally:
        progress.finish()
    return report


def build(paths: Paths, *, echo=print, site_url: str = "", strict: bool = False) -> None:
    from builder.common import clock

    clock.pin()
    if site_url and site_url_fault(site_url):  # the CLI says why first; this keeps every caller to it
        raise BuilderError(f"--site-url: {site_url_fault(site_url)}")
    with build_lock(paths):
        _build(paths, echo, site_url, strict)


LOCK_FILE = "lock"


@contextmanager
def build_lock(paths: Paths):
    """One build at a time per package folder: a second one stops at once and says so, rather than
    racing the first on the caches in .build/ (and finishing with releases missing)."""
    work = _scratch(paths)
    lock = work / LOCK_FILE
    try:
        # O_NOFOLLOW: a lock file that is a link (shipped in a package's .build/) is never opened.
        handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise BuilderError(
                f"{work.name}/{LOCK_FILE} is a symbolic link; the builder needs it as its lock file: remove it."
            ) from None
        raise BuilderError(f"cannot open the lock file {work.name}/{LOCK_FILE}: {error.strerror}.") from None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise BuilderError(f"{work.name}/{LOCK_FILE} is not a file; remove it.")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuilderError("another build is running in this folder; wait for it to finish, then build again.") from None
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _build(paths: Paths, echo, site_url: str, strict: bool = False) -> None:
    # The published address, when known: MkDocs' site_url (canonical links, sitemap) and absolute JSON-LD urls.
    site_url = site_url.rstrip("/") + "/" if site_url else ""
    trash = paths.cache("trash")
    emptying = _empty(trash)  # the outputs the last build replaced, removed while this one works
    job = Job(paths, _staging(paths), site_url, strict)
    run = _Stages(echo, STAGES)
    exported = None
    done = False
    try:
        total = time.perf_counter()
        checked = run("validate", _validate, job)
        views = run("derive", _derive, checked)
        exported = run("export", _export, job, checked, views)
        ledger = run("history", _history, job, checked.descriptor, exported)
        rendered = run("render", _render, job, checked, views, exported, ledger)
        run("publish", _publish, job, checked.descriptor, rendered, ledger)
        run("api", _api, job, checked, views, exported, ledger)
        _swap(job.staging, paths)
        done = True
        echo(f"built in {time.perf_counter() - total:.2f}s")
    finally:
        progress.finish()
        if exported is not None:
            exported.bundle.cancel()  # stops the workbook's process if a later stage failed
        if emptying is not None:
            emptying.wait()
        # The replaced dist/ and site/ (moved into staging by _swap) go with the next build.
        if not (done and _trashed(job.staging, trash)):
            shutil.rmtree(job.staging, ignore_errors=True)


def _empty(trash: Path) -> subprocess.Popen | None:
    """Remove, in a process of its own, what a build before left in `trash` (the dist/ and site/ it
    replaced): thousands of files take a second or two to delete, mostly waiting on the disk, which
    this build's own work hides. (A thread would not: each deletion waits for the interpreter's lock
    while the build holds it, and the two slow each other down.) Only folders are removed, never a
    link nor what it points to."""
    if not trash.is_dir() or trash.is_symlink():
        return None
    folders = [str(entry) for entry in sorted(trash.iterdir()) if entry.is_dir() and not entry.is_symlink()]
    if not folders:
        return None
    remove = "import shutil, sys\nfor folder in sys.argv[1:]: shutil.rmtree(folder, ignore_errors=True)"
    return subprocess.Popen([sys.executable, "-P", "-c", remove, *folders], cwd=trash, stdin=subprocess.DEVNULL)


def _trashed(staging: Path, trash: Path) -> bool:
    """Move a finished build's staging folder (the outputs it replaced) into `trash`; False if it cannot be."""
    try:
        trash.mkdir(exist_ok=True)
        staging.rename(trash / staging.name)
    except OSError:
        return False
    return True


STAGES = ("validate", "derive", "export", "history", "render", "publish", "api")


class _Stages:
    """Runs one stage at a time: times it, says what it made, and names it when it fails."""

    def __init__(self, echo, names: tuple[str, ...]):
        self.echo, self.names = echo, names

    def __call__(self, name: str, stage, *inputs):
        number = self.names.index(name) + 1
        started = time.perf_counter()
        try:
            result, detail = stage(*inputs)
        except BuilderError:
            raise
        except Exception as error:  # a bug or an environment fault: say which stage, keep the cause
            raise StageFailed(
                f"stage {name} failed: {type(error).__name__}: {error} (run with --debug for the traceback)"
            ) from error
        progress.finish()
        self.echo(f"[{number}/{len(self.names)}] {name:<9} {time.perf_counter() - started:6.2f}s  {detail}")
        return result


def _staging(paths: Paths) -> Path:
    """A fresh staging folder in .build/, named after this process; leftovers of dead builds go."""
    work = _scratch(paths)
    try:
        for old in work.glob("build-*"):
            match = re.match(r"build-(\d+)-", old.name)
            if match and not _alive(int(match.group(1))):
                shutil.rmtree(old, ignore_errors=True)
        return Path(tempfile.mkdtemp(prefix=f"build-{os.getpid()}-", dir=work))
    except OSError as error:
        raise _unwritable(paths, error) from None


def _scratch(paths: Paths) -> Path:
    """.build/, made if missing, or a clear error when the package folder cannot hold it."""
    try:
        return paths.scratch()
    except FileExistsError:
        raise BuilderError(
            f"{paths.relative(paths.work)} is a file; the builder needs it as its scratch folder: remove it."
        ) from None
    except OSError as error:
        raise _unwritable(paths, error) from None


def _unwritable(paths: Paths, error: OSError) -> BuilderError:
    return BuilderError(
        f"cannot write the scratch folder {paths.work.name}/ in {paths.root.name}/: {error.strerror}."
        " Build in a folder you can write to."
    )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def interruptible():
    """SIGTERM (a cancelled CI job) unwinds like Ctrl+C, so staging is cleaned up and outputs stay whole."""

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _validate(job: Job) -> tuple[Checked, str]:
    report, descriptor, tables, views = validation.validate_and_derive(job.paths, job.strict)
    if not report.valid:
        raise InvalidPackage(report)
    wanted = sum(w.type in lenient.WARNING_TYPES for w in report.warnings)
    said = f", {wanted} warnings (builder validate lists them)" if wanted else ""
    detail = f"{len(tables)} tables, {sum(t.height for t in tables.values())} rows, no problems{said}"
    return Checked(report, descriptor, tables, views), detail


# The later stages are imported where they run, so `builder validate` does not pay for them.


def _derive(checked: Checked) -> tuple[list[View], str]:
    from builder.views import derive

    # A valid package's views were derived, and their checks made, by validation.
    views, problems = (checked.views, []) if checked.views else derive.derive(checked.descriptor, checked.tables)
    if problems:
        raise InvalidPackage(Report(package=checked.descriptor.get("name", ""), problems=problems))
    return views, f"{len(views)} views: " + ", ".join(f"{v.name} ({v.frame.height})" for v in views)


def _export(job: Job, checked: Checked, views: list[View]) -> tuple[Exported, str]:
    from builder.outputs import bundle, export

    dist = job.dist
    dist.mkdir()
    downloads, tables = export.export(checked.descriptor, checked.tables, views, dist, job.paths.root, site_url=job.site_url)
    # The workbook and database are written beside the next stages, on the second core (builder.outputs.bundle).
    writing = bundle.Bundle(downloads, tables, job.staging / "bundle")
    files = [p for p in dist.rglob("*") if p.is_file()]
    detail = f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1024:.0f} KiB in dist/"
    return Exported(dist, downloads.published, writing), f"{detail}; the workbook and database are being written beside"


def _render(job: Job, checked: Checked, views: list[View], exported: Exported, ledger: Ledger | None) -> tuple[Rendered, str]:
    from builder.outputs import croissant
    from builder.package import story as stories
    from builder.site import names, ogimage, render

    site = render.Site(
        checked.descriptor,
        checked.tables,
        views,
        exported.published,
        checked.report,
        job.paths.root,
        site_url=job.site_url,
    )
    site.history = ledger
    # The home page embeds the Croissant file, its addresses relative to the home page when the site's is unknown.
    base = f"{job.site_url}downloads/" if job.site_url else "downloads/"

    def downloads_written():  # the workbook and database are written: the pages that list every download may follow
        exported.bundle.finish()
        site.croissant = croissant.document(exported.published, base=base, site_url=job.site_url)

    docs_dir = job.staging / "docs"
    pages = render.render_pages(site, job.paths.docs, downloads_written)
    # Share cards (Open Graph images): each page names its card; the cards are drawn by a process of
    # their own, into a folder MkDocs does not read, while it builds the site (publish moves them in).
    pages, cards = ogimage.prepare(site, stories.for_package(checked.descriptor), pages)
    generated = render.write_pages(pages, docs_dir, job.paths.docs)
    name = names.plain_title(site.published.get("title") or site.published.get("name", ""))
    drawing = ogimage.Drawing(name, cards, job.staging / "cards", job.paths.cache("cards"))
    return Rendered(docs_dir, generated, drawing), f"{len(pages)} pages"


def _publish(job: Job, descriptor: dict, rendered: Rendered, ledger: Ledger | None = None) -> tuple[None, str]:
    from builder.common import clock
    from builder.package.paths import output
    from builder.site import notfound, ogimage, publish, words
    from builder.site.config import site_config

    config = site_config(job.paths.root, descriptor)
    if job.site_url:
        config["site_url"] = job.site_url
    # Every page's footer says which data it shows: the release and when it was published (Material
    # prints the copyright line as HTML). "Data as of" is the data's last dated event, on the story's pages.
    stamp = words.release_stamp(descriptor.get("version"), ledger, clock.build_time().date())
    config["copyright"] = " · ".join(html.escape(str(part)) for part in (config.get("copyright"), stamp) if part)
    site_dir = job.staging / "site"
    try:
        count, cache, shared = publish.publish(
            config,
            rendered.docs_dir,
            site_dir,
            job.dist,
            rendered.generated,  # publish hands the texts to MkDocs and empties it
            job.paths.cache("pages"),
        )
    except BaseException:
        if rendered.cards is not None:
            rendered.cards.cancel()
        raise
    cards = ""
    if rendered.cards is not None:
        drawn = rendered.cards.result()
        folder = rendered.cards.target / ogimage.FOLDER
        if folder.is_dir():
            _move_in(folder, output(site_dir, ogimage.FOLDER))
        cards = f", {drawn[0]} share cards ({drawn[1]} drawn beside it)"
    if not job.site_url:
        notfound.relocatable(site_dir)  # no known address: the 404 page finds the site's root itself
    rebuilt = ""
    if cache:
        rebuilt = f" ({len(cache.rebuilt)} rendered, {shared} in a shared theme render; {cache.reused} from the page cache)"
    return None, f"{count} HTML pages{rebuilt}{cards}, {folder_bytes(site_dir) / 1024 / 1024:.1f} MiB in site/"


def _move_in(folder: Path, destination: Path) -> None:
    """Move `folder` to `destination`, whole when nothing is there, else file by file (a package's
    docs/ may hold files under the same folder: the moved files win)."""
    if not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, destination)
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            target = destination / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)


def folder_bytes(folder: Path) -> int:
    """The size of every file under `folder` (os.walk: a site of 5,000 pages in a tenth of pathlib's time)."""
    return sum(os.stat(os.path.join(top, name)).st_size for top, _, names in os.walk(folder) for name in names)


def _history(job: Job, descriptor: dict, exported: Exported) -> tuple[Ledger, str]:
    """Releases from git, their diffs, and each release's own downloads in dist/<version>/ (issue 10)."""
    from builder.history import changes

    ledger = changes.collect(job.paths, descriptor, exported.dist)
    if not ledger.available:
        return ledger, f"history unavailable: {ledger.reason}"
    note = changes.one_zip_per_version(ledger, descriptor, exported.published, exported.dist)
    skipped = f"; skipped {'; '.join(ledger.skipped)}" if ledger.skipped else ""
    return ledger, (
        f"{len(ledger.releases)} release{'s' if len(ledger.releases) != 1 else ''}: "
        + ", ".join(r.version for r in reversed(ledger.releases))
        + skipped
        + note
    )


def _api(job: Job, checked: Checked, views: list[View], exported: Exported, ledger: Ledger | None) -> tuple[None, str]:
    from builder.outputs import api

    count = api.write(job.staging / "site" / "api" / "v1", checked.descriptor, checked.tables, views, exported.published, ledger)
    return None, f"{count} files in site/api/v1/"


def _swap(staging: Path, paths: Paths) -> None:
    """Replace dist/ and site/ with the staged ones, both or neither.

    The old folders are moved aside into staging first; if any rename fails, every step done so
    far is undone in reverse, so the root holds the previous dist/ and site/ as they were.
    """
    done: list[tuple[Path, Path]] = []  # (from, to) renames, to undo on failure
    try:
        for name, target in (("dist", paths.dist), ("site", paths.site)):
            built = staging / name
            if not built.exists():
                continue
            if target.exists() or target.is_symlink():
                old = staging / f"old-{name}"
                target.rename(old)
                done.append((target, old))
            built.rename(target)
            done.append((built, target))
    except OSError as error:
        for source, moved in reversed(done):
            try:
                moved.rename(source)
            except OSError:
                pass
        where = Path(error.filename).name if error.filename else "the outputs"
        raise BuilderError(
            f"could not put the new build in place ({where}: {error.strerror}); the previous dist/ and site/ are kept."
            " Check that the package folder and its dist/ and site/ are writable."
        ) from None


def serve(paths: Paths, *, port: int, echo=print) -> None:
    import functools
    import http.server

    from builder.common.errors import BuilderError

    if paths.site.is_symlink():  # a package may ship site/ as a link: never serve what it points to
        raise BuilderError("site is a symbolic link; serve shows only a site the builder wrote: run `make build` first.")
    if not (paths.site / "index.html").exists():
        raise BuilderError("There is no site/ yet: run `make build` first.")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(paths.site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        echo(f"Serving site/ at http://127.0.0.1:{port}/ (Ctrl+C to stop)")
        server.serve_forever()
