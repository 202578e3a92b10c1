"""The weekly lead-time trend, with recorded changes drawn on it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import polars as pl

from charts.health import lead_time_trend_chart


def _trend() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "offering": ["Shop", "Shop"],
            "period": [date(2026, 5, 25), date(2026, 6, 1)],
            "completed": [12, 15],
            "lead_time_s_p50": [40 * 86400.0, 30 * 86400.0],
            "lead_time_s_p85": [50 * 86400.0, 35 * 86400.0],
        }
    )


def test_trend_in_days_without_changes() -> None:
    spec = json.loads(lead_time_trend_chart(_trend()).to_json())
    assert len(spec["layer"]) == 1
    values = next(iter(spec["datasets"].values()))
    assert [v["median_d"] for v in values] == [40.0, 30.0]


def test_recorded_changes_are_dashed_rules_with_their_names() -> None:
    changes = pl.DataFrame(
        {
            "offering": ["Shop"],
            "name": ["Video approvals"],
            "changed_at": [datetime(2026, 6, 1, tzinfo=UTC)],
        }
    )
    spec = json.loads(lead_time_trend_chart(_trend(), changes).to_json())
    marks = [layer["mark"] for layer in spec["layer"]]
    assert {"type": "rule", "strokeDash": [4, 4], "color": "#555"} in marks
    assert "Video approvals" in json.dumps(spec["datasets"])
