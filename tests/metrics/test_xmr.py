"""XmR limits and signals against hand calculations (Wheeler's natural process limits)."""

from __future__ import annotations

import polars as pl
import pytest

from metrics.xmr import XMR_SCHEMA, xmr


def chart(values: list[float], baseline: int) -> pl.DataFrame:
    """The first `baseline` values are the baseline."""
    frame = pl.LazyFrame(
        {"lead": [float(v) for v in values], "base": [i < baseline for i in range(len(values))]},
        schema={"lead": pl.Float64, "base": pl.Boolean},
    )
    return xmr(frame, "lead", "base").collect()


def test_limits_come_from_the_baseline_only() -> None:
    # Baseline 10, 12, 11, 13, 9, 10: mean 65/6, moving ranges 2, 1, 2, 4, 1 → mean 2.
    out = chart([10, 12, 11, 13, 9, 10, 50, 60, 70], baseline=6)
    assert out.schema == pl.Schema(XMR_SCHEMA)
    assert out["centre"].unique().to_list() == [pytest.approx(65 / 6)]
    assert out["average_moving_range"][0] == pytest.approx(2.0)
    assert out["upper_limit"][0] == pytest.approx(65 / 6 + 2.66 * 2)
    assert out["lower_limit"][0] == pytest.approx(65 / 6 - 2.66 * 2)
    # The later points and the range from the last baseline point to the first
    # later one (40) do not move the limits.
    same = chart([10, 12, 11, 13, 9, 10, 1, 2, 3], baseline=6)
    assert same["upper_limit"][0] == out["upper_limit"][0]
    assert out["moving_range"].to_list()[:7] == [None, 2, 1, 2, 4, 1, 40]
    assert out["seq"].to_list() == list(range(1, 10))


def test_a_point_beyond_either_limit_is_a_signal() -> None:
    out = chart([10, 12, 11, 13, 9, 10, 17, 4.0, 11], baseline=6)
    # Limits 10.83 ± 5.32 = 5.51 … 16.15.
    assert out["beyond_limits"].to_list() == [False] * 6 + [True, True, False]
    assert out["signal"].to_list() == out["beyond_limits"].to_list()


def test_eight_in_a_row_on_one_side_is_a_signal_seven_is_not() -> None:
    base = [10.0, 6, 14, 8, 12, 10, 6, 14]  # mean 10, ends above it
    seven_below = chart([*base, 9, 9, 9, 9, 9, 9, 9, 11], baseline=8)
    assert not seven_below["in_run"].any()
    eight_below = chart([*base, 9, 9, 9, 9, 9, 9, 9, 9, 11], baseline=8)
    assert eight_below["in_run"].to_list() == [False] * 8 + [True] * 8 + [False]
    assert not eight_below["beyond_limits"].any()
    assert eight_below["signal"].sum() == 8


def test_a_point_on_the_centre_line_breaks_a_run() -> None:
    base = [10.0, 6, 14, 8, 12, 10, 6, 14]
    out = chart([*base, 9, 9, 9, 9, 10, 9, 9, 9, 9], baseline=8)
    assert not out["in_run"].any()


def test_a_run_can_start_in_the_baseline() -> None:
    out = chart([5.0, 6, 5, 6, 5, 6, 5, 6, 20, 20], baseline=10)
    # Mean 8.4: the first eight points are all below it.
    assert out["in_run"].to_list() == [True] * 8 + [False] * 2


def test_too_few_baseline_points_give_no_limits() -> None:
    out = chart([3.0, 4, 5], baseline=1)
    assert out["upper_limit"].null_count() == 3
    assert out["centre"][0] == 3.0
    assert not out["beyond_limits"].any()
    empty = chart([], baseline=0)
    assert empty.height == 0
