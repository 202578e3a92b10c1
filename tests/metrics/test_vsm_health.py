"""The value stream map's boxes and ladder, and the stream health rows, on literal logs."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from metrics.health import default_period, health, lead_time_trend
from metrics.vsm import ladder, vsm_steps
from tests.metrics.frames import T0, H, at, cases_of, catalog, derive, events

# Three cases through A → B → C; case 3 loops back to B; case 4 only did A (open).
LOG = events(
    [
        ("1", "A", 0, 1),
        ("1", "B", 3, 5),
        ("1", "C", 9, 10),
        ("2", "A", 0, 2),
        ("2", "B", 4, 5),
        ("2", "C", 7, 8),
        ("3", "A", 0, 1),
        ("3", "B", 2, 3),
        ("3", "B", 4, 6),
        ("3", "C", 8, 9),
        ("4", "A", 20, 21),
    ]
)
CAT = catalog(
    [
        {"activity": "A", "value_class": "necessary"},
        {"activity": "B", "value_class": "value-adding"},
        {"activity": "C", "value_class": "necessary", "is_end_activity": True},
    ]
)


def test_vsm_boxes_follow_the_main_path_with_medians() -> None:
    inst = derive(LOG, CAT)
    boxes = vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()
    assert boxes["activity"].to_list() == ["A", "B", "C"]
    assert boxes["position"].to_list() == [1, 2, 3]
    assert boxes["value_class"].to_list() == ["necessary", "value-adding", "necessary"]
    # C/T medians: A (1, 2, 1, 1) h → 1 h; B (2, 1, 1, 2) h → 1.5 h; C 1 h.
    assert boxes["process_time_s_p50"].to_list() == [1 * H, 1.5 * H, 1 * H]
    # Waits before: A has no predecessor; B (2, 2, 1, 1) h → 1.5 h; C (4, 2, 2) h → 2 h.
    assert boxes["wait_before_s_p50"].to_list() == [None, 1.5 * H, 2 * H]
    assert boxes["wait_before_s_sum"].to_list() == [0.0, 6 * H, 8 * H]
    assert boxes["is_bottleneck"].to_list() == [False, False, True]
    # B repeats in one of its three cases.
    assert boxes["pct_c_and_a"].to_list() == pytest.approx([1.0, 2 / 3, 1.0])
    assert boxes["case_share"].to_list() == pytest.approx([1.0, 0.75, 0.75])


def test_ladder_adds_the_medians_like_a_napkin_map() -> None:
    inst = derive(LOG, CAT)
    boxes = vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()
    totals = ladder(boxes)
    assert totals["wait_s"] == 3.5 * H
    assert totals["process_s"] == 3.5 * H
    assert totals["lead_s"] == 7 * H
    assert totals["pce"] == pytest.approx(1.5 / 7)
    assert totals["process_known"]


def test_ladder_without_classification_has_no_pce() -> None:
    inst = derive(LOG, catalog([{"activity": "C", "is_end_activity": True}]))
    totals = ladder(vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect())
    assert totals["pce"] is None
    assert totals["flow_efficiency"] == pytest.approx(0.5)


def test_a_varied_process_follows_the_most_frequent_variant() -> None:
    # No step but X is in half of the cases: the ladder follows the top variant X → Y (the
    # map also draws P, Q and R, the alternatives to X: see tests/metrics/test_vsm.py).
    log = events(
        [
            ("1", "X", 0, 1),
            ("1", "Y", 2, 3),
            ("2", "X", 0, 1),
            ("2", "Y", 2, 3),
            ("3", "P", 0, 1),
            ("4", "Q", 0, 1),
            ("5", "R", 0, 1),
        ]
    )
    inst = derive(log)
    boxes = vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()
    assert boxes.filter(pl.col("on_path"))["activity"].to_list() == ["X", "Y"]


def test_health_compares_a_period_with_the_one_before() -> None:
    # Completed cases end at 10 h, 8 h, 9 h; a period [6 h, 12 h) against [0 h, 6 h).
    inst = derive(LOG, CAT)
    rows = health(inst.lazy(), cases_of(inst).lazy(), at(6), at(12)).collect()
    row = rows.row(0, named=True)
    assert row["offering"] == "O"
    assert row["completed"] == 3 and row["prev_completed"] == 0
    assert row["in_progress"] == 0  # case 4 starts after the period
    assert row["lead_time_s_p50"] == 9 * H  # lead times 10, 8, 9 h
    assert row["bottleneck"] == "C"
    assert row["prev_lead_time_s_p50"] is None
    later = health(inst.lazy(), cases_of(inst).lazy(), at(12), at(24)).collect().row(0, named=True)
    assert later["in_progress"] == 1 and later["completed"] == 0
    assert later["prev_completed"] == 3 and later["prev_lead_time_s_p50"] == 9 * H


def test_default_period_is_the_last_30_days_to_the_latest_day() -> None:
    start, end = default_period(T0 + timedelta(hours=13))
    assert end == T0 + timedelta(days=1) and start == end - timedelta(days=30)


def test_weekly_trend_of_median_lead_time() -> None:
    inst = derive(LOG, CAT)
    trend = lead_time_trend(cases_of(inst).lazy()).collect()
    assert trend.select("completed", "lead_time_s_p50").rows() == [(3, 9 * H)]
    assert trend.schema["period"] == pl.Date
