"""The value stream map of one offering, computed from its events.

The classic napkin map: process boxes left to right along the main path, each
with its data box (median process time C/T, instances, %C&A), a wait triangle in
front of each box with the median wait before it, and the timeline ladder
underneath that adds the waits (up) and the process times (down) into a lead time.

The main path is the work steps that occur in at least half of the offering's
cases, in their typical order (median position in the case). Where no two steps
are that common (a very varied process) it is the steps of the most frequent
variant. Waiting-state statuses are not steps (METRICS.md): their time is in the
wait before the next work step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from metrics.stats import conform
from metrics.steps import bottleneck, steps
from metrics.variants import variants

MAIN_PATH_CASE_SHARE = 0.5

VSM_SCHEMA: dict[str, pl.DataType] = {
    "position": pl.UInt32(),
    "activity": pl.String(),
    "value_class": pl.String(),
    "instances": pl.UInt32(),
    "cases": pl.UInt32(),
    "case_share": pl.Float64(),
    "process_time_s_p50": pl.Float64(),
    "process_time_s_n": pl.UInt32(),
    "wait_before_s_p50": pl.Float64(),
    "wait_before_s_n": pl.UInt32(),
    "wait_before_s_sum": pl.Float64(),
    "pct_c_and_a": pl.Float64(),
    "is_bottleneck": pl.Boolean(),
}
"""One row per box of the map, left to right. `case_share` = cases with the step /
the offering's cases in view; `*_n` = instances behind each median."""


def vsm_steps(instances: pl.LazyFrame, cases: pl.LazyFrame) -> pl.LazyFrame:
    """The boxes of the map for the instances and cases of one offering (VSM_SCHEMA)."""
    step_frame = steps(instances, by=())
    n_cases = cases.select(pl.len().alias("n_cases"))
    classes = instances.group_by("activity").agg(pl.col("value_class").first())
    neck = bottleneck(step_frame, by=()).select("activity", pl.lit(True).alias("is_bottleneck"))
    common = (
        step_frame.join(n_cases, how="cross")
        .with_columns(case_share=pl.col("cases") / pl.col("n_cases"))
        .filter(pl.col("case_share") >= MAIN_PATH_CASE_SHARE)
    )
    top_variant = (
        variants(cases, by=())
        .filter(pl.col("length") > 0)
        .head(1)
        .select(pl.col("variant").alias("activity"))
        .explode("activity")
        .unique(keep="first", maintain_order=True)
    )
    fallback = (
        step_frame.join(top_variant, on="activity", how="semi")
        .join(n_cases, how="cross")
        .with_columns(case_share=pl.col("cases") / pl.col("n_cases"))
    )
    enough = common.select((pl.len() >= 2).alias("enough"))
    chosen = pl.concat(
        [
            common.join(enough.filter(pl.col("enough")), how="cross"),
            fallback.join(enough.filter(~pl.col("enough")), how="cross"),
        ],
        how="diagonal_relaxed",
    )
    frame = (
        chosen.sort("typical_position", "activity")
        .with_columns(position=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32))
        .join(classes, on="activity", how="left")
        .join(neck, on="activity", how="left")
        .with_columns(pl.col("is_bottleneck").fill_null(False))
        .sort("position")
    )
    return conform(frame, VSM_SCHEMA)


def ladder(vsm: pl.DataFrame, parallel: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """The timeline ladder's totals, as a napkin map adds them up.

    `wait_s` sums the median waits in front of the boxes (the first box has none),
    `process_s` the median process times; `lead_s` is their sum; `pce` is the
    value-adding boxes' process time over `lead_s`, or None when no box is
    classified value-adding. `process_known` is False when some box has no known
    process time (starts missing and no standard time): the ladder is then partial.

    `parallel` names pairs of steps (A, B) that run side by side: where box B
    comes right after box A, the run of such boxes adds only its longest process
    time (and its longest value-adding one), as a redesigned map draws them.
    """
    pairs = set(parallel)
    runs: list[list[dict[str, Any]]] = []
    for box in vsm.sort("position").iter_rows(named=True):
        if runs and (runs[-1][-1]["activity"], box["activity"]) in pairs:
            runs[-1].append(box)
        else:
            runs.append([box])

    def longest(run: list[dict[str, Any]], value_adding_only: bool) -> float:
        return max(
            (
                b["process_time_s_p50"] or 0.0
                for b in run
                if not value_adding_only or b["value_class"] == "value-adding"
            ),
            default=0.0,
        )

    wait = float(vsm["wait_before_s_p50"].fill_null(0).sum())
    # Summed as a polars series, like the waits: without parallel boxes exactly the old sums.
    process = float(pl.Series([longest(run, False) for run in runs], dtype=pl.Float64).sum())
    value_adding = float(pl.Series([longest(run, True) for run in runs], dtype=pl.Float64).sum())
    classified = bool((vsm["value_class"] == "value-adding").any())
    lead = wait + process
    return {
        "wait_s": wait,
        "process_s": process,
        "lead_s": lead,
        "value_adding_s": value_adding,
        "pce": (value_adding / lead) if classified and lead > 0 else None,
        "flow_efficiency": (process / lead) if lead > 0 else None,
        "process_known": bool(vsm["process_time_s_p50"].is_not_null().all()),
    }
