"""The Value stream map page's pieces: the map with its totals, the variants, every step.

The map and its ladder come from metrics.vsm; the case figures beside the ladder from
metrics.summary.case_summary, the function Stream health uses, so the same cases give
the same numbers on both pages. Every map box, variant row and step row opens the list
of its cases (ui.drill), named by the same rule as the figure (`view_selection`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from charts.vsm import SELECTION, ladder_figures, map_size, value_stream_map_chart
from metrics import figures
from metrics.filters import CaseFilter
from metrics.periods import period_bounds
from metrics.selection import Selection, select_cases
from metrics.variants import NO_STEP_YET, VARIANT_SEPARATOR
from metrics.vsm import (
    BRANCH_CASE_SHARE,
    MAIN_PATH_CASE_SHARE,
    ValueStream,
    ladder,
    variant_difference,
)
from model.units import UNITS
from ui.chart_specs import built
from ui.drill import open_cases
from ui.filters import ViewFilters
from ui.format import duration_text, explain, in_unit, plain, share, table_unit, unit_label
from ui.views import view_figure
from ui.widgets import chart_downloads, csv_download, draw_chart, scroll_sideways, slug

_DIFFERS = "How it differs from the most common"
# A table wraps its text only in rows at least twice the usual height.
_WRAPPING_ROW, _ROW, _HEADER = 70, 35, 38
_STEP_ROWS = 20  # the step table shows this many rows before it scrolls
_STEP_WIDTH, _STEP_CHARS = 180, 24  # px, and the characters of a name that fit on one line
# Counts read with thousands separators, as everywhere else on the page.
_COUNTS = {
    name: st.column_config.NumberColumn(format="localized")
    for name in ("Cases", "Instances", "Completed")
}
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class MapView:
    """One offering's cases in view and the sidebar filters that chose them."""

    offering: str
    instances: pl.LazyFrame
    cases: pl.DataFrame
    filters: ViewFilters

    @property
    def spec(self) -> CaseFilter:
        return self.filters.spec((self.offering,))

    def period(self) -> str:
        """Which cases are in view, in words: 'all time', or the window and its rule
        (which may name an attribute and its values: escaped, for Markdown)."""
        f = self.filters
        if not f.has_window:
            return "all time" + (", completed cases only" if f.completed_only else "")
        return plain(f.describe())


def view_selection(
    view: MapView, *, step: str | None = None, variant: tuple[str, ...] | None = None
) -> Selection:
    """The cases in view behind a box or row, as a drill-down selection.

    The sidebar's window becomes the selection's own (`started`, or `ended` and
    completed); "in progress in the window" has no field of its own, so those cases
    are named one by one.
    """
    spec = view.spec
    if spec.window_days is not None:
        # The last N days of this offering: the window its own latest event ends.
        bounds = period_bounds(view.cases.lazy(), days=spec.window_days).collect()
        row = bounds.filter(pl.col("offering") == view.offering)
        if row.height:
            spec = dataclasses.replace(
                spec,
                window_days=None,
                window_start=row["period_start"][0],
                window_end=row["period_end"][0],
            )
    base = Selection(
        view.offering,
        completed=True if spec.completed_only else None,
        step=step,
        variant=variant,
    )
    if spec.window_start is None and spec.window_end is None:
        return base
    span = (spec.window_start or _EARLIEST, spec.window_end or _LATEST)
    if spec.window_mode == "started":
        return dataclasses.replace(base, started=span)
    if spec.window_mode == "completed":
        return dataclasses.replace(base, ended=span, completed=True)
    named = select_cases(view.instances.lazy(), view.cases.lazy(), base).collect()["case_id"]
    return dataclasses.replace(base, case_ids=tuple(named.to_list()))


def shared_unit(seconds: Sequence[float | None]) -> float | None:
    """A duration whose unit every one of `seconds` reads well in side by side (pass it as
    `like` to duration_text): the largest unit in which the shortest non-zero one is still
    at least 0.1 and the longest under 1,000; None (each its own unit) when none is."""
    known = [s for s in seconds if s is not None and s > 0]
    if not known:
        return None
    for unit in ("days", "hours", "minutes"):
        if min(known) >= UNITS[unit] * 0.1 and max(known) < UNITS[unit] * 1000:
            return UNITS[unit] * (2 if unit == "days" else 1)  # days read from 48 h up
    return None


def _picked_row(event: Any) -> int | None:
    rows = event.selection.rows if event is not None else []
    return int(rows[0]) if rows else None


def draw_map(view: MapView) -> ValueStream:
    """The map, its ladder's totals and the case figures above it, and its downloads."""
    vs = view_figure(view.spec, figures.value_stream)
    totals = ladder(vs.boxes)
    completed = int(view.cases["completed"].sum())
    st.markdown(
        f"{plain(view.offering)}: **{view.cases.height:,} cases** ({completed:,} completed), "
        f"{view.period()}."
    )
    if vs.boxes.height == 0:
        st.info(
            "Nothing to map yet: no case in view has finished a work step (items still in "
            "their first status, or only in waiting statuses). The tables below list what "
            "there is.",
            icon=":material/account_tree:",
        )
        return vs
    _totals(view, vs, totals)
    # On the page the offering is named above; a chart is drawn in a box of exactly its
    # plot height, so only the downloads carry a title.
    chart = built(value_stream_map_chart, vs.boxes, totals)
    scroll_sideways("vsm_chart")
    with st.container(key="vsm_chart"):
        event = draw_chart(chart, width="content", on_select="rerun", key="vsm_map")
    picked = (event.selection.get(SELECTION) or [{}])[0].get("activity") if event else None
    if picked:
        open_cases(view_selection(view, step=str(picked)))
    _reading_guide(vs, totals, view.period(), width=map_size(vs.boxes)[0])
    export = partial(value_stream_map_chart, vs.boxes, totals, title=view.offering)
    chart_downloads(export, f"vsm-{slug(view.offering)}", "vsm")
    return vs


def _totals(view: MapView, vs: ValueStream, totals: dict[str, Any]) -> None:
    """The ladder's totals and the case figures, side by side above the map."""
    row = view_figure(view.spec, figures.summary).row(0, named=True)
    n = int(row["completed_cases"])
    path = VARIANT_SEPARATOR.join(vs.path)
    period = view.period()
    ladder_help = (
        f"The sum of the steps' median waits and times along the most common path "
        f"({plain(path)}), "
        f"{period}, as a hand-drawn map adds them. A case rarely has every step's median "
        "wait and time, so this is not the cases' median lead time (beside it)."
    )
    like = shared_unit(
        [totals["lead_s"], totals["wait_s"], totals["process_s"], row["lead_time_s_p50"]]
    )
    left, right = st.columns([4, 2.4])
    with left.container(border=True):
        st.markdown(
            "**The map's ladder** (the sum of the steps' medians along the most common path)"
        )
        cols = st.columns(4)
        words = ladder_figures(totals, like)
        cols[0].metric("Lead time", words["lead"], help=ladder_help)
        cols[1].metric(
            "Waiting",
            words["wait"],
            help="The sum of the median waits before the steps along the path. "
            + explain("wait_before_step"),
        )
        cols[2].metric(
            "Process",
            words["process"],
            help="The sum of the median process times (C/T) along the path; where the path "
            "runs steps in parallel, the longest. " + explain("step_process_time"),
        )
        cols[3].metric(
            words["efficiency_label"],
            words["efficiency"],
            help="The ladder's value-adding process time over its lead time."
            if words["efficiency_label"] == "PCE"
            else "The ladder's process time over its lead time; classify the steps "
            "(Data page, activity catalog) to see PCE.",
        )
    label = "PCE" if row["pce_basis"] == "value-adding" else "Flow efficiency"
    with right.container(border=True):
        st.markdown(f"**The {n:,} completed {'case' if n == 1 else 'cases'} in view**")
        lead, efficiency = st.columns(2)
        lead.metric(
            "Median lead time",
            duration_text(row["lead_time_s_p50"], like),
            help=explain(
                "lead_time",
                n,
                extra=f"The median over the completed cases in view ({period}): the same "
                "figure Stream health and Compare show for the same cases.",
            ),
        )
        efficiency.metric(
            f"Cases' {label if label == 'PCE' else label.lower()}",
            share(row["pce"]),
            help=explain(
                "pce" if label == "PCE" else "flow_efficiency",
                n,
                extra="Total over the completed cases (total process time / total lead time).",
            ),
        )
    named = label if label == "PCE" else label.lower()
    st.caption(
        f"The ladder follows the most common path, taken by {share(vs.path_share)} of the cases "
        f"({vs.path_cases:,} of {vs.cases:,} do exactly these steps of the map): "
        f"{plain(path) or '–'}. Its lead time, {words['lead']}, is the sum of the "
        f"steps' median waits and times along that path, {period}, as a hand-drawn map adds "
        f"them; the median lead time ({duration_text(row['lead_time_s_p50'], like)}) and "
        f"{named} ({share(row['pce'])}) beside it are the completed cases' own, as on "
        "Stream health."
    )


def _reading_guide(vs: ValueStream, totals: dict[str, Any], period: str, width: int) -> None:
    guide = (
        f"Boxes are the steps; a column holds the steps that at least "
        f"{share(MAIN_PATH_CASE_SHARE)} of the cases go through. Steps drawn one above the "
        "other are alternatives (a case does one of them) or run at the same time; each data "
        "box gives the median process time (C/T), the instances, %C&A (the share of cases that "
        "did the step only once), the share of cases and the waiting status the step's work "
        "most often came from. Triangles are the median wait before a step (time in waiting "
        "statuses included). Dashed boxes are off the ladder's path. BOTTLENECK marks the step "
        f"with the most waiting in front of it in total over the cases in view ({period}); "
        "Stream health names the one of the cases completed in its period. Click a box to list "
        "its cases."
    )
    if vs.columns_kept_all:
        guide += (
            f" No two columns are done by half of the cases, so the map shows every step at "
            f"least {share(BRANCH_CASE_SHARE)} of them do."
        )
    if vs.steps_off_map:
        guide += (
            f" {vs.steps_off_map:,} rarer steps are not drawn; the table below lists every step."
        )
    if width > 1000:
        guide += " Scroll the map sideways; the PNG and SVG downloads hold the whole map."
    if totals["pce"] is None:
        guide += (
            " No step on the path is classified value-adding yet, so the map shows flow "
            "efficiency instead of PCE: classify the steps in the Data page's activity catalog."
        )
    if not totals["process_known"]:
        guide += (
            " Some steps have no start times and no standard minutes, so their process time "
            "is unknown (C/T ?) and the ladder counts it as 0; without start times a "
            "triangle is the time from one step's end to the next step's end (elapsed), "
            "which includes that step's own work. Set standard minutes in the activity "
            "catalog to fill the gaps."
        )
    st.caption(guide)


def variants_table(view: MapView) -> None:
    """The most frequent variants, each told apart by how it differs from the most common
    one (written out above the table), with its cases and lead times; a row opens its cases."""
    frame = view_figure(view.spec, figures.top_variants)
    walked = frame.filter(pl.col("length") > 0)
    top = walked.row(0, named=True) if walked.height else None
    reference: list[str] = list(top["variant"]) if top else []
    differs = [
        NO_STEP_YET
        if not v
        else ("the most common" if list(v) == reference else variant_difference(v, reference))
        for v in frame["variant"].to_list()
    ]
    unit = table_unit(frame, ["lead_time_s_p50", "lead_time_s_p85"])
    numbers = [
        pl.col("cases").alias("Cases"),
        (pl.col("share") * 100).round(1).alias("Share (%)"),
        pl.col("completed_cases").alias("Completed"),
        in_unit("lead_time_s_p50", unit).alias(unit_label("Median lead time", unit)),
        in_unit("lead_time_s_p85", unit).alias(unit_label("p85 lead time", unit)),
    ]
    shown = frame.with_columns(pl.Series(_DIFFERS, differs)).select(
        numbers[0], numbers[1], _DIFFERS, *numbers[2:]
    )
    if top:
        st.markdown(
            f"The most common variant, {top['cases']:,} cases ({share(top['share'])}): "
            f"{plain(top['variant_label'])}."
        )
    event = st.dataframe(
        shown,
        placeholder="–",
        hide_index=True,
        key="vsm_variants",
        on_select="rerun",
        selection_mode="single-row",
        # Tall rows, so a long difference wraps instead of being cut; every row in view.
        row_height=_WRAPPING_ROW,
        height=_HEADER + _WRAPPING_ROW * frame.height + 2,
        column_config={
            **_COUNTS,
            _DIFFERS: st.column_config.TextColumn(
                width="large",
                help="Repeats (steps done more often), steps instead of others, added or "
                "missing steps, and where an open case stops, against the most common variant.",
            ),
        },
    )
    picked = _picked_row(event)
    if picked is not None:
        open_cases(view_selection(view, variant=tuple(frame["variant"][picked].to_list())))
    st.caption(
        f"The {frame.height} most frequent variants of {view.cases.height:,} cases; lead "
        "times are over each variant's completed cases. Select a row to list its cases; the "
        "CSV has every variant's steps in order."
    )
    csv_download(
        frame.select(
            pl.col("variant_label").alias("Variant (steps in order)"),
            pl.Series(_DIFFERS, differs),
            *numbers,
        ),
        f"variants-{slug(view.offering)}",
        "vsm_variants_csv",
    )


def steps_table(view: MapView, vs: ValueStream) -> None:
    """Every step of the offering, on the map or not, with the map's figures; a row opens
    its cases."""
    frame = vs.steps.join(vs.boxes.select("activity", "column", "queue"), on="activity", how="left")
    unit = table_unit(frame, ["process_time_s_p50", "wait_before_s_p50", "wait_before_s_p85"])
    total_wait = frame["wait_before_s_sum"].sum() or 1.0
    wait_p50, wait_p85 = unit_label("Median wait", unit), unit_label("p85 wait", unit)
    table = frame.select(
        pl.col("activity").alias("Step"),
        pl.col("column").alias("Column"),
        pl.col("instances").alias("Instances"),
        pl.col("cases").alias("Cases"),
        in_unit("process_time_s_p50", unit, 2).alias(unit_label("Median C/T", unit)),
        in_unit("wait_before_s_p50", unit, 2).alias(wait_p50),
        in_unit("wait_before_s_p85", unit, 2).alias(wait_p85),
        (pl.col("wait_before_s_sum") / total_wait * 100).round(1).alias("Waiting share (%)"),
        (pl.col("pct_c_and_a") * 100).round(1).alias("%C&A"),
        pl.col("queue").alias("Waited in"),
    )
    # Names longer than the Step column holds on one line get rows that wrap.
    longest = max((len(name) for name in frame["activity"].to_list()), default=0)
    row = _WRAPPING_ROW if longest > _STEP_CHARS else _ROW
    event = st.dataframe(
        table,
        placeholder="–",
        hide_index=True,
        key="vsm_steps",
        row_height=row,
        height=_HEADER + row * min(table.height, _STEP_ROWS) + 2,
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            **_COUNTS,
            "Step": st.column_config.TextColumn(width=_STEP_WIDTH),
            "Column": st.column_config.NumberColumn(
                help="The step's column on the map; – when it is not on the map."
            ),
            wait_p50: st.column_config.NumberColumn(
                help="The median wait before the step. " + explain("wait_before_step")
            ),
            wait_p85: st.column_config.NumberColumn(
                help="85% of the waits before the step were at most this long."
            ),
            "Waiting share (%)": st.column_config.NumberColumn(
                help="The step's total wait before it / the total wait before every step: "
                "the largest is the bottleneck."
            ),
            "Waited in": st.column_config.TextColumn(
                help="The waiting status the step's instances most often came straight from: "
                "its time is in the wait before the step."
            ),
        },
    )
    picked = _picked_row(event)
    if picked is not None:
        open_cases(view_selection(view, step=str(frame["activity"][picked])))
    st.caption(
        "Every step of the offering, on the map or not; a step on the map shows the same "
        "figures in its box. Select a row to list its cases."
    )
    csv_download(table, f"steps-{slug(view.offering)}", "vsm_steps_csv")
