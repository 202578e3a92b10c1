"""Experiment charts: every line coloured by the comparison's own outcome, never by a test of
their own; the process behaviour charts mark Wheeler's three rules and nothing else."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from charts.experiments import (
    BETTER_COLOR,
    UNCLEAR_COLOR,
    effect_interval_chart,
    lead_time_distribution_chart,
    moving_range_chart,
    process_behaviour_chart,
    wait_shift_chart,
    xmr_chart,
)
from charts.export import to_svg
from metrics.xmr import xmr
from model import UTC_MICROS
from tests.metrics.test_compare import CHANGE, Truth, synthetic


def _outcomes(spec: dict[str, Any], key: str) -> dict[str, str]:
    """The `outcome` of each `key` in the chart's data (rows without `when`: not the dots)."""
    return {
        row[key]: row["outcome"]
        for data in spec["datasets"].values()
        for row in data
        if key in row and "outcome" in row and "when" not in row
    }


def test_both_charts_colour_a_step_by_its_corrected_test() -> None:
    from metrics.compare import compare

    instances, cases = synthetic(2, Truth(move_review_wait=True))
    c = compare(instances.lazy(), cases.lazy(), "Synthetic", CHANGE, 28, 28)
    intervals = json.loads(effect_interval_chart(c.effects()).to_json())
    lines = json.loads(wait_shift_chart(c.step_wait_frame()).to_json())
    rules = intervals["layer"][1]["encoding"]["color"]
    assert rules["field"] == "outcome"
    assert rules["scale"]["domain"][:3] == ["clearly shorter", "clearly longer", "could be chance"]
    assert (
        rules["scale"]["range"][0] == BETTER_COLOR and rules["scale"]["range"][2] == UNCLEAR_COLOR
    )
    assert lines["layer"][0]["encoding"]["color"]["field"] == "outcome"
    assert lines["layer"][0]["encoding"]["color"]["scale"] == rules["scale"]
    expected = {
        "Review": "clearly shorter",
        "Build": "clearly longer",
        "Ship": "could be chance",
    }
    intervals_by_step = _outcomes(intervals, "measure")
    assert {k: intervals_by_step[k] for k in expected} == expected
    assert _outcomes(lines, "activity") == expected
    assert to_svg(effect_interval_chart(c.effects())).startswith("<svg")
    assert to_svg(wait_shift_chart(c.step_wait_frame())).startswith("<svg")


# --- the process behaviour charts ------------------------------------------------------

DAY_S = 86_400.0
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
# Baseline: mean 10 d, average moving range 2 d, so the natural process limits are 4.68 d and
# 15.32 d, the midpoints 7.34 d and 12.66 d, the upper range limit 6.536 d. After it: 16 d
# beyond the limit (rule 1) and, with the two 13s, 3 of 4 nearer it (rule 2); 10 d on the
# centre ends that stretch; eight 11s in a row above (rule 3); then 4 d, below the limit
# (rule 1) and 7 d from the one before (a range above its limit).
LEADS = [9.0, 11, 9, 11, 9, 11, 9, 11, 16, 13, 13, 10, *[11.0] * 8, 4]
CHANGE_AT = START + timedelta(days=7, hours=12)


def _points(leads: list[float] = LEADS) -> pl.DataFrame:
    """`Comparison.points` for lead times completed one a day from START (eight before the change)."""
    ends = [START + timedelta(days=i) for i in range(len(leads))]
    cases = pl.DataFrame(
        {
            "window": ["before" if e < CHANGE_AT else "after" for e in ends],
            "case_id": [f"C{i:02d}" for i in range(len(leads))],
            "first_start": [e - timedelta(days=v) for e, v in zip(ends, leads, strict=True)],
            "last_end": ends,
            "lead_time_s": [v * DAY_S for v in leads],
            "is_baseline": [e < CHANGE_AT for e in ends],
        },
        schema_overrides={"first_start": UTC_MICROS, "last_end": UTC_MICROS},
    )
    limits = xmr(cases.lazy(), "lead_time_s", "is_baseline").collect()
    return pl.concat([cases.drop("is_baseline"), limits], how="horizontal")


def _rows(spec: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every data row holding `key`, over the chart's datasets."""
    return [row for data in spec["datasets"].values() for row in data if key in row]


def _encodings(spec: dict[str, Any], channel: str) -> list[dict[str, Any]]:
    return [
        layer["encoding"][channel]
        for layer in spec["layer"]
        if channel in layer.get("encoding", {})
    ]


def test_the_individuals_chart_marks_only_wheelers_three_rules_and_names_them() -> None:
    spec = json.loads(xmr_chart(_points(), CHANGE_AT).to_json())
    rule_1 = "Rule 1: beyond a limit (2 points)"
    rule_2 = "Rule 2: 3 of 4 nearer a limit than the centre (3 points)"
    rule_3 = "Rule 3: 8 in a row on one side of the centre (8 points)"
    (shape,) = _encodings(spec, "shape")
    assert shape["scale"] == {"domain": [rule_1, rule_2], "range": ["circle", "square"]}
    (fill,) = _encodings(spec, "fill")
    assert fill["scale"]["domain"] == [rule_3]
    marked = {(row["rule"], row["case_id"]) for row in _rows(spec, "rule") if "case_id" in row}
    assert marked == {
        (rule_1, "C08"),
        (rule_1, "C20"),
        (rule_2, "C08"),
        (rule_2, "C09"),
        (rule_2, "C10"),
    }
    # One band over the run of eight, from the centre to its farthest point, in days.
    (band,) = [row for row in _rows(spec, "run_rule") if row["run_rule"] == rule_3]
    assert (band["points"], band["side"], band["centre"], band["far"]) == (8, "above", 10.0, 11.0)
    # Each point's tooltip names every rule it fired.
    signal = {row["case_id"]: row["rules"] for row in _rows(spec, "rules")}
    assert signal["C08"] == "Rule 1: beyond a limit; Rule 2: 3 of 4 nearer a limit than the centre"
    assert signal["C12"] == "Rule 3: 8 in a row on one side of the centre"
    assert signal["C11"] == "none" and signal["C00"] == "none"
    labels = {row["text"] for row in _rows(spec, "text") if "what" in row}
    assert labels == {
        "average before the change 10.0 d",
        "natural process limit 15.3 d",
        "natural process limit 4.7 d",
    }


def test_the_moving_range_chart_rings_a_range_above_its_upper_range_limit() -> None:
    spec = json.loads(moving_range_chart(_points(), CHANGE_AT).to_json())
    (shape,) = _encodings(spec, "shape")
    assert shape["scale"]["domain"] == ["Rule 1: a range above its limit (1 ranges)"]
    assert [row["case_id"] for row in _rows(spec, "rule")] == ["C20"]
    lines = {row["what"]: row["y"] for row in _rows(spec, "what")}
    assert lines == {
        "average before the change": pytest.approx(2.0),
        "upper range limit": pytest.approx(6.536),
    }
    # Both charts share the time axis: the same span, so their points line up.
    individuals = json.loads(xmr_chart(_points(), CHANGE_AT).to_json())
    domains = {
        json.dumps(x["scale"]["domain"])
        for chart in (spec, individuals)
        for x in _encodings(chart, "x")
        if "scale" in x
    }
    assert domains == {
        json.dumps([START.isoformat(), (START + timedelta(days=len(LEADS) - 1)).isoformat()])
    }


def test_a_negative_lower_limit_is_no_limit_and_is_not_drawn() -> None:
    # Mean 4 d, average moving range 2 d: the lower limit would be 4 - 5.32 < 0.
    spec = json.loads(xmr_chart(_points([3.0, 5, 3, 5, 3, 5, 3, 5, 4, 4]), CHANGE_AT).to_json())
    assert {row["text"] for row in _rows(spec, "what")} == {
        "average before the change 4.0 d",
        "natural process limit 9.3 d",
    }


def test_the_two_charts_export_as_one_file() -> None:
    svg = to_svg(process_behaviour_chart(_points(), CHANGE_AT, 800))
    assert svg.startswith("<svg") and "Moving range (days)" in svg and "Lead time (days)" in svg


def test_durations_read_in_the_products_unit_minutes_hours_days() -> None:
    def x_title(leads_s: list[float]) -> str:
        frame = pl.DataFrame(
            {"window": ["before", "after"] * (len(leads_s) // 2), "lead_time_s": leads_s}
        )
        spec = json.loads(lead_time_distribution_chart(frame).to_json())
        return str(spec["layer"][0]["encoding"]["x"]["title"])

    assert x_title([600.0, 1_200, 1_800, 2_400]) == "Lead time of a completed case (minutes)"
    assert x_title([3_600.0, 7_200, 36_000, 40_000]) == "Lead time of a completed case (hours)"
    assert x_title([86_400.0, 3 * 86_400, 2 * 86_400, 5 * 86_400]) == (
        "Lead time of a completed case (days)"
    )
