"""Waits charts: each builds from metrics.waits frames, with the encodings it promises, and exports."""

from __future__ import annotations

import json

import polars as pl

from charts.export import to_svg
from charts.waits import (
    BOTTLENECK_COLOR,
    case_timeline_chart,
    step_wait_boxes_chart,
    wait_ecdf_chart,
    wait_heatmap_chart,
)
from metrics import waits
from model.units import unit_for
from tests.metrics.frames import cases_of, catalog, derive, events


def _instances() -> pl.DataFrame:
    log = events(
        [
            ("1", "A", 0, 1),
            ("1", "B", 3, 4),
            ("1", "C", 50, 51),
            ("2", "A", 0, 1),
            ("2", "B", 2, 3),
            ("2", "C", 4, 5),
            ("3", "A", 0, 1),
            ("3", "B", None, 6),
        ]
    )
    return derive(log, catalog([{"activity": "C", "value_class": "value-adding"}]))


def _spec(chart: object) -> dict:
    return json.loads(chart.to_json())  # type: ignore[attr-defined]


def test_unit_follows_the_size_of_a_typical_wait() -> None:
    assert (unit_for(600), unit_for(5 * 3600), unit_for(5 * 86400)) == ("minutes", "hours", "days")


def test_box_chart_has_box_whisker_and_percentile_marks() -> None:
    frame = waits.step_waits(_instances().lazy()).collect()
    spec = _spec(step_wait_boxes_chart(frame, "hours", log=True))
    layers = spec["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["rule", "bar", "tick"]
    assert layers[1]["encoding"]["x"] == {
        "field": "p25",
        "type": "quantitative",
        "scale": {"type": "log"},
    }
    assert layers[2]["encoding"]["color"]["scale"]["domain"] == ["median (p50)", "p85", "p95"]
    assert layers[0]["encoding"]["y"]["sort"] == ["B", "C"]
    assert to_svg(step_wait_boxes_chart(frame, "hours")).startswith("<svg")


def test_ecdf_draws_one_line_per_step_and_the_highlight() -> None:
    frame = waits.wait_ecdf(_instances().lazy(), points=10).collect()
    spec = _spec(wait_ecdf_chart(frame, "hours", highlight="C", order=["B", "C"]))
    lines = [layer for layer in spec["layer"] if layer["mark"]["type"] == "line"]
    assert len(lines) == 2
    assert lines[0]["encoding"]["color"]["scale"]["domain"] == ["B (3 waits)", "C (2 waits)"]
    # The legend shows the bottleneck in the red of its thick line, and no other step in red.
    assert lines[0]["encoding"]["color"]["scale"]["range"] == ["#4e79a7", BOTTLENECK_COLOR]
    assert lines[1]["mark"]["color"] == BOTTLENECK_COLOR
    assert (
        lines[0]["encoding"]["x"]["field"] == "wait"
        and lines[0]["encoding"]["y"]["field"] == "share"
    )


def test_ecdf_names_its_guides_beyond_the_plot_where_no_line_runs() -> None:
    frame = waits.wait_ecdf(_instances().lazy(), points=10).collect()
    spec = _spec(wait_ecdf_chart(frame, "hours", highlight="C", order=["B", "C"]))
    (labels,) = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    guides = spec["datasets"][labels["data"]["name"]]
    assert [(g["share"], g["label"]) for g in guides] == [
        (0.5, "p50"),
        (0.85, "p85"),
        (0.95, "p95"),
    ]
    # Left-aligned from the plot's right edge: past every line, which the x scale clips there.
    assert labels["encoding"]["x"] == {"value": "width"}
    assert labels["mark"]["align"] == "left" and labels["mark"]["dx"] > 0
    # The legend stands far enough right for "p95" to fit between it and the plot.
    line = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    assert line["encoding"]["color"]["legend"]["offset"] >= 30


def test_heatmap_has_every_weekday_and_hour() -> None:
    frame = waits.waits_by_weekday_hour(_instances().lazy()).collect()
    spec = _spec(wait_heatmap_chart(frame, "hours"))
    assert spec["encoding"]["y"]["scale"]["domain"] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]
    assert spec["encoding"]["x"]["scale"]["domain"] == list(range(24))
    assert spec["encoding"]["color"]["field"] == "median"


def test_timeline_has_wait_and_step_bars_and_marks_unknown_starts() -> None:
    inst = _instances()
    cases_of(inst)
    one = waits.case_timeline(inst.lazy(), "3").collect()
    spec = _spec(case_timeline_chart(one, title="Case 3"))
    datasets = list(spec["datasets"].values())
    bars = next(d for d in datasets if d and "part" in d[0])
    assert {row["part"] for row in bars} == {"waiting", "unclassified"}
    diamonds = next(d for d in datasets if d and "start_known" in d[0])
    assert [row["activity"] for row in diamonds] == ["B"]  # B has no start time
    assert spec["title"]["text"] == "Case 3"
    # Case 3 lasts 6 hours: the axis shows the hour, in one format along the axis.
    gantt = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "bar")
    assert gantt["encoding"]["x"]["axis"]["format"] == "%-d %b %H:%M"
    # Case 1 lasts 51 hours: days only.
    long_case = waits.case_timeline(inst.lazy(), "1").collect()
    gantt = next(
        layer
        for layer in _spec(case_timeline_chart(long_case))["layer"]
        if layer["mark"]["type"] == "bar"
    )
    assert gantt["encoding"]["x"]["axis"]["format"] == "%-d %b"
