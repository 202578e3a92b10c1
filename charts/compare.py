"""Compare offerings: lead-time small multiples, PCE and rework bars, weekly throughput lines.

Every chart puts all offerings on one scale, so a bar or a hump can be compared
by eye, and colours an offering the same way on every page (charts.style.offering_color:
pass every offering of the warehouse as `all_offerings`).
Inputs are the frames of metrics.scorecard.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from charts.style import AnyChart, offering_color
from model.units import DAY

FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _one_row_per_offering(
    layers: Sequence[alt.Chart],
    data: pl.DataFrame,
    offerings: list[str],
    *,
    height: int,
    width: int,
) -> AnyChart:
    """`layers` drawn over each offering's rows of `data`, one panel (`height` by `width`)
    per offering in `offerings`' order with its name above it, every panel on the same x
    and y scales so they compare by eye."""
    return (
        alt.layer(*layers, data=data)
        .properties(height=height, width=width)
        .facet(
            row=alt.Row(
                "offering:N",
                title=None,
                sort=offerings,
                header=alt.Header(
                    labelAngle=0,
                    labelAlign="left",
                    labelFontWeight="bold",
                    labelOrient="top",
                    labelFontSize=13,
                ),
            )
        )
        .resolve_scale(x="shared", y="shared")
    )


def lead_time_small_multiples_chart(
    histogram: pl.DataFrame,
    card: pl.DataFrame,
    width: int = 760,
    all_offerings: Sequence[str] | None = None,
) -> AnyChart:
    """One histogram of lead time per offering, same bins and same axes (metrics.scorecard).

    `histogram` from lead_time_histogram, `card` from scorecard (for the p50
    and p85 marks and each offering's n).
    """
    offerings = card["offering"].to_list()
    palette = all_offerings or offerings
    bars = histogram.join(card.select("offering", "completed_cases"), on="offering").select(
        "offering",
        pl.lit("bar").alias("layer"),
        (pl.col("bin_start_s") / DAY).alias("from_d"),
        (pl.col("bin_end_s") / DAY).alias("to_d"),
        "share",
        "cases",
        "completed_cases",
        pl.when(pl.col("is_overflow"))
        .then(pl.format("{} d and longer", (pl.col("bin_start_s") / DAY).round(0)))
        .otherwise(
            pl.format(
                "{}–{} d",
                (pl.col("bin_start_s") / DAY).round(0),
                (pl.col("bin_end_s") / DAY).round(0),
            )
        )
        .alias("bin"),
    )
    marks = (
        card.unpivot(
            index=["offering", "completed_cases"],
            on=["lead_time_s_p50", "lead_time_s_p85"],
            variable_name="mark",
            value_name="value_s",
        )
        .select(
            "offering",
            "completed_cases",
            pl.lit("mark").alias("layer"),
            pl.col("mark").replace_strict({"lead_time_s_p50": "median", "lead_time_s_p85": "p85"}),
            (pl.col("value_s") / DAY).alias("value_d"),
        )
        .drop_nulls("value_d")
    )
    frame = pl.concat([bars, marks], how="diagonal_relaxed")
    x_scale = alt.Scale(zero=True, nice=False)
    hist = (
        alt.Chart()
        .transform_filter(alt.datum.layer == "bar")
        .mark_bar(opacity=0.85)
        .encode(
            x=alt.X("from_d:Q", title="Lead time of completed cases (days)", scale=x_scale),
            x2=alt.X2("to_d"),
            y=alt.Y("share:Q", title="Share of cases", axis=alt.Axis(format="%", tickCount=3)),
            y2=alt.Y2Datum(0),
            color=offering_color(palette),
            tooltip=[
                alt.Tooltip("offering:N", title="Offering"),
                alt.Tooltip("bin:N", title="Lead time"),
                alt.Tooltip("cases:Q", title="Cases", format=","),
                alt.Tooltip("share:Q", title="Share of its completed cases", format=".1%"),
                alt.Tooltip("completed_cases:Q", title="Completed cases", format=","),
            ],
        )
    )
    rules = (
        alt.Chart()
        .transform_filter(alt.datum.layer == "mark")
        .mark_rule(strokeWidth=2, color="#212121")
        .encode(
            x=alt.X("value_d:Q", scale=x_scale),
            strokeDash=alt.StrokeDash(
                "mark:N",
                title="Lead time",
                scale=alt.Scale(domain=["median", "p85"], range=[[1, 0], [5, 3]]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("offering:N", title="Offering"),
                alt.Tooltip("mark:N", title="Percentile"),
                alt.Tooltip("value_d:Q", title="Days", format=".1f"),
                alt.Tooltip("completed_cases:Q", title="Completed cases", format=","),
            ],
        )
    )
    return _one_row_per_offering((hist, rules), frame, offerings, height=110, width=width)


def _share_bars(
    card: pl.DataFrame,
    column: str,
    title: str,
    tooltip_title: str,
    all_offerings: Sequence[str] | None,
) -> AnyChart:
    offerings = card["offering"].to_list()
    palette = all_offerings or offerings
    frame = card.with_columns(
        pl.col(column).alias("value"),
        pl.col(column)
        .map_elements(lambda v: f"{v * 100:.0f}%", return_dtype=pl.String)
        .alias("label"),
        pl.when(pl.col("pce_basis") == "value-adding")
        .then(pl.lit("PCE"))
        .otherwise(pl.lit("flow efficiency"))
        .alias("basis"),
    )
    y = alt.Y("offering:N", title=None, sort=offerings, axis=alt.Axis(labelLimit=200))
    # Every share 0% (no rework in view): the axis runs to 100%, where an axis from 0 to
    # 0 ticked "0.000000%".
    scale = alt.Scale(zero=True) if frame["value"].max() else alt.Scale(domain=[0, 1])
    tooltip = [
        alt.Tooltip("offering:N", title="Offering"),
        alt.Tooltip("value:Q", title=tooltip_title, format=".1%"),
        alt.Tooltip("basis:N", title="Efficiency shown as"),
        alt.Tooltip("completed_cases:Q", title="Completed cases", format=","),
        alt.Tooltip("cases:Q", title="Cases in view", format=","),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(size=22)
        .encode(
            x=alt.X("value:Q", title=title, axis=alt.Axis(format="%"), scale=scale),
            y=y,
            color=offering_color(palette),
            tooltip=tooltip,
        )
    )
    text = (
        alt.Chart(frame)
        .mark_text(align="left", dx=4, fontWeight="bold")
        .encode(x=alt.X("value:Q"), y=y, text=alt.Text("label:N"), tooltip=tooltip)
    )
    return alt.layer(bars, text).properties(height=max(90, 40 * len(offerings)), autosize=FIT_WIDTH)


def pce_bars_chart(card: pl.DataFrame, all_offerings: Sequence[str] | None = None) -> AnyChart:
    """PCE per offering (flow efficiency where no step is classified value-adding)."""
    return _share_bars(card, "pce", "PCE: value-adding time / lead time", "PCE", all_offerings)


def rework_bars_chart(card: pl.DataFrame, all_offerings: Sequence[str] | None = None) -> AnyChart:
    """Share of cases with rework per offering."""
    return _share_bars(
        card, "rework_case_share", "Cases with rework", "Cases with rework", all_offerings
    )


def weekly_throughput_chart(
    weekly: pl.DataFrame, width: int = 760, all_offerings: Sequence[str] | None = None
) -> AnyChart:
    """Completed cases per week, one panel per offering on a shared y axis, the average dashed."""
    offerings = weekly["offering"].unique().sort().to_list()
    palette = all_offerings or offerings
    line = (
        alt.Chart()
        .mark_line(interpolate="monotone", strokeWidth=2)
        .encode(
            x=alt.X("week:T", title="Week (Monday)"),
            y=alt.Y("completed_cases:Q", title="Completed", axis=alt.Axis(tickCount=3)),
            color=offering_color(palette),
            tooltip=[
                alt.Tooltip("offering:N", title="Offering"),
                alt.Tooltip("week:T", title="Week of", format="%-d %b %Y"),
                alt.Tooltip("completed_cases:Q", title="Cases completed", format=","),
            ],
        )
    )
    average = (
        alt.Chart()
        .mark_rule(strokeDash=[5, 3], color="#616161")
        .encode(
            y=alt.Y("mean(completed_cases):Q"),
            tooltip=[
                alt.Tooltip("mean(completed_cases):Q", title="Average per week", format=".1f")
            ],
        )
    )
    return _one_row_per_offering((line, average), weekly, offerings, height=90, width=width)
