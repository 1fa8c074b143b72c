"""The one build time: SOURCE_DATE_EPOCH, or a fixed default. Outputs never read the wall clock."""

from __future__ import annotations

import datetime as dt
import os

DEFAULT_EPOCH = 1700000000
ZIP_EPOCH_MINIMUM = 315532800  # 1980-01-01: zip cannot store an earlier time


def source_date_epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))


def build_time() -> dt.datetime:
    return dt.datetime.fromtimestamp(max(source_date_epoch(), ZIP_EPOCH_MINIMUM), tz=dt.UTC)


def pin() -> None:
    """Make the default visible to libraries that read the variable themselves (MkDocs' sitemap)."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(DEFAULT_EPOCH))
