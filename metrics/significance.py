"""How sure can we be: the tests behind every before / after figure, all from scipy.

Definitions implemented (../shared/METRICS.md, "Statistics"):

- Median difference (after − before) with a 95% percentile bootstrap interval:
  `scipy.stats.bootstrap`, seeded, vectorised, each window resampled on its own
  (the windows are independent samples), at least 2,000 resamples.
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

# scipy.stats is imported inside the three functions that use it: it takes over half a
# second to import, which every page importing this module would otherwise pay first.

ALPHA = 0.05
CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20_260_601
_DRAWS_PER_BATCH = 4_000_000
"""Resamples are drawn in batches of at most about this many values, to bound memory."""


def _median_diff(before: np.ndarray, after: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.median(after, axis=axis) - np.median(before, axis=axis))


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
    from scipy import stats

    result = stats.bootstrap(
        (before, after),
        _median_diff,
        n_resamples=resamples,
        batch=max(1, _DRAWS_PER_BATCH // max(before.size, after.size)),
        vectorized=True,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return float(interval.low), float(interval.high)


def mann_whitney(before: np.ndarray, after: np.ndarray) -> tuple[float | None, bool | None]:
    """(two-sided Mann–Whitney U p-value, whether the after values rank lower).

    None where either side is empty or every value is the same.
    """
    before, after = np.asarray(before, float), np.asarray(after, float)
    if before.size == 0 or after.size == 0:
        return None, None
    from scipy import stats

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
    from scipy import stats

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
