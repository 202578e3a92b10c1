"""Redesign charts: the projected lead-time distribution against today's, a future state
drawn as stages, and each week's share of cases that follow it."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Collection, Sequence

import altair as alt
import polars as pl

from charts.style import AnyChart
from model.units import SHORT, UNITS, unit_for

TODAY_COLOR = "#9e9e9e"
PROJECTED_COLOR = "#1565c0"
THIN_WEEK = 5
"""A week with fewer completed cases than this is drawn faint: its share moves a lot by chance."""


def _nice_step(top: float, bins: int) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) giving about `bins` bins up to `top`."""
    raw = max(top / bins, 1e-9)
    power = 10 ** math.floor(math.log10(raw))
    return float(next(f * power for f in (1, 2, 5, 10) if raw <= f * power))


def projected_lead_time_chart(projection: pl.DataFrame) -> AnyChart:
    """Overlaid histograms of the completed cases' lead time today and projected, as shares
    of the cases, with both medians.

    `projection` is metrics.whatif.projected_lead_times' frame (baseline_lead_time_s,
    projected_lead_time_s per completed case)."""
    long = pl.concat(
        [
            projection.select(who=pl.lit("Today"), lead_time_s=pl.col("baseline_lead_time_s")),
            projection.select(who=pl.lit("Projected"), lead_time_s=pl.col("projected_lead_time_s")),
        ]
    ).drop_nulls("lead_time_s")
    unit = unit_for(float(long["lead_time_s"].median() or 0.0))  # type: ignore[arg-type]
    values = long.with_columns(value=pl.col("lead_time_s") / UNITS[unit])
    top = float(values["value"].quantile(0.99) or 1.0)
    step = _nice_step(top, bins=30)
    bars = (
        values.with_columns(bin_start=(pl.col("value") / step).floor() * step)
        .group_by("who", "bin_start")
        .agg(cases=pl.len())
        .with_columns(
            share=pl.col("cases") / pl.col("cases").sum().over("who"),
            bin_end=pl.col("bin_start") + step,
        )
        .sort("who", "bin_start")
    )
    medians = values.group_by("who").agg(median=pl.col("value").median(), n=pl.len())
    color = alt.Color(
        "who:N",
        title=None,
        scale=alt.Scale(domain=["Today", "Projected"], range=[TODAY_COLOR, PROJECTED_COLOR]),
        legend=alt.Legend(orient="top"),
    )
    short = SHORT[unit]
    hist = (
        alt.Chart(bars)
        .mark_bar(opacity=0.55, binSpacing=0)
        .encode(
            x=alt.X("bin_start:Q", title=f"Lead time of a completed case ({short})"),
            x2=alt.X2("bin_end"),
            y=alt.Y("share:Q", title="Share of the cases", axis=alt.Axis(format="%"), stack=None),
            y2=alt.datum(0),
            color=color,
            tooltip=[
                alt.Tooltip("who:N", title="Lead time"),
                alt.Tooltip("bin_start:Q", title=f"From ({short})", format=".1f"),
                alt.Tooltip("bin_end:Q", title=f"To ({short})", format=".1f"),
                alt.Tooltip("cases:Q", title="Cases in this bar", format=","),
                alt.Tooltip("share:Q", title="Share of the cases", format=".1%"),
            ],
        )
    )
    rules = (
        alt.Chart(medians)
        .mark_rule(strokeDash=[5, 3], strokeWidth=2)
        .encode(
            x=alt.X("median:Q"),
            color=color,
            tooltip=[
                alt.Tooltip("who:N", title="Median lead time"),
                alt.Tooltip("median:Q", title=f"Median ({short})", format=".1f"),
                alt.Tooltip("n:Q", title="Completed cases", format=","),
            ],
        )
    )
    return alt.layer(hist, rules).properties(height=280)


def future_state_chart(
    stages: Sequence[Sequence[str]], optional: Collection[str], known: Collection[str]
) -> AnyChart:
    """A future state as a napkin draws it: one column per stage, numbered, left to right,
    the steps of a stage done in parallel stacked in it; optional steps with a dashed
    outline; steps the data has never seen (typed in) in amber, the others light blue."""
    rows = [
        {
            "stage": number,
            "row": row,
            "step": step,
            "label": "\n".join(textwrap.wrap(step, 14)[:3]),
            "optional": step in optional,
            "kind": "optional" if step in optional else "required",
            "seen": "in the data" if step in known else "not in the data yet",
        }
        for number, stage in enumerate(stages, start=1)
        for row, step in enumerate(stage)
    ]
    frame = pl.DataFrame(
        rows,
        schema={
            "stage": pl.Int64,
            "row": pl.Int64,
            "step": pl.String,
            "label": pl.String,
            "optional": pl.Boolean,
            "kind": pl.String,
            "seen": pl.String,
        },
    ).with_columns(
        x0=pl.col("stage") - 0.42,
        x1=pl.col("stage") + 0.42,
        y0=pl.col("row") + 0.1,
        y1=pl.col("row") + 0.9,
        ym=pl.col("row") + 0.5,
    )
    depth = max([len(stage) for stage in stages] + [1])
    x = alt.Scale(domain=[0.5, max(len(stages), 1) + 0.5], nice=False, zero=False)
    y = alt.Scale(domain=[0, depth], reverse=True, nice=False, zero=False)
    tooltip = [
        alt.Tooltip("step:N", title="Step"),
        alt.Tooltip("stage:Q", title="Stage"),
        alt.Tooltip("kind:N", title="Required or optional"),
        alt.Tooltip("seen:N", title="Data"),
    ]
    fill = alt.Fill(
        "seen:N",
        title=None,
        scale=alt.Scale(
            domain=["in the data", "not in the data yet"], range=["#e3f2fd", "#ffe0b2"]
        ),
        # A legend on top takes its height from the plot in Streamlit: the page says it in words.
        legend=None,
    )

    def boxes(rows: pl.DataFrame, dash: list[int]) -> alt.Chart:
        # A rect takes its dash from the mark, not from an encoding: one layer per outline.
        return (
            alt.Chart(rows)
            .mark_rect(stroke="#333", strokeWidth=1.5, strokeDash=dash)
            .encode(
                x=alt.X("x0:Q", scale=x, axis=None),
                x2=alt.X2("x1"),
                y=alt.Y("y0:Q", scale=y, axis=None),
                y2=alt.Y2("y1"),
                fill=fill,
                tooltip=tooltip,
            )
        )

    base = alt.Chart(frame)
    required = boxes(frame.filter(~pl.col("optional")), [1, 0])
    optional_boxes = boxes(frame.filter(pl.col("optional")), [6, 4])
    names = base.mark_text(fontSize=11, lineBreak="\n").encode(
        x=alt.X("stage:Q", scale=x, axis=None),
        y=alt.Y("ym:Q", scale=y, axis=None),
        text=alt.Text("label:N"),
        tooltip=tooltip,
    )
    numbers = (
        alt.Chart(frame.unique("stage").select("stage"))
        .mark_text(fontSize=11, color="#555", dy=-4)
        .encode(
            x=alt.X("stage:Q", scale=x, axis=None),
            y=alt.YValue(0),
            text=alt.Text("stage:Q", format="d"),
        )
    )
    return (
        alt.layer(required, optional_boxes, names, numbers)
        .properties(width=max(110 * len(stages), 300), height=70 * depth + 30)
        .configure_view(stroke=None)
    )


def conformance_weeks_chart(by_week: pl.DataFrame) -> AnyChart:
    """Each completion week's share of cases that follow the future state (bars), faint
    where the week has fewer than THIN_WEEK cases.

    `by_week` is metrics.conformance's `by_week` as a frame (week, cases, conforming_share)."""
    week = pl.col("week")
    frame = by_week.with_columns(
        week.str.to_date() if by_week.schema["week"] == pl.String else week.cast(pl.Date)
    ).with_columns(
        week_end=pl.col("week") + pl.duration(days=6),
        thin=pl.when(pl.col("cases") < THIN_WEEK)
        .then(pl.lit(f"fewer than {THIN_WEEK} cases"))
        .otherwise(pl.lit("enough cases")),
    )
    return (
        alt.Chart(frame)
        .mark_bar(color=PROJECTED_COLOR, cornerRadius=1)
        .encode(
            x=alt.X("week:T", title="Week the cases completed"),
            x2=alt.X2("week_end"),
            y2=alt.datum(0),
            y=alt.Y(
                "conforming_share:Q",
                title="Cases following it",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            opacity=alt.Opacity(
                "thin:N",
                title=None,
                scale=alt.Scale(
                    domain=["enough cases", f"fewer than {THIN_WEEK} cases"], range=[0.9, 0.3]
                ),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("week:T", title="Week of", format="%-d %b %Y"),
                alt.Tooltip("cases:Q", title="Completed cases", format=","),
                alt.Tooltip("conforming_share:Q", title="Follow it", format=".0%"),
            ],
        )
        .properties(height=220)
    )
