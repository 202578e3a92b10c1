"""A chart builder that counts its calls, for tests/ui/test_chart_specs.py (a script run
by AppTest imports it, so the test sees what the script's runs built)."""

from __future__ import annotations

import altair as alt
import polars as pl

CALLS: list[int] = []


def bars(frame: pl.DataFrame, label: str = "days") -> alt.LayerChart:
    CALLS.append(frame.height)
    base = alt.Chart(frame).mark_bar().encode(x=alt.X("days:Q", title=label), y="step:N")
    return alt.layer(base, base.mark_text(dx=8).encode(text="days:Q"))
