"""Charts built once for what they show, and drawn from then on from the spec kept.

Building an Altair chart and turning it into the Vega-Lite spec a page sends took a third
to a half of a page's run on the demo warehouse (the value stream map 0.16 of 0.31 s,
Experiments' five charts 0.34 of 0.63 s, profiled), and every run built them again: each
click on a page, each person opening it. A chart named by its builder and what it is
built of (`Built`) is built once for those inputs; the spec is kept, and a later run
with the same inputs draws it without building anything.

The key is the builder's name and a digest of its inputs, every value of them: a
frame's schema, shape and two hashes of each row (`polars.DataFrame.hash_rows`), not a sample
of its rows, so two frames that differ anywhere are two charts. Inputs of another kind
than those `_feed` knows are drawn as before, built on every run. What is kept is
bounded (SPEC_CACHE_BYTES, the least recently drawn go first) and shared by every
session of the server. A kept spec is drawn only for inputs equal to those it was built
of, so it never shows other figures than the page's own; those of older data go as the
least recently drawn. Each spec is also written beside the warehouse (`SpecCache.keep_in`,
SPEC_FILES_BYTES at most), so the next server draws the same figures' charts without
building them after a restart.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl

from charts.style import AnyChart

log = logging.getLogger(__name__)

SPEC_FILES_BYTES = 64 * 1024 * 1024
"""The most the folder of kept specs beside the warehouse holds (`SpecCache.keep_in`)."""

SPEC_CACHE_BYTES = 16 * 1024 * 1024
"""The most the kept specs hold (their data, as the Arrow bytes sent to the browser, and
their structure): the 26 charts every page of the demo opens on hold 0.6 MB. A spec
bigger than a quarter of it is not kept."""


@dataclasses.dataclass(frozen=True)
class Built:
    """A chart as `build(*args, **kwargs)` makes it, built only where it is not kept."""

    build: Callable[..., AnyChart]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)

    def chart(self) -> AnyChart:
        """The Altair chart itself (for the downloads, which add a title or a width)."""
        return self.build(*self.args, **self.kwargs)

    def properties(self, **kwargs: Any) -> AnyChart:
        """The chart with these properties (a file's width or title), built now."""
        return self.chart().properties(**kwargs)


def built(build: Callable[..., AnyChart], *args: Any, **kwargs: Any) -> Built:
    """The chart `build(*args, **kwargs)`, to be drawn from its kept spec where it can."""
    return Built(build, args, kwargs)


_PLAIN = (bool, int, float, str, bytes, dt.date, dt.time, dt.timedelta, enum.Enum)
"""Values fed as their type and repr (a datetime is a date)."""


class _Unkeyed(Exception):
    """An input `_feed` cannot digest: the chart is built on every run."""


def _feed(h: Any, value: Any) -> None:
    """Feed `value`, all of it, to the digest `h`; its type is part of what is fed."""
    if value is None or isinstance(value, _PLAIN):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, pl.DataFrame):
        h.update(f"frame:{value.shape}:{value.schema!r};".encode())
        if value.height:
            try:
                # Two hashes of each row (128 bits): two different rows collide in both
                # by a chance of about one in 10^38.
                for seed in (0, 1):
                    h.update(value.hash_rows(seed=seed).to_numpy().tobytes())
            except Exception as exc:  # a type polars cannot hash
                raise _Unkeyed(str(exc)) from exc
    elif isinstance(value, pl.Series):
        _feed(h, value.to_frame())
    elif isinstance(value, list | tuple):
        h.update(f"{type(value).__name__}[{len(value)}](".encode())
        for item in value:
            _feed(h, item)
        h.update(b")")
    elif isinstance(value, dict):
        h.update(f"dict[{len(value)}](".encode())
        for k, v in value.items():
            _feed(h, k)
            _feed(h, v)
        h.update(b")")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        h.update(f"{type(value).__module__}.{type(value).__qualname__}(".encode())
        for field in dataclasses.fields(value):
            _feed(h, field.name)
            _feed(h, getattr(value, field.name))
        h.update(b")")
    else:
        raise _Unkeyed(type(value).__name__)


_DRAWN_BY = ("charts", "metrics", "model")
"""The packages whose code makes a chart (the builders and what they call): a change to
any of them, as a release makes, is a new key for every chart."""


@functools.cache
def _code() -> bytes:
    """A digest of the code that makes a spec: every module of `_DRAWN_BY` and the
    versions of Altair and Streamlit (which converts it), so that specs kept in the
    folder by an earlier release are never drawn by this one."""
    h = hashlib.blake2b(digest_size=20)
    h.update(f"{version('altair')};{version('streamlit')};".encode())
    root = Path(__file__).resolve().parents[1]
    for package in _DRAWN_BY:
        for file in sorted((root / package).rglob("*.py")):
            h.update(f"{file.relative_to(root)};".encode())
            h.update(file.read_bytes())
    return h.digest()


def spec_key(chart: Built, checked: bool) -> bytes | None:
    """The key of `chart`'s spec: its builder, the code that makes it (`_code`) and every
    value of its inputs; None where an input cannot be digested. `checked`: the spec is
    checked against the schema."""
    h = hashlib.blake2b(digest_size=20)
    build = chart.build
    h.update(_code())
    h.update(f"{build.__module__}.{build.__qualname__};{checked};".encode())
    try:
        _feed(h, chart.args)
        _feed(h, chart.kwargs)
    except _Unkeyed:
        return None
    return h.digest()


class SpecCache:
    """Specs by key, the least recently used dropped beyond `budget` bytes; shared by the
    server's sessions (a lock guards it). Where given a folder (`keep_in`), each spec is
    also written there, so that the next server (after a restart) draws the same figures'
    charts without building them; the folder keeps at most `files_budget` bytes, the
    least recently used files going first."""

    def __init__(
        self, budget: int = SPEC_CACHE_BYTES, files_budget: int = SPEC_FILES_BYTES
    ) -> None:
        self._budget = budget
        self._files_budget = files_budget
        self._specs: OrderedDict[bytes, tuple[dict[str, Any], int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self._folder: Path | None = None

    def keep_in(self, folder: Path | None) -> None:
        """Keep the specs in `folder` too (created when the first is kept), or nowhere."""
        self._folder = folder

    def get(self, key: bytes) -> dict[str, Any] | None:
        """A copy of the spec kept under `key` (a page's drawing changes what it is given):
        from memory, else from its file."""
        with self._lock:
            found = self._specs.get(key)
            if found is not None:
                self._specs.move_to_end(key)
        if found is not None:
            return copy.deepcopy(found[0])
        spec = self._read(key)
        if spec is not None:
            self._hold(key, spec)
        return spec

    def put(self, key: bytes, spec: dict[str, Any]) -> None:
        """Keep `spec` (not changed after) under `key`, in memory and in the folder."""
        if self._hold(key, spec):
            self._write(key, spec)

    def _hold(self, key: bytes, spec: dict[str, Any]) -> bool:
        size = _data_bytes(spec)
        if size > self._budget // 4:
            return False
        kept = copy.deepcopy(spec)
        with self._lock:
            if key in self._specs:
                return False
            self._specs[key] = (kept, size)
            self._held += size
            while self._held > self._budget and self._specs:
                _, (_, dropped) = self._specs.popitem(last=False)
                self._held -= dropped
        return True

    def _file(self, key: bytes) -> Path | None:
        return None if self._folder is None else self._folder / f"{key.hex()}{_SUFFIX}"

    def _read(self, key: bytes) -> dict[str, Any] | None:
        file = self._file(key)
        if file is None:
            return None
        try:
            spec = _from_bytes(file.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:  # cut short, written
            # by hand, unreadable: the chart is built again (and kept anew)
            log.warning("cannot read the kept chart %s: %s", file.name, exc)
            with contextlib.suppress(OSError):
                file.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):  # a folder it may only read
            os.utime(file)  # used now: the last to go
        return spec

    def _write(self, key: bytes, spec: dict[str, Any]) -> None:
        file = self._file(key)
        if file is None:
            return
        try:
            file.parent.mkdir(exist_ok=True)
            part = file.with_name(f".{uuid.uuid4().hex}.part")
            part.write_bytes(_to_bytes(spec))
            part.replace(file)  # whole or not at all, for a reader in another process
            self._trim(file.parent)
        except OSError as exc:  # a folder it may not write: kept in memory only
            log.warning("cannot keep the chart in %s: %s", file.parent, exc)

    def _trim(self, folder: Path) -> None:
        """Remove the least recently used files beyond the folder's budget, and what a
        server stopped while writing left (a part more than an hour old)."""
        files = []
        stale = time.time() - 3600
        for entry in os.scandir(folder):
            with contextlib.suppress(FileNotFoundError):
                stat = entry.stat()
                if entry.name.endswith(_SUFFIX):
                    files.append((stat.st_mtime, stat.st_size, entry.path))
                elif entry.name.endswith(".part") and stat.st_mtime < stale:
                    os.unlink(entry.path)
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self._files_budget:
                break
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            total -= size

    def __len__(self) -> int:
        return len(self._specs)

    def clear(self) -> None:
        """Forget the specs held in memory (the folder's stay)."""
        with self._lock:
            self._specs.clear()
            self._held = 0


_SUFFIX = ".vl"


def _to_bytes(spec: dict[str, Any]) -> bytes:
    """A spec as one file: a line of JSON (the spec without its data, and each dataset's
    name and length, or its value where it is not bytes), then the datasets' bytes."""
    datasets = spec.get("datasets") or {}
    blobs = {k: v for k, v in datasets.items() if isinstance(v, bytes)}
    head = {
        "spec": {k: v for k, v in spec.items() if k != "datasets"},
        "has_datasets": "datasets" in spec,
        "blobs": [[k, len(v)] for k, v in blobs.items()],
        "values": {k: v for k, v in datasets.items() if k not in blobs},
        "order": list(datasets),
    }
    return json.dumps(head, allow_nan=True).encode() + b"\n" + b"".join(blobs.values())


def _from_bytes(data: bytes) -> dict[str, Any]:
    """The spec `_to_bytes` wrote; ValueError where the file is not one whole."""
    line, _, rest = data.partition(b"\n")
    head = json.loads(line)
    spec = dict(head["spec"])
    if head["has_datasets"]:
        found: dict[str, Any] = dict(head["values"])
        at = 0
        for name, size in head["blobs"]:
            found[name] = rest[at : at + size]
            at += size
        if at != len(rest):
            raise ValueError(f"{at} bytes of data announced, {len(rest)} found")
        spec["datasets"] = {name: found[name] for name in head["order"]}
    return spec


def _data_bytes(spec: dict[str, Any]) -> int:
    """About what a kept spec holds: its data (the Arrow bytes sent) and its structure, at
    three times the length of its JSON (the value stream map's 14 KB of JSON are 32 KB of
    Python objects)."""
    datasets = spec.get("datasets") or {}
    rest = {k: v for k, v in spec.items() if k != "datasets"}
    data = sum(len(v) if isinstance(v, bytes) else 0 for v in datasets.values())
    shapes = [v for v in datasets.values() if not isinstance(v, bytes)]
    return data + 3 * len(json.dumps([rest, shapes], default=str))
