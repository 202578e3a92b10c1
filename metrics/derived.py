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
    events: pl.DataFrame,
    catalog: pl.DataFrame,
    open_items: pl.DataFrame | None = None,
    *,
    calendar: CalendarSpec = None,
) -> Derived:
    """Derive every case of `events` (the warehouse's events frame) with `catalog`.

    `open_items` (the warehouse's open items: the status each unfinished item of a
    status history is in now) make their cases open with that status as the current
    step, and add the items that have not left their first status as cases; "now"
    is then the latest of the events' ends and the items' entry times.

    With `calendar` (one `Calendar` for every offering, or a mapping from
    offering to its calendar), every duration counts working time only.
    """
    ends = [events["end"].max()] if events.height else []
    if open_items is not None and open_items["entered"].null_count() < open_items.height:
        ends.append(open_items["entered"].max())
    now = max(ends) if ends else None  # type: ignore[type-var]
    first = events.select(pl.min_horizontal(pl.col("start").min(), pl.col("end").min())).item()
    clock = clock_for(calendar, first, now)  # type: ignore[arg-type]
    instances = derive_instances(events.lazy(), catalog.lazy(), clock).collect(engine=ENGINE)
    opened = None if open_items is None else open_items.lazy()
    cases = case_table(instances.lazy(), opened, clock=clock).collect(engine=ENGINE)
    return Derived(instances, cases, now, clock)  # type: ignore[arg-type]
