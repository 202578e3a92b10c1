"""Compare offerings: the scorecard (as case_summary), weekly throughput, shared lead-time bins."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from metrics.cases import case_table
from metrics.derive import derive_instances
from metrics.scorecard import lead_time_bins, lead_time_histogram, scorecard, weekly_throughput
from metrics.summary import case_summary
from tests.metrics.frames import T0, catalog, events

DAY_H = 24


def _two_offerings() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Offering "Fast": 3 completed cases of 1, 2 and 3 days; "Slow": 10 and 20 days plus one open."""
    fast = events(
        [
            ("f1", "In", 0, 1),
            ("f1", "Out", 23, 24),
            ("f2", "In", 0, 1),
            ("f2", "Fix", 2, 3),
            ("f2", "Fix", 4, 5),
            ("f2", "Out", 47, 48),
            ("f3", "In", 0, 1),
            ("f3", "Out", 71, 72),
        ],
        offering="Fast",
    )
    slow = events(
        [
            ("s1", "In", 0, 1),
            ("s1", "Wait here", 100, 101),
            ("s1", "Out", 239, 240),
            ("s2", "In", 0, 1),
            ("s2", "Wait here", 300, 301),
            ("s2", "Out", 479, 480),
            ("s3", "In", 0, 1),
        ],
        offering="Slow",
    )
    log = pl.concat([fast, slow]).with_columns(event_id=pl.int_range(1, 16, dtype=pl.Int64))
    cat = pl.concat(
        [
            catalog([{"activity": "Out", "is_end_activity": True}], offering=o)
            for o in ("Fast", "Slow")
        ]
    )
    inst = derive_instances(log.lazy(), cat.lazy()).collect()
    return inst, case_table(inst.lazy()).collect()


def test_scorecard_agrees_with_case_summary_per_offering() -> None:
    inst, cases = _two_offerings()
    card = scorecard(inst.lazy(), cases.lazy()).collect()
    summary = case_summary(cases.lazy(), by=("offering",)).collect().sort("offering")
    assert card["offering"].to_list() == ["Fast", "Slow"]
    for name in (
        "cases",
        "completed_cases",
        "lead_time_s_p50",
        "lead_time_s_p85",
        "pce",
        "rework_case_share",
    ):
        assert card[name].to_list() == summary[name].to_list(), name
    assert card["lead_time_s_p50"].to_list() == [48 * 3600.0, 360 * 3600.0]
    assert card["rework_case_share"].to_list() == pytest.approx([1 / 3, 0.0])
    assert card["bottleneck"].to_list() == ["Out", "Wait here"]


def test_throughput_per_week_over_the_window_or_from_the_first_completion() -> None:
    inst, cases = _two_offerings()
    window = scorecard(inst.lazy(), cases.lazy(), T0, T0 + timedelta(days=14)).collect()
    assert window["weeks"].to_list() == [2.0, 2.0]
    assert window["completed_in_period"].to_list() == [3, 1]  # s2 completes on day 20
    assert window["throughput_per_week"].to_list() == [1.5, 0.5]
    whole = scorecard(inst.lazy(), cases.lazy()).collect().row(1, named=True)
    # Slow: from its first completion (day 10) to its latest event (day 20): 10 days, 2 cases.
    assert whole["weeks"] == pytest.approx(10 / 7)
    assert whole["throughput_per_week"] == pytest.approx(2 / (10 / 7))


def test_weekly_throughput_has_every_week_of_the_window() -> None:
    _, cases = _two_offerings()
    out = weekly_throughput(cases.lazy(), T0, T0 + timedelta(days=21)).collect()
    slow = out.filter(pl.col("offering") == "Slow")
    assert slow["week"].to_list() == [T0.date() + timedelta(days=7 * i) for i in range(3)]
    assert slow["completed_cases"].to_list() == [0, 1, 1]
    assert out.filter(pl.col("offering") == "Fast")["completed_cases"].to_list() == [3, 0, 0]


def test_histogram_bins_are_shared_and_the_last_holds_the_longest() -> None:
    _, cases = _two_offerings()
    width, last = lead_time_bins(cases, bins=4, upper_share=1.0)
    assert width == 5 * 86400.0  # 20 days / 4 bins
    assert last == 20 * 86400.0
    out = lead_time_histogram(cases.lazy(), width, 10 * 86400.0).collect()
    assert out.select("offering", "bin_start_s", "cases", "is_overflow").rows() == [
        ("Fast", 0.0, 3, False),
        ("Slow", 10 * 86400.0, 2, True),
    ]
    assert out["share"].to_list() == [1.0, 1.0]
