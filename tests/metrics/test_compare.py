"""Before/after comparison: synthetic logs with a known truth get the right verdict and warnings.

Each synthetic log is one offering, Intake → Review → Build → Ship (the end
activity), cases arriving evenly for 60 days either side of the change. Waits
are lognormal; the scenario changes what happens to the cases started after the
change. The statistics are checked against scipy on fixed data and the bootstrap
interval's coverage by simulation.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from metrics.cases import case_table
from metrics.compare import Comparison, compare
from metrics.derive import derive_instances
from metrics.significance import (
    DEFAULT_RESAMPLES,
    bootstrap_median_diff_ci,
    compare_values,
    holm,
    mann_whitney,
    resampled_medians,
    two_proportion_p,
)
from metrics.verdict import step_changes_words
from tests.cli_runner import Ran, run_cli

CHANGE = datetime(2025, 3, 3, tzinfo=UTC)
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
STEPS = ("Intake", "Review", "Build", "Ship")


@dataclass(frozen=True)
class Truth:
    """What happens to the cases started after the change."""

    wait_factor: float = 1.0
    """Every wait of an after case is multiplied by this (0.7: a real 30% reduction)."""
    review_wait_factor: float = 1.0
    """The wait before Review of an after case is multiplied by this (the bottleneck relieved)."""
    move_review_wait: bool = False
    """80% of the wait before Review moves in front of Build, in the same case."""
    rework_before: float = 0.10
    rework_after: float = 0.10
    per_day: float = 4.0
    data_end: datetime | None = None
    """Instances not ended by then are not in the log (their cases are open)."""
    wait_sigma: float = 0.5
    wait_scale: float = 1.0
    """Every wait, before and after, is multiplied by this (longer lead times)."""
    review_wait_days: float = 4.0
    build_wait_days: float = 1.0
    """The median waits before Review and Build (Review is the bottleneck by default)."""
    days_each_side: int = 60
    """Cases arrive over this many days before the change and as many after it."""


def synthetic(seed: int, truth: Truth) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(instances, cases) of a synthetic log, derived by the real metrics code."""
    rng = np.random.default_rng(seed)
    change_us = int(CHANGE.timestamp() * 1_000_000)
    span_us = truth.days_each_side * DAY_US
    n = int(truth.per_day * 2 * truth.days_each_side)
    arrivals = np.sort(rng.integers(change_us - span_us, change_us + span_us, n))
    after = arrivals >= change_us
    factor = np.where(after, truth.wait_factor, 1.0)

    def wait(median_days: float) -> np.ndarray:
        spread = np.exp(truth.wait_sigma * rng.standard_normal(n))
        return median_days * truth.wait_scale * DAY_US * spread * factor

    review_wait = wait(truth.review_wait_days)
    build_wait, ship_wait = wait(truth.build_wait_days), wait(1.0)
    review_wait = review_wait * np.where(after, truth.review_wait_factor, 1.0)
    if truth.move_review_wait:
        moved = np.where(after, 0.8 * review_wait, 0.0)
        review_wait, build_wait = review_wait - moved, build_wait + moved
    rework = rng.random(n) < np.where(after, truth.rework_after, truth.rework_before)
    rows: list[tuple[int, str, int, int]] = []
    for i in range(n):
        t = int(arrivals[i])
        plan = [("Intake", 0.0), ("Review", review_wait[i])]
        if rework[i]:
            plan.append(("Review", 2 * HOUR_US))
        plan += [("Build", build_wait[i]), ("Ship", ship_wait[i])]
        for activity, gap in plan:
            start = t + int(gap)
            t = start + 2 * HOUR_US
            rows.append((i, activity, start, t))
    frame = pl.DataFrame(rows, schema=["case", "activity", "start_us", "end_us"], orient="row")
    if truth.data_end is not None:
        frame = frame.filter(pl.col("end_us") <= int(truth.data_end.timestamp() * 1_000_000))
    events = frame.select(
        offering=pl.lit("Synthetic"),
        case_id=pl.format("C-{}", pl.col("case")),
        activity="activity",
        start=pl.col("start_us").cast(pl.Datetime("us", "UTC")),
        end=pl.col("end_us").cast(pl.Datetime("us", "UTC")),
        resource=pl.lit(None, pl.String),
        event_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
    )
    catalog = pl.DataFrame(
        {
            "offering": ["Synthetic"] * len(STEPS),
            "activity": list(STEPS),
            "value_class": ["unclassified"] * len(STEPS),
            "kind": ["work"] * len(STEPS),
            "standard_minutes": [None] * len(STEPS),
            "is_end_activity": [a == "Ship" for a in STEPS],
        },
        schema_overrides={"standard_minutes": pl.Float64},
    )
    instances = derive_instances(events.lazy(), catalog.lazy()).collect()
    return instances, case_table(instances.lazy()).collect()


def run(seed: int, truth: Truth, before_days: int = 14, after_days: int = 14) -> Comparison:
    instances, cases = synthetic(seed, truth)
    return compare(
        instances.lazy(),
        cases.lazy(),
        "Synthetic",
        CHANGE,
        before_days,
        after_days,
        data_end=truth.data_end,
    )


def test_a_real_30_percent_reduction_is_faster() -> None:
    c = run(1, Truth(wait_factor=0.7))
    assert c.verdict == "faster"
    assert c.verdict_basis == "completed cases"
    assert not (c.censoring_warning or c.quality_warning or c.bottleneck_shifted)
    assert c.bottleneck_before == c.bottleneck_after == "Review"
    assert c.before.completed >= 40 and c.after.completed >= 40
    b50, a50 = c.before.lead_time_s.p50, c.after.lead_time_s.p50
    assert 0.6 <= a50 / b50 <= 0.8
    assert c.lead.ci95 is not None and c.lead.ci95[1] < 0
    assert c.lead.p_value is not None and c.lead.p_value < 0.05
    assert "Faster" in c.verdict_text and "fell" in c.verdict_text
    assert f"{c.before.completed} cases before" in c.verdict_text


def test_no_change_is_no_detectable_change() -> None:
    verdicts = [run(seed, Truth()).verdict for seed in range(10, 16)]
    assert verdicts.count("no detectable change") >= 5, verdicts
    assert "faster" not in verdicts[:1] and "waiting moved" not in verdicts
    c = run(10, Truth())
    assert c.verdict == "no detectable change"
    assert "could be chance" in c.verdict_text


def test_a_bottleneck_that_moved_with_total_wait_unchanged_is_waiting_moved() -> None:
    c = run(2, Truth(move_review_wait=True), 28, 28)
    assert c.bottleneck_before == "Review"
    assert c.bottleneck_after == "Build"
    assert c.bottleneck_shifted
    assert c.wait.p_value is not None and c.wait.p_value >= 0.05
    assert c.verdict == "waiting moved"
    assert c.verdict_text.startswith("Waiting moved from Review to Build")
    shift = {s.activity: s for s in c.step_wait_shift}
    assert shift["Review"].after_per_case_s < 0.5 * shift["Review"].before_per_case_s
    assert shift["Build"].after_per_case_s > 2 * shift["Build"].before_per_case_s


def test_a_relieved_bottleneck_in_a_faster_stream_is_not_a_shift() -> None:
    """Review's queue shrinks to a tenth and nothing moves: the bottleneck changes, flow improved."""
    c = run(3, Truth(review_wait_factor=0.1))
    assert c.bottleneck_before == "Review" and c.bottleneck_after != "Review"
    assert c.wait.p_value is not None and c.wait.p_value < 0.05 and c.wait.after_ranks_lower
    assert not c.bottleneck_shifted
    assert c.verdict == "faster"


def test_rework_rising_alongside_faster_flow_gives_a_quality_warning() -> None:
    c = run(5, Truth(wait_factor=0.7, rework_before=0.10, rework_after=0.45), 28, 28)
    assert c.verdict == "faster"
    assert c.quality_warning
    b, a = c.before, c.after
    assert a.rework_case_share > b.rework_case_share + 0.2
    assert c.rework_p is not None and c.rework_p < 0.05
    assert "rework" in c.quality_text and f"{a.rework_cases} of {a.completed}" in c.quality_text
    # Without the rise, no warning.
    assert not run(5, Truth(wait_factor=0.7), 28, 28).quality_warning


RECENT = Truth(data_end=CHANGE + timedelta(days=14), wait_sigma=0.6, wait_scale=1.5, per_day=6)
"""Nothing changed, but the data ends with the after window: its slow cases are still open."""


def test_a_recent_after_window_with_its_slow_cases_open_is_not_faster() -> None:
    c = run(6, RECENT)
    b, a = c.before, c.after
    # The trap is real: the completed after cases alone look clearly faster ...
    assert a.lead_time_s.p50 < 0.75 * b.lead_time_s.p50
    assert c.lead.significant and c.lead.median_diff is not None and c.lead.median_diff < 0
    assert a.completed >= 20  # so it is not the first rule that saves the day
    # ... but the open shares differ, so the warning is on and the verdict is not "faster".
    assert a.open_share - b.open_share > 0.10
    assert c.censoring_warning
    assert c.verdict == "too few cases"
    assert "Too early to tell" in c.verdict_text
    assert c.follow_up is not None and not c.follow_up.possible
    assert c.follow_up.possible_from == CHANGE + timedelta(days=14, seconds=c.follow_up.horizon_s)
    assert all(run(seed, RECENT).verdict != "faster" for seed in range(7, 11))


def test_completed_case_figures_are_not_coloured_while_many_cases_are_open() -> None:
    """The completed after cases look clearly faster, but the verdict cannot rest on them."""
    c = run(6, RECENT)
    assert c.censoring_warning and c.lead.significant and c.verdict == "too few cases"
    effects = c.effects().filter(pl.col("kind") == "case")
    assert set(effects["outcome"]) == {"unfair while cases are open"}
    assert not effects["significant"].any()


def test_with_enough_follow_up_the_censoring_aware_comparison_decides() -> None:
    """A long recent after window: the cases watched long enough are compared fairly."""
    end = CHANGE + timedelta(days=60)
    same = run(7, Truth(data_end=end, wait_sigma=0.6, wait_scale=1.5), 60, 60)
    assert same.censoring_warning
    assert same.follow_up is not None and same.follow_up.possible
    assert same.verdict_basis == "equal follow-up"
    assert same.verdict == "no detectable change"
    faster = run(7, Truth(data_end=end, wait_sigma=0.6, wait_scale=1.5, wait_factor=0.7), 60, 60)
    assert faster.censoring_warning and faster.verdict == "faster"
    assert faster.verdict_basis == "equal follow-up"
    assert "watched for at least" in faster.verdict_text


def test_too_few_completed_cases() -> None:
    c = run(8, Truth(per_day=1.0), 10, 10)
    assert c.before.completed < 20
    assert c.verdict == "too few cases"
    assert "at least 20" in c.verdict_text


def test_the_reported_statistics_are_scipys_on_the_windows_cases() -> None:
    instances, cases = synthetic(9, Truth(wait_factor=0.8))
    c = compare(instances.lazy(), cases.lazy(), "Synthetic", CHANGE, 14, 14)
    done = cases.filter(pl.col("completed"))
    before = done.filter(
        pl.col("first_start") >= CHANGE - timedelta(days=14), pl.col("first_start") < CHANGE
    )["lead_time_s"].to_numpy()
    after = done.filter(
        pl.col("first_start") >= CHANGE, pl.col("first_start") < CHANGE + timedelta(days=14)
    )["lead_time_s"].to_numpy()
    assert c.lead.before_n == before.size and c.lead.after_n == after.size
    assert c.lead.p_value == pytest.approx(stats.mannwhitneyu(after, before).pvalue, rel=1e-12)
    assert c.lead.before_p50 == pytest.approx(np.median(before))
    assert c.lead.after_p85 == pytest.approx(np.percentile(after, 85))
    assert c.lead.median_diff == pytest.approx(np.median(after) - np.median(before))
    assert c.after.lead_time_s.p85 == pytest.approx(np.percentile(after, 85))


FIXED_BEFORE = np.array([12.0, 15, 9, 22, 31, 18, 14, 27, 11, 19, 25, 16, 13, 40, 21, 17])
FIXED_AFTER = np.array([8.0, 11, 7, 15, 20, 9, 13, 10, 12, 6, 18, 14, 9.5, 16])


def test_mann_whitney_matches_scipy_on_fixed_data() -> None:
    p, lower = mann_whitney(FIXED_BEFORE, FIXED_AFTER)
    assert p == pytest.approx(
        stats.mannwhitneyu(FIXED_AFTER, FIXED_BEFORE, alternative="two-sided").pvalue
    )
    assert p == pytest.approx(
        stats.mannwhitneyu(FIXED_BEFORE, FIXED_AFTER, alternative="two-sided").pvalue
    )
    assert lower is True
    assert mann_whitney(FIXED_AFTER, FIXED_BEFORE)[1] is False
    assert mann_whitney(np.array([]), FIXED_AFTER) == (None, None)


def test_two_proportion_test_matches_scipy_and_the_hand_calculation() -> None:
    # 20/100 against 35/100: pooled 0.275, se = sqrt(.275 · .725 · .02), z = 2.3754.
    assert two_proportion_p(20, 100, 35, 100) == pytest.approx(0.017528, abs=1e-6)
    for k1, n1, k2, n2 in ((20, 100, 35, 100), (3, 40, 9, 31), (50, 60, 41, 55)):
        table = [[k1, n1 - k1], [k2, n2 - k2]]
        expected = stats.chi2_contingency(table, correction=False).pvalue
        assert two_proportion_p(k1, n1, k2, n2) == pytest.approx(expected, rel=1e-9)
    assert two_proportion_p(0, 10, 0, 12) == 1.0
    assert two_proportion_p(0, 0, 1, 2) is None


def test_bootstrap_interval_agrees_with_scipy_and_is_seeded() -> None:
    ours = bootstrap_median_diff_ci(FIXED_BEFORE, FIXED_AFTER, resamples=20_000, seed=1)
    assert ours is not None
    assert ours == bootstrap_median_diff_ci(FIXED_BEFORE, FIXED_AFTER, resamples=20_000, seed=1)

    def diff(b: np.ndarray, a: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(a, axis=axis) - np.median(b, axis=axis)

    ref = stats.bootstrap(
        (FIXED_BEFORE, FIXED_AFTER),
        diff,
        n_resamples=20_000,
        method="percentile",
        confidence_level=0.95,
        rng=np.random.default_rng(2),
    ).confidence_interval
    width = ref.high - ref.low
    assert ours[0] == pytest.approx(ref.low, abs=0.1 * width)
    assert ours[1] == pytest.approx(ref.high, abs=0.1 * width)
    with pytest.raises(ValueError):
        bootstrap_median_diff_ci(FIXED_BEFORE, FIXED_AFTER, resamples=500)


@pytest.mark.parametrize(
    "values",
    [[3.0, 1, 2, 7], [5.0, 1, 1, 9, 4], [1.0, 2.0], [2.0, 8, 3, 3, 10, 6], [4.0, 4, 4]],
)
def test_resampled_medians_have_the_distribution_of_every_resample_enumerated(
    values: list[float],
) -> None:
    """All n**n equally likely resamples of a small window, against 200,000 drawn medians."""
    x = np.array(values)
    n = x.size
    exact: Counter[float] = Counter(
        float(np.median(x[list(idx)])) for idx in itertools.product(range(n), repeat=n)
    )
    drawn = resampled_medians(x, 200_000, np.random.default_rng(7))
    got = Counter(drawn.tolist())
    assert set(got) <= set(exact)
    for median, count in exact.items():
        # Standard error of a share from 200,000 draws is at most 0.0011.
        assert got[median] / drawn.size == pytest.approx(count / n**n, abs=0.005), median


def test_the_bootstrap_interval_covers_the_true_shift_about_95_percent_of_the_time() -> None:
    """Lognormal lead times, medians 30 and 21 days: the true median difference is −9 days."""
    rng = np.random.default_rng(2024)
    runs, covered = 300, 0
    for i in range(runs):
        before = 30 * np.exp(0.5 * rng.standard_normal(60))
        after = 21 * np.exp(0.5 * rng.standard_normal(60))
        ci = bootstrap_median_diff_ci(before, after, resamples=2000, seed=i)
        assert ci is not None
        covered += ci[0] <= -9.0 <= ci[1]
    assert 0.90 <= covered / runs <= 0.985, covered / runs


def test_step_waits_are_compared_only_with_enough_instances() -> None:
    m = compare_values("X", "Wait before X", np.array([1.0, 2, 3]), np.arange(10.0), min_n=5)
    assert m.ci95 is None and m.p_value is None and not m.significant
    assert m.before_p50 == 2.0


def test_json_shape() -> None:
    c = run(1, Truth(wait_factor=0.7))
    out = json.loads(json.dumps(c.to_json(), allow_nan=False))
    assert set(out) >= {
        "offering",
        "change",
        "before",
        "after",
        "lead_time_median_diff_s",
        "lead_time_median_diff_ci95_s",
        "lead_time_mannwhitney_p",
        "rework_p",
        "step_wait_shift",
        "bottleneck_shifted",
        "censoring_warning",
        "quality_warning",
        "verdict",
        "verdict_text",
    }
    for side in ("before", "after"):
        assert set(out[side]) >= {
            "cases",
            "completed",
            "open_share",
            "lead_time_s",
            "rework_case_share",
            "bottleneck",
            "throughput_per_week",
        }
        assert set(out[side]["lead_time_s"]) == {"p50", "p85"}
    # Intake starts every case: nothing ever waits in front of it.
    assert [s["activity"] for s in out["step_wait_shift"]] == ["Review", "Build", "Ship"]
    assert set(out["step_wait_shift"][0]) >= {
        "activity",
        "before_p50_s",
        "after_p50_s",
        "before_total_s",
        "after_total_s",
    }
    lo, hi = out["lead_time_median_diff_ci95_s"]
    assert lo <= out["lead_time_median_diff_s"] <= hi
    assert out["verdict"] == "faster"
    assert DEFAULT_RESAMPLES >= 2000


def test_xmr_points_are_in_completion_order_with_limits_from_before_the_change() -> None:
    instances, cases = synthetic(1, Truth(wait_factor=0.7))
    c = compare(instances.lazy(), cases.lazy(), "Synthetic", CHANGE, 14, 28)
    pts = c.points
    assert pts["last_end"].is_sorted()
    baseline = pts.filter(pl.col("is_baseline"))
    assert baseline.height > 20
    assert (baseline["last_end"] < CHANGE).all()
    assert (pts.filter(~pl.col("is_baseline"))["last_end"] >= CHANGE).all()
    expected = (
        cases.filter(
            pl.col("completed"),
            pl.col("last_end") >= CHANGE - timedelta(days=14),
            pl.col("last_end") < CHANGE,
        )
        .sort("last_end")["lead_time_s"]
        .to_numpy()
    )
    assert baseline["lead_time_s"].to_list() == pytest.approx(list(expected))
    assert pts["centre"][0] == pytest.approx(expected.mean())
    assert pts["upper_limit"][0] == pytest.approx(
        expected.mean() + 2.66 * np.abs(np.diff(expected)).mean()
    )
    # The chart goes on until the last case started in the after window has completed.
    after_cases = cases.filter(
        pl.col("completed"),
        pl.col("first_start") >= CHANGE,
        pl.col("first_start") < CHANGE + timedelta(days=28),
    )
    assert pts["last_end"].max() == after_cases["last_end"].max()
    assert set(pts["window"]) == {"before", "after"}
    # A stable baseline has few signals; cases 30% faster run below its centre line.
    after = pts.filter(pl.col("window") == "after")
    assert baseline["signal"].mean() < 0.25
    assert (after["lead_time_s"] < after["centre"]).mean() > 0.75
    assert after["in_run"].mean() > baseline["signal"].mean() + 0.2


# --- the demo's two recorded changes -------------------------------------------------


@pytest.fixture(scope="module")
def demo_frames(demo_db: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    from warehouse import Warehouse

    with Warehouse.open(demo_db) as wh:
        events, catalog = wh.events(), wh.catalog()
    instances = derive_instances(events.lazy(), catalog.lazy()).collect()
    return instances, case_table(instances.lazy()).collect()


def test_the_demos_changes_get_their_expected_verdicts(
    demo_frames: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    from pipelines.demo_data import generate_demo

    instances, cases = demo_frames
    for change in generate_demo(scale=0.01).changes:
        c = compare(instances.lazy(), cases.lazy(), change.offering, change.changed_at)
        assert c.verdict == change.expected_verdict, c.verdict_text
        assert not c.censoring_warning and not c.quality_warning
    sample = compare(
        instances.lazy(),
        cases.lazy(),
        "Private label fulfillment",
        datetime(2026, 8, 1, tzinfo=UTC),
    )
    assert sample.verdict_text.startswith("Waiting moved from Label approval to Materials")


def test_the_charts_colour_a_step_only_by_the_test_the_verdict_uses(
    demo_frames: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    instances, cases = demo_frames

    def outcomes(frame: pl.DataFrame, column: str) -> dict[str, str]:
        return dict(zip(frame[column], frame["outcome"], strict=True))

    moved = compare(
        instances.lazy(),
        cases.lazy(),
        "Private label fulfillment",
        datetime(2026, 8, 1, tzinfo=UTC),
    )
    june = compare(
        instances.lazy(), cases.lazy(), "Custom formulation", datetime(2026, 6, 1, tzinfo=UTC)
    )
    for c in (moved, june):
        intervals = outcomes(c.effects().filter(pl.col("kind") == "step"), "measure")
        lines = outcomes(c.step_wait_frame(), "activity")
        assert intervals == {k: v for k, v in lines.items() if v != "too few waits to test"}
        assert len(intervals) == c.steps_tested >= 8
    lines = outcomes(moved.step_wait_frame(), "activity")
    assert (lines["Label approval"], lines["Materials"]) == ("clearly shorter", "clearly longer")
    assert "The wait clearly fell before Label approval and rose before Materials" in (
        step_changes_words(moved.step_wait_shift)
    )
    # June: the wait before Sample approval per completed case fell from about 8 to 3 days,
    # but cases started just before the change had their samples approved after it, so its
    # test could be chance; no chart may draw it as a clear fall.
    sample = {s.activity: s for s in june.step_wait_shift}["Sample approval"]
    assert sample.before_per_case_s > 2 * sample.after_per_case_s
    assert sample.tested and sample.holm_p >= 0.05 and sample.change is None
    assert outcomes(june.step_wait_frame(), "activity")["Sample approval"] == "could be chance"


def _cli(*args: str) -> Ran:
    return run_cli("compare", *args)


@pytest.mark.parametrize(
    ("offering", "change", "verdict"),
    [
        ("Custom formulation", "2026-06-01T00:00:00+00:00", "faster"),
        ("Private label fulfillment", "2026-08-01", "waiting moved"),
    ],
)
def test_the_cli_json_gives_the_demo_verdicts(
    demo_db: Path, tmp_path: Path, offering: str, change: str, verdict: str
) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    done = _cli("--db", str(db), "--offering", offering, "--change", change, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["verdict"] == verdict
    assert out["offering"] == offering
    assert out["change"].startswith(change[:10])
    assert out["before"]["completed"] >= 20 and out["after"]["completed"] >= 20
    assert out["censoring_warning"] is False and out["quality_warning"] is False
    if verdict == "waiting moved":
        assert out["bottleneck_shifted"] is True
        assert (out["before"]["bottleneck"], out["after"]["bottleneck"]) == (
            "Label approval",
            "Materials",
        )
    else:
        assert out["lead_time_median_diff_ci95_s"][1] < 0


def test_the_cli_text_and_errors(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(demo_db.read_bytes())
    done = _cli("--db", str(db), "--offering", "Custom formulation", "--change", "2026-06-01")
    assert done.returncode == 0, done.stderr
    assert "Verdict: faster" in done.stdout
    missing = _cli("--db", str(db), "--offering", "Nope", "--change", "2026-06-01")
    assert missing.returncode == 2 and "No offering" in missing.stderr
    bad = _cli("--db", str(db), "--offering", "Custom formulation", "--change", "June")
    assert bad.returncode == 2 and "not an ISO instant" in bad.stderr


QUIET = Truth(review_wait_days=2.0, build_wait_days=2.0, days_each_side=120)
"""Nothing changes, and two steps (Review, Build) have the same median wait: which of them
holds the most waiting flips from one window to the next by chance alone."""


def test_changes_recorded_on_random_dates_of_a_quiet_stream_rarely_get_a_verdict() -> None:
    """METRICS.md, "False verdicts": at least 90% "no detectable change" or "too few cases"."""
    instances, cases = synthetic(11, QUIET)
    rng = np.random.default_rng(12)
    # Far enough from both ends that every window is full and its cases have finished.
    offsets = rng.uniform(-120 + 28, 120 - 28 - 14, size=20)
    verdicts = []
    flips = 0
    for offset in offsets:
        change = CHANGE + timedelta(days=float(offset))
        for days in (14, 28):
            c = compare(instances.lazy(), cases.lazy(), "Synthetic", change, days, days)
            verdicts.append(c.verdict)
            flips += c.bottleneck_before != c.bottleneck_after
    quiet = verdicts.count("no detectable change") + verdicts.count("too few cases")
    assert quiet >= 0.9 * len(verdicts), Counter(verdicts)
    # The trap is set: the step with the most waiting does change between windows.
    assert flips >= 8, flips


def test_holm_matches_the_hand_calculation() -> None:
    # Sorted: 0.005 × 4 = 0.02, 0.01 × 3 = 0.03, 0.03 × 2 = 0.06, 0.04 × 1 = 0.04 → 0.06
    # (an adjusted p never falls below a smaller p's), back in the order given.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([0.01]) == pytest.approx([0.01])
    assert holm([]) == []


def test_each_steps_test_is_scipys_on_its_waits_corrected_by_holm() -> None:
    """The step tests recomputed from the instances, by scipy and Holm's formula by hand."""
    instances, cases = synthetic(2, Truth(move_review_wait=True))
    c = compare(instances.lazy(), cases.lazy(), "Synthetic", CHANGE, 28, 28)
    window = (
        cases.filter(
            pl.col("completed"),
            pl.col("first_start") >= CHANGE - timedelta(days=28),
            pl.col("first_start") < CHANGE + timedelta(days=28),
        )
        .select("case_index", after=pl.col("first_start") >= CHANGE)
        .join(instances, on="case_index")
        .filter(pl.col("wait_before_s").is_not_null())
    )
    raw = {}
    for step in ("Review", "Build", "Ship"):
        waits = window.filter(pl.col("activity") == step)
        before = waits.filter(~pl.col("after"))["wait_before_s"].to_numpy()
        after = waits.filter(pl.col("after"))["wait_before_s"].to_numpy()
        raw[step] = stats.mannwhitneyu(after, before, alternative="two-sided").pvalue
    ranked = sorted(raw, key=raw.__getitem__)
    expected, running = {}, 0.0
    for i, step in enumerate(ranked):
        running = max(running, min(1.0, (3 - i) * raw[step]))
        expected[step] = running
    by_step = {s.activity: s for s in c.step_wait_shift}
    assert set(by_step) == {"Review", "Build", "Ship"}
    for step, s in by_step.items():
        assert s.tested and s.mannwhitney_p == pytest.approx(raw[step], rel=1e-12)
        assert s.holm_p == pytest.approx(expected[step], rel=1e-12)
    # Review's queue moved in front of Build, in the same cases: both clear, Ship untouched.
    assert (by_step["Review"].change, by_step["Build"].change) == ("fell", "rose")
    assert by_step["Ship"].change is None
    assert c.verdict == "waiting moved"
    # The JSON carries each step's test with its corrected p-value.
    steps_json = json.loads(json.dumps(c.to_json(), allow_nan=False))["step_wait_shift"]
    assert [(s["activity"], s["holm_p"], s["change"]) for s in steps_json] == [
        (s.activity, s.holm_p, s.change) for s in c.step_wait_shift
    ]
    assert steps_json[0]["mannwhitney_p"] == pytest.approx(raw["Review"], rel=1e-12)


def test_a_step_with_too_few_waits_is_outside_the_family() -> None:
    """So few cases that no step has 5 waits in each window: no step is tested or coloured."""
    c = run(8, Truth(per_day=0.2), 10, 10)
    assert c.steps_tested == 0
    assert all(s.holm_p is None and s.change is None for s in c.step_wait_shift)
    assert set(c.step_wait_frame()["outcome"]) == {"too few waits to test"}
    assert c.effects().filter(pl.col("kind") == "step").height == 0


def test_a_steps_wait_reads_both_medians_in_one_unit() -> None:
    from metrics.verdict import StepWait, step_words

    fell = StepWait(
        activity="Label approval",
        before_instances=45,
        after_instances=41,
        before_p50_s=3.3 * 86_400,
        after_p50_s=38.8 * 3_600,
        before_total_s=0.0,
        after_total_s=0.0,
        before_per_case_s=None,
        after_per_case_s=None,
        median_diff_s=None,
        median_diff_ci95_s=None,
        mannwhitney_p=0.0001,
        holm_p=0.0004,
        change="fell",
    )
    assert step_words(fell).startswith(
        "the wait before Label approval fell from a median of 3.3 d to 1.6 d (45 and 41 waits; "
    )
    tenfold = replace(fell, after_p50_s=20 * 60.0)
    assert "fell from a median of 3.3 d to 20 min (" in step_words(tenfold)
