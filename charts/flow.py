"""Flow over time: work in progress, arrivals against completions (metrics.flow frames)."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from charts.style import AnyChart, offering_color

FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def wip_chart(wip: pl.DataFrame, all_offerings: Sequence[str] | None = None) -> AnyChart:
    """Cases in progress at the end of each day (metrics.flow.wip_daily), per offering."""
    offerings = wip["offering"].unique().to_list()
    return (
        alt.Chart(wip)
        .mark_area(opacity=0.35, line=True, interpolate="step-after")
        .encode(
            x=alt.X("day:T", title="Day"),
            y=alt.Y("wip:Q", title="Cases in progress at the end of the day", stack=None),
            color=offering_color(all_offerings or offerings, legend=True, shown=offerings),
            tooltip=[
                alt.Tooltip("offering:N", title="Offering"),
                alt.Tooltip("day:T", title="Day", format="%-d %b %Y"),
                alt.Tooltip("wip:Q", title="Cases in progress", format=","),
            ],
        )
        .properties(height=260, autosize=FIT_WIDTH)
    )


def arrivals_chart(flow: pl.DataFrame) -> AnyChart:
    """Cases started and cases completed per period (metrics.flow.flow_per_period) for one
    offering: when more arrive than complete, work piles up."""
    long = flow.unpivot(
        index=["offering", "period"],
        on=["started_cases", "completed_cases"],
        variable_name="what",
        value_name="cases",
    ).with_columns(
        pl.col("what").replace_strict(
            {"started_cases": "started", "completed_cases": "completed"}, return_dtype=pl.String
        )
    )
    return (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=25))
        .encode(
            x=alt.X("period:T", title="Week (Monday)"),
            y=alt.Y("cases:Q", title="Cases per week"),
            color=alt.Color(
                "what:N",
                title=None,
                scale=alt.Scale(domain=["started", "completed"], range=["#9c755f", "#4e79a7"]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash(
                "what:N",
                scale=alt.Scale(domain=["started", "completed"], range=[[4, 3], [1, 0]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("period:T", title="Week of", format="%-d %b %Y"),
                alt.Tooltip("what:N", title="Cases"),
                alt.Tooltip("cases:Q", title="How many", format=","),
            ],
        )
        .properties(height=240, autosize=FIT_WIDTH)
    )
