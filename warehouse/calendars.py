"""Working-time calendars: one per offering, switched on or off.

A calendar is stored as its JSON form (docs/REDESIGN.md: a time zone, the working
hours of each weekday, holidays) with a switch: while it is on, every duration
of that offering counts working time only. Off by default; switching it off
keeps the hours for next time. Saving changes the warehouse's data version, so
every page derives its figures again on the new clock.

What makes a calendar valid is `metrics.working_time.calendar_problems`, which
the app and the command line apply before saving.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from warehouse.db import Warehouse, WarehouseError

CALENDAR_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "definition": pl.String(),
    "is_on": pl.Boolean(),
    "saved_at": pl.Datetime("us", "UTC"),
    "saved_by": pl.String(),
}
"""One row per offering with a calendar; `definition` is the calendar's JSON text."""


@dataclass(frozen=True)
class StoredCalendar:
    offering: str
    definition: dict[str, Any]
    is_on: bool
    saved_at: datetime
    saved_by: str


def calendars(wh: Warehouse) -> pl.DataFrame:
    """Every offering's calendar, by offering (CALENDAR_SCHEMA)."""
    frame = wh.read(
        "SELECT offering, CAST(definition AS VARCHAR) AS definition, is_on, saved_at, saved_by "
        "FROM calendars ORDER BY offering"
    )
    return frame.cast(CALENDAR_SCHEMA)  # type: ignore[arg-type]


def get_calendar(wh: Warehouse, offering: str) -> StoredCalendar | None:
    """The offering's calendar, or None when it has none."""
    frame = calendars(wh).filter(pl.col("offering") == offering)
    if frame.height == 0:
        return None
    row = frame.row(0, named=True)
    return StoredCalendar(**{**row, "definition": json.loads(row["definition"])})


def calendars_on(wh: Warehouse) -> dict[str, dict[str, Any]]:
    """The JSON form of each calendar that is on, by offering."""
    frame = calendars(wh).filter(pl.col("is_on"))
    return {row["offering"]: json.loads(row["definition"]) for row in frame.iter_rows(named=True)}


def save_calendar(
    wh: Warehouse, offering: str, definition: Mapping[str, Any], on: bool
) -> StoredCalendar:
    """Store the offering's calendar (a valid calendar's JSON form) and its switch,
    replacing the one it had."""
    offering = str(offering or "").strip()
    if not offering:
        raise WarehouseError("A calendar belongs to an offering: name one.")
    with wh.write("save calendar", offering, {"on": on}) as cur:
        cur.execute("DELETE FROM calendars WHERE offering = ?", [offering]).complete()
        cur.execute(
            "INSERT INTO calendars (offering, definition, is_on, saved_at, saved_by) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                offering,
                json.dumps(dict(definition), ensure_ascii=False),
                bool(on),
                datetime.now(UTC),
                wh.actor.name,
            ],
        ).complete()
        wh.rederive(cur, [offering])
    stored = get_calendar(wh, offering)
    assert stored is not None
    return stored
