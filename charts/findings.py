"""Evidence charts of the findings: one small chart per kind, from metrics.findings.evidence_frame.

Each shows the figure the finding's headline states against what it is compared
with: the step's share of all waiting among the steps, the weekly series with
the found date, the group's lead times against the rest. Durations are drawn in
one unit per chart (`unit_for`); the finding's own step is coloured, the rest grey.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import altair as alt
import polars as pl

from charts.style import AnyChart
from charts.waits import FIT_WIDTH
from model.units import SHORT, UNITS, unit_for

FINDING_COLOR = "#d84315"
OTHER_COLOR = "#b0bec5"
BEFORE_COLOR = "#78909c"
AFTER_COLOR = "#1565c0"
HEIGHT = 220
MAX_STEPS = 12
"""More bars than this do not fit a card: the largest, and always the finding's step."""


def _top_steps(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    """At most MAX_STEPS rows, the largest `by` first, the finding's step always kept."""
    ranked = frame.sort([by, "activity"], descending=[True, False])
    top = ranked.head(MAX_STEPS)
    if not top["is_finding"].any():
        top = pl.concat([top.head(MAX_STEPS - 1), ranked.filter(pl.col("is_finding"))])
    return top


def _highlight(domain: list[str]) -> alt.Color:
    return alt.Color(
        "part:N",
        scale=alt.Scale(domain=domain, range=[FINDING_COLOR, OTHER_COLOR]),
        legend=None,
    )


def step_share_chart(frame: pl.DataFrame, what: str) -> AnyChart:
    """Bars: each step's `total_s` as a share of all steps' (bottleneck: the wait before it;
    waste: the time at it), the finding's step coloured. `what` names the total."""
    shown = _top_steps(frame, "total_s")
    unit = unit_for(float(shown["total_s"].sum()) / max(shown.height, 1))
    data = shown.with_columns(
        total=pl.col("total_s") / UNITS[unit],
        part=pl.when(pl.col("is_finding")).then(pl.lit("this step")).otherwise(pl.lit("other")),
    )
    order = data["activity"].to_list()
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title=f"Share of all {what}", axis=alt.Axis(format="%")),
            y=alt.Y("activity:N", title=None, sort=order, axis=alt.Axis(labelLimit=180)),
            color=_highlight(["this step", "other"]),
            tooltip=[
                alt.Tooltip("activity:N", title="Step"),
                alt.Tooltip("share:Q", title=f"Share of all {what}", format=".1%"),
                alt.Tooltip("total:Q", title=f"Total ({SHORT[unit]})", format=",.0f"),
                alt.Tooltip("n:Q", title="Rests on (n)", format=","),
            ],
        )
        .properties(height=20 * len(order))
    )


def loop_share_chart(frame: pl.DataFrame, from_step: str, to_step: str) -> AnyChart:
    """One bar: the cases that went back from `from_step` to `to_step` and the others."""
    labels = {
        "back": f"went back from {from_step} to {to_step}",
        "not back": "did not",
    }
    data = frame.with_columns(
        label=pl.col("group").replace_strict(labels, return_dtype=pl.String),
        order=pl.col("group").replace_strict({"back": 0, "not back": 1}, return_dtype=pl.Int32),
    )
    return (
        alt.Chart(data)
        .mark_bar(size=34)
        .encode(
            x=alt.X(
                "share:Q",
                title=f"Share of the cases in view ({int(data['cases'].sum()):,})",
                axis=alt.Axis(format="%"),
                stack="zero",
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(
                    domain=[labels["back"], labels["not back"]], range=[FINDING_COLOR, OTHER_COLOR]
                ),
                legend=alt.Legend(title=None, orient="bottom", labelLimit=400),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("label:N", title="Cases that"),
                alt.Tooltip("cases:Q", title="Cases", format=","),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
            ],
        )
        .properties(height=90)
    )


def standard_chart(frame: pl.DataFrame, standard_s: float, median_s: float) -> AnyChart:
    """Histogram of the measured process times, with the standard and the median marked."""
    unit = unit_for(median_s)
    data = frame.with_columns(value=pl.col("value_s") / UNITS[unit])
    marks = pl.DataFrame(
        {
            "what": ["standard", "median measured"],
            "value": [standard_s / UNITS[unit], median_s / UNITS[unit]],
        }
    )
    bars = (
        alt.Chart(data)
        .mark_bar(color=OTHER_COLOR)
        .encode(
            x=alt.X("value:Q", bin=alt.Bin(maxbins=30), title=f"Process time ({SHORT[unit]})"),
            y=alt.Y("count():Q", title="Instances"),
            tooltip=[alt.Tooltip("count():Q", title="Instances", format=",")],
        )
    )
    rules = (
        alt.Chart(marks)
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("value:Q"),
            color=alt.Color(
                "what:N",
                scale=alt.Scale(
                    domain=["standard", "median measured"], range=["#2e7d32", FINDING_COLOR]
                ),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("what:N", title="Line"),
                alt.Tooltip("value:Q", title=SHORT[unit], format=",.1f"),
            ],
        )
    )
    return alt.layer(bars, rules).properties(height=HEIGHT)


def variance_chart(frame: pl.DataFrame, threshold: float, measure: str) -> AnyChart:
    """Bars: each step's p95 ÷ median, the finding's step coloured, the bar it passed dashed."""
    shown = _top_steps(frame, "ratio")
    data = shown.with_columns(
        part=pl.when(pl.col("is_finding")).then(pl.lit("this step")).otherwise(pl.lit("other")),
    )
    order = data["activity"].to_list()
    what = "wait before the step" if measure == "wait" else "process time"
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("ratio:Q", title=f"p95 ÷ median of the {what}"),
            y=alt.Y("activity:N", title=None, sort=order, axis=alt.Axis(labelLimit=180)),
            color=_highlight(["this step", "other"]),
            tooltip=[
                alt.Tooltip("activity:N", title="Step"),
                alt.Tooltip("ratio:Q", title="p95 ÷ median", format=".1f"),
                alt.Tooltip("n:Q", title="Rests on (n)", format=","),
            ],
        )
    )
    rule = (
        alt.Chart(pl.DataFrame({"threshold": [threshold]}))
        .mark_rule(strokeDash=[4, 4], color="#424242")
        .encode(
            x=alt.X("threshold:Q"),
            tooltip=[alt.Tooltip("threshold:Q", title="Far above from", format=".1f")],
        )
    )
    return alt.layer(bars, rule).properties(height=20 * len(order))


def shift_chart(
    frame: pl.DataFrame, found: date, before_s: float, after_s: float, what: str
) -> AnyChart:
    """The weekly medians of `what` with the found date marked and the level before and after it."""
    unit = unit_for(max(before_s, after_s))
    data = frame.with_columns(median=pl.col("median_s") / UNITS[unit])
    levels = (
        data.filter(pl.col("side").is_not_null())
        .group_by("side")
        .agg(start=pl.col("week").min(), end=pl.col("week").max())
        .with_columns(
            level=pl.when(pl.col("side") == "before")
            .then(pl.lit(before_s / UNITS[unit]))
            .otherwise(pl.lit(after_s / UNITS[unit]))
        )
    )
    y_title = f"Weekly median ({SHORT[unit]})"
    line = (
        alt.Chart(data)
        .mark_line(point=alt.OverlayMarkDef(size=20), color=BEFORE_COLOR, strokeWidth=1)
        .encode(
            x=alt.X("week:T", title="Week"),
            y=alt.Y("median:Q", title=y_title),
            tooltip=[
                alt.Tooltip("week:T", title="Week of", format="%-d %b %Y"),
                alt.Tooltip("median:Q", title=f"{what}, median ({SHORT[unit]})", format=",.1f"),
                alt.Tooltip("values:Q", title="Rests on (n)", format=","),
            ],
        )
    )
    segments = (
        alt.Chart(levels)
        .mark_rule(strokeWidth=3)
        .encode(
            x=alt.X("start:T"),
            x2=alt.X2("end"),
            y=alt.Y("level:Q"),
            color=alt.Color(
                "side:N",
                scale=alt.Scale(domain=["before", "after"], range=[BEFORE_COLOR, AFTER_COLOR]),
                legend=alt.Legend(title="Level (median)", orient="top"),
            ),
            tooltip=[
                alt.Tooltip("side:N", title="Level"),
                alt.Tooltip("level:Q", title=f"Median ({SHORT[unit]})", format=",.1f"),
            ],
        )
    )
    marker = pl.DataFrame({"found": [found]})
    rule = (
        alt.Chart(marker)
        .mark_rule(strokeDash=[4, 4], color=FINDING_COLOR, strokeWidth=2)
        .encode(
            x=alt.X("found:T"),
            tooltip=[alt.Tooltip("found:T", title="Found: the week of", format="%-d %b %Y")],
        )
    )
    return alt.layer(line, segments, rule).properties(height=HEIGHT)


def attribute_chart(frame: pl.DataFrame, label: str, horizon_s: float) -> AnyChart:
    """Two boxes: the lead times of the cases with the value and of the rest (each counted
    at most the horizon, as in the test), whiskers to the shortest and longest."""
    unit = unit_for(horizon_s / 2)
    n_with = frame.filter(pl.col("group") == "with").height
    names = {
        "with": f"{label} ({n_with:,} cases)",
        "rest": f"the other cases ({frame.height - n_with:,})",
    }
    data = frame.with_columns(
        value=pl.col("value_s") / UNITS[unit],
        who=pl.col("group").replace_strict(names, return_dtype=pl.String),
    )
    order = [names["with"], names["rest"]]
    return (
        alt.Chart(data)
        .mark_boxplot(extent="min-max", size=26)
        .encode(
            x=alt.X("value:Q", title=f"Lead time ({SHORT[unit]}, at most the horizon)"),
            y=alt.Y("who:N", title=None, sort=order, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "who:N",
                scale=alt.Scale(domain=order, range=[FINDING_COLOR, OTHER_COLOR]),
                legend=None,
            ),
        )
        .properties(height=120)
    )


def handoff_chart(frame: pl.DataFrame, step: str) -> AnyChart:
    """Bars: the median wait before the step after a hand-over, with the same person, and
    before every step of the stream."""
    shown = frame.filter(pl.col("n") > 0)
    unit = unit_for(shown["wait_p50_s"].drop_nulls().median())  # type: ignore[arg-type]
    labels = {
        "handed over": f"{step}, handed over",
        "same person": f"{step}, same person",
        "every step": "every step of the stream",
    }
    data = shown.with_columns(
        wait=pl.col("wait_p50_s") / UNITS[unit],
        label=pl.col("group").replace_strict(labels, return_dtype=pl.String),
        part=pl.when(pl.col("group") == "handed over")
        .then(pl.lit("this step"))
        .otherwise(pl.lit("other")),
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("wait:Q", title=f"Median wait before ({SHORT[unit]})"),
            y=alt.Y(
                "label:N", title=None, sort=data["label"].to_list(), axis=alt.Axis(labelLimit=240)
            ),
            color=_highlight(["this step", "other"]),
            tooltip=[
                alt.Tooltip("label:N", title="Wait before"),
                alt.Tooltip("wait:Q", title=f"Median ({SHORT[unit]})", format=",.1f"),
                alt.Tooltip("n:Q", title="Rests on (waits)", format=","),
            ],
        )
        .properties(height=22 * data.height + 30)
    )


def finding_chart(
    kind: str, frame: pl.DataFrame, evidence: dict[str, Any], step: str | None
) -> AnyChart:
    """The evidence chart of a finding of `kind` (`frame` = metrics.findings.evidence_frame),
    as wide as its place and as high as it asks."""
    return _chart_of(kind, frame, evidence, step).properties(autosize=FIT_WIDTH)


def _chart_of(
    kind: str, frame: pl.DataFrame, evidence: dict[str, Any], step: str | None
) -> AnyChart:
    if kind == "bottleneck":
        return step_share_chart(frame, "waiting before steps")
    if kind == "non_value_step":
        return step_share_chart(frame, "time at steps (waits and work)")
    if kind == "rework_loop":
        return loop_share_chart(frame, evidence["from_step"], evidence["to_step"])
    if kind == "slower_than_standard":
        return standard_chart(frame, evidence["standard_s"], evidence["process_time_s_p50"])
    if kind == "high_variance":
        return variance_chart(frame, evidence["threshold_ratio"], evidence["measure"])
    if kind in ("lead_time_shift", "step_wait_shift"):
        what = "Lead time" if kind == "lead_time_shift" else f"Wait before {step}"
        return shift_chart(
            frame,
            date.fromisoformat(evidence["date"]),
            evidence["before_median_s"],
            evidence["after_median_s"],
            what,
        )
    if kind == "attribute_effect":
        return attribute_chart(
            frame, f"{evidence['attribute']} = {evidence['value']}", evidence["horizon_s"]
        )
    if kind == "handoff":
        assert step is not None
        return handoff_chart(frame, step)
    raise ValueError(f"unknown kind of finding: {kind!r}")
