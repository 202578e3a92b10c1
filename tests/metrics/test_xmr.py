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


# A baseline of mean 10 and average moving range 2: natural process limits 4.68 and
# 15.32, the midpoints between the centre and each limit 7.34 and 12.66, and the upper
# range limit 3.268 × 2 = 6.536.
STEADY = [9.0, 11, 9, 11, 9, 11, 9, 11]
MIDPOINT = 10 + 2.66 / 2 * 2


def rule(out: pl.DataFrame, column: str) -> list[int]:
    """The 0-based positions where `column` fired."""
    return [i for i, on in enumerate(out[column].to_list()) if on]


def test_three_of_four_nearer_the_same_limit_marks_those_three() -> None:
    out = chart([*STEADY, 13, 13, 10, 13, 10, 10], baseline=8)
    assert out["upper_limit"][0] == pytest.approx(15.32)
    assert rule(out, "three_of_four") == [8, 9, 11]
    assert rule(out, "beyond_limits") == [] and rule(out, "in_run") == []
    assert rule(out, "signal") == [8, 9, 11]
    below = chart([*STEADY, 7, 7, 10, 7], baseline=8)
    assert rule(below, "three_of_four") == [8, 9, 11]


def test_two_of_four_or_three_split_across_both_sides_is_no_signal() -> None:
    assert not chart([*STEADY, 13, 10, 13, 10, 10], baseline=8)["three_of_four"].any()
    assert not chart([*STEADY, 13, 7, 13, 7, 10], baseline=8)["three_of_four"].any()


def test_a_point_on_the_midpoint_is_as_near_the_centre_and_does_not_count() -> None:
    on_it = chart([*STEADY, MIDPOINT, MIDPOINT, MIDPOINT, 10], baseline=8)
    assert not on_it["three_of_four"].any()
    past_it = chart([*STEADY, 12.67, 12.67, 12.67, 10], baseline=8)
    assert rule(past_it, "three_of_four") == [8, 9, 10]


def test_a_point_beyond_a_limit_is_also_nearer_that_limit() -> None:
    out = chart([*STEADY, 16, 13, 13, 10], baseline=8)
    assert rule(out, "beyond_limits") == [8]
    assert rule(out, "three_of_four") == [8, 9, 10]


def test_three_of_four_needs_four_successive_points() -> None:
    # Two baseline points: mean 10, average moving range 2, the same limits as STEADY.
    assert not chart([9.0, 11, 13, 13], baseline=2)["three_of_four"].any()
    assert rule(chart([9.0, 11, 13, 13, 13], baseline=2), "three_of_four") == [2, 3, 4]


# Mean 10, moving ranges all 2, and its last point (14) past the upper midpoint.
RISING = [8.0, 10, 8, 10, 8, 10, 12, 14]


def test_a_three_of_four_window_straddles_the_change() -> None:
    out = chart([*RISING, 13, 13, 10], baseline=8)
    assert (out["centre"][0], out["average_moving_range"][0]) == (10.0, 2.0)
    assert rule(out, "three_of_four") == [7, 8, 9]


def test_a_run_straddles_the_change_eight_points_signal_seven_do_not() -> None:
    eight = chart([*RISING, 11, 11, 11, 11, 11, 11, 10], baseline=8)
    assert rule(eight, "in_run") == list(range(6, 14))
    seven = chart([*RISING, 11, 11, 11, 11, 11, 10], baseline=8)
    assert rule(seven, "in_run") == []


def test_a_moving_range_above_the_upper_range_limit() -> None:
    out = chart([*STEADY, 11, 18, 11.5], baseline=8)
    assert out["range_upper_limit"][0] == pytest.approx(6.536)
    assert out["moving_range"].to_list()[8:] == [0.0, 7.0, 6.5]
    assert rule(out, "range_beyond_limit") == [9]
    assert rule(out, "beyond_limits") == [9]


def test_without_limits_only_the_run_rule_can_fire() -> None:
    out = chart([10.0, 20, 20, 20, 20, 20, 20, 20, 20], baseline=1)
    assert out["upper_limit"].null_count() == out.height
    assert rule(out, "in_run") == list(range(1, 9))
    assert not out["three_of_four"].any() and not out["range_beyond_limit"].any()
