"""A progress line for long stages: shown on a terminal once a stage has run DELAY seconds.

Quiet when stderr is not a terminal (logs, pipes), in CI (`CI` set) and with `--quiet`: the CLI
decides once (`enable`), the stages only count (`start`, `advance`). The line is drawn at most
ten times a second and erased when the stage ends, so the stage summary prints as before.
"""

from __future__ import annotations

import os
import sys
import time

DELAY = 2.0  # seconds a stage runs before its progress shows
WIDTH = 30

_enabled = False
_bar: Bar | None = None


def wanted(quiet: bool, stream=None) -> bool:
    stream = stream or sys.stderr
    return not quiet and not os.environ.get("CI") and hasattr(stream, "isatty") and stream.isatty()


def enable(on: bool) -> None:
    global _enabled
    _enabled = on


class Bar:
    def __init__(self, label: str, total: int, unit: str, stream):
        self.label, self.total, self.unit, self.stream = label, max(1, total), unit, stream
        self.done = 0
        self.started = time.monotonic()
        self.drawn = 0.0  # when the line was last drawn; 0: never

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.started >= DELAY and now - self.drawn >= 0.1:
            self.drawn = now
            shown = min(self.done, self.total)
            filled = WIDTH * shown // self.total
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'-' * (WIDTH - filled)}] {shown:,}/{self.total:,} {self.unit}\x1b[K"
            )
            self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def start(label: str, total: int, unit: str) -> None:
    """Count the work of one stage (`total` units); draws nothing unless enabled."""
    global _bar
    finish()
    if _enabled:
        _bar = Bar(label, total, unit, sys.stderr)


def advance(count: int = 1) -> None:
    if _bar is not None:
        _bar.advance(count)


def finish() -> None:
    global _bar
    if _bar is not None:
        _bar.close()
        _bar = None
