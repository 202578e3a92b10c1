"""The value stream map chart: built from the boxes, with every layer, exportable."""

from __future__ import annotations

import json

import polars as pl

from charts.export import to_svg
from charts.vsm import value_stream_map_chart
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
