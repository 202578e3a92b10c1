"""Periods per offering: "the last 30 days" ends at each offering's own latest event.

A warehouse may hold a live stream beside a historical log (an export of 2011 next to
this month's orders). A period anchored to the newest event of the whole warehouse
would leave the historical stream with nothing in it, count every one of its cases
as "in progress" and stretch shared axes over fifteen years. So a relative period
("the last N days") is cut per offering, ending at the end of the day of that
offering's latest event; fixed dates are the same for every offering.

PERIOD_SCHEMA: per offering, `period_start` and `period_end` (half-open, UTC; null for
all time) and `latest`, the offering's latest event (a case's last end, or the entry
time of an item's current status).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from metrics.stats import conform
from model import UTC_MICROS

PERIOD_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "period_start": UTC_MICROS,
    "period_end": UTC_MICROS,
    "latest": UTC_MICROS,
}


def period_bounds(
    cases: pl.LazyFrame,
    *,
    days: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pl.LazyFrame:
    """Each offering's period (PERIOD_SCHEMA): the last `days` days up to and including the
    day of its latest event; else [start, end) for every offering; else all time."""
    latest = pl.col("last_end").max()
    frame = cases.group_by("offering").agg(latest=latest)
    if days is not None:
        day_end = (pl.col("latest").dt.truncate("1d") + pl.duration(days=1)).cast(UTC_MICROS)
        frame = frame.with_columns(
            period_end=day_end, period_start=day_end - pl.duration(days=days)
        )
    else:
        frame = frame.with_columns(
            period_start=pl.lit(start, dtype=UTC_MICROS),
            period_end=pl.lit(end, dtype=UTC_MICROS),
        )
    return conform(frame.sort("offering"), PERIOD_SCHEMA)


def previous(bounds: pl.LazyFrame) -> pl.LazyFrame:
    """The equally long period just before each offering's period (none for all time)."""
    length = pl.col("period_end") - pl.col("period_start")
    return bounds.with_columns(
        period_end=pl.col("period_start"), period_start=pl.col("period_start") - length
    )


def completed_in(cases: pl.LazyFrame, bounds: pl.LazyFrame) -> pl.LazyFrame:
    """The cases completed in their offering's period (every completed case for all time)."""
    ended = pl.col("last_end")
    inside = (pl.col("period_start").is_null() | (ended >= pl.col("period_start"))) & (
        pl.col("period_end").is_null() | (ended < pl.col("period_end"))
    )
    return (
        cases.join(
            bounds.select("offering", "period_start", "period_end"),
            on="offering",
            maintain_order="left",
        )
        .filter(pl.col("completed") & inside)
        .drop("period_start", "period_end")
    )


def in_progress_at_end(cases: pl.LazyFrame, bounds: pl.LazyFrame) -> pl.LazyFrame:
    """Per offering, the cases started by the end of its period and not completed by then
    (all time: the open cases)."""
    end = pl.col("period_end")
    started = end.is_null() | (pl.col("first_start") < end)
    not_done = ~pl.col("completed") | (end.is_not_null() & (pl.col("last_end") >= end))
    return (
        cases.join(bounds.select("offering", "period_end"), on="offering")
        .filter(started & not_done)
        .group_by("offering")
        .agg(pl.len().cast(pl.UInt32).alias("in_progress"))
    )


def quiet_offerings(bounds: pl.DataFrame, quiet_days: int = 30) -> dict[str, datetime]:
    """Offerings with no event in the `quiet_days` before the warehouse's latest event:
    their latest event, by name (a stream with no recent data is marked as such)."""
    if bounds.height == 0:
        return {}
    newest = bounds["latest"].max()
    assert isinstance(newest, datetime)
    quiet = bounds.filter(pl.col("latest") < newest - timedelta(days=quiet_days))
    return dict(zip(quiet["offering"].to_list(), quiet["latest"].to_list(), strict=True))


def overlapping_groups(spans: pl.DataFrame) -> list[list[str]]:
    """Offerings whose time spans overlap, grouped, earliest group first: offerings that
    share a time axis on a chart. `spans` has offering, `span_start`, `span_end`; an
    offering with no span (nothing to draw) is left out."""
    rows = spans.drop_nulls(["span_start", "span_end"]).sort("span_start", "offering")
    groups: list[list[str]] = []
    reach: datetime | None = None
    for offering, lo, hi in rows.select("offering", "span_start", "span_end").iter_rows():
        if reach is None or lo > reach:
            groups.append([offering])
            reach = hi
        else:
            groups[-1].append(offering)
            reach = max(reach, hi)
    return groups
