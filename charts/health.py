"""Stream health charts."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from charts.style import AnyChart, offering_color
from model.units import DAY


def lead_time_trend_chart(
    trend: pl.DataFrame,
    changes: pl.DataFrame | None = None,
    all_offerings: Sequence[str] | None = None,
) -> AnyChart:
    """Weekly median lead time per offering (from metrics.health.lead_time_trend), in days.

    `changes` (offering, name, changed_at) are the recorded experiments, drawn as
    dashed rules so a leader sees whether the line moved after a change.
    """
    frame = trend.with_columns(
        (pl.col("lead_time_s_p50") / DAY).alias("median_d"),
        (pl.col("lead_time_s_p85") / DAY).alias("p85_d"),
    )
    base = alt.Chart(frame).encode(
        x=alt.X("period:T", title="Week the cases completed"),
        color=offering_color(
            all_offerings or trend["offering"].unique().to_list(),
            legend=True,
            shown=trend["offering"].unique().to_list(),
        ),
    )
    tooltip = [
        alt.Tooltip("offering:N", title="Offering"),
        alt.Tooltip("period:T", title="Week of", format="%-d %b %Y"),
        alt.Tooltip("median_d:Q", title="Median lead time (days)", format=".1f"),
        alt.Tooltip("p85_d:Q", title="p85 lead time (days)", format=".1f"),
        alt.Tooltip("completed:Q", title="Cases completed", format=","),
    ]
    line = base.mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        y=alt.Y("median_d:Q", title="Median lead time (days)"), tooltip=tooltip
    )
    layers: list[alt.Chart] = [line]
    if changes is not None and changes.height:
        rule = (
            alt.Chart(changes)
            .mark_rule(strokeDash=[4, 4], color="#555")
            .encode(
                x=alt.X("changed_at:T"),
                tooltip=[
                    alt.Tooltip("name:N", title="Change"),
                    alt.Tooltip("offering:N", title="Offering"),
                    alt.Tooltip("changed_at:T", title="Took effect", format="%-d %b %Y"),
                ],
            )
        )
        label = (
            alt.Chart(changes)
            .mark_text(align="left", dx=4, dy=-6, fontSize=11, color="#555")
            .encode(
                x=alt.X("changed_at:T"),
                y=alt.YValue(8),
                text=alt.Text("name:N"),
            )
        )
        layers += [rule, label]
    return alt.layer(*layers).properties(height=300)
