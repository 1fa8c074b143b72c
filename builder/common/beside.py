"""Work done by a process of its own beside the build: the share cards (builder.site.ogimage) and
the workbook and database (builder.outputs.bundle), on the second core while the first goes on.

The process runs `python -P -c "from <module> import main; main()" job.json` in the work's own
folder: -P keeps that folder (and a package's, which may be the current one) off its module path,
so a `yaml.py` or `polars/` shipped in a package is never imported; nothing from the package is on
its command line (the texts are in the job file). What it prints is its result; what it says on
stderr goes to a file, not a pipe, so nothing it says can fill a buffer and stall it. It ends by
itself when the build that started it is gone (killed, not cancelled): the job file names the
build's process, so a build gone before the process started is noticed too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

JOB = "job.json"


class Beside:
    """`module`'s main() run on `job` in `folder`: result() waits and gives what it printed (or
    raises, saying `what` was not done and why); cancel() stops it if it still runs."""

    def __init__(self, module: str, job: dict, folder: Path, what: str):
        self.folder, self.what = folder, what
        folder.mkdir(parents=True, exist_ok=True)
        job_file = folder.resolve() / JOB
        job_file.write_text(json.dumps({**job, "parent": os.getpid()}), encoding="utf-8")
        command = [sys.executable, "-P", "-c", f"from {module} import main; main()", str(job_file)]
        with (folder / "out.txt").open("w", encoding="utf-8") as out, (folder / "errors.txt").open("w", encoding="utf-8") as err:
            self._process = subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.pid = self._process.pid

    def ended(self) -> bool:
        return self._process.poll() is not None

    def result(self) -> str:
        if self._process.wait() != 0:
            lines = (self.folder / "errors.txt").read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise RuntimeError(f"{self.what}: {lines[-1] if lines else f'exit status {self._process.returncode}'}")
        return (self.folder / "out.txt").read_text(encoding="utf-8")

    def cancel(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


def job() -> tuple[dict, Path]:
    """In the process: its job and its folder; from now on it ends when its build is gone."""
    job_file = Path(sys.argv[1])
    task = json.loads(job_file.read_text(encoding="utf-8"))
    parent = task.pop("parent")

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
    return task, job_file.parent
