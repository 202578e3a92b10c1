"""A case's timeline: waiting statuses drawn as waits, the open stretch up to now, readable rows."""

from __future__ import annotations

import json

import polars as pl

from charts.export import to_svg
from charts.waits import MAX_INSTANCE_ROWS, case_timeline_chart
from metrics.case_detail import case_steps
from tests.metrics.frames import at, catalog, derive, events


def _spec(chart: object) -> dict:
    return json.loads(chart.to_json())  # type: ignore[attr-defined]


def _bars(spec: dict) -> list[dict]:
    return next(d for d in spec["datasets"].values() if d and "part" in d[0])


def test_a_waiting_status_is_a_wait_and_the_open_stretch_runs_to_now() -> None:
    log = events([("T-2", "To Do", 0, 72), ("T-2", "Build", 72, 80)])
    cat = catalog(
        [
            {"activity": "To Do", "kind": "waiting"},
            {"activity": "Build", "value_class": "value-adding"},
        ]
    )
    steps = case_steps(derive(log, cat).lazy(), "O", "T-2").collect()
    tail = pl.DataFrame(
        {
            "label": ["now: waiting after Build"],
            "activity": ["Build"],
            "from": [at(80)],
            "to": [at(100)],
            "waiting": [True],
        }
    )
    spec = _spec(case_timeline_chart(steps, "Case T-2", tail, at(100)))
    bars = _bars(spec)
    # The status's 3 days are also the wait before Build, on Build's row.
    assert [(b["row"], b["part"], b["duration"]) for b in bars] == [
        ("2. Build", "waiting", "3.0 d"),
        ("1. To Do", "waiting status", "3.0 d"),
        ("2. Build", "value-adding", "8.0 h"),
        ("now: waiting after Build", "still waiting", "20.0 h"),
    ]
    assert spec["layer"][0]["encoding"]["y"]["sort"] == [
        "1. To Do",
        "2. Build",
        "now: waiting after Build",
    ]
    rule = spec["layer"][2]
    assert rule["mark"]["type"] == "rule" and rule["encoding"]["x"]["field"] == "now"
    assert "<svg" in to_svg(case_timeline_chart(steps, "Case T-2", tail, at(100)))


def test_a_long_case_gets_one_row_per_step() -> None:
    rows = [("c", "AB"[i % 2], 2 * i, 2 * i + 1) for i in range(MAX_INSTANCE_ROWS + 2)]
    steps = case_steps(derive(events(rows)).lazy(), "O", "c").collect()
    spec = _spec(case_timeline_chart(steps))
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["A", "B"]
    assert spec["height"] == 140
    short = case_steps(derive(events(rows[:3])).lazy(), "O", "c").collect()
    assert _spec(case_timeline_chart(short))["layer"][0]["encoding"]["y"]["sort"] == [
        "1. A",
        "2. B",
        "3. A",
    ]


def test_a_long_step_name_reads_in_full_on_its_row_and_on_the_now_row() -> None:
    step = "T09-4 Process or receive external advice from party 4"
    log = events([("R-1", "Confirmation of receipt", 0, 1), ("R-1", step, 2, 3)])
    steps = case_steps(derive(log, catalog([])).lazy(), "O", "R-1").collect()
    tail = pl.DataFrame(
        {
            "label": [f"now: waiting after {step}"],
            "activity": [step],
            "from": [at(3)],
            "to": [at(90)],
            "waiting": [True],
        }
    )
    svg = to_svg(case_timeline_chart(steps, "Case R-1", tail, at(90)))
    # Vega writes a cut label with an ellipsis; in full, each name is one text of its own.
    assert f">2. {step}<" in svg
    assert f">now: waiting after {step}<" in svg
    assert "…" not in svg
