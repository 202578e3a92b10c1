"""Forecasts: when will N items be done, how many will be done in D days, and when each
item in progress is likely done.

**Throughput history.** The offering's completed cases per UTC calendar day
(by completion date, METRICS.md "Throughput"), days with none counting as
zero, over the last `history_days` days up to and including the day of its
latest event (any event: `now`). The history never starts before the day of
the offering's first event: days before the stream existed are not days on
which nothing was finished.

**Monte Carlo.** Each run draws days from that history, with replacement,
one per future day, starting with the day after the latest event:

- `items N`: the run's result is the number of days k until the drawn
  throughputs add up to at least N; N items are then done on the k-th day
  after the latest event. `done_by.pXX` is the first date by which at least
  XX% of the runs were done ("85% likely done by 12 Dec").
- `days D`: the run's result is the sum of D drawn days. `items_done.pXX` is
  the largest number that at least XX% of the runs reached: "at least this
  many with XX% probability", so p85 is the 15th percentile of the runs.

Both are read off the sorted runs exactly (no interpolation: a date is a whole
day and an item a whole item). Runs are drawn with numpy's seeded Generator,
vectorised in blocks of days: the same seed gives the same answer.

**Likely done by, per item in progress.** For an open case of age a (now −
its first start, METRICS.md "Aging"), the completed cases of its offering
whose lead time is longer than a are the cases that were once as old as it
is and still not done. Their lead times' p50/p85/p95 (linear interpolation),
counted from the item's first start, are the dates by which it is likely
done. With fewer than `min_cases` such cases (an item older than nearly every
finished one) there is no estimate. Ages and lead times are read on the same
clock (working time when a calendar is on).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from metrics.flow import aging
from metrics.stats import conform, json_number
from metrics.summary import ENGINE
from metrics.working_time import REAL_TIME, Clock, clock_of

PERCENTS = (50, 85, 95)
DEFAULT_RUNS = 10_000
DEFAULT_HISTORY_DAYS = 90
DEFAULT_SEED = 0
"""The default seed: a page shows the same forecast on every visit."""

_BLOCK_CELLS = 4_000_000


def daily_throughput(
    cases: pl.LazyFrame, history_days: int = DEFAULT_HISTORY_DAYS, now: datetime | None = None
) -> pl.DataFrame:
    """Completed cases per UTC day of the throughput history (`day`, `completed_cases`).

    `cases` is one offering's case table (every case, not a filtered view);
    `now` defaults to its latest event (the latest `last_end`).
    """
    if history_days < 1:
        raise ValueError(f"The history must be at least one day, not {history_days}.")
    bounds = cases.select(
        first=pl.col("first_start").min().dt.date(), last=pl.col("last_end").max().dt.date()
    ).collect(engine=ENGINE)
    last_day = bounds["last"][0] if now is None else now.astimezone(UTC).date()
    if last_day is None:
        return pl.DataFrame(schema={"day": pl.Date, "completed_cases": pl.UInt32})
    first_day = max(last_day - timedelta(days=history_days - 1), bounds["first"][0] or last_day)
    days = pl.DataFrame({"day": pl.date_range(first_day, last_day, "1d", eager=True)})
    done = (
        cases.filter(pl.col("completed"))
        .group_by(day=pl.col("last_end").dt.date())
        .agg(completed_cases=pl.len())
        .collect(engine=ENGINE)
    )
    return days.join(done, on="day", how="left").select(
        "day", pl.col("completed_cases").fill_null(0).cast(pl.UInt32)
    )


def days_until(
    daily: np.ndarray, items: int, runs: int = DEFAULT_RUNS, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """For each run, the number of drawn days until `daily` draws add up to `items` (≥ 1).

    `daily` must have some day above zero.
    """
    rng = np.random.default_rng(seed)
    sample = np.asarray(daily, dtype=np.int64)
    mean = float(sample.mean())
    block = max(8, math.ceil(1.5 * items / mean) + 8)
    block = min(block, max(8, _BLOCK_CELLS // runs))
    result = np.zeros(runs, dtype=np.int64)
    done_so_far = np.zeros(runs, dtype=np.int64)
    open_runs = np.arange(runs)
    drawn = 0
    while open_runs.size:
        draws = sample[rng.integers(0, sample.size, size=(open_runs.size, block))]
        totals = done_so_far[open_runs, None] + np.cumsum(draws, axis=1)
        reached = totals >= items
        finished = reached.any(axis=1)
        result[open_runs[finished]] = drawn + reached[finished].argmax(axis=1) + 1
        done_so_far[open_runs] = totals[:, -1]
        open_runs = open_runs[~finished]
        drawn += block
    return result


def items_within(
    daily: np.ndarray, days: int, runs: int = DEFAULT_RUNS, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """For each run, the items done in `days` drawn days."""
    rng = np.random.default_rng(seed)
    sample = np.asarray(daily, dtype=np.int64)
    totals = np.zeros(runs, dtype=np.int64)
    step = max(1, _BLOCK_CELLS // runs)
    for first in range(0, days, step):
        width = min(step, days - first)
        totals += sample[rng.integers(0, sample.size, size=(runs, width))].sum(axis=1)
    return totals


def _at_least_share(sorted_runs: np.ndarray, percent: int) -> int:
    """How many runs make `percent`% of them (rounded up)."""
    return -(-percent * sorted_runs.size // 100)


def _check(name: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{name} must be at least 1, not {value}.")


def _history(
    cases: pl.LazyFrame, history_days: int, now: datetime | None
) -> tuple[pl.DataFrame, dict[str, Any]]:
    daily = daily_throughput(cases, history_days, now)
    counts = daily["completed_cases"]
    return daily, {
        "history_days": daily.height,
        "history": {
            "from": daily["day"][0].isoformat() if daily.height else None,
            "to": daily["day"][-1].isoformat() if daily.height else None,
            "completed_cases": int(counts.sum()),
        },
        "throughput_per_day": {"mean": json_number(counts.mean()) if daily.height else None},
    }


def forecast_items(
    cases: pl.LazyFrame,
    items: int,
    history_days: int = DEFAULT_HISTORY_DAYS,
    runs: int = DEFAULT_RUNS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    offering: str | None = None,
) -> dict[str, Any]:
    """When `items` more items will be done, as one JSON-ready dict:

    `{"offering", "history_days", "history": {"from", "to", "completed_cases"},
    "throughput_per_day": {"mean"}, "runs", "seed", "items", "done_by": {"p50",
    "p85", "p95"}}`, dates as ISO strings, null when nothing was completed in
    the history. `cases` is one offering's case table (every case).
    """
    _check("items", items)
    _check("runs", runs)
    daily, head = _history(cases, history_days, now)
    done_by: dict[str, str | None] = {f"p{p}": None for p in PERCENTS}
    if head["history"]["completed_cases"]:
        needed = np.sort(days_until(daily["completed_cases"].to_numpy(), items, runs, seed))
        last_day: date = daily["day"][-1]
        for p in PERCENTS:
            k = int(needed[_at_least_share(needed, p) - 1])
            done_by[f"p{p}"] = (last_day + timedelta(days=k)).isoformat()
    return {
        "offering": offering,
        **head,
        "runs": runs,
        "seed": seed,
        "items": items,
        "done_by": done_by,
    }


def forecast_days(
    cases: pl.LazyFrame,
    days: int,
    history_days: int = DEFAULT_HISTORY_DAYS,
    runs: int = DEFAULT_RUNS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    offering: str | None = None,
) -> dict[str, Any]:
    """How many items will be done in the `days` days after the latest event, as one
    JSON-ready dict: `{"offering", "history_days", "history", "throughput_per_day":
    {"mean"}, "runs", "seed", "days", "items_done": {"p50", "p85", "p95"}}`, where
    `pXX` is "at least this many with XX% probability" (null without a history)."""
    _check("days", days)
    _check("runs", runs)
    daily, head = _history(cases, history_days, now)
    items_done: dict[str, int | None] = {f"p{p}": None for p in PERCENTS}
    if daily.height:
        reached = np.sort(items_within(daily["completed_cases"].to_numpy(), days, runs, seed))
        for p in PERCENTS:
            items_done[f"p{p}"] = int(reached[reached.size - _at_least_share(reached, p)])
    return {
        "offering": offering,
        **head,
        "runs": runs,
        "seed": seed,
        "days": days,
        "items_done": items_done,
    }


LIKELY_DONE_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "case_id": pl.String(),
    "first_start": pl.Datetime("us", "UTC"),
    "age_s": pl.Float64(),
    "current_step": pl.String(),
    "basis_cases": pl.UInt32(),
    **{f"likely_done_p{p}": pl.Datetime("us", "UTC") for p in PERCENTS},
}
"""One row per open case, oldest first: `basis_cases` = completed cases of its offering
whose lead time is longer than its age; `likely_done_pXX` = first start + their pXX
lead time (null with fewer than `min_cases` of them)."""


def _conditional_percentiles(
    leads: np.ndarray, ages: np.ndarray, q: float, min_cases: int
) -> tuple[np.ndarray, np.ndarray]:
    """The q-quantile (linear) of the lead times above each age, and how many there are."""
    first = np.searchsorted(leads, ages, side="right")
    count = leads.size - first
    position = first + q * np.maximum(count - 1, 0)
    low = np.floor(position).astype(np.int64).clip(0, max(leads.size - 1, 0))
    high = np.minimum(low + 1, first + np.maximum(count - 1, 0)).clip(0, max(leads.size - 1, 0))
    if leads.size == 0:
        return np.full(ages.size, np.nan), count
    value = leads[low] + (position - low) * (leads[high] - leads[low])
    return np.where(count >= min_cases, value, np.nan), count


def likely_done_by(
    cases: pl.LazyFrame, now: datetime, clock: Clock = REAL_TIME, min_cases: int = 5
) -> pl.DataFrame:
    """When each open case is likely done (LIKELY_DONE_SCHEMA; see the module docstring).

    `cases` is the case table (every case of the offerings: the completed ones
    are the basis), `now` the latest event, `clock` the clock the cases were
    derived with.
    """
    _check("min_cases", min_cases)
    table = cases.collect(engine=ENGINE)
    open_cases = aging(table.lazy(), now, clock).collect(engine=ENGINE)
    out: list[pl.DataFrame] = []
    for (offering,), group in open_cases.group_by(["offering"], maintain_order=True):
        leads = np.sort(
            table.filter(pl.col("completed") & (pl.col("offering") == offering))["lead_time_s"]
            .drop_nulls()
            .to_numpy()
        )
        ages = group["age_s"].to_numpy()
        on = clock_of(clock, str(offering))
        starts = group.select(on.us(pl.col("first_start")))[:, 0].to_numpy()
        columns: dict[str, Any] = {}
        count = np.zeros(ages.size, dtype=np.int64)
        for p in PERCENTS:
            value, count = _conditional_percentiles(leads, ages, p / 100, min_cases)
            known = ~np.isnan(value)
            readings = starts + np.where(known, np.round(value * 1_000_000), 0).astype(np.int64)
            instants = on.instant_at(readings)
            columns[f"likely_done_p{p}"] = (
                pl.Series(instants).dt.replace_time_zone("UTC").set(pl.Series(~known), None)
            )
        out.append(group.with_columns(basis_cases=pl.Series(count), **columns))
    if not out:
        return pl.DataFrame(schema=LIKELY_DONE_SCHEMA)
    return conform(pl.concat(out).lazy(), LIKELY_DONE_SCHEMA).collect()


if __name__ == "__main__":  # python -m metrics.forecast: the `forecast` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("forecast"))
