"""Literal frames for the metrics tests: hours after a fixed instant, one offering by default."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from metrics.cases import case_table
from metrics.derive import CATALOG_COLUMNS, derive_instances

T0 = datetime(2024, 1, 1, tzinfo=UTC)
H = 3600.0
UTC_US = pl.Datetime("us", "UTC")


def at(hours: float | None) -> datetime | None:
    """T0 + `hours`, or None (an unknown start)."""
    return None if hours is None else T0 + timedelta(hours=hours)


def events(
    rows: Sequence[tuple[str, str, float | None, float]], offering: str = "O"
) -> pl.DataFrame:
    """Events frame from (case_id, activity, start hour or None, end hour); event_id = row number."""
    return pl.DataFrame(
        {
            "offering": [offering] * len(rows),
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "start": [at(r[2]) for r in rows],
            "end": [at(r[3]) for r in rows],
            "resource": [None] * len(rows),
            "attributes": ["{}"] * len(rows),
            "event_id": list(range(1, len(rows) + 1)),
        },
        schema={
            "offering": pl.String,
            "case_id": pl.String,
            "activity": pl.String,
            "start": UTC_US,
            "end": UTC_US,
            "resource": pl.String,
            "attributes": pl.String,
            "event_id": pl.Int64,
        },
    )


def catalog(rows: Sequence[dict[str, Any]] = (), offering: str = "O") -> pl.DataFrame:
    """Catalog rows (activity plus any of value_class, kind, standard_minutes, is_end_activity)."""
    defaults = {
        "value_class": "unclassified",
        "kind": "work",
        "standard_minutes": None,
        "is_end_activity": None,
    }
    full = [{"offering": offering, **defaults, **row} for row in rows]
    return pl.DataFrame(full, schema=CATALOG_COLUMNS)


def derive(frame: pl.DataFrame, cat: pl.DataFrame | None = None) -> pl.DataFrame:
    return derive_instances(frame.lazy(), (cat if cat is not None else catalog()).lazy()).collect()


def cases_of(instances: pl.DataFrame) -> pl.DataFrame:
    return case_table(instances.lazy()).collect()
