"""Sustained changes in the level of a series, each with a significance check.

Used by the findings (metrics.findings) on weekly series: the median lead time
of the cases started each week, the median wait before a step of the waits
that began each week.

Where: ruptures' binary segmentation with the least-squares ("l2") cost finds
the one split of a span that best separates two levels (for one split it is
exact: the split with the largest between-segment sum of squares). Both sides
keep at least `min_size` points, so a change must last to be found.

Whether it could be chance: a permutation test of that same statistic. Under
"no change" the points of the span are exchangeable, so shuffling them and
taking the best split again gives the distribution of the best split's gain
when nothing changed; the p-value is the share of shuffles whose best gain
reaches the observed one ((1 + count) / (1 + shuffles)). Testing the *best*
split, searched again on every shuffle, is what keeps the search itself from
making chance look like a change (a t-test at the chosen split would not).

More than one change: a significant split is recorded and both sides are
searched again, each with the same test; a side without a significant split
stops. Under "no change" only the first test can fire, so the chance of any
false change in a series is at most `alpha`.

The permutations are seeded (the same series always gives the same p-value)
and drawn in chunks, the first one small; a test stops as soon as its p-value
can no longer fall below `alpha`, so a quiet series costs a few hundred shuffles.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from model.imports import import_once

MIN_PERMUTATIONS = 1999
MAX_PERMUTATIONS = 49_999
_FIRST_CHUNK = 500
_CHUNK = 10_000


@dataclass(frozen=True)
class LevelShift:
    """A change of level at `index` (the first point of the new level) within the span [lo, hi)."""

    index: int
    lo: int
    hi: int
    gain: float
    """Between-segment sum of squares of the split (the l2 cost it removes)."""
    p_value: float
    """Permutation p-value of the best split of the span (not corrected for other series)."""
    permutations: int


def split_gains(values: np.ndarray, min_size: int) -> np.ndarray:
    """Between-segment sum of squares of every admissible split, per row of `values`.

    `values` is (rows, n); column j of the result is the split before point
    `min_size + j` (both sides at least `min_size` long).
    """
    x = np.atleast_2d(np.asarray(values, dtype=float))
    n = x.shape[1]
    k = np.arange(min_size, n - min_size + 1)
    prefix = np.cumsum(x, axis=1)[:, k - 1]
    total = np.sum(x, axis=1, keepdims=True)
    return (prefix - k * total / n) ** 2 * n / (k * (n - k))


def seed_for(label: str) -> int:
    """A fixed seed from a text, so that every series has its own reproducible shuffles."""
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:8], "big")


def best_split(values: np.ndarray, min_size: int) -> int:
    """ruptures' best single split of `values` (the index where the second level starts)."""
    # Imported here: ruptures (with the scipy it loads) takes most of a second to import,
    # which every page importing metrics.findings would otherwise pay before drawing.
    rpt = import_once("ruptures")

    signal = np.asarray(values, dtype=float).reshape(-1, 1)
    algo = rpt.Binseg(model="l2", min_size=min_size, jump=1).fit(signal)
    return int(algo.predict(n_bkps=1)[0])


def permutation_p(
    values: np.ndarray, gain: float, min_size: int, alpha: float, rng: np.random.Generator
) -> tuple[float, int]:
    """(p-value, shuffles drawn) of a best-split gain as large as `gain` under "no change".

    Draws enough shuffles that p-values down to a fifth of `alpha` can be told
    apart (at least MIN_PERMUTATIONS, at most MAX_PERMUTATIONS), and stops early
    once a p-value below `alpha` is out of reach.
    """
    wanted = min(MAX_PERMUTATIONS, max(MIN_PERMUTATIONS, math.ceil(5 / alpha)))
    x = np.asarray(values, dtype=float)
    # A float tolerance so the observed arrangement itself, reshuffled, counts as reaching it.
    bar = gain * (1 - 1e-9)
    reached = drawn = 0
    size = _FIRST_CHUNK
    while drawn < wanted:
        size = min(size, wanted - drawn)
        shuffled = rng.permuted(np.tile(x, (size, 1)), axis=1)
        reached += int(np.count_nonzero(split_gains(shuffled, min_size).max(axis=1) >= bar))
        drawn += size
        if (1 + reached) / (1 + wanted) > alpha:
            break
        size = _CHUNK
    return (1 + reached) / (1 + drawn), drawn


def level_shifts(values: np.ndarray, *, alpha: float, min_size: int, seed: int) -> list[LevelShift]:
    """Every significant change of level in `values`, in order (see the module docstring).

    Each test is at level `alpha`; a series shorter than twice `min_size` has none.
    """
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    found: list[LevelShift] = []
    spans = [(0, x.size)]
    while spans:
        lo, hi = spans.pop(0)
        part = x[lo:hi]
        if part.size < 2 * min_size or np.ptp(part) == 0:
            continue
        k = best_split(part, min_size)
        gain = float(split_gains(part, min_size)[0, k - min_size])
        if gain <= 0:
            continue
        p, drawn = permutation_p(part, gain, min_size, alpha, rng)
        if p > alpha:
            continue
        found.append(LevelShift(lo + k, lo, hi, gain, p, drawn))
        spans += [(lo, lo + k), (lo + k, hi)]
    return sorted(found, key=lambda s: s.index)
