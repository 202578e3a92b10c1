"""Throughput, arrivals, WIP, aging and Little's law."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.cases import case_table
from metrics.flow import (
    AGING_SCHEMA,
    FLOW_SCHEMA,
    WIP_SCHEMA,
    aging,
    flow_per_period,
    littles_law,
    wip_daily,
)
from tests.metrics.frames import H, at, cases_of, derive, events

D = 24.0
# Three completed cases (ending in Close) and one open one (ends in A).
LOG = events(
    [
        ("1", "A", 0, 1),
        ("1", "Close", 1, 2),  # day 1, done the same day
        ("2", "A", 10, 11),
        ("2", "Close", 2 * D + 5, 2 * D + 6),  # day 1 → day 3
        ("3", "A", D + 1, D + 2),
        ("3", "Close", 3 * D, 3 * D),  # day 2 → exactly midnight day 4
        ("4", "A", D + 3, D + 4),  # day 2, still open
    ]
)


def _cases() -> pl.DataFrame:
    return cases_of(derive(LOG))


def test_flow_per_day() -> None:
    out = flow_per_period(_cases().lazy(), "1d").collect()
    expected = pl.DataFrame(
        [
            ("O", date(2024, 1, 1), 2, 1),
            ("O", date(2024, 1, 2), 2, 0),
            ("O", date(2024, 1, 3), 0, 1),
            ("O", date(2024, 1, 4), 0, 1),
        ],
        schema=FLOW_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)


def test_flow_per_month() -> None:
    out = flow_per_period(_cases().lazy(), "1mo").collect()
    assert out.rows() == [("O", date(2024, 1, 1), 4, 3)]


def test_wip_at_the_end_of_each_day() -> None:
    out = wip_daily(_cases().lazy()).collect()
    expected = pl.DataFrame(
        [
            # Case 1 starts exactly at midnight, the instant that ends 31 December:
            # min(start) ≤ t, so it is in that day's WIP.
            ("O", date(2023, 12, 31), 1),
            ("O", date(2024, 1, 1), 1),  # case 2 (case 1 finished at 02:00)
            ("O", date(2024, 1, 2), 3),  # cases 2, 3, 4
            # Case 3 ends exactly at the midnight closing 3 January: not "completed
            # after" it, so only the open case 4 remains.
            ("O", date(2024, 1, 3), 1),
        ],
        schema=WIP_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)


def test_aging_of_open_cases() -> None:
    out = aging(_cases().lazy()).collect()
    expected = pl.DataFrame(
        [("O", "4", at(D + 3), at(D + 4), (3 * D - (D + 3)) * H, "A", 1)],
        schema=AGING_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)


def test_aging_with_explicit_now() -> None:
    now = datetime(2024, 1, 5, tzinfo=UTC)
    out = aging(_cases().lazy(), now=now).collect()
    assert out["age_s"].to_list() == [(4 * D - (D + 3)) * H]


def test_littles_law() -> None:
    out = littles_law(_cases().lazy()).collect()
    lead_days = (2 + (2 * D + 6 - 10) + (3 * D - (D + 1))) / 3 / D
    row = out.row(0, named=True)
    assert (row["window_start"], row["window_end"], row["days"]) == (
        date(2023, 12, 31),
        date(2024, 1, 3),
        4,
    )
    assert row["average_wip"] == 6 / 4
    assert row["completed_cases"] == 3
    assert row["throughput_per_day"] == 3 / 4
    assert row["mean_lead_time_days"] == pytest.approx(lead_days, rel=1e-12)
    assert row["expected_wip"] == pytest.approx(3 / 4 * lead_days, rel=1e-12)
    assert row["wip_ratio"] == pytest.approx(1.5 / (3 / 4 * lead_days), rel=1e-12)


def test_littles_law_window() -> None:
    out = littles_law(_cases().lazy(), start=date(2024, 1, 2), end=date(2024, 1, 2)).collect()
    assert out.select("days", "average_wip", "completed_cases").row(0) == (1, 3.0, 0)
    assert out["wip_ratio"].to_list() == [None]


def test_open_items_count_in_wip_arrivals_and_aging() -> None:
    # Case 5 has not left its first status, "Queue", entered at day 3 01:00; case 4 has
    # been in "Review" since its A ended (day 2 04:00).
    items = pl.DataFrame(
        {
            "offering": ["O", "O"],
            "case_id": ["4", "5"],
            "activity": ["Review", "Queue"],
            "entered": [at(D + 4), at(2 * D + 1)],
        },
        schema_overrides={"entered": pl.Datetime("us", "UTC")},
    )
    cases = case_table(derive(LOG).lazy(), items.lazy())
    assert wip_daily(cases).collect()["wip"].to_list() == [1, 1, 3, 2]
    assert flow_per_period(cases, "1d").collect()["started_cases"].to_list() == [2, 2, 1, 0]
    out = aging(cases).collect()
    # Now is the latest end, day 4 00:00: case 4 is 45 h old, case 5 23 h, in their statuses.
    assert out.select("case_id", "age_s", "current_step", "n_instances").rows() == [
        ("4", (3 * D - (D + 3)) * H, "Review", 1),
        ("5", (3 * D - (2 * D + 1)) * H, "Queue", 0),
    ]
