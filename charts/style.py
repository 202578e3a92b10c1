"""Shared look: value-class colours, offering palette, and how durations read on charts."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt

__all__ = [
    "OFFERING_PALETTE",
    "VALUE_CLASS_COLORS",
    "AnyChart",
    "check_parts",
    "offering_color",
]

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


def check_parts(on: bool) -> None:
    """Whether Altair checks each part of a chart against Vega-Lite's schema as it is
    built (its debug mode; on by default). The spec is the same either way."""
    from altair.utils import schemapi

    if on:
        schemapi.enable_debug_mode()
    else:
        schemapi.disable_debug_mode()


VALUE_CLASS_COLORS: dict[str, str] = {
    "value-adding": "#2e7d32",
    "necessary": "#1565c0",
    "waste": "#c62828",
    "unclassified": "#757575",
}


OFFERING_PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#bab0ac",
    "#17becf",
    "#8c6d31",
)
"""Offering colours: Tableau's palette without its red and green, which mean "worse" and
"better" on every page, so an offering never looks like a verdict."""


def offering_colors(offerings: Sequence[str]) -> dict[str, str]:
    """One colour per offering, the same on every page: by the offering's place among all
    the warehouse's offerings (pass them all, not only those in view)."""
    ordered = sorted(set(offerings))
    return {o: OFFERING_PALETTE[i % len(OFFERING_PALETTE)] for i, o in enumerate(ordered)}


def offering_color(
    all_offerings: Sequence[str],
    legend: bool = False,
    field: str = "offering",
    shown: Sequence[str] | None = None,
) -> alt.Color:
    """The colour encoding of an offering (see `offering_colors`); the legend lists the
    offerings `shown` (default: all)."""
    colors = offering_colors(all_offerings)
    return alt.Color(
        f"{field}:N",
        title="Offering",
        scale=alt.Scale(domain=list(colors), range=list(colors.values())),
        legend=alt.Legend(orient="top", values=sorted(shown or colors)) if legend else None,
    )
