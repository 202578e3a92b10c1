"""Stream health's tiles while an offering's figures are still being stored: the "no
data since" note still compares every offering, the pending one's latest event
included (ui.health_screen.streams_latest)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from metrics.periods import PERIOD_SCHEMA, quiet_offerings
from ui.health_screen import streams_latest

OCT = datetime(2026, 10, 1, tzinfo=UTC)
JUN = datetime(2026, 6, 1, tzinfo=UTC)


def _rows(latest: dict[str, datetime]) -> pl.DataFrame:
    """Stream health rows (only what the note reads) of offerings with these latest events."""
    return pl.DataFrame(
        {"offering": list(latest), "latest": list(latest.values())},
        schema={"offering": pl.String(), "latest": pl.Datetime("us", "UTC")},
    )


def _bounds(latest: dict[str, datetime]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "offering": list(latest),
            "period_start": [None] * len(latest),
            "period_end": [None] * len(latest),
            "latest": list(latest.values()),
        },
        schema=PERIOD_SCHEMA,
    )


BOUNDS = _bounds({"Old": JUN, "New": OCT})


def test_a_quiet_stream_is_told_while_the_newest_is_pending() -> None:
    rows = _rows({"Old": JUN})  # "New", the newest, is still being stored
    assert quiet_offerings(rows) == {}  # its own rows alone: nothing to compare with
    assert quiet_offerings(streams_latest(rows, BOUNDS, ["New"])) == {"Old": JUN}


def test_a_pending_quiet_stream_is_told_too() -> None:
    rows = _rows({"New": OCT})
    assert quiet_offerings(streams_latest(rows, BOUNDS, ["Old"])) == {"Old": JUN}


def test_with_nothing_pending_the_rows_are_read_as_they_are() -> None:
    rows = _rows({"Old": JUN, "New": OCT})
    assert streams_latest(rows, BOUNDS, []).equals(rows)
    assert quiet_offerings(streams_latest(rows, BOUNDS, [])) == {"Old": JUN}
