"""Time `builder validate` and `builder build` on this package: median of 5 runs, peak memory.

Run with `make bench` (warm .venv). Each run is a fresh process, as a user or CI runs it;
peak memory is the largest max-RSS of the child processes. Timing goals live here, not in tests:
validate <= 1.5 s and <= 300 MB; build <= 3 s and <= 500 MB (2-core machine).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILDER = Path(sys.executable).parent / "builder"
GOALS = {"validate": (1.5, 300), "make build": (3.0, 500)}


def measure(command: list[str], runs: int = 5) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env={**os.environ})
        times.append(time.perf_counter() - started)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "median_s": round(statistics.median(times), 3),
        "min_s": round(min(times), 3),
        "max_s": round(max(times), 3),
        "peak_rss_mib_so_far": round(peak_mib, 1),
    }


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    results = {
        "validate": measure([str(BUILDER), "validate"]),
        "build": measure([str(BUILDER), "build", "--quiet"]),
        "make build": measure(["make", "--no-print-directory", "build"]),
    }
    site = ROOT / "site"
    pages = list(site.rglob("*.html"))
    entity = [p for p in pages if p.parent.parent.name in {"people", "models", "organizations", "sources", "claims", "documents"}]
    index = site / "search" / "search_index.json"
    results["site"] = {
        "html_pages": len(pages),
        "site_mib": round(folder_size(site) / 2**20, 2),
        "largest_page_kib": round(max(p.stat().st_size for p in pages) / 1024, 1),
        "search_index_kib": round(index.stat().st_size / 1024, 1),
        "search_index_per_entity_page_kib": round(index.stat().st_size / 1024 / len(entity), 2),
    }
    results["dist"] = {
        p.relative_to(ROOT / "dist").as_posix(): p.stat().st_size for p in sorted((ROOT / "dist").glob("*")) if p.is_file()
    }
    results["dist"]["data/ (all tables and views)"] = folder_size(ROOT / "dist" / "data")
    print(json.dumps(results, indent=2))
    for name, (seconds, mib) in GOALS.items():
        result = results[name]
        ok = result["median_s"] <= seconds and result["peak_rss_mib_so_far"] <= mib
        print(
            f"{name}: median {result['median_s']}s (goal {seconds}s), peak {result['peak_rss_mib_so_far']} MiB "
            f"(goal {mib} MiB): {'ok' if ok else 'OVER'}"
        )


if __name__ == "__main__":
    main()
