"""The workbook and the database, written by a process of their own while the site is rendered.

Both are written cell by cell in Python (xlsxwriter, sqlite3), most of the export's time, and
nothing the entity pages show depends on them: the build's second core writes them while the first
renders (builder.common.beside). The pages that list every download (the data index, the home
page's Croissant) are rendered after they are done (builder.outputs.export.Downloads.finish).

The process reads the tables as the build typed and sorted them: Arrow IPC files, the exact Polars
types, written here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from builder.common.beside import Beside, job
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
            listed.append([table.name, table.title, table.description, table.schema, table.is_view, table.sorted_by, frame.name])
        task = {
            "tables": listed,
            "workbook": str(downloads.workbook.resolve()),
            "database": str(downloads.database.resolve()),
            "properties": downloads.properties,
            "metadata": downloads.metadata,
        }
        self.beside = Beside("builder.outputs.bundle", task, folder, "the workbook and database were not written")

    def finish(self) -> None:
        """Wait for both files, then write what lists them (export.Downloads.finish); once."""
        if not self.downloads.finished:
            self.beside.result()
            shutil.rmtree(self.folder, ignore_errors=True)  # the tables' copies are read: free the disk now
            self.downloads.finish()

    def cancel(self) -> None:
        """Stop the process if it still runs (the build failed); nothing if it has finished."""
        self.beside.cancel()


def main() -> None:
    """Write the workbook and database of a job file (Bundle)."""
    task, folder = job()
    tables = [
        export.Table(name, title, description, schema, pl.read_ipc(folder / frame), is_view, tuple(sorted_by))
        for name, title, description, schema, is_view, sorted_by, frame in task["tables"]
    ]
    export.write_xlsx(tables, Path(task["workbook"]), **task["properties"])
    export.write_sqlite(tables, Path(task["database"]), [tuple(pair) for pair in task["metadata"]])
