"""Stream health: one row per offering for a period, against the period before it.

The landing page's question is "which stream is healthy, and is it getting
better?". A period's figures are those of the cases *completed* in it (lead
time, flow efficiency / PCE, rework, the bottleneck), so a period's numbers
never change as open cases age; work in progress is counted at the period's
end. The previous period has the same length and ends where this one starts.
Each offering has its own period (metrics.periods): "the last 30 days" ends at
its own latest event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from metrics.filters import restrict_instances
from metrics.periods import completed_in, in_progress_at_end, period_bounds, previous
from metrics.stats import conform
from metrics.steps import bottleneck, wait_totals
from metrics.summary import case_summary

PERIOD_FIGURES_SCHEMA: dict[str, pl.DataType] = {
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
}
"""Per offering, over the cases completed in its period (metrics.periods): how many,
their lead time, flow efficiency / PCE, rework share and bottleneck; and the cases in
progress at the period's end. Stream health and Compare offerings both show these,
from this one function."""

HEALTH_SCHEMA: dict[str, pl.DataType] = {
    **PERIOD_FIGURES_SCHEMA,
    "prev_completed": pl.UInt32(),
    "prev_lead_time_s_p50": pl.Float64(),
    "prev_lead_time_s_p85": pl.Float64(),
    "prev_pce": pl.Float64(),
    "prev_rework_case_share": pl.Float64(),
    "period_start": pl.Datetime("us", "UTC"),
    "period_end": pl.Datetime("us", "UTC"),
    "latest": pl.Datetime("us", "UTC"),
}
"""Per offering: `in_progress` = cases started by the period's end and not completed
by it; the other figures are over the cases completed in the period (`prev_*`: in
the period before); the period itself and the offering's latest event."""

TREND_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "period": pl.Date(),
    "completed": pl.UInt32(),
    "lead_time_s_p50": pl.Float64(),
    "lead_time_s_p85": pl.Float64(),
}


DEFAULT_DAYS = 30
"""Stream health's period unless the sidebar sets another: each offering's last 30 days."""

HEALTH_STEP_COLUMNS = ("case_index", "offering", "activity", "kind", "wait_before_s")
"""The step columns `health` needs (a warehouse storing its rows reads only these)."""


def default_health(instances: pl.LazyFrame, cases: pl.LazyFrame) -> pl.LazyFrame:
    """`health` over each offering's last DEFAULT_DAYS days: what Stream health opens on."""
    return health(instances, cases, bounds=period_bounds(cases, days=DEFAULT_DAYS))


def period_figures(
    instances: pl.LazyFrame, cases: pl.LazyFrame, bounds: pl.LazyFrame
) -> pl.LazyFrame:
    """The figures of each offering's period (PERIOD_FIGURES_SCHEMA); `bounds` is
    metrics.periods.period_bounds (or its `previous`)."""
    done = completed_in(cases, bounds)
    summary = case_summary(done, by=("offering",)).select(
        "offering",
        pl.col("completed_cases").alias("completed"),
        "lead_time_s_p50",
        "lead_time_s_p85",
        "flow_efficiency",
        "pce",
        "pce_basis",
        "rework_case_share",
    )
    neck = bottleneck(wait_totals(restrict_instances(instances, done))).select(
        "offering",
        pl.col("activity").alias("bottleneck"),
        pl.col("wait_share").alias("bottleneck_wait_share"),
    )
    frame = (
        bounds.select("offering")
        .join(in_progress_at_end(cases, bounds), on="offering", how="left")
        .join(summary, on="offering", how="left")
        .join(neck, on="offering", how="left")
        .with_columns(pl.col("in_progress", "completed").fill_null(0))
        .sort("offering")
    )
    return conform(frame, PERIOD_FIGURES_SCHEMA)


def health(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    bounds: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """Health per offering for its period against the equally long period before
    (HEALTH_SCHEMA): [start, end) for every offering, or each offering's own `bounds`
    (metrics.periods.period_bounds). Of the steps it needs HEALTH_STEP_COLUMNS only; an
    offering's row depends on its own cases only."""
    if bounds is None:
        bounds = period_bounds(cases, start=start, end=end)
    before = period_figures(instances, cases, previous(bounds)).select(
        "offering",
        pl.col("completed").alias("prev_completed"),
        pl.col("lead_time_s_p50").alias("prev_lead_time_s_p50"),
        pl.col("lead_time_s_p85").alias("prev_lead_time_s_p85"),
        pl.col("pce").alias("prev_pce"),
        pl.col("rework_case_share").alias("prev_rework_case_share"),
    )
    frame = (
        period_figures(instances, cases, bounds)
        .join(before, on="offering", how="left")
        .join(bounds, on="offering", how="left")
        .with_columns(pl.col("prev_completed").fill_null(0))
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
