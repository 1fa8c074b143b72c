"""The one build time: SOURCE_DATE_EPOCH, or a fixed default. Outputs never read the wall clock."""

from __future__ import annotations

import datetime as dt
import os

from builder.common.errors import BuilderError

DEFAULT_EPOCH = 1700000000
ZIP_EPOCH_MINIMUM = 315532800  # 1980-01-01: zip cannot store an earlier time


def source_date_epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", str(DEFAULT_EPOCH))
    if not value.strip().isdigit() or int(value) > 253402300799:  # up to 9999-12-31
        raise BuilderError(
            f"SOURCE_DATE_EPOCH is {value!r}: it must be a whole number of seconds since 1970 (e.g. the output of"
            " `git log -1 --format=%ct`). Fix or unset the variable."
        )
    return int(value)


def build_time() -> dt.datetime:
    return dt.datetime.fromtimestamp(max(source_date_epoch(), ZIP_EPOCH_MINIMUM), tz=dt.UTC)


def pin() -> None:
    """Check the variable, and make the default visible to libraries that read it themselves (MkDocs' sitemap)."""
    os.environ.setdefault("SOURCE_DATE_EPOCH", str(DEFAULT_EPOCH))
    source_date_epoch()
