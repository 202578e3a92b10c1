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


@dataclass(frozen=True)
class Derived:
    """`instances` (metrics.derive.INSTANCE_SCHEMA) and `cases` (metrics.cases.CASE_SCHEMA)
    of every case; `now` is the latest end in the data (None when there is none), the
    "now" of aging and of relative windows."""

    instances: pl.DataFrame
    cases: pl.DataFrame
    now: datetime | None


def derive_all(events: pl.DataFrame, catalog: pl.DataFrame) -> Derived:
    """Derive every case of `events` (the warehouse's events frame) with `catalog`."""
    instances = derive_instances(events.lazy(), catalog.lazy()).collect(engine=ENGINE)
    cases = case_table(instances.lazy()).collect(engine=ENGINE)
    now = events["end"].max() if events.height else None
    return Derived(instances, cases, now)  # type: ignore[arg-type]
