"""Experiment charts: before/after distributions, intervals, where waiting moved, the XmR charts.

Every chart takes frames from metrics.compare (`Comparison.points`,
`Comparison.compared`, `Comparison.effects()`, `Comparison.step_wait_frame()`)
and writes durations in the unit model.units.unit_for picks for the largest
value it shows (the product's one rule). "Before" is grey and "after" is blue on every chart, so the colours read
the same page-wide. Green, red and grey come from the frames' `outcome` column,
the same figures the verdict rests on: no chart decides for itself what is a
clear change.
"""

from __future__ import annotations

import math
from datetime import datetime

import altair as alt
import polars as pl

from charts.style import AnyChart
from metrics.verdict import (
    CLEARLY_LONGER,
    CLEARLY_SHORTER,
    COULD_BE_CHANCE,
    NOT_FAIR,
    NOT_TESTED,
)
from metrics.xmr import XMR_RULES
from model.units import SHORT, UNITS, unit_for

BEFORE_COLOR = "#9e9e9e"
AFTER_COLOR = "#1565c0"
BETTER_COLOR = "#2e7d32"
WORSE_COLOR = "#c62828"
UNCLEAR_COLOR = "#757575"
UNTESTED_COLOR = "#bdbdbd"
SIGNAL_COLOR = "#d84315"
OUTCOMES = [CLEARLY_SHORTER, CLEARLY_LONGER, COULD_BE_CHANCE, NOT_TESTED, NOT_FAIR]
OUTCOME_SCALE = alt.Scale(
    domain=OUTCOMES,
    range=[BETTER_COLOR, WORSE_COLOR, UNCLEAR_COLOR, UNTESTED_COLOR, UNTESTED_COLOR],
)
"""One colour per outcome word (metrics.verdict's) on every chart of the page."""


def _outcome_legend(frame: pl.DataFrame) -> alt.Legend:
    """The legend of the outcomes the chart shows (the scale holds them all, for fixed colours)."""
    shown = set(frame["outcome"].to_list())
    values = [o for o in OUTCOMES if o in shown]
    # Two to a row: three side by side overflow a half-width column.
    return alt.Legend(orient="top", labelLimit=240, values=values, columns=min(2, len(values)))


def _unit(largest_s: float | None) -> tuple[float, str]:
    """(seconds per unit, unit name) for a chart whose largest value is `largest_s`: the
    product's one rule (model.units.unit_for)."""
    unit = unit_for(largest_s if largest_s is not None and math.isfinite(largest_s) else None)
    return UNITS[unit], unit


def _largest(frame: pl.DataFrame, columns: list[str]) -> float | None:
    values = [frame[c].abs().max() for c in columns if frame.height]
    found = [float(v) for v in values if v is not None]  # type: ignore[arg-type]
    return max(found) if found else None


def _window_labels(points: pl.DataFrame) -> tuple[str, str]:
    n_before = points.filter(pl.col("window") == "before").height
    n_after = points.filter(pl.col("window") == "after").height
    return f"Started before the change ({n_before} cases)", f"Started after ({n_after} cases)"


def _nice_step(span: float, bins: int = 16) -> float:
    raw = max(span / bins, 1e-9)
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def lead_time_distribution_chart(points: pl.DataFrame) -> AnyChart:
    """Overlaid lead-time histograms of the two windows' completed cases, as shares, with medians.

    `points` is `Comparison.compared` (window, lead_time_s, ...). Each window's bars
    add up to 100%, so windows of different sizes compare directly.
    """
    scale, unit = _unit(_largest(points, ["lead_time_s"]))
    before_label, after_label = _window_labels(points)
    values = points.with_columns(value=pl.col("lead_time_s") / scale)
    top = float(values["value"].max() or 1.0)  # type: ignore[arg-type]
    step = _nice_step(top, bins=24)
    label = (
        pl.when(pl.col("window") == "before")
        .then(pl.lit(before_label))
        .otherwise(pl.lit(after_label))
    )
    bars = (
        values.with_columns(bin_start=(pl.col("value") / step).floor() * step, who=label)
        .group_by("who", "window", "bin_start")
        .agg(cases=pl.len())
        .with_columns(
            share=pl.col("cases") / pl.col("cases").sum().over("window"),
            bin_end=pl.col("bin_start") + step,
        )
        .sort("window", "bin_start")
    )
    medians = (
        values.group_by("window")
        .agg(median=pl.col("value").median(), n=pl.len())
        .with_columns(who=label, text=pl.format("median {} " + unit, pl.col("median").round(1)))
    )
    color = alt.Color(
        "who:N",
        title=None,
        scale=alt.Scale(domain=[before_label, after_label], range=[BEFORE_COLOR, AFTER_COLOR]),
        legend=alt.Legend(orient="top", labelLimit=400),
    )
    x_title = f"Lead time of a completed case ({unit})"
    hist = (
        alt.Chart(bars)
        .mark_bar(opacity=0.55, binSpacing=0)
        .encode(
            x=alt.X("bin_start:Q", title=x_title),
            x2=alt.X2("bin_end"),
            y=alt.Y(
                "share:Q",
                title="Share of the window's cases",
                axis=alt.Axis(format="%"),
                stack=None,
            ),
            y2=alt.datum(0),
            color=color,
            tooltip=[
                alt.Tooltip("who:N", title="Cases"),
                alt.Tooltip("bin_start:Q", title=f"From ({unit})", format=".1f"),
                alt.Tooltip("bin_end:Q", title=f"To ({unit})", format=".1f"),
                alt.Tooltip("cases:Q", title="Cases in this bar"),
                alt.Tooltip("share:Q", title="Share of the window", format=".0%"),
            ],
        )
    )
    rules = (
        alt.Chart(medians)
        .mark_rule(strokeDash=[6, 3], strokeWidth=2)
        .encode(
            x=alt.X("median:Q"),
            color=color,
            tooltip=[
                alt.Tooltip("who:N", title="Cases"),
                alt.Tooltip("median:Q", title=f"Median lead time ({unit})", format=".1f"),
            ],
        )
    )
    texts = [
        alt.Chart(medians.filter(pl.col("window") == name))
        .mark_text(align="left", dx=4, fontSize=11, fontWeight="bold")
        .encode(x=alt.X("median:Q"), y=alt.YValue(y), text=alt.Text("text:N"), color=color)
        for name, y in (("before", 8), ("after", 24))
    ]
    return alt.layer(hist, rules, *texts).properties(height=320)


def effect_interval_chart(effects: pl.DataFrame) -> AnyChart:
    """How sure are we: each median difference (after − before) with its 95% confidence interval.

    `effects` is `Comparison.effects()`; its `outcome` colours each line: green
    clearly shorter, red clearly longer, grey could be chance (for a case
    measure the interval is clear of 0 and p < 0.05; for the wait before a step,
    its Mann–Whitney p after Holm's correction is < 0.05, as in the verdict).
    """
    scale, unit = _unit(_largest(effects, ["ci_low_s", "ci_high_s", "median_diff_s"]))
    frame = effects.with_columns(
        diff=pl.col("median_diff_s") / scale,
        low=pl.col("ci_low_s") / scale,
        high=pl.col("ci_high_s") / scale,
        before=pl.col("before_p50_s") / scale,
        after=pl.col("after_p50_s") / scale,
    )
    order = frame["label"].to_list()
    color = alt.Color(
        "outcome:N",
        title=None,
        scale=OUTCOME_SCALE,
        legend=_outcome_legend(frame),
    )
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=260, labelOverlap=False))
    tooltip = [
        alt.Tooltip("label:N", title="Measure"),
        alt.Tooltip("outcome:N", title="Change"),
        alt.Tooltip("before:Q", title=f"Median before ({unit})", format=".1f"),
        alt.Tooltip("after:Q", title=f"Median after ({unit})", format=".1f"),
        alt.Tooltip("diff:Q", title=f"Change in the median ({unit})", format="+.1f"),
        alt.Tooltip("low:Q", title=f"95% interval from ({unit})", format="+.1f"),
        alt.Tooltip("high:Q", title=f"95% interval to ({unit})", format="+.1f"),
        alt.Tooltip("p_value:Q", title="Mann–Whitney p", format=".3f"),
        alt.Tooltip("p_corrected:Q", title="p corrected for the steps tested (Holm)", format=".3f"),
        alt.Tooltip("before_n:Q", title="Values before"),
        alt.Tooltip("after_n:Q", title="Values after"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_rule(strokeWidth=3)
        .encode(
            x=alt.X("low:Q", title=f"Change in the median, after − before ({unit})"),
            x2=alt.X2("high"),
            y=y,
            color=color,
            tooltip=tooltip,
        )
    )
    dots = (
        alt.Chart(frame)
        .mark_point(filled=True, size=70)
        .encode(x=alt.X("diff:Q"), y=y, color=color, tooltip=tooltip)
    )
    zero = (
        alt.Chart(pl.DataFrame({"zero": [0.0]}))
        .mark_rule(color="#424242")
        .encode(x=alt.X("zero:Q"))
    )
    # The height holds legend and axis too (Streamlit fits the whole chart into it).
    return alt.layer(zero, bars, dots).properties(height=100 + 22 * frame.height)


def wait_shift_chart(shift: pl.DataFrame) -> AnyChart:
    """Where waiting fell and where it grew: the wait before each step per completed case.

    `shift` is `Comparison.step_wait_frame()`. One line per step from before
    (grey) to after (blue), coloured by the step's test (its `outcome`, the
    same as on the interval chart and in the verdict): green clearly shorter,
    red clearly longer, grey could be chance, light grey too few waits to test.
    The steps' waits add up to the average wait per case.
    """
    scale, unit = _unit(_largest(shift, ["before_per_case_s", "after_per_case_s"]))
    frame = shift.with_columns(
        before=pl.col("before_per_case_s").fill_null(0.0) / scale,
        after=pl.col("after_per_case_s").fill_null(0.0) / scale,
        before_med=pl.col("before_p50_s") / scale,
        after_med=pl.col("after_p50_s") / scale,
    )
    order = frame["activity"].to_list()
    y = alt.Y(
        "activity:N", title=None, sort=order, axis=alt.Axis(labelLimit=220, labelOverlap=False)
    )
    tooltip = [
        alt.Tooltip("activity:N", title="Step"),
        alt.Tooltip("before:Q", title=f"Wait per completed case, before ({unit})", format=".2f"),
        alt.Tooltip("after:Q", title=f"Wait per completed case, after ({unit})", format=".2f"),
        alt.Tooltip("before_med:Q", title=f"Median wait before, before ({unit})", format=".2f"),
        alt.Tooltip("after_med:Q", title=f"Median wait before, after ({unit})", format=".2f"),
        alt.Tooltip("before_instances:Q", title="Waits before"),
        alt.Tooltip("after_instances:Q", title="Waits after"),
        alt.Tooltip("outcome:N", title="Change"),
        alt.Tooltip("p_corrected:Q", title="p corrected for the steps tested (Holm)", format=".3f"),
    ]
    line = (
        alt.Chart(frame)
        .mark_rule(strokeWidth=4, opacity=0.7)
        .encode(
            x=alt.X("before:Q", title=f"Wait in front of the step, per completed case ({unit})"),
            x2=alt.X2("after"),
            y=y,
            color=alt.Color(
                "outcome:N", title=None, scale=OUTCOME_SCALE, legend=_outcome_legend(frame)
            ),
            tooltip=tooltip,
        )
    )
    points = (
        frame.unpivot(index=["activity"], on=["before", "after"], variable_name="when")
        .join(frame.drop("before", "after"), on="activity")
        .with_columns(
            when=pl.when(pl.col("when") == "before")
            .then(pl.lit("before the change"))
            .otherwise(pl.lit("after the change"))
        )
    )
    domain = ["before the change", "after the change"]
    dots = (
        alt.Chart(points)
        .mark_point(filled=True, size=90, opacity=1)
        .encode(
            x=alt.X("value:Q"),
            y=y,
            color=alt.Color(
                "when:N",
                title=None,
                legend=alt.Legend(orient="top"),
                scale=alt.Scale(domain=domain, range=[BEFORE_COLOR, AFTER_COLOR]),
            ),
            shape=alt.Shape(
                "when:N", legend=None, scale=alt.Scale(domain=domain, range=["circle", "diamond"])
            ),
            tooltip=[
                alt.Tooltip("activity:N", title="Step"),
                alt.Tooltip("when:N", title="Cases started"),
                alt.Tooltip("value:Q", title=f"Wait per completed case ({unit})", format=".2f"),
            ],
        )
    )
    # The height holds legend and axis too (Streamlit fits the whole chart into it).
    return (
        alt.layer(line, dots)
        .resolve_scale(color="independent")
        .properties(height=110 + 32 * frame.height)
    )


_STARTED = ["started before the change", "started after the change"]
_RULE_SHAPES = ["circle", "square", "triangle-up"]
_RANGE_RULE = "Rule 1: a range above its limit"
_AXIS_EXTENT = 48
"""Both XmR charts give their y axis the same room, so their plots line up."""


def _signal_legend(vertical: bool = False) -> alt.Legend:
    """The rules' shapes drawn as on the chart: open, in the signal colour."""
    return alt.Legend(
        orient="top",
        direction="vertical" if vertical else "horizontal",
        labelLimit=400,
        symbolStrokeColor=SIGNAL_COLOR,
        symbolFillColor="transparent",
        symbolStrokeWidth=1.8,
        symbolOpacity=1,
    )


def _xmr_frame(points: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """The points in the chart's unit, with who started when and which rules fired."""
    scale, unit = _unit(_largest(points, ["lead_time_s", "upper_limit"]))
    fired = [pl.when(pl.col(column)).then(pl.lit(name)) for column, name in XMR_RULES]
    frame = points.with_columns(
        value=pl.col("lead_time_s") / scale,
        range=pl.col("moving_range") / scale,
        who=pl.when(pl.col("window") == "before")
        .then(pl.lit(_STARTED[0]))
        .otherwise(pl.lit(_STARTED[1])),
        rules=pl.when(pl.col("signal"))
        .then(pl.concat_str(fired, separator="; ", ignore_nulls=True))
        .otherwise(pl.lit("none")),
    )
    return frame, unit


def _time_scale(frame: pl.DataFrame, change: datetime) -> alt.Scale:
    """The same span of completion dates in both charts (the change included)."""
    ends: list[datetime] = [change, *frame["last_end"].drop_nulls().to_list()]
    # ISO text, not epoch numbers: Streamlit draws a numeric domain off the data's scale.
    return alt.Scale(domain=[min(ends).isoformat(), max(ends).isoformat()])


def _time_axis(frame: pl.DataFrame, change: datetime) -> alt.X:
    return alt.X(
        "last_end:T",
        title="Completed on",
        axis=alt.Axis(format="%-d %b"),
        scale=_time_scale(frame, change),
    )


def _started_color(legend: bool = True) -> alt.Color:
    return alt.Color(
        "who:N",
        title=None,
        scale=alt.Scale(domain=_STARTED, range=[BEFORE_COLOR, AFTER_COLOR]),
        legend=alt.Legend(orient="top", direction="vertical", labelLimit=300) if legend else None,
    )


def _change_marker(change: datetime) -> list[alt.Chart]:
    marker = pl.DataFrame(
        {"at": [change], "text": ["change"]},
        schema={"at": pl.Datetime("us", "UTC"), "text": pl.String},
    )
    return [
        alt.Chart(marker)
        .mark_rule(strokeDash=[6, 3], color="#212121", strokeWidth=1.5)
        .encode(x=alt.X("at:T")),
        alt.Chart(marker)
        .mark_text(align="left", dx=4, y=8, fontSize=11, fontWeight="bold", color="#212121")
        .encode(x=alt.X("at:T"), text=alt.Text("text:N")),
    ]


def _limit_lines(
    lines: list[tuple[str, float | None, bool]], frame: pl.DataFrame, unit: str, y_title: str
) -> list[alt.Chart]:
    """The centre and limit lines, each named with its value at the chart's right end.

    `lines` holds (name, value in seconds, dashed). A limit below zero is left out: a
    duration cannot fall below zero, so such a limit is no limit (Wheeler).
    """
    shown = [(name, y, dashed) for name, y, dashed in lines if y is not None and y >= 0]
    if not shown or not frame.height:
        return []
    scale = UNITS[unit]
    at: datetime = frame["last_end"].max()  # type: ignore[assignment]
    table = pl.DataFrame(
        {
            "what": [name for name, _, _ in shown],
            "y": [y / scale for _, y, _ in shown],
            "at": [at] * len(shown),
        },
        schema={
            "what": pl.String,
            "y": pl.Float64,
            "at": pl.Datetime("us", "UTC"),
        },
    ).with_columns(text=pl.format("{} {} " + SHORT[unit], "what", pl.col("y").round(1)))
    tooltip = [alt.Tooltip("what:N", title="Line"), alt.Tooltip("y:Q", title=y_title, format=".1f")]
    rules = [
        alt.Chart(table.filter(pl.col("what") == name))
        .mark_rule(color="#424242", strokeDash=[5, 4] if dashed else [1, 0])
        .encode(y=alt.Y("y:Q"), tooltip=tooltip)
        for name, _, dashed in shown
    ]
    # A white outline under each label keeps it legible over the points it crosses.
    labels = [
        alt.Chart(table)
        .mark_text(align="right", dy=-6, fontSize=11, **style)
        .encode(x=alt.X("at:T"), y=alt.Y("y:Q"), text=alt.Text("text:N"), tooltip=tooltip)
        for style in ({"stroke": "white", "strokeWidth": 4}, {"color": "#424242"})
    ]
    return [*rules, *labels]


def xmr_chart(points: pl.DataFrame, change: datetime) -> AnyChart:
    """Process behaviour chart, individuals: completed cases' lead times in completion order.

    `points` is `Comparison.points` (metrics.windows.lead_time_points). The x axis
    is the completion date; the centre line and natural process limits come from
    the cases completed before the change (the baseline), and a dashed line marks
    the change. Only Wheeler's three detection rules are marked (metrics.xmr), each
    with its own orange shape named in the legend with its number of points; a
    point's tooltip names every rule it fired. Colour says when a case started.
    """
    frame, unit = _xmr_frame(points)
    scale = UNITS[unit]
    x = _time_axis(frame, change)
    y_title = f"Lead time ({unit})"
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(minExtent=_AXIS_EXTENT))
    tooltip = [
        alt.Tooltip("case_id:N", title="Case"),
        alt.Tooltip("who:N", title="When"),
        alt.Tooltip("first_start:T", title="Started", format="%-d %b %Y %H:%M"),
        alt.Tooltip("last_end:T", title="Completed", format="%-d %b %Y %H:%M"),
        alt.Tooltip("value:Q", title=y_title, format=".1f"),
        alt.Tooltip("rules:N", title="Signal"),
    ]
    line = alt.Chart(frame).mark_line(color="#bdbdbd", strokeWidth=1).encode(x=x, y=y)
    dots = (
        alt.Chart(frame)
        .mark_circle(size=30, opacity=0.9)
        .encode(x=x, y=alt.Y("value:Q"), color=_started_color(), tooltip=tooltip)
    )
    named = [f"{name} ({int(frame[column].sum())} points)" for column, name in XMR_RULES]
    # Rules 1 and 2 mark a few points each: a ring, a square. A run (rule 3) often holds
    # dozens of points: one shaded band over its stretch, from the centre to its farthest
    # point, marks them all without burying the chart in symbols.
    marks = pl.concat(
        [
            frame.filter(pl.col(column)).with_columns(rule=pl.lit(label))
            for (column, _), label in zip(XMR_RULES[:2], named[:2], strict=True)
        ]
    )
    signals = (
        alt.Chart(marks)
        .mark_point(size=150, strokeWidth=1.8, color=SIGNAL_COLOR, filled=False)
        .encode(
            x=x,
            y=alt.Y("value:Q"),
            shape=alt.Shape(
                "rule:N",
                title=None,
                scale=alt.Scale(domain=named[:2], range=_RULE_SHAPES[:2]),
                legend=_signal_legend(vertical=True),
            ),
            tooltip=tooltip,
        )
    )
    side = (pl.col("value") - pl.col("centre") / scale).sign()
    runs = (
        frame.with_columns(
            _run=((pl.col("in_run") != pl.col("in_run").shift(1)) | (side != side.shift(1)))
            .fill_null(True)
            .cum_sum(),
            _side=side,
        )
        .filter(pl.col("in_run"))
        .group_by("_run")
        .agg(
            start=pl.col("last_end").min(),
            end=pl.col("last_end").max(),
            points=pl.len(),
            centre=(pl.col("centre") / scale).first(),
            far=pl.when(pl.col("_side").first() > 0)
            .then(pl.col("value").max())
            .otherwise(pl.col("value").min()),
            side=pl.when(pl.col("_side").first() > 0)
            .then(pl.lit("above"))
            .otherwise(pl.lit("below")),
        )
        .with_columns(run_rule=pl.lit(named[2]))
    )
    bands = (
        alt.Chart(runs)
        .mark_rect(opacity=0.18)
        .encode(
            x=alt.X("start:T", scale=_time_scale(frame, change)),
            x2=alt.X2("end"),
            y=alt.Y("centre:Q"),
            y2=alt.Y2("far"),
            # Its own field: on the same field as the shapes, the two legends would merge
            # into one drawn at the band's faint opacity.
            fill=alt.Fill(
                "run_rule:N",
                title=None,
                scale=alt.Scale(domain=named[2:], range=[SIGNAL_COLOR]),
                legend=alt.Legend(
                    orient="top", symbolType="square", symbolOpacity=0.4, labelLimit=400
                ),
            ),
            tooltip=[
                alt.Tooltip("run_rule:N", title="Signal"),
                alt.Tooltip("points:Q", title="Points in a row"),
                alt.Tooltip("side:N", title="Side of the centre"),
                alt.Tooltip("start:T", title="From", format="%-d %b %Y"),
                alt.Tooltip("end:T", title="To", format="%-d %b %Y"),
            ],
        )
    )
    layers: list[alt.Chart] = [bands, line, dots, signals]
    if frame.height and frame["upper_limit"][0] is not None:
        layers += _limit_lines(
            [
                ("average before the change", frame["centre"][0], False),
                ("natural process limit", frame["upper_limit"][0], True),
                ("natural process limit", frame["lower_limit"][0], True),
            ],
            frame,
            unit,
            y_title,
        )
    layers += _change_marker(change)
    # The height holds the legends and axis too (Streamlit fits the whole chart into it).
    return alt.layer(*layers).properties(height=440)


def moving_range_chart(points: pl.DataFrame, change: datetime) -> AnyChart:
    """Process behaviour chart, moving ranges: how much each lead time differs from the one
    completed before it, on the individuals chart's time axis and unit.

    The centre line is the average moving range of the baseline and the upper range
    limit 3.268 times it (metrics.xmr); a range above that limit is ringed (Wheeler's
    first rule on the range chart).
    """
    frame, unit = _xmr_frame(points)
    x = _time_axis(frame, change)
    y_title = f"Moving range ({unit})"
    tooltip = [
        alt.Tooltip("case_id:N", title="Case"),
        alt.Tooltip("last_end:T", title="Completed", format="%-d %b %Y %H:%M"),
        alt.Tooltip("value:Q", title=f"Lead time ({unit})", format=".1f"),
        alt.Tooltip("range:Q", title=f"Difference from the case before ({unit})", format=".1f"),
    ]
    ranges = frame.filter(pl.col("range").is_not_null())
    y = alt.Y("range:Q", title=y_title, axis=alt.Axis(minExtent=_AXIS_EXTENT))
    line = alt.Chart(ranges).mark_line(color="#bdbdbd", strokeWidth=1).encode(x=x, y=y)
    dots = (
        alt.Chart(ranges)
        .mark_circle(size=20, opacity=0.9)
        .encode(x=x, y=alt.Y("range:Q"), color=_started_color(legend=False), tooltip=tooltip)
    )
    count = int(ranges["range_beyond_limit"].sum())
    label = f"{_RANGE_RULE} ({count} ranges)"
    rings = (
        alt.Chart(ranges.filter(pl.col("range_beyond_limit")).with_columns(rule=pl.lit(label)))
        .mark_point(size=150, strokeWidth=1.8, color=SIGNAL_COLOR, filled=False)
        .encode(
            x=x,
            y=alt.Y("range:Q"),
            shape=alt.Shape(
                "rule:N",
                title=None,
                scale=alt.Scale(domain=[label], range=_RULE_SHAPES[:1]),
                legend=_signal_legend(),
            ),
            tooltip=tooltip,
        )
    )
    layers: list[alt.Chart] = [line, dots, rings]
    if frame.height and frame["range_upper_limit"][0] is not None:
        layers += _limit_lines(
            [
                ("average before the change", frame["average_moving_range"][0], False),
                ("upper range limit", frame["range_upper_limit"][0], True),
            ],
            frame,
            unit,
            y_title,
        )
    layers += _change_marker(change)
    return alt.layer(*layers).properties(height=250)


def process_behaviour_chart(points: pl.DataFrame, change: datetime, width: int) -> AnyChart:
    """The individuals chart above the moving range chart, `width` pixels wide (for a file)."""
    return alt.vconcat(
        xmr_chart(points, change).properties(width=width),
        moving_range_chart(points, change).properties(width=width),
    )
