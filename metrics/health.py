"""Stream health: one row per offering for a period, against the period before it.

The landing page's question is "which stream is healthy, and is it getting
better?". A period's figures are those of the cases *completed* in it (lead
time, flow efficiency / PCE, rework, the bottleneck), so a period's numbers
never change as open cases age; work in progress is counted at the period's
end. The previous period has the same length and ends where this one starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from metrics.filters import restrict_instances
from metrics.stats import conform
from metrics.steps import bottleneck, steps
from metrics.summary import case_summary

HEALTH_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "in_progress": pl.UInt32(),
    "completed": pl.UInt32(),
    "lead_time_s_p50": pl.Float64(),
    "lead_time_s_p85": pl.Float64(),
    "flow_efficiency": pl.Float64(),
    "pce": pl.Float64(),
    "pce_basis": pl.String(),
    "rework_case_share": pl.Float64(),
    "bottleneck": pl.String(),
    "bottleneck_wait_share": pl.Float64(),
    "prev_completed": pl.UInt32(),
    "prev_lead_time_s_p50": pl.Float64(),
    "prev_lead_time_s_p85": pl.Float64(),
    "prev_pce": pl.Float64(),
    "prev_rework_case_share": pl.Float64(),
}
"""Per offering: `in_progress` = cases started by the period's end and not completed
by it; the other figures are over the cases completed in the period (`prev_*`: in
the period before)."""

TREND_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "period": pl.Date(),
    "completed": pl.UInt32(),
    "lead_time_s_p50": pl.Float64(),
    "lead_time_s_p85": pl.Float64(),
}


def _completed_in(cases: pl.LazyFrame, start: datetime, end: datetime) -> pl.LazyFrame:
    return cases.filter(
        pl.col("completed") & (pl.col("last_end") >= start) & (pl.col("last_end") < end)
    )


def _figures(instances: pl.LazyFrame, cases: pl.LazyFrame) -> pl.LazyFrame:
    summary = case_summary(cases, by=("offering",)).select(
        "offering",
        pl.col("completed_cases").alias("completed"),
        "lead_time_s_p50",
        "lead_time_s_p85",
        "flow_efficiency",
        "pce",
        "pce_basis",
        "rework_case_share",
    )
    neck = bottleneck(steps(restrict_instances(instances, cases))).select(
        "offering",
        pl.col("activity").alias("bottleneck"),
        pl.col("wait_share").alias("bottleneck_wait_share"),
    )
    return summary.join(neck, on="offering", how="left")


def health(
    instances: pl.LazyFrame, cases: pl.LazyFrame, start: datetime, end: datetime
) -> pl.LazyFrame:
    """Health per offering for [start, end) against the equally long period before (HEALTH_SCHEMA)."""
    length = end - start
    prev_start = start - length
    offerings = cases.select("offering").unique()
    in_progress = (
        cases.filter(
            (pl.col("first_start") < end) & (~pl.col("completed") | (pl.col("last_end") >= end))
        )
        .group_by("offering")
        .agg(pl.len().cast(pl.UInt32).alias("in_progress"))
    )
    now = _figures(instances, _completed_in(cases, start, end))
    before = _figures(instances, _completed_in(cases, prev_start, start)).select(
        "offering",
        pl.col("completed").alias("prev_completed"),
        pl.col("lead_time_s_p50").alias("prev_lead_time_s_p50"),
        pl.col("lead_time_s_p85").alias("prev_lead_time_s_p85"),
        pl.col("pce").alias("prev_pce"),
        pl.col("rework_case_share").alias("prev_rework_case_share"),
    )
    frame = (
        offerings.join(in_progress, on="offering", how="left")
        .join(now, on="offering", how="left")
        .join(before, on="offering", how="left")
        .with_columns(pl.col("in_progress", "completed", "prev_completed").fill_null(0))
        .sort("offering")
    )
    return conform(frame, HEALTH_SCHEMA)


def default_period(latest: datetime, days: int = 30) -> tuple[datetime, datetime]:
    """The last `days` days up to and including the latest event's day."""
    end = datetime.combine(latest.date() + timedelta(days=1), datetime.min.time(), latest.tzinfo)
    return end - timedelta(days=days), end


def lead_time_trend(cases: pl.LazyFrame, every: str = "1w") -> pl.LazyFrame:
    """Median and p85 lead time of the cases completed in each period, per offering."""
    done = cases.filter(pl.col("completed"))
    frame = (
        done.group_by("offering", period=pl.col("last_end").dt.date().dt.truncate(every))
        .agg(
            pl.len().cast(pl.UInt32).alias("completed"),
            pl.col("lead_time_s").quantile(0.5, interpolation="linear").alias("lead_time_s_p50"),
            pl.col("lead_time_s").quantile(0.85, interpolation="linear").alias("lead_time_s_p85"),
        )
        .sort("offering", "period")
    )
    return conform(frame, TREND_SCHEMA)
