"""Before / after: did a change make work flow faster, or did the queue only move?

    python -m metrics.compare --db PATH --offering NAME --change ISO_INSTANT
        [--before-days N] [--after-days N] [--json]
    python -m metrics.compare --db PATH --experiment ID [--json]

(the `compare` command of cli/: cli/compare.py).

`compare` puts one comparison together from three parts (../shared/METRICS.md,
"Statistics"): metrics.windows (which cases fall in each window, and their
figures), metrics.significance (the tests) and metrics.verdict (the rules and
their words). It filters to the offering once, at its entry, and collects the
window queries together.

Compared across the windows: lead, wait and process time per completed case
(p50, p85, the median difference with its bootstrap interval, Mann–Whitney);
the wait before each step per instance (the same, plus Holm's correction over
the steps tested: the figures the bottleneck-shift rule and the page's colours
both rest on); rework share (two-proportion test); throughput per week; each
window's bottleneck.

The censoring-aware comparison ("equal follow-up"). With the censoring warning
on, the lead-time verdict does not rest on completed cases. Instead it takes a
horizon T = the p85 lead time of the before window's completed cases ("long
enough for most cases to finish") and every case, open or completed, of either
window that started at least T before the end of the data. Each such case has
been watched for at least T, so min(lead time, T) is known for all of them: a
case still open, or finished after more than T, counts as T. The medians of
these capped lead times are the true medians whenever more than half of a
window finished within T, and the Mann–Whitney test and the bootstrap compare
the two windows on an equal footing, open cases included. It was chosen over
Kaplan–Meier medians because it keeps the same statistics (median difference,
bootstrap interval, Mann–Whitney) as the uncensored comparison, and because
"the share of cases done within T days" is a figure a leader can check by hand.
Where fewer than 20 cases of a window have been watched that long, no fair
comparison is possible yet and the verdict is "too few cases".

With `--json` stdout carries exactly one JSON object (`Comparison.to_json`:
seconds as numbers, null where a figure is undefined): the windows, each
window's figures, the lead, wait and process time tests, `step_wait_shift`
(each step's figures with its Mann–Whitney p and its Holm-corrected `holm_p`),
`follow_up` (the equal-follow-up comparison, when the censoring warning is on),
the warnings and the verdict, with `verdict_basis` saying which lead-time
comparison it used. pm4py is never imported here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from metrics.significance import (
    ALPHA,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    MeasureComparison,
    compare_values,
    two_proportion_p,
)
from metrics.stats import JSON_INLINE, JSON_SKIP, duration_text, json_ready
from metrics.steps import steps
from metrics.summary import ENGINE
from metrics.verdict import (
    CLEARLY_LONGER,
    CLEARLY_SHORTER,
    FOLLOW_UP_QUANTILE,
    MIN_COMPLETED,
    OPEN_SHARE_GAP,
    Basis,
    FollowUp,
    StepWait,
    Verdict,
    decide,
    measure_outcome,
    open_share_words,
    p_words,
    quality_words,
    share_text,
    step_outcome,
    step_waits,
)
from metrics.windows import (
    WindowFigures,
    Windows,
    follow_up_cases,
    lead_time_points,
    split_cases,
    step_wait_shift,
    step_wait_values,
    window_bottlenecks,
    window_figures,
    window_figures_of,
    window_instances,
)
from model import DAY

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
    "p_corrected": pl.Float64(),
    "outcome": pl.String(),
    "significant": pl.Boolean(),
}
"""One measure compared: `kind` 'case' (lead, wait, process time: `significant` when the
interval excludes 0 and p < 0.05) or 'step' (the wait before a step, per instance:
`significant` when `p_corrected`, Holm's, is < 0.05). `outcome` is the word the page
colours it by (metrics.verdict): 'clearly shorter', 'clearly longer', 'could be chance',
or, for a completed-case measure while the censoring warning is on, 'unfair while cases
are open'; `significant` is true for the first two only."""

STEP_WAIT_FRAME_SCHEMA: dict[str, pl.DataType] = {
    "activity": pl.String(),
    "before_instances": pl.Int64(),
    "after_instances": pl.Int64(),
    "before_p50_s": pl.Float64(),
    "after_p50_s": pl.Float64(),
    "before_per_case_s": pl.Float64(),
    "after_per_case_s": pl.Float64(),
    "p_corrected": pl.Float64(),
    "outcome": pl.String(),
}
"""`Comparison.step_wait_shift` as a frame for the chart; `outcome` as in EFFECT_SCHEMA,
or 'too few waits to test' for a step outside Holm's family."""


@dataclass(frozen=True)
class Comparison:
    """Everything the page and the command line show about one change."""

    offering: str
    windows: Windows = field(metadata=JSON_INLINE)
    before: WindowFigures
    after: WindowFigures
    lead: MeasureComparison
    wait: MeasureComparison
    process: MeasureComparison
    step_wait_shift: tuple[StepWait, ...]
    """Every step something waits in front of, in the steps' usual order."""
    bottleneck_shifted: bool
    censoring_warning: bool
    follow_up: FollowUp | None
    rework_p: float | None
    quality_warning: bool
    verdict: Verdict
    verdict_text: str
    verdict_basis: Basis
    notes: tuple[str, ...]
    points: pl.DataFrame = field(metadata=JSON_SKIP)
    """The process behaviour chart's points (metrics.windows.lead_time_points)."""
    compared: pl.DataFrame = field(metadata=JSON_SKIP)
    """The completed cases compared: window, case_id, first_start, last_end, lead, wait and
    process time (s), has_rework."""

    @property
    def bottleneck_before(self) -> str | None:
        return self.before.bottleneck

    @property
    def bottleneck_after(self) -> str | None:
        return self.after.bottleneck

    @property
    def steps_tested(self) -> int:
        """How many steps Holm's correction runs over."""
        return sum(s.tested for s in self.step_wait_shift)

    @property
    def open_share_text(self) -> str:
        return open_share_words(self.before, self.after)

    @property
    def quality_text(self) -> str:
        return quality_words(self.before, self.after, self.rework_p)

    def outcome(self, m: MeasureComparison) -> str:
        """How the page colours a completed-case measure (lead, wait or process time):
        never as a change while the censoring warning is on (metrics.verdict.measure_outcome)."""
        return measure_outcome(m, censoring_warning=self.censoring_warning)

    def effects(self) -> pl.DataFrame:
        """The median differences with their intervals, one row per measure (EFFECT_SCHEMA).

        Lead time (and the censoring-aware lead time when there is one), wait and
        process time first, then the wait before each step that was tested.
        """
        cases = [(m, self.outcome(m)) for m in (self.lead, self.wait, self.process)]
        if self.follow_up is not None and self.follow_up.possible:
            fair = self.follow_up.lead
            cases.insert(1, (fair, measure_outcome(fair)))
        rows = [
            {
                "measure": m.measure,
                "label": m.label,
                "kind": "case",
                "before_n": m.before_n,
                "after_n": m.after_n,
                "before_p50_s": m.before_p50,
                "after_p50_s": m.after_p50,
                "median_diff_s": m.median_diff,
                "ci_low_s": m.ci95[0] if m.ci95 else None,
                "ci_high_s": m.ci95[1] if m.ci95 else None,
                "p_value": m.p_value,
                "p_corrected": None,
                "outcome": outcome,
            }
            for m, outcome in cases
        ]
        rows += [
            {
                "measure": s.activity,
                "label": f"Wait before {s.activity}",
                "kind": "step",
                "before_n": s.before_instances,
                "after_n": s.after_instances,
                "before_p50_s": s.before_p50_s,
                "after_p50_s": s.after_p50_s,
                "median_diff_s": s.median_diff_s,
                "ci_low_s": s.median_diff_ci95_s[0] if s.median_diff_ci95_s else None,
                "ci_high_s": s.median_diff_ci95_s[1] if s.median_diff_ci95_s else None,
                "p_value": s.mannwhitney_p,
                "p_corrected": s.holm_p,
                "outcome": step_outcome(s),
            }
            for s in self.step_wait_shift
            if s.tested
        ]
        return pl.DataFrame(rows, schema=EFFECT_SCHEMA).with_columns(
            significant=pl.col("outcome").is_in([CLEARLY_SHORTER, CLEARLY_LONGER])
        )

    def step_wait_frame(self) -> pl.DataFrame:
        """`step_wait_shift` as a frame (STEP_WAIT_FRAME_SCHEMA), for the chart."""
        return pl.DataFrame(
            [
                {
                    "activity": s.activity,
                    "before_instances": s.before_instances,
                    "after_instances": s.after_instances,
                    "before_p50_s": s.before_p50_s,
                    "after_p50_s": s.after_p50_s,
                    "before_per_case_s": s.before_per_case_s,
                    "after_per_case_s": s.after_per_case_s,
                    "p_corrected": s.holm_p,
                    "outcome": step_outcome(s),
                }
                for s in self.step_wait_shift
            ],
            schema=STEP_WAIT_FRAME_SCHEMA,
        )

    def to_json(self) -> dict[str, Any]:
        """The comparison as one JSON object (`metrics.stats.json_ready`).

        The headline lead-time test is also given flat (`lead_time_median_diff_s`,
        `lead_time_median_diff_ci95_s`, `lead_time_mannwhitney_p`), as the first
        version of this command printed it, so scripts reading those keep working.
        """
        out: dict[str, Any] = json_ready(self)
        out["lead_time_median_diff_s"] = out["lead"]["median_diff"]
        out["lead_time_median_diff_ci95_s"] = out["lead"]["ci95"]
        out["lead_time_mannwhitney_p"] = out["lead"]["p_value"]
        return out


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
    steps_of: Callable[[pl.Series], pl.LazyFrame] | None = None,
) -> Comparison:
    """Compare the cases of `offering` that started before `change` with those that started after.

    `instances` and `cases` are `derive_instances` and `case_table` over every
    case of the offering (other offerings may be present: they are dropped
    here, once). `data_end` is the instant the data reaches, by default the
    offering's latest timestamp. `steps_of`, when given, reads the offering's steps of
    the windows' cases (their `case_index`) instead of filtering `instances`: a
    warehouse whose steps are scanned then reads those cases' steps alone. Collects:
    this is, like `summary`, an end point, not a building block.
    """
    if change.tzinfo is None:
        raise ValueError("change must be timezone-aware")
    if before_days < 1 or after_days < 1:
        raise ValueError("both windows need at least one day")
    instances = instances.filter(pl.col("offering") == offering)
    cases = cases.filter(pl.col("offering") == offering)
    if data_end is None:
        latest = cases.select(pl.col("last_end").max()).collect(engine=ENGINE).item()
        data_end = latest if latest is not None else change
    assert data_end is not None
    w = Windows(change=change, before_days=before_days, after_days=after_days, data_end=data_end)
    split = split_cases(cases, w).collect(engine=ENGINE)
    if steps_of is not None:
        instances = steps_of(split.filter(pl.col("completed"))["case_index"])
    inst = window_instances(instances, split.lazy())
    per_window = steps(inst, by=("window",))
    figures, shift, necks, waits, points = pl.collect_all(
        [
            window_figures(split.lazy(), cases, w),
            step_wait_shift(per_window, split.lazy()),
            window_bottlenecks(per_window),
            step_wait_values(inst),
            lead_time_points(cases, w),
        ],
        engine=ENGINE,
    )
    before, after = window_figures_of(figures, necks, w)
    done = split.filter(pl.col("completed"))
    by_side = _sides(done)

    def measure(column: str, label: str) -> MeasureComparison:
        return compare_values(
            column,
            label,
            _values(by_side, "before", column),
            _values(by_side, "after", column),
            resamples=resamples,
            seed=seed,
        )

    lead = measure("lead_time_s", "Lead time")
    wait = measure("wait_time_s", "Wait time")
    process = measure("process_time_s", "Process time")
    step_wait = step_waits(shift, waits, resamples=resamples, seed=seed)
    open_gap = (
        abs(after.open_share - before.open_share)
        if after.open_share is not None and before.open_share is not None
        else 0.0
    )
    censoring = open_gap > OPEN_SHARE_GAP
    follow_up = None
    before_leads = _values(by_side, "before", "lead_time_s")
    if censoring and before_leads.size:
        horizon = float(np.percentile(before_leads, FOLLOW_UP_QUANTILE * 100))
        follow_up = _follow_up(split, w, horizon, resamples=resamples, seed=seed)
    rework_p = two_proportion_p(
        before.rework_cases, before.completed, after.rework_cases, after.completed
    )
    rose = (
        after.rework_case_share is not None
        and before.rework_case_share is not None
        and after.rework_case_share > before.rework_case_share
    )
    decision = decide(before, after, w, lead, wait, step_wait, censoring, follow_up)
    notes = []
    if w.after_end > data_end:
        days = max(0.0, (data_end - change).total_seconds() / DAY)
        notes.append(
            f"The data ends {days:.0f} days after the change, before the {after_days}-day after "
            "window is over: the after window holds only the cases started so far."
        )
    return Comparison(
        offering=offering,
        windows=w,
        before=before,
        after=after,
        lead=lead,
        wait=wait,
        process=process,
        step_wait_shift=step_wait,
        bottleneck_shifted=decision.shifted,
        censoring_warning=censoring,
        follow_up=follow_up,
        rework_p=rework_p,
        quality_warning=bool(rose and rework_p is not None and rework_p < ALPHA),
        verdict=decision.verdict,
        verdict_text=decision.text,
        verdict_basis=decision.basis,
        notes=tuple(notes),
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
    )


def _sides(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {key[0]: part for key, part in frame.partition_by("window", as_dict=True).items()}


def _values(by_side: dict[str, pl.DataFrame], side: str, column: str) -> np.ndarray:
    part = by_side.get(side)
    return np.empty(0) if part is None else part[column].drop_nulls().to_numpy()


def _follow_up(
    split: pl.DataFrame, w: Windows, horizon: float, *, resamples: int, seed: int
) -> FollowUp:
    """The equal-follow-up comparison with the horizon T (see the module's docstring)."""
    sample = _sides(follow_up_cases(split.lazy(), w, horizon).collect(engine=ENGINE))
    capped = compare_values(
        "lead_time_capped_s",
        f"Lead time, open cases counted as {duration_text(horizon)}",
        _values(sample, "before", "capped_lead_time_s"),
        _values(sample, "after", "capped_lead_time_s"),
        resamples=resamples,
        seed=seed,
    )
    return FollowUp(
        horizon_s=horizon,
        latest_start=w.data_end - timedelta(seconds=horizon),
        lead=capped,
        before_done_within=int(_values(sample, "before", "done_within").sum()),
        after_done_within=int(_values(sample, "after", "done_within").sum()),
        possible=capped.before_n >= MIN_COMPLETED and capped.after_n >= MIN_COMPLETED,
        possible_from=w.after_end + timedelta(seconds=horizon),
    )


def format_comparison(c: Comparison) -> str:
    """A readable text version of a comparison."""
    b, a = c.before, c.after
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
            f"{b.cases} ({b.completed})",
            f"{a.cases} ({a.completed})",
        ),
        ("open share", share_text(b.open_share), share_text(a.open_share)),
        ("lead time p50", duration_text(b.lead_time_s.p50), duration_text(a.lead_time_s.p50)),
        ("lead time p85", duration_text(b.lead_time_s.p85), duration_text(a.lead_time_s.p85)),
        ("wait time p50", duration_text(b.wait_time_s.p50), duration_text(a.wait_time_s.p50)),
        ("rework share", share_text(b.rework_case_share), share_text(a.rework_case_share)),
        (
            "throughput / week",
            f"{b.throughput_per_week or 0:.1f}",
            f"{a.throughput_per_week or 0:.1f}",
        ),
        ("bottleneck", c.bottleneck_before or "–", c.bottleneck_after or "–"),
    ]
    lines += [f"  {name:22}{x:>16}{y:>16}" for name, x, y in rows]
    lines.append(
        "Wait before each step, per completed case (before → after); the step test compares "
        f"the waits per instance, Holm-corrected over the {c.steps_tested} steps tested:"
    )
    for s in c.step_wait_shift:
        test = (
            f"Holm-corrected {p_words(s.holm_p)}: {step_outcome(s)}"
            if s.tested
            else step_outcome(s)
        )
        lines.append(
            f"  {s.activity}: {duration_text(s.before_per_case_s)} → "
            f"{duration_text(s.after_per_case_s)} ({test})"
        )
    lines += c.notes
    return "\n".join(lines)


if __name__ == "__main__":  # python -m metrics.compare: the `compare` command of cli/
    from cli import run_command

    sys.exit(run_command("compare"))
