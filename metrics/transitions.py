"""Transition metrics (directly-follows), per offering: the arrows of the process map.

Definitions implemented (../shared/METRICS.md, "Transition metrics"): for every
pair of consecutive instances a → b in a case, the count (pm4py's
`discover_dfg`) and the wait `max(0, start(b) − end(a))`; where b has no start
this is `end(b) − end(a)`, the elapsed time, and `measure` says "elapsed"
("mixed" when only some of the pair's b instances have a start). pm4py's
`discover_performance_dfg` leaves out the clamp, so it reports negative waits
where steps overlap; everywhere else the two agree exactly.

Every instance takes part, waiting states included: the process map shows every
status.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from metrics.stats import aggregate, conform, distribution, distribution_schema

TRANSITION_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "from_activity": pl.String(),
    "to_activity": pl.String(),
    "count": pl.UInt32(),
    "cases": pl.UInt32(),
    "measure": pl.String(),
    **distribution_schema("wait_s", with_sum=True),
}
"""One row per directly-follows pair; `cases` = distinct cases with the pair."""


def transitions(instances: pl.LazyFrame, by: Sequence[str] = ("offering",)) -> pl.LazyFrame:
    """Directly-follows counts and waits per `by` and pair (TRANSITION_SCHEMA).

    Sorted by the grouping columns, then count (descending) and the pair.
    """
    with_start = pl.col("start").is_not_null()
    exprs = [
        pl.len().cast(pl.UInt32).alias("count"),
        pl.col("case_index").n_unique().cast(pl.UInt32).alias("cases"),
        pl.when(with_start.all())
        .then(pl.lit("wait"))
        .when(with_start.any())
        .then(pl.lit("mixed"))
        .otherwise(pl.lit("elapsed"))
        .alias("measure"),
        *distribution(pl.col("transition_wait_s"), "wait_s", with_sum=True),
    ]
    frame = aggregate(
        instances.filter(pl.col("prev_activity").is_not_null()).rename(
            {"prev_activity": "from_activity", "activity": "to_activity"}
        ),
        [*by, "from_activity", "to_activity"],
        exprs,
    ).sort(
        [*by, "count", "from_activity", "to_activity"],
        descending=[*([False] * len(by)), True, False, False],
    )
    schema = {name: pl.String() for name in by} | {
        k: v for k, v in TRANSITION_SCHEMA.items() if k != "offering"
    }
    return conform(frame, schema)
