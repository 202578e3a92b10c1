"""The value stream map's boxes and ladder, and the stream health rows, on literal logs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import polars as pl
import pytest

from metrics.derive import derive_instances
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


def test_relative_periods_end_at_each_offerings_own_latest_event() -> None:
    """A historical log beside live data keeps its own last 30 days (not an empty window)."""
    from metrics.periods import overlapping_groups, period_bounds, quiet_offerings

    old = events([("o1", "A", 0, 1), ("o1", "Z", 24, 25), ("o2", "A", 48, 49)], offering="Old")
    new = events([("n1", "A", 0, 1), ("n1", "Z", 30, 31)], offering="New").with_columns(
        pl.col("start", "end").dt.offset_by("5000d")
    )
    log = pl.concat([old, new]).with_columns(event_id=pl.int_range(1, 6, dtype=pl.Int64))
    cat = pl.concat(
        [
            catalog(
                [
                    {"activity": "Z", "is_end_activity": True},
                    {"activity": "A", "is_end_activity": False},
                ],
                offering=o,
            )
            for o in ("Old", "New")
        ]
    )
    inst = derive_instances(log.lazy(), cat.lazy()).collect()
    cases = cases_of(inst)
    bounds = period_bounds(cases.lazy(), days=30).collect()
    old_end = datetime.combine((T0 + timedelta(hours=49)).date() + timedelta(days=1), time(), UTC)
    assert bounds.filter(pl.col("offering") == "Old").row(0, named=True)["period_end"] == old_end
    rows = health(inst.lazy(), cases.lazy(), bounds=bounds.lazy()).collect()
    old_row = rows.filter(pl.col("offering") == "Old").row(0, named=True)
    # o1 completed inside Old's own window; o2 is open: in progress, not every case.
    assert (old_row["completed"], old_row["in_progress"]) == (1, 1)
    assert old_row["lead_time_s_p50"] == 25 * 3600.0
    assert quiet_offerings(bounds) == {"Old": T0 + timedelta(hours=49)}
    spans = cases.group_by("offering").agg(
        span_start=pl.col("first_start").min(), span_end=pl.col("last_end").max()
    )
    assert overlapping_groups(spans) == [["Old"], ["New"]]
