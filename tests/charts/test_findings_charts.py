"""The findings' evidence charts: the finding's step coloured, durations in one unit, the
found date and the levels either side of it, the group against the rest."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from charts.findings import FINDING_COLOR, MAX_STEPS, OTHER_COLOR, finding_chart

H = 3600.0
DAY = 24 * H


def _spec(kind: str, frame: pl.DataFrame, evidence: dict[str, Any], step: str | None) -> Any:
    return json.loads(finding_chart(kind, frame, evidence, step).to_json())


def _rows(spec: Any) -> list[list[dict[str, Any]]]:
    return list(spec["datasets"].values())


def _with(spec: Any, column: str) -> list[dict[str, Any]]:
    """The one dataset of a layered chart that has `column`."""
    (rows,) = [rows for rows in _rows(spec) if column in rows[0]]
    return rows


def _steps(n: int, finding: str) -> pl.DataFrame:
    totals = [float(n - i) * DAY for i in range(n)]
    return pl.DataFrame(
        {
            "activity": [f"S{i:02d}" for i in range(n)],
            "total_s": totals,
            "n": [10] * n,
            "share": [t / sum(totals) for t in totals],
            "is_finding": [f"S{i:02d}" == finding for i in range(n)],
        }
    )


def test_a_bottleneck_is_the_coloured_bar_among_at_most_twelve() -> None:
    spec = _spec("bottleneck", _steps(15, "S00"), {}, "S00")
    (values,) = _rows(spec)
    assert len(values) == MAX_STEPS
    assert [v["part"] for v in values][:2] == ["this step", "other"]
    assert spec["encoding"]["color"]["scale"]["range"] == [FINDING_COLOR, OTHER_COLOR]
    assert spec["encoding"]["x"]["title"] == "Share of all waiting before steps"
    # The totals read in days: 15 days for the first step.
    assert values[0]["total"] == 15.0


def test_a_waste_step_far_down_the_list_is_still_shown() -> None:
    spec = _spec("non_value_step", _steps(15, "S14"), {}, "S14")
    (values,) = _rows(spec)
    assert len(values) == MAX_STEPS
    assert values[-1]["activity"] == "S14" and values[-1]["part"] == "this step"


def test_a_shift_marks_the_date_and_both_levels() -> None:
    weeks = [date(2024, 1, 1) + timedelta(weeks=i) for i in range(8)]
    frame = pl.DataFrame(
        {
            "week": weeks,
            "median_s": [4 * DAY] * 4 + [2 * DAY] * 4,
            "values": [3] * 8,
            "side": ["before"] * 4 + ["after"] * 4,
        }
    )
    evidence = {"date": "2024-01-29", "before_median_s": 4 * DAY, "after_median_s": 2 * DAY}
    spec = _spec("lead_time_shift", frame, evidence, None)
    line, levels, found = _with(spec, "median"), _with(spec, "level"), _with(spec, "found")
    assert [v["median"] for v in line] == [4.0] * 4 + [2.0] * 4
    assert sorted((v["side"], v["level"]) for v in levels) == [("after", 2.0), ("before", 4.0)]
    assert found[0]["found"].startswith("2024-01-29")
    assert spec["layer"][0]["encoding"]["y"]["title"] == "Weekly median (d)"
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_an_attribute_effect_draws_the_group_against_the_rest() -> None:
    frame = pl.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "group": ["with", "with", "rest"],
            "value_s": [10 * DAY, 9 * DAY, 5 * DAY],
            "capped": [True, False, False],
        }
    )
    evidence = {"attribute": "region", "value": "North", "horizon_s": 10 * DAY}
    spec = _spec("attribute_effect", frame, evidence, None)
    (values,) = _rows(spec)
    assert [(v["who"], v["value"]) for v in values] == [
        ("region = North (2 cases)", 10.0),
        ("region = North (2 cases)", 9.0),
        ("the other cases (1)", 5.0),
    ]
    assert spec["mark"]["type"] == "boxplot"


def test_a_hand_off_leaves_out_a_group_with_no_waits() -> None:
    frame = pl.DataFrame(
        {
            "group": ["handed over", "same person", "every step"],
            "wait_p50_s": [6 * H, None, 2 * H],
            "n": [30, 0, 80],
        }
    )
    spec = _spec("handoff", frame, {}, "C")
    (values,) = _rows(spec)
    assert [(v["label"], v["wait"]) for v in values] == [
        ("C, handed over", 6.0),
        ("every step of the stream", 2.0),
    ]


def test_the_other_kinds_draw() -> None:
    loop = pl.DataFrame(
        {"group": ["back", "not back"], "cases": [10, 30], "share": [0.25, 0.75]},
        schema={"group": pl.String, "cases": pl.Int64, "share": pl.Float64},
    )
    spec = _spec("rework_loop", loop, {"from_step": "C", "to_step": "B"}, "C")
    assert [v["label"] for v in _rows(spec)[0]] == ["went back from C to B", "did not"]
    assert spec["encoding"]["x"]["title"] == "Share of the cases in view (40)"
    measured = pl.DataFrame({"value_s": [H, H, 2 * H]})
    spec = _spec(
        "slower_than_standard",
        measured,
        {"standard_s": 600.0, "process_time_s_p50": H},
        "B",
    )
    # In the median's unit, hours: the standard is a sixth of one.
    assert [v["value"] for v in _with(spec, "what")] == [pytest.approx(1 / 6), 1.0]
    ratios = pl.DataFrame(
        {
            "activity": ["W", "X"],
            "p50_s": [H, H],
            "p95_s": [100 * H, 2 * H],
            "ratio": [100.0, 2.0],
            "n": [20, 20],
            "is_finding": [True, False],
        }
    )
    spec = _spec("high_variance", ratios, {"threshold_ratio": 3.6, "measure": "wait"}, "W")
    assert _with(spec, "threshold") == [{"threshold": 3.6}]
    assert [v["part"] for v in _with(spec, "ratio")] == ["this step", "other"]
