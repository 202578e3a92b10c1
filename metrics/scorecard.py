"""Offerings side by side: a scorecard, lead-time distributions on shared bins, weekly throughput.

Definitions implemented (../shared/METRICS.md): lead time, flow efficiency and
PCE over completed cases (`metrics.summary.case_summary`); rework share over
every case in view; the bottleneck is the step with the largest total wait
before it (`metrics.steps`); throughput = completed cases per period, by
completion date.

Throughput per week = the cases completed in the period / the period's length
in weeks. The period is the view's time window when there is one; otherwise it
runs from the offering's first completion to its latest event: the weeks before
any case could complete (an export's first cases are still in progress) would
dilute the rate.
"""

from __future__ import annotations

import math
from datetime import datetime

import polars as pl

from metrics.health import period_figures
from metrics.periods import period_bounds
from metrics.stats import conform, nice_width
from metrics.summary import case_summary
from model.units import DAY, WEEK

SCORECARD_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "cases": pl.UInt32(),
    "completed_cases": pl.UInt32(),
    "open_cases": pl.UInt32(),
    "lead_time_s_p50": pl.Float64(),
    "lead_time_s_p85": pl.Float64(),
    "flow_efficiency": pl.Float64(),
    "pce": pl.Float64(),
    "pce_basis": pl.String(),
    "rework_case_share": pl.Float64(),
    "bottleneck": pl.String(),
    "bottleneck_wait_share": pl.Float64(),
    "weeks": pl.Float64(),
    "completed_in_period": pl.UInt32(),
    "throughput_per_week": pl.Float64(),
}
"""One row per offering, sorted by name. `weeks` is the length of the throughput
period and `completed_in_period` the completions counted in it."""

WEEKLY_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "week": pl.Date(),
    "completed_cases": pl.UInt32(),
}
"""Completed cases per offering and week (Monday), every week of the period, zeros included."""

HISTOGRAM_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "bin_start_s": pl.Float64(),
    "bin_end_s": pl.Float64(),
    "cases": pl.UInt32(),
    "share": pl.Float64(),
    "is_overflow": pl.Boolean(),
}
"""Completed cases per offering and lead-time bin; every offering has the same
bins. `share` = the bin's cases / the offering's completed cases. The last bin
(`is_overflow`) also holds every longer case."""


def _period(bounds: pl.LazyFrame, cases: pl.LazyFrame) -> pl.LazyFrame:
    """Per offering, the throughput period [period_start, period_end): its period, or for
    all time from its first completion to its latest event."""
    first_done = cases.group_by("offering").agg(
        _first_done=pl.col("last_end").filter(pl.col("completed")).min()
    )
    return (
        bounds.join(first_done, on="offering", how="left")
        .select(
            "offering",
            pl.coalesce("period_start", "_first_done").alias("period_start"),
            pl.coalesce("period_end", pl.col("latest") + pl.duration(microseconds=1)).alias(
                "period_end"
            ),
        )
        .filter(pl.col("period_start").is_not_null())
    )


def scorecard(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    bounds: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """The scorecard of every offering in view (SCORECARD_SCHEMA).

    Case counts and rework are over the cases in view; lead time, flow efficiency, PCE
    and the bottleneck are metrics.health.period_figures of the cases completed in each
    offering's period ([start, end), or `bounds` from metrics.periods; all time when
    neither), the very figures Stream health shows; throughput per week counts the same
    completions.
    """
    if bounds is None:
        bounds = period_bounds(cases, start=start, end=end)
    counts = case_summary(cases, by=("offering",)).select(
        "offering", "cases", "completed_cases", "open_cases", "rework_case_share"
    )
    figures = period_figures(instances, cases, bounds).select(
        "offering",
        pl.col("completed").alias("completed_in_period"),
        "lead_time_s_p50",
        "lead_time_s_p85",
        "flow_efficiency",
        "pce",
        "pce_basis",
        "bottleneck",
        "bottleneck_wait_share",
    )
    period = _period(bounds, cases)
    weeks = (pl.col("period_end") - pl.col("period_start")).dt.total_seconds(fractional=True) / WEEK
    frame = (
        counts.join(figures, on="offering", how="left")
        .join(period.with_columns(weeks=weeks), on="offering", how="left")
        .with_columns(pl.col("completed_in_period").fill_null(0))
        .with_columns(
            throughput_per_week=pl.when(pl.col("weeks") > 0).then(
                pl.col("completed_in_period") / pl.col("weeks")
            )
        )
        .sort("offering")
    )
    return conform(frame, SCORECARD_SCHEMA)


def weekly_throughput(
    cases: pl.LazyFrame,
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    bounds: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """Completed cases per week over each offering's throughput period (WEEKLY_SCHEMA)."""
    if bounds is None:
        bounds = period_bounds(cases, start=start, end=end)
    week = pl.col("last_end").dt.date().dt.truncate("1w")
    period = _period(bounds, cases)
    completions = (
        cases.filter(pl.col("completed"))
        .join(period, on="offering")
        .filter(
            pl.col("last_end").is_between(
                pl.col("period_start"), pl.col("period_end"), closed="left"
            )
        )
        .group_by("offering", week=week)
        .agg(completed_cases=pl.len())
    )
    every_week = period.select(
        "offering",
        week=pl.date_ranges(
            pl.col("period_start").dt.date().dt.truncate("1w"),
            (pl.col("period_end") - pl.duration(microseconds=1)).dt.date().dt.truncate("1w"),
            interval="1w",
        ),
    ).explode("week")
    frame = (
        every_week.join(completions, on=["offering", "week"], how="left")
        .with_columns(pl.col("completed_cases").fill_null(0))
        .sort("offering", "week")
    )
    return conform(frame, WEEKLY_SCHEMA)


def lead_time_bins(
    cases: pl.DataFrame, bins: int = 30, upper_share: float = 0.99
) -> tuple[float, float]:
    """Bins shared by every offering: (width, start of the last bin) in seconds.

    About `bins` bins of a round width (`nice_width` days) up to the pooled
    `upper_share` percentile of the completed cases' lead times; the last bin
    also holds the longer cases.
    """
    # The one column filtered, not the case table (a copy of every column of every
    # completed case took 0.5 s at 850,000 cases, on each run of the Compare page).
    lead = cases["lead_time_s"].filter(cases["completed"]).drop_nulls()
    if lead.len() == 0:
        return DAY, DAY
    upper = float(lead.quantile(upper_share, interpolation="linear"))  # type: ignore[arg-type]
    width = nice_width(upper / DAY / bins) * DAY
    return width, math.floor(upper / width) * width


def lead_time_histogram(cases: pl.LazyFrame, width_s: float, last_bin_s: float) -> pl.LazyFrame:
    """Completed cases per offering in lead-time bins of `width_s` (HISTOGRAM_SCHEMA).

    Bins start at 0; the bin starting at `last_bin_s` (a multiple of `width_s`)
    also holds every longer case. Use `lead_time_bins` for a width shared by
    the offerings compared.
    """
    last = math.floor(last_bin_s / width_s)
    index = (pl.col("lead_time_s") / width_s).floor().cast(pl.Int64).clip(upper_bound=last)
    frame = (
        cases.filter(pl.col("completed") & pl.col("lead_time_s").is_not_null())
        .group_by("offering", _bin=index)
        .agg(cases=pl.len())
        .with_columns(
            bin_start_s=pl.col("_bin") * width_s,
            bin_end_s=(pl.col("_bin") + 1) * width_s,
            share=pl.col("cases") / pl.col("cases").sum().over("offering"),
            is_overflow=pl.col("_bin") == last,
        )
        .sort("offering", "bin_start_s")
    )
    return conform(frame, HISTOGRAM_SCHEMA)
