"""Findings: each kind's figures on small hand-built logs (worked by hand), planted patterns
found in seeded synthetic logs, quiet on logs without any, and the demo's known story."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from metrics.changepoint import level_shifts
from metrics.derived import derive_all
from metrics.findings import (
    ATTRIBUTE_SCHEMA,
    FINDING_KINDS,
    ROUND_SCHEMA,
    WATCHED_SCHEMA,
    WEEKLY_SCHEMA,
    Finding,
    case_attributes,
    case_level_attributes,
    find,
    findings_report,
    rework_rounds,
    watched_lead_times,
    weekly_medians,
)
from metrics.steps import bottleneck, steps
from tests.metrics.findings_logs import START, Plants, synthetic_log
from tests.metrics.frames import T0, H, catalog, derive, events

DAY = 24 * H
SHIFT_KINDS = {"lead_time_shift", "step_wait_shift", "attribute_effect"}


def log(
    rows: Sequence[tuple[str, str, float, float, str | None]],
    attributes: dict[str, dict[str, Any]] | None = None,
) -> pl.DataFrame:
    """Events from (case, activity, start hour, end hour, resource); attributes per case as JSON."""
    frame = events([(c, a, s, e) for c, a, s, e, _ in rows])
    cases = [r[0] for r in rows]
    return frame.with_columns(
        resource=pl.Series([r[4] for r in rows], dtype=pl.String),
        attributes=pl.Series([json.dumps((attributes or {}).get(c, {})) for c in cases]),
    )


def run(
    frame: pl.DataFrame, cat: pl.DataFrame, changes: Sequence[tuple[date, str]] = ()
) -> list[Finding]:
    d = derive_all(frame, cat)
    return find(
        d.instances.lazy(),
        d.cases.lazy(),
        cat,
        attributes=case_attributes(frame),
        changes=changes,
        data_end=d.now,
    )


def of_kind(found: list[Finding], kind: str) -> list[Finding]:
    return [f for f in found if f.kind == kind]


def _loop_log() -> pl.DataFrame:
    """20 cases a day apart: A, B (2 h wait), C by another person (6 h wait); every other case
    goes back to B (1 h) and C (6 h) once; then D (1 h wait), all steps 1 h long."""
    rows: list[tuple[str, str, float, float, str | None]] = []
    for k in range(20):
        o, case = 24.0 * k, f"c{k:02d}"
        rows += [(case, "A", o, o + 1, "ann"), (case, "B", o + 3, o + 4, "ann")]
        rows += [(case, "C", o + 10, o + 11, "bob")]
        if k % 2 == 0:
            rows += [(case, "B", o + 12, o + 13, "ann"), (case, "C", o + 19, o + 20, "bob")]
            rows += [(case, "D", o + 21, o + 22, "bob")]
        else:
            rows += [(case, "D", o + 12, o + 13, "bob")]
    return log(rows)


LOOP_CATALOG = catalog(
    [
        {"activity": "B", "standard_minutes": 10.0},
        {"activity": "D", "value_class": "waste", "is_end_activity": True},
    ]
)
# First start at hour 0, last end at hour 469 (case 19: D ends 456 + 13).
LOOP_WEEKS = 469 / 168


def test_loop_log_findings_literal() -> None:
    found = run(_loop_log(), LOOP_CATALOG)
    got = [(f.kind, f.step, f.headline, f.at_stake_s) for f in found]
    assert got == [
        (
            "bottleneck",
            "C",
            # Waits before steps: B 20 × 2 h + 10 × 1 h, C 30 × 6 h, D 20 × 1 h: C has 180 of 250 h.
            "Cases wait a median 6.0 h before C: 72% of all waiting before steps "
            "(30 waits in 20 cases).",
            pytest.approx(180 * H / LOOP_WEEKS),
        ),
        (
            "handoff",
            "C",
            # The stream's 80 waits: 30 of 1 h, 20 of 2 h, 30 of 6 h: median 2 h.
            "C changes hands in 100% of its 30 instances (most often ann → bob), and work then "
            "waits a median 6.0 h before it, 3.0× the stream's median wait of 2.0 h.",
            pytest.approx(180 * H / LOOP_WEEKS),
        ),
        (
            "rework_loop",
            "C",
            # Each round: B again (1 h wait + 1 h) and C again (6 h wait + 1 h) = 9 h.
            "Work goes back from C to B in 50% of cases (10 of 20), most often C → B → C; "
            "each round adds a median 9.0 h.",
            pytest.approx(90 * H / LOOP_WEEKS),
        ),
        (
            "non_value_step",
            "D",
            "D, marked waste in the catalog, takes a median 1.0 h in each of its 20 instances "
            "(20 cases), after a median wait of 1.0 h.",
            pytest.approx(40 * H / LOOP_WEEKS),
        ),
        (
            "slower_than_standard",
            "B",
            # 30 instances of 1 h against 10 minutes: 50 minutes too long each.
            "B takes a median 1.0 h against a standard of 10 min (6.0×, 30 measured instances).",
            pytest.approx(25 * H / LOOP_WEEKS),
        ),
    ]
    by_kind = {f.kind: f.evidence for f in found}
    assert by_kind["bottleneck"] == {
        "elapsed": False,
        "wait_share": pytest.approx(0.72),
        "wait_before_s_p50": 6 * H,
        "wait_before_s_p85": 6 * H,
        "wait_before_s_mean": pytest.approx(6 * H),
        "wait_before_s_sum": 180 * H,
        "waits": 30,
        "cases": 20,
    }
    assert by_kind["handoff"] == {
        "elapsed": False,
        "handoff_share": 1.0,
        "handoffs": 30,
        "instances_with_resources": 30,
        "wait_before_s_p50_handoff": 6 * H,
        "wait_before_s_p50_same_resource": None,
        "stream_wait_before_s_p50": 2 * H,
        "wait_before_s_sum_handoff": 180 * H,
        "commonest_handoff": ["ann", "bob"],
        "commonest_handoff_count": 30,
    }
    assert by_kind["rework_loop"] == {
        "from_step": "C",
        "to_step": "B",
        "path": ["C", "B", "C"],
        "path_rounds": 10,
        "cases": 10,
        "case_share": 0.5,
        "cases_in_view": 20,
        "rounds": 10,
        "added_s_p50": 9 * H,
        "added_s_sum": 90 * H,
        "process_time_unknown_instances": 0,
        "step_rework_share": 0.5,
    }
    assert by_kind["non_value_step"] == {
        "instances": 20,
        "cases": 20,
        "process_time_s_p50": H,
        "process_time_s_sum": 20 * H,
        "process_time_s_n": 20,
        "wait_before_s_p50": H,
        "wait_before_s_sum": 20 * H,
        "waits": 20,
    }
    assert by_kind["slower_than_standard"] == {
        "standard_s": 600.0,
        "process_time_s_p50": H,
        "ratio": 6.0,
        "measured_instances": 30,
        "excess_s_sum": 30 * 50 * 60.0,
    }


def test_a_standard_only_just_missed_is_no_finding() -> None:
    """1 h against 20 minutes is exactly 3×: found; against 21 minutes it is not."""
    at_20 = catalog([{"activity": "B", "standard_minutes": 20.0}])
    at_21 = catalog([{"activity": "B", "standard_minutes": 21.0}])
    assert [f.step for f in of_kind(run(_loop_log(), at_20), "slower_than_standard")] == ["B"]
    assert of_kind(run(_loop_log(), at_21), "slower_than_standard") == []


def test_ids_rest_on_what_a_finding_is_about_not_its_figures() -> None:
    found = {f.kind: f.id for f in run(_loop_log(), LOOP_CATALOG)}
    # Every wait one hour longer: other figures, the same findings.
    longer = _loop_log().with_columns(
        pl.when(pl.col("activity") != "A").then(pl.col(c) + timedelta(hours=1)).otherwise(pl.col(c))
        for c in ("start", "end")
    )
    again = {f.kind: f.id for f in run(longer, LOOP_CATALOG)}
    assert again == found
    assert len(set(found.values())) == len(found)
    # A new standard is a new question.
    other = catalog(
        [{"activity": "B", "standard_minutes": 5.0}, {"activity": "D", "value_class": "waste"}]
    )
    assert {f.kind: f.id for f in run(_loop_log(), other)}["slower_than_standard"] != found[
        "slower_than_standard"
    ]


def test_rework_rounds_literal() -> None:
    frame = events(
        [
            # Two rounds back from C to B, then D.
            *[
                ("1", a, s, s + 1)
                for a, s in zip("ABCBCBCD", (0, 2, 4, 6, 8, 10, 12, 14), strict=True)
            ],
            # A repeated at once: a round of one instance.
            ("2", "A", 0, 1),
            ("2", "A", 3, 4),
            ("2", "B", 5, 6),
        ]
    )
    out = rework_rounds(derive(frame).lazy()).collect()
    expected = pl.DataFrame(
        {
            "case_index": [0, 0, 1],
            "case_id": ["1", "1", "2"],
            "from_activity": ["C", "C", "A"],
            "to_activity": ["B", "B", "A"],
            "first_seq": [4, 6, 2],
            "path": [["C", "B", "C"], ["C", "B", "C"], ["A", "A"]],
            "instances": [2, 2, 1],
            # Each repeat: a 1 h wait and 1 h of work; the repeated A waited 2 h.
            "added_s": [4 * H, 4 * H, 3 * H],
            "process_unknown": [0, 0, 0],
        },
        schema=ROUND_SCHEMA,
    )
    assert_frame_equal(out, expected)


def test_high_variance_literal() -> None:
    """W's waits: 18 of 1 h and 2 of 100 h; X, Y and Z wait 1..20 h; every step lasts 1 h."""
    rows: list[tuple[str, str, float, float, str | None]] = []
    for i in range(20):
        o, case, t = 200.0 * i, f"v{i:02d}", 1.0
        rows.append((case, "S", o, o + 1, None))
        for step, wait in (
            ("W", 100.0 if i >= 18 else 1.0),
            ("X", i + 1),
            ("Y", i + 1),
            ("Z", i + 1),
        ):
            start = t + wait
            rows.append((case, step, o + start, o + start + 1, None))
            t = start + 1
    (only,) = of_kind(run(log(rows), catalog()), "high_variance")
    # X, Y, Z: p95 19.05 h / p50 10.5 h = 1.814×; W: 100 h / 1 h. Far = above 2 × 1.814.
    assert only.step == "W"
    assert only.headline == (
        "The wait before W varies far more than at the other steps: its p95 of 4.2 d is 100.0× "
        "its median of 1.0 h, against a typical 1.8× at the other 3 steps (20 waits)."
    )
    assert only.evidence == {
        "measure": "wait",
        "p50_s": H,
        "p95_s": 100 * H,
        "ratio": pytest.approx(100.0),
        "n": 20,
        "other_steps": 3,
        "other_steps_ratio_p50": pytest.approx(19.05 / 10.5),
        "threshold_ratio": pytest.approx(2 * 19.05 / 10.5),
        "beyond_median_s_sum": 2 * 99 * H,
    }
    # Case 19 ends at 3,800 + 165 h.
    assert only.at_stake_s == pytest.approx(198 * H / (3965 / 168))


def _step_log() -> pl.DataFrame:
    """24 weeks, cases on Monday, Wednesday and Friday; A then B, B ends 4 days after the start
    for the first 10 weeks and 2 days after from the 11th (Monday 11 March 2024)."""
    rows: list[tuple[str, str, float, float, str | None]] = []
    for week in range(24):
        lead = 4 * DAY if week < 10 else 2 * DAY
        for day in (0, 2, 4):
            o, case = (7 * week + day) * DAY / H, f"w{week:02d}-{day}"
            rows += [(case, "A", o, o + 1, None), (case, "B", o + lead / H - 1, o + lead / H, None)]
    return log(rows)


STEP_CATALOG = catalog([{"activity": "B", "is_end_activity": True}])


def test_lead_time_and_step_wait_shift_literal() -> None:
    found = run(_step_log(), STEP_CATALOG, changes=[(date(2024, 3, 13), "New intake form")])
    (lead,) = of_kind(found, "lead_time_shift")
    (wait,) = of_kind(found, "step_wait_shift")
    # Horizon T = p85 of the lead times = 4 d; the data ends on day 167, so weeks starting
    # by day 167 − 4 − 7 = 156 count: weeks 0–22 (30 cases before, 39 after).
    assert lead.headline == (
        "Cases started from the week of 11 Mar 2024 take a median 2.0 d, 50% less than the "
        "4.0 d of those started before (39 cases since, 30 before); a change was recorded on "
        "13 Mar 2024: New intake form."
    )
    # Two series searched (lead time, the wait before B), each at 0.01 / 2: 1,999 shuffles,
    # none of which separates the levels as cleanly (2 of 1.1 million arrangements do).
    assert lead.evidence == {
        "elapsed": False,
        "date": "2024-03-11",
        "direction": "fall",
        "before_median_s": 4 * DAY,
        "after_median_s": 2 * DAY,
        "change": -0.5,
        "before_cases": 30,
        "after_cases": 39,
        "before_from": "2024-01-01",
        "after_to": "2024-06-09",
        "p_value": 2 / 2000,
        "series_tested": 2,
        "horizon_s": 4 * DAY,
        "recorded_change": {"date": "2024-03-13", "title": "New intake form"},
    }
    # 2 days less, for the 3 cases a week that start after it.
    assert lead.at_stake_s == pytest.approx(2 * DAY * 3)
    assert wait.step == "B"
    assert wait.headline == (
        "Waits before B that began from the week of 11 Mar 2024 last a median 46.0 h, 51% less "
        "than the 3.9 d before (39 waits since, 30 before); a change was recorded on 13 Mar "
        "2024: New intake form."
    )
    assert wait.evidence["before_median_s"] == 94 * H
    assert wait.evidence["after_median_s"] == 46 * H
    assert wait.evidence["horizon_s"] == 94 * H
    assert wait.at_stake_s == pytest.approx(48 * H * 3)


def test_a_change_recorded_far_from_the_date_is_not_named() -> None:
    found = run(_step_log(), STEP_CATALOG, changes=[(date(2024, 2, 1), "Unrelated")])
    (lead,) = of_kind(found, "lead_time_shift")
    assert lead.evidence["recorded_change"] is None
    assert lead.headline.endswith("no change was recorded near that date.")


def test_watched_lead_times_cap_and_drop_recent_weeks() -> None:
    frame = events(
        [
            ("a", "S", 0, 1),
            ("a", "E", 47, 48),  # 2 d: within the horizon
            ("b", "S", 24, 25),
            ("b", "E", 143, 144),  # 5 d: counts as 3 d
            ("c", "S", 192, 193),  # still open: counts as 3 d
            ("d", "S", 216, 217),
            ("d", "E", 239, 240),  # 1 d
            ("e", "S", 360, 361),  # day 15: its week is too recent
            ("e", "E", 383, 384),
        ]
    )
    cases = derive_all(frame, catalog([{"activity": "E", "is_end_activity": True}])).cases
    data_end = T0 + timedelta(days=20)
    out = watched_lead_times(cases.lazy(), data_end, 3 * DAY).collect()
    expected = pl.DataFrame(
        {
            "series": [""] * 4,
            "case_id": ["a", "b", "c", "d"],
            "week": [date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 8)],
            "value_s": [2 * DAY, 3 * DAY, 3 * DAY, DAY],
            "capped": [False, True, True, False],
        },
        schema=WATCHED_SCHEMA,
    )
    assert_frame_equal(out, expected)


def test_weekly_medians_leave_out_thin_weeks() -> None:
    jan1, jan8, jan15 = date(2024, 1, 1), date(2024, 1, 8), date(2024, 1, 15)
    rows = [("", jan1, 1.0), ("", jan1, 5.0), ("", jan1, 3.0), ("", jan8, 9.0), ("", jan8, 9.0)]
    # C: two weeks of 40 waits and one of 8, under a quarter of its usual 40.
    rows += [("C", jan1, 2.0)] * 40 + [("C", jan8, 4.0)] * 40 + [("C", jan15, 6.0)] * 8
    watched = pl.DataFrame(
        {
            "series": [r[0] for r in rows],
            "case_id": [str(i) for i in range(len(rows))],
            "week": [r[1] for r in rows],
            "value_s": [r[2] for r in rows],
            "capped": [False] * len(rows),
        },
        schema=WATCHED_SCHEMA,
    )
    expected = pl.DataFrame(
        {
            "series": ["", "C", "C"],
            "week": [jan1, jan1, jan8],
            "values": [3, 40, 40],
            "median_s": [3.0, 2.0, 4.0],
        },
        schema=WEEKLY_SCHEMA,
    )
    assert_frame_equal(weekly_medians(watched.lazy()).collect(), expected)


def _region_log() -> pl.DataFrame:
    """60 cases a day apart; North (even) take 10 days, South (odd) 5 days."""
    rows: list[tuple[str, str, float, float, str | None]] = []
    regions = {}
    for i in range(60):
        o, case, lead = 24.0 * i, f"r{i:02d}", (10 if i % 2 == 0 else 5) * 24.0
        regions[case] = {"region": "North" if i % 2 == 0 else "South", "batch": i}
        rows += [(case, "A", o, o + 1, None), (case, "B", o + lead - 1, o + lead, None)]
    return log(rows, regions)


def test_attribute_effect_literal() -> None:
    (only,) = of_kind(run(_region_log(), STEP_CATALOG), "attribute_effect")
    # T = p95 of the lead times = 10 d; data end = day 68, so weeks starting by day 51
    # count: the cases of days 0–55, 28 of each region. South against the cases without
    # North leaves nothing to compare: one finding, not two for one fact.
    u_test = stats.mannwhitneyu([10 * DAY] * 28, [5 * DAY] * 28, alternative="two-sided")
    assert only.headline == (
        "Cases with region = North take a median 10.0 d, 2.0× the 5.0 d of the other cases "
        "(28 against 28 cases)."
    )
    assert only.evidence == {
        "attribute": "region",
        "value": "North",
        "direction": "slower",
        "cases": 28,
        "other_cases": 28,
        "others_without": [],
        "median_s": 10 * DAY,
        "other_median_s": 5 * DAY,
        "median_ratio": 2.0,
        "probability_slower": 1.0,
        "p_value": pytest.approx(2 * u_test.pvalue),
        "p_value_uncorrected": pytest.approx(u_test.pvalue),
        # region = North and South; `batch` differs from case to case, so no value has 20.
        "values_tried": 2,
        "horizon_s": 10 * DAY,
        "same_cases": [],
    }
    # 5 days more for each of the 30 North cases in view, over 68 / 7 weeks.
    assert only.at_stake_s == pytest.approx(5 * DAY * 30 / (68 / 7))


def test_case_attributes_literal() -> None:
    frame = events(
        [("1", "A", 0, 1), ("1", "B", 1, 2), ("2", "A", 0, 1), ("2", "B", 1, 2), ("3", "A", 0, 1)]
    )
    frame = frame.with_columns(
        attributes=pl.Series(
            [
                '{"region": "North", "size": 3, "vip": true, "note": null, "tags": ["a"]}',
                '{"region": "North", "size": 3, "vip": true, "note": null, "tags": ["a"]}',
                '{"region": "South", "ratio": 1.5}',
                "not json",
                "[1, 2]",
            ]
        )
    )
    expected = pl.DataFrame(
        {
            "case_id": ["1", "1", "1", "2", "2"],
            "attribute": ["region", "size", "vip", "ratio", "region"],
            "value": ["North", "3", "true", "1.5", "South"],
        },
        schema=ATTRIBUTE_SCHEMA,
    )
    assert_frame_equal(case_attributes(frame), expected)


def test_only_attributes_with_one_value_per_case_describe_cases() -> None:
    rows = [(f"c{i}", "stage", "a") for i in range(20)] + [
        (f"c{i}", "team", "x") for i in range(20)
    ]
    rows += [("c0", "stage", "b"), ("c0", "team", "y"), ("c1", "team", "y")]
    frame = pl.DataFrame(rows, schema=list(ATTRIBUTE_SCHEMA), orient="row")
    # stage: 19 of 20 cases hold one value (95%); team: 18 of 20 (90%).
    assert case_level_attributes(frame) == ["stage"]


def _report(
    plants: Plants, seed: int = 1, changes: Sequence[tuple[date, str]] = ()
) -> list[dict[str, Any]]:
    frame, cat = synthetic_log(seed, plants)
    report = findings_report(frame, cat, "Synthetic", changes=changes)
    json.dumps(report, allow_nan=False)
    assert {f["kind"] for f in report["findings"]} <= set(FINDING_KINDS)
    return report["findings"]


def _weeks_apart(iso: str, planted: datetime) -> float:
    return abs((date.fromisoformat(iso) - planted.date()).days) / 7


LEAD_AT = START + timedelta(days=7 * 20 + 3)
BUILD_AT = START + timedelta(days=7 * 22 + 2)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_planted_lead_time_shift_is_found_at_its_date(seed: int) -> None:
    found = _report(
        Plants(lead_shift_at=LEAD_AT, lead_factor=0.6), seed, [(LEAD_AT.date(), "Triage")]
    )
    (lead,) = [f for f in found if f["kind"] == "lead_time_shift"]
    assert lead["evidence"]["direction"] == "fall"
    assert _weeks_apart(lead["evidence"]["date"], LEAD_AT) <= 1
    assert lead["evidence"]["recorded_change"]["title"] == "Triage"
    assert 0.5 < lead["evidence"]["after_median_s"] / lead["evidence"]["before_median_s"] < 0.75


@pytest.mark.parametrize("seed", [1, 2])
def test_a_planted_step_wait_shift_is_found_at_its_step_and_date(seed: int) -> None:
    found = _report(
        Plants(wait_shift_step="Build", wait_shift_at=BUILD_AT, wait_shift_factor=3.0), seed
    )
    shifts = [f for f in found if f["kind"] == "step_wait_shift"]
    assert [f["step"] for f in shifts] == ["Build"]
    assert shifts[0]["evidence"]["direction"] == "rise"
    assert _weeks_apart(shifts[0]["evidence"]["date"], BUILD_AT) <= 1


def test_a_planted_slow_region_is_the_only_attribute_effect() -> None:
    found = _report(Plants(slow_region="North", region_factor=2.0))
    effects = [f["evidence"] for f in found if f["kind"] == "attribute_effect"]
    assert [(e["attribute"], e["value"], e["direction"]) for e in effects] == [
        ("region", "North", "slower")
    ]
    assert effects[0]["cases"] >= 20 and effects[0]["p_value"] < 0.01


def test_a_planted_loop_is_found_with_its_path() -> None:
    found = _report(Plants(loop_p=0.3))
    (loop,) = [f for f in found if f["kind"] == "rework_loop"]
    assert (loop["step"], loop["evidence"]["to_step"]) == ("Test", "Build")
    assert loop["evidence"]["path"] == ["Test", "Build", "Test"]
    assert 0.25 < loop["evidence"]["case_share"] < 0.35


def test_a_planted_erratic_wait_is_high_variance_at_its_step() -> None:
    found = _report(Plants(erratic_step="Test"))
    assert [
        (f["step"], f["evidence"]["measure"]) for f in found if f["kind"] == "high_variance"
    ] == [("Test", "wait")]


def test_a_planted_slow_hand_off_is_found_at_its_step() -> None:
    found = _report(Plants(ship_wait_days=8.0))
    assert [f["step"] for f in found if f["kind"] == "handoff"] == ["Ship"]


def test_catalog_waste_and_standards_are_found() -> None:
    found = _report(Plants(waste_step="Test", standard_minutes={"Build": 60.0, "Review": 120.0}))
    assert [f["step"] for f in found if f["kind"] == "non_value_step"] == ["Test"]
    # Review takes its standard 2 h; Build takes 8 h against 1 h.
    assert [f["step"] for f in found if f["kind"] == "slower_than_standard"] == ["Build"]


@pytest.mark.parametrize("plants", [Plants(), Plants(wait_scale=6.0)], ids=["short", "long-leads"])
def test_no_change_no_shift_and_no_attribute_effect(plants: Plants) -> None:
    for seed in range(5):
        found = _report(plants, seed)
        assert [f["headline"] for f in found if f["kind"] in SHIFT_KINDS] == [], seed
        assert [f["kind"] for f in found] == ["bottleneck"], seed


def test_the_censoring_trap_is_real() -> None:
    """On the long-lead logs, weekly medians of the completed cases alone find a "fall" at the
    end (the slow recent cases are still open); the watched, capped series does not."""
    trapped = 0
    for seed in range(5):
        frame, cat = synthetic_log(seed, Plants(wait_scale=6.0))
        cases = derive_all(frame, cat).cases
        weekly = (
            cases.filter(pl.col("completed"))
            .group_by(week=pl.col("first_start").dt.truncate("1w"))
            .agg(median=pl.col("lead_time_s").median(), n=pl.len())
            .filter(pl.col("n") >= 3)
            .sort("week")
        )
        shifts = level_shifts(
            np.log(weekly["median"].to_numpy() + 600), alpha=0.005, min_size=4, seed=seed
        )
        trapped += any(weekly["week"][s.index] > START + timedelta(weeks=25) for s in shifts)
    assert trapped >= 4


@pytest.fixture(scope="module")
def demo_reports(demo_db: Path) -> dict[str, dict[str, Any]]:
    from warehouse import Warehouse
    from warehouse.experiments import experiments

    with Warehouse.open(demo_db) as wh:
        loaded = {o: (wh.events([o]), wh.catalog(o), experiments(wh, o)) for o in wh.offerings()}
    return {
        o: findings_report(
            ev, cat, o, changes=[(r["changed_at"], r["name"]) for r in exp.iter_rows(named=True)]
        )
        for o, (ev, cat, exp) in loaded.items()
    }


def _one(report: dict[str, Any], kind: str, step: str | None = None) -> dict[str, Any]:
    (found,) = [
        f for f in report["findings"] if f["kind"] == kind and (step is None or f["step"] == step)
    ]
    return found


def test_the_demos_sample_approval_change_is_found_and_named(
    demo_reports: dict[str, dict[str, Any]],
) -> None:
    from pipelines.demo_data import CHANGE_1_AT

    cf = demo_reports["Custom formulation"]
    for finding in (_one(cf, "step_wait_shift", "Sample approval"), _one(cf, "lead_time_shift")):
        assert finding["evidence"]["direction"] == "fall"
        assert _weeks_apart(finding["evidence"]["date"], CHANGE_1_AT) <= 1
        assert finding["evidence"]["recorded_change"]["title"] == "Sample approval by video call"
    assert _one(cf, "non_value_step")["step"] == "Sample sent"
    assert _one(cf, "rework_loop", "Sample approval")["evidence"]["to_step"] == "Formulation"
    # Most important first.
    stakes = [f["at_stake_s"] for f in cf["findings"]]
    assert stakes == sorted(stakes, reverse=True)


def test_the_demos_moved_queue_shows_at_both_steps_and_not_in_lead_time(
    demo_reports: dict[str, dict[str, Any]],
) -> None:
    from pipelines.demo_data import CHANGE_2_AT

    pl_report = demo_reports["Private label fulfillment"]
    label = _one(pl_report, "step_wait_shift", "Label approval")
    materials = _one(pl_report, "step_wait_shift", "Materials")
    assert (label["evidence"]["direction"], materials["evidence"]["direction"]) == ("fall", "rise")
    assert _weeks_apart(label["evidence"]["date"], CHANGE_2_AT) <= 1
    # Materials' queue fills once the faster-approved labels reach it, a week or two later.
    assert _weeks_apart(materials["evidence"]["date"], CHANGE_2_AT) <= 2
    assert materials["evidence"]["recorded_change"]["title"] == "Second label designer"
    assert not [f for f in pl_report["findings"] if f["kind"] == "lead_time_shift"]
    assert not [
        f for f in demo_reports["Reverse engineering"]["findings"] if f["kind"] in SHIFT_KINDS
    ]


def test_the_demos_bottleneck_is_the_same_figure_as_on_the_other_pages(
    demo_db: Path, demo_reports: dict[str, dict[str, Any]]
) -> None:
    from warehouse import Warehouse

    with Warehouse.open(demo_db) as wh:
        d = derive_all(wh.events(["Custom formulation"]), wh.catalog("Custom formulation"))
    step_frame = steps(d.instances.lazy(), by=())
    neck = bottleneck(step_frame, by=()).collect().row(0, named=True)
    row = step_frame.filter(pl.col("activity") == neck["activity"]).collect().row(0, named=True)
    found = _one(demo_reports["Custom formulation"], "bottleneck")
    assert found["step"] == neck["activity"] == "Sample approval"
    # Equal but for the order of a parallel float sum.
    assert found["evidence"]["wait_share"] == pytest.approx(neck["wait_share"], rel=1e-12)
    assert found["evidence"]["wait_before_s_p50"] == row["wait_before_s_p50"]
    assert found["headline"].startswith("Cases wait a median 7.0 d before Sample approval: 38% ")


def test_the_report_is_json_with_stable_unique_ids(
    demo_db: Path, demo_reports: dict[str, dict[str, Any]]
) -> None:
    from warehouse import Warehouse

    with Warehouse.open(demo_db) as wh:
        again = findings_report(
            wh.events(["Reverse engineering"]), wh.catalog(), "Reverse engineering"
        )
    report = demo_reports["Reverse engineering"]
    assert set(report) == {"offering", "cases", "findings"} and report["cases"] == 598
    assert [f["id"] for f in again["findings"]] == [f["id"] for f in report["findings"]]
    ids = [f["id"] for o in demo_reports.values() for f in o["findings"]]
    assert len(ids) == len(set(ids))
    for f in report["findings"]:
        assert set(f) == {"id", "kind", "step", "headline", "evidence", "at_stake_s"}
    json.dumps(demo_reports, allow_nan=False)


def test_a_window_keeps_the_cases_in_progress_during_it(demo_db: Path) -> None:
    from metrics.filters import CaseFilter
    from warehouse import Warehouse

    with Warehouse.open(demo_db) as wh:
        frame, cat = wh.events(["Reverse engineering"]), wh.catalog()
    spec = CaseFilter(
        window_start=datetime(2026, 3, 1, tzinfo=UTC), window_end=datetime(2026, 4, 1, tzinfo=UTC)
    )
    d = derive_all(frame, cat)
    in_window = d.cases.filter(
        (pl.col("first_start") < spec.window_end)
        & (~pl.col("completed") | (pl.col("last_end") >= spec.window_start))
    )
    assert findings_report(frame, cat, "Reverse engineering", spec)["cases"] == in_window.height


REAL_LOGS = ("receipt.csv", "sepsis.csv", "helpdesk.xes.gz")


@pytest.mark.real
@pytest.mark.parametrize("name", REAL_LOGS)
def test_real_logs_findings_agree_with_the_other_figures(real_dir: Path, name: str) -> None:
    from collections import Counter

    from metrics.summary import summary
    from pipelines.ingest import load_instances

    frame = load_instances(real_dir / name)
    offering = frame["offering"][0]
    report = findings_report(frame, catalog(offering=offering), offering)
    json.dumps(report, allow_nan=False)
    d = derive_all(frame, catalog(offering=offering))
    (neck,) = [f for f in report["findings"] if f["kind"] == "bottleneck"]
    assert neck["step"] == summary(d.instances.lazy(), d.cases.lazy())["bottleneck"]
    # Rework rounds counted again, one case at a time in plain Python.
    expected: Counter[tuple[str, str]] = Counter()
    work = d.instances.filter(pl.col("kind") != "waiting")
    for activities in work.group_by("case_index", maintain_order=True).agg("activity")["activity"]:
        first: dict[str, int] = {}
        for i, a in enumerate(activities):
            first.setdefault(a, i)
        for i in range(1, len(activities)):
            a, prev = activities[i], activities[i - 1]
            if first[a] < i and first[a] <= first[prev]:
                expected[(prev, a)] += 1
    rounds = rework_rounds(d.instances.lazy()).collect()
    got = Counter(zip(rounds["from_activity"], rounds["to_activity"], strict=True))
    assert got == expected
    total = len(d.cases)
    for f in report["findings"]:
        if f["kind"] == "rework_loop":
            e = f["evidence"]
            assert e["rounds"] == expected[(e["from_step"], e["to_step"])]
            assert e["cases"] >= 10 and e["cases"] >= 0.02 * total


def test_without_start_times_the_waits_are_called_times_between_completions() -> None:
    frame = _loop_log().with_columns(start=pl.lit(None, dtype=pl.Datetime("us", "UTC")))
    (neck,) = of_kind(run(frame, LOOP_CATALOG), "bottleneck")
    # End to end: C 30 × 7 h = 210 h; B 20 × 3 h + 10 × 2 h = 80 h; D 20 × 2 h = 40 h.
    assert neck.headline == (
        "Cases wait a median 7.0 h before C: 64% of all waiting before steps (30 waits in 20 "
        "cases); with no start times in the log, these waits are the times between completions."
    )
    assert neck.evidence["elapsed"] is True
