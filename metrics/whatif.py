"""What-if: project a redesign onto the completed cases we have.

Each completed case is replayed on its own timeline: its work steps in case
order (METRICS.md; waiting-state instances are not steps, their time is in the
wait before the next work step), each step contributing the wait before it and
its process time. The replay adds up to the case's lead time exactly:

- a step's **wait** is the wait before it (METRICS.md: `max(0, start − the
  latest end among the work steps before it)`), and its **time** its own
  process time (`end − start`); on the timeline the step moves the case's latest
  end by max(0, gap + time), where the gap is `start − that latest end`
  (negative where it overlaps earlier work, so overlapping steps are not
  counted twice);
- a step whose start is unknown has one **elapsed** time (from the latest end
  before it to its own end) that holds both its wait and its work. With the
  catalog's standard minutes, the work is the standard time (at most the
  elapsed time) and the rest is its wait. Without them the process time is
  unknown: the step keeps its elapsed time as it is (no change shortens it);
- time after the last work step (a case that ends in a waiting state) is kept.

The changes, combined in the order given, each applying to the case as the
earlier ones left it:

- `Remove(STEP)`: every instance of STEP contributes nothing, neither its
  wait before nor its time. The step after it keeps its own wait; nothing is
  re-measured. A case without STEP is unchanged.
- `Parallel(A, B)`: where an instance of B directly follows an instance of A
  (after earlier removals), B starts when A starts: the segment from A's start
  to B's end (A's time + the wait before B + B's time) becomes max(A's
  process time, B's process time). A and B then form one block that starts
  when A starts and lasts as long as its longest step; a later
  `Parallel(B, C)` where C follows B adds C to the block. Removing a member
  takes it out of the block; if it was the block's first step, the next one
  starts the block after its own wait, as after any removal. Where A or B has
  an unknown process time, the pair is left as it was.
- `WaitFactor(STEP, F)` (F ≥ 0): the wait before every instance of STEP is
  multiplied by F (a step running in parallel with the one before it has no
  wait of its own).

A case is **affected** when some change applies to it: it contains a removed
step, has B directly after A for a parallel change, or has a wait before a
step whose wait is scaled (with F ≠ 1).

The projection is first-order: it does not model the queue a faster step may
build downstream; `assumptions` says so in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from metrics.stats import conform, distribution, duration_text, json_number
from metrics.steps import work_step_order
from metrics.summary import ENGINE, STREAMING
from metrics.vsm import ladder, value_streams_of_no_change, vsm_steps


@dataclass(frozen=True)
class Remove:
    """Take STEP out of every case."""

    step: str

    def words(self) -> str:
        return f"remove {self.step}"


@dataclass(frozen=True)
class Parallel:
    """Start `second` when `first` starts, where it directly follows it."""

    first: str
    second: str

    def __post_init__(self) -> None:
        if self.first == self.second:
            raise ValueError(f"A step cannot run in parallel with itself ({self.first}).")

    def words(self) -> str:
        return f"run {self.first} and {self.second} in parallel"


@dataclass(frozen=True)
class WaitFactor:
    """Multiply the wait before STEP by `factor`."""

    step: str
    factor: float

    def __post_init__(self) -> None:
        if not self.factor >= 0 or self.factor == float("inf"):
            raise ValueError(
                f"The wait factor for {self.step} must be a number of 0 or more, not {self.factor}."
            )

    def words(self) -> str:
        if self.factor == 0:
            return f"no wait before {self.step}"
        if self.factor == 0.5:
            return f"halve the wait before {self.step}"
        return f"multiply the wait before {self.step} by {self.factor:g}"


Change = Remove | Parallel | WaitFactor

CHANGE_KINDS = ("remove", "parallel", "wait-factor")


def parse_change(kind: str, value: str) -> Change:
    """A change as a command line gives it: `remove STEP`, `parallel A,B`, `wait-factor STEP=F`.

    Step names are taken as written (no trimming). ValueError says what is wrong.
    """
    if kind == "remove":
        if not value:
            raise ValueError("--remove needs a step name.")
        return Remove(value)
    if kind == "parallel":
        first, comma, second = value.partition(",")
        if not comma or not first or not second or "," in second:
            raise ValueError(f"--parallel takes two steps as A,B; got {value!r}.")
        return Parallel(first, second)
    if kind == "wait-factor":
        step, equals, number = value.rpartition("=")
        if not equals or not step:
            raise ValueError(f"--wait-factor takes STEP=F, e.g. 'Approval=0.5'; got {value!r}.")
        try:
            factor = float(number)
        except ValueError:
            raise ValueError(f"--wait-factor {value!r}: {number!r} is not a number.") from None
        return WaitFactor(step, factor)
    raise ValueError(f"A change is one of {', '.join(CHANGE_KINDS)}, not {kind!r}.")


def describe(changes: Sequence[Change]) -> str:
    """The changes in plain words, in order (an experiment's description)."""
    if not changes:
        return "no change"
    text = "; ".join(change.words() for change in changes)
    return text[0].upper() + text[1:]


PROJECTION_SCHEMA: dict[str, pl.DataType] = {
    "case_index": pl.UInt32(),
    "offering": pl.String(),
    "case_id": pl.String(),
    "last_end": pl.Datetime("us", "UTC"),
    "baseline_lead_time_s": pl.Float64(),
    "projected_lead_time_s": pl.Float64(),
    "affected": pl.Boolean(),
}
"""One row per completed case: its lead time today and as the changes project it."""


@dataclass(frozen=True)
class _Tally:
    """What one change found: instances it applied to, their cases, instances it had to leave."""

    change: Change
    instances: int
    cases: int
    left_as_is: int
    present: bool
    waiting_state: bool


@dataclass(frozen=True)
class Replay:
    """The replayed steps after the changes (one row per work instance of a completed case),
    the projected lead time per case, and what each change found."""

    steps: pl.LazyFrame
    """A query of the replayed steps: of the steps in hand where there are changes, of the
    view's steps where there are none."""
    projection: pl.DataFrame
    tallies: tuple[_Tally, ...]
    unknown_process: int
    standard_time: int
    after_last_step: int


PROJECTION_COLUMNS = (
    "case_index",
    "seq",
    "activity",
    "kind",
    "value_class",
    "start",
    "end",
    "gap_before_s",
    "wait_before_s",
    "is_rework",
    "process_s",
    "touch_s",
)
"""The step columns `projection` reads (the replay, both maps and the usual order of the
steps), each of them many times: a caller whose steps are scanned reads these once."""


def _initial_steps(instances: pl.LazyFrame, done: pl.Series) -> pl.LazyFrame:
    """The work steps of the completed cases (`done`, their case numbers) with their gap
    (start − latest end before, signed) and own process time, as the replay reads them."""
    known_start = pl.col("start").is_not_null()
    gap = pl.col("gap_before_s").fill_null(0.0)
    # Without a start the step's end is all we know: its own time is the standard time, at
    # most the elapsed time, or unknown; the rest of the elapsed time is its gap.
    standard = pl.when(pl.col("touch_s").is_not_null()).then(
        pl.min_horizontal(pl.col("touch_s"), gap.clip(lower_bound=0.0))
    )
    own = pl.when(known_start).then(pl.col("process_s")).otherwise(standard)
    # One pass over the steps (a semi-join gathered every column of them first: half the
    # time, and less memory, for the 4.7 million steps of a view's completed cases).
    return (
        instances.filter(pl.col("case_index").is_in(done.implode()) & (pl.col("kind") != "waiting"))
        .select(
            "case_index",
            "seq",
            "activity",
            "kind",
            "value_class",
            "is_rework",
            "process_s",
            "wait_before_s",
            _gap0=pl.when(known_start).then(gap).otherwise(gap - own.fill_null(0.0)),
            _own=own,
            _unknown=own.is_null(),
            _standard=~known_start & own.is_not_null(),
        )
        .with_columns(_gap=pl.col("_gap0"), _block_start=pl.lit(True))
    )


def _contribution(gap: pl.Expr, own: pl.Expr) -> pl.Expr:
    """How far a step (or block) moves the case's latest end: max(0, gap + own time)."""
    return (gap + own.fill_null(0.0)).clip(lower_bound=0.0)


def _first_in_case() -> pl.Expr:
    return (pl.col("case_index") != pl.col("case_index").shift(1)).fill_null(True)


def _apply(state: pl.DataFrame, change: Change) -> tuple[pl.DataFrame, pl.Series, int, int]:
    """`state` after `change`: the new state, the cases it applied to, the instances it
    applied to and the instances it had to leave as they were (unknown process time)."""
    if isinstance(change, Remove):
        hit = state["activity"] == change.step
        kept = (
            state.with_columns(_block=pl.col("_block_start").cum_sum())
            .filter(~hit)
            .with_columns(
                _block_start=_first_in_case() | (pl.col("_block") != pl.col("_block").shift(1))
            )
            .drop("_block")
        )
        return kept, state.filter(hit)["case_index"].unique(), int(hit.sum()), 0
    if isinstance(change, WaitFactor):
        named = (state["activity"] == change.step) & state["_block_start"] & (state["_gap"] > 0)
        unknown = named & state["_unknown"]
        hit = named & ~unknown & (change.factor != 1)
        out = state.with_columns(
            _gap=pl.when(hit).then(pl.col("_gap") * change.factor).otherwise(pl.col("_gap"))
        )
        return out, state.filter(hit)["case_index"].unique(), int(hit.sum()), int(unknown.sum())
    follows = state.select(
        (
            pl.col("_block_start")
            & ~_first_in_case()
            & (pl.col("activity") == change.second)
            & (pl.col("activity").shift(1) == change.first)
        ).alias("pair"),
        (pl.col("_own").is_not_null() & pl.col("_own").shift(1).is_not_null()).alias("known"),
    )
    hit = follows["pair"] & follows["known"]
    out = state.with_columns(_block_start=pl.col("_block_start") & ~hit)
    left = int((follows["pair"] & ~follows["known"]).sum())
    return out, state.filter(hit)["case_index"].unique(), int(hit.sum()), left


def replay(instances: pl.LazyFrame, cases: pl.LazyFrame, changes: Sequence[Change]) -> Replay:
    """Replay the completed cases of a view with `changes` (see the module docstring).

    `instances` and `cases` are one view (metrics.filters.apply_filters) of
    `derive_instances` and `case_table`; only its completed cases take part.
    """
    done = cases.filter(pl.col("completed")).select(
        "case_index", "offering", "case_id", "last_end", "lead_time_s"
    )
    cases_done = done.collect(engine=ENGINE)
    initial = _initial_steps(instances, cases_done["case_index"])
    # Without a change the steps stay a query of `instances`, never held beside them: the
    # Redesign page's first projection of a view (no change yet) of five million steps
    # held 0.35 GB less at its peak.
    state: pl.DataFrame | pl.LazyFrame = initial.collect(engine=STREAMING) if changes else initial
    base, present, counts = pl.collect_all(
        [
            state.lazy()
            .group_by("case_index")
            .agg(_base=_contribution(pl.col("_gap"), pl.col("_own")).sum()),
            state.lazy().select(pl.col("activity").unique()),
            state.lazy().select(
                pl.col("_unknown").sum().alias("unknown"),
                pl.col("_standard").sum().alias("standard"),
            ),
        ],
        engine=ENGINE,
    )
    activities = present["activity"]
    waiting = (
        instances.filter(pl.col("kind") == "waiting")
        .select(pl.col("activity").unique())
        .collect(engine=ENGINE)["activity"]
    )
    tallies: list[_Tally] = []
    affected = pl.Series("case_index", [], dtype=pl.UInt32)
    for change in changes:
        assert isinstance(state, pl.DataFrame)  # collected above: there are changes
        named = [change.first, change.second] if isinstance(change, Parallel) else [change.step]
        state, hit_cases, instances_hit, left = _apply(state, change)
        tallies.append(
            _Tally(
                change=change,
                instances=instances_hit,
                cases=hit_cases.len(),
                left_as_is=left,
                present=all(name in activities for name in named),
                waiting_state=any(name in waiting and name not in activities for name in named),
            )
        )
        affected = pl.concat([affected, hit_cases.cast(pl.UInt32)]).unique()
    # No case changed (no change, or none that applies): the projection is today's, and
    # the replayed steps are not added up again (a third of the replay's memory).
    if affected.is_empty():
        blocks = base.rename({"_base": "_projected"})
    else:
        # A block of steps run in parallel starts at its first step's start and lasts as
        # long as its longest step. A block's number counts the block starts before it,
        # across the cases (each case starts a block): sorted, so its groups are runs of
        # rows, in order (a third of the time, and a quarter of the memory, of grouping by
        # case and block).
        blocks = (
            state.lazy()
            .select(
                "case_index", "_gap", "_own", _blk=pl.col("_block_start").cum_sum().set_sorted()
            )
            .group_by("_blk", maintain_order=True)
            .agg(
                pl.col("case_index").first(),
                _step=_contribution(pl.col("_gap").first(), pl.col("_own").fill_null(0.0).max()),
            )
            .group_by("case_index")
            .agg(_projected=pl.col("_step").sum())
            .collect(engine=STREAMING)
        )
    hit = pl.col("case_index").is_in(affected.implode())
    projection = (
        cases_done.join(base, on="case_index", how="left")
        .join(blocks, on="case_index", how="left")
        .with_columns(
            pl.col("_base", "_projected").fill_null(0.0),
            affected=hit,
        )
        .with_columns(
            _tail=pl.col("lead_time_s") - pl.col("_base"),
        )
        .with_columns(
            baseline_lead_time_s=pl.col("lead_time_s"),
            projected_lead_time_s=pl.when(hit)
            .then(pl.col("_projected") + pl.col("_tail"))
            .otherwise(pl.col("lead_time_s")),
        )
        .sort("case_index")
    )
    # The map's wait before a step: today's, moved by what the changes did to its gap (a step
    # that starts with the one before it has none of its own).
    gap_now = pl.when(pl.col("_block_start")).then(pl.col("_gap")).otherwise(0.0)
    # Without a change every wait is today's: the projected map then reads the steps' own
    # columns, not the gaps and process times the replay reads (at five million steps its
    # map held 0.18 GB more for computing those into waits equal to today's).
    steps = (
        state.lazy()
        if not changes
        else state.lazy().with_columns(
            wait_before_s=pl.when(pl.col("wait_before_s").is_not_null()).then(
                (
                    pl.col("wait_before_s")
                    + gap_now.clip(lower_bound=0.0)
                    - pl.col("_gap0").clip(lower_bound=0.0)
                ).clip(lower_bound=0.0)
            )
        )
    )
    return Replay(
        steps=steps,
        projection=conform(projection.lazy(), PROJECTION_SCHEMA).collect(),
        tallies=tuple(tallies),
        unknown_process=int(counts["unknown"].item()),
        standard_time=int(counts["standard"].item()),
        after_last_step=int((projection["_tail"] > 1e-6).sum()),
    )


def projected_lead_times(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    changes: Sequence[Change],
    *,
    replayed: Replay | None = None,
) -> pl.DataFrame:
    """Each completed case's lead time today and projected (PROJECTION_SCHEMA), for the
    distribution chart. `replayed`: `replay(instances, cases, changes)` already made."""
    return (replayed if replayed is not None else replay(instances, cases, changes)).projection


def _percentiles(values: pl.Series) -> dict[str, float | None]:
    row = pl.DataFrame({"v": values}).select(distribution(pl.col("v"), "v")).row(0, named=True)
    return {name: json_number(row[f"v_{name}"]) for name in ("p50", "p85", "p95", "mean")}


def _assumptions(r: Replay, working_time: bool) -> list[str]:
    cases = r.projection.height
    sentences = [
        f"Each of the {cases:,} completed cases is replayed with its own waits and process "
        "times; a step's time is the part of its own start-to-end no earlier step already "
        "covered, so each case's replay adds up to its lead time today.",
        "The projection is first-order: it does not model the queue a faster step may build "
        "further down the stream. Try the change for two weeks as an experiment to see whether "
        "work really flows faster or the queue only moved.",
    ]
    if working_time:
        sentences.append("Durations count working time only (the offering's calendar is on).")
    if r.unknown_process:
        sentences.append(
            f"{r.unknown_process:,} step instances have no start time and no standard minutes: "
            "their process time is unknown, so each keeps its elapsed time (from the end of the "
            "step before it to its own end) as it is; no change shortens it."
        )
    if r.standard_time:
        sentences.append(
            f"{r.standard_time:,} step instances have no start time: their process time is the "
            "catalog's standard minutes, and the rest of their elapsed time counts as the wait "
            "before them."
        )
    if r.after_last_step:
        sentences.append(
            f"{r.after_last_step:,} cases end in a waiting state after their last work step; "
            "that time is kept as it is."
        )
    for t in r.tallies:
        c = t.change
        if t.waiting_state:
            name = c.step if isinstance(c, Remove | WaitFactor) else f"{c.first} or {c.second}"
            sentences.append(
                f"{name} is a waiting state, not a step: its time is already part of the wait "
                "before the step after it. Change that step's wait instead."
            )
            continue
        if not t.present:
            sentences.append(
                f"No completed case in view has {_named(c)}: “{c.words()}” changes nothing."
            )
            continue
        if isinstance(c, Remove):
            sentences.append(
                f"Removing {c.step} takes out its {t.instances:,} instances in {t.cases:,} cases, "
                "with the wait before each; the step after it keeps its own wait."
            )
        elif isinstance(c, Parallel):
            if t.cases:
                sentences.append(
                    f"In {t.cases:,} cases {c.second} directly follows {c.first}; running them in "
                    f"parallel starts {c.second} when {c.first} starts, so the pair takes as long "
                    "as the longer of the two."
                )
            else:
                sentences.append(
                    f"No case has {c.second} directly after {c.first} (after the changes before "
                    "this one): running them in parallel changes nothing."
                )
            if t.left_as_is:
                sentences.append(
                    f"{t.left_as_is:,} times {c.second} follows {c.first} where one of them has "
                    "an unknown process time: those pairs are left as they were."
                )
        else:
            sentences.append(
                f"The wait before {c.step} is multiplied by {c.factor:g} where there is one: "
                f"{t.instances:,} waits in {t.cases:,} cases."
            )
            if t.left_as_is:
                sentences.append(
                    f"{t.left_as_is:,} instances of {c.step} have an unknown process time: their "
                    "elapsed time is kept, the factor does not apply to them."
                )
    return sentences


def _named(change: Change) -> str:
    if isinstance(change, Parallel):
        return f"both {change.first} and {change.second} as steps"
    return f"a step named {change.step}"


def whatif(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    changes: Sequence[Change],
    offering: str | None = None,
    working_time: bool = False,
    *,
    replayed: Replay | None = None,
) -> dict[str, Any]:
    """The projection as one JSON-ready dict (the `whatif` command line's `--json`):

    `{"offering", "changes", "cases", "affected_cases", "baseline": {"lead_time_s":
    {"p50", "p85", "p95", "mean"}}, "projected": {"lead_time_s": {...}}, "assumptions"}`

    over the completed cases of the view; `changes` are in plain words, `assumptions`
    plain sentences. `working_time` says the durations are working time (a calendar).
    `replayed`: `replay(instances, cases, changes)` already made.
    """
    r = replayed if replayed is not None else replay(instances, cases, changes)
    p = r.projection
    return {
        "offering": offering,
        "changes": [c.words() for c in changes],
        "cases": p.height,
        "affected_cases": int(p["affected"].sum()),
        "baseline": {"lead_time_s": _percentiles(p["baseline_lead_time_s"])},
        "projected": {"lead_time_s": _percentiles(p["projected_lead_time_s"])},
        "assumptions": _assumptions(r, working_time),
    }


def format_whatif(figures: dict[str, Any]) -> str:
    """A readable text version of `whatif`'s dict."""
    before, after = figures["baseline"]["lead_time_s"], figures["projected"]["lead_time_s"]
    lines = [
        f"Offering: {figures['offering']}",
        f"Changes: {'; '.join(figures['changes']) or 'none'}",
        f"Completed cases: {figures['cases']:,} ({figures['affected_cases']:,} affected)",
        "Lead time      today       projected",
    ]
    for name in ("p50", "p85", "p95", "mean"):
        lines.append(
            f"  {name:<12} {duration_text(before[name]):<11} {duration_text(after[name], before[name])}"
        )
    lines += ["Assumptions:", *(f"  - {sentence}" for sentence in figures["assumptions"])]
    return "\n".join(lines)


_MAP_COLUMNS = (
    "case_index",
    "seq",
    "activity",
    "kind",
    "value_class",
    "is_rework",
    "process_s",
    "wait_before_s",
)
"""The replayed steps' columns the projected map reads: only those computed for it."""


@dataclass(frozen=True)
class ValueStreamMap:
    """A value stream map: its boxes (metrics.vsm.VSM_SCHEMA) and ladder totals (metrics.vsm.ladder)."""

    boxes: pl.DataFrame
    totals: dict[str, Any]


def maps(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    changes: Sequence[Change],
    *,
    replayed: Replay | None = None,
    current: ValueStreamMap | None = None,
) -> tuple[ValueStreamMap, ValueStreamMap]:
    """The current and the projected value stream map of the view's completed cases.

    Both are metrics.vsm's map (the same boxes, medians and ladder, so the map
    chart draws them as they are): the current one over today's steps, the
    projected one over the replayed steps, where a removed step is gone, the
    wait before a step is its projected wait and a step's C/T is its own
    process time. On the projected ladder, boxes run in parallel count once,
    at the longest C/T among them. `replayed`: `replay(instances, cases, changes)`
    already made; `current`: today's map of the same view already drawn (it does not
    depend on the changes).
    """
    done = cases.filter(pl.col("completed"))
    if current is None:
        current = current_map(instances, cases)
    r = replayed if replayed is not None else replay(instances, cases, changes)
    projected = vsm_steps(r.steps.select(_MAP_COLUMNS), done).collect(engine=ENGINE)
    pairs = [(c.first, c.second) for c in changes if isinstance(c, Parallel)]
    return current, ValueStreamMap(projected, ladder(projected, parallel=pairs))


def current_map(instances: pl.LazyFrame, cases: pl.LazyFrame) -> ValueStreamMap:
    """Today's value stream map of the view's completed cases (the `current` of `maps`)."""
    boxes = vsm_steps(*_completed(instances, cases)).collect(engine=ENGINE)
    return ValueStreamMap(boxes, ladder(boxes))


def _completed(instances: pl.LazyFrame, cases: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The steps and the cases of the view's completed cases."""
    done = cases.filter(pl.col("completed"))
    index = done.select("case_index").collect(engine=ENGINE)["case_index"]
    return instances.filter(pl.col("case_index").is_in(index.implode())), done


def _maps_of_no_change(
    instances: pl.LazyFrame, cases: pl.LazyFrame
) -> tuple[ValueStreamMap, ValueStreamMap | None]:
    """`maps` of no change without a second read of the steps: today's map of the view's
    completed cases and the map of their replay as they are, which is that of their
    work steps alone without their times of day (metrics.vsm.value_streams_of_no_change:
    a second map of the same 4.9 million steps took 0.7-1.0 s more). None for the
    second where it must be drawn from the replay (`maps`)."""
    today, replayed = value_streams_of_no_change(*_completed(instances, cases))
    current = ValueStreamMap(today.boxes, ladder(today.boxes))
    if replayed is None:
        return current, None
    return current, ValueStreamMap(replayed.boxes, ladder(replayed.boxes))


@dataclass(frozen=True)
class Projection:
    """Today's and the projected map, the whatif figures and each case's lead times."""

    current: ValueStreamMap
    projected: ValueStreamMap
    figures: dict[str, Any]
    lead_times: pl.DataFrame
    """PROJECTION_SCHEMA but `case_index` (a number of the view's, not the case's)."""
    steps: tuple[str, ...]
    """Every work step of the completed cases in view, on the map or not."""


def projection(
    instances: pl.LazyFrame,
    cases: pl.DataFrame,
    changes: Sequence[Change],
    offering: str | None = None,
    working_time: bool = False,
    current: ValueStreamMap | None = None,
) -> Projection:
    """`maps`, `whatif` and `projected_lead_times` of one replay of the view's cases,
    and the work steps of its completed cases in their usual order. `current`: today's
    map of the view, where it is in hand (`Projection.current` of any projection of the
    same view)."""
    projected: ValueStreamMap | None = None
    if current is None and not changes:
        current, projected = _maps_of_no_change(instances.lazy(), cases.lazy())
    elif current is None:
        # Drawn before the replay, not beside the replayed steps (less held at once).
        current = current_map(instances.lazy(), cases.lazy())
    r = replay(instances.lazy(), cases.lazy(), changes)
    if projected is None:
        current, projected = maps(
            instances.lazy(), cases.lazy(), changes, replayed=r, current=current
        )
    figures = whatif(instances.lazy(), cases.lazy(), changes, offering, working_time, replayed=r)
    lead_times = projected_lead_times(instances.lazy(), cases.lazy(), changes, replayed=r)
    lead_times = lead_times.drop("case_index")
    done = cases.filter(pl.col("completed"))["case_index"]
    steps = work_step_order(
        instances.lazy().filter(pl.col("case_index").is_in(done.implode()))
    ).collect()["activity"]
    return Projection(current, projected, figures, lead_times, tuple(steps.to_list()))


if __name__ == "__main__":  # python -m metrics.whatif: the `whatif` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("whatif"))
