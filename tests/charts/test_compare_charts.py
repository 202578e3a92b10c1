"""Compare charts: shared scales, one colour per offering, the percentiles marked."""

from __future__ import annotations

import json
import re

import polars as pl

from charts.compare import (
    lead_time_small_multiples_chart,
    pce_bars_chart,
    rework_bars_chart,
    weekly_throughput_chart,
)
from charts.export import to_svg
from metrics.scorecard import lead_time_bins, lead_time_histogram, scorecard, weekly_throughput
from tests.metrics.test_scorecard import _two_offerings


def test_small_multiples_share_the_axes_and_mark_median_and_p85() -> None:
    inst, cases = _two_offerings()
    card = scorecard(inst.lazy(), cases.lazy()).collect()
    width, last = lead_time_bins(cases, bins=4)
    chart = lead_time_small_multiples_chart(
        lead_time_histogram(cases.lazy(), width, last).collect(), card
    )
    spec = json.loads(chart.to_json())
    assert spec["facet"]["row"]["field"] == "offering"
    assert spec["resolve"]["scale"] == {"x": "shared", "y": "shared"}
    hist, rules = spec["spec"]["layer"]
    assert hist["encoding"]["y"]["field"] == "share" and hist["encoding"]["x2"]["field"] == "to_d"
    assert rules["encoding"]["strokeDash"]["scale"]["domain"] == ["median", "p85"]
    marks = [row for row in next(iter(spec["datasets"].values())) if row["layer"] == "mark"]
    assert sorted(round(row["value_d"], 1) for row in marks if row["offering"] == "Slow") == [
        15.0,
        18.5,
    ]
    assert to_svg(chart).startswith("<svg")


def test_bars_and_lines_colour_offerings_alike() -> None:
    inst, cases = _two_offerings()
    card = scorecard(inst.lazy(), cases.lazy()).collect()
    pce = json.loads(pce_bars_chart(card).to_json())
    rework = json.loads(rework_bars_chart(card).to_json())
    lines = json.loads(weekly_throughput_chart(weekly_throughput(cases.lazy()).collect()).to_json())
    domains = [
        pce["layer"][0]["encoding"]["color"]["scale"]["domain"],
        rework["layer"][0]["encoding"]["color"]["scale"]["domain"],
        lines["spec"]["layer"][0]["encoding"]["color"]["scale"]["domain"],
    ]
    assert domains == [["Fast", "Slow"]] * 3
    assert pce["layer"][0]["encoding"]["x"]["field"] == "value"
    assert lines["spec"]["layer"][1]["encoding"]["y"]["aggregate"] == "mean"


def test_shares_that_are_all_zero_run_on_an_axis_to_100_percent() -> None:
    """No case in view has rework (one variant, say): the bars sit at 0% on an axis from
    0% to 100%, not on one from 0 to 0 whose ticks read "0.000000%"."""
    inst, cases = _two_offerings()
    card = scorecard(inst.lazy(), cases.lazy()).collect()
    none = card.with_columns(rework_case_share=pl.lit(0.0))
    ticks = re.findall(r">([^<>]*%)<", to_svg(rework_bars_chart(none)))
    assert ticks == ["0%", "20%", "40%", "60%", "80%", "100%", "0%", "0%"]  # and two labels
    some = to_svg(rework_bars_chart(card.with_columns(rework_case_share=pl.lit(0.25))))
    assert re.findall(r">([^<>]*%)<", some)[-3:] == ["25%", "25%", "25%"]  # axis to 25%
