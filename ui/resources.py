"""Cached access to the warehouse for the Streamlit pages.

The connection is a cached resource (one per warehouse file, shared by every
session); collected frames are cached by plain values: the file and its data
version, which changes with every import, undo or catalog edit, so a page never
shows stale numbers and never recomputes unchanged ones.

The app is the one process that writes the file while it runs: it also stores the
imports the command line hands it through the inbox folder (warehouse/inbox.py), on a
watcher thread started with the connection.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import logging
import os
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from model.imports import import_once
from model.limits import env_count
from ui.access import current_actor
from warehouse import Warehouse, WarehouseError, resolve_db_path
from warehouse.db import WarehouseBusy
from warehouse.derived import APART_MIN_STEPS, compute_apart
from warehouse.experiments import experiments
from warehouse.findings import verdicts
from warehouse.inbox import InboxWatcher

log = logging.getLogger(__name__)

T = TypeVar("T")


class Background:
    """Calls run one after the other on a daemon thread of their own, each with a Future
    of its result (as a one-worker `ThreadPoolExecutor` gives, but the server's exit does
    not wait for them: Python joins an executor's threads as it exits, so a server asked
    to stop while such a thread waited on a search in a process of its own, minutes at
    fifty million events, stayed up until it ended. The search's own process
    (`python -m warehouse.apart`) ends with the server, and its folder of files is
    removed as the server exits (a temporary folder is, by Python's own exit)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._calls: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]]
        self._calls = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, call: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._calls.put((future, call, args))
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                thread.start()  # a thread that cannot start raises here, and the next tries
                self._thread = thread
        return future

    def _work(self) -> None:
        while True:
            future, call, args = self._calls.get()
            if future.set_running_or_notify_cancel():  # else cancelled while it waited
                try:
                    future.set_result(call(*args))
                except BaseException as exc:  # the waiting page raises it; this thread goes on
                    future.set_exception(exc)
            del future, call, args  # hold no result (or error and its frames) until the next


BUSY_WAIT_S = 20.0
"""How long a page waits for a command-line import that holds the file (it started
before the app opened it) before saying so."""


_MODULES_FROZEN = 0


def spare_the_collector() -> None:
    """Keep the objects alive now out of every later garbage collection, once per new set
    of imported modules. Streamlit collects every generation after each page run, and
    with this app's libraries loaded (polars, DuckDB, Altair's schema, pm4py: a quarter
    of a million objects) one collection takes about 0.3 s of every run, on every page;
    the modules, classes and cached resources alive after a run live as long as the
    server. What a run makes and drops is still collected."""
    global _MODULES_FROZEN
    loaded = len(sys.modules)
    if loaded > _MODULES_FROZEN:
        _MODULES_FROZEN = loaded
        gc.freeze()


WARM_UP = ("scipy.stats", "ruptures")
"""The statistics packages the before/after tests and the findings' change points load
when first used (about a second on this project's 2-core machine): imported in the
background once the server's first page has run, so the page that first needs them
does not wait for them (and the first page does not either)."""

_warm_up = threading.Lock()
_WARMING: list[threading.Thread] = []


def warm_up() -> None:
    """Start importing WARM_UP on a background thread, once per server."""
    with _warm_up:
        if _WARMING:
            return
        thread = threading.Thread(target=_import_warm_up, name="warm-up", daemon=True)
        _WARMING.append(thread)
    thread.start()


class SharedCount:
    """A count shared by threads, and a wait until it is zero."""

    def __init__(self) -> None:
        self._n = 0
        self._changed = threading.Condition()

    @property
    def n(self) -> int:
        return self._n

    def add(self, k: int) -> None:
        with self._changed:
            self._n += k
            self._changed.notify_all()

    def wait_zero(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._n == 0)

    @contextlib.contextmanager
    def held_at_zero(self) -> Iterator[None]:
        """Wait until the count is zero and keep it there meanwhile: `add` waits."""
        with self._changed:
            self._changed.wait_for(lambda: self._n == 0)
            yield

    @contextlib.contextmanager
    def held(self) -> Iterator[int]:
        """The count, kept as it is meanwhile: `add` waits."""
        with self._changed:
            yield self._n


_asked = SharedCount()
"""How many computations of figures that are not stored, and changes of the data (a
page's or the inbox's), are under way."""


@contextlib.contextmanager
def on_request() -> Iterator[None]:
    """A page computes a figure or changes the data, the inbox stores a command-line
    import, or the server's start reads what the first pages need (ui.serve): the app's
    background work waits meanwhile (`wait_for_pages`), so two computations of a big
    offering do not hold their memory at once, nor one and an import. Nothing done
    under it may wait for pages itself."""
    _asked.add(1)
    try:
        yield
    finally:
        _asked.add(-1)


def wait_for_pages() -> None:
    """Wait until nothing `on_request` is under way."""
    _asked.wait_zero()


def wait_for_quiet_pages(seconds: float) -> None:
    """Wait until no page runs, nothing `on_request` is under way, and no page run has
    ended for `seconds`: work that is only worth doing while nobody waits for a page,
    nor for the browser to draw the one that just ran (a person moving on to the next
    page finds the processor theirs)."""
    while True:
        _running.wait_zero()
        _asked.wait_zero()
        left = seconds - (time.monotonic() - _ended_at[0])
        if left <= 0 and _running.n == 0 and _asked.n == 0:
            return
        time.sleep(max(left, 0.05))


_running = SharedCount()
"""How many page runs are under way (`page_run`)."""

_working = SharedCount()
"""How many passes of background work on the warehouse are under way (`background_work`)."""


@contextlib.contextmanager
def background_work() -> Iterator[None]:
    """Work on the warehouse done ahead of the pages, on a thread of its own (the step
    files, the figures they give): DuckDB's cache is not dropped meanwhile (its limit at
    the floor for an instant could fail that work's next read); the work drops it itself
    when it is done."""
    _working.add(1)
    try:
        yield
    finally:
        _working.add(-1)


QUIET_S = 1.0
"""How long no page may have run before DuckDB drops what it cached for them: a click
often brings two runs in a row (the widget's, then the page's own rerun)."""

_page_ended = threading.Event()
_ended_at = [0.0]
"""When the latest page run ended (`time.monotonic`)."""
_releasing = threading.Lock()
_RELEASER: list[threading.Thread] = []
_OPENED: weakref.WeakValueDictionary[str, Warehouse] = weakref.WeakValueDictionary()
"""The warehouse `open_warehouse` opened, by file: the one whose cache is dropped (held
weakly: one the cache let go of is not kept open for this)."""


@contextlib.contextmanager
def page_run() -> Iterator[None]:
    """A page's script runs (app.py wraps every run in it). Once no page has run for
    QUIET_S seconds, DuckDB drops the blocks of the file it cached for them
    (`release_duckdb_cache`): kept up to its limit otherwise, they held 0.34 GB more in the
    app after Stream health's first run at fifty million events, and 0.48 GB more after
    the Cases page's. The next page reads them again from the system's file cache.
    The fragments that run again on their own (`st.fragment(run_every=...)`) run in it
    too: they are page runs that do not go through app.py."""
    _running.add(1)
    try:
        yield
    finally:
        _ended_at[0] = time.monotonic()
        _running.add(-1)
        _page_ended.set()
        _start_releaser()


def _start_releaser() -> None:
    with _releasing:
        if _RELEASER:
            return
        thread = threading.Thread(target=_release_when_quiet, name="release-cache", daemon=True)
        thread.start()
        _RELEASER.append(thread)


def _release_when_quiet() -> None:
    while True:
        _page_ended.wait()
        _page_ended.clear()
        if _page_ended.wait(QUIET_S):  # another run ended meanwhile: wait for quiet again
            continue
        path = warehouse_path()
        wh = _OPENED.get(path)
        if wh is None or path == ":memory:":  # a warehouse in memory has no file to read
            continue
        wait_for_pages()
        _working.wait_zero()  # work ahead of the pages drops the cache itself when done
        # A page run, a computation or import, or background work that starts meanwhile
        # waits for the release (milliseconds): DuckDB's limit is at the floor for that
        # instant. Where one started since the waits above, or a page ran less than
        # QUIET_S ago, the release waits for quiet again.
        with _running.held_at_zero(), _asked.held() as asked, _working.held() as working:
            if asked or working or time.monotonic() - _ended_at[0] < QUIET_S:
                _page_ended.set()
                continue
            try:
                wh.release_cache(APP_DUCKDB_MEMORY)
            except Exception:  # a connection closed since: the next one opened is kept
                log.exception("cannot drop DuckDB's cache after the pages' runs")


def lowest_priority() -> None:
    """Run the calling thread at the lowest priority, so that it yields the processor to
    a page run (and to the browser on the same machine) that starts while it works: work
    done ahead of the pages. Linux gives each thread its own priority; elsewhere this
    does nothing."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _import_warm_up() -> None:
    lowest_priority()
    for name in WARM_UP:
        try:
            import_once(name)
        except Exception:  # the page that needs it will say what is wrong
            log.exception("cannot import %s ahead of the pages", name)


def warehouse_path() -> str:
    return str(resolve_db_path())


APP_DUCKDB_MEMORY = "1GB"
"""DuckDB's memory in the app: the pages scan the stored steps of a big warehouse again
and again, and DuckDB would otherwise keep as much of the file cached as its share of
the machine allows. An import in the app spills what does not fit to disk."""


def release_duckdb_cache(wh: Warehouse, idle: bool = True) -> bool:
    """Once the pages are idle (at once where not `idle`), have DuckDB drop what it keeps
    cached of the warehouse's file (`Warehouse.release_cache`): after the start's reads,
    or after the step files are written and the figures stored, it kept 0.8 GB at ten
    million events that no page reads again (the pages read the stored steps from the
    step files). Where `idle`, not while a page runs either (its limit at the floor for
    an instant could fail the page's next read): then the page's end drops it
    (`page_run`), and this returns False."""
    if not idle:
        return wh.release_cache(APP_DUCKDB_MEMORY)
    wait_for_pages()
    # Without waiting for pages that run (one may wait for this work's step files).
    with _running.held() as running, _asked.held() as asked:
        return not (running or asked) and wh.release_cache(APP_DUCKDB_MEMORY)


@st.cache_resource(show_spinner="Opening the warehouse...")
def open_warehouse(path: str) -> Warehouse:
    # The figures a change stores of a big offering are computed in a process of their
    # own: the app holds the change's derivation only.
    compute_apart(env_count("VSM_APART_MIN_STEPS", APART_MIN_STEPS))
    deadline = time.monotonic() + BUSY_WAIT_S
    while True:
        try:
            wh = Warehouse.open(path, memory_limit=APP_DUCKDB_MEMORY)
            break
        except WarehouseBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
    _OPENED[path] = wh
    if path != ":memory:":
        try:
            watcher = InboxWatcher(wh, around=on_request).start()
        except OSError as exc:  # a read-only folder: command-line imports then wait for the app
            log.warning("no inbox for command-line imports beside %s: %s", path, exc)
        else:
            # The heartbeat goes with the app; a killed app's goes stale within seconds.
            atexit.register(watcher.stop)
    return wh


def warehouse() -> Warehouse:
    """The warehouse of this app (`$VSM_DB`, else data/warehouse.duckdb), acting for the
    person of this session: every change it makes checks their role.

    A warehouse that cannot be opened stops the page with one sentence, never a traceback
    (the server's log has the file's path and DuckDB's words)."""
    try:
        wh = open_warehouse(warehouse_path())
    except WarehouseBusy as exc:
        log.warning("%s", exc)
        st.warning(
            "An import from the command line is writing the warehouse right now. "
            "Reload the page in a moment.",
            icon=":material/hourglass_top:",
        )
        st.stop()
    except WarehouseError as exc:
        log.error("%s", exc)
        st.error(
            "The warehouse cannot be opened; the server's log says why. Ask whoever runs "
            "the dashboard.",
            icon=":material/error:",
        )
        st.stop()
    return wh.acting(current_actor())


def data_version(wh: Warehouse) -> str:
    """Changes whenever what the pages show could change (Warehouse.data_version)."""
    return wh.data_version()


@st.cache_data(show_spinner=False, max_entries=8)
def imports(path: str, version: str) -> pl.DataFrame:
    return open_warehouse(path).imports()


@st.cache_data(show_spinner=False, max_entries=16)
def import_contents(
    path: str, version: str, import_ids: tuple[int, ...]
) -> tuple[int, int, list[str]]:
    """What these imports still hold (Warehouse.import_contents), read once per data
    version: it counts every event of the imports, a scan of the whole table for one
    import of every event (0.3 to 0.7 s of each Data page run at ten million events)."""
    return open_warehouse(path).import_contents(list(import_ids))


@st.cache_resource(show_spinner=False, max_entries=2)
def _recorded(path: str, changes: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every recorded experiment and every verdict on a finding, read once per change of
    the file (Warehouse.change_count): Stream health read them once per offering and
    once for its trend on every run."""
    wh = open_warehouse(path)
    return experiments(wh), verdicts(wh)


def recorded_experiments(offering: str | None = None) -> pl.DataFrame:
    """The experiments (of one offering), the latest change first
    (warehouse.experiments.experiments)."""
    wh = warehouse()
    frame = _recorded(str(wh.path), wh.change_count())[0]
    return frame if offering is None else frame.filter(pl.col("offering") == offering)


def recorded_verdicts(offering: str) -> pl.DataFrame:
    """The verdicts on the offering's findings, the latest first
    (warehouse.findings.verdicts)."""
    wh = warehouse()
    return _recorded(str(wh.path), wh.change_count())[1].filter(pl.col("offering") == offering)


@st.cache_data(show_spinner=False, max_entries=8)
def unconfirmed(path: str, version: str) -> set[str]:
    """The offerings with statuses whose kind nobody has confirmed yet."""
    return set(open_warehouse(path).unconfirmed_statuses()["offering"].to_list())
