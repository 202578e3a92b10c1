"""Shared look: value-class colours, offering palette, and how durations read on charts."""

from __future__ import annotations

import altair as alt

__all__ = ["VALUE_CLASS_COLORS", "AnyChart"]

AnyChart = (
    alt.Chart
    | alt.LayerChart
    | alt.FacetChart
    | alt.ConcatChart
    | alt.HConcatChart
    | alt.VConcatChart
    | alt.RepeatChart
)
"""What a chart function returns: anything st.altair_chart draws."""

VALUE_CLASS_COLORS: dict[str, str] = {
    "value-adding": "#2e7d32",
    "necessary": "#1565c0",
    "waste": "#c62828",
    "unclassified": "#757575",
}
