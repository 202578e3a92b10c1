"""Frames the app holds for as long as a derivation serves, kept in a file mapped into
memory rather than in the process's own memory.

The app holds every case of the warehouse (one row each: about 850,000 at ten million
events, 4.3 million at fifty million). Held in the process's memory, that grows with
the warehouse. Copied instead into an unnamed file on the warehouse's disk and mapped, its
pages are the system's file cache: read from disk when a page touches them, kept while
memory is free, and given back under pressure without the app freeing anything. The
file takes on disk what the cases took in memory (0.2 GB at ten million events, 0.9 GB
at fifty million). It has no name (Linux's `O_TMPFILE`, through
`tempfile.TemporaryFile`, on the file systems that support it; elsewhere a file named
and removed at once), so nothing is left behind, even by a process that is killed: its
space is freed once the last frame that maps it is let go.
"""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import polars as pl
import pyarrow as pa

log = logging.getLogger(__name__)


def owned(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` copied into buffers of its own, in the process's memory. A frame read from
    DuckDB shares its columns' memory with the whole result they came in, which lives
    while any column of it does: the cases' variants made compact left their text held
    all the same (at ten million events the cases held 311 MB as read, 175 MB copied; the
    copy takes 0.3 s)."""
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    buffer.seek(0)
    return pl.read_ipc(buffer)


def mapped(frame: pl.DataFrame, folder: Path | None) -> pl.DataFrame:
    """`frame` copied into an unnamed file in `folder` (the warehouse's) and read back
    mapped: the same rows, whose buffers are the file's pages (Arrow IPC, uncompressed,
    read by pyarrow without a copy and handed to polars as they are). Where there is no
    folder, or the file cannot be written or mapped (a folder that cannot be written, a
    full disk, a system without /proc), `owned` instead."""
    if folder is None:
        return owned(frame)
    try:
        with tempfile.TemporaryFile(dir=folder) as file:
            frame.write_ipc(file, compression="uncompressed")
            file.flush()
            # The open file's own path: the mapping keeps the file once it is closed.
            source = pa.memory_map(f"/proc/self/fd/{file.fileno()}")
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowException) as exc:
        log.warning("cannot map the cases in a file in %s, held in memory instead: %s", folder, exc)
        return owned(frame)
    held = pl.from_arrow(table, rechunk=False)  # a rechunk would copy it all into memory
    assert isinstance(held, pl.DataFrame)
    return held
