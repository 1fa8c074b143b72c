"""Time the builder: the Ledger's own `validate` and `build`, then `builder validate` against
`frictionless validate` on synthetic packages of the Ledger's shape (`builder synth`).

Both shapes of synthetic package (`--shape`): whole copies of the Ledger's rows, and the same shape
with every value redrawn at random (`builder synth --distinct`: random ids, dates, texts and quotes,
about 20 rows citing each source), so that no cost hides behind repeated values.

Then `builder build` of synthetic packages with 1,000 and 5,000 entity pages against a bare
`mkdocs build` (same theme, search on) of a plain Markdown site with as many HTML pages, each
build clean (no page cache), and the same package rebuilt after one changed row (a person's name)
with the page cache of the build before (.build/pages-<key>/). The Ledger's repeated builds are warm:
they reuse the page cache, as a second `make build` does.

Run with `make bench` (warm .venv); `--quick` is a smoke run (10k rows, 500 entity pages, one run each). Each run is
a fresh process, as a user or CI runs it; peak memory is that process's max RSS (os.wait4), CPU
is its user + system time (steadier than wall time on a shared machine). frictionless is run once
per size (at 1M rows it takes a minute or more; `--reuse FILE` takes its figures from an earlier
run's output instead). One-off runs: `--shape distinct --rows 1000000 --runs 1 --only validate
--no-ledger`, `--shape distinct --pages 5000 --runs 1 --only build`. Timing goals live here, not in tests:
  - the Ledger: validate <= 1.5 s and <= 300 MiB; warm `make build` <= 3 s and <= 500 MiB;
  - synthetic, 1M rows, both shapes: builder validate >= 30x faster than frictionless validate by
    wall time and >= 20x by CPU time, and no more peak memory (README "Validating big packages");
  - synthetic, 1k and 5k entity pages: builder build <= 1.5x a bare mkdocs build, < 1 GiB peak,
    no HTML page over 150 KiB, search index <= 1.5 KiB per entity page (README "Publishing big packages");
    the one-row rebuild is reported beside it (no goal: it is the clean build less MkDocs' unchanged pages).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BUILDER = BIN / "builder"
FRICTIONLESS = BIN / "frictionless"
LEDGER_GOALS = {"validate": (1.5, 300), "make build": (3.0, 500)}
SPEED_GOAL = 30
CPU_GOAL = 20  # issue 20: by CPU time too (steadier than wall time on a shared machine)


def run_once(command: list[str], cwd: Path = ROOT, env: dict | None = None) -> dict:
    """Wall time, CPU time and peak RSS of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
        "exit": os.waitstatus_to_exitcode(status),
    }


def measure(command: list[str], runs: int, cwd: Path = ROOT, before=None, env: dict | None = None) -> dict:
    """Median of `runs` runs; `before(run)`, when given, is called (untimed) ahead of each; `env` is added to the environment."""
    results = []
    for run in range(runs):
        if before:
            before(run)
        results.append(run_once(command, cwd, env))
    return {
        "runs": runs,
        "median_s": round(statistics.median(r["wall_s"] for r in results), 3),
        "min_s": round(min(r["wall_s"] for r in results), 3),
        "cpu_s": round(statistics.median(r["cpu_s"] for r in results), 3),
        "peak_mib": round(max(r["peak_mib"] for r in results), 1),
        "exit": results[-1]["exit"],
    }


def ledger(runs: int) -> dict:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    results = {
        "validate": measure([str(BUILDER), "validate"], runs),
        "build": measure([str(BUILDER), "build", "--quiet"], runs),
        "make build": measure(["make", "--no-print-directory", "build"], runs),
    }
    for name, (seconds, mib) in LEDGER_GOALS.items():
        result = results[name]
        ok = result["median_s"] <= seconds and result["peak_mib"] <= mib
        result["goal"] = f"<= {seconds} s, <= {mib} MiB: {'ok' if ok else 'OVER'}"
    results["site"], results["dist"] = outputs()
    return results


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def outputs() -> tuple[dict, dict]:
    """Sizes of the Ledger's built site and downloads."""
    site = ROOT / "site"
    pages = list(site.rglob("*.html"))
    entity = [p for p in pages if p.parent.parent.name in {"people", "models", "organizations", "sources", "claims", "documents"}]
    index = site / "search" / "search_index.json"
    site_stats = {
        "html_pages": len(pages),
        "site_mib": round(folder_size(site) / 2**20, 2),
        "largest_page_kib": round(max(p.stat().st_size for p in pages) / 1024, 1),
        "search_index_kib": round(index.stat().st_size / 1024, 1),
        "search_index_per_entity_page_kib": round(index.stat().st_size / 1024 / max(1, len(entity)), 2),
    }
    dist = {p.relative_to(ROOT / "dist").as_posix(): p.stat().st_size for p in sorted((ROOT / "dist").glob("*")) if p.is_file()}
    dist["data/ (all tables and views)"] = folder_size(ROOT / "dist" / "data")
    return site_stats, dist


SHAPES = ("copies", "distinct")  # whole copies of the Ledger's rows; every value redrawn (synth --distinct)


def synth(rows: int, package: Path, shape: str) -> float:
    """Write a synthetic package of `shape`; return the seconds it took."""
    started = time.perf_counter()
    extra = ["--distinct"] if shape == "distinct" else []
    subprocess.run(
        [str(BUILDER), "synth", "--rows", str(rows), "--out", str(package), *extra],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def versus(rows: int, runs: int, work: Path, reference: dict | None = None, shape: str = "copies") -> dict:
    """builder validate vs frictionless validate on one synthetic package of `rows` rows.

    `reference`: frictionless's figures from an earlier run of this script (--reuse), not re-run.
    """
    package = work / f"ledger-{shape}-{rows}"
    synth_s = synth(rows, package, shape)
    ours = measure([str(BUILDER), "validate", "--root", str(package)], runs)
    # Every file through the path a file too big to hold takes (typed spill on disk, keys on the streaming engine).
    streamed = measure([str(BUILDER), "validate", "--root", str(package)], runs, env={"LEDGER_STREAMING_BYTES": "0"})
    if reference is None:
        theirs = measure([str(FRICTIONLESS), "validate", str(package / "datapackage.json")], 1)
    else:
        theirs = {**reference, "reused": True}
    return {
        "shape": shape,
        "rows": rows,
        "csv_mib": round(sum(p.stat().st_size for p in package.rglob("*.csv")) / 2**20, 1),
        "synth_s": round(synth_s, 2),
        "builder validate": ours,
        "builder validate (streaming path)": streamed,
        "frictionless validate": theirs,
        "speedup_wall": round(theirs["median_s"] / ours["median_s"], 1),
        "speedup_cpu": round(theirs["cpu_s"] / ours["cpu_s"], 1),
        "memory_ratio": round(ours["peak_mib"] / theirs["peak_mib"], 2),
        "both_valid": ours["exit"] == 0 and theirs["exit"] == 0,
    }


# ------------------------------------------------------------ build vs bare mkdocs

BUILD_GOAL = 1.3  # issue 20: builder build at most this many times a bare `mkdocs build` of as many pages
BUILD_MEMORY_MIB = 400  # issue 20: peak memory of a 5k-entity build
PAGE_KIB, SEARCH_KIB_PER_ENTITY = 150, 1.5

BARE_CONFIG = """site_name: Bare
theme:
  name: material
  font: false
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
  features:
    - search.highlight
    - navigation.top
plugins:
  - search
use_directory_urls: true
nav:
  - Home: index.md
"""


def entity_rows_per_copy(shape: str = "copies", related: int = 20) -> tuple[int, int]:
    """(entity rows, all rows) of the package: how many entity pages one synth copy adds, and its rows.

    A distinct copy also has the link table's added rows (synth --distinct --related: about `related`
    citations for each row the link table can name), as builder.tools.synth counts them."""
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    entities = total = 0
    heights = {}
    for resource in descriptor["resources"]:
        rows = sum(1 for _ in open(ROOT / resource["path"], encoding="utf-8")) - 1
        heights[resource["name"]] = rows
        total += rows
        options = resource.get("ledger", {})
        if options.get("pages", "label" in options):
            entities += rows
    if shape == "distinct":
        for resource in descriptor["resources"]:
            fields = {f["name"]: f for f in resource["schema"]["fields"]}
            if {"resource", "row_id"} <= set(fields):
                named = fields["resource"].get("constraints", {}).get("enum", [])
                citable = sum(heights.get(name, 0) for name in named)
                total += citable * max(0, round(related - heights[resource["name"]] / max(1, citable)))
                break
    return entities, total


def bare_docs(folder: Path, pages: int) -> None:
    """A plain Markdown site of `pages` pages: a title, a paragraph and a small table on each."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(BARE_CONFIG, encoding="utf-8")
    (docs / "index.md").write_text("# Home\n\nA bare MkDocs site for the benchmark.\n", encoding="utf-8")
    table = "| Field | Value |\n|---|---|\n" + "".join(f"| field {i} | value {i} |\n" for i in range(5))
    for number in range(1, pages):
        text = f"# Page {number}\n\nPage {number} of the benchmark, one paragraph of plain text about it.\n\n{table}"
        (docs / f"section-{number % 10}" / f"page-{number}.md").parent.mkdir(exist_ok=True)
        (docs / f"section-{number % 10}" / f"page-{number}.md").write_text(text, encoding="utf-8")


def site_sizes(site: Path, entity_tables: set[str]) -> dict:
    pages = list(site.rglob("*.html"))
    entity = [p for p in pages if p.parent.parent.parent == site and p.parent.parent.name in entity_tables]
    largest = max(pages, key=lambda p: p.stat().st_size)
    index = (site / "search" / "search_index.json").stat().st_size
    return {
        "html_pages": len(pages),
        "entity_pages": len(entity),
        "largest_page_kib": round(largest.stat().st_size / 1024, 1),
        "largest_page": largest.parent.relative_to(site).as_posix() + "/",
        "search_index_per_entity_page_kib": round(index / 1024 / max(1, len(entity)), 2),
    }


def rename_person(package: Path, run: int) -> None:
    """Change one row: the last person's name (her page, the pages that list her and the people index change)."""
    people = package / "seeds" / "people.csv"
    with people.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("name")
    rows[-1][column] = rows[-1][column].split(" (renamed")[0] + f" (renamed {run + 1})"
    with people.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def build_versus(entity_pages: int, runs: int, work: Path, shape: str = "copies") -> dict:
    """builder build of a synthetic package with about `entity_pages` entity pages vs a bare
    `mkdocs build` of a plain Markdown site with the same number of HTML pages."""
    entities, total = entity_rows_per_copy(shape)
    copies = max(1, round(entity_pages / entities))
    package = work / f"site-{shape}-{entity_pages}"
    synth(copies * total, package, shape)
    build = [str(BUILDER), "build", "--quiet", "--root", str(package)]

    # A clean build each time: the page and card caches of the run before are removed first.
    def cold(run):  # .build/pages-<key>/ and .build/cards-<key>/ removed: every page rendered, every card drawn
        for folder in [*(package / ".build").glob("pages-*"), *(package / ".build").glob("cards-*")]:
            shutil.rmtree(folder, ignore_errors=True)

    ours = measure(build, runs, before=cold)
    # Then a rebuild after one changed row, the cache warm from the build before (each run renames again).
    rebuild = measure(build, runs, before=lambda run: rename_person(package, run))
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    tables = {r["name"] for r in descriptor["resources"] if r.get("ledger", {}).get("pages", "label" in r.get("ledger", {}))}
    sizes = site_sizes(package / "site", tables)
    bare = work / f"bare-{shape}-{entity_pages}"
    bare_docs(bare, sizes["html_pages"])
    theirs = measure([str(BIN / "mkdocs"), "build", "--quiet", "-f", str(bare / "mkdocs.yml")], runs, cwd=bare)
    ratio = round(ours["median_s"] / theirs["median_s"], 2)
    ok = (
        ratio <= BUILD_GOAL
        and ours["peak_mib"] < BUILD_MEMORY_MIB
        and sizes["largest_page_kib"] <= PAGE_KIB
        and sizes["search_index_per_entity_page_kib"] <= SEARCH_KIB_PER_ENTITY
    )
    return {
        "shape": shape,
        "entity_pages": sizes["entity_pages"],
        "rows": copies * total,
        "builder build": ours,
        "mkdocs build (bare)": theirs,
        "one-row rebuild": rebuild,
        "ratio_wall": ratio,
        "ratio_cpu": round(ours["cpu_s"] / theirs["cpu_s"], 2),
        "site": sizes,
        "goal": f"<= {BUILD_GOAL}x bare mkdocs, < {BUILD_MEMORY_MIB} MiB, pages <= {PAGE_KIB} KiB, "
        f"search <= {SEARCH_KIB_PER_ENTITY} KiB per entity page: {'ok' if ok else 'OVER'}"
        # A smoke-sized site is mostly fixed costs (validation, downloads): the ratio goal is for 1k pages and up.
        + ("" if entity_pages >= 1_000 else " (smoke size: the ratio goal applies from 1,000 entity pages)"),
    }


def compiled() -> None:
    """The builder's modules compiled to bytecode before any run, as frictionless's are (pip compiles
    what it installs; the builder is installed editable). Otherwise a machine that sets
    PYTHONDONTWRITEBYTECODE (as some CI images do) has every run of the builder compile its hundred
    modules from source again (about 50 ms of each validate) while frictionless never does."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "builder")], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 10k rows, one run each, no Ledger build")
    parser.add_argument(
        "--only", choices=("validate", "build"), help="run one half: validate (and the Ledger) or build (synthetic sites)"
    )
    parser.add_argument("--reuse", type=Path, help="JSON printed by an earlier run: reuse its frictionless figures")
    parser.add_argument("--shape", choices=(*SHAPES, "both"), default="both", help="synthetic packages: copies, distinct or both")
    parser.add_argument("--rows", type=int, action="append", help="one-off: validate at this size only (repeatable)")
    parser.add_argument("--pages", type=int, action="append", help="one-off: build at this many entity pages only (repeatable)")
    parser.add_argument("--runs", type=int, help="runs per measurement (median); default 3, 1 with --quick")
    parser.add_argument("--no-ledger", action="store_true", help="skip the Ledger's own timings")
    args = parser.parse_args()
    previous = {}
    if args.reuse:
        text = args.reuse.read_text(encoding="utf-8")
        earlier = json.loads(text[: text.index("\n\n|")] if "\n\n|" in text else text)
        previous = {(r.get("shape", "copies"), r["rows"]): r["frictionless validate"] for r in earlier["synthetic"]}
    sizes, runs = ([10_000], 1) if args.quick else ([100_000, 1_000_000], 3)
    site_sizes_wanted = [500] if args.quick else [1_000, 5_000]
    sizes, site_sizes_wanted = args.rows or sizes, args.pages or site_sizes_wanted
    runs = args.runs or runs
    shapes = SHAPES if args.shape == "both" else (args.shape,)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    compiled()
    results: dict = {}
    if not args.quick and args.only != "build" and not args.no_ledger:
        results["ledger"] = ledger(5)
    with tempfile.TemporaryDirectory(prefix="bench-") as work:
        if args.only != "build":
            results["synthetic"] = [
                versus(rows, runs, Path(work), previous.get((shape, rows)), shape) for shape in shapes for rows in sizes
            ]
        if args.only != "validate":
            results["sites"] = [build_versus(pages, runs, Path(work), shape) for shape in shapes for pages in site_sizes_wanted]
    print(json.dumps(results, indent=2))
    for line in summary(results):
        print(line)


def summary(results: dict) -> list[str]:
    lines = [
        "",
        "| shape | rows | builder validate (CPU) | streaming path (CPU) | frictionless validate (CPU)"
        " | speed-up (wall / CPU) | memory |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results.get("synthetic", []):
        ours, streamed, theirs = r["builder validate"], r["builder validate (streaming path)"], r["frictionless validate"]
        lines.append(
            f"| {r.get('shape', 'copies')} | {r['rows']:,} | {ours['median_s']} s ({ours['cpu_s']} s), {ours['peak_mib']} MiB "
            f"| {streamed['median_s']} s ({streamed['cpu_s']} s), {streamed['peak_mib']} MiB "
            f"| {theirs['median_s']} s ({theirs['cpu_s']} s), {theirs['peak_mib']} MiB "
            f"| {r['speedup_wall']}x / {r['speedup_cpu']}x | {r['memory_ratio']}x |"
        )
    lines += [
        "",
        "| shape | entity pages | builder build | one-row rebuild | bare mkdocs build | ratio (wall / CPU) | largest page"
        " | search / entity page |",
    ]
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in results.get("sites", []):
        ours, theirs, site, again = r["builder build"], r["mkdocs build (bare)"], r["site"], r["one-row rebuild"]
        lines.append(
            f"| {r.get('shape', 'copies')} | {r['entity_pages']:,} ({site['html_pages']:,} HTML) "
            f"| {ours['median_s']} s ({ours['cpu_s']} s CPU), "
            f"{ours['peak_mib']} MiB | {again['median_s']} s ({again['cpu_s']} s CPU) "
            f"| {theirs['median_s']} s, {theirs['peak_mib']} MiB | {r['ratio_wall']}x / {r['ratio_cpu']}x "
            f"| {site['largest_page_kib']} KiB ({site['largest_page']}) | {site['search_index_per_entity_page_kib']} KiB |"
        )
    for r in results.get("sites", []):
        lines.append(f"{r.get('shape', 'copies')}, {r['entity_pages']:,} entity pages: {r['goal']}")
    for name, result in results.get("ledger", {}).items():
        if "goal" in result:
            lines.append(f"Ledger {name}: median {result['median_s']} s, peak {result['peak_mib']} MiB ({result['goal']})")
    for shape in SHAPES:
        measured = [r for r in results.get("synthetic", []) if r.get("shape", "copies") == shape]
        if not measured:
            continue
        biggest = max(measured, key=lambda r: r["rows"])
        fast = biggest["speedup_wall"] >= SPEED_GOAL and biggest["speedup_cpu"] >= CPU_GOAL
        lines.append(
            f"{shape}, {biggest['rows']:,} rows: {biggest['speedup_wall']}x faster than frictionless by wall time, "
            f"{biggest['speedup_cpu']}x by CPU time (goal {SPEED_GOAL}x wall, {CPU_GOAL}x CPU: {'ok' if fast else 'OVER'})"
        )
        for r in measured:  # the memory goal holds at every size
            lines.append(
                f"{shape}, {r['rows']:,} rows: {r['memory_ratio']}x frictionless's peak memory "
                f"(goal <= 1: {'ok' if r['memory_ratio'] <= 1 else 'OVER'})"
            )
    return lines


if __name__ == "__main__":
    main()
