"""The value stream map chart: built from the boxes, with every layer, exportable."""

from __future__ import annotations

import html
import json
import re

import polars as pl

from charts.export import to_svg
from charts.vsm import (
    NAME_CHARS,
    SELECTION,
    box_label,
    ladder_figures,
    map_size,
    value_stream_map_chart,
)
from metrics.vsm import ladder, vsm_steps
from tests.metrics.frames import cases_of, catalog, derive, events


def _boxes() -> pl.DataFrame:
    log = events(
        [
            ("1", "Quote", 0, 1),
            ("1", "Build", 3, 5),
            ("1", "Ship", 9, 10),
            ("2", "Quote", 0, 2),
            ("2", "Build", 4, 5),
            ("2", "Ship", 7, 8),
        ]
    )
    inst = derive(log, catalog([{"activity": "Build", "value_class": "value-adding"}]))
    return vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()


def test_map_spec_has_boxes_triangles_ladder_and_totals() -> None:
    boxes = _boxes()
    chart = value_stream_map_chart(boxes, ladder(boxes), title="Shop")
    spec = json.loads(chart.to_json())
    marks = json.dumps(spec)
    assert '"triangle-up"' in marks  # wait triangles
    assert "BOTTLENECK" in marks
    # Ladder: median waits 2 h (Build) + 3 h (Ship), median C/T 1.5 + 1.5 + 1 h.
    assert "Lead time 9.0 h" in marks
    assert "waiting 5.0 h" in marks and "process 4.0 h" in marks and "PCE 17%" in marks
    assert spec["title"]["text"] == "Shop"


def test_map_renders_to_svg_with_step_names() -> None:
    boxes = _boxes()
    svg = to_svg(value_stream_map_chart(boxes, ladder(boxes)))
    assert svg.startswith("<svg")
    for name in ("Quote", "Build", "Ship"):
        assert name in svg


def test_unknown_process_times_read_as_unknown_not_null() -> None:
    log = events(
        [("1", "A", None, 0), ("1", "B", None, 2), ("2", "A", None, 0), ("2", "B", None, 3)]
    )
    inst = derive(log)
    boxes = vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()
    assert boxes["process_time_s_p50"].to_list() == [None, None]
    svg = to_svg(value_stream_map_chart(boxes, ladder(boxes)))
    assert "C/T ?" in svg
    assert ">null<" not in svg


def _stacked_boxes() -> pl.DataFrame:
    # B or C (never both), then P and Q at the same time; C is off the ladder's path.
    log = events(
        [
            ("1", "A", 0, 1),
            ("1", "B", 2, 3),
            ("1", "P", 4, 6),
            ("1", "Q", 4.5, 5.5),
            ("2", "A", 0, 1),
            ("2", "B", 2, 3),
            ("2", "P", 4, 5),
            ("2", "Q", 4, 6),
            ("3", "A", 0, 1),
            ("3", "C", 2, 3),
            ("3", "P", 4, 6),
            ("3", "Q", 5, 6),
        ]
    )
    inst = derive(log)
    return vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()


def _rows(spec: dict[str, object], field: str) -> list[dict[str, object]]:
    datasets = spec["datasets"]
    assert isinstance(datasets, dict)
    return [row for rows in datasets.values() for row in rows if field in row]


def _texts(svg: str) -> list[str]:
    """The text drawn on the map (each line of each label), not its tooltips."""
    found = re.findall(r"<(?:tspan|text)[^>]*>([^<]+)</(?:tspan|text)>", svg)
    return [html.unescape(text) for text in found]


def _encodings(spec: object) -> list[dict[str, object]]:
    if isinstance(spec, dict):
        found = [spec["encoding"]] if isinstance(spec.get("encoding"), dict) else []
        return found + [e for v in spec.values() for e in _encodings(v)]
    if isinstance(spec, list):
        return [e for v in spec for e in _encodings(v)]
    return []


def test_stacked_columns_share_an_x_and_say_how_they_relate() -> None:
    boxes = _stacked_boxes()
    chart = value_stream_map_chart(boxes, ladder(boxes))
    spec = json.loads(chart.to_json())
    at = {r["activity"]: (r["x0"], r["y0"]) for r in _rows(spec, "x0") if "activity" in r}
    assert at["B"][0] == at["C"][0] and at["C"][1] > at["B"][1]
    assert at["P"][0] == at["Q"][0] > at["B"][0]
    svg = to_svg(chart)
    assert "one of these" in svg and "at the same time" in svg
    assert "67% of cases" in svg and "33% of cases" in svg  # B and C
    # Off the path (C) is dashed; clicking a box selects its step.
    assert '"strokeDash": {"condition": {"test": "datum.on_path"' in json.dumps(spec)
    assert [p["name"] for p in spec["params"]] == [SELECTION]
    assert spec["params"][0]["select"]["fields"] == ["activity"]


def test_long_step_names_wrap_inside_their_box_with_the_full_name_on_hover() -> None:
    name = "Waiting for customer approval of the revised sample"
    label = box_label(name)
    assert label == "Waiting for\ncustomer\napproval of the…"
    assert all(len(line) <= NAME_CHARS for line in label.split("\n"))
    assert box_label("Quote") == "Quote"
    log = events([("1", name, 0, 1), ("1", "Ship", 2, 3), ("2", name, 0, 2), ("2", "Ship", 3, 4)])
    inst = derive(log)
    boxes = vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()
    chart = value_stream_map_chart(boxes, ladder(boxes))
    lines = _texts(to_svg(chart))
    assert "approval of the…" in lines and not any("revised sample" in t for t in lines)
    tooltips = [r["activity"] for r in _rows(json.loads(chart.to_json()), "activity")]
    assert name in tooltips


def test_the_totals_fit_the_chart_and_unknown_times_read_as_such() -> None:
    log = events(
        [("1", "A", None, 0), ("1", "B", None, 2), ("2", "A", None, 0), ("2", "B", None, 3)]
    )
    inst = derive(log)
    boxes = vsm_steps(inst.lazy(), cases_of(inst).lazy()).collect()
    totals = ladder(boxes)
    assert ladder_figures(totals) == {
        "lead": "2.5 h + ?",
        "wait": "2.5 h",
        "process": "?",
        "efficiency_label": "Flow efficiency",
        "efficiency": "?",
    }
    # Legend and labels live inside the plot area: a page draws exactly width × height.
    width, height = map_size(boxes)
    spec = json.loads(value_stream_map_chart(boxes, totals).to_json())
    assert (spec["width"], spec["height"]) == (width, height)
    legends = [
        enc["color"]["legend"]
        for enc in _encodings(spec)
        if isinstance(enc.get("color"), dict) and "legend" in enc["color"]
    ]
    assert legends and all(legend["orient"] == "none" for legend in legends)
