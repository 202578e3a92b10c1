"""Experiment charts: before/after distributions, intervals, where waiting moved, the XmR chart.

Every chart takes frames from metrics.compare (`Comparison.points`,
`Comparison.compared`, `Comparison.effects()`, `Comparison.step_wait_frame()`)
and writes durations in days, or in hours when everything shown is under two
days. "Before" is grey and "after" is blue on every chart, so the colours read
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


_DAY = 86_400.0
_HOUR = 3_600.0


def _unit(largest_s: float | None) -> tuple[float, str]:
    """(seconds per unit, unit name): days, or hours when everything is under two days."""
    if largest_s is not None and math.isfinite(largest_s) and largest_s < 2 * _DAY:
        return _HOUR, "hours"
    return _DAY, "days"


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
            x2="bin_end:Q",
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
            x="median:Q",
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
        .encode(x="median:Q", y=alt.value(y), text="text:N", color=color)
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
            x2="high:Q",
            y=y,
            color=color,
            tooltip=tooltip,
        )
    )
    dots = (
        alt.Chart(frame)
        .mark_point(filled=True, size=70)
        .encode(x="diff:Q", y=y, color=color, tooltip=tooltip)
    )
    zero = alt.Chart(pl.DataFrame({"zero": [0.0]})).mark_rule(color="#424242").encode(x="zero:Q")
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
            x2="after:Q",
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
            x="value:Q",
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


def xmr_chart(points: pl.DataFrame, change: datetime) -> AnyChart:
    """Process behaviour chart: completed cases' lead times in completion order.

    `points` is `Comparison.points` (metrics.compare.lead_time_points). The x axis
    is the completion date; the centre line and natural process limits come from
    the cases completed before the change (the baseline), and a dashed line marks
    the change. Signals (a point beyond a limit, eight in a row on one side of the
    centre) are ringed in orange. Colour says when a case started.
    """
    scale, unit = _unit(_largest(points, ["lead_time_s", "upper_limit"]))
    reason = (
        pl.when(pl.col("beyond_limits") & pl.col("in_run"))
        .then(pl.lit("beyond a limit, and part of 8+ in a row on one side"))
        .when(pl.col("beyond_limits"))
        .then(pl.lit("beyond a limit"))
        .when(pl.col("in_run"))
        .then(pl.lit("part of 8+ in a row on one side of the centre"))
        .otherwise(pl.lit("no signal"))
    )
    frame = points.with_columns(
        value=pl.col("lead_time_s") / scale,
        who=pl.when(pl.col("window") == "before")
        .then(pl.lit("started before the change"))
        .otherwise(pl.lit("started after the change")),
        reason=reason,
    )
    x = alt.X("last_end:T", title="Completed on", axis=alt.Axis(format="%d %b"))
    y_title = f"Lead time ({unit})"
    tooltip = [
        alt.Tooltip("case_id:N", title="Case"),
        alt.Tooltip("who:N", title="When"),
        alt.Tooltip("first_start:T", title="Started", format="%d %b %Y %H:%M"),
        alt.Tooltip("last_end:T", title="Completed", format="%d %b %Y %H:%M"),
        alt.Tooltip("value:Q", title=y_title, format=".1f"),
        alt.Tooltip("reason:N", title="Signal"),
    ]
    line = (
        alt.Chart(frame)
        .mark_line(color="#bdbdbd", strokeWidth=1)
        .encode(x=x, y=alt.Y("value:Q", title=y_title))
    )
    dots = (
        alt.Chart(frame)
        .mark_circle(size=36, opacity=0.9)
        .encode(
            x=x,
            y="value:Q",
            color=alt.Color(
                "who:N",
                title=None,
                scale=alt.Scale(
                    domain=["started before the change", "started after the change"],
                    range=[BEFORE_COLOR, AFTER_COLOR],
                ),
                legend=alt.Legend(orient="top", labelLimit=300),
            ),
            tooltip=tooltip,
        )
    )
    signals = (
        alt.Chart(frame.filter(pl.col("signal")))
        .mark_point(size=120, strokeWidth=2, color=SIGNAL_COLOR)
        .encode(x=x, y="value:Q", tooltip=tooltip)
    )
    layers: list[alt.Chart] = [line, dots, signals]
    if frame.height and frame["upper_limit"][0] is not None:
        centre, natural = "average before the change", "natural process limits"
        lines = pl.DataFrame(
            {
                "what": [centre, natural, natural],
                "y": [frame["centre"][0], frame["upper_limit"][0], frame["lower_limit"][0]],
            }
        ).with_columns(y=(pl.col("y") / scale).clip(lower_bound=0.0))
        layers.append(
            alt.Chart(lines)
            .mark_rule(color="#424242")
            .encode(
                y="y:Q",
                strokeDash=alt.StrokeDash(
                    "what:N",
                    title=None,
                    legend=alt.Legend(orient="top", labelLimit=300),
                    scale=alt.Scale(domain=[centre, natural], range=[[1, 0], [5, 4]]),
                ),
                tooltip=[
                    alt.Tooltip("what:N", title="Line"),
                    alt.Tooltip("y:Q", title=y_title, format=".1f"),
                ],
            )
        )
    marker = pl.DataFrame(
        {"at": [change], "text": ["change"]},
        schema={"at": pl.Datetime("us", "UTC"), "text": pl.String},
    )
    layers.append(
        alt.Chart(marker)
        .mark_rule(strokeDash=[6, 3], color="#212121", strokeWidth=1.5)
        .encode(x="at:T")
    )
    layers.append(
        alt.Chart(marker)
        .mark_text(align="left", dx=4, y=8, fontSize=11, fontWeight="bold", color="#212121")
        .encode(x="at:T", text="text:N")
    )
    # The height holds the legend and axis too (Streamlit fits the whole chart into it).
    return alt.layer(*layers).properties(height=400)
