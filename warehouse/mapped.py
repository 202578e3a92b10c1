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

import dataclasses
import io
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TypeVar, cast

import polars as pl
import pyarrow as pa

log = logging.getLogger(__name__)

T = TypeVar("T")

MIN_FREE_BYTES = 2 * 2**30
"""The free space `mapped` leaves on the warehouse's disk: a frame that would leave less is
held in memory instead (the files have no name, so nothing on the disk shows them; the
warehouse's own writes, an import's among them, need the space more)."""

MAP_MIN_BYTES = 2**20
"""The smallest frame `held` maps from a file: a smaller one is held as it is. A megabyte:
the open cases a page lists or dates (Waits, the forecasts) take 1-3 MB an offering at
ten million events and five times that at fifty million, and a file costs a
millisecond or two to write."""


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
    disk that would keep less than MIN_FREE_BYTES free, a system without /proc), `owned`
    instead."""
    if folder is None:
        return owned(frame)
    try:
        free = shutil.disk_usage(folder).free
        if free - frame.estimated_size() < MIN_FREE_BYTES:
            raise OSError(f"{free / 2**30:.1f} GiB free, {MIN_FREE_BYTES / 2**30:.0f} GiB to keep")
        with tempfile.TemporaryFile(dir=folder) as file:
            frame.select(_physical(frame.schema)).write_ipc(file, compression="uncompressed")
            file.flush()
            # The open file's own path: the mapping keeps the file once it is closed.
            source = pa.memory_map(f"/proc/self/fd/{file.fileno()}")
            table = pa.ipc.open_file(source).read_all()
    except (OSError, pa.ArrowException) as exc:
        log.warning("cannot map a frame in a file in %s, held in memory instead: %s", folder, exc)
        return owned(frame)
    held = pl.from_arrow(table, rechunk=False)  # a rechunk would copy it all into memory
    assert isinstance(held, pl.DataFrame)
    # `frame` still holds its categories, so the numbers written are theirs.
    return held.select(_physical(frame.schema, back=True))


def _is_categorical(dtype: object) -> bool:
    return isinstance(dtype, (pl.Categorical, pl.Enum))


def _physical(schema: pl.Schema, back: bool = False) -> list[pl.Expr]:
    """Each column as written to the mapped file: a categorical column (or a list of
    categorical values, such as the cases' variants) as the numbers of its categories.
    Written as categories, Arrow's dictionary, polars would number them again as it reads
    the file, into the process's own memory (at fifty million events, 116 MB of the
    cases' variants, 2 bytes a step, and each filtered view's copy of them again).

    `back`: the columns read from the file given their categories back, without a copy:
    the numbers stay the file's pages (polars' `cat.to`, marked unstable in the pinned
    release; tests/warehouse/test_mapped.py checks both the rows and the memory)."""
    exprs = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if _is_categorical(dtype):
            column = column.cat.to(dtype) if back else column.to_physical()
        elif isinstance(dtype, pl.List) and _is_categorical(dtype.inner):
            inner = pl.element().cat.to(dtype.inner) if back else pl.element().to_physical()
            column = column.list.eval(inner)
        exprs.append(column)
    return exprs


def held(value: T, folder: Path | None) -> T:
    """`value` as a cache holds it for as long as a data version serves: a frame of
    MAP_MIN_BYTES or more (`value`, or a field of a dataclass) `mapped` from a file in
    `folder`; the rest, and everything where there is no folder, as it is. The figures a
    page shows of every case of an offering keep a row per case (how each case follows
    the map, the lead times before a redesign, the Cases page's list): 0.5 GB of the
    app's own memory at fifty million events."""
    if folder is None:
        return value
    if isinstance(value, pl.DataFrame):
        return cast(T, _held_frame(value, folder))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changed = {}
        for field in dataclasses.fields(value):
            now = getattr(value, field.name)
            if isinstance(now, pl.DataFrame) and field.init:
                kept = held(now, folder)
                if kept is not now:
                    changed[field.name] = kept
        return dataclasses.replace(value, **changed) if changed else value
    return value


def folder_of(path: str | Path) -> Path | None:
    """The folder of the warehouse file `path`, where `held` maps frames (None for a
    warehouse in memory)."""
    if str(path) in ("", ":memory:"):
        return None
    return Path(path).resolve().parent


def _held_frame(frame: pl.DataFrame, folder: Path) -> pl.DataFrame:
    if frame.estimated_size() < MAP_MIN_BYTES:
        return frame
    try:
        kept = mapped(frame, folder)
    except pl.exceptions.PolarsError:  # a column the file cannot hold (Python objects)
        return frame
    # Should the file give a type back otherwise, the frame stays as it is.
    return kept if kept.schema == frame.schema else frame
