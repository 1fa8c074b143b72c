"""The `builder` command's entry point: the CLI imported with the garbage collector paused."""

from __future__ import annotations

import gc


def main() -> None:
    # Importing Polars, Click and Jinja makes about ninety collections (20 ms, a fiftieth of a
    # validate) of objects that all live to the end; frozen, later collections pass them by.
    gc.disable()
    try:
        from builder.cli import main as run
    finally:
        gc.enable()
    gc.freeze()
    run()
