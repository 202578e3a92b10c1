"""Redesign charts carry the figures they draw: lead-time shares and medians, a future state's
stages, each week's conforming share; the map's click selection names the step."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from charts.export import to_svg
from charts.redesign import conformance_weeks_chart, future_state_chart, projected_lead_time_chart
from charts.vsm import value_stream_map_chart
from metrics.vsm import ladder

D = 86400.0


def _rows(spec: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [row for data in spec["datasets"].values() for row in data if key in row]


def test_projected_lead_times_as_shares_with_both_medians() -> None:
    projection = pl.DataFrame(
        {
            "baseline_lead_time_s": [10 * D, 10 * D, 20 * D, 30 * D],
            "projected_lead_time_s": [5 * D, 10 * D, 10 * D, 30 * D],
        }
    )
    chart = projected_lead_time_chart(projection)
    spec = json.loads(chart.to_json())
    bars = _rows(spec, "bin_start")
    for who in ("Today", "Projected"):
        assert sum(r["share"] for r in bars if r["who"] == who) == 1.0
    today = {r["bin_start"]: r["cases"] for r in bars if r["who"] == "Today"}
    assert today == {10.0: 2, 20.0: 1, 30.0: 1}
    medians = {r["who"]: r["median"] for r in _rows(spec, "median")}
    assert medians == {"Today": 15.0, "Projected": 10.0}
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Lead time of a completed case (d)"
    assert to_svg(chart).startswith("<svg")


def test_a_future_state_draws_one_column_per_stage() -> None:
    chart = future_state_chart(
        [["Quote"], ["Formulation", "Sample sent"], ["Taste panel"]],
        optional={"Sample sent"},
        known={"Quote", "Formulation", "Sample sent"},
    )
    spec = json.loads(chart.to_json())
    boxes = {r["step"]: (r["stage"], r["row"], r["kind"], r["seen"]) for r in _rows(spec, "step")}
    assert boxes == {
        "Quote": (1, 0, "required", "in the data"),
        "Formulation": (2, 0, "required", "in the data"),
        "Sample sent": (2, 1, "optional", "in the data"),
        "Taste panel": (3, 0, "required", "not in the data yet"),
    }
    assert to_svg(chart).startswith("<svg")


def test_each_week_of_conformance_and_the_thin_ones() -> None:
    weeks = pl.DataFrame(
        {
            "week": ["2026-06-01", "2026-06-08"],
            "cases": [12, 3],
            "conforming_share": [0.25, 2 / 3],
        }
    )
    spec = json.loads(conformance_weeks_chart(weeks).to_json())
    rows = {r["week"][:10]: (r["conforming_share"], r["thin"]) for r in _rows(spec, "week")}
    assert rows == {
        "2026-06-01": (0.25, "enough cases"),
        "2026-06-08": (2 / 3, "fewer than 5 cases"),
    }


def test_a_click_on_the_map_selects_a_step() -> None:
    from metrics.vsm import vsm_steps
    from tests.metrics.frames import cases_of, derive, events

    log = events(
        [(str(i), "Quote", 0, 1) for i in range(10)]
        + [(str(i), "Approval", 3, 4) for i in range(10)]
    )
    instances = derive(log)
    boxes = vsm_steps(instances.lazy(), cases_of(instances).lazy()).collect()
    assert boxes["activity"].to_list() == ["Quote", "Approval"]
    plain = json.loads(value_stream_map_chart(boxes, ladder(boxes), select=None).to_json())
    assert "params" not in json.dumps(plain)
    chosen = json.loads(
        value_stream_map_chart(boxes, ladder(boxes), select="step", selected="Approval").to_json()
    )
    params = [{k: v for k, v in p.items() if k != "views"} for p in chosen["params"]]
    assert params == [
        {
            "name": "step",
            "select": {
                "type": "point",
                "fields": ["activity"],
                "on": "click",
                "toggle": False,
                "clear": False,
            },
            "value": [{"activity": "Approval"}],
        }
    ]
