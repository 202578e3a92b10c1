"""The process map of one offering: a directly-follows graph with a start and an end node.

Definitions implemented (../shared/METRICS.md, "Transition metrics"): for every
pair of consecutive instances a → b in a case, the count and the wait
`max(0, start(b) − end(a))`, or `end(b) − end(a)` ("elapsed") where b has no
start. Every instance takes part, waiting states included.

Simplifying a map, as Disco and pm4py do:

- **Activities**: keep the N most frequent activities and *project* the cases
  on them: a case A → B → C with B hidden reads A → C, and the arrow's wait is
  measured from A's end to C's start. With every activity kept this is exactly
  `metrics.transitions`. Nothing floats alone: every kept activity is reached
  from the start node by the cases that contain it.
- **Paths**: keep the most frequent share of the arrows, and then, so that the
  map stays connected, for every activity its most frequent arrow in and out,
  and the widest route (the one whose rarest arrow is the most frequent) from
  the start to it and from it to the end.

The start node leads to each case's first (kept) activity; the end node is
reached from the last activity of each *completed* case only: an open case
has not ended, it waits after its current step.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence

import polars as pl

from metrics.stats import aggregate, conform, distribution, distribution_schema
from metrics.summary import ENGINE
from metrics.working_time import REAL_TIME, Clock, seconds_between

START = "__start__"
END = "__end__"
"""The names of the start and end nodes in `from_activity` / `to_activity`."""

NODE_SCHEMA: dict[str, pl.DataType] = {
    "activity": pl.String(),
    "value_class": pl.String(),
    "kind": pl.String(),
    "instances": pl.UInt32(),
    "cases": pl.UInt32(),
    "open_cases_here": pl.UInt32(),
    **distribution_schema("process_time_s", with_count=True),
}
"""One row per activity, most frequent first (ties by name). `open_cases_here`
counts the open cases whose current step (last instance) is this activity."""

EDGE_SCHEMA: dict[str, pl.DataType] = {
    "from_activity": pl.String(),
    "to_activity": pl.String(),
    "count": pl.UInt32(),
    "cases": pl.UInt32(),
    "measure": pl.String(),
    **distribution_schema("wait_s", with_sum=True),
}
"""One row per arrow, most frequent first. Arrows from START and to END carry
counts only (their waits are null, `measure` is 'none')."""


def activity_ranking(instances: pl.LazyFrame, cases: pl.LazyFrame) -> pl.LazyFrame:
    """The activities of the view with their frequency and value class (NODE_SCHEMA).

    `instances` and `cases` are one view of one offering (metrics.filters).
    """
    here = (
        cases.filter(~pl.col("completed"))
        .group_by(pl.col("current_step").alias("activity"))
        .agg(open_cases_here=pl.len())
    )
    # Grouped by a number for each step name (`aggregate`), its kind and value class held as
    # numbers too (given back as text by NODE_SCHEMA): for the five million steps of a
    # view 0.5 GB less at its peak.
    per_step = aggregate(
        instances.with_columns(pl.col("value_class", "kind").cast(pl.Categorical)),
        ["activity"],
        [
            pl.col("value_class").first(),
            pl.col("kind").first(),
            pl.len().alias("instances"),
            pl.col("case_index").n_unique().alias("cases"),
            *distribution(
                pl.col("process_s").filter(pl.col("kind") != "waiting"),
                "process_time_s",
                with_count=True,
            ),
        ],
    )
    frame = (
        per_step.join(here, on="activity", how="left")
        .with_columns(pl.col("open_cases_here").fill_null(0))
        .sort(["instances", "activity"], descending=[True, False])
    )
    return conform(frame, NODE_SCHEMA)


def directly_follows(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    activities: Sequence[str] | None = None,
    clock: Clock = REAL_TIME,
) -> pl.LazyFrame:
    """The arrows of the map over the cases projected on `activities` (EDGE_SCHEMA).

    `activities=None` keeps every activity (the counts and waits are then those
    of `metrics.transitions`). `instances` must be in `derive_instances`'
    order (case_index, seq), which a filter keeps. Waits are read on `clock`,
    the clock the instances were derived with.
    """
    kept = (
        instances
        if activities is None
        else instances.filter(pl.col("activity").is_in(list(activities)))
    )
    first_of_case = (pl.col("case_index") != pl.col("case_index").shift(1)).fill_null(True)
    last_of_case = (pl.col("case_index") != pl.col("case_index").shift(-1)).fill_null(True)
    # Each step with the step before it in its case: the activities as categories and
    # the wait already in seconds, so what is grouped is a few bytes a step (at ten
    # million events the arrows of 4.7M steps peaked 0.5 GB lower than with the names
    # and both times held).
    activity = pl.col("activity").cast(pl.Categorical)
    pairs = kept.select(
        "case_index",
        activity.alias("activity"),
        _first=first_of_case,
        _last=last_of_case,
        _with_start=pl.col("start").is_not_null(),
        from_activity=activity.shift(1),
        _wait=seconds_between(clock, pl.col("end").shift(1), pl.col("start_or_end")).clip(
            lower_bound=0.0
        ),
    )
    with_start = pl.col("_with_start")
    named = pl.col("from_activity", "to_activity").cast(pl.String)
    transitions = (
        pairs.filter(~pl.col("_first"))
        .group_by("from_activity", pl.col("activity").alias("to_activity"))
        .agg(
            pl.len().alias("count"),
            pl.col("case_index").n_unique().alias("cases"),
            pl.when(with_start.all())
            .then(pl.lit("wait"))
            .when(with_start.any())
            .then(pl.lit("mixed"))
            .otherwise(pl.lit("elapsed"))
            .alias("measure"),
            *distribution(pl.col("_wait"), "wait_s", with_sum=True),
        )
        .with_columns(named)
    )
    starts = (
        pairs.filter(pl.col("_first"))
        .group_by(pl.col("activity").cast(pl.String).alias("to_activity"))
        .agg(pl.len().alias("count"), pl.len().alias("cases"))
        .with_columns(from_activity=pl.lit(START), measure=pl.lit("none"))
    )
    completed = cases.filter(pl.col("completed")).select("case_index")
    ends = (
        pairs.filter(pl.col("_last"))
        .join(completed, on="case_index", how="semi")
        .group_by(pl.col("activity").cast(pl.String).alias("from_activity"))
        .agg(pl.len().alias("count"), pl.len().alias("cases"))
        .with_columns(to_activity=pl.lit(END), measure=pl.lit("none"))
    )
    no_waits = [
        pl.lit(None, dtype=pl.Float64).alias(name)
        for name in distribution_schema("wait_s", with_sum=True)
    ]
    frame = pl.concat(
        [transitions, starts.with_columns(no_waits), ends.with_columns(no_waits)],
        how="diagonal_relaxed",
    ).sort(["count", "from_activity", "to_activity"], descending=[True, False, False])
    return conform(frame, EDGE_SCHEMA)


def top_activities(ranking: pl.DataFrame, n: int) -> list[str]:
    """The `n` most frequent activities of `activity_ranking`'s frame."""
    return ranking["activity"].head(max(n, 0)).to_list()


def most_frequent(instances: pl.LazyFrame, n: int) -> list[str]:
    """`top_activities(activity_ranking(instances, ...), n)` from the instances' counts
    alone, in the ranking's order (most instances first, then by name): without the
    ranking's distinct cases and process-time percentiles."""
    counts = (
        instances.group_by("activity")
        .agg(pl.len().alias("instances"))
        .sort(["instances", "activity"], descending=[True, False])
        .head(max(n, 0))
        .collect(engine=ENGINE)
    )
    return counts["activity"].to_list()


def keep_paths(edges: pl.DataFrame, share: float) -> pl.DataFrame:
    """The arrows the path slider keeps, in `edges`' order (a subset of its rows).

    `edges` is `directly_follows`' collected frame; `share` in [0, 1] is the
    share of its arrows kept by frequency (at least one). Then, so the map
    stays connected, every activity keeps its most frequent arrow in and out
    and the widest route from START to it and from it to END. `share=1` keeps
    every arrow.

    This is a walk over a graph of a few hundred arrows, so it works on a
    collected frame in plain Python rather than as a polars query.
    """
    if edges.height == 0 or share >= 1:
        return edges
    rows = edges.select("from_activity", "to_activity", "count").rows()
    keep: set[tuple[str, str]] = set()
    ranked = sorted(rows, key=lambda r: (-r[2], r[0], r[1]))
    keep.update((a, b) for a, b, _ in ranked[: max(1, math.ceil(share * len(rows)))])
    best_in: dict[str, tuple[int, str]] = {}
    best_out: dict[str, tuple[int, str]] = {}
    for a, b, c in ranked:
        if b not in best_in:
            best_in[b] = (c, a)
        if a not in best_out:
            best_out[a] = (c, b)
    keep.update((a, b) for b, (_, a) in best_in.items())
    keep.update((a, b) for a, (_, b) in best_out.items())
    keep.update(_widest_tree(rows, START, forward=True))
    keep.update(_widest_tree(rows, END, forward=False))
    mask = [(a, b) in keep for a, b, _ in rows]
    return edges.filter(pl.Series(mask, dtype=pl.Boolean))


def _widest_tree(
    rows: Iterable[tuple[str, str, int]], root: str, *, forward: bool
) -> set[tuple[str, str]]:
    """The arrows of the widest routes from `root` (or to it, `forward=False`) to every node.

    A modified Dijkstra: a route's width is its rarest arrow's count; each node
    is reached by the widest route (ties: the one found first in count order).
    """
    out: dict[str, list[tuple[int, str]]] = {}
    for a, b, c in rows:
        src, dst = (a, b) if forward else (b, a)
        out.setdefault(src, []).append((c, dst))
    width: dict[str, int] = {root: 2**62}
    via: dict[str, str] = {}
    heap: list[tuple[int, str]] = [(-width[root], root)]
    done: set[str] = set()
    while heap:
        _, node = heapq.heappop(heap)
        if node in done:
            continue
        done.add(node)
        for c, nxt in sorted(out.get(node, []), key=lambda e: (-e[0], e[1])):
            w = min(width[node], c)
            if nxt not in done and w > width.get(nxt, -1):
                width[nxt] = w
                via[nxt] = node
                heapq.heappush(heap, (-w, nxt))
    return {(src, dst) if forward else (dst, src) for dst, src in via.items()}
