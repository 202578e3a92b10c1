"""The Flow page: work in progress over time, arrivals against completions, Little's law,
and how often work goes through the main path right the first time (rolled %C&A)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import polars as pl
import streamlit as st

from charts.flow import arrivals_chart, wip_chart
from metrics import figures
from metrics.filters import CaseFilter
from metrics.flow import flow_per_period, littles_law, wip_daily
from metrics.steps import main_path, rolled_pct_c_and_a
from metrics.variants import variants
from ui.chart_specs import built
from ui.format import explain, share
from ui.views import current_at, offerings_of, view_figure, view_figure_at
from ui.widgets import chart_downloads, draw_chart, slug, table

LITTLE_DAYS = 90
"""The window Little's law is checked over: the view's last so many days."""


# The page's figures are figures of the view (ui.views.view_figure), computed once per
# view and data version: at ten million events they were 0.2 s of every run.
def in_progress(instances: pl.LazyFrame, cases: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cases in progress day by day (metrics.flow.wip_daily), and Little's law over the
    last LITTLE_DAYS of those days (empty where no case started)."""
    wip = wip_daily(cases.lazy()).collect()
    end = wip["day"].max()
    if not isinstance(end, date):
        return wip, pl.DataFrame()
    start = end - timedelta(days=LITTLE_DAYS - 1)
    return wip, littles_law(cases.lazy(), start, end).collect()


def weekly_flow(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """Cases started and completed each week (metrics.flow.flow_per_period)."""
    return flow_per_period(cases.lazy(), "1w").collect()


def path_of(instances: pl.LazyFrame, cases: pl.DataFrame) -> pl.DataFrame:
    """The main path of the view's cases (metrics.steps.main_path)."""
    return main_path(variants(cases.lazy(), by=()), by=()).collect()


def read_ahead(path: str) -> int:
    """The figures of the view the page opens on (every case of the first offering),
    ahead of the page (ui.serve does it once the server is up); returns how many."""
    version, d = current_at(path)
    offerings = offerings_of(d)
    if not offerings:
        return 0
    spec = CaseFilter(offerings=(offerings[0],))
    for figure in (in_progress, weekly_flow, path_of):
        view_figure_at(path, version, spec, figure)
    return 3


def work_in_progress(offering: str, spec: CaseFilter, all_offerings: list[str]) -> None:
    """Cases in progress day by day of the view `spec` selects, in words and as a
    chart."""
    wip, _ = view_figure(spec, in_progress)
    if wip.height == 0:
        st.info("No case has started in this view.")
        return
    latest = wip.row(-1, named=True)
    peak = int(wip["wip"].max() or 0)  # type: ignore[arg-type]
    st.markdown(
        f"**{latest['wip']:,} cases in progress** at the end of {latest['day']:%-d %b %Y} "
        f"(the latest day in the data); at most {peak:,} on one day of the view.",
        help=explain("wip"),
    )
    chart = built(wip_chart, wip, all_offerings)
    draw_chart(chart, width="stretch")
    chart_downloads(partial(chart.properties, width=820), f"wip-{slug(offering)}", "flow_wip")


def arrivals(offering: str, spec: CaseFilter) -> None:
    """Cases started and completed each week of the view `spec` selects."""
    flow = view_figure(spec, weekly_flow)
    if flow.height == 0:
        st.info("No case has started in this view.")
        return
    started, done = int(flow["started_cases"].sum()), int(flow["completed_cases"].sum())
    st.markdown(
        f"**{started:,} cases started and {done:,} completed** over {flow.height} weeks: "
        + (
            "more arrived than were finished, so work piled up."
            if started > done
            else "as many were finished as arrived, or more."
        ),
        help=explain("throughput") + "\n\n" + explain("arrivals"),
    )
    chart = built(arrivals_chart, flow)
    draw_chart(chart, width="stretch")
    chart_downloads(
        partial(chart.properties, width=820), f"arrivals-{slug(offering)}", "flow_arrivals"
    )


def littles_law_check(offering: str, spec: CaseFilter) -> None:
    """Little's law over the last LITTLE_DAYS days of the view `spec` selects, in words
    and as a table."""
    _, frame = view_figure(spec, in_progress)
    if frame.height == 0:
        return
    row = frame.row(0, named=True)
    ratio = row["wip_ratio"]
    verdict = (
        "The figures hold together: the window looks stable."
        if ratio is not None and 0.8 <= ratio <= 1.25
        else "They do not agree: the window is not stable (work piling up or draining), or "
        "data is missing (cases without their end, or their start)."
        if ratio is not None
        else "No case completed in the window, so there is nothing to check."
    )
    st.markdown(
        f"Over the {row['days']} days to {row['window_end']:%-d %b %Y}: on average "
        f"**{row['average_wip']:.1f} cases** were in progress; {row['completed_cases']:,} "
        f"completed ({row['throughput_per_day']:.2f} a day) with a mean lead time of "
        f"{row['mean_lead_time_days'] or 0:.1f} days, which by Little's law means "
        f"**{row['expected_wip'] or 0:.1f}** in progress. {verdict}",
        help=explain("littles_law"),
    )
    shown = frame.select(
        pl.col("window_start").alias("From"),
        pl.col("window_end").alias("To"),
        pl.col("average_wip").round(1).alias("Average in progress"),
        pl.col("completed_cases").alias("Completed"),
        pl.col("throughput_per_day").round(2).alias("Completed per day"),
        pl.col("mean_lead_time_days").round(1).alias("Mean lead time (d)"),
        pl.col("expected_wip").round(1).alias("In progress by Little's law"),
        pl.col("wip_ratio").round(2).alias("Ratio"),
    )
    with st.expander("The numbers"):
        table(shown, f"littles-law-{slug(offering)}", "flow_little")


def first_time_right(offering: str, spec: CaseFilter) -> None:
    """Rolled %C&A of the view `spec` selects: the share of cases that would pass every
    step of the main path without doing one again."""
    step_frame = view_figure(spec, figures.steps).lazy()
    path = view_figure(spec, path_of).lazy()
    rolled = rolled_pct_c_and_a(step_frame, path, by=()).collect()
    per_step = (
        step_frame.join(path, on="activity", how="inner")
        .sort("position")
        .select(
            pl.col("position").alias("#"),
            pl.col("activity").alias("Step of the main path"),
            pl.col("cases").alias("Cases with it"),
            (pl.col("pct_c_and_a") * 100).round(1).alias("%C&A: done once (%)"),
        )
        .collect()
    )
    if rolled.height == 0 or per_step.height == 0:
        st.info("No main path in this view yet.")
        return
    value = rolled["rolled_pct_c_and_a"][0]
    st.markdown(
        f"**Rolled %C&A: {share(value)}**: if each step of the main path is done right the "
        f"first time as often as now, {share(value)} of the cases go through all "
        f"{rolled['path_steps'][0]} of its steps without doing one again.",
        help=explain("rolled_pct_c_and_a"),
    )
    table(per_step, f"first-time-right-{slug(offering)}", "flow_rolled")
