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
session of the server: the data's version is in the inputs, so nothing kept outlives
the data it shows.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import enum
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import polars as pl

from charts.style import AnyChart

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


def spec_key(chart: Built, checked: bool) -> bytes | None:
    """The key of `chart`'s spec: its builder and every value of its inputs; None where
    an input cannot be digested. `checked`: the spec is checked against the schema."""
    h = hashlib.blake2b(digest_size=20)
    build = chart.build
    h.update(f"{build.__module__}.{build.__qualname__};{checked};".encode())
    try:
        _feed(h, chart.args)
        _feed(h, chart.kwargs)
    except _Unkeyed:
        return None
    return h.digest()


class SpecCache:
    """Specs by key, the least recently used dropped beyond `budget` bytes of data;
    shared by the server's sessions (a lock guards it)."""

    def __init__(self, budget: int = SPEC_CACHE_BYTES) -> None:
        self._budget = budget
        self._specs: OrderedDict[bytes, tuple[dict[str, Any], int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> dict[str, Any] | None:
        """A copy of the spec kept under `key` (a page's drawing changes what it is given)."""
        with self._lock:
            found = self._specs.get(key)
            if found is None:
                return None
            self._specs.move_to_end(key)
        return copy.deepcopy(found[0])

    def put(self, key: bytes, spec: dict[str, Any]) -> None:
        size = _data_bytes(spec)
        if size > self._budget // 4:
            return
        kept = copy.deepcopy(spec)
        with self._lock:
            if key in self._specs:
                return
            self._specs[key] = (kept, size)
            self._held += size
            while self._held > self._budget and self._specs:
                _, (_, dropped) = self._specs.popitem(last=False)
                self._held -= dropped

    def __len__(self) -> int:
        return len(self._specs)

    def clear(self) -> None:
        with self._lock:
            self._specs.clear()
            self._held = 0


def _data_bytes(spec: dict[str, Any]) -> int:
    """About what a kept spec holds: its data (the Arrow bytes sent) and its structure, at
    three times the length of its JSON (the value stream map's 14 KB of JSON are 32 KB of
    Python objects)."""
    datasets = spec.get("datasets") or {}
    rest = {k: v for k, v in spec.items() if k != "datasets"}
    data = sum(len(v) if isinstance(v, bytes) else 0 for v in datasets.values())
    shapes = [v for v in datasets.values() if not isinstance(v, bytes)]
    return data + 3 * len(json.dumps([rest, shapes], default=str))
