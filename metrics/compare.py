"""Before / after: did a change make work flow faster, or did the queue only move?

    python -m metrics.compare --db PATH --offering NAME --change ISO_INSTANT
        [--before-days N] [--after-days N] [--json]
    python -m metrics.compare --db PATH --experiment ID [--json]

Definitions implemented (../shared/METRICS.md, "Statistics"):

- The cases of the offering are split by their first start: the *before* window
  is [change − before_days, change), the *after* window [change, change +
  after_days), cut at the end of the data (its latest timestamp). Only completed
  cases are compared; each window's share of cases still open is reported.
- For lead, wait and process time, and for the wait before each step (per
  instance, in the completed cases): before and after p50 and p85, the median
  difference (after − before) with a seeded 95% percentile bootstrap interval
  (at least 2,000 resamples, vectorised with numpy) and the two-sided
  Mann–Whitney U p-value (scipy).
- Throughput per week: cases of the offering completed during each window (by
  completion date, as METRICS.md defines throughput) / the window's weeks.
- Rework share per window: completed cases with rework / completed cases, the
  same cases as the times (an open case may still go round a loop), compared
  with a pooled two-proportion z test. Quality warning: it rose and p < 0.05.
- Bottleneck per window: the step with the largest total wait before it, over
  the window's completed cases. A *shift*: the bottleneck differs while wait
  time per case did not fall significantly (Mann–Whitney p < 0.05 with the
  after window's waits ranking lower). A bottleneck that changed because the
  stream got faster is an improvement, not a shift.
- Censoring warning: the windows' open shares differ by more than 10 points.
  A recent window loses its slowest cases first: its completed cases look
  faster than the window really is.

The censoring-aware comparison ("equal follow-up"). With the warning on, the
lead-time verdict does not rest on completed cases. Instead it takes a horizon
T = the p85 lead time of the before window's completed cases ("long enough for
most cases to finish") and every case, open or completed, of either window that
started at least T before the end of the data. Each such case has been watched
for at least T, so min(lead time, T) is known for all of them: a case still
open, or finished after more than T, counts as T. The medians of these capped
lead times are the true medians whenever more than half of a window finished
within T, and the Mann–Whitney test and the bootstrap compare the two windows
on an equal footing, open cases included. It was chosen over Kaplan–Meier
medians because it keeps the same statistics (median difference, bootstrap
interval, Mann–Whitney) as the uncensored comparison, and because "the share
of cases done within T days" is a figure a leader can check by hand. Where
fewer than 20 cases of a window have been watched that long, no fair
comparison is possible yet and the verdict is "too few cases".

Verdict, first rule that applies: fewer than 20 completed cases in either
window → "too few cases"; censoring warning and no censoring-aware comparison
possible → "too few cases"; bottleneck shift → "waiting moved"; lead time
median difference significant (interval excludes 0 and p < 0.05) → "faster" or
"slower"; otherwise "no detectable change". The lead-time rule uses the
censoring-aware comparison when the warning is on.

With `--json` stdout carries exactly one JSON object (seconds as numbers, null
where a figure is undefined); the top-level lead-time fields are the
completed-case comparison, `censoring_aware` holds the equal-follow-up one and
`verdict_basis` says which the verdict used. pm4py is never imported here.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from metrics.cases import CASE_SCHEMA
from metrics.stats import conform, duration_text, json_number
from metrics.steps import bottleneck, steps
from metrics.summary import ENGINE
from metrics.xmr import xmr

Verdict = Literal["faster", "slower", "no detectable change", "waiting moved", "too few cases"]
VERDICTS: tuple[Verdict, ...] = (
    "faster",
    "slower",
    "no detectable change",
    "waiting moved",
    "too few cases",
)

MIN_COMPLETED = 20
"""Fewer completed cases than this in either window → "too few cases"."""
OPEN_SHARE_GAP = 0.10
"""Open shares differing by more than this → the censoring warning."""
ALPHA = 0.05
CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 20_260_601
FOLLOW_UP_QUANTILE = 0.85
"""The censoring-aware horizon T is this quantile of the before window's completed lead times."""
MIN_STEP_INSTANCES = 5
"""A step's wait is compared (interval, p-value) only with this many instances in each window."""

_DAY = 86_400.0
_WINDOWS = ("before", "after")

WINDOW_CASE_SCHEMA: dict[str, pl.DataType] = {"window": pl.String(), **CASE_SCHEMA}
"""The offering's cases that started in either window; `window` is 'before' or 'after'."""

WINDOW_FIGURES_SCHEMA: dict[str, pl.DataType] = {
    "window": pl.String(),
    "cases": pl.UInt32(),
    "completed": pl.UInt32(),
    "open_share": pl.Float64(),
    "lead_time_s_p50": pl.Float64(),
    "lead_time_s_p85": pl.Float64(),
    "wait_time_s_p50": pl.Float64(),
    "wait_time_s_p85": pl.Float64(),
    "process_time_s_p50": pl.Float64(),
    "process_time_s_p85": pl.Float64(),
    "rework_cases": pl.UInt32(),
    "rework_case_share": pl.Float64(),
    "completions": pl.UInt32(),
    "throughput_per_week": pl.Float64(),
}
"""One row per window ('before', 'after'). `completions` are the offering's cases
completed during the window (whenever they started); `throughput_per_week` is
that over the window's weeks (the after window cut at the end of the data)."""

STEP_SHIFT_SCHEMA: dict[str, pl.DataType] = {
    "activity": pl.String(),
    "typical_position": pl.Float64(),
    "before_instances": pl.UInt32(),
    "after_instances": pl.UInt32(),
    "before_p50_s": pl.Float64(),
    "after_p50_s": pl.Float64(),
    "before_total_s": pl.Float64(),
    "after_total_s": pl.Float64(),
    "before_per_case_s": pl.Float64(),
    "after_per_case_s": pl.Float64(),
}
"""Per step: the wait before it in each window's completed cases (steps nothing ever
waits in front of, such as the first step, are left out). `*_instances` count the
instances with a wait (those with a predecessor); `*_per_case_s` is the total / the
window's completed cases, so the steps' per-case waits add up to the window's mean
wait time per case."""

EFFECT_SCHEMA: dict[str, pl.DataType] = {
    "measure": pl.String(),
    "label": pl.String(),
    "kind": pl.String(),
    "before_n": pl.Int64(),
    "after_n": pl.Int64(),
    "before_p50_s": pl.Float64(),
    "after_p50_s": pl.Float64(),
    "median_diff_s": pl.Float64(),
    "ci_low_s": pl.Float64(),
    "ci_high_s": pl.Float64(),
    "p_value": pl.Float64(),
    "significant": pl.Boolean(),
}
"""One measure compared: `kind` 'case' (lead, wait, process time) or 'step' (wait
before a step, per instance); `significant`: the interval excludes 0 and p < 0.05."""

FOLLOW_UP_SCHEMA: dict[str, pl.DataType] = {
    "window": pl.String(),
    "case_id": pl.String(),
    "capped_lead_time_s": pl.Float64(),
    "done_within": pl.Boolean(),
}


@dataclass(frozen=True)
class Windows:
    """The change instant, the two windows around it and the end of the data (all UTC)."""

    change: datetime
    before_days: int
    after_days: int
    data_end: datetime

    @property
    def before_start(self) -> datetime:
        return self.change - timedelta(days=self.before_days)

    @property
    def after_end(self) -> datetime:
        return self.change + timedelta(days=self.after_days)

    @property
    def observed_after_end(self) -> datetime:
        """The after window as far as the data reaches."""
        return max(self.change, min(self.after_end, self.data_end))


def split_cases(cases: pl.LazyFrame, offering: str, w: Windows) -> pl.LazyFrame:
    """The offering's cases that started in either window, labelled (WINDOW_CASE_SCHEMA)."""
    utc = pl.Datetime("us", "UTC")
    start = pl.col("first_start")
    frame = cases.filter(
        pl.col("offering") == offering,
        start >= pl.lit(w.before_start, dtype=utc),
        start < pl.lit(w.after_end, dtype=utc),
    ).with_columns(
        window=pl.when(start < pl.lit(w.change, dtype=utc))
        .then(pl.lit("before"))
        .otherwise(pl.lit("after"))
    )
    return conform(frame, WINDOW_CASE_SCHEMA)


def window_figures(
    split: pl.LazyFrame, cases: pl.LazyFrame, offering: str, w: Windows
) -> pl.LazyFrame:
    """Counts, percentiles, rework and throughput per window (WINDOW_FIGURES_SCHEMA).

    `split` is `split_cases`'s output; `cases` every case (for completions by date).
    """
    utc = pl.Datetime("us", "UTC")
    done = pl.col("completed")

    def pct(column: str, q: float) -> pl.Expr:
        return pl.col(column).filter(done).quantile(q, interpolation="linear")

    figures = split.group_by("window").agg(
        cases=pl.len().cast(pl.UInt32),
        completed=done.sum().cast(pl.UInt32),
        open_share=(~done).mean(),
        lead_time_s_p50=pct("lead_time_s", 0.5),
        lead_time_s_p85=pct("lead_time_s", 0.85),
        wait_time_s_p50=pct("wait_time_s", 0.5),
        wait_time_s_p85=pct("wait_time_s", 0.85),
        process_time_s_p50=pct("process_time_s", 0.5),
        process_time_s_p85=pct("process_time_s", 0.85),
        rework_cases=(pl.col("has_rework") & done).sum().cast(pl.UInt32),
        rework_case_share=pl.col("has_rework").filter(done).mean(),
    )
    end = pl.col("last_end")
    periods = pl.LazyFrame(
        {
            "window": list(_WINDOWS),
            "_from": [w.before_start, w.change],
            "_to": [w.change, w.observed_after_end],
        },
        schema={"window": pl.String(), "_from": utc, "_to": utc},
    )
    completions = (
        periods.join(
            cases.filter(pl.col("offering") == offering, done).select("last_end"), how="cross"
        )
        .group_by("window", "_from", "_to")
        .agg(completions=((end >= pl.col("_from")) & (end < pl.col("_to"))).sum().cast(pl.UInt32))
    )
    weeks = (pl.col("_to") - pl.col("_from")).dt.total_seconds() / (7 * _DAY)
    frame = (
        periods.join(completions, on=["window", "_from", "_to"], how="left")
        .join(figures, on="window", how="left")
        .with_columns(
            cases=pl.col("cases").fill_null(0),
            completed=pl.col("completed").fill_null(0),
            rework_cases=pl.col("rework_cases").fill_null(0),
            completions=pl.col("completions").fill_null(0),
            throughput_per_week=pl.when(weeks > 0).then(pl.col("completions").fill_null(0) / weeks),
        )
    )
    return conform(frame, WINDOW_FIGURES_SCHEMA)


def window_instances(instances: pl.LazyFrame, split: pl.LazyFrame) -> pl.LazyFrame:
    """The instances of the windows' completed cases, with the `window` column."""
    labels = split.filter(pl.col("completed")).select("case_index", "window")
    return instances.join(labels, on="case_index", how="inner", maintain_order="left")


def step_shift(window_inst: pl.LazyFrame, split: pl.LazyFrame) -> pl.LazyFrame:
    """Where waiting fell and where it grew: the wait before each step per window (STEP_SHIFT_SCHEMA).

    `window_inst` is `window_instances`'s output. Steps in their usual order.
    """
    per_window = steps(window_inst, by=("window",))
    completed = split.group_by("window").agg(_completed=pl.col("completed").sum())

    def side(name: str) -> pl.LazyFrame:
        return (
            per_window.filter(pl.col("window") == name)
            .join(completed, on="window", how="left")
            .select(
                "activity",
                pl.col("typical_position").alias(f"_{name}_position"),
                pl.col("wait_before_s_n").alias(f"{name}_instances"),
                pl.col("wait_before_s_p50").alias(f"{name}_p50_s"),
                pl.col("wait_before_s_sum").alias(f"{name}_total_s"),
                (pl.col("wait_before_s_sum") / pl.col("_completed")).alias(f"{name}_per_case_s"),
            )
        )

    frame = (
        side("before")
        .join(side("after"), on="activity", how="full", coalesce=True)
        .with_columns(
            typical_position=pl.coalesce("_before_position", "_after_position"),
            before_instances=pl.col("before_instances").fill_null(0),
            after_instances=pl.col("after_instances").fill_null(0),
            before_total_s=pl.col("before_total_s").fill_null(0.0),
            after_total_s=pl.col("after_total_s").fill_null(0.0),
        )
        .filter((pl.col("before_instances") > 0) | (pl.col("after_instances") > 0))
        .sort("typical_position", "activity")
    )
    return conform(frame, STEP_SHIFT_SCHEMA)


def window_bottlenecks(window_inst: pl.LazyFrame) -> pl.LazyFrame:
    """The bottleneck of each window (metrics.steps.BOTTLENECK_SCHEMA with `window`)."""
    return bottleneck(steps(window_inst, by=("window",)), by=("window",))


def follow_up_cases(split: pl.LazyFrame, w: Windows, horizon_s: float) -> pl.LazyFrame:
    """The equal-follow-up sample: cases started at least `horizon_s` before the data's end.

    Each case's lead time capped at the horizon (an open case counts as the
    horizon: it has been open at least that long), and whether it was done
    within it (FOLLOW_UP_SCHEMA).
    """
    utc = pl.Datetime("us", "UTC")
    latest_start = w.data_end - timedelta(seconds=horizon_s)
    within = pl.col("completed") & (pl.col("lead_time_s") <= horizon_s)
    frame = split.filter(pl.col("first_start") <= pl.lit(latest_start, dtype=utc)).with_columns(
        capped_lead_time_s=pl.when(within).then(pl.col("lead_time_s")).otherwise(pl.lit(horizon_s)),
        done_within=within,
    )
    return conform(frame, FOLLOW_UP_SCHEMA)


def lead_time_points(cases: pl.LazyFrame, offering: str, w: Windows) -> pl.LazyFrame:
    """Completed cases for the process behaviour chart, in completion order, with limits and signals.

    The chart runs in completion order, so its baseline is split in completion
    order too: the cases completed in the before window's span [change −
    before_days, change) are the baseline the limits come from (metrics.xmr),
    and the chart goes on with every case completed after the change until the
    last case started in the after window has completed. Picking cases by start
    window and then ordering them by completion would not do: within a start
    window the fast cases finish first, which draws a rising trend of its own.
    `window` says when each case started ('before' the change or 'after' it).
    """
    utc = pl.Datetime("us", "UTC")
    change = pl.lit(w.change, dtype=utc)
    done = cases.filter(pl.col("offering") == offering, pl.col("completed"))
    last_after = done.filter(
        pl.col("first_start") >= change, pl.col("first_start") < pl.lit(w.after_end, dtype=utc)
    ).select(pl.col("last_end").max().alias("_until"))
    ordered = (
        done.join(last_after, how="cross")
        .filter(
            pl.col("last_end") >= pl.lit(w.before_start, dtype=utc),
            pl.col("last_end") <= pl.coalesce("_until", change),
        )
        .sort("last_end", "case_id")
        .select(
            window=pl.when(pl.col("first_start") < change)
            .then(pl.lit("before"))
            .otherwise(pl.lit("after")),
            case_id="case_id",
            first_start="first_start",
            last_end="last_end",
            lead_time_s="lead_time_s",
            is_baseline=pl.col("last_end") < change,
        )
    )
    chart = xmr(ordered, "lead_time_s", "is_baseline")
    return pl.concat([ordered.drop("is_baseline"), chart], how="horizontal")


def _bootstrap_medians(values: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Medians of `resamples` resamples with replacement, in chunks of at most ~4M draws."""
    n = values.size
    out = np.empty(resamples)
    chunk = max(1, 4_000_000 // n)
    for i in range(0, resamples, chunk):
        k = min(chunk, resamples - i)
        out[i : i + k] = np.median(values[rng.integers(0, n, size=(k, n))], axis=1)
    return out


def bootstrap_median_diff_ci(
    before: np.ndarray,
    after: np.ndarray,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = CONFIDENCE,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of median(after) − median(before); None if a side is empty.

    Each window is resampled on its own (the windows are independent samples);
    the same seed always gives the same interval.
    """
    if resamples < 2000:
        raise ValueError("use at least 2,000 resamples (METRICS.md)")
    before, after = np.asarray(before, float), np.asarray(after, float)
    if before.size == 0 or after.size == 0:
        return None
    rng = np.random.default_rng(seed)
    diffs = _bootstrap_medians(after, rng, resamples) - _bootstrap_medians(before, rng, resamples)
    tail = (1 - confidence) / 2 * 100
    lo, hi = np.percentile(diffs, [tail, 100 - tail])
    return float(lo), float(hi)


def mann_whitney(before: np.ndarray, after: np.ndarray) -> tuple[float | None, bool | None]:
    """(two-sided Mann–Whitney U p-value, whether the after values rank lower).

    None where either side is empty or every value is the same.
    """
    before, after = np.asarray(before, float), np.asarray(after, float)
    if before.size == 0 or after.size == 0:
        return None, None
    result = stats.mannwhitneyu(after, before, alternative="two-sided")
    p = float(result.pvalue)
    if not math.isfinite(p):
        return None, None
    return p, float(result.statistic) < after.size * before.size / 2


def two_proportion_p(k_before: int, n_before: int, k_after: int, n_after: int) -> float | None:
    """Two-sided pooled two-proportion z test of k_after/n_after against k_before/n_before."""
    if n_before == 0 or n_after == 0:
        return None
    pooled = (k_before + k_after) / (n_before + n_after)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_before + 1 / n_after))
    if se == 0:
        return 1.0
    z = (k_after / n_after - k_before / n_before) / se
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class MeasureComparison:
    """One measure (a duration) compared across the windows."""

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

    def to_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "before_n": self.before_n,
            "after_n": self.after_n,
            "before_p50_s": json_number(self.before_p50),
            "before_p85_s": json_number(self.before_p85),
            "after_p50_s": json_number(self.after_p50),
            "after_p85_s": json_number(self.after_p85),
            "median_diff_s": json_number(self.median_diff),
            "median_diff_ci95_s": None
            if self.ci95 is None
            else [json_number(v) for v in self.ci95],
            "mannwhitney_p": json_number(self.p_value),
        }


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


@dataclass(frozen=True)
class FollowUp:
    """The censoring-aware (equal follow-up) lead-time comparison."""

    horizon_s: float
    latest_start: datetime
    lead: MeasureComparison
    before_done_within: int
    after_done_within: int
    possible: bool
    possible_from: datetime
    """When every case of the after window will have been watched for the horizon."""

    def to_json(self) -> dict[str, Any]:
        return {
            "horizon_s": self.horizon_s,
            "latest_start": self.latest_start.isoformat(),
            "possible": self.possible,
            "possible_from": self.possible_from.isoformat(),
            "before_cases": self.lead.before_n,
            "after_cases": self.lead.after_n,
            "before_done_within": self.before_done_within,
            "after_done_within": self.after_done_within,
            "lead_time_capped": self.lead.to_json(),
        }


@dataclass
class Comparison:
    """Everything the page and the command line show about one change."""

    offering: str
    windows: Windows
    figures: dict[str, dict[str, Any]]
    lead: MeasureComparison
    wait: MeasureComparison
    process: MeasureComparison
    step_waits: list[MeasureComparison]
    step_shift: pl.DataFrame
    bottleneck_before: str | None
    bottleneck_after: str | None
    bottleneck_shifted: bool
    censoring_warning: bool
    follow_up: FollowUp | None
    rework_p: float | None
    quality_warning: bool
    verdict: Verdict
    verdict_text: str
    verdict_basis: str
    points: pl.DataFrame
    """The process behaviour chart's points (`lead_time_points`)."""
    compared: pl.DataFrame
    """The completed cases compared: window, case_id, first_start, last_end, lead, wait and
    process time (s), has_rework."""
    notes: list[str] = field(default_factory=list)

    def effects(self) -> pl.DataFrame:
        """The median differences with their intervals, one row per measure (EFFECT_SCHEMA).

        Lead, wait and process time first (and the censoring-aware lead time when
        there is one), then the wait before each step that has enough instances.
        """
        rows = [(self.lead, "case"), (self.wait, "case"), (self.process, "case")]
        if self.follow_up is not None and self.follow_up.possible:
            rows.insert(1, (self.follow_up.lead, "case"))
        rows += [(m, "step") for m in self.step_waits if m.ci95 is not None]
        return pl.DataFrame(
            [
                {
                    "measure": m.measure,
                    "label": m.label,
                    "kind": kind,
                    "before_n": m.before_n,
                    "after_n": m.after_n,
                    "before_p50_s": m.before_p50,
                    "after_p50_s": m.after_p50,
                    "median_diff_s": m.median_diff,
                    "ci_low_s": m.ci95[0] if m.ci95 else None,
                    "ci_high_s": m.ci95[1] if m.ci95 else None,
                    "p_value": m.p_value,
                    "significant": m.significant,
                }
                for m, kind in rows
            ],
            schema=EFFECT_SCHEMA,
        )

    @property
    def open_share_text(self) -> str:
        b, a = self.figures["before"], self.figures["after"]
        return (
            f"{_share(b['open_share'])} of the {b['cases']} cases started before the change are "
            f"still open, {_share(a['open_share'])} of the {a['cases']} started after it."
        )

    @property
    def quality_text(self) -> str:
        b, a = self.figures["before"], self.figures["after"]
        return (
            f"Completed cases with rework: {_share(b['rework_case_share'])} before "
            f"({b['rework_cases']} of {b['completed']}), {_share(a['rework_case_share'])} after "
            f"({a['rework_cases']} of {a['completed']}); two-proportion test p = {_p(self.rework_p)}."
        )

    def to_json(self) -> dict[str, Any]:
        def side(name: str, neck: str | None) -> dict[str, Any]:
            f = self.figures[name]
            start = self.windows.before_start if name == "before" else self.windows.change
            end = self.windows.change if name == "before" else self.windows.after_end
            return {
                "window_start": start.isoformat(),
                "window_end": end.isoformat(),
                "cases": f["cases"],
                "completed": f["completed"],
                "open_share": json_number(f["open_share"]),
                "lead_time_s": {
                    "p50": json_number(f["lead_time_s_p50"]),
                    "p85": json_number(f["lead_time_s_p85"]),
                },
                "wait_time_s": {
                    "p50": json_number(f["wait_time_s_p50"]),
                    "p85": json_number(f["wait_time_s_p85"]),
                },
                "process_time_s": {
                    "p50": json_number(f["process_time_s_p50"]),
                    "p85": json_number(f["process_time_s_p85"]),
                },
                "rework_cases": f["rework_cases"],
                "rework_case_share": json_number(f["rework_case_share"]),
                "bottleneck": neck,
                "completions": f["completions"],
                "throughput_per_week": json_number(f["throughput_per_week"]),
            }

        step_stats = {m.measure: m for m in self.step_waits}
        shift_rows = []
        for row in self.step_shift.iter_rows(named=True):
            m = step_stats.get(row["activity"])
            shift_rows.append(
                {
                    "activity": row["activity"],
                    "before_p50_s": json_number(row["before_p50_s"]),
                    "after_p50_s": json_number(row["after_p50_s"]),
                    "before_total_s": json_number(row["before_total_s"]),
                    "after_total_s": json_number(row["after_total_s"]),
                    "before_per_case_s": json_number(row["before_per_case_s"]),
                    "after_per_case_s": json_number(row["after_per_case_s"]),
                    "before_instances": row["before_instances"],
                    "after_instances": row["after_instances"],
                    "median_diff_s": json_number(m.median_diff) if m else None,
                    "median_diff_ci95_s": [json_number(v) for v in m.ci95]
                    if m and m.ci95
                    else None,
                    "mannwhitney_p": json_number(m.p_value) if m else None,
                }
            )
        w = self.windows
        return {
            "offering": self.offering,
            "change": w.change.isoformat(),
            "before_days": w.before_days,
            "after_days": w.after_days,
            "data_end": w.data_end.isoformat(),
            "before": side("before", self.bottleneck_before),
            "after": side("after", self.bottleneck_after),
            "lead_time_median_diff_s": json_number(self.lead.median_diff),
            "lead_time_median_diff_ci95_s": None
            if self.lead.ci95 is None
            else [json_number(v) for v in self.lead.ci95],
            "lead_time_mannwhitney_p": json_number(self.lead.p_value),
            "wait_time": self.wait.to_json(),
            "process_time": self.process.to_json(),
            "rework_p": json_number(self.rework_p),
            "step_wait_shift": shift_rows,
            "bottleneck_shifted": self.bottleneck_shifted,
            "censoring_warning": self.censoring_warning,
            "censoring_aware": None if self.follow_up is None else self.follow_up.to_json(),
            "quality_warning": self.quality_warning,
            "verdict": self.verdict,
            "verdict_basis": self.verdict_basis,
            "verdict_text": self.verdict_text,
            "notes": self.notes,
        }


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _change_words(m: MeasureComparison) -> str:
    """'6.4 d less (95% confidence interval: 2.1 d to 10.3 d less)' for a median difference."""
    assert m.median_diff is not None
    word = "less" if m.median_diff < 0 else "more"
    if m.ci95 is None:
        return f"{duration_text(abs(m.median_diff))} {word}"
    lo, hi = m.ci95
    unit = max(abs(lo), abs(hi))
    if lo < 0 < hi:
        span = f"between {duration_text(-lo, unit)} less and {duration_text(hi, unit)} more"
    elif hi <= 0:
        span = f"{duration_text(-hi, unit)} to {duration_text(-lo, unit)} less"
    else:
        span = f"{duration_text(lo, unit)} to {duration_text(hi, unit)} more"
    return f"{duration_text(abs(m.median_diff))} {word} (95% confidence interval: {span})"


def decide(
    lead: MeasureComparison,
    wait: MeasureComparison,
    figures: dict[str, dict[str, Any]],
    windows: Windows,
    bottleneck_before: str | None,
    bottleneck_after: str | None,
    censoring_warning: bool,
    follow_up: FollowUp | None,
) -> tuple[Verdict, str, str, bool]:
    """The verdict by METRICS.md's rules: (verdict, the sentence with its evidence, basis, shifted)."""
    b, a = figures["before"], figures["after"]
    wait_fell = bool(wait.p_value is not None and wait.p_value < ALPHA and wait.after_ranks_lower)
    shifted = (
        bottleneck_before is not None
        and bottleneck_after is not None
        and bottleneck_before != bottleneck_after
        and not wait_fell
    )
    basis = "completed cases"
    windows_words = (
        f"cases started in the {windows.before_days} days before the change and in the "
        f"{windows.after_days} days after it"
    )
    if b["completed"] < MIN_COMPLETED or a["completed"] < MIN_COMPLETED:
        short = "before" if b["completed"] < MIN_COMPLETED else "after"
        return (
            "too few cases",
            f"Too few cases to tell yet: {b['completed']} completed cases started before the "
            f"change and {a['completed']} after it; each window needs at least {MIN_COMPLETED}. "
            + (
                "Wait until more of the cases started after the change have finished, or "
                "lengthen the after window."
                if short == "after"
                else "Lengthen the before window."
            ),
            basis,
            shifted,
        )
    if censoring_warning and (follow_up is None or not follow_up.possible):
        when = f" That is possible from {follow_up.possible_from:%d %b %Y}." if follow_up else ""
        horizon = (
            f" {duration_text(follow_up.horizon_s)} (the time 85% of the earlier cases needed)"
            if follow_up
            else ""
        )
        return (
            "too few cases",
            f"Too early to tell: {_share(a['open_share'])} of the cases started after the change "
            f"are still open, against {_share(b['open_share'])} of those before. Slow cases finish "
            "last, so the cases completed so far make the after window look faster than it is. A "
            f"fair comparison needs at least {MIN_COMPLETED} cases in each window that have had"
            f"{horizon} to finish.{when}",
            basis,
            shifted,
        )
    if shifted:
        moved = (
            f"Waiting moved from {bottleneck_before} to {bottleneck_after}: before the change the "
            f"longest queue was in front of {bottleneck_before}, after it in front of "
            f"{bottleneck_after}. "
        )
        if wait.median_diff is not None:
            moved += (
                f"Wait time per case did not fall: median {duration_text(wait.before_p50)} before "
                f"({wait.before_n} completed cases), {duration_text(wait.after_p50)} after "
                f"({wait.after_n}); Mann–Whitney p = {_p(wait.p_value)}. The queue moved "
                "rather than shrank."
            )
        return "waiting moved", moved, basis, shifted
    used = lead
    capped = ""
    if censoring_warning and follow_up is not None:
        used = follow_up.lead
        basis = "equal follow-up"
        capped = (
            f" Counting fairly while cases are still open: only cases watched for at least "
            f"{duration_text(follow_up.horizon_s)} are compared, and a case not done within "
            f"that counts as {duration_text(follow_up.horizon_s)}."
        )
    if used.median_diff is not None and used.significant:
        verdict: Verdict = "faster" if used.median_diff < 0 else "slower"
        word = "fell" if verdict == "faster" else "rose"
        return (
            verdict,
            f"{verdict.capitalize()}: the median lead time {word} from "
            f"{duration_text(used.before_p50)} ({used.before_n} cases before the change) to "
            f"{duration_text(used.after_p50)} ({used.after_n} cases after it), "
            f"{_change_words(used)}; Mann–Whitney p = {_p(used.p_value)}.{capped}",
            basis,
            shifted,
        )
    diff = (
        f" The difference, {_change_words(used)}, could be chance (Mann–Whitney p = "
        f"{_p(used.p_value)})."
        if used.median_diff is not None
        else ""
    )
    return (
        "no detectable change",
        f"No detectable change: median lead time {duration_text(used.before_p50)} before "
        f"({used.before_n} cases) and {duration_text(used.after_p50)} after ({used.after_n} "
        f"cases), comparing {windows_words}.{diff}{capped}",
        basis,
        shifted,
    )


def _values(frame: pl.DataFrame, window: str, column: str) -> np.ndarray:
    return frame.filter(pl.col("window") == window)[column].drop_nulls().to_numpy()


def compare(
    instances: pl.LazyFrame,
    cases: pl.LazyFrame,
    offering: str,
    change: datetime,
    before_days: int = 14,
    after_days: int = 14,
    *,
    data_end: datetime | None = None,
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> Comparison:
    """Compare the cases that started before `change` with those that started after it.

    `instances` and `cases` are `derive_instances` and `case_table` over every
    case of the offering (other offerings may be present). `data_end` is the
    instant the data reaches, by default the offering's latest timestamp.
    Collects: this is, like `summary`, an end point, not a building block.
    """
    if change.tzinfo is None:
        raise ValueError("change must be timezone-aware")
    if before_days < 1 or after_days < 1:
        raise ValueError("both windows need at least one day")
    if data_end is None:
        latest = (
            cases.filter(pl.col("offering") == offering)
            .select(pl.col("last_end").max())
            .collect(engine=ENGINE)
            .item()
        )
        data_end = latest if latest is not None else change
    assert data_end is not None
    w = Windows(change=change, before_days=before_days, after_days=after_days, data_end=data_end)
    split = split_cases(cases, offering, w).collect(engine=ENGINE).lazy()
    inst = window_instances(instances, split)
    figures_frame, shift, necks, step_inst, points = pl.collect_all(
        [
            window_figures(split, cases, offering, w),
            step_shift(inst, split),
            window_bottlenecks(inst),
            inst.filter(pl.col("kind") != "waiting", pl.col("wait_before_s").is_not_null()).select(
                "window", "activity", "wait_before_s"
            ),
            lead_time_points(cases, offering, w),
        ],
        engine=ENGINE,
    )
    figures = {row["window"]: row for row in figures_frame.iter_rows(named=True)}
    neck = dict(zip(necks["window"].to_list(), necks["activity"].to_list(), strict=True))
    done = split.filter(pl.col("completed")).collect(engine=ENGINE)

    def measure(column: str, label: str) -> MeasureComparison:
        return compare_values(
            column,
            label,
            _values(done, "before", column),
            _values(done, "after", column),
            resamples=resamples,
            seed=seed,
        )

    lead = measure("lead_time_s", "Lead time")
    wait = measure("wait_time_s", "Wait time")
    process = measure("process_time_s", "Process time")
    step_waits = []
    for activity in shift["activity"].to_list():
        waits = step_inst.filter(pl.col("activity") == activity)
        step_waits.append(
            compare_values(
                activity,
                f"Wait before {activity}",
                _values(waits, "before", "wait_before_s"),
                _values(waits, "after", "wait_before_s"),
                resamples=resamples,
                seed=seed,
                min_n=MIN_STEP_INSTANCES,
            )
        )
    b, a = figures["before"], figures["after"]
    open_gap = (
        abs(a["open_share"] - b["open_share"])
        if a["open_share"] is not None and b["open_share"] is not None
        else 0.0
    )
    censoring = open_gap > OPEN_SHARE_GAP
    follow_up = None
    if censoring and b["lead_time_s_p85"] is not None:
        horizon = float(b["lead_time_s_p85"])
        sample = follow_up_cases(split, w, horizon).collect(engine=ENGINE)
        capped = compare_values(
            "lead_time_capped_s",
            f"Lead time, open cases counted as {duration_text(horizon)}",
            _values(sample, "before", "capped_lead_time_s"),
            _values(sample, "after", "capped_lead_time_s"),
            resamples=resamples,
            seed=seed,
        )
        follow_up = FollowUp(
            horizon_s=horizon,
            latest_start=data_end - timedelta(seconds=horizon),
            lead=capped,
            before_done_within=int(_values(sample, "before", "done_within").sum()),
            after_done_within=int(_values(sample, "after", "done_within").sum()),
            possible=capped.before_n >= MIN_COMPLETED and capped.after_n >= MIN_COMPLETED,
            possible_from=w.after_end + timedelta(seconds=horizon),
        )
    rework_p = two_proportion_p(
        b["rework_cases"], b["completed"], a["rework_cases"], a["completed"]
    )
    rose = (
        a["rework_case_share"] is not None
        and b["rework_case_share"] is not None
        and a["rework_case_share"] > b["rework_case_share"]
    )
    quality = bool(rose and rework_p is not None and rework_p < ALPHA)
    verdict, text, basis, shifted = decide(
        lead, wait, figures, w, neck.get("before"), neck.get("after"), censoring, follow_up
    )
    notes = []
    if w.after_end > data_end:
        days = max(0.0, (data_end - change).total_seconds() / _DAY)
        notes.append(
            f"The data ends {days:.0f} days after the change, before the {after_days}-day after "
            "window is over: the after window holds only the cases started so far."
        )
    return Comparison(
        offering=offering,
        windows=w,
        figures=figures,
        lead=lead,
        wait=wait,
        process=process,
        step_waits=step_waits,
        step_shift=shift,
        bottleneck_before=neck.get("before"),
        bottleneck_after=neck.get("after"),
        bottleneck_shifted=shifted,
        censoring_warning=censoring,
        follow_up=follow_up,
        rework_p=rework_p,
        quality_warning=quality,
        verdict=verdict,
        verdict_text=text,
        verdict_basis=basis,
        points=points,
        compared=done.select(
            "window",
            "case_id",
            "first_start",
            "last_end",
            "lead_time_s",
            "wait_time_s",
            "process_time_s",
            "has_rework",
        ),
        notes=notes,
    )


def format_comparison(c: Comparison) -> str:
    """A readable text version of a comparison."""
    b, a = c.figures["before"], c.figures["after"]
    w = c.windows
    lines = [
        f"Offering: {c.offering}",
        f"Change: {w.change:%Y-%m-%d %H:%M} UTC; before: cases started {w.before_start:%Y-%m-%d} "
        f"to {w.change:%Y-%m-%d}; after: {w.change:%Y-%m-%d} to {w.after_end:%Y-%m-%d}",
        f"Verdict: {c.verdict}",
        f"  {c.verdict_text}",
    ]
    if c.quality_warning:
        lines.append(f"Quality warning: rework rose. {c.quality_text}")
    if c.censoring_warning:
        lines.append(f"Censoring warning: {c.open_share_text}")
    lines.append(f"{'':24}{'before':>16}{'after':>16}")
    rows = [
        (
            "cases (completed)",
            f"{b['cases']} ({b['completed']})",
            f"{a['cases']} ({a['completed']})",
        ),
        ("open share", _share(b["open_share"]), _share(a["open_share"])),
        ("lead time p50", duration_text(b["lead_time_s_p50"]), duration_text(a["lead_time_s_p50"])),
        ("lead time p85", duration_text(b["lead_time_s_p85"]), duration_text(a["lead_time_s_p85"])),
        ("wait time p50", duration_text(b["wait_time_s_p50"]), duration_text(a["wait_time_s_p50"])),
        ("rework share", _share(b["rework_case_share"]), _share(a["rework_case_share"])),
        (
            "throughput / week",
            f"{b['throughput_per_week'] or 0:.1f}",
            f"{a['throughput_per_week'] or 0:.1f}",
        ),
        ("bottleneck", c.bottleneck_before or "–", c.bottleneck_after or "–"),
    ]
    lines += [f"  {name:22}{x:>16}{y:>16}" for name, x, y in rows]
    lines.append("Wait before each step, per completed case (before → after):")
    for row in c.step_shift.iter_rows(named=True):
        lines.append(
            f"  {row['activity']}: {duration_text(row['before_per_case_s'])} → "
            f"{duration_text(row['after_per_case_s'])}"
        )
    lines += c.notes
    return "\n".join(lines)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not an ISO instant (2026-06-01 or 2026-06-01T08:00+02:00): {text!r}"
        ) from exc
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    from metrics.derived import derive_all
    from warehouse import Warehouse, WarehouseError, resolve_db_path
    from warehouse.experiments import get_experiment

    parser = argparse.ArgumentParser(
        prog="python -m metrics.compare",
        description="Did a change make work flow faster, or did the queue only move?",
    )
    parser.add_argument(
        "--db", help="warehouse file (default: $VSM_DB, else data/warehouse.duckdb)"
    )
    parser.add_argument("--offering", help="the offering (value stream) that changed")
    parser.add_argument(
        "--change",
        type=_instant,
        help="when the change took effect (ISO; UTC unless a zone is given)",
    )
    parser.add_argument("--before-days", type=int, help="days before the change (default 14)")
    parser.add_argument("--after-days", type=int, help="days after the change (default 14)")
    parser.add_argument("--experiment", type=int, help="compare a stored experiment (by id)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    path = resolve_db_path(args.db)
    if not path.exists():
        print(f"No warehouse at {path}.", file=sys.stderr)
        return 2
    with Warehouse.open(path) as wh:
        offering, change = args.offering, args.change
        before_days, after_days = args.before_days, args.after_days
        if args.experiment is not None:
            try:
                exp = get_experiment(wh, args.experiment)
            except WarehouseError as exc:
                print(str(exc), file=sys.stderr)
                return 2
            offering, change = offering or exp.offering, change or exp.changed_at
            before_days = before_days or exp.before_days
            after_days = after_days or exp.after_days
        if offering is None or change is None:
            parser.error("give --offering and --change, or --experiment")
        if offering not in wh.offerings():
            print(f"No offering {offering!r} in {path}.", file=sys.stderr)
            return 2
        events = wh.events([offering])
        catalog = wh.catalog(offering)
        open_items = wh.open_items([offering])
    d = derive_all(events, catalog, open_items)
    result = compare(
        d.instances.lazy(), d.cases.lazy(), offering, change, before_days or 14, after_days or 14
    )
    if args.json:
        json.dump(result.to_json(), sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        print(format_comparison(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
