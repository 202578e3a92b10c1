"""Flow over time, per offering: throughput, arrivals, WIP, aging and Little's law.

Definitions implemented (../shared/METRICS.md, "Flow over time"):

- Throughput: completed cases per period, by completion date (last end).
- Arrivals: cases started per period (first start).
- WIP at instant t: cases with min(start) ≤ t and (still open or completed
  after t). Daily WIP is taken at the end of each day (UTC), i.e. at the next
  midnight.
- Aging: for each open case, now (the latest timestamp in the data) − its
  first start, and its current step (the activity of its last instance).
- Little's law check: average WIP ≈ throughput rate × average lead time over a
  window; a large gap means the window is not stable or data is missing.

All functions take a case table (`metrics.cases.case_table`), filtered or not.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from metrics.stats import conform
from metrics.working_time import REAL_TIME, Clock, seconds_between
from model.units import DAY

FLOW_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "period": pl.Date(),
    "started_cases": pl.UInt32(),
    "completed_cases": pl.UInt32(),
}
"""Arrivals and throughput per offering and period (every period from the first
arrival to the last event, zeros included). `period` is the period's first day."""

WIP_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "day": pl.Date(),
    "wip": pl.Int64(),
}
"""Cases in progress at the end of each day (UTC), from the first arrival to the
day of the latest timestamp."""

AGING_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "case_id": pl.String(),
    "first_start": pl.Datetime("us", "UTC"),
    "last_end": pl.Datetime("us", "UTC"),
    "age_s": pl.Float64(),
    "current_step": pl.String(),
    "n_instances": pl.UInt32(),
}
"""One row per open case, oldest first."""

LITTLE_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "days": pl.Int64(),
    "average_wip": pl.Float64(),
    "completed_cases": pl.UInt32(),
    "throughput_per_day": pl.Float64(),
    "mean_lead_time_days": pl.Float64(),
    "expected_wip": pl.Float64(),
    "wip_ratio": pl.Float64(),
}
"""Little's law over a window of whole days: `expected_wip` = throughput per day
× mean lead time (days) of the cases completed in the window; `wip_ratio` =
average WIP / expected WIP (≈ 1 in a stable window)."""

PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}
"""The periods the dashboard offers and their polars intervals (weeks start on Monday)."""


def _day_of(instant: pl.Expr) -> pl.Expr:
    return instant.dt.date()


def flow_per_period(cases: pl.LazyFrame, every: str = "1d") -> pl.LazyFrame:
    """Arrivals and throughput per offering and period of `every` (FLOW_SCHEMA)."""
    arrivals = cases.group_by(
        "offering", period=_day_of(pl.col("first_start")).dt.truncate(every)
    ).agg(started_cases=pl.len())
    completions = (
        cases.filter(pl.col("completed"))
        .group_by("offering", period=_day_of(pl.col("last_end")).dt.truncate(every))
        .agg(completed_cases=pl.len())
    )
    periods = (
        cases.group_by("offering")
        .agg(
            first=_day_of(pl.col("first_start").min()).dt.truncate(every),
            last=_day_of(pl.col("last_end").max()).dt.truncate(every),
        )
        .select("offering", period=pl.date_ranges("first", "last", interval=every))
        .explode("period")
    )
    frame = (
        periods.join(arrivals, on=["offering", "period"], how="left")
        .join(completions, on=["offering", "period"], how="left")
        .with_columns(pl.col("started_cases", "completed_cases").fill_null(0))
        .sort("offering", "period")
    )
    return conform(frame, FLOW_SCHEMA)


def _end_of_day_index(instant: pl.Expr) -> pl.Expr:
    """The first day whose end (next midnight) is at or after `instant`."""
    return (instant - pl.duration(microseconds=1)).dt.date()


def wip_daily(cases: pl.LazyFrame) -> pl.LazyFrame:
    """WIP at the end of each day per offering (WIP_SCHEMA).

    A case counts from the first day ending at or after its first start, and
    stops counting from the first day ending at or after its completion (it is
    no longer "completed after t" there); open cases count to the end.
    """
    enters = cases.select("offering", day=_end_of_day_index(pl.col("first_start")), delta=pl.lit(1))
    leaves = cases.filter(pl.col("completed")).select(
        "offering", day=_end_of_day_index(pl.col("last_end")), delta=pl.lit(-1)
    )
    changes = pl.concat([enters, leaves]).group_by("offering", "day").agg(pl.col("delta").sum())
    days = (
        cases.group_by("offering")
        .agg(
            first=_end_of_day_index(pl.col("first_start").min()),
            last=_end_of_day_index(pl.col("last_end").max()),
        )
        .select("offering", day=pl.date_ranges("first", "last", interval="1d"))
        .explode("day")
    )
    frame = (
        days.join(changes, on=["offering", "day"], how="left")
        .sort("offering", "day")
        .with_columns(wip=pl.col("delta").fill_null(0).cum_sum().over("offering"))
    )
    return conform(frame, WIP_SCHEMA)


def aging(
    cases: pl.LazyFrame, now: datetime | None = None, clock: Clock = REAL_TIME
) -> pl.LazyFrame:
    """Open cases with their age and current step (AGING_SCHEMA).

    `now` defaults to the latest timestamp of the offering in `cases` (pass the
    unfiltered case table, or an explicit `now`, so a filter does not move it).
    Ages are read on `clock`, the clock the cases were derived with.
    """
    latest = (
        pl.lit(now, dtype=pl.Datetime("us", "UTC"))
        if now is not None
        else pl.col("last_end").max().over("offering")
    )
    frame = (
        cases.with_columns(_now=latest)
        .filter(~pl.col("completed"))
        .with_columns(age_s=seconds_between(clock, pl.col("first_start"), pl.col("_now")))
        .sort("offering", "age_s", "case_id", descending=[False, True, False])
    )
    return conform(frame, AGING_SCHEMA)


def littles_law(
    cases: pl.LazyFrame, start: date | None = None, end: date | None = None
) -> pl.LazyFrame:
    """Little's law check per offering over the days [start, end] (LITTLE_SCHEMA).

    Without bounds, the window is every day of `wip_daily`. Average WIP is the
    mean of the daily WIP over the window; the throughput rate and mean lead
    time are those of the cases completed on the window's days.
    """
    wip = wip_daily(cases)
    in_window = pl.lit(True)
    if start is not None:
        in_window = in_window & (pl.col("day") >= start)
    if end is not None:
        in_window = in_window & (pl.col("day") <= end)
    wip_window = (
        wip.filter(in_window)
        .group_by("offering")
        .agg(
            window_start=pl.col("day").min(),
            window_end=pl.col("day").max(),
            days=pl.len().cast(pl.Int64),
            average_wip=pl.col("wip").mean(),
        )
    )
    completed = (
        cases.filter(pl.col("completed"))
        .with_columns(day=_end_of_day_index(pl.col("last_end")))
        .join(wip_window.select("offering", "window_start", "window_end"), on="offering")
        .filter(pl.col("day").is_between(pl.col("window_start"), pl.col("window_end")))
        .group_by("offering")
        .agg(
            completed_cases=pl.len(),
            mean_lead_time_days=pl.col("lead_time_s").mean() / DAY,
        )
    )
    frame = (
        wip_window.join(completed, on="offering", how="left")
        .with_columns(
            pl.col("completed_cases").fill_null(0),
            throughput_per_day=pl.col("completed_cases").fill_null(0) / pl.col("days"),
        )
        .with_columns(expected_wip=pl.col("throughput_per_day") * pl.col("mean_lead_time_days"))
        .with_columns(
            wip_ratio=pl.when(pl.col("expected_wip") > 0).then(
                pl.col("average_wip") / pl.col("expected_wip")
            )
        )
        .sort("offering")
    )
    return conform(frame, LITTLE_SCHEMA)
