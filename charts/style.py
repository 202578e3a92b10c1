"""Shared look: value-class colours, offering palette, and how durations read on charts."""

from __future__ import annotations

import math

import altair as alt

AnyChart = (
    alt.Chart | alt.LayerChart | alt.FacetChart | alt.ConcatChart | alt.HConcatChart
    | alt.VConcatChart | alt.RepeatChart
)
"""What a chart function returns: anything st.altair_chart draws."""

VALUE_CLASS_COLORS: dict[str, str] = {
    "value-adding": "#2e7d32",
    "necessary": "#1565c0",
    "waste": "#c62828",
    "unclassified": "#757575",
}


def format_duration(seconds: float | None) -> str:
    """'42 min', '5.3 h', '12.4 d' (the same rule as the tables)."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"
