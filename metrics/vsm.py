"""The value stream map of one offering, computed from its events.

The classic napkin map: process boxes left to right, each with its data box
(median process time C/T, instances, %C&A), a wait triangle in front of each box
with the median wait before it, and the timeline ladder underneath that adds the
waits (up) and the process times (down) along one path into a lead time.

Every box's figures are `metrics.steps.steps`' for the same instances (the page's
step table), so a box and its table row always agree. Waiting-state statuses are
not steps (METRICS.md, "Status histories and waiting states"): an instance of a
waiting status is a queue, and its time is the wait before the next work step.
Each box also names the waiting status its instances most often came straight
from (`queue`, "Backlog"), so the time in that status shows as the wait it is.

Which steps, in which columns:

1. **Candidates**: the steps (work steps and done statuses) that at least
   `BRANCH_CASE_SHARE` (10%) of the cases in view do.
2. **Typical position**: the median rank of a step's instances among their case's
   candidate instances (1 = the case's first).
3. **Two candidates A and B** are
   - *parallel* when, in at least `OVERLAP_SHARE` (half) of the cases that do both,
     an instance of A and one of B overlap in time (each starts before the other
     ends; only known start times can show it);
   - *alternatives* when they are not parallel, fewer than `ADJACENT_SHARE` (10%)
     of the cases with either do one directly after the other (waiting statuses
     and steps done by fewer than 10% of the cases in between are skipped), and
     fewer than `SHARED_CASE_SHARE` (half) of the cases with either do both. The
     cases that do both are not enough on their own: a case that loops back may
     take the other branch on its next pass (running-example's case 3 examines
     casually, is reinitiated, then examines thoroughly), yet no case goes from
     one examination straight to the other;
   - *in sequence* otherwise: the one with the lower typical position comes first,
     or, where the two positions are less than one apart (steps done in either
     order), the one that more often directly precedes the other.
4. **Columns**: steps are placed one at a time, a step whose predecessors are all
   placed first, the lowest typical position first (when a loop leaves no such
   step, the lowest typical position). A step goes into the first column after
   its predecessors' in which every step is its alternative or runs in parallel
   with it. Alternatives and parallel steps are thus drawn stacked in one column,
   each with the share of cases that do it.
5. **On the map**: the columns that at least `MAIN_PATH_CASE_SHARE` (half) of the
   cases go through (through any of its steps), each with at most `MAX_BRANCHES`
   steps (the most frequent). Where fewer than two columns are that common (a very
   varied process, or a board whose items skip most statuses), every column.
6. **The ladder's path** is the most common path through the map: it goes through
   every column, taking in each the branch (one step, or the steps run in
   parallel) that most of the cases on the path so far take (ties: the more
   frequent steps). Its share is the cases whose map steps are exactly the path's
   (repeats and steps off the map aside). The ladder adds each path column's
   median wait before and median C/T (where the path runs parallel steps, the
   longest of each), as a hand-drawn map adds them.

Computing the columns is a walk over a graph of a few steps, so `value_stream`
collects its frames (once, together) rather than staying lazy. Every function here
reads `instances` in case order, sorted by (`case_index`, `seq`), as
metrics.derive returns them and the filters keep them.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from metrics.stats import aggregate, conform
from metrics.steps import bottleneck, steps
from metrics.summary import ENGINE, STREAMING

MAIN_PATH_CASE_SHARE = 0.5
BRANCH_CASE_SHARE = 0.1
ADJACENT_SHARE = 0.1
SHARED_CASE_SHARE = 0.5
OVERLAP_SHARE = 0.5
MAX_BRANCHES = 4

VSM_SCHEMA: dict[str, pl.DataType] = {
    "position": pl.UInt32(),
    "column": pl.UInt32(),
    "branch": pl.UInt32(),
    "branches": pl.UInt32(),
    "column_kind": pl.String(),
    "activity": pl.String(),
    "kind": pl.String(),
    "value_class": pl.String(),
    "instances": pl.UInt32(),
    "cases": pl.UInt32(),
    "case_share": pl.Float64(),
    "column_cases": pl.UInt32(),
    "process_time_s_p50": pl.Float64(),
    "process_time_s_n": pl.UInt32(),
    "wait_before_s_p50": pl.Float64(),
    "wait_before_s_n": pl.UInt32(),
    "wait_before_s_sum": pl.Float64(),
    "pct_c_and_a": pl.Float64(),
    "is_bottleneck": pl.Boolean(),
    "on_path": pl.Boolean(),
    "queue": pl.String(),
    "queue_instances": pl.UInt32(),
}
"""One row per box of the map, in drawing order: `position` 1, 2, ... left to right
and top to bottom; `column` the map column (1-based), `branch` the box's row in it
(1 = its most frequent step), `branches` the boxes in the column. `column_kind` is
'single', 'alternatives' (every pair of its steps are alternatives), 'parallel'
(every pair runs in parallel) or 'mixed'. `case_share` = cases with the step / the
cases in view; `column_cases` = cases with any step of the column; `*_n` =
instances behind each median. `on_path` marks the ladder's path. `queue` is the
waiting status the step's instances most often came straight from, and
`queue_instances` how many did (null and 0 without waiting statuses)."""

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "a": pl.String(),
    "b": pl.String(),
    "cases_a": pl.UInt32(),
    "cases_b": pl.UInt32(),
    "both": pl.UInt32(),
    "either": pl.UInt32(),
    "adjacent": pl.UInt32(),
    "a_then_b": pl.UInt32(),
    "b_then_a": pl.UInt32(),
    "overlap": pl.UInt32(),
    "relation": pl.String(),
}
"""One row per pair of steps (`a` < `b` by name): the cases that do each, both, and
either; `adjacent` = cases where one directly follows the other (`a_then_b`,
`b_then_a`: in that order); `overlap` = cases where an instance of each overlap in
time; `relation` 'parallel', 'alternatives' or 'sequence' (the module's rule 3)."""


@dataclass(frozen=True)
class ValueStream:
    """The map of one view: `boxes` (VSM_SCHEMA), the ladder's `path` (its steps in map
    order) and how many of the view's `cases` do exactly those map steps
    (`path_cases`). `steps_off_map` counts the steps (work steps and done statuses)
    not drawn; `columns_kept_all` is True where no two columns were common enough
    and the map shows every column (rule 5). `steps` is every step of the view, on
    the map or not (metrics.steps.steps), which the map is drawn from."""

    boxes: pl.DataFrame
    steps: pl.DataFrame
    path: tuple[str, ...]
    path_cases: int
    cases: int
    steps_off_map: int
    columns_kept_all: bool

    @property
    def path_share(self) -> float | None:
        return self.path_cases / self.cases if self.cases else None


def step_pairs(
    instances: pl.LazyFrame,
    activities: Sequence[str],
    sequences: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """How each pair of `activities` relate in the cases of `instances` (PAIR_SCHEMA).

    Only instances of `activities` count (waiting statuses and rarer steps are
    skipped), so "directly after" means with none of the others in between.
    Overlaps need `start` and `end` columns; a frame without them (a replay's
    steps) has no overlaps. `sequences`: `_sequences` of those instances, where the
    caller has them already.
    """
    names = sorted(set(activities))
    schema = instances.collect_schema()
    own = instances.filter(pl.col("activity").is_in(names))
    # Cases with the same sequence of these steps relate them alike: count each sequence
    # once, weighted by its cases (far fewer sequences than cases).
    sequences = (_sequences(own) if sequences is None else sequences).with_row_index("_sid")
    sets = sequences.select("_sid", "_n", _set=pl.col("_seq").list.unique().list.sort())
    per_step = (
        sets.explode("_set")
        .group_by(pl.col("_set").alias("activity"))
        .agg(pl.col("_n").sum().alias("cases"))
    )
    both = (
        sets.with_columns(a=pl.col("_set"))
        .explode("a")
        .with_columns(b=pl.col("_set"))
        .explode("b")
        .filter(pl.col("a") < pl.col("b"))
        .group_by("a", "b")
        .agg(pl.col("_n").sum().alias("both"))
    )
    steps_in_order = sequences.select(
        "_sid", "_n", _to=pl.col("_seq"), _from=pl.col("_seq").list.shift(1)
    ).explode("_to", "_from")
    forward = pl.col("_from") < pl.col("_to")
    adjacent = (
        steps_in_order.filter(pl.col("_from").is_not_null() & (pl.col("_from") != pl.col("_to")))
        .select(
            "_sid",
            "_n",
            a=pl.when(forward).then(pl.col("_from")).otherwise(pl.col("_to")),
            b=pl.when(forward).then(pl.col("_to")).otherwise(pl.col("_from")),
            _forward=forward,
        )
        .group_by("_sid", "a", "b")
        .agg(pl.col("_n").first(), _ab=pl.col("_forward").any(), _ba=(~pl.col("_forward")).any())
        .group_by("a", "b")
        .agg(
            pl.col("_n").sum().alias("adjacent"),
            pl.col("_n").filter(pl.col("_ab")).sum().alias("a_then_b"),
            pl.col("_n").filter(pl.col("_ba")).sum().alias("b_then_a"),
        )
    )
    pairs = (
        per_step.select(pl.col("activity").alias("a"), pl.col("cases").alias("cases_a"))
        .join(
            per_step.select(pl.col("activity").alias("b"), pl.col("cases").alias("cases_b")),
            how="cross",
        )
        .filter(pl.col("a") < pl.col("b"))
        .join(both, on=["a", "b"], how="left")
        .join(adjacent, on=["a", "b"], how="left")
    )
    if "start" in schema and "end" in schema:
        pairs = pairs.join(_overlaps(own), on=["a", "b"], how="left")
    else:
        pairs = pairs.with_columns(overlap=pl.lit(0))
    counted = pairs.with_columns(
        pl.col("both", "adjacent", "a_then_b", "b_then_a", "overlap").fill_null(0)
    ).with_columns(either=pl.col("cases_a") + pl.col("cases_b") - pl.col("both"))
    parallel = (pl.col("overlap") > 0) & (pl.col("overlap") >= OVERLAP_SHARE * pl.col("both"))
    alternatives = (pl.col("adjacent") < ADJACENT_SHARE * pl.col("either")) & (
        pl.col("both") < SHARED_CASE_SHARE * pl.col("either")
    )
    frame = counted.with_columns(
        relation=pl.when(parallel)
        .then(pl.lit("parallel"))
        .when(alternatives)
        .then(pl.lit("alternatives"))
        .otherwise(pl.lit("sequence"))
    ).sort("a", "b")
    return conform(frame, PAIR_SCHEMA)


def _sequences(own: pl.LazyFrame) -> pl.LazyFrame:
    """The distinct sequences of steps among the cases of `own` (`_seq`, in case order) and
    how many cases follow each (`_n`)."""
    return (
        own.group_by("case_index", maintain_order=True)
        .agg(pl.col("activity").cast(pl.Categorical).alias("_seq"))
        .group_by("_seq")
        .agg(pl.len().alias("_n"))
        .with_columns(pl.col("_seq").cast(pl.List(pl.String)))
    )


def _overlaps(own: pl.LazyFrame) -> pl.LazyFrame:
    """Cases per pair of steps (a < b) in which an instance of each overlap in time."""
    timed = own.filter(pl.col("start").is_not_null()).select(
        "case_index", "seq", "activity", "start", "end"
    )
    # Only an instance that starts before some earlier one has ended can overlap it: few.
    # The latest earlier end in the same case is one running maximum over the sorted rows
    # of `case_index · 2⁶⁴ + end` (as metrics.derive does): no window per case.
    end_us = pl.col("end").dt.epoch("us")
    origin = end_us.min()
    base = pl.col("case_index").cast(pl.Int128) * pl.lit(2**64, dtype=pl.Int128)
    reach = (base + (end_us - origin).cast(pl.Int128)).cum_max().shift(1) - base
    since = (pl.col("start").dt.epoch("us") - origin).cast(pl.Int128)
    late = timed.with_columns(_reach=reach).filter(
        (pl.col("_reach") >= 0) & (since < pl.col("_reach"))
    )
    pair = late.join(timed, on="case_index", suffix="_early").filter(
        (pl.col("seq_early") < pl.col("seq"))
        & (pl.col("end_early") > pl.col("start"))
        & (pl.col("activity_early") != pl.col("activity"))
    )
    early_first = pl.col("activity_early") < pl.col("activity")
    return (
        pair.select(
            "case_index",
            a=pl.when(early_first).then(pl.col("activity_early")).otherwise(pl.col("activity")),
            b=pl.when(early_first).then(pl.col("activity")).otherwise(pl.col("activity_early")),
        )
        .unique()
        .group_by("a", "b")
        .agg(pl.len().alias("overlap"))
    )


def _before(column: pl.Expr) -> pl.Expr:
    """`column` of the row before in the same case (null on a case's first row); the frame
    is sorted by case. A shift and a mask: a window per case is far slower at scale."""
    return pl.when(pl.col("case_index") == pl.col("case_index").shift(1)).then(column.shift(1))


def _positions(sequences: pl.DataFrame) -> pl.DataFrame:
    """Each step's typical position: the median rank of its instances among their case's
    instances of the map's steps, read off `_sequences` of those instances (a rank is a
    place in a sequence, counted once per case that follows it) rather than off every
    instance: for the 4.9 million steps of an offering 0.24 s of its map's 1.35 s, now a
    few milliseconds. The median of ranks counted with their cases is that of every
    instance's rank: the middle one, or the mean of the two middle ones."""
    ranked = (
        sequences.lazy()
        .select(
            activity=pl.col("_seq"),
            _rank=pl.int_ranges(1, pl.col("_seq").list.len() + 1),
            _n=pl.col("_n"),
        )
        .explode("activity", "_rank")
        .group_by("activity", "_rank")
        .agg(pl.col("_n").sum())
        .sort("activity", "_rank")
        .with_columns(
            _through=pl.col("_n").cum_sum().over("activity"),
            _all=pl.col("_n").sum().over("activity"),
        )
    )
    rank = pl.col("_rank")
    return (
        ranked.group_by("activity")
        .agg(
            _low=rank.filter(pl.col("_through") >= (pl.col("_all") + 1) // 2).first(),
            _high=rank.filter(pl.col("_through") >= pl.col("_all") // 2 + 1).first(),
        )
        .select(
            "activity",
            position=((pl.col("_low") + pl.col("_high")) / 2).cast(pl.Float64),
        )
        .collect()
    )


def _queues(instances: pl.LazyFrame) -> pl.LazyFrame:
    """Per step, the waiting status its instances most often came straight from."""
    came_from = (
        instances.with_columns(
            _prev=_before(pl.col("activity")), _prev_kind=_before(pl.col("kind"))
        )
        .filter((pl.col("kind") != "waiting") & (pl.col("_prev_kind") == "waiting"))
        .group_by("activity", "_prev")
        .agg(pl.len().alias("queue_instances"))
    )
    return (
        came_from.sort(["activity", "queue_instances", "_prev"], descending=[False, True, False])
        .group_by("activity", maintain_order=True)
        .first()
        .select("activity", pl.col("_prev").alias("queue"), "queue_instances")
    )


def _layout(
    names: Sequence[str], position: dict[str, float], cases: dict[str, int], pairs: pl.DataFrame
) -> dict[str, int]:
    """The column of each step (rule 4 of the module docstring)."""
    relation: dict[frozenset[str], str] = {}
    before: dict[str, set[str]] = {name: set() for name in names}
    for p in pairs.iter_rows(named=True):
        a, b = p["a"], p["b"]
        relation[frozenset((a, b))] = p["relation"]
        if p["relation"] != "sequence":
            continue
        if abs(position[a] - position[b]) >= 1 or p["a_then_b"] == p["b_then_a"]:
            first = min((a, b), key=lambda s: (position[s], s))
        else:
            first = a if p["a_then_b"] > p["b_then_a"] else b
        before[b if first == a else a].add(first)

    def priority(step: str) -> tuple[float, int, str]:
        return (position[step], -cases[step], step)

    column: dict[str, int] = {}
    members: dict[int, list[str]] = {}
    while len(column) < len(names):
        waiting = [s for s in names if s not in column]
        ready = [s for s in waiting if before[s] <= column.keys()]
        step = min(ready or waiting, key=priority)
        at = 1 + max((column[p] for p in before[step] if p in column), default=0)
        while any(relation.get(frozenset((step, m))) == "sequence" for m in members.get(at, [])):
            at += 1
        column[step] = at
        members.setdefault(at, []).append(step)
    return column


def _column_kind(steps_in: Sequence[str], pairs: pl.DataFrame) -> str:
    if len(steps_in) == 1:
        return "single"
    kinds = set(
        pairs.filter(pl.col("a").is_in(list(steps_in)) & pl.col("b").is_in(list(steps_in)))[
            "relation"
        ].to_list()
    )
    if kinds == {"alternatives"}:
        return "alternatives"
    if kinds == {"parallel"}:
        return "parallel"
    return "mixed"


_STRUCTURE_COLUMNS = ("case_index", "seq", "activity", "kind", "start", "end")
"""The step columns the map's structure (pairs, positions, sequences, queues) reads; a
replay's steps have no `start` and `end` (and no overlaps)."""


def value_stream(instances: pl.LazyFrame, cases: pl.LazyFrame) -> ValueStream:
    """The map of the instances and cases of one offering (see the module docstring)."""
    return _drawn(_measured(instances, cases))


def value_streams_of_no_change(
    instances: pl.LazyFrame, cases: pl.LazyFrame
) -> tuple[ValueStream, ValueStream | None]:
    """`value_stream` of the instances and cases, and that of their work steps alone
    without their start and end (no step overlaps another, none comes from a waiting
    status): the map a replay of no change draws (metrics.whatif), from the same read of
    the steps. Its steps' figures, sequences, positions and kinds are those of the first
    map; only its pairs of steps (no overlap: nothing runs in parallel) and its queues
    (none) differ, and neither is read from the steps again. None for the second where a
    step of the map is a waiting status in some case too (a view of several offerings):
    its kind is then that of its work steps alone, read anew by `value_stream`."""
    measured = _measured(instances, cases)
    today = _drawn(measured)
    waiting = measured.base.filter(
        (pl.col("kind") == "waiting") & pl.col("activity").is_in(measured.names)
    )
    if measured.names and waiting.select(pl.len()).collect().item():
        return today, None
    steps_alone = measured.base.filter(pl.col("kind") != "waiting").drop(
        "start", "end", strict=False
    )
    pairs = step_pairs(steps_alone, measured.names, measured.per_case.lazy()).collect(
        engine=STREAMING
    )
    no_queues = measured.queues.clear()
    replayed = _drawn(dataclasses.replace(measured, pairs=pairs, queues=no_queues))
    return today, replayed


@dataclass(frozen=True)
class _Measured:
    """What `value_stream` reads of a view's steps before it lays the map out
    (`_measured`)."""

    step_frame: pl.DataFrame
    n_cases: int
    kinds: pl.DataFrame
    candidates: pl.DataFrame
    names: list[str]
    base: pl.LazyFrame
    """The structure columns of every step, held (waiting statuses included)."""
    per_case: pl.DataFrame
    pairs: pl.DataFrame
    queues: pl.DataFrame


def _measured(instances: pl.LazyFrame, cases: pl.LazyFrame) -> _Measured:
    """Read what the map of the instances and cases is laid out of (`_drawn`)."""
    step_frame, n_frame, kinds = pl.collect_all(
        [
            steps(instances, by=()),
            cases.select(pl.len()),
            aggregate(
                instances, ["activity"], [pl.col("kind").first(), pl.col("value_class").first()]
            ),
        ],
        engine=ENGINE,
    )
    n_cases = int(n_frame.item())
    candidates = step_frame.filter(
        pl.col("cases") >= BRANCH_CASE_SHARE * n_cases if n_cases else pl.lit(False)
    )
    names: list[str] = candidates["activity"].to_list()
    # The structure queries below read these few columns of the same steps: read them
    # once (a warehouse whose steps are scanned reads the table once, not four times).
    present = instances.collect_schema().names()
    # The kind held as a number per kind (it is only compared with "waiting"): 60 MB less
    # for the five million steps of a view.
    base = (
        instances.select([c for c in _STRUCTURE_COLUMNS if c in present])
        .with_columns(pl.col("kind").cast(pl.Categorical))
        .collect(engine=ENGINE)
        .lazy()
    )
    work = base.filter(pl.col("kind") != "waiting")
    # The sequences of the map's steps, read by the pairs too: one query, not two (polars
    # runs a query given twice twice).
    per_case = _sequences(work.filter(pl.col("activity").is_in(names))).collect(engine=ENGINE)
    # One after the other: together they held 0.5 GB at once for the 4.7 million steps of
    # a view's completed cases, one at a time 0.3 GB (and took 0.4 s more). The pairs and
    # the queues on the streaming engine: 0.25 s and 0.01 s there, 0.7 s and 0.14 s not.
    pairs, queues = (
        q.collect(engine=engine)
        for q, engine in (
            (step_pairs(work, names, per_case.lazy()), STREAMING),
            (_queues(base), STREAMING),
        )
    )
    return _Measured(
        step_frame,
        n_cases,
        kinds,
        candidates,
        names,
        base,
        per_case,
        pairs,
        queues,
    )


def _drawn(measured: _Measured) -> ValueStream:
    """The map laid out of what `_measured` read (rules 4 to 6 of the module docstring)."""
    step_frame, n_cases, kinds = measured.step_frame, measured.n_cases, measured.kinds
    candidates, names, per_case = measured.candidates, measured.names, measured.per_case
    pairs, queues = measured.pairs, measured.queues
    positions = _positions(per_case)
    position = dict(zip(positions["activity"], positions["position"], strict=True))
    count = dict(zip(candidates["activity"], candidates["cases"], strict=True))
    column = _layout(names, position, count, pairs) if names else {}
    case_sets = [(frozenset(s), int(n)) for s, n in per_case.iter_rows()]

    def coverage(members: Sequence[str]) -> int:
        return sum(n for s, n in case_sets if s & set(members))

    by_column: dict[int, list[str]] = {}
    for step, at in column.items():
        by_column.setdefault(at, []).append(step)
    reach = {at: coverage(members) for at, members in by_column.items()}
    common = [at for at in sorted(by_column) if reach[at] >= MAIN_PATH_CASE_SHARE * n_cases]
    kept_all = len(common) < 2
    kept = sorted(by_column) if kept_all else common
    rows: list[dict[str, Any]] = []
    on_map: list[str] = []
    drawn: list[list[str]] = []
    for new_at, at in enumerate(kept, start=1):
        members = sorted(by_column[at], key=lambda s: (-count[s], position[s], s))
        shown = members[:MAX_BRANCHES]
        drawn.append(shown)
        kind = _column_kind(shown, pairs)
        for branch, step in enumerate(shown, start=1):
            on_map.append(step)
            rows.append(
                {
                    "activity": step,
                    "column": new_at,
                    "branch": branch,
                    "branches": len(shown),
                    "column_kind": kind,
                    "column_cases": reach[at],
                }
            )
    path, path_cases = _path(drawn, case_sets)
    layout = pl.DataFrame(
        rows,
        schema={
            "activity": pl.String(),
            "column": pl.UInt32(),
            "branch": pl.UInt32(),
            "branches": pl.UInt32(),
            "column_kind": pl.String(),
            "column_cases": pl.UInt32(),
        },
    )
    neck = bottleneck(step_frame.lazy(), by=()).collect(engine=ENGINE)
    boxes = (
        layout.join(step_frame, on="activity", how="left")
        .join(kinds, on="activity", how="left")
        .join(queues, on="activity", how="left")
        .sort("column", "branch")
        .with_columns(
            position=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32),
            case_share=pl.col("cases") / n_cases if n_cases else pl.lit(None, pl.Float64),
            is_bottleneck=pl.col("activity").is_in(neck["activity"].to_list()),
            on_path=pl.col("activity").is_in(list(path)),
            queue_instances=pl.col("queue_instances").fill_null(0),
        )
    )
    return ValueStream(
        boxes=conform(boxes.lazy(), VSM_SCHEMA).collect(),
        steps=step_frame,
        path=path,
        path_cases=path_cases,
        cases=n_cases,
        steps_off_map=step_frame.height - len(on_map),
        columns_kept_all=kept_all and bool(names),
    )


def _path(
    columns: Sequence[Sequence[str]], case_sets: Sequence[tuple[frozenset[str], int]]
) -> tuple[tuple[str, ...], int]:
    """The ladder's path and its cases (rule 6 of the module docstring). `columns` are the
    map's steps per column, in map order."""
    following = list(case_sets)
    path: list[str] = []
    for members in columns:
        here = frozenset(members)
        choices: dict[frozenset[str], int] = {}
        for done, n in following or case_sets:
            if done & here:
                choices[done & here] = choices.get(done & here, 0) + n
        if not choices:
            for done, n in case_sets:
                if done & here:
                    choices[done & here] = choices.get(done & here, 0) + n
        if not choices:
            continue
        rank = {step: i for i, step in enumerate(members)}
        best = max(
            choices, key=lambda c: (choices[c], [-rank[s] for s in sorted(c, key=rank.__getitem__)])
        )
        path += sorted(best, key=rank.__getitem__)
        following = [(done, n) for done, n in following if done & here == best]
    on_map = frozenset(s for members in columns for s in members)
    chosen = frozenset(path)
    return tuple(path), sum(n for done, n in case_sets if done & on_map == chosen)


def vsm_steps(instances: pl.LazyFrame, cases: pl.LazyFrame) -> pl.LazyFrame:
    """The boxes of the map for the instances and cases of one offering (VSM_SCHEMA)."""
    return value_stream(instances, cases).boxes.lazy()


def ladder(vsm: pl.DataFrame, parallel: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The timeline ladder's totals along the map's path, as a napkin map adds them up.

    The path is the boxes with `on_path`, left to right; the boxes of one map column
    on the path run in parallel, and so do consecutive path boxes (A, B) named in
    `parallel` (a redesign that runs B beside A). Each such run adds its longest
    median wait before (`wait_s`) and its longest median process time (`process_s`;
    `value_adding_s` likewise over value-adding boxes); `lead_s` is their sum.
    `pce` is `value_adding_s` / `lead_s`, or None when no box is classified
    value-adding; `flow_efficiency` is `process_s` / `lead_s`. `process_known` is
    False when some path box has no known process time (starts missing and no
    standard time): the ladder is then partial. `path` names the path's steps and
    `segments` the ladder's rungs, one per run: its map `column` (the first box's),
    `activities`, `wait_s` and `process_s` (null where no box of it knows one).
    """
    pairs = set(parallel)
    path = vsm.filter(pl.col("on_path")).sort("position")
    runs: list[list[dict[str, Any]]] = []
    for box in path.iter_rows(named=True):
        last = runs[-1][-1] if runs else None
        if last is not None and (
            last["column"] == box["column"] or (last["activity"], box["activity"]) in pairs
        ):
            runs[-1].append(box)
        else:
            runs.append([box])

    def longest(run: list[dict[str, Any]], field: str, value_adding_only: bool = False) -> float:
        return max(
            (
                b[field] or 0.0
                for b in run
                if not value_adding_only or b["value_class"] == "value-adding"
            ),
            default=0.0,
        )

    # Summed as polars series: the same float sums as adding the boxes' columns.
    wait = float(pl.Series([longest(r, "wait_before_s_p50") for r in runs], dtype=pl.Float64).sum())
    process = float(
        pl.Series([longest(r, "process_time_s_p50") for r in runs], dtype=pl.Float64).sum()
    )
    value_adding = float(
        pl.Series([longest(r, "process_time_s_p50", True) for r in runs], dtype=pl.Float64).sum()
    )
    classified = bool((path["value_class"] == "value-adding").any())
    lead = wait + process
    segments = [
        {
            "column": run[0]["column"],
            "activities": tuple(b["activity"] for b in run),
            "wait_s": _longest_known(run, "wait_before_s_p50"),
            "process_s": _longest_known(run, "process_time_s_p50"),
        }
        for run in runs
    ]
    return {
        "wait_s": wait,
        "process_s": process,
        "lead_s": lead,
        "value_adding_s": value_adding,
        "pce": (value_adding / lead) if classified and lead > 0 else None,
        "flow_efficiency": (process / lead) if lead > 0 else None,
        "process_known": bool(path["process_time_s_p50"].is_not_null().all()),
        "path": tuple(path["activity"].to_list()),
        "segments": segments,
    }


def _longest_known(run: Sequence[dict[str, Any]], field: str) -> float | None:
    known = [b[field] for b in run if b[field] is not None]
    return max(known) if known else None


def _times(n: int) -> str:
    return "twice" if n == 2 else f"{n} times"


def variant_difference(variant: Sequence[str], reference: Sequence[str]) -> str:
    """How a variant differs from `reference` (the most common), in words a reader can
    scan, e.g. 'Formulation, Sample sent twice; stops after Quote'. Empty when the two
    are the same.

    Repeats come first ('X, Y twice': done more often than in the reference), then the
    variant's steps in first-occurrence order against the reference's: 'A instead of
    B', '+ A' (a step the reference lacks), 'no B', 'A after C' (the same step, elsewhere)
    and 'stops after A' (an open case, or one that ended early).
    """
    ours, theirs = list(variant), list(reference)
    if ours == theirs:
        return ""
    if not ours:
        return "no step yet"
    parts: list[str] = []
    n_ours, n_theirs = Counter(ours), Counter(theirs)
    repeated: dict[int, list[str]] = {}
    for step in dict.fromkeys(ours):
        if step in n_theirs and n_ours[step] > n_theirs[step]:
            repeated.setdefault(n_ours[step], []).append(step)
    parts += [f"{', '.join(names)} {_times(n)}" for n, names in repeated.items()]
    once_ours, once_theirs = list(dict.fromkeys(ours)), list(dict.fromkeys(theirs))
    ops = difflib.SequenceMatcher(a=once_theirs, b=once_ours, autojunk=False).get_opcodes()
    gone = {
        s for op, i1, i2, _, _ in ops if op in ("delete", "replace") for s in once_theirs[i1:i2]
    }
    new = {s for op, _, _, j1, j2 in ops if op in ("insert", "replace") for s in once_ours[j1:j2]}
    moved = gone & new
    for op, i1, i2, j1, j2 in ops:
        if op == "equal":
            continue
        added = [s for s in once_ours[j1:j2] if s not in moved]
        dropped = [s for s in once_theirs[i1:i2] if s not in moved]
        if added and dropped:
            parts.append(f"{' → '.join(added)} instead of {' → '.join(dropped)}")
        elif added:
            parts.append(f"+ {' → '.join(added)}")
        elif dropped and i2 == len(once_theirs) and j1 == len(once_ours):
            parts.append(f"stops after {ours[-1]}")
        elif dropped:
            parts.append(f"no {' → '.join(dropped)}")
    for step in (s for s in once_ours if s in moved):
        at = once_ours.index(step)
        parts.append(f"{step} after {once_ours[at - 1]}" if at else f"{step} first")
    return "; ".join(parts)
