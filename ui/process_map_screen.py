"""The Process map page: controls, the directly-follows graph, and its arrows as a table."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from typing import cast

import polars as pl
import streamlit as st

from charts.export import dot_markup, dot_to, graphviz_available
from charts.process_map import Mode, process_map_dot
from metrics import figures
from metrics.filters import CaseFilter
from metrics.process_map import (
    END,
    START,
    directly_follows,
    keep_paths,
    top_activities,
)
from metrics.selection import Selection
from metrics.steps import bottleneck
from ui.drill import open_cases
from ui.format import explain, in_unit, plain, table_unit, unit_label
from ui.views import view_figure
from ui.widgets import scroll_sideways, seed_from_url, slug, table

log = logging.getLogger(__name__)

MODES: dict[str, str] = {
    "frequency": "How often",
    "performance": "How long they wait",
}
MANY_ARROWS = 40


@dataclass(frozen=True)
class MapView:
    mode: Mode
    nodes: pl.DataFrame
    edges: pl.DataFrame
    all_activities: int
    all_edges: int
    bottleneck: str | None
    dot: str


def map_controls(
    offering: str, spec: CaseFilter, instances: pl.LazyFrame, cases: pl.DataFrame
) -> MapView:
    """The switch and the two sliders, and the map they select. `spec` is the view's
    filter: the figures of its first look are computed once per view (ui.views.view_figure)."""
    ranking = view_figure(spec, figures.ranking)
    n = ranking.height
    seed_from_url("pm_mode", "p_map", list(MODES), "frequency")
    left, mid, right = st.columns([2, 2, 2], gap="large")
    mode = cast(
        Mode,
        left.segmented_control(
            "Numbers on the arrows",
            list(MODES),
            format_func=MODES.__getitem__,
            key="pm_mode",
            required=True,
            help="**How often**: how many times one step directly followed another. "
            "**How long they wait**: the median time between the end of one step and the "
            'start of the next ("elapsed": from end to end, where the next step has no start time).',
        ),
    )
    st.query_params["p_map"] = mode
    if n > 1:
        shown = mid.slider(
            "Steps shown",
            1,
            n,
            value=min(n, figures.MANY_ACTIVITIES),
            key="pm_activities",
            help="The most frequent steps. A hidden step is skipped over: its cases go straight "
            "from the step before it to the step after it.",
        )
    else:
        shown = n
    keep = top_activities(ranking, shown)
    edges = (
        view_figure(spec, figures.arrows)
        if shown == min(n, figures.MANY_ACTIVITIES)
        else directly_follows(instances.lazy(), cases.lazy(), keep).collect()
    )
    default_paths = 100 if edges.height <= MANY_ARROWS else 20
    paths = right.slider(
        "Paths shown (%)",
        0,
        100,
        value=default_paths,
        step=5,
        key="pm_paths",
        help="The most frequent share of the arrows. Whatever the setting, every step keeps its "
        "busiest way in and out and a route from the start and to the end, so nothing "
        "floats alone.",
    )
    kept = keep_paths(edges, paths / 100)
    nodes = ranking.filter(pl.col("activity").is_in(keep))
    neck = bottleneck(view_figure(spec, figures.steps).lazy(), by=()).collect()
    neck_name = neck["activity"][0] if neck.height else None
    dot = process_map_dot(nodes, kept, mode, neck_name, title=offering)
    return MapView(mode, nodes, kept, n, _arrows(edges), neck_name, dot)


def draw_process_map(
    offering: str, view: MapView, instances: pl.LazyFrame, cases: pl.DataFrame
) -> None:
    """What the map shows, on how many cases, and its legend; then the map at full width."""
    completed = int(cases["completed"].sum())
    if view.mode == "frequency":
        meaning = (
            "**Numbers on the arrows**: how many times the step at the arrow's head directly "
            "followed the step at its tail (a case that loops counts once per pass). The "
            "thicker the arrow, the more often."
        )
    else:
        meaning = (
            "**Numbers on the arrows**: the median wait between the end of one step and the "
            "start of the next, over every time the arrow was taken. The redder and thicker, "
            "the longer. *elapsed* marks arrows into steps without start times (end to end); "
            "\\* marks arrows where only some have one. Boxes give each step's median work time."
        )
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(
            f"**{cases.height:,} cases** ({completed:,} completed, {cases.height - completed:,} open) "
            f"with **{int(cases['n_instances'].sum()):,} step instances**. Showing {view.nodes.height} of "
            f"{view.all_activities} steps and {_arrows(view.edges)} of {view.all_edges} arrows.",
            help=explain(
                "transition_count" if view.mode == "frequency" else "transition_wait", cases.height
            ),
        )
        st.markdown(meaning)
    with right:
        st.markdown(
            "**Boxes** are steps, coloured by value class: :green-background[value‑adding] "
            ":blue-background[necessary] :red-background[waste] :gray-background[unclassified]; "
            "a dashed box is a waiting status. **Start** leads to each case's first step; only "
            "completed cases reach **End**, and *open cases wait here* counts the open cases whose "
            "latest step is that box."
        )
        if view.bottleneck:
            hidden = view.bottleneck not in view.nodes["activity"].to_list()
            st.markdown(
                f"**Bottleneck**: {plain(view.bottleneck)}, the step with the most waiting before it"
                + (
                    " (hidden at this setting: show more steps to see it)."
                    if hidden
                    else ", outlined in red."
                ),
                help=explain("bottleneck"),
            )
        note = "A map wider than the page scrolls sideways, so its text stays readable."
        if view.nodes.height < view.all_activities:
            note += (
                " With steps hidden, an arrow that skips a hidden step also spans that step's time."
            )
        st.caption(note)
        _map_downloads(view.dot, f"process-map-{slug(offering)}")
    # A map too wide for the page keeps Graphviz's size and scrolls sideways: shrunk to the
    # page's width, a map of twenty steps had 5-pixel text.
    scroll_sideways("pm_map", natural_graphviz=True)
    with st.container(key="pm_map"):
        drawn = _drawn(view.dot) if graphviz_available() else None
        if drawn is not None:
            st.markdown(drawn, unsafe_allow_html=True)
        else:
            st.graphviz_chart(view.dot, width="content")


@st.cache_data(show_spinner=False, max_entries=32)
def _drawn(dot: str) -> str | None:
    """The map drawn by Graphviz on the server, as SVG markup (charts.export.dot_markup),
    or None where `dot` failed or drew what a map never holds (the browser then lays the
    map out; the failure is kept like a drawing, until the DOT changes). The browser shows it
    at once, where st.graphviz_chart lays the map out in the browser after every run: in
    a new tab at ten million events the page was drawn after the "Completed cases only"
    toggle in 0.58-0.67 s instead of 0.90-1.04 s. Its boxes' and arrows' tooltips are
    the SVG's own."""
    try:
        return dot_markup(dot)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        log.warning("Graphviz could not draw the process map: %s", exc)
        return None


def _map_downloads(dot: str, name: str) -> None:
    """The map as PNG and SVG (rendered by Graphviz's dot) and as DOT, to restyle it."""
    menu = st.popover("Download the map", icon=":material/download:")
    if graphviz_available():
        menu.download_button(
            "Download PNG",
            lambda: dot_to(dot, "png"),
            file_name=f"{name}.png",
            on_click="ignore",  # a download changes nothing: no rerun
            mime="image/png",
            key="pm_png",
            icon=":material/image:",
        )
        menu.download_button(
            "Download SVG",
            lambda: dot_to(dot, "svg"),
            file_name=f"{name}.svg",
            on_click="ignore",  # a download changes nothing: no rerun
            mime="image/svg+xml",
            key="pm_svg",
            icon=":material/draw:",
        )
    else:
        menu.caption("PNG and SVG need Graphviz on the server (Debian: apt-get install graphviz).")
    menu.download_button(
        "Download DOT (Graphviz)",
        dot,
        file_name=f"{name}.dot",
        on_click="ignore",  # a download changes nothing: no rerun
        mime="text/vnd.graphviz",
        key="pm_dot",
        icon=":material/code:",
        help="Open it in any Graphviz viewer or editor to print or restyle the map.",
    )


def _arrows(edges: pl.DataFrame) -> int:
    """Arrows between steps (not from Start or to End)."""
    return edges.filter((pl.col("from_activity") != START) & (pl.col("to_activity") != END)).height


def arrows_table(view: MapView, offering: str) -> None:
    """The arrows on the map as a table; a row opens the cases that took that arrow."""
    names = (
        pl.col("from_activity").replace(START, "(start)"),
        pl.col("to_activity").replace(END, "(end)"),
    )
    unit = table_unit(view.edges, ["wait_s_p50", "wait_s_p85"])
    frame = view.edges.select(
        names[0].alias("From"),
        names[1].alias("To"),
        pl.col("count").alias("Times"),
        pl.col("cases").alias("Cases"),
        in_unit("wait_s_p50", unit).alias(unit_label("Median wait", unit)),
        in_unit("wait_s_p85", unit).alias(unit_label("p85 wait", unit)),
        pl.col("measure")
        .replace({"none": "cases, no wait", "mixed": "partly elapsed"})
        .alias("Measured as"),
    )
    # The step names take what they need; the short columns are sized so the last one is
    # not cut at the page's edge.
    columns = {
        "From": st.column_config.TextColumn(width=270),
        "To": st.column_config.TextColumn(width=260),
        "Times": st.column_config.NumberColumn(format="localized", width=60),
        "Cases": st.column_config.NumberColumn(format="localized", width=60),
        "Measured as": st.column_config.TextColumn(
            width=110,
            help="wait: from the end of one step to the start of the next. elapsed: from end "
            "to end, where the next step has no start time (so it includes that step's work). "
            "partly elapsed: some of the arrow's passes are elapsed.",
        ),
    }
    picked = table(
        frame,
        f"process-map-arrows-{slug(offering)}",
        "pm_arrows",
        download_label="Download arrows (CSV)",
        column_config=columns,
        on_select="rerun",
        selection_mode="single-row",
    )
    st.caption(
        "Every arrow on the map; (start) and (end) are the Start and End nodes, which carry "
        "cases, not waits. Click a row to open the cases that took that arrow."
    )
    rows = picked.selection.rows if picked is not None else []
    if rows:
        edge = view.edges.row(rows[0], named=True)
        first, then = edge["from_activity"], edge["to_activity"]
        if first == START:
            open_cases(Selection(offering, first_step=then))
        elif then == END:
            open_cases(Selection(offering, completed=True, last_step=first))
        else:
            open_cases(Selection(offering, step=first, to_step=then))
