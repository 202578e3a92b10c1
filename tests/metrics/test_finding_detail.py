"""What lies behind a finding: its cases (each one's part of the time at stake), its chart's
frame, and the open items the report takes, on the hand-built logs of test_findings."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.derived import derive_all
from metrics.findings import (
    FINDING_CASES_SCHEMA,
    OfferingFindings,
    evidence_frame,
    finding_cases,
    findings_report,
    kept_offering_findings,
    offering_findings,
)
from model import OPEN_ITEM_SCHEMA
from tests.metrics.frames import T0, H, catalog
from tests.metrics.test_findings import (
    LOOP_CATALOG,
    LOOP_WEEKS,
    STEP_CATALOG,
    _loop_log,
    _region_log,
    _step_log,
    log,
)

DAY = 24 * H


def findings_of(frame: pl.DataFrame, cat: pl.DataFrame, changes=()) -> OfferingFindings:  # type: ignore[no-untyped-def]
    d = derive_all(frame, cat)
    return offering_findings(d.instances, d.cases, frame, cat, "O", changes=changes)


def one(of: OfferingFindings, kind: str):  # type: ignore[no-untyped-def]
    (found,) = [f for f in of.findings if f.kind == kind]
    return found


@pytest.fixture(scope="module")
def loop() -> OfferingFindings:
    return findings_of(_loop_log(), LOOP_CATALOG)


def test_the_loops_cases_literal(loop: OfferingFindings) -> None:
    """The 10 even cases go back from C to B once; each round adds 9 h. An even case runs from
    hour 24k to D's end at 24k + 22."""
    out = finding_cases(loop, one(loop, "rework_loop"))
    even = range(0, 20, 2)
    expected = pl.DataFrame(
        {
            "case_id": [f"c{k:02d}" for k in even],
            "side": [None] * 10,
            "week": [None] * 10,
            "figure_s": [9 * H] * 10,
            "first_start": [T0 + timedelta(hours=24 * k) for k in even],
            "last_end": [T0 + timedelta(hours=24 * k + 22) for k in even],
            "completed": [True] * 10,
            "lead_time_s": [22 * H] * 10,
        },
        schema=FINDING_CASES_SCHEMA,
    )
    assert_frame_equal(out, expected)


def test_each_case_figure_is_its_part_of_the_time_at_stake(loop: OfferingFindings) -> None:
    """Summed over the cases behind it, and divided by the weeks in view, the figure gives back
    the finding's time at stake (bottleneck, hand-off, loop, waste, standard)."""
    assert loop.weeks == pytest.approx(LOOP_WEEKS)
    counts = {}
    for f in loop.findings:
        cases = finding_cases(loop, f)
        counts[f.kind] = cases.height
        assert cases["figure_s"].sum() / loop.weeks == pytest.approx(f.at_stake_s), f.kind
        assert cases["figure_s"].is_sorted(descending=True)
    # C waits 6 h in every case (twice in the even ones); B runs over its 10 minutes in every
    # case; D, the waste step, is in every case.
    assert counts == {
        "bottleneck": 20,
        "handoff": 20,
        "rework_loop": 10,
        "non_value_step": 20,
        "slower_than_standard": 20,
    }
    neck = finding_cases(loop, one(loop, "bottleneck"))
    assert neck["figure_s"].to_list() == [12 * H] * 10 + [6 * H] * 10
    slow = finding_cases(loop, one(loop, "slower_than_standard"))
    assert slow["figure_s"].to_list() == [100 * 60.0] * 10 + [50 * 60.0] * 10


def test_the_loop_logs_chart_frames_literal(loop: OfferingFindings) -> None:
    # Waits before B: 20 × 2 h + 10 × 1 h; C: 30 × 6 h; D: 20 × 1 h; A waits for nothing.
    assert_frame_equal(
        evidence_frame(loop, one(loop, "bottleneck")),
        pl.DataFrame(
            {
                "activity": ["C", "B", "D", "A"],
                "total_s": [180 * H, 50 * H, 20 * H, 0.0],
                "n": [30, 30, 20, 0],
                "share": [0.72, 0.2, 0.08, 0.0],
                "is_finding": [True, False, False, False],
            }
        ),
    )
    # The time at each step: its waits and its 1 h instances (A 20, B 30, C 30, D 20).
    waste = evidence_frame(loop, one(loop, "non_value_step"))
    assert waste.select("activity", "total_s", "n", "is_finding").rows() == [
        ("C", 210 * H, 30, False),
        ("B", 80 * H, 30, False),
        ("D", 40 * H, 20, True),
        ("A", 20 * H, 20, False),
    ]
    assert waste["share"].sum() == pytest.approx(1.0)
    assert evidence_frame(loop, one(loop, "rework_loop")).rows() == [
        ("back", 10, 0.5),
        ("not back", 10, 0.5),
    ]
    # Every C is a hand-over; the stream's 80 waits have a median of 2 h.
    assert evidence_frame(loop, one(loop, "handoff")).rows() == [
        ("handed over", 6 * H, 30),
        ("same person", None, 0),
        ("every step", 2 * H, 80),
    ]
    measured = evidence_frame(loop, one(loop, "slower_than_standard"))
    assert measured["value_s"].to_list() == [H] * 30


def test_a_shifts_cases_are_the_weeks_either_side_of_its_date() -> None:
    of = findings_of(_step_log(), STEP_CATALOG, changes=[(date(2024, 3, 13), "New intake form")])
    for kind in ("lead_time_shift", "step_wait_shift"):
        f = one(of, kind)
        cases = finding_cases(of, f)
        sides = dict(cases.group_by("side").len().rows())
        unit = "cases" if kind == "lead_time_shift" else "waits"
        # The evidence's counts: 30 before the week of 11 March, 39 from it.
        assert sides == {
            "before": f.evidence[f"before_{unit}"],
            "after": f.evidence[f"after_{unit}"],
        }
        assert sides == {"before": 30, "after": 39}
        assert cases.filter(pl.col("side") == "before")["week"].max() == date(2024, 3, 4)
        assert cases.filter(pl.col("side") == "after")["week"].min() == date(2024, 3, 11)
        weekly = evidence_frame(of, f)
        # Weeks 0–22 are watched long enough: 10 at the old level, 13 at the new.
        assert weekly.group_by("side").len().sort("side").rows() == [("after", 13), ("before", 10)]
        assert weekly["values"].to_list() == [3] * 23
    lead = evidence_frame(of, one(of, "lead_time_shift"))
    assert lead["median_s"].to_list() == [4 * DAY] * 10 + [2 * DAY] * 13


def test_an_attribute_effects_cases_are_those_holding_the_value() -> None:
    of = findings_of(_region_log(), STEP_CATALOG)
    f = one(of, "attribute_effect")
    cases = finding_cases(of, f)
    # All 30 North cases in view; the 28 watched long enough were in the test, at 10 days.
    assert cases.height == 30
    assert cases["figure_s"].to_list() == [10 * DAY] * 28 + [None, None]
    assert cases.filter(pl.col("figure_s").is_null())["case_id"].to_list() == ["r56", "r58"]
    split = evidence_frame(of, f)
    assert split.group_by("group").agg(pl.col("value_s").median(), pl.len()).sort(
        "group"
    ).rows() == [
        ("rest", 5 * DAY, 28),
        ("with", 10 * DAY, 28),
    ]


def test_an_erratic_steps_cases_are_those_beyond_its_median() -> None:
    """W waits 1 h in 18 cases and 100 h in the last two (see test_high_variance_literal)."""
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
    of = findings_of(log(rows), catalog())
    f = one(of, "high_variance")
    cases = finding_cases(of, f)
    assert cases.select("case_id", "figure_s").rows() == [("v18", 99 * H), ("v19", 99 * H)]
    ratios = evidence_frame(of, f)
    assert ratios.filter(pl.col("is_finding"))["ratio"].to_list() == [pytest.approx(100.0)]
    assert ratios["activity"].to_list()[0] == "W" and ratios.height == 4


def test_the_report_takes_the_open_items(tmp_path: Path) -> None:
    """An item that has not left its first status is an open case of its own; another's open
    item keeps its case open although its last step would end it by the default rule."""
    frame = _loop_log()
    items = pl.DataFrame(
        {
            "offering": ["O", "O"],
            "case_id": ["new", "c19"],
            "activity": ["A", "E"],
            "entered": [T0 + timedelta(hours=470), T0 + timedelta(hours=470)],
            "resource": [None, None],
            "attributes": [None, None],
            "source_row": [1, 2],
        },
        schema=OPEN_ITEM_SCHEMA,
    )
    without = findings_report(frame, LOOP_CATALOG, "O")
    with_items = findings_report(frame, LOOP_CATALOG, "O", open_items=items)
    assert (without["cases"], with_items["cases"]) == (20, 21)
    # The rework loop's share now counts the open case too: 10 of 21.
    loops = [f for f in with_items["findings"] if f["kind"] == "rework_loop"]
    assert loops[0]["evidence"]["cases_in_view"] == 21


def test_findings_over_scanned_steps_keep_only_their_cases_numbers(
    loop: OfferingFindings, tmp_path: Path
) -> None:
    """Over a scan of the stored steps, what lies behind each finding is read again when
    asked: the query kept for it holds the numbers of the view's cases, not the
    offering's cases and events the view was chosen from (263 MB for three offerings at
    fifty million events)."""
    frame, cat = _loop_log(), LOOP_CATALOG
    d = derive_all(frame, cat)
    d.instances.write_parquet(tmp_path / "steps.parquet")
    scan = pl.scan_parquet(tmp_path / "steps.parquet")
    scanned = offering_findings(scan, d.cases, frame, cat, "O", hold=False)
    kept = kept_offering_findings(scan, d.cases, lambda: frame, "O", loop.findings, hold=False)
    assert [f.id for f in scanned.findings] == [f.id for f in loop.findings]
    for of in (scanned, kept):
        plan = of.steps.explain()
        assert "Parquet SCAN" in plan and "DF [" not in plan, plan
        assert_frame_equal(of.steps.collect(), loop.steps.collect())
        assert_frame_equal(of.cases, loop.cases)
        for f in loop.findings:
            assert_frame_equal(finding_cases(of, f), finding_cases(loop, f))
            assert_frame_equal(evidence_frame(of, f), evidence_frame(loop, f))
