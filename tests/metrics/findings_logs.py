"""Seeded synthetic logs with planted patterns, for the findings' tests and benchmark.

One offering, "Synthetic": Intake → Review → Build → Test → Ship (the end
activity). Cases arrive evenly for `weeks` weeks and the data ends when the
last one arrives, so the latest cases are still open, as in every real export
(the censoring trap a shift finder must not fall into). The case's owner does
Intake to Test; Logistics ships, so Ship is the one hand-off. Waits and process
times are lognormal. Each case has a `region` (North, South, East, West) and a
`channel` (web, phone) in its events' JSON attributes.

With `Plants()` nothing is planted: no shift, no attribute effect, no loop, no
erratic step; the only finding it should give is its bottleneck (Review).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

OFFERING = "Synthetic"
START = datetime(2025, 1, 6, tzinfo=UTC)
"""A Monday: week boundaries fall on day multiples of 7 from here."""
STEPS = ("Intake", "Review", "Build", "Test", "Ship")
WAIT_DAYS = {"Review": 4.0, "Build": 2.0, "Test": 1.0, "Ship": 1.0}
PROCESS_MIN = {"Intake": 30.0, "Review": 120.0, "Build": 480.0, "Test": 120.0, "Ship": 60.0}
OWNERS = ("Ana", "Ben", "Cy", "Dee")
SHIPPERS = ("Lou", "Max")
REGIONS = ("North", "South", "East", "West")
CHANNELS = ("web", "phone")
_US = 1_000_000
_DAY_US = 86_400 * _US
_MIN_US = 60 * _US


@dataclass(frozen=True)
class Plants:
    """What to plant; the defaults plant nothing."""

    lead_shift_at: datetime | None = None
    lead_factor: float = 1.0
    """Every wait of a case started at or after `lead_shift_at` is multiplied by this."""
    wait_shift_step: str | None = None
    wait_shift_at: datetime | None = None
    wait_shift_factor: float = 1.0
    """A wait before `wait_shift_step` that begins at or after `wait_shift_at` is multiplied by this."""
    slow_region: str | None = None
    region_factor: float = 1.0
    """Every wait of a case of `slow_region` is multiplied by this."""
    loop_p: float = 0.0
    """After Test, the case goes back to Build (and Test again) with this probability, once."""
    erratic_step: str | None = None
    """One wait in ten before this step is 20 times as long."""
    ship_wait_days: float | None = None
    """The median wait before Ship (the hand-off to Logistics)."""
    waste_step: str | None = None
    standard_minutes: dict[str, float] = field(default_factory=dict)
    weeks: int = 40
    per_week: float = 25.0
    wait_sigma: float = 0.6
    wait_scale: float = 1.0
    """Every wait is multiplied by this (4: lead times of five weeks, open cases for as long)."""


def _lognormal(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def synthetic_log(seed: int, plants: Plants | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(events, catalog) of one seeded synthetic log: the warehouse's frames, attributes as JSON."""
    p = plants or Plants()
    rng = np.random.default_rng(seed)
    start_us = int(START.timestamp() * _US)
    end_us = start_us + p.weeks * 7 * _DAY_US
    n = int(p.weeks * p.per_week)
    arrivals = np.sort(rng.integers(start_us, end_us, n))
    owner = rng.integers(0, len(OWNERS), n)
    region = rng.integers(0, len(REGIONS), n)
    channel = rng.integers(0, len(CHANNELS), n)
    case_factor = np.full(n, p.wait_scale)
    if p.lead_shift_at is not None:
        shifted = arrivals >= int(p.lead_shift_at.timestamp() * _US)
        case_factor *= np.where(shifted, p.lead_factor, 1.0)
    if p.slow_region is not None:
        case_factor *= np.where(region == REGIONS.index(p.slow_region), p.region_factor, 1.0)
    looped = rng.random(n) < p.loop_p
    plan = ["Intake", "Review", "Build", "Test", "Build", "Test", "Ship"]
    in_loop = [False, False, False, False, True, True, False]

    rows: list[tuple[np.ndarray, str, np.ndarray, np.ndarray, np.ndarray]] = []
    prev_end = arrivals
    for activity, loop_slot in zip(plan, in_loop, strict=True):
        on = looped if loop_slot else np.ones(n, dtype=bool)
        if activity == "Intake":
            wait = np.zeros(n)
        else:
            median = WAIT_DAYS[activity]
            if activity == "Ship" and p.ship_wait_days is not None:
                median = p.ship_wait_days
            wait = _lognormal(rng, median * _DAY_US, p.wait_sigma, n) * case_factor
            if activity == p.erratic_step:
                wait *= np.where(rng.random(n) < 0.1, 20.0, 1.0)
            if activity == p.wait_shift_step and p.wait_shift_at is not None:
                began_after = prev_end >= int(p.wait_shift_at.timestamp() * _US)
                wait *= np.where(began_after, p.wait_shift_factor, 1.0)
        process = _lognormal(rng, PROCESS_MIN[activity] * _MIN_US, 0.3, n)
        start = prev_end + wait.astype(np.int64)
        end = start + process.astype(np.int64)
        resource = (
            np.array(SHIPPERS)[rng.integers(0, len(SHIPPERS), n)]
            if activity == "Ship"
            else np.array(OWNERS)[owner]
        )
        # Unfinished steps are not in an export: the case is open.
        emitted = on & (end <= end_us)
        rows.append(
            (np.nonzero(emitted)[0], activity, start[emitted], end[emitted], resource[emitted])
        )
        prev_end = np.where(on, end, prev_end)

    case = np.concatenate([r[0] for r in rows])
    attributes = pl.DataFrame(
        {
            "case": np.arange(n),
            "attributes": [
                json.dumps({"region": REGIONS[region[i]], "channel": CHANNELS[channel[i]]})
                for i in range(n)
            ],
        }
    )
    frame = pl.DataFrame(
        {
            "case": case,
            "activity": np.concatenate([np.full(r[0].size, r[1]) for r in rows]),
            "start_us": np.concatenate([r[2] for r in rows]),
            "end_us": np.concatenate([r[3] for r in rows]),
            "resource": np.concatenate([r[4] for r in rows]),
        }
    ).sort("case", "start_us")
    events = frame.join(attributes, on="case", how="left", maintain_order="left").select(
        offering=pl.lit(OFFERING),
        case_id=pl.format("S-{}", pl.col("case").cast(pl.String).str.zfill(5)),
        activity="activity",
        start=pl.col("start_us").cast(pl.Datetime("us", "UTC")),
        end=pl.col("end_us").cast(pl.Datetime("us", "UTC")),
        resource="resource",
        attributes="attributes",
        source_row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        import_id=pl.lit(1, pl.Int64),
        event_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
    )
    catalog = pl.DataFrame(
        {
            "offering": [OFFERING] * len(STEPS),
            "activity": list(STEPS),
            "value_class": ["waste" if s == p.waste_step else "unclassified" for s in STEPS],
            "kind": ["work"] * len(STEPS),
            "standard_minutes": [p.standard_minutes.get(s) for s in STEPS],
            "is_end_activity": [s == "Ship" for s in STEPS],
            "display_order": list(range(1, len(STEPS) + 1)),
        },
        schema={
            "offering": pl.String(),
            "activity": pl.String(),
            "value_class": pl.String(),
            "kind": pl.String(),
            "standard_minutes": pl.Float64(),
            "is_end_activity": pl.Boolean(),
            "display_order": pl.Int32(),
        },
    )
    return events, catalog


def week_of(instant: datetime) -> datetime:
    """The Monday 00:00 UTC starting the week of `instant`."""
    day = instant.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
