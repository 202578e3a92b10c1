"""How sure can we be: the tests behind every before / after figure.

Definitions implemented (../shared/METRICS.md, "Statistics"):

- Median difference (after − before) with a 95% percentile bootstrap interval,
  seeded, at least 2,000 resamples, each window resampled on its own (the
  windows are independent samples). Each resample's median is drawn directly
  from its two middle order statistics (`resampled_medians`), which has exactly
  the distribution of the median of n values drawn with replacement, in
  O(log n) binomial draws instead of n draws and a partition: at 10M events a
  window holds hundreds of thousands of waits, where resampling every value
  took seconds. The test suite checks it against `scipy.stats.bootstrap` and
  against every resample of small windows enumerated.
- Two-sided Mann–Whitney U p-value (`scipy.stats.mannwhitneyu`).
- Rework shares compared with the pooled two-proportion z test, which is the
  Pearson chi-squared test of the 2 × 2 table without continuity correction
  (`scipy.stats.chi2_contingency(..., correction=False)`).
- Holm's step-down correction of a family of p-values (family-wise error rate).

Plain numpy arrays in, numbers out: no polars and no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from model.imports import import_once

# scipy.stats is imported inside the two functions that use it: it takes over half a
# second to import, which every page importing this module would otherwise pay first.

ALPHA = 0.05
CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20_260_601


def _descend(
    lo: np.ndarray, hi: np.ndarray, m: np.ndarray, r: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Index of the r-th smallest of m draws uniform over the positions [lo, hi), per row.

    Halve the range: the number of the m draws in the lower half is binomial;
    go where the r-th lies. Exact, and about log2(hi − lo) vectorised steps.
    """
    lo, hi, m, r = lo.copy(), hi.copy(), m.copy(), r.copy()
    while True:
        open_ = np.flatnonzero(hi - lo > 1)
        if open_.size == 0:
            return lo
        a, b = lo[open_], hi[open_]
        mid = (a + b) // 2
        left = rng.binomial(m[open_], (mid - a) / (b - a))
        down = r[open_] <= left
        hi[open_] = np.where(down, mid, b)
        lo[open_] = np.where(down, a, mid)
        r[open_] = np.where(down, r[open_], r[open_] - left)
        m[open_] = np.where(down, left, m[open_] - left)


def resampled_medians(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of `resamples` resamples with replacement of `values`, drawn exactly.

    A resample of n values from the sorted x has as median its k-th smallest
    value x[i_k] (k = (n + 1) / 2, n odd) or the mean of x[i_k] and x[i_k+1]
    (k = n / 2, n even), where i_k is the k-th smallest of n positions drawn
    uniformly. Those positions are found by halving the range of positions
    with binomial counts (`_descend`); for two middle ones, both go down
    together until the halves part them, and then each goes its own way
    (given the counts, the draws in the two halves are independent).
    """
    x = np.sort(np.asarray(values, float))
    n = x.size
    k = (n + 1) // 2
    rows = np.full(resamples, 0, np.int64)
    lo, hi, m, r = rows.copy(), rows + n, rows + n, rows + k
    if n % 2:
        return x[_descend(lo, hi, m, r, rng)]
    # Both middle positions in one range until a split puts the k-th draw last
    # in the lower half and the (k+1)-th first in the upper half.
    parted = np.zeros(resamples, bool)
    u_lo, u_hi, u_m = rows.copy(), rows.copy(), rows.copy()
    together = np.arange(resamples)
    while (together := together[hi[together] - lo[together] > 1]).size:
        a, b = lo[together], hi[together]
        mid = (a + b) // 2
        mm, rr = m[together], r[together]
        left = rng.binomial(mm, (mid - a) / (b - a))
        down = rr + 1 <= left
        up = rr > left
        part = ~down & ~up
        hi[together] = np.where(down | part, mid, b)
        lo[together] = np.where(up, mid, a)
        r[together] = np.where(up, rr - left, rr)
        m[together] = np.where(up, mm - left, left)
        split = together[part]
        parted[split] = True
        u_lo[split], u_hi[split], u_m[split] = mid[part], b[part], (mm - left)[part]
        together = together[~part]
    lower_i = _descend(lo, hi, m, r, rng)
    upper_i = lower_i.copy()
    if parted.any():
        upper_i[parted] = _descend(
            u_lo[parted], u_hi[parted], u_m[parted], np.ones(int(parted.sum()), np.int64), rng
        )
    # A range of one position holding both middle draws: they are the same value.
    return (x[lower_i] + x[upper_i]) / 2


def bootstrap_median_diff_ci(
    before: np.ndarray,
    after: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of median(after) − median(before).

    None when a window has fewer than two values (a resample of one value
    says nothing about its spread). The same seed always gives the same interval.
    """
    if resamples < 2000:
        raise ValueError("use at least 2,000 resamples (METRICS.md)")
    before, after = np.asarray(before, float), np.asarray(after, float)
    if before.size < 2 or after.size < 2:
        return None
    rng = np.random.default_rng(seed)
    diffs = resampled_medians(after, resamples, rng) - resampled_medians(before, resamples, rng)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)


def mann_whitney(before: np.ndarray, after: np.ndarray) -> tuple[float | None, bool | None]:
    """(two-sided Mann–Whitney U p-value, whether the after values rank lower).

    None where either side is empty or every value is the same.
    """
    before, after = np.asarray(before, float), np.asarray(after, float)
    if before.size == 0 or after.size == 0:
        return None, None
    stats = import_once("scipy.stats")

    result = stats.mannwhitneyu(after, before, alternative="two-sided")
    p = float(result.pvalue)
    if not np.isfinite(p):
        return None, None
    return p, float(result.statistic) < after.size * before.size / 2


def two_proportion_p(k_before: int, n_before: int, k_after: int, n_after: int) -> float | None:
    """Two-sided pooled two-proportion z test of k_after/n_after against k_before/n_before.

    None when a window is empty; 1.0 when both shares are 0 or both are 1
    (nothing to tell apart, and the chi-squared table would have an empty column).
    """
    if n_before == 0 or n_after == 0:
        return None
    hits = k_before + k_after
    if hits == 0 or hits == n_before + n_after:
        return 1.0
    table = [[k_before, n_before - k_before], [k_after, n_after - k_after]]
    stats = import_once("scipy.stats")

    return float(stats.chi2_contingency(table, correction=False).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given: reject where adjusted p < alpha.

    The i-th smallest of m p-values is multiplied by (m − i + 1), then the
    products are made non-decreasing in that order and capped at 1, so a test
    is significant only when every smaller p-value is too. The family-wise
    error rate stays at alpha whatever the tests' dependence.
    """
    p = np.asarray(p_values, float)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return [float(v) for v in out]


@dataclass(frozen=True)
class MeasureComparison:
    """One measure (a duration, in seconds) compared across the windows."""

    measure: str
    label: str
    before_n: int
    after_n: int
    before_p50: float | None
    before_p85: float | None
    after_p50: float | None
    after_p85: float | None
    median_diff: float | None
    ci95: tuple[float, float] | None
    p_value: float | None
    """Two-sided Mann–Whitney U, uncorrected."""
    after_ranks_lower: bool | None

    @property
    def significant(self) -> bool:
        """The interval excludes 0 and p < 0.05."""
        return (
            self.ci95 is not None
            and self.p_value is not None
            and self.p_value < ALPHA
            and (self.ci95[0] > 0 or self.ci95[1] < 0)
        )

    @property
    def fell(self) -> bool:
        """Mann–Whitney p < 0.05 with the lower median after (no interval needed)."""
        return (
            self.p_value is not None
            and self.p_value < ALPHA
            and self.median_diff is not None
            and self.median_diff < 0
        )


def _pct(values: np.ndarray, q: float) -> float | None:
    return float(np.percentile(values, q * 100)) if values.size else None


def compare_values(
    measure: str,
    label: str,
    before: np.ndarray,
    after: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    min_n: int = 1,
) -> MeasureComparison:
    """Percentiles, median difference with its interval, and the Mann–Whitney p-value.

    The interval and p-value need at least `min_n` values on each side.
    """
    before, after = np.asarray(before, float), np.asarray(after, float)
    b50, a50 = _pct(before, 0.5), _pct(after, 0.5)
    enough = before.size >= min_n and after.size >= min_n
    p, lower = mann_whitney(before, after) if enough else (None, None)
    return MeasureComparison(
        measure=measure,
        label=label,
        before_n=int(before.size),
        after_n=int(after.size),
        before_p50=b50,
        before_p85=_pct(before, 0.85),
        after_p50=a50,
        after_p85=_pct(after, 0.85),
        median_diff=None if b50 is None or a50 is None else a50 - b50,
        ci95=bootstrap_median_diff_ci(before, after, resamples=resamples, seed=seed)
        if enough
        else None,
        p_value=p,
        after_ranks_lower=lower,
    )
