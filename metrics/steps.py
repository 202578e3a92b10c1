"""Step (activity) metrics, per offering: the boxes of the value stream map.

Definitions implemented (../shared/METRICS.md, "Step (activity) metrics"):

- Instances, and cases (distinct cases that contain the step).
- Process time (C/T) = `end − start` per instance (standard time where the
  start is unknown; unknown instances are left out and counted in `_n`).
- Wait before the step = `max(0, start − the latest end among the work
  instances before it in the case)`, for instances with a predecessor; its sum
  is the total wait before the step. The step with the largest total wait is
  the bottleneck.
- Rework share = cases in which the step occurs more than once / cases that
  contain it; %C&A = 1 − rework share; rolled %C&A = the product over the steps
  of the main path.

Waiting-state instances (catalog kind 'waiting') are queues, not steps: they
are absent here, and their time is in the next work step's wait.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from metrics.stats import aggregate, conform, distribution, distribution_schema

STEP_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "activity": pl.String(),
    "instances": pl.UInt32(),
    "cases": pl.UInt32(),
    "rework_cases": pl.UInt32(),
    "rework_share": pl.Float64(),
    "pct_c_and_a": pl.Float64(),
    "typical_position": pl.Float64(),
    **distribution_schema("process_time_s", with_sum=True, with_count=True),
    **distribution_schema("wait_before_s", with_sum=True, with_count=True),
}
"""One row per step. `typical_position` is the median position (`seq`) of the
step's instances in their cases, to lay the steps out left to right."""

BOTTLENECK_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "activity": pl.String(),
    "wait_before_s_sum": pl.Float64(),
    "wait_share": pl.Float64(),
}
"""The bottleneck per offering and its share of all the waiting before steps."""

ROLLED_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "rolled_pct_c_and_a": pl.Float64(),
    "path_steps": pl.UInt32(),
}


def _schema(by: Sequence[str], schema: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    """`schema` with `offering` replaced by the grouping columns `by`."""
    grouping: dict[str, pl.DataType] = {name: pl.String() for name in by}
    return grouping | {k: v for k, v in schema.items() if k != "offering"}


def steps(instances: pl.LazyFrame, by: Sequence[str] = ("offering",)) -> pl.LazyFrame:
    """Step metrics per `by` (default: per offering) and activity (STEP_SCHEMA).

    `by=()` pools the offerings in view (the activity is then the only key).
    Sorted by the grouping columns, then typical position and activity.
    """
    keys = [*by, "activity"]
    exprs = [
        pl.len().cast(pl.UInt32).alias("instances"),
        pl.col("case_index").n_unique().cast(pl.UInt32).alias("cases"),
        pl.col("case_index")
        .filter(pl.col("is_rework"))
        .n_unique()
        .cast(pl.UInt32)
        .alias("rework_cases"),
        pl.col("seq").median().cast(pl.Float64).alias("typical_position"),
        *distribution(pl.col("process_s"), "process_time_s", with_sum=True, with_count=True),
        *distribution(pl.col("wait_before_s"), "wait_before_s", with_sum=True, with_count=True),
    ]
    frame = (
        aggregate(instances.filter(pl.col("kind") != "waiting"), keys, exprs)
        .with_columns(rework_share=pl.col("rework_cases") / pl.col("cases"))
        .with_columns(pct_c_and_a=1.0 - pl.col("rework_share"))
        .sort([*by, "typical_position", "activity"])
    )
    return conform(frame, _schema(by, STEP_SCHEMA))


def work_step_order(instances: pl.LazyFrame) -> pl.LazyFrame:
    """Every work step (not a waiting status) in its usual order: by the median of its
    position in its cases, then by name (`activity`, `seq` that median). Grouped by a
    number for each name (`aggregate`): for the five million steps of a view 79 MB at its
    peak instead of 301 MB."""
    work = instances.filter(pl.col("kind") != "waiting")
    return aggregate(work, ["activity"], [pl.col("seq").median()]).sort("seq", "activity")


def wait_totals(instances: pl.LazyFrame, by: Sequence[str] = ("offering",)) -> pl.LazyFrame:
    """The total wait before each work step per `by` (`wait_before_s_sum` of `steps`, the
    one column `bottleneck` reads), without the rest of the step figures: for the
    bottleneck alone (the scorecard of 4.7 million steps held 1 GB more computing them
    all)."""
    return (
        instances.filter(pl.col("kind") != "waiting")
        .group_by([*by, "activity"])
        .agg(pl.col("wait_before_s").sum().cast(pl.Float64).alias("wait_before_s_sum"))
        .sort([*by, "activity"])  # in one order: the bottleneck's share adds them up
    )


def bottleneck(step_frame: pl.LazyFrame, by: Sequence[str] = ("offering",)) -> pl.LazyFrame:
    """The step with the largest total wait before it, per `by` (BOTTLENECK_SCHEMA).

    No row where nothing waited at all (every total is 0). Ties go to the
    activity first in alphabetical order.
    """
    total = pl.col("wait_before_s_sum")
    share = total / total.sum()
    ranked = step_frame.with_columns(wait_share=share.over(by) if by else share).filter(total > 0)
    best = ranked.sort(
        [*by, "wait_before_s_sum", "activity"], descending=[*([False] * len(by)), True, False]
    )
    frame = best.group_by(list(by), maintain_order=True).first() if by else best.head(1)
    return conform(frame, _schema(by, BOTTLENECK_SCHEMA))


def main_path(variant_frame: pl.LazyFrame, by: Sequence[str] = ("offering",)) -> pl.LazyFrame:
    """The steps of the main path: the distinct activities of the most frequent variant.

    `variant_frame` is `metrics.variants.variants`'s output (sorted by cases,
    most frequent first). Returns `by` columns, `activity`, `position` (1-based).
    The empty variant (items still in their first status) is no path.
    """
    walked = variant_frame.filter(pl.col("variant").list.len() > 0)
    top = walked.group_by(list(by), maintain_order=True).first() if by else walked.head(1)
    return (
        top.select(*by, activity=pl.col("variant"))
        .explode("activity")
        .unique(subset=[*by, "activity"], keep="first", maintain_order=True)
        .with_columns(
            position=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).over(by)
            if by
            else pl.int_range(1, pl.len() + 1, dtype=pl.UInt32)
        )
    )


def rolled_pct_c_and_a(
    step_frame: pl.LazyFrame, path: pl.LazyFrame, by: Sequence[str] = ("offering",)
) -> pl.LazyFrame:
    """Rolled %C&A = the product of %C&A over the steps of the main path (ROLLED_SCHEMA).

    `path` is `main_path`'s output; its waiting-state activities, which have no
    step row, drop out.
    """
    on = [*by, "activity"]
    frame = aggregate(
        step_frame.join(path.select(on), on=on, how="semi"),
        by,
        [
            pl.col("pct_c_and_a").product().alias("rolled_pct_c_and_a"),
            pl.len().cast(pl.UInt32).alias("path_steps"),
        ],
    )
    if by:
        frame = frame.sort(list(by))
    return conform(frame, _schema(by, ROLLED_SCHEMA))
