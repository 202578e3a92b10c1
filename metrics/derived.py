"""Every case of a set of events, derived once: the instances frame and the case table.

The pages, the report, the comparison and the benchmarks all start the same way:
derive each instance's case-dependent figures, then one row per case. This is
that start, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from metrics.cases import case_table
from metrics.derive import derive_instances
from metrics.summary import ENGINE
from metrics.working_time import REAL_TIME, CalendarSpec, Clock, clock_for


@dataclass(frozen=True)
class Derived:
    """`instances` (metrics.derive.INSTANCE_SCHEMA) and `cases` (metrics.cases.CASE_SCHEMA)
    of every case; `now` is the latest end in the data (None when there is none), the
    "now" of aging and of relative windows. `clock` is the clock every duration was
    read on (metrics.working_time): pass it on to the figures that take one (ages,
    the process map's projected waits) so they count the same time."""

    instances: pl.DataFrame
    cases: pl.DataFrame
    now: datetime | None
    clock: Clock = REAL_TIME

    @property
    def working_time(self) -> bool:
        """Whether durations count working time only (a calendar is on)."""
        return self.clock is not REAL_TIME


def derive_all(
    events: pl.DataFrame, catalog: pl.DataFrame, calendar: CalendarSpec = None
) -> Derived:
    """Derive every case of `events` (the warehouse's events frame) with `catalog`.

    With `calendar` (one `Calendar` for every offering, or a mapping from
    offering to its calendar), every duration counts working time only.
    """
    now = events["end"].max() if events.height else None
    first = events.select(pl.min_horizontal(pl.col("start").min(), pl.col("end").min())).item()
    clock = clock_for(calendar, first, now)  # type: ignore[arg-type]
    instances = derive_instances(events.lazy(), catalog.lazy(), clock).collect(engine=ENGINE)
    cases = case_table(instances.lazy(), clock).collect(engine=ENGINE)
    return Derived(instances, cases, now, clock)  # type: ignore[arg-type]
