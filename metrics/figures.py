"""The figures the value stream map, Waits, Process map, Flow, Future state, Redesign and
Compare pages draw of a view, each a function of the view's steps and cases alone.

Their view of every case of one offering (the pages' default) is stored with the
offering's derivation at each change (warehouse.derived), so the first visit after a
restart reads a few hundred rows instead of scanning millions of steps; so are, for a
warehouse whose steps are scanned, the views of `STORED_VIEWS` (the "Completed cases
only" toggle and the sidebar's relative time windows); any other view computes them.
`encode` and `decode` turn a figure into what the warehouse stores (its frames as
Parquet, and JSON of the rest) and back.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import polars as pl

from metrics.conformance import FutureState, case_conformance
from metrics.filters import CaseFilter, filter_cases, instances_of_cases
from metrics.health import DEFAULT_DAYS, health
from metrics.periods import period_bounds
from metrics.process_map import activity_ranking, directly_follows, most_frequent
from metrics.scorecard import scorecard as _scorecard
from metrics.steps import steps as _steps
from metrics.steps import work_step_order
from metrics.summary import STREAMING, case_summary
from metrics.transitions import transitions as _transitions
from metrics.variants import variants
from metrics.vsm import ValueStream
from metrics.vsm import value_stream as _value_stream
from metrics.waits import slowest_cases, step_waits, wait_ecdf, waits_by_weekday_hour
from metrics.whatif import Projection, ValueStreamMap, projection

TOP_VARIANTS = 12
"""The variants the value stream map lists."""

SLOWEST = 20
"""The slowest completed cases the Waits page lists."""

MANY_ACTIVITIES = 20
"""The steps the process map shows at first (the most frequent)."""

Figure = Callable[[pl.LazyFrame, pl.DataFrame], Any]


def value_stream(instances: pl.LazyFrame, cases: pl.DataFrame) -> ValueStream:
    """The map (metrics.vsm.value_stream)."""
    return _value_stream(instances.lazy(), cases.lazy())


def top_variants(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The TOP_VARIANTS most common variants (metrics.variants)."""
    return variants(cases.lazy(), by=()).head(TOP_VARIANTS).collect()


def steps(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """Every step's figures (metrics.steps)."""
    return _steps(instances.lazy(), by=()).collect()


def waits_by_step(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The wait before each step (metrics.waits.step_waits)."""
    return step_waits(instances.lazy()).collect()


def summary(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The cases' headline figures (metrics.summary.case_summary)."""
    return case_summary(cases.lazy()).collect()


def ecdf(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The percentiles of each step's waits (metrics.waits.wait_ecdf)."""
    return wait_ecdf(instances.lazy()).collect()


def weekday_hours(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """When waits end, by weekday and hour (metrics.waits.waits_by_weekday_hour)."""
    return waits_by_weekday_hour(instances.lazy()).collect()


def transitions(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """Which step follows which, and after how long (metrics.transitions)."""
    return _transitions(instances.lazy(), by=()).collect()


def slowest(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The SLOWEST slowest completed cases (metrics.waits.slowest_cases)."""
    return slowest_cases(instances.lazy(), cases.lazy(), n=SLOWEST).collect()


def ranking(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The steps by how many cases have them (metrics.process_map.activity_ranking)."""
    return activity_ranking(instances.lazy(), cases.lazy()).collect()


def arrows(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The arrows between the MANY_ACTIVITIES most frequent steps, as the process map
    first shows them (metrics.process_map.directly_follows)."""
    keep = most_frequent(instances.lazy(), MANY_ACTIVITIES)
    return directly_follows(instances.lazy(), cases.lazy(), keep).collect()


def work_steps(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """Every work step in its usual order (metrics.steps.work_step_order)."""
    return work_step_order(instances.lazy()).collect()


def unchanged(instances: pl.LazyFrame, cases: pl.DataFrame) -> Projection:
    """The Redesign page's projection before any change, in elapsed time
    (metrics.whatif.projection)."""
    offerings = cases["offering"].unique().to_list()
    return projection(instances, cases, (), offerings[0] if len(offerings) == 1 else None)


def scorecard(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The Compare page's scorecard over all time (metrics.scorecard), one row per
    offering, each of its own cases alone."""
    bounds = period_bounds(cases.lazy())
    return _scorecard(instances.lazy(), cases.lazy(), bounds=bounds).collect()


def map_future_state(steps: list[str]) -> FutureState:
    """The future state the Future state page drafts first: one stage per box of today's
    map (`steps`, in map order), no step optional (its name is the page's)."""
    return FutureState("", tuple((step,) for step in steps), frozenset())


def map_conformance(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """How each completed case follows `map_future_state` of today's map
    (metrics.conformance.case_conformance), keyed by offering and case id: the view's
    case numbers are its own, not stored."""
    return conformance_to(value_stream(instances, cases), instances, cases)


def conformance_to(
    stream: ValueStream, instances: pl.LazyFrame, cases: pl.DataFrame
) -> pl.DataFrame:
    """`map_conformance` of a view whose map `stream` is drawn already (`value_stream` of
    the same `instances` and `cases`): the map is not drawn a second time."""
    steps = stream.boxes["activity"].to_list()
    per_case = case_conformance(instances.lazy(), cases.lazy(), map_future_state(steps))
    return per_case.drop("case_index").collect(engine=STREAMING)


STORED: dict[str, Figure] = {
    f.__name__: f
    for f in (
        value_stream,
        top_variants,
        steps,
        waits_by_step,
        summary,
        ecdf,
        weekday_hours,
        transitions,
        slowest,
        ranking,
        arrows,
        work_steps,
        map_conformance,
        unchanged,
        scorecard,
    )
}
"""The figures stored for each offering's every case, by name."""


CONFORMANCE = "conformance"
"""Not a stored figure: each completed case's conformance to a given future state
(metrics.conformance.case_conformance), which the Future state page checks a draft with."""

OF_COMPLETED_CASES = frozenset({"slowest", "unchanged", CONFORMANCE})
"""The figures made of a view's completed cases alone (and their steps): a view's figure
is the same with "completed cases only" on or off (`completed_alike`)."""


def completed_alike(spec: CaseFilter, figure: str | None) -> CaseFilter:
    """The view whose `figure` equals that of `spec`, "completed cases only" off where
    the figure reads only completed cases: the two share one computation (or the stored
    figure of the default view) instead of two."""
    if figure in OF_COMPLETED_CASES and spec.completed_only:
        return dataclasses.replace(spec, completed_only=False)
    return spec


COMPLETED = "completed:"
"""The prefix of a stored figure's name whose view is the offering's completed cases
alone (the "Completed cases only" toggle)."""

OF_COMPLETED_VIEW = tuple(
    name for name in STORED if name not in OF_COMPLETED_CASES and name != "map_conformance"
)
"""The STORED figures stored of a view of completed cases alone: those a view's
completed cases alone change (not OF_COMPLETED_CASES, the same either way, stored with
the view of every case), map_conformance excepted (its draft is today's map of every
case; the Future state page checks a draft against completed cases alike)."""

WINDOW_DAYS = (30, 90, 180, 365)
"""The relative time windows of the sidebar (ui.filters.PERIODS), in days: the last N
days up to each offering's own latest event, the cases in progress at some point of
them (metrics.filters)."""


def window_prefix(days: int) -> str:
    """The prefix of the stored figures of the view of the last `days` days."""
    return f"{days}d:"


STORED_VIEWS: dict[str, CaseFilter] = {
    COMPLETED: CaseFilter(completed_only=True),
    **{window_prefix(days): CaseFilter(window_days=days) for days in WINDOW_DAYS},
    **{
        f"{days}d,{COMPLETED}": CaseFilter(window_days=days, completed_only=True)
        for days in WINDOW_DAYS
    },
}
"""The views besides every case whose figures are stored for each offering of a
warehouse whose steps are scanned (warehouse.derived.store_view_figures), by the prefix
of their figures' names: the filters people choose most, one click in the sidebar each.
Any other view (custom dates, another window mode, variants, attributes) computes them."""


def view_prefix(spec: CaseFilter) -> str | None:
    """The prefix of the stored figures of the view `spec` selects of each of its
    offerings ("" for every case), or None where that view's figures are not stored."""
    alone = dataclasses.replace(spec, offerings=None)
    if alone == CaseFilter():
        return ""
    return next((prefix for prefix, view in STORED_VIEWS.items() if view == alone), None)


def view_figure_names(prefix: str) -> tuple[str, ...]:
    """The STORED figures stored of the view of `prefix`: every one, of every case and of
    a time window; of completed cases alone, OF_COMPLETED_VIEW (the others are those of
    the same view with open cases, `completed_alike`)."""
    if prefix and STORED_VIEWS[prefix].completed_only:
        return OF_COMPLETED_VIEW
    return tuple(STORED)


HEALTH = "health"
"""A stored name's end: Stream health's rows of one offering over its last N days
(`window_health`), stored under the prefix of that window's view."""

WINDOW_SCORECARD = "window_scorecard"
"""A stored name's end: the Compare page's scorecard of one offering's view with a time
window (`window_scorecard`), stored under that view's prefix."""


def window_health(instances: pl.LazyFrame, cases: pl.DataFrame, days: int) -> pl.DataFrame:
    """Stream health's rows (metrics.health) of `cases` (every case of the offerings in
    view, the period before the window included) over each offering's last `days` days."""
    bounds = period_bounds(cases.lazy(), days=days)
    return health(instances.lazy(), cases.lazy(), bounds=bounds).collect()


def window_scorecard(instances: pl.LazyFrame, cases: pl.DataFrame, days: int) -> pl.DataFrame:
    """The Compare page's scorecard (metrics.scorecard) of a view with the time window of
    each offering's last `days` days: its rates and weeks over that window."""
    bounds = period_bounds(cases.lazy(), days=days)
    return _scorecard(instances.lazy(), cases.lazy(), bounds=bounds).collect()


def view_figures(
    prefix: str, instances: pl.LazyFrame, cases: pl.DataFrame
) -> Iterator[tuple[str, Any]]:
    """(prefix + name, figure) of each of `view_figure_names(prefix)` of that view of one
    offering (`instances` and `cases`: its every step and case), selected as the pages
    select it (metrics.filters), as `every_figure` makes them; nothing where the view has
    no case (the pages say so and draw nothing). A window's view also has Compare's
    scorecard (`window_scorecard`) and, without "completed cases only", Stream health's
    rows (`window_health`, of every case; those of DEFAULT_DAYS are stored with every
    derivation)."""
    view = STORED_VIEWS[prefix]
    days = view.window_days
    if days is not None and days != DEFAULT_DAYS and not view.completed_only:
        yield prefix + HEALTH, window_health(instances, cases, days)
    chosen = filter_cases(cases.lazy(), view).collect()
    if chosen.height == 0:
        return
    own = instances if chosen.height == cases.height else instances_of_cases(instances, chosen)
    names = view_figure_names(prefix)
    for name, figure in every_figure(own, chosen, only=names):
        yield prefix + name, figure
    if days is not None:
        yield prefix + WINDOW_SCORECARD, window_scorecard(own, chosen, days)


def figure_name(name: str) -> str:
    """The STORED figure a stored name is of, without its view's prefix."""
    return name.rpartition(":")[2]


def every_figure(
    instances: pl.LazyFrame,
    cases: pl.DataFrame,
    *,
    only: Sequence[str] | None = None,
) -> Iterator[tuple[str, Any]]:
    """(name, figure) of every STORED figure of one view (of those of `only`, if given),
    in STORED's order, each made once: the every-step figures are those the map was
    drawn from, and the Future state's first draft is checked against the map already
    drawn."""
    stream: ValueStream | None = None
    for name, compute in STORED.items():
        if only is not None and name not in only:
            continue
        if compute is steps and stream is not None:
            yield name, stream.steps
            continue
        if compute is map_conformance and stream is not None:
            yield name, conformance_to(stream, instances, cases)
            continue
        figure = compute(instances, cases)
        if isinstance(figure, ValueStream):
            stream = figure
        yield name, figure


def held(steps: pl.LazyFrame, columns: Sequence[str]) -> pl.LazyFrame:
    """`columns` of `steps`, read once and held, for a Redesign projection of changes,
    which queries the steps many times: scanned steps are read once, not once per query
    (a projection of five million steps ran a dozen scans); steps in memory are filtered
    once (as fast or faster: 2.0-2.1 s against 2.1-2.5 s for that projection held in
    memory). The projection before any change (`unchanged`) reads them as they come: its
    few queries of a view of five million scanned steps took 0.6-1.2 s more than
    holding them, and 0.4 GB less memory at their peak."""
    return steps.select(list(columns)).collect().lazy()


PER_OFFERING = frozenset({"scorecard"})
"""The stored figures whose rows are per offering, each of its own cases alone, sorted by
offering: the figure of several offerings' every case is their stored rows together."""


def name_of(figure: Figure) -> str | None:
    """The name `figure` is stored under, or None for one that is not stored."""
    name = getattr(figure, "__name__", None)
    return name if name is not None and STORED.get(name) is figure else None


def encode(value: pl.DataFrame | ValueStream | Projection) -> tuple[bytes, str | None]:
    """(The figure's frames, as Parquet files one after the other; JSON of its other
    fields and of the frames' sizes, or None for a figure that is one frame)."""
    if isinstance(value, pl.DataFrame):
        return to_parquet(value), None
    if isinstance(value, ValueStream):
        frames = [value.boxes, value.steps]
        rest = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        del rest["boxes"], rest["steps"]
    else:
        frames = [value.current.boxes, value.projected.boxes, value.lead_times]
        rest = {
            "current": value.current.totals,
            "projected": value.projected.totals,
            "figures": value.figures,
            "steps": value.steps,
        }
    files = [to_parquet(frame) for frame in frames]
    rest["_sizes"] = [len(f) for f in files]
    return b"".join(files), json.dumps(rest)


def _ladder(totals: dict[str, Any]) -> dict[str, Any]:
    """metrics.vsm.ladder's totals as JSON gave them back (its sequences are tuples)."""
    segments = [{**s, "activities": tuple(s["activities"])} for s in totals["segments"]]
    return {**totals, "path": tuple(totals["path"]), "segments": segments}


def to_parquet(frame: pl.DataFrame) -> bytes:
    """`frame` as the bytes of a Parquet file."""
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


def decode(name: str, figure: bytes, rest: str | None) -> pl.DataFrame | ValueStream | Projection:
    """The figure `encode` gave (`name`: its key in STORED, or that with the prefix of
    one of STORED_VIEWS before)."""
    name = figure_name(name)
    if rest is None:
        return pl.read_parquet(io.BytesIO(figure))
    fields = json.loads(rest)
    frames, at = [], 0
    for size in fields.pop("_sizes"):
        frames.append(pl.read_parquet(io.BytesIO(figure[at : at + size])))
        at += size
    if name == "value_stream":
        fields["path"] = tuple(fields["path"])
        return ValueStream(boxes=frames[0], steps=frames[1], **fields)
    return Projection(
        current=ValueStreamMap(frames[0], _ladder(fields["current"])),
        projected=ValueStreamMap(frames[1], _ladder(fields["projected"])),
        figures=fields["figures"],
        lead_times=frames[2],
        steps=tuple(fields["steps"]),
    )
