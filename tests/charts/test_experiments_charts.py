"""Experiment charts colour every line by the comparison's own outcome, never by a test of their own."""

from __future__ import annotations

import json
from typing import Any

from charts.experiments import BETTER_COLOR, UNCLEAR_COLOR, effect_interval_chart, wait_shift_chart
from charts.export import to_svg
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
