"""Stream health charts."""

from __future__ import annotations

import altair as alt
import polars as pl

from charts.style import AnyChart


def lead_time_trend(trend: pl.DataFrame) -> AnyChart:
    """Weekly median lead time per offering (from metrics.health.lead_time_trend), in days."""
    frame = trend.with_columns(
        (pl.col("lead_time_s_p50") / 86400).alias("median_d"),
        (pl.col("lead_time_s_p85") / 86400).alias("p85_d"),
    )
    base = alt.Chart(frame).encode(
        x=alt.X("period:T", title="Week the cases completed"),
        color=alt.Color("offering:N", title="Offering", legend=alt.Legend(orient="top")),
    )
    tooltip = [
        alt.Tooltip("offering:N", title="Offering"),
        alt.Tooltip("period:T", title="Week of", format="%d %b %Y"),
        alt.Tooltip("median_d:Q", title="Median lead time (days)", format=".1f"),
        alt.Tooltip("p85_d:Q", title="p85 lead time (days)", format=".1f"),
        alt.Tooltip("completed:Q", title="Cases completed", format=","),
    ]
    line = base.mark_line(point=alt.OverlayMarkDef(size=30)).encode(
        y=alt.Y("median_d:Q", title="Median lead time (days)"), tooltip=tooltip
    )
    return alt.layer(line).properties(height=300)
