"""The verdict on a change, by METRICS.md's rules, and the plain words that give its evidence.

Definitions implemented (../shared/METRICS.md, "Statistics"):

- **Step tests.** A step's waits are compared per instance (rework repeats
  included) with a two-sided Mann–Whitney test. The family is every step with
  at least 5 waits in each window, one test each; Holm's correction keeps the
  family-wise p < 0.05. A step's wait *fell* or *rose* when its corrected p <
  0.05, the direction read from the medians; otherwise the change could be
  chance. These are the figures the page colours a step by, and the only ones
  the verdict names a step on.
- **Bottleneck shift** (waiting moved): all of (1) the step with the largest
  total wait differs between the windows; (2) the wait before the old
  bottleneck fell and the wait before the new one rose, each by its corrected
  step test; (3) wait time per case did not fall (two-sided Mann–Whitney p <
  0.05 with the lower median after, no correction). A change of which step
  has the largest total wait is not enough: with two steps of similar wait it
  flips by chance from any window to the next. A bottleneck that changes
  because the old one was relieved and the stream got faster is an
  improvement, not a shift.
- **Censoring warning**: the windows' open shares differ by more than 10
  points. A recent window loses its slowest cases first: its completed cases
  look faster than the window really is.
- **Quality warning**: rework share rose and the two-proportion test gives p < 0.05.
- **Verdict**, first rule that applies: fewer than 20 completed cases in
  either window → "too few cases"; censoring warning and no censoring-aware
  comparison possible → "too few cases"; bottleneck shift → "waiting moved";
  lead time median difference significant (interval excludes 0 and p < 0.05)
  → "faster" or "slower"; otherwise "no detectable change". The lead-time rule
  uses the censoring-aware comparison (`FollowUp`) when the warning is on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import polars as pl

from metrics.significance import (
    ALPHA,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    MeasureComparison,
    compare_values,
    holm,
)
from metrics.stats import duration_text
from metrics.windows import WindowFigures, Windows

Verdict = Literal["faster", "slower", "no detectable change", "waiting moved", "too few cases"]
VERDICTS: tuple[Verdict, ...] = (
    "faster",
    "slower",
    "no detectable change",
    "waiting moved",
    "too few cases",
)
Basis = Literal["completed cases", "equal follow-up"]
StepChange = Literal["fell", "rose"]

MIN_COMPLETED = 20
"""Fewer completed cases than this in either window → "too few cases"."""
OPEN_SHARE_GAP = 0.10
"""Open shares differing by more than this → the censoring warning."""
MIN_STEP_WAITS = 5
"""A step is tested (and in Holm's family) only with this many waits in each window."""
FOLLOW_UP_QUANTILE = 0.85
"""The censoring-aware horizon T is this quantile of the before window's completed lead times."""

CLEARLY_SHORTER, CLEARLY_LONGER, COULD_BE_CHANCE, NOT_TESTED, NOT_FAIR = (
    "clearly shorter",
    "clearly longer",
    "could be chance",
    "too few waits to test",
    "unfair while cases are open",
)
"""What a measure's change is called on the page, in its colour legend and its words.
NOT_TESTED: a step outside Holm's family (fewer than 5 waits in a window). NOT_FAIR: a
completed-case figure while the censoring warning is on (the after window has lost its
slowest cases), which is never coloured as a change."""


@dataclass(frozen=True)
class StepWait:
    """The wait before one step in each window's completed cases, and its test.

    Per-case figures (totals / completed cases) say where the waiting went;
    the test compares the waits per instance.
    """

    activity: str
    before_instances: int
    after_instances: int
    """Waits counted: instances of the step with a predecessor in their case."""
    before_p50_s: float | None
    after_p50_s: float | None
    before_total_s: float
    after_total_s: float
    before_per_case_s: float | None
    after_per_case_s: float | None
    median_diff_s: float | None
    median_diff_ci95_s: tuple[float, float] | None
    mannwhitney_p: float | None
    """Two-sided Mann–Whitney U, before correction; None outside the family."""
    holm_p: float | None
    """`mannwhitney_p` after Holm's correction over the family; None outside it."""
    change: StepChange | None
    """'fell' or 'rose' when holm_p < 0.05 (direction from the medians); None: could be
    chance, or too few waits to test."""

    @property
    def tested(self) -> bool:
        """In Holm's family: at least `MIN_STEP_WAITS` waits in each window."""
        return self.holm_p is not None


def step_waits(
    shift: pl.DataFrame,
    values: pl.DataFrame,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> tuple[StepWait, ...]:
    """Each step's wait figures with its Holm-corrected test, in the steps' usual order.

    `shift` is `metrics.windows.step_wait_shift`'s frame, `values` is
    `metrics.windows.step_wait_values`'s, both collected.
    """
    groups = values.partition_by("activity", "window", as_dict=True)
    empty = np.empty(0)

    def waits(activity: str, side: str) -> np.ndarray:
        frame = groups.get((activity, side))
        return empty if frame is None else frame["wait_before_s"].to_numpy()

    rows = list(shift.iter_rows(named=True))
    tests = [
        compare_values(
            row["activity"],
            f"Wait before {row['activity']}",
            waits(row["activity"], "before"),
            waits(row["activity"], "after"),
            resamples=resamples,
            seed=seed,
            min_n=MIN_STEP_WAITS,
        )
        for row in rows
    ]
    family = [i for i, t in enumerate(tests) if min(t.before_n, t.after_n) >= MIN_STEP_WAITS]
    # Every value tied (p undefined) is still one test of the family: it counts as p = 1.
    raw = [tests[i].p_value for i in family]
    corrected = dict(zip(family, holm([1.0 if p is None else p for p in raw]), strict=True))
    out = []
    for i, (row, t) in enumerate(zip(rows, tests, strict=True)):
        holm_p = corrected.get(i)
        diff = t.median_diff
        change: StepChange | None = None
        if holm_p is not None and holm_p < ALPHA and diff is not None and diff != 0:
            change = "fell" if diff < 0 else "rose"
        out.append(
            StepWait(
                activity=row["activity"],
                before_instances=row["before_instances"],
                after_instances=row["after_instances"],
                before_p50_s=t.before_p50,
                after_p50_s=t.after_p50,
                before_total_s=row["before_total_s"],
                after_total_s=row["after_total_s"],
                before_per_case_s=row["before_per_case_s"],
                after_per_case_s=row["after_per_case_s"],
                median_diff_s=t.median_diff,
                median_diff_ci95_s=t.ci95,
                mannwhitney_p=t.p_value,
                holm_p=holm_p,
                change=change,
            )
        )
    return tuple(out)


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


@dataclass(frozen=True)
class Decision:
    """What `decide` concluded."""

    verdict: Verdict
    text: str
    """The verdict's sentence with its evidence."""
    basis: Basis
    """Which lead-time comparison the verdict used."""
    shifted: bool
    """The bottleneck shift rule fired (it may still be overruled by "too few cases")."""


def bottleneck_shift(
    before: WindowFigures,
    after: WindowFigures,
    steps: tuple[StepWait, ...],
    wait: MeasureComparison,
) -> bool:
    """METRICS.md's three conditions of a bottleneck shift, all on figures the page shows."""
    old, new = before.bottleneck, after.bottleneck
    if old is None or new is None or old == new:
        return False
    by_step = {s.activity: s for s in steps}
    relieved = old in by_step and by_step[old].change == "fell"
    loaded = new in by_step and by_step[new].change == "rose"
    return relieved and loaded and not wait.fell


def share_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def p_text(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def p_words(value: float | None) -> str:
    """'p = 0.012' or 'p < 0.001'."""
    text = p_text(value)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def change_words(m: MeasureComparison) -> str:
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


def step_words(s: StepWait) -> str:
    """'the wait before X fell from a median of 4.6 d to 1.1 d (45 and 41 waits; p < 0.001)'."""
    moved = {"fell": "fell", "rose": "rose", None: "changed"}[s.change]
    before, after = s.before_p50_s, s.after_p50_s
    # One unit for both ends where they are comparable (3.3 d to 1.6 d, not 3.3 d to
    # 38.8 h); a tenfold change keeps each in its own, or the smaller would read 0.0.
    alike = bool(before and after and 0.1 < after / before < 10)
    return (
        f"the wait before {s.activity} {moved} from a median of {duration_text(before)} "
        f"to {duration_text(after, like=before if alike else None)} "
        f"({s.before_instances} and {s.after_instances} waits; {p_words(s.holm_p)})"
    )


def open_share_words(before: WindowFigures, after: WindowFigures) -> str:
    return (
        f"{share_text(before.open_share)} of the {before.cases} cases started before the change "
        f"are still open, {share_text(after.open_share)} of the {after.cases} started after it."
    )


def quality_words(before: WindowFigures, after: WindowFigures, rework_p: float | None) -> str:
    return (
        f"Completed cases with rework: {share_text(before.rework_case_share)} before "
        f"({before.rework_cases} of {before.completed}), {share_text(after.rework_case_share)} "
        f"after ({after.rework_cases} of {after.completed}); two-proportion test "
        f"p = {p_text(rework_p)}."
    )


def _no_shift_words(
    before: WindowFigures,
    after: WindowFigures,
    steps: tuple[StepWait, ...],
    wait: MeasureComparison,
) -> str:
    """Why a change of the largest queue is not called a shift ('' when it did not change)."""
    old, new = before.bottleneck, after.bottleneck
    if old is None or new is None or old == new:
        return ""
    if wait.fell:
        return (
            f" The longest queue is now in front of {new} instead of {old} because waiting fell "
            f"overall (wait time per case: Mann–Whitney {p_words(wait.p_value)}): an improvement, "
            "not a queue that moved."
        )
    return (
        f" The longest queue was in front of {old} before the change and in front of {new} "
        f"after it, but the waits in front of them did not both change clearly (their step "
        "tests could be chance), so the queue has not been shown to move."
    )


def decide(
    before: WindowFigures,
    after: WindowFigures,
    windows: Windows,
    lead: MeasureComparison,
    wait: MeasureComparison,
    steps: tuple[StepWait, ...],
    censoring_warning: bool,
    follow_up: FollowUp | None,
) -> Decision:
    """The verdict by METRICS.md's rules, first rule that applies, with its evidence in words."""
    shifted = bottleneck_shift(before, after, steps, wait)
    basis: Basis = "completed cases"
    windows_words = (
        f"cases started in the {windows.before_days} days before the change and in the "
        f"{windows.after_days} days after it"
    )
    if before.completed < MIN_COMPLETED or after.completed < MIN_COMPLETED:
        short = "before" if before.completed < MIN_COMPLETED else "after"
        return Decision(
            "too few cases",
            f"Too few cases to tell yet: {before.completed} completed cases started before the "
            f"change and {after.completed} after it; each window needs at least {MIN_COMPLETED}. "
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
        return Decision(
            "too few cases",
            f"Too early to tell: {share_text(after.open_share)} of the cases started after the "
            f"change are still open, against {share_text(before.open_share)} of those before. "
            "Slow cases finish last, so the cases completed so far make the after window look "
            f"faster than it is. A fair comparison needs at least {MIN_COMPLETED} cases in each "
            f"window that have had{horizon} to finish.{when}",
            basis,
            shifted,
        )
    family = sum(s.tested for s in steps)
    if shifted:
        by_step = {s.activity: s for s in steps}
        old, new = before.bottleneck, after.bottleneck
        assert old is not None and new is not None
        moved = (
            f"Waiting moved from {old} to {new}: before the change the longest queue was in "
            f"front of {old}, after it in front of {new}; {step_words(by_step[old])}, and "
            f"{step_words(by_step[new])}. Each p is a Mann–Whitney test of the single waits, "
            f"corrected with Holm's method for the {family} steps tested."
        )
        if wait.median_diff is not None:
            moved += (
                f" Wait time per case did not fall: median {duration_text(wait.before_p50)} "
                f"before ({wait.before_n} completed cases), {duration_text(wait.after_p50)} after "
                f"({wait.after_n}); Mann–Whitney p = {p_text(wait.p_value)}. The queue moved "
                "rather than shrank."
            )
        return Decision("waiting moved", moved, basis, shifted)
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
    queue = _no_shift_words(before, after, steps, wait)
    if used.median_diff is not None and used.significant:
        verdict: Verdict = "faster" if used.median_diff < 0 else "slower"
        word = "fell" if verdict == "faster" else "rose"
        return Decision(
            verdict,
            f"{verdict.capitalize()}: the median lead time {word} from "
            f"{duration_text(used.before_p50)} ({used.before_n} cases before the change) to "
            f"{duration_text(used.after_p50)} ({used.after_n} cases after it), "
            f"{change_words(used)}; Mann–Whitney p = {p_text(used.p_value)}.{capped}{queue}",
            basis,
            shifted,
        )
    diff = (
        f" The difference, {change_words(used)}, could be chance (Mann–Whitney p = "
        f"{p_text(used.p_value)})."
        if used.median_diff is not None
        else ""
    )
    return Decision(
        "no detectable change",
        f"No detectable change: median lead time {duration_text(used.before_p50)} before "
        f"({used.before_n} cases) and {duration_text(used.after_p50)} after ({used.after_n} "
        f"cases), comparing {windows_words}.{diff}{capped}{queue}",
        basis,
        shifted,
    )


def measure_outcome(m: MeasureComparison, censoring_warning: bool = False) -> str:
    """A case measure's colour word: clearly shorter or longer (interval and p agree), else chance.

    With the censoring warning on, a comparison of completed cases only is not
    fair (pass `censoring_warning=False` for the equal-follow-up comparison).
    """
    if censoring_warning:
        return NOT_FAIR
    diff = m.median_diff
    if not m.significant or diff is None or diff == 0:
        return COULD_BE_CHANCE
    return CLEARLY_SHORTER if diff < 0 else CLEARLY_LONGER


def step_changes_words(steps: tuple[StepWait, ...]) -> str:
    """Which steps' waits changed clearly, by the step tests the verdict uses."""
    fell = [s.activity for s in steps if s.change == "fell"]
    rose = [s.activity for s in steps if s.change == "rose"]
    if not fell and not rose:
        return "No step's wait changed clearly: every difference could be chance."
    said = []
    if fell:
        said.append(f"fell before {', '.join(fell)}")
    if rose:
        said.append(f"rose before {', '.join(rose)}")
    return f"The wait clearly {' and '.join(said)}; any other difference could be chance."


def step_outcome(s: StepWait) -> str:
    """A step's colour word, from the same corrected test the verdict uses."""
    if not s.tested:
        return NOT_TESTED
    return {"fell": CLEARLY_SHORTER, "rose": CLEARLY_LONGER, None: COULD_BE_CHANCE}[s.change]
