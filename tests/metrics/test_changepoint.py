"""Level shifts: ruptures' split, the vectorised gains behind the permutation test, and its calibration."""

from __future__ import annotations

import numpy as np
import pytest

from metrics.changepoint import best_split, level_shifts, seed_for, split_gains


def _between_ss(x: np.ndarray, k: int) -> float:
    """Sum of squares the split before point k removes, computed the long way."""
    left, right = x[:k], x[k:]
    total = ((x - x.mean()) ** 2).sum()
    return float(total - ((left - left.mean()) ** 2).sum() - ((right - right.mean()) ** 2).sum())


def test_split_gains_are_the_between_segment_sums_of_squares() -> None:
    x = np.random.default_rng(3).normal(size=17)
    gains = split_gains(x, min_size=4)[0]
    assert gains.size == 17 - 2 * 4 + 1
    expected = [_between_ss(x, k) for k in range(4, 17 - 4 + 1)]
    np.testing.assert_allclose(gains, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_ruptures_split_is_the_largest_gain(seed: int) -> None:
    x = np.random.default_rng(seed).normal(size=40)
    assert best_split(x, 4) == int(np.argmax(split_gains(x, 4)[0])) + 4


def test_a_clean_step_is_found_where_it_is() -> None:
    x = np.array([1.0] * 10 + [3.0] * 12)
    (shift,) = level_shifts(x, alpha=0.01, min_size=4, seed=1)
    assert (shift.index, shift.lo, shift.hi) == (10, 0, 22)
    assert shift.gain == pytest.approx(_between_ss(x, 10))
    # Only the two arrangements with every high point on one side reach that gain.
    assert shift.p_value == 1 / (shift.permutations + 1)


def test_two_steps_are_both_found() -> None:
    x = np.array([1.0] * 8 + [3.0] * 8 + [0.0] * 8)
    assert [s.index for s in level_shifts(x, alpha=0.01, min_size=4, seed=2)] == [8, 16]


def test_nothing_in_a_flat_or_short_series() -> None:
    assert level_shifts(np.ones(30), alpha=0.05, min_size=4, seed=1) == []
    assert level_shifts(np.array([0.0, 0, 0, 5, 5, 5, 5]), alpha=0.05, min_size=4, seed=1) == []


def test_the_same_seed_gives_the_same_p_value() -> None:
    x = np.random.default_rng(9).normal(size=30) + np.r_[np.zeros(15), np.full(15, 0.8)]
    first = level_shifts(x, alpha=0.05, min_size=4, seed=seed_for("a series"))
    again = level_shifts(x, alpha=0.05, min_size=4, seed=seed_for("a series"))
    assert first == again and first


def test_on_series_without_a_change_the_test_fires_at_about_its_level() -> None:
    rng = np.random.default_rng(20)
    fired = sum(
        bool(level_shifts(rng.normal(size=40), alpha=0.05, min_size=4, seed=i)) for i in range(200)
    )
    # Binomial(200, 0.05): 10 expected; a test that searched without paying for
    # the search would fire on most of them.
    assert 2 <= fired <= 20
