"""Cached metric frames for the pages.

Every case's derivation (order, waits, lead and process time) is stored in the
warehouse by the change that alters it (warehouse/derived.py); the pages read it
once per data version, shared by every page and session, and never derive on a
restart. A warehouse made by an older release is derived once, with a progress
bar. A filtered view is then a semi-join plus a few group-bys, cached by the
filter's plain values. The events themselves (their attributes) are read only
when a page needs them: an attribute filter, the findings, one case's attributes.

These caches are `st.cache_resource`, not `st.cache_data`: cache_data pickles a
value and unpickles a fresh copy on every hit, which for a million-row frame
costs more than the page itself. Polars frames are immutable, so sessions can
share one safely; the keys are still plain values (file, data version, filter).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import cached_property, partial
from typing import Any, TypeVar, cast

import polars as pl
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from metrics import figures
from metrics.filters import (
    CaseFilter,
    attribute_names,
    attribute_values,
    by_offerings,
    filter_cases,
    instances_of_cases,
)
from metrics.selection import VARIANT_SEPARATOR
from metrics.variants import variants
from model.limits import env_count
from ui.filters import SIDEBAR_VIEW, FilterChoices
from ui.format import plain
from ui.resources import (
    SharedCount,
    background_work,
    data_version,
    lowest_priority,
    on_request,
    open_warehouse,
    release_duckdb_cache,
    wait_for_pages,
    wait_for_quiet_pages,
    warehouse,
    warehouse_path,
)
from warehouse import Warehouse
from warehouse.derived import (
    Stored,
    current_stamps,
    load_stored,
    prepare_derivation,
    reported_ahead,
    stale_offerings,
    store_reports_from_step_files,
    store_view_figures,
    stored_figure,
    stored_figure_names,
    stored_health_of,
    unreported_offerings,
    write_step_files,
)
from warehouse.kept_findings import readable_apart
from warehouse.mapped import folder_of, held

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Derived(Stored):
    """Every case of the warehouse (metrics.derived), as stored (warehouse.derived.Stored).

    `cases` are held in memory, their variants compact
    (`metrics.variants.COMPACT_VARIANT`: 0.25 GB less at ten million events).
    `instances`, every step, are a lazy frame: over a frame held in memory when the
    warehouse has at most `IN_MEMORY_STEPS` steps (`in_memory`), else over a scan of the
    stored steps, which each query reads anew (only the columns and offerings it uses),
    so what the app holds does not grow with the warehouse."""

    def now_of(self, offering: str) -> datetime | None:
        """The "now" of one offering: its own latest event (a historical log beside live
        data ages its open cases up to its own end, not to today's data)."""
        return self._latest.get(offering)

    @cached_property
    def _latest(self) -> dict[str, datetime]:
        # Read once per derivation: a search of every case on each run otherwise.
        frame = self.cases.group_by("offering").agg(pl.col("last_end").max())
        return {o: at for o, at in frame.iter_rows() if isinstance(at, datetime)}

    @cached_property
    def offerings(self) -> tuple[str, ...]:
        """Every offering of the cases, sorted (`offerings_of`)."""
        return tuple(sorted(self.cases["offering"].unique().to_list()))


IN_MEMORY_STEPS = 2_000_000
"""The most steps the app holds in memory (about 400 MB of frames; `VSM_IN_MEMORY_STEPS`
sets another): a bigger warehouse's steps are scanned by each query instead, slower
per page but bounded in memory."""


ATTRIBUTE_SAMPLE = 5_000
"""The attributes offered as filters are the keys found in each offering's first events."""


# One version at a time: every rerun asks for the current one, so an older copy (as big
# as the warehouse) would only hold memory after an import.
@st.cache_resource(show_spinner="Reading the streams...", max_entries=1)
def _derive(path: str, version: str) -> Derived:
    wh = open_warehouse(path)
    d = load_stored(
        wh, in_memory_steps=env_count("VSM_IN_MEMORY_STEPS", IN_MEMORY_STEPS), compact=True
    )
    if not d.in_memory:
        steps_ahead(wh)
    return Derived(**{f.name: getattr(d, f.name) for f in fields(d)})


_ahead = threading.Lock()
_AHEAD: list[Warehouse] = []
"""The warehouse whose step files are to be written next (the latest asked), while a
thread writes them."""


def steps_ahead(wh: Warehouse) -> threading.Thread | None:
    """Write the step files of a warehouse whose steps are scanned
    (warehouse.derived.write_step_files) on a background thread at the lowest priority:
    a filtered view's figures then read them in less than half the time of a scan of the
    table (five to ten seconds of writing at ten million steps, once per derivation).
    Then, from those files, store the report and page figures of each offering too big
    for an import to store them (warehouse.derived.store_reports_from_step_files: a
    minute and a half and 8 GB for 24.7 million steps), pausing while a page computes
    a figure or changes the data (`ui.resources.on_request`), and giving up that pass
    for a newer derivation's files: the pages then read them instead of computing them
    when asked. Last, the figures of the views people choose most, each offering's
    completed cases alone (the "Completed cases only" toggle) and its relative time
    windows with and without it (warehouse.derived.store_view_figures). Returns the
    thread started, or None
    when one is at work already (it writes these too, once done with those it was
    writing)."""
    with _ahead:
        _AHEAD[:] = [wh]
        _requests[0] += 1
        _reports_done[0] = False  # this warehouse's reports are still to be stored
        # No thread to be had: the pages scan the table instead.
        return _started(_writing, _write_ahead, STEP_THREAD)


def _started(busy: list[bool], target: Callable[[], None], name: str) -> threading.Thread | None:
    """Under the thread's lock: a thread of `target` started, `busy` set, unless one is at
    work already (`busy`: None). None, `busy` left clear, where no thread can be had."""
    if busy[0]:
        return None
    busy[0] = True
    thread = threading.Thread(target=target, name=name, daemon=True)
    try:
        thread.start()
    except RuntimeError:
        busy[0] = False
        log.exception("cannot start the thread %s", name)
        return None
    return thread


STEP_THREAD = "step-files"
_requests = [0]
"""How many times the step files were asked for (under `_ahead`): a request that comes
while the thread checks an earlier one is told apart from it (the warehouse asked for is
the same object every time)."""
_writing = [False]
"""Whether the step-file thread is at work: set and cleared under `_ahead` with `_AHEAD`
looked at, so a warehouse asked for as the thread ends is never left unwritten."""
_reports_done = [False]
"""Whether the step-file thread's pass over the latest warehouse asked for has stored the
reports an import left out (or tried to and given up on some): cleared under `_ahead` by
a request, set by the pass when no request came since it began (the thread does not
take `_ahead` for it: a request in between at worst leaves the page to compute)."""


class _Newer(Exception):
    """A newer derivation's step files are asked for: the pass at work gives way."""


def _write_ahead() -> None:
    def one(wh: Warehouse) -> None:
        with background_work():
            _one_pass(wh)

    _drain(_ahead, _AHEAD, _writing, one)


W = TypeVar("W")


def _drain(
    lock: threading.Lock, asked: list[W], busy: list[bool], work: Callable[[W], None]
) -> None:
    """A background thread's loop, at the lowest priority: `work` on the latest of `asked`
    (taken under `lock`) until none is left, then `busy` cleared under `lock` (so the
    next request starts a thread), as it is if the thread ends otherwise."""
    done = False
    try:
        lowest_priority()
        while True:
            with lock:
                if not asked:
                    busy[0] = False
                    done = True
                    return
                item = asked.pop()
            work(item)
    finally:
        if not done:  # ended otherwise: the next request starts another all the same
            with lock:
                busy[0] = False


STEP_FILE_POLL_S = 0.5


def steps_read_apart(d: Derived, offering: str) -> pl.LazyFrame:
    """The offering's steps as a process of its own can read them
    (`warehouse.kept_findings.readable_apart`: from its step file), waiting while the
    step-file thread is at work and has not written that file yet (it writes the files
    first, seconds after a start or an import at ten million events). Searched in the
    app on a scan of the table instead, the findings of the largest offering held
    2.3 GB more in it at ten million events after a release whose derivation changed.
    The table's scan where no file comes (a folder that cannot be written, a newer
    derivation's files written instead)."""
    while True:
        steps = d.instances_of((offering,))
        if readable_apart(steps):
            return steps
        with _ahead:
            if not _writing[0]:
                return steps
        time.sleep(STEP_FILE_POLL_S)


def _one_pass(wh: Warehouse) -> None:
    """Write `wh`'s step files, then store the reports left out and the figures of the
    stored views, from the derivation the pass starts on. A failure, even a panic of
    polars' engine, is logged and ends the pass: the pages scan the table or compute when
    asked instead."""
    try:
        asked = _requests[0]
        wait_for_pages()  # the start's reads, a page's figure or a change go first
        stamps = current_stamps(wh)
        write_step_files(wh)
        release_duckdb_cache(wh)  # what writing them read, before the cases are read

        def between() -> None:
            _pages_first(str(wh.path), stamps)

        # Each offering's in a process of its own: the app never holds what they need.
        store_reports_from_step_files(wh, between=between, told=_told_stored, apart=True)
        if _requests[0] == asked:  # not when a newer derivation is asked for already
            _reports_done[0] = True
        store_view_figures(wh, between=between, apart=True)
        release_duckdb_cache(wh)  # and the cases each offering's figures were given
    except _Newer:
        return
    except (Exception, pl.exceptions.PanicException):
        log.exception("cannot write the step files or store the reports of %s", wh.path)


_reported = SharedCount()
"""How many offerings' reports the step-file thread has stored since the app started."""


def _told_stored(offering: str) -> None:
    _reported.add(1)  # the pages read the stored figures from their next run


def _pages_first(path: str, stamps: dict[str, str]) -> None:
    """Between two figures of the pass over the derivation `stamps` of `path`: wait while
    a page computes or changes the data, then give way if a newer derivation is asked
    for (the same one asked for again, as a page's cache reads it anew, is not newer)."""
    wait_for_pages()
    with _ahead:
        asked = _AHEAD[-1] if _AHEAD else None
        seen = _requests[0]
    if asked is None:
        return
    if str(asked.path) == path and current_stamps(asked) == stamps:
        with _ahead:
            if _requests[0] == seen:  # nothing asked for since the stamps were read
                _AHEAD.clear()  # this pass does that work already
                return
    raise _Newer


def derived_at(path: str, version: str) -> Derived:
    """`derived()` of a file and data version, for work done outside a page run (no
    session to ask the warehouse of)."""
    return _derive(path, version)


def current_at(path: str) -> tuple[str, Derived]:
    """The file's data version and its derived cases, read outside a page run: what the
    pages' read-ahead (ui.serve.read_ahead) starts from. `offerings_of` the second gives
    the offering each one-offering page opens on (the first)."""
    version = data_version(open_warehouse(path))
    return version, derived_at(path, version)


def _derive_stale(path: str) -> None:
    """Derive the offerings an older release stored (or none had derived yet), and store
    the reports of those whose report is an older release's, once, showing how far it
    got: only the first visit after an upgrade waits for it."""
    wh = open_warehouse(path)
    if not stale_offerings(wh) and not unreported_offerings(wh):
        return
    bar = st.progress(0.0, text="Preparing the streams after an upgrade...")

    def told(done: int, total: int, offering: str) -> None:
        _noted(done, total, offering)
        text = (
            f"Preparing the streams after an upgrade: {plain(offering)} ({done + 1} of {total})..."
            if offering
            else "The streams are ready."
        )
        bar.progress(done / total, text=text)

    # The server's start may be storing the reports already (`warm`): how far it got is
    # shown while this visit waits for it.
    while not _preparing.acquire(timeout=0.5):
        done, total, offering = _so_far[0]
        if total:
            told(done, total, offering)
    try:
        prepare_derivation(wh, progress=told)  # False: load_stored derives in memory instead
        _after_preparing(wh)
    finally:
        _preparing.release()
    bar.empty()


def _after_preparing(wh: Warehouse) -> None:
    """Drop what DuckDB cached as the offerings were derived or their reports stored
    (each offering's steps, copied to a file for the figures), before the page reads the
    cases beside it: a release's first start at ten million events held 2.03 GB for an
    instant as the page read them (the page waits for this, so not for idle pages)."""
    release_duckdb_cache(wh, idle=False)


_preparing = threading.Lock()
"""Held while the offerings an upgrade left are derived or their reports stored: one
at a time, or two would compute the same figures and one's transaction would fail."""

_so_far: list[tuple[int, int, str]] = [(0, 0, "")]
"""(done, total, offering) of the preparation under way, as last told."""


def _noted(done: int, total: int, offering: str) -> None:
    _so_far[0] = (done, total, offering)


_CHECKED: set[tuple[str, str]] = set()
"""(file, data version) whose offerings were found derived, in this process."""


def offerings_of(d: Derived) -> list[str]:
    """Every offering of the derived cases, sorted: the sidebar's choices, the first of
    them the one a page opens on (read once per derivation)."""
    return list(d.offerings)


def derived() -> Derived:
    """Every case of the warehouse, read once per data version."""
    wh = warehouse()
    path, version = str(wh.path), data_version(wh)
    if (path, version) not in _CHECKED:
        _derive_stale(path)
        _CHECKED.add((path, version))
    _forget_older(path, version)
    return _derive(path, version)


_held = threading.Lock()
_HELD: dict[str, str] = {}
"""The data version whose derivation (and views) the caches hold, by warehouse."""


def _forget_older(path: str, version: str) -> None:
    """Drop the derivation and the views of an older data version before the current one
    is read: the cache keeps one, but let go of the old only once the new was read, and
    held both at once (a release's first start at ten million events peaked at 2.43 GB
    as the page read the cases its reports had just stored beside those read before)."""
    with _held:
        if _HELD.get(path, version) != version:
            _derive.clear()
            _view.clear()
        _HELD[path] = version


@st.cache_resource(show_spinner=False, max_entries=2)
def _stored_health_of(
    path: str, version: str, offerings: tuple[str, ...], stored: int
) -> tuple[pl.DataFrame, list[str]]:
    """`stored`: how many offerings' reports the app has stored since it started
    (`_reported`), so rows it stores after a page found none are read."""
    return stored_health_of(open_warehouse(path), offerings)


def _health_of(offerings: Sequence[str]) -> tuple[pl.DataFrame, list[str], int]:
    """(the stored Stream health rows of `offerings`, those without, `reports_stored()`
    as it was before they were read)."""
    derived()  # an older release's offerings are derived (and their rows stored) first
    wh = warehouse()
    seen = _reported.n
    rows, missing = _stored_health_of(
        str(wh.path), data_version(wh), tuple(sorted(offerings)), seen
    )
    return rows, missing, seen


def default_health_rows(offerings: Sequence[str]) -> pl.DataFrame | None:
    """Stream health's rows of `offerings` over each one's default period, as stored at
    the last change (`warehouse.derived.stored_health_of`); None when one has none."""
    rows, missing, _ = _health_of(offerings)
    return None if missing else rows


def health_rows_soon(offerings: Sequence[str]) -> tuple[pl.DataFrame, list[str], int] | None:
    """Where some of `offerings` have no stored Stream health rows yet and the step-file
    thread is at work on a warehouse whose steps are scanned, (the rows of the others,
    those it is about to store, `_health_of`'s count to wait on): an offering of more
    than ten million steps has none until the thread has written its step file and
    stored its report (minutes at fifty million events, after a start or an import);
    computed by the page from every step instead, they took the first visit 17.4 s and
    the app to 7.3 GB there. None where every row is stored, or where the page is to
    compute the missing ones (the steps held in memory, no thread at work on the
    reports, or one it leaves to the pages)."""
    rows, missing, seen = _health_of(offerings)
    if not missing:
        return None
    wh = warehouse()
    if len(pending_figures(str(wh.path), data_version(wh), missing)) < len(missing):
        return None
    return rows, missing, seen


def storing_ahead() -> bool:
    """Whether the step-file thread is at work and has yet to store the reports an import
    left out (writing the step files, or storing those reports)."""
    with _ahead:
        return _writing[0] and not _reports_done[0]


def reports_stored() -> int:
    """How many offerings' reports the step-file thread has stored since the app started:
    a page that waits for one reads them again when this moves."""
    return _reported.n


def stored_rows(offerings: Sequence[str], name: str) -> pl.DataFrame | None:
    """The stored frame `name` (a view's prefix and `metrics.figures.HEALTH` or
    `WINDOW_SCORECARD`, one row per offering) of each of `offerings`, together in
    their order; None where one has none (not stored yet, or its steps are held in
    memory: the page computes it). A few small reads, each page run."""
    kept = _of_each(warehouse(), offerings, name)
    return pl.concat(kept) if kept else None


def _of_each(wh: Warehouse, offerings: Sequence[str], name: str) -> list[Any] | None:
    """The stored figure `name` of each of `offerings`, in their order; None where one
    has none."""
    return _whole(_stored_each(wh, offerings, name))


def _stored_each(wh: Warehouse, offerings: Sequence[str], name: str) -> list[Any | None]:
    """The stored figure `name` of each of `offerings` in their order, None where one has
    none."""
    return [stored_figure(wh, offering, name) for offering in sorted(set(offerings))]


def _whole(each: list[Any | None]) -> list[Any] | None:
    """`each`, or None where one of them is missing."""
    return None if any(k is None for k in each) else each


@st.cache_resource(show_spinner="Reading the attributes...", max_entries=1)
def _events(path: str, version: str) -> pl.DataFrame:
    """What the attribute filters read of the events: (offering, case_id, resource,
    attributes), distinct."""
    return open_warehouse(path).attribute_rows()


def events_of(offering: str, case_id: str | None = None) -> pl.DataFrame:
    """The stored events (with their attributes) of one offering, or of one of its cases,
    read when asked (the callers cache what they make of them)."""
    return warehouse().events([offering], None if case_id is None else [case_id])


@st.cache_resource(show_spinner=False, max_entries=2, hash_funcs={CaseFilter: repr})
def _view(path: str, version: str, spec: CaseFilter) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """Two views at most are held: a filtered view's cases are a copy (mapped from a file,
    `warehouse.mapped.held`), and a view asked for again costs only its filter (the figures
    drawn of it are cached on their own, by `_figure`)."""
    d = _derive(path, version)
    events = _events(path, version).lazy() if spec.attributes else None
    cases = filter_cases(d.cases.lazy(), spec, events).collect()
    # Every case passes (filters only drop rows): the one copy, shared; else a copy of
    # those that pass, mapped from a file where it is big.
    cases = d.cases if cases.height == d.cases.height else held(cases, folder_of(path))
    steps = d.instances_of(spec.offerings)
    of_offerings = (
        d.cases.height
        if spec.offerings is None
        else int(d.cases["offering"].is_in(list(spec.offerings)).sum())
    )
    instances = steps if cases.height == of_offerings else instances_of_cases(steps, cases)
    if d.in_memory and instances is not d.instances:
        # Held once per view; a view that keeps every case shares the derived frame
        # rather than hold its own copy of every step.
        instances = instances.collect().lazy()
    return instances, cases


T = TypeVar("T")
_FIGURES: dict[str, Callable[[pl.LazyFrame, pl.DataFrame], Any]] = {}
_ALONE: dict[str, None] = {}
"""The figures (by `_FIGURES` name, in the order first asked) asked for of a view of one
offering: those the view-ahead thread computes beside `metrics.figures.STORED`."""


def _stored_as(spec: CaseFilter, figure: str | None) -> str | None:
    """The prefix of the stored figure `figure` of the view `spec` selects ("" for every
    case, that of one of `metrics.figures.STORED_VIEWS` for the views the step-file
    thread stores: `warehouse.derived.store_view_figures`), or None where the view's
    figures are not stored."""
    if not spec.offerings:
        return None
    prefix = figures.view_prefix(spec)
    if prefix is None or figure not in figures.view_figure_names(prefix):
        return None
    return prefix


def plainest_view(path: str, version: str, spec: CaseFilter, figure: str | None) -> CaseFilter:
    """The view with the fewest filters whose `figure` (a name of `metrics.figures`) is
    that of `spec`: the view of every case of `spec`'s offerings, or of their completed
    cases, where that is exactly what `spec` keeps (of a figure of completed cases alone,
    `metrics.figures.OF_COMPLETED_CASES`, where `spec` keeps every completed case); else
    `spec`, "completed cases only" off for such a figure
    (`metrics.figures.completed_alike`).

    A page's figure is made of its view's cases and their steps alone, so a filter that
    drops nothing (the last twelve months of a warehouse that holds less, cases "started
    in the window" where every one did) reads the figures stored of every case instead
    of computing them again: at ten million events, 3.5 s for the value stream map of one
    offering's 4.9 million steps. Counted on the cases the app holds, once per view and
    data version."""
    alike = figures.completed_alike(spec, figure)
    return _plainest(path, version, alike, figure in figures.OF_COMPLETED_CASES)


@st.cache_resource(show_spinner=False, max_entries=64, hash_funcs={CaseFilter: repr})
def _plainest(path: str, version: str, spec: CaseFilter, completed_alone: bool) -> CaseFilter:
    every = CaseFilter(offerings=spec.offerings)
    done = replace(every, completed_only=True)
    if spec in (every, done):
        return spec
    d = _derive(path, version)
    events = _events(path, version).lazy() if spec.attributes else None
    kept, kept_done, all_done = (
        filter_cases(d.cases.lazy(), spec, events)
        .select(pl.len(), pl.col("completed").sum().alias("done"), pl.col("completed").all())
        .collect()
        .row(0)
    )
    of = d.cases.lazy() if spec.offerings is None else by_offerings(d.cases.lazy(), spec.offerings)
    n, n_done = of.select(pl.len(), pl.col("completed").sum()).collect().row(0)
    if kept == 0:
        return spec
    if kept == n or (completed_alone and kept_done == n_done):
        return every
    if all_done and kept == n_done:
        return done
    return spec


# 64 figures kept: a figure is small (the map's boxes, a table per step) though its
# computation is not, and with 32 the value stream map a person drew on the Value stream
# page was gone by the time they reached Future state, eight pages on (a view of five
# million steps computed again, the app at 2.10 GB instead of 1.93 GB at its peak).
@st.cache_resource(
    show_spinner="Computing the figures of this view from its steps...",
    max_entries=64,
    hash_funcs={CaseFilter: repr},
)
def _figure(
    path: str,
    version: str,
    spec: CaseFilter,
    name: str,
    _wait: bool = False,
    _now: frozenset[str] = frozenset(),
) -> Any:
    """`_wait`: raise `FiguresPending` rather than compute a figure of every case of an
    offering the step-file thread is about to store (but those of `_now`, which a person
    chose to have computed at once). Neither is part of the key: a figure computed for
    one session is read by every other. A big frame is held mapped from a file
    (`warehouse.mapped.held`)."""
    return held(_read_or_compute(path, version, spec, name, _wait, _now), folder_of(path))


def _read_or_compute(
    path: str, version: str, spec: CaseFilter, name: str, wait: bool, now: frozenset[str]
) -> Any:
    """`_figure`'s figure: read where it is stored, else computed from the view."""
    stored = figures.name_of(_FIGURES[name])
    offerings = spec.offerings or ()
    as_stored = _stored_as(spec, stored)
    if (
        stored is not None
        and as_stored is not None
        and (len(offerings) == 1 or stored in figures.PER_OFFERING)
    ):
        # One offering's figure, or the rows of each offering in view.
        seen = _reported.n  # before what is stored is read: a report stored since moves it
        each = _stored_each(open_warehouse(path), offerings, as_stored + stored)
        kept = _whole(each)
        if kept is None and wait and as_stored == "":
            pending = [o for o in pending_figures(path, version, offerings) if o not in now]
            if pending:
                raise FiguresPending(pending, seen, sum(k is not None for k in each))
            if _reported.n != seen:  # stored as it was looked for: read, not computed
                kept = _of_each(open_warehouse(path), offerings, as_stored + stored)
        if kept is not None:
            return kept[0] if len(kept) == 1 else pl.concat(kept)
    with on_request():
        instances, cases = _view(path, version, spec)
        if stored in figures.PER_OFFERING and len(offerings) > 1 and not cases.is_empty():
            # Each offering's rows are the figure of its own view: stored, computed ahead
            # or by a page of that offering alone, else computed now (holding one
            # offering's steps at a time: Compare's scorecard of every completed case at
            # ten million events peaked 0.9 GB higher computed all at once).
            return each_offering(
                cases,
                lambda offering, _: _figure(
                    path,
                    version,
                    plainest_view(path, version, replace(spec, offerings=(offering,)), stored),
                    name,
                ),
            )
        if _FIGURES[name] is figures.map_conformance:
            # Checked against the view's map as its own figure holds it (the Future state
            # page has drawn it already): not drawn a second time.
            stream = _figure(path, version, spec, _registered(figures.value_stream))
            return figures.conformance_to(stream, instances, cases)
        return _FIGURES[name](instances, cases)


def each_offering(
    cases: pl.DataFrame, compute: Callable[[str, pl.DataFrame], pl.DataFrame]
) -> pl.DataFrame:
    """`compute(offering, its cases)` for each offering of `cases`, in order, one after
    the other, the rows put together: a figure whose rows each rest on one offering's
    cases (`metrics.figures.PER_OFFERING`), computed holding one offering's steps at a
    time. An empty frame where `cases` has none."""
    parts = [
        compute(offering, own)
        for (offering,), own in sorted(cases.partition_by("offering", as_dict=True).items())
    ]
    return pl.concat(parts) if parts else pl.DataFrame()


def view_figure(spec: CaseFilter, compute: Callable[[pl.LazyFrame, pl.DataFrame], T]) -> T:
    """`compute(instances, cases)` of the view `spec` selects, computed once per data
    version and view and shared by every session: a page that runs again for a click in
    it (a box of the map, a step, a case) or another person opening the same view does
    not compute its figures again. The default view of one offering (every case) of a
    figure in `metrics.figures.STORED` is read as stored with its derivation; a figure of
    completed cases alone is the same with "completed cases only" on or off
    (`metrics.figures.completed_alike`), computed or read once for both; and a filter that
    keeps every case of its offerings, or exactly their completed ones, is that view
    (`plainest_view`). `compute`
    is a module-level function of the two frames alone; what it returns is shared,
    never to be changed. Raises `FiguresPending` where the figure of every case of a big
    offering is about to be stored: the router (app.py) catches it around the page's run,
    so a fragment or a widget's callback must not ask for such a figure."""
    wh = warehouse()
    return view_figure_at(str(wh.path), data_version(wh), spec, compute)


def view_figure_at(
    path: str, version: str, spec: CaseFilter, compute: Callable[[pl.LazyFrame, pl.DataFrame], T]
) -> T:
    """`view_figure` of a file and data version: for a cache keyed by them, which must
    read the figure of its own key."""
    alike = plainest_view(path, version, spec, figures.name_of(compute))
    in_a_page = get_script_run_ctx(suppress_warning=True) is not None
    now = computed_now(version) if in_a_page else frozenset()
    name = _registered(compute)
    alone = len(spec.offerings or ()) == 1
    if alone:
        _ALONE.setdefault(name)
    if (
        in_a_page
        and alone
        and figures.view_prefix(spec) is None
        and not _derive(path, version).in_memory
    ):
        view_ahead(path, version, spec, _sidebar_view(spec))
    return cast(T, _figure(path, version, alike, name, in_a_page, now))


def _sidebar_view(spec: CaseFilter) -> CaseFilter | None:
    """The session's sidebar view (`ui.filters.SIDEBAR_VIEW`) where it is the view `spec`
    of one offering widened to several (the Compare page's, of the same filter) and no
    figure of it is stored; else None."""
    wider = st.session_state.get(SIDEBAR_VIEW)
    if (
        not isinstance(wider, CaseFilter)
        or len(wider.offerings or ()) < 2
        or replace(wider, offerings=spec.offerings) != spec
        or figures.view_prefix(wider) is not None
    ):
        return None
    return wider


VIEW_AHEAD_THREAD = "view-ahead"
_view_ahead = threading.Lock()
_NEXT_VIEW: list[tuple[str, str, CaseFilter, CaseFilter | None]] = []
"""The view whose figures are computed ahead next: the latest a page asked for one of,
and the sidebar's view of several offerings it widens to (or None)."""
_viewing = [False]
"""Whether the view-ahead thread is at work (set and cleared under `_view_ahead`)."""
_WALKED: list[tuple[str, str, CaseFilter, CaseFilter | None, int]] = []
"""The last view the thread was asked for, and how many figures of one offering had been
asked for by then: asked again, it has nothing new to compute."""

Steps = Callable[[str, str, CaseFilter], list[Callable[[], object]]]
_SEVERAL: list[Steps] = []
"""What a page of several offerings computes of its view, one step at a time
(`several_ahead`)."""


def several_ahead(steps: Steps) -> Steps:
    """Register `steps(path, version, spec)`: what a page that shows several offerings
    side by side (Compare) computes of the view `spec`, as steps the view-ahead thread
    runs one at a time, each in the caches that page reads. Returns `steps`."""
    _SEVERAL.append(steps)
    return steps


def view_ahead(
    path: str, version: str, spec: CaseFilter, wider: CaseFilter | None = None
) -> threading.Thread | None:
    """Compute the figures of the view `spec` that the pages draw on a background thread
    at the lowest priority, one at a time while the pages are quiet (`_figures_of_view`).
    A view no figure is stored for (a variant, an attribute, dates of one's own) is
    computed from the stored steps, up to a second or two a page at ten million events;
    once a person has chosen it on one page, the next pages they open with it read its
    figures instead. Only for a view of one offering, the view of every page but Compare,
    and for a warehouse whose steps are scanned (in memory, a page computes them in a
    fraction of a second); then, where `wider` is given (the same filter over the
    sidebar's offerings), what Compare computes of it (`several_ahead`). A newer view, or
    new data, ends the walk over the older one. Returns the thread started, or None when
    it is at work already (it goes on to this view next)."""
    key = (path, version, spec, wider, len(_ALONE))
    with _view_ahead:
        if _WALKED and _WALKED[0] == key:
            return None
        _WALKED[:] = [key]
        _NEXT_VIEW[:] = [(path, version, spec, wider)]
        # No thread to be had: each page computes its own.
        return _started(_viewing, _views_ahead, VIEW_AHEAD_THREAD)


def _views_ahead() -> None:
    _drain(_view_ahead, _NEXT_VIEW, _viewing, lambda view: _figures_of_view(*view))


AHEAD_QUIET_S = 2.0
"""How long after the last page run the view-ahead thread starts its next figure."""


def _figures_of_view(path: str, version: str, spec: CaseFilter, wider: CaseFilter | None) -> None:
    """Each figure of the view `spec` that the pages draw (`metrics.figures.STORED`, and
    any other asked for of a view of one offering on this server), computed where it is
    not held already (`view_figure_at`: a page that asks for one meanwhile waits for it
    rather than compute it twice); then, of the view `wider` of several offerings, what
    the pages registered with `several_ahead` compute. Each step once no page has run
    for AHEAD_QUIET_S; none of a view that has no case (the pages say so and draw
    nothing)."""
    names = [_registered(f) for f in figures.STORED.values()]
    own: list[Callable[[], object]] = [
        partial(view_figure_at, path, version, spec, _FIGURES[name])
        for name in [*names, *(n for n in list(_ALONE) if n not in names)]
    ]
    if _walked(path, version, spec, own) and wider is not None:
        _walked(
            path, version, wider, [s for steps in _SEVERAL for s in steps(path, version, wider)]
        )


def _walked(path: str, version: str, view: CaseFilter, steps: list[Callable[[], object]]) -> bool:
    """Run `steps` (of the view `view`) one at a time, each once no page has run for
    AHEAD_QUIET_S; none where the view has no case. Whether the thread goes on after
    them (no newer view chosen, the data unchanged)."""
    wait_for_quiet_pages(AHEAD_QUIET_S)
    if not _still(path, version):
        return False
    if _view(path, version, view)[1].is_empty():
        return True
    for step in steps:
        wait_for_quiet_pages(AHEAD_QUIET_S)
        if not _still(path, version):
            return False
        try:
            step()
        except Exception:  # the page that asks for it computes it and says what is wrong
            log.exception("cannot compute a figure of a view ahead: %s", step)
    return True


def _still(path: str, version: str) -> bool:
    """Whether the view-ahead thread goes on: no newer view chosen, the data unchanged."""
    with _view_ahead:
        if _NEXT_VIEW:  # a newer view was chosen: that one's figures instead
            return False
    return data_version(open_warehouse(path)) == version


COMPUTE_NOW = "compute_now"
"""The session's (data version, offering) whose figures a person chose to have computed at
once rather than wait for the step-file thread to store them (`FiguresPending`)."""


def computed_now(version: str) -> frozenset[str]:
    """The offerings whose figures of data version `version` the session chose to have
    computed at once: after a change of the data, the pages wait for them again."""
    return frozenset(o for v, o in st.session_state.get(COMPUTE_NOW, ()) if v == version)


def compute_now(offerings: Sequence[str]) -> None:
    """Have the session's pages compute the figures of `offerings` of the current data
    rather than wait for them (`FiguresPending`)."""
    version = data_version(warehouse())
    chosen = set(st.session_state.get(COMPUTE_NOW, ()))
    st.session_state[COMPUTE_NOW] = chosen | {(version, o) for o in offerings}


class FiguresPending(Exception):
    """A page asked for a figure of every case of an offering the step-file thread is
    about to store (more than ten million steps: an import leaves its report and figures
    out, the thread stores them minutes after a start or an import): the page says so
    and waits for them (`ui.pending`), rather than compute them from every step. At fifty
    million events Stream health computing them took the app 17.4 s and 7.3 GB."""

    def __init__(self, offerings: list[str], seen: int, others: int = 0) -> None:
        super().__init__(f"the figures of {', '.join(offerings)} are being stored")
        self.offerings = offerings
        self.seen = seen
        """`reports_stored()` before the figures were looked for: the page runs again
        when it moves."""
        self.others = others
        """How many offerings of the page's view have their figures stored already."""


def pending_figures(path: str, version: str, offerings: Sequence[str]) -> list[str]:
    """Those of `offerings` whose report and figures of every case the step-file thread
    is about to store (warehouse.derived.reported_ahead), while it is at work on them;
    none where the steps are held in memory (the pages compute them as fast as ever)."""
    if _derive(path, version).in_memory or not storing_ahead():
        return []
    ahead = set(reported_ahead(open_warehouse(path)))
    return [o for o in offerings if o in ahead]


def _registered(compute: Callable[[pl.LazyFrame, pl.DataFrame], Any]) -> str:
    """The name `_figure` knows `compute` by."""
    name = f"{compute.__module__}.{compute.__qualname__}"
    _FIGURES.setdefault(name, compute)
    return name


def view(spec: CaseFilter) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """(instances, cases) of the cases the filter selects; the instances are lazy (see
    `Derived`): collect what a page shows from them."""
    wh = warehouse()
    return _view(str(wh.path), data_version(wh), spec)


def view_at(path: str, version: str, spec: CaseFilter) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """`view(spec)` of a file and data version: for a cache keyed by them, which must
    read the view of its own key (an import may come between two reads of the current
    version)."""
    return _view(path, version, spec)


@st.cache_resource(show_spinner=False, max_entries=2)
def _attribute_names(path: str, version: str) -> list[str]:
    wh = open_warehouse(path)
    names = attribute_names(wh.events_head(ATTRIBUTE_SAMPLE))
    if "resource" not in names and wh.has_resources():
        names.insert(0, "resource")
    return names


@st.cache_resource(show_spinner="Reading the attribute's values...", max_entries=16)
def _attribute_values(path: str, version: str, name: str) -> list[str]:
    return attribute_values(_events(path, version), name)["value"].to_list()


@st.cache_resource(show_spinner=False, max_entries=2)
def _top_variants(path: str, version: str, n: int = 30) -> list[str]:
    frame = variants(_derive(path, version).cases.lazy(), by=()).head(n).collect()
    return [VARIANT_SEPARATOR.join(v) for v in frame["variant"].to_list() if v]


def filter_choices() -> FilterChoices:
    """The "More filters" of the sidebar, each computed once per data version, and the
    attribute values only for the attribute a person picks."""
    wh = warehouse()
    path, version = str(wh.path), data_version(wh)
    return FilterChoices(
        attributes=lambda: _attribute_names(path, version),
        values=lambda name: _attribute_values(path, version, name),
        variants=lambda: _top_variants(path, version),
    )


@dataclass(frozen=True)
class Facts:
    """What the sidebar says of the warehouse on every page."""

    events: int
    offerings: tuple[str, ...]
    span: tuple[datetime, datetime] | None
    demo: bool


@st.cache_resource(show_spinner=False, max_entries=2)
def _facts(path: str, version: str) -> Facts:
    wh = open_warehouse(path)
    return Facts(wh.event_count(), tuple(wh.offerings()), wh.time_span(), wh.has_demo())


def warehouse_facts() -> Facts:
    """The warehouse's events, offerings, time span and whether it holds the demo, read
    once per data version (three scans of every event: half a second of every page run
    at ten million events)."""
    wh = warehouse()
    return _facts(str(wh.path), data_version(wh))


def warm(path: str | None = None) -> bool:
    """Read what a first page needs before anybody asks: the derived cases, the sidebar's
    facts and its filters' choices (ui.serve calls it once the server is up, so the first
    visitor after a restart does not wait for them), after storing the reports an older
    release stored otherwise. Returns False, reading nothing, when a warehouse made by an
    older release must be derived first: the first visit shows that with a progress
    bar."""
    path = path or warehouse_path()
    wh = open_warehouse(path)
    if stale_offerings(wh):
        return False
    if unreported_offerings(wh):  # a release that computes them otherwise: stored now
        with _preparing:
            prepare_derivation(wh, progress=_noted)  # shown to a visitor who comes meanwhile
            _after_preparing(wh)
    version = data_version(wh)
    _CHECKED.add((path, version))
    _facts(path, version)
    _derive(path, version)
    _top_variants(path, version)
    _attribute_names(path, version)
    return True


def figures_ahead(path: str | None = None) -> int:
    """Read the stored figures the pages open on, before anybody asks (ui.serve does it
    once the server is up, after `warm`): every stored figure of the first offering's
    every case, the view each one-offering page opens on, and Compare's scorecard of
    every offering. Reading them is most of a page's first run once the cases are read
    (a quarter of a second of Waits' or Future state's at ten million events). A figure
    that is not stored (an offering beyond the steps a report is stored for, or with a
    calendar on) is left to the page that asks for it: computing it can take minutes and
    gigabytes. Returns how many figures it read; 0 where the cases are not read yet
    (`warm` said False)."""
    path = path or warehouse_path()
    wh = open_warehouse(path)
    version = data_version(wh)
    if (path, version) not in _CHECKED:
        return 0
    offerings = tuple(offerings_of(_derive(path, version)))
    if not offerings:
        return 0
    stored = {o: stored_figure_names(wh, o) for o in offerings}
    wanted = [
        (CaseFilter(offerings=offerings[:1]), f)
        for name, f in figures.STORED.items()
        if name in stored[offerings[0]]
    ]
    if all("scorecard" in names for names in stored.values()):
        wanted.append((CaseFilter(offerings=offerings), figures.scorecard))
    for spec, compute in wanted:
        _figure(path, version, spec, _registered(compute))
    return len(wanted)
