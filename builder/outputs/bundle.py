"""The workbook and the database, written by a process of their own while the site is rendered.

Both are written cell by cell in Python (xlsxwriter, sqlite3), most of the export's time, and
nothing the entity pages show depends on them: the build's second core writes them while the first
renders. The pages that list every download (the data index, the home page's Croissant) are
rendered after they are done (builder.outputs.export.Downloads.finish).

The process reads the tables as the build typed and sorted them (Arrow IPC files, the exact Polars
types, written here), runs with -P in its own folder (a package's `xlsxwriter.py` or `polars/` is
never imported), and gets nothing from the package on its command line (the texts are in its job
file). It stops if the build that started it has ended.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl

from builder.outputs import export


class Bundle:
    """The workbook and database of `downloads` being written (`main`): finish() waits for them and
    finishes the downloads; cancel() stops them (the build failed)."""

    def __init__(self, downloads: export.Downloads, tables: list[export.Table], folder: Path):
        self.downloads, self.folder = downloads, folder
        folder.mkdir(parents=True, exist_ok=True)
        listed = []
        for number, table in enumerate(tables):
            frame = folder / f"{number}.arrow"
            table.frame.write_ipc(frame, compression="uncompressed")
            listed.append(
                {
                    "name": table.name,
                    "title": table.title,
                    "description": table.description,
                    "schema": table.schema,
                    "is_view": table.is_view,
                    "sorted_by": list(table.sorted_by),
                    "frame": frame.name,
                }
            )
        job = folder.resolve() / "bundle.json"
        task = {
            "tables": listed,
            "workbook": str(downloads.workbook.resolve()),
            "database": str(downloads.database.resolve()),
            "parent": os.getpid(),  # the build's id: one gone before this process starts is noticed too
            **downloads.about,
        }
        job.write_text(json.dumps(task), encoding="utf-8")
        command = [sys.executable, "-P", "-c", "from builder.outputs.bundle import main; main()", str(job)]
        self._errors = folder / "errors.txt"  # a file, not a pipe: nothing it says can fill a buffer and stall it
        with self._errors.open("w", encoding="utf-8") as errors:
            self._process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=errors)

    def finish(self) -> None:
        """Wait for both files, then write what lists them (export.Downloads.finish); once."""
        if not self.downloads.finished:
            if self._process.wait() != 0:
                lines = self._errors.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                said = lines[-1] if lines else f"exit status {self._process.returncode}"
                raise RuntimeError(f"the workbook and database were not written: {said}")
            shutil.rmtree(self.folder, ignore_errors=True)  # the tables' copies are read: free the disk now
            self.downloads.finish()

    def cancel(self) -> None:
        """Stop the process if it still runs (the build failed); nothing if it has finished."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


def main() -> None:
    """Write the workbook and database of a job file (Bundle)."""
    job_file = Path(sys.argv[1])
    job = json.loads(job_file.read_text(encoding="utf-8"))
    _stop_when_orphaned(job["parent"])
    tables = [
        export.Table(
            t["name"],
            t["title"],
            t["description"],
            t["schema"],
            pl.read_ipc(job_file.parent / t["frame"]),
            t["is_view"],
            tuple(t["sorted_by"]),
        )
        for t in job.pop("tables")
    ]
    export.write_xlsx(tables, Path(job["workbook"]), **job["workbook_about"])
    export.write_sqlite(tables, Path(job["database"]), [tuple(pair) for pair in job["metadata"]])


def _stop_when_orphaned(parent: int) -> None:
    """End this process when the build that started it is gone (killed, not cancelled)."""

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
