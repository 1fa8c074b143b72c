"""Run the stages in order for `build`: validate, derive, export, render, publish, swap.

Every output is written under a fresh folder in .build/ and moved into dist/ and site/ only
after the last stage succeeds, so a failure leaves the previous outputs as they were.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from builder import validate as validation
from builder.errors import BuilderError, InvalidPackage, Report, StageFailed
from builder.paths import Paths


def validate(paths: Paths) -> Report:
    report, _, _ = validation.validate_package(paths)
    return report


def build(paths: Paths, *, echo=print) -> None:
    from builder import clock

    clock.pin()
    stages = [("validate", _validate), ("derive", _derive), ("export", _export), ("render", _render), ("publish", _publish)]
    paths.work.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=paths.work))
    state: dict = {"paths": paths, "staging": staging}
    try:
        total = time.perf_counter()
        for number, (name, stage) in enumerate(stages, start=1):
            started = time.perf_counter()
            try:
                detail = stage(state)
            except BuilderError:
                raise
            except Exception as error:  # a bug or an environment fault: say which stage, keep the cause
                raise StageFailed(
                    f"stage {name} failed: {type(error).__name__}: {error} (run with --debug for the traceback)"
                ) from error
            echo(f"[{number}/{len(stages)}] {name:<9} {time.perf_counter() - started:6.2f}s  {detail}")
        _swap(staging, paths)
        echo(f"built in {time.perf_counter() - total:.2f}s")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _validate(state: dict) -> str:
    report, descriptor, tables = validation.validate_package(state["paths"])
    if not report.valid:
        raise InvalidPackage(report)
    state.update(report=report, descriptor=descriptor, tables=tables)
    return f"{len(tables)} tables, {sum(t.height for t in tables.values())} rows, no problems"


# The later stages are imported where they run, so `builder validate` does not pay for them.


def _derive(state: dict) -> str:
    from builder import derive

    views, problems = derive.derive(state["descriptor"], state["tables"])
    if problems:
        raise InvalidPackage(Report(package=state["descriptor"].get("name", ""), problems=problems))
    state["views"] = views
    return f"{len(views)} views: " + ", ".join(f"{v.name} ({v.frame.height})" for v in views)


def _export(state: dict) -> str:
    from builder import export

    dist = state["staging"] / "dist"
    dist.mkdir()
    state["published"] = export.export(state["descriptor"], state["tables"], state["views"], dist, state["paths"].root)
    files = [p for p in dist.rglob("*") if p.is_file()]
    return f"{len(files)} files, {sum(p.stat().st_size for p in files) / 1024:.0f} KiB in dist/"


def _render(state: dict) -> str:
    from builder import render

    site = render.Site(
        state["descriptor"], state["tables"], state["views"], state["published"], state["report"], state["paths"].root
    )
    docs_dir = state["staging"] / "docs"
    pages = render.render_pages(site, state["paths"].docs)
    render.write_pages(pages, docs_dir, state["paths"].docs)
    state["docs_dir"] = docs_dir
    return f"{len(pages)} pages"


def _publish(state: dict) -> str:
    from builder import publish

    config = publish.site_config(state["paths"].root, state["descriptor"])
    site_dir = state["staging"] / "site"
    count = publish.publish(config, state["docs_dir"], site_dir, state["staging"] / "dist", state["paths"].work / "cache")
    files = [p for p in site_dir.rglob("*") if p.is_file()]
    return f"{count} HTML pages, {sum(p.stat().st_size for p in files) / 1024 / 1024:.1f} MiB in site/"


def _swap(staging: Path, paths: Paths) -> None:
    """Replace dist/ and site/ with the staged ones; the old ones are removed only afterwards."""
    for name, target in (("dist", paths.dist), ("site", paths.site)):
        built = staging / name
        if not built.exists():
            continue
        old = staging / f"old-{name}"
        if target.exists():
            target.rename(old)
        built.rename(target)


def serve(paths: Paths, *, port: int, echo=print) -> None:
    import functools
    import http.server

    from builder.errors import BuilderError

    if not (paths.site / "index.html").exists():
        raise BuilderError("There is no site/ yet: run `make build` first.")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(paths.site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        echo(f"Serving site/ at http://127.0.0.1:{port}/ (Ctrl+C to stop)")
        server.serve_forever()
