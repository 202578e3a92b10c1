"""What one import and one page may take: every bound of the dashboard, in one place.

A shared deployment serves several people from one server; one hostile or broken file
must not take the memory every session shares (a 2 MB workbook holding a 2 GiB cell, a
199 MB CSV without a line break, two million distinct step names, one case of a million
events). Beyond each bound the file is refused, or its rows rejected, with a sentence
saying which bound and what to do. README.md ("Limits") lists them for users.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


def env_count(name: str, default: int) -> int:
    """A count from the environment variable `name` (digits, `_` allowed), else `default`:
    how a server with memory to spare moves the bounds that say so."""
    text = os.environ.get(name, "").strip().replace("_", "")
    return int(text) if text.isdigit() else default


MAX_UPLOAD_MB = 200
"""The largest file the Data page accepts, in megabytes: `server.maxUploadSize` in
.streamlit/config.toml must say the same (a test checks that they agree)."""

MAX_LINE_BYTES = 1_000_000
"""The longest line of a CSV/TSV file: a table's row is never a megabyte long, a file
without line breaks (or a binary file named .csv) is."""

MAX_COLUMNS = 2_000
"""The most columns a table may have."""

MAX_UNPACKED_BYTES = 1_000_000_000
"""What an Excel workbook or a gzip file may unpack to (1 GB): a zip bomb (a small
file that unpacks to gigabytes) is refused before it is read."""

MAX_CELL_CHARS = 32_767
"""The longest text of one Excel cell, Excel's own limit: a longer one was not written by
Excel, and reading it would hold the whole string in memory."""

MAX_ACTIVITIES_PER_OFFERING = 5_000
"""Distinct steps one offering may have. A value stream with more is a free-text column
mapped as the activity (a comment, an id); every page draws one row, box or arrow per
step, so the pages would not answer."""

MAX_EVENTS_PER_CASE = 20_000
"""Activity instances one case may have; real logs stay far below (the hospital log of
BPI 2011 peaks at 1,814). A case beyond it is a mapping mistake (a constant as case id)."""

EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)
"""Times outside [EARLIEST_TIME, LATEST_TIME) are placeholders (0001-01-01, 9999-12-31)
or typing mistakes; a row carrying one is rejected, saying which time."""


def time_range_text() -> str:
    return f"{EARLIEST_TIME:%Y} to {LATEST_TIME.year - 1}"
