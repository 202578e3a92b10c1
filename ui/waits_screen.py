"""The Waits page: wait distributions per step, when waits end, who waits now, and one case's timeline."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import polars as pl
import streamlit as st

from charts.waits import (
    case_timeline_chart,
    step_wait_boxes_chart,
    wait_ecdf_chart,
    wait_heatmap_chart,
)
from metrics import figures
from metrics.filters import CaseFilter
from metrics.selection import Selection
from metrics.waits import (
    case_timeline,
    waiting_now,
)
from model.units import unit_for
from ui.chart_specs import built
from ui.drill import open_case, open_cases
from ui.forecasts import LIKELY_DONE_COLUMN, with_likely_done
from ui.format import duration_text, explain, in_unit, plain, share, table_unit, unit_label
from ui.resources import data_version, warehouse
from ui.tables import MAX_ROWS
from ui.views import current_at, offerings_of, view_at, view_figure
from ui.widgets import chart_downloads, draw_chart, seed_from_url, slug, table, url_choice
from warehouse.mapped import folder_of, held

MAX_STEPS = 25
"""More rows than this and a chart stops being readable: show the steps with the most waiting."""


def wait_overview(
    spec: CaseFilter, offering: str, cases: pl.DataFrame
) -> tuple[pl.DataFrame, str, bool]:
    """The headline, the per-step distributions and their table; returns (step waits, unit,
    log). `spec` is the view's filter: its figures are computed once per view
    (ui.views.view_figure), as are the other sections'."""
    frame = view_figure(spec, figures.waits_by_step)
    if frame.height == 0:
        st.info("Nothing waited in this view: no case has a second step yet.")
        st.stop()
    # One unit that reads well across the axis, which runs to about the longest p95.
    unit = unit_for(float(frame["wait_s_p95"].max()) / 3)  # type: ignore[arg-type]
    neck = frame.filter(pl.col("is_bottleneck"))
    head = view_figure(spec, figures.summary).row(0, named=True)
    text = (
        f"**{cases.height:,} cases** ({head['completed_cases']:,} completed) with "
        f"**{int(frame['waits'].sum()):,} waits** before a step."
    )
    if head["flow_efficiency"] is not None:
        text += (
            f" In the {head['process_time_s_n']:,} completed cases whose work time is known, "
            f"waiting is **{share(1 - head['flow_efficiency'])}** of the lead time."
        )
    if neck.height:
        row = neck.row(0, named=True)
        text += (
            f" The most waiting happens before **{plain(row['activity'])}**: {share(row['wait_share'])} "
            f"of all of it, a median of {duration_text(row['wait_s_p50'])} per wait."
        )
    st.markdown(text, help=explain("wait_before_step", int(frame["waits"].sum()), unit="waits"))
    seed_from_url("waits_log", "p_log", [True, False], False)
    log = st.toggle(
        "Log scale",
        key="waits_log",
        help="Spreads out the short waits so long and short ones fit on one axis; "
        "waits under a minute are drawn at one minute.",
    )
    st.query_params["p_log"] = str(log)
    shown = _most_waiting(frame)
    if shown.height < frame.height:
        st.caption(
            f"Showing the {shown.height} steps with the most waiting of {frame.height}; "
            "the table below has them all."
        )
    chart = built(step_wait_boxes_chart, shown, unit, log)
    draw_chart(chart, width="stretch")
    st.caption(
        "Each row is the wait in front of a step, steps in their usual order. The box spans "
        "the middle half of the waits, the grey line runs from p5 to p95, and the marks "
        "show the median, p85 and p95 (85% and 95% of waits were shorter). The red box is "
        "the bottleneck. Hover a row for its number of waits."
    )
    # A file has no page to fill: give it a width and say what it shows.
    export = partial(chart.properties, width=820, title=f"Wait before each step: {offering}")
    chart_downloads(export, f"waits-{slug(offering)}", "waits")
    with st.expander("The numbers behind the chart: click a step to open its cases"):
        numbers = table_unit(frame, ["wait_s_p50", "wait_s_p85", "wait_s_p95"])
        shown = frame.select(
            pl.col("activity").alias("Wait before"),
            pl.col("waits").alias("Waits"),
            in_unit("wait_s_p50", numbers).alias(unit_label("Median", numbers)),
            in_unit("wait_s_p85", numbers).alias(unit_label("p85", numbers)),
            in_unit("wait_s_p95", numbers).alias(unit_label("p95", numbers)),
            in_unit("wait_s_sum", "days", 0).alias(unit_label("Total", "days")),
            (pl.col("wait_share") * 100).round(1).alias("Share of all waiting (%)"),
        )
        picked = table(
            shown,
            f"waits-by-step-{slug(offering)}",
            "waits_steps_table",
            on_select="rerun",
            selection_mode="single-row",
        )
        if picked is not None and picked.selection.rows:
            open_cases(Selection(offering, step=frame["activity"][picked.selection.rows[0]]))
    return frame, unit, log


def _most_waiting(frame: pl.DataFrame) -> pl.DataFrame:
    """At most MAX_STEPS steps, those with the largest total wait, still in flow order."""
    if frame.height <= MAX_STEPS:
        return frame
    top = frame.top_k(MAX_STEPS, by="wait_s_sum")["activity"]
    return frame.filter(pl.col("activity").is_in(top.implode()))


def spread(spec: CaseFilter, frame: pl.DataFrame, unit: str, log: bool) -> None:
    """The ECDF of the waits per step, then the weekday × hour heatmap."""
    neck = frame.filter(pl.col("is_bottleneck"))["activity"]
    frame = _most_waiting(frame)
    st.markdown("**How long waits last, step by step**")
    ecdf = view_figure(spec, figures.ecdf).filter(
        pl.col("activity").is_in(frame["activity"].implode())
    )
    lines = built(
        wait_ecdf_chart,
        ecdf,
        unit,
        log,
        neck[0] if neck.len() else None,
        frame["activity"].to_list(),
    )
    draw_chart(lines, width="stretch")
    chart_downloads(partial(lines.properties, width=820), "wait-ecdf", "waits_ecdf")
    st.caption(
        "Each line climbs from 0% to 100% of a step's waits. Where it crosses a dashed "
        "guide, read the wait: at 85%, 85% of that step's waits were shorter. Lines far to "
        "the right wait longest; the thick red line is the bottleneck. Click a step in the legend "
        "to single it out."
        + (
            ""
            if log
            else " The axis ends at the longest p95, so the "
            "longest 5% of waits run off the right edge."
        )
    )
    st.markdown("**When the waiting ends: the weekday and hour steps start**")
    hours = view_figure(spec, figures.weekday_hours)
    heat = built(wait_heatmap_chart, hours, unit)
    draw_chart(heat, width="stretch")
    chart_downloads(partial(heat.properties, width=820), "waits-by-weekday-and-hour", "waits_heat")
    st.caption(
        f"Each cell: the {int(hours['waits'].sum()):,} steps that ended a wait, by the weekday "
        "and hour (UTC) they started, coloured by the median wait before them. Dark cells "
        "early in the week are often work that sat over the weekend. Faint cells rest on "
        "fewer than 5 steps."
    )


@st.cache_resource(show_spinner=False, max_entries=4, hash_funcs={CaseFilter: repr})
def _waiting(path: str, version: str, spec: CaseFilter, now: datetime) -> pl.DataFrame:
    """The open cases of the view `spec`, longest idle first (metrics.waits.waiting_now),
    once per view, data version and "now": a fifth of a second of every Waits run at ten
    million events otherwise. A row per open case, kept in a file mapped into memory where
    it is big (`warehouse.mapped.held`)."""
    _, cases = view_at(path, version, spec)
    return held(waiting_now(cases.lazy(), now).collect(), folder_of(path))


def read_ahead(path: str) -> int:
    """The open cases of the view the Waits page opens on (every case of the first
    offering), ahead of that page (ui.serve does it once the server is up). Returns how
    many there are."""
    version, d = current_at(path)
    offerings = offerings_of(d)
    now = d.now_of(offerings[0]) if offerings else None
    if now is None:
        return 0
    return _waiting(path, version, CaseFilter(offerings=(offerings[0],)), now).height


def cases_waiting(
    spec: CaseFilter, now: datetime | None, cases: pl.DataFrame, offering: str
) -> pl.DataFrame:
    """Pick a step; list the open cases whose latest step it is, longest idle first."""
    assert now is not None
    wh = warehouse()
    everyone = _waiting(str(wh.path), data_version(wh), spec, now)
    if everyone.height == 0:
        st.info("No case is open in this view: nothing is waiting now.")
        return everyone
    per_step = (
        everyone.group_by("current_step")
        .len()
        .sort(["len", "current_step"], descending=[True, False])
    )
    counts = dict(per_step.iter_rows())
    options = list(counts)
    step = str(
        url_choice(
            "Cases whose latest step is",
            options,
            key="waits_step",
            param="p_step",
            format_func=lambda s: f"{s} ({counts[s]:,} open cases)",
            help="Open cases sit after their latest finished step until the next one starts.",
        )
    )
    frame = everyone.filter(pl.col("current_step") == step)
    nxt = view_figure(spec, figures.transitions).filter(pl.col("from_activity") == step)
    hint = ""
    if nxt.height:
        top = nxt.row(0, named=True)
        hint = (
            f" After {plain(step)}, cases usually go on to **{plain(top['to_activity'])}** "
            f"({share(top['count'] / nxt['count'].sum())} of {int(nxt['count'].sum()):,} times)."
        )
    st.markdown(
        f"**{frame.height:,} open cases** have finished {plain(step)} and wait for their next step; "
        f"the longest has been idle {duration_text(frame['idle_s'][0])}.{hint}",
        help=explain(
            "aging",
            frame.height,
            extra=f"Now = the latest event of {plain(offering)}, {now:%-d %b %Y %H:%M} UTC.",
        ),
    )
    unit = table_unit(frame, ["idle_s", "age_s"])
    shown = frame.select(
        pl.col("case_id").alias("Case"),
        pl.col("last_end").alias("Finished the step at"),
        in_unit("idle_s", unit).alias(unit_label("Idle since then", unit)),
        in_unit("age_s", unit).alias(unit_label("Case age", unit)),
        pl.col("n_instances").alias("Steps done"),
    )
    shown = with_likely_done(shown, offering)
    if shown.height > MAX_ROWS:
        st.caption(
            f"Showing the {MAX_ROWS:,} idle longest of the {shown.height:,}; the CSV holds all "
            "of them."
        )
    picked = table(
        shown,
        f"waiting-after-{slug(step)}-{slug(offering)}",
        "waits_now_table",
        most=MAX_ROWS,
        column_config={
            "Finished the step at": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
            **LIKELY_DONE_COLUMN,
        },
        on_select="rerun",
        selection_mode="single-row",
    )
    st.caption("Click a case to open its timeline.")
    if picked is not None and picked.selection.rows:
        open_case(offering, frame["case_id"][picked.selection.rows[0]])
    return frame


def slowest(spec: CaseFilter, cases: pl.DataFrame, offering: str) -> pl.DataFrame:
    frame = view_figure(spec, figures.slowest)
    if frame.height == 0:
        st.info("No case has completed in this view yet.")
        return frame
    n_done = int(cases["completed"].sum())
    st.markdown(
        f"The {frame.height} longest of the **{n_done:,} completed cases**, with the step "
        "each waited longest for.",
        help=explain("lead_time", n_done),
    )
    unit = table_unit(frame, ["lead_time_s", "wait_time_s", "longest_wait_s"])
    shown = frame.select(
        pl.col("case_id").alias("Case"),
        pl.col("first_start").dt.date().alias("Started"),
        pl.col("last_end").dt.date().alias("Completed"),
        in_unit("lead_time_s", unit).alias(unit_label("Lead time", unit)),
        in_unit("wait_time_s", unit).alias(unit_label("Waiting", unit)),
        (pl.col("flow_efficiency") * 100).round(0).alias("Flow efficiency (%)"),
        pl.col("n_instances").alias("Steps"),
        pl.col("has_rework").alias("Rework"),
        pl.col("longest_wait_before").alias("Longest wait before"),
        in_unit("longest_wait_s", unit).alias(unit_label("Longest wait", unit)),
    )
    picked = table(
        shown,
        f"slowest-cases-{slug(offering)}",
        "waits_slow_table",
        column_config={
            "Started": st.column_config.DateColumn(format="D MMM YYYY"),
            "Completed": st.column_config.DateColumn(format="D MMM YYYY"),
        },
        on_select="rerun",
        selection_mode="single-row",
    )
    st.caption("Click a case to open its timeline.")
    if picked is not None and picked.selection.rows:
        open_case(offering, frame["case_id"][picked.selection.rows[0]])
    return frame


def timeline(instances: pl.LazyFrame, waiting: pl.DataFrame, slow: pl.DataFrame) -> None:
    """Choose one of the cases listed above and draw its steps and waits."""
    labels: dict[str, str] = {}
    for row in waiting.head(20).iter_rows(named=True):
        labels[row["case_id"]] = (
            f"{row['case_id']}: open, idle {duration_text(row['idle_s'])} after {row['current_step']}"
        )
    for row in slow.iter_rows(named=True):
        labels.setdefault(
            row["case_id"], f"{row['case_id']}: completed in {duration_text(row['lead_time_s'])}"
        )
    if not labels:
        st.info("List some cases above (pick a step with open cases) to see a timeline.")
        return
    options = list(labels)
    case_id = str(
        url_choice(
            "Case",
            options,
            key="waits_case",
            param="p_case",
            format_func=labels.__getitem__,
            help="The cases of the two tables above: waiting now, then the slowest.",
        )
    )
    frame = case_timeline(instances.lazy(), case_id).collect()
    waited = float(frame["wait_before_s"].sum())
    span = float(
        frame.select(
            (pl.col("end").max() - pl.col("start").min()).dt.total_seconds(fractional=True)
        ).item()
    )
    st.markdown(
        f"**{plain(case_id)}**: {frame.height} steps over {duration_text(span)}, of which "
        f"{duration_text(waited)} ({share(waited / span if span else None)}) was waiting before steps. "
        "Amber bars are waits, coloured bars the steps by value class."
    )
    drawn = built(case_timeline_chart, frame)
    draw_chart(drawn, width="stretch")
    chart_downloads(partial(drawn.properties, width=820), f"case-{slug(case_id)}", "waits_timeline")
