"""The Compare offerings page: a side-by-side scorecard and charts that share one scale.

The scorecard's lead times, PCE and bottleneck are metrics.health.period_figures of the
cases completed in each offering's period, the very figures Stream health shows for the
same period; every offering keeps its colour on every page (charts.style).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from charts.compare import (
    lead_time_small_multiples_chart,
    pce_bars_chart,
    rework_bars_chart,
    weekly_throughput_chart,
)
from metrics import figures
from metrics.definitions import DEFINITIONS
from metrics.filters import CaseFilter
from metrics.periods import overlapping_groups
from metrics.scorecard import lead_time_bins, lead_time_histogram, scorecard, weekly_throughput
from metrics.selection import Selection
from model.units import DAY
from ui.chart_specs import built
from ui.drill import cases_link
from ui.filters import ViewFilters
from ui.format import count, duration_text, in_unit, plain, share, unit_label
from ui.health_screen import DEFAULT_DAYS, periods_at
from ui.resources import data_version, on_request, warehouse
from ui.tables import table_height, wrapping_row_height
from ui.views import (
    current_at,
    each_offering,
    offerings_of,
    several_ahead,
    stored_rows,
    view_at,
    view_figure,
    view_figure_at,
)
from ui.widgets import chart_downloads, csv_download, draw_chart, table


def bounds_of(filters: ViewFilters) -> pl.DataFrame:
    """Each offering's period: the sidebar's window (its own last N days, or the dates
    chosen), else all time; of the view of `filters`, once per view (`_bounds`)."""
    wh = warehouse()
    return _bounds(str(wh.path), data_version(wh), filters.spec())


def _bounds(path: str, version: str, spec: CaseFilter) -> pl.DataFrame:
    """Each offering's period of the view `spec`: the dates chosen, else its last N days,
    else all time; once per view (ui.health_screen.periods_at)."""
    return periods_at(path, version, spec, spec.window_start, spec.window_end, spec.window_days)


def read_ahead(path: str) -> int:
    """The periods, lead-time histogram and weekly completions of the view the page
    opens on (every case of every offering), ahead of the page (ui.serve does it once
    the server is up). Returns how many it read."""
    version, d = current_at(path)
    offerings = offerings_of(d)
    if not offerings:
        return 0
    spec = CaseFilter(offerings=tuple(offerings))
    _bounds(path, version, spec)
    view_figure_at(path, version, spec, histogram)
    _weekly(path, version, spec)
    return 3


@several_ahead
def figures_ahead(path: str, version: str, spec: CaseFilter) -> list[Callable[[], object]]:
    """What the page computes of a view `spec` whose figures are not stored, one step at a
    time, for the view-ahead thread (ui.views.several_ahead): each offering's period, the
    scorecard (of the window's own period where there is one, as `score`), the lead-time
    histogram where a case is completed, and the weekly completions."""

    def lead_times() -> object:
        _, cases = view_at(path, version, spec)
        return cases["completed"].any() and view_figure_at(path, version, spec, histogram)

    return [
        partial(_bounds, path, version, spec),
        partial(_card, path, version, spec),
        lead_times,
        partial(_weekly, path, version, spec),
    ]


def histogram(instances: pl.LazyFrame, cases: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """The view's lead-time histogram (metrics.scorecard.lead_time_histogram) and the
    width of its bins: a figure of the view (ui.views.view_figure)."""
    width, last = lead_time_bins(cases)
    return lead_time_histogram(cases.lazy(), width, last).collect(), width


@st.cache_resource(show_spinner=False, max_entries=4, hash_funcs={CaseFilter: repr})
def _weekly(path: str, version: str, spec: CaseFilter) -> pl.DataFrame:
    """The view's completed cases per week in each offering's period."""
    _, cases = view_at(path, version, spec)
    bounds = _bounds(path, version, spec)
    return weekly_throughput(cases.lazy(), bounds=bounds.lazy()).collect()


def score(filters: ViewFilters, cases: pl.DataFrame) -> pl.DataFrame:
    """The scorecard of the view (`cases`: its cases); over all time it is computed once
    per view (its default view, every case, is stored with each offering:
    ui.views.view_figure), over one of the sidebar's relative windows it is read as the
    step-file thread stored it, where it has, and over any other window it is computed
    once per view (`_window_card`)."""
    card = None
    if filters.days is not None and cases.height:
        prefix = figures.view_prefix(filters.spec())
        if prefix is not None:
            # The offerings with a case in view: one without has no row (nor a stored one).
            in_view = cases["offering"].unique().to_list()
            card = stored_rows(in_view, prefix + figures.WINDOW_SCORECARD)
    if card is None:
        wh = warehouse()
        card = _card(str(wh.path), data_version(wh), filters.spec())
    if card.height == 1 and len(filters.offerings) > 1:
        others = [o for o in filters.offerings if o not in card["offering"].to_list()]
        st.info(
            f"Only {plain(card['offering'][0])} has cases in this view: the filters "
            f"({plain(filters.describe())}) keep none of "
            f"{', '.join(plain(o) for o in others)}. Widen them in the sidebar to compare.",
            icon=":material/compare_arrows:",
        )
    elif card.height == 1:
        st.info(
            "Only one offering is in view. Add offerings in the sidebar to compare them.",
            icon=":material/compare_arrows:",
        )
    return card


def _card(path: str, version: str, spec: CaseFilter) -> pl.DataFrame:
    """The scorecard of the view `spec`, once per view: over the window's own period where
    it has one (`_window_card`), else over all time (a figure of the view)."""
    if spec.window_days is not None or spec.window_start or spec.window_end:
        return _window_card(path, version, spec)
    return view_figure_at(path, version, spec, figures.scorecard)


# A window's scorecard counts the window's own period: not a figure of the view's frames
# alone (ui.views.view_figure), so it is cached here, by the view. Computed on every run
# before: 0.5-0.6 s of each of the page's runs at ten million events with dates chosen.
@st.cache_resource(
    show_spinner="Computing the scorecard of this window...",
    max_entries=4,
    hash_funcs={CaseFilter: repr},
)
def _window_card(path: str, version: str, spec: CaseFilter) -> pl.DataFrame:
    with on_request():
        instances, cases = view_at(path, version, spec)
        return _windowed(instances, cases, _bounds(path, version, spec))


def _windowed(instances: pl.LazyFrame, cases: pl.DataFrame, bounds: pl.DataFrame) -> pl.DataFrame:
    """The scorecard of a view with a time window, one offering at a time: each row rests
    on its own offering's cases alone, and only that offering's steps are read while it is
    computed (as ui.views does for the view without one). Over the last N days it is
    metrics.figures.window_scorecard's, which the step-file thread stores."""
    if cases.height == 0:
        return scorecard(instances, cases.lazy()).collect()
    return each_offering(
        cases,
        lambda offering, own: scorecard(
            instances.filter(pl.col("offering") == offering),
            own.lazy(),
            bounds=bounds.lazy().filter(pl.col("offering") == offering),
        ).collect(),
    )


def _efficiency(row: dict[str, Any]) -> str:
    if row["pce"] is None:
        return "–"
    if row["pce_basis"] == "value-adding":
        return share(row["pce"])
    return f"{share(row['pce'])} (flow eff.)"


def _bottleneck(row: dict[str, Any]) -> str:
    if not row["bottleneck"]:
        return "–"
    return f"{row['bottleneck']} ({share(row['bottleneck_wait_share'])})"


ROWS: list[tuple[str, str, Any]] = [
    ("Cases in view", "every case the sidebar keeps", lambda r: count(r["cases"])),
    ("Completed", "cases completed in the period", lambda r: count(r["completed_in_period"])),
    (
        "Median lead time",
        "cases completed in the period",
        lambda r: duration_text(r["lead_time_s_p50"]),
    ),
    (
        "p85 lead time",
        "85% of them took at most this",
        lambda r: duration_text(r["lead_time_s_p85"]),
    ),
    ("PCE", "their value-adding time / lead time", _efficiency),
    ("Rework", "cases in view that repeat a step", lambda r: share(r["rework_case_share"])),
    ("Bottleneck", "most waiting before it (its share)", _bottleneck),
    (
        "Per week",
        "throughput: cases completed per week of the period",
        lambda r: (
            f"{r['throughput_per_week']:.1f}" if r["throughput_per_week"] is not None else "–"
        ),
    ),
]


WIDTHS = {
    "Offering": 140,
    "Cases in view": 90,
    "Completed": 82,
    "Median lead time": 116,
    "p85 lead time": 98,
    "PCE": 82,
    "Rework": 64,
    "Bottleneck": 234,
    "Per week": 70,
}
"""Column widths in px, summing to the page's width at 1440 px (ui.tables.PAGE_WIDTH); a
longer name wraps in its cell, the rows growing to hold it."""


def scorecard_table(card: pl.DataFrame, period: str, windowed: bool) -> None:
    """One row per offering, one column per measure, written as a person reads it (each
    column's header says what it is over). Without a window (`windowed` false) the period
    is all time, which Stream health never shows: the caption says so rather than promise
    the same figures there."""
    frame = pl.DataFrame(
        [
            {"Offering": r["offering"], **{label: fmt(r) for label, _, fmt in ROWS}}
            for r in card.to_dicts()
        ],
        schema={"Offering": pl.String, **{label: pl.String for label, _, _ in ROWS}},
    )
    row_height = wrapping_row_height(frame, WIDTHS)
    st.dataframe(
        frame,
        hide_index=True,
        key="compare_scorecard",
        placeholder="–",
        column_config={
            "Offering": st.column_config.TextColumn(width=WIDTHS["Offering"]),
            **{
                label: st.column_config.TextColumn(help=over, width=WIDTHS[label])
                for label, over, _ in ROWS
            },
        },
        height=table_height(frame.height, row_height),
        row_height=row_height,
    )
    health = (
        "the same figures as on Stream health for that period"
        if windowed
        else "whereas Stream health, with no time window chosen, shows each offering's last "
        f"{DEFAULT_DAYS} days (choose a window in the sidebar to see the same figures on both pages)"
    )
    unknown = card.filter(pl.col("pce").is_null() & (pl.col("completed_in_period") > 0))
    blank = (
        f" No PCE for {', '.join(plain(o) for o in unknown['offering'].to_list())}: some steps "
        "have no start time and no standard minutes in the Data page's activity catalog, so "
        "work time is not known."
        if unknown.height
        else ""
    )
    st.caption(
        f"Lead times, PCE or flow efficiency and the bottleneck are over each offering's "
        f"cases completed in the period ({period}), {health}; cases in view and rework count "
        f"every case the sidebar keeps.{blank}"
    )
    unit = "days"
    numbers = card.select(
        pl.col("offering").alias("Offering"),
        pl.col("cases").alias("Cases in view"),
        pl.col("completed_in_period").alias("Completed in the period"),
        in_unit("lead_time_s_p50", unit, 2).alias(unit_label("Median lead time", unit)),
        in_unit("lead_time_s_p85", unit, 2).alias(unit_label("p85 lead time", unit)),
        (pl.col("flow_efficiency") * 100).round(1).alias("Flow efficiency (%)"),
        (pl.col("pce") * 100).round(1).alias("PCE (%)"),
        pl.col("pce_basis").alias("PCE basis"),
        (pl.col("rework_case_share") * 100).round(1).alias("Rework (% of cases)"),
        pl.col("bottleneck").alias("Bottleneck"),
        (pl.col("bottleneck_wait_share") * 100).round(1).alias("Bottleneck's share of waiting (%)"),
        pl.col("throughput_per_week").round(2).alias("Throughput per week"),
        pl.col("weeks").round(1).alias("Weeks in the period"),
    )
    csv_download(numbers, "compare-offerings", "compare_csv", "Download the scorecard (CSV)")
    with st.expander("What the measures mean"):
        for key in (
            "lead_time",
            "completed",
            "pce",
            "flow_efficiency",
            "rework_case_share",
            "bottleneck",
            "throughput",
        ):
            st.markdown(f"- {DEFINITIONS[key]}")


def case_links(card: pl.DataFrame, bounds: pl.DataFrame) -> None:
    """Each offering's completed cases of the period: the cases the scorecard rests on."""
    spans = {r["offering"]: r for r in bounds.iter_rows(named=True)}
    st.markdown("**The completed cases behind these figures:**")
    cols = st.columns(3)
    for i, row in enumerate(card.iter_rows(named=True)):
        span = spans[row["offering"]]
        ended = (
            (span["period_start"], span["period_end"]) if span["period_start"] is not None else None
        )
        with cols[i % len(cols)]:
            cases_link(
                f"{row['offering']} ({row['completed_in_period']:,})",
                Selection(row["offering"], completed=True, ended=ended),
            )


def period_label(bounds: pl.DataFrame, filters: ViewFilters) -> str:
    if filters.start and filters.end:
        return f"{filters.start:%-d %b %Y} to {filters.end:%-d %b %Y}"
    if filters.days:
        return f"each offering's last {filters.days} days, up to its own latest event"
    return "all time; throughput from each offering's first completed case to its latest event"


def lead_times(
    filters: ViewFilters, cases: pl.DataFrame, card: pl.DataFrame, all_offerings: list[str]
) -> None:
    if not cases["completed"].any():
        st.info("No case has completed in this view yet, so there are no lead times to compare.")
        return
    hist, width = view_figure(filters.spec(), histogram)
    chart = built(lead_time_small_multiples_chart, hist, card, all_offerings=all_offerings)
    draw_chart(chart, width="content")
    st.caption(
        f"Each panel: how an offering's completed cases in view spread over lead time, in "
        f"bins of {width / DAY:.0f} days; the last bin also holds every longer case. Bars are "
        "a share of the offering's completed cases, so small and large offerings compare. "
        "The solid line marks the median, the dashed line p85 (of the cases completed in the "
        "period, as in the scorecard). Hover for counts."
    )
    chart_downloads(chart, "lead-times-by-offering", "compare")
    frame = hist.select(
        pl.col("offering").alias("Offering"),
        (pl.col("bin_start_s") / DAY).round(1).alias("From (d)"),
        (pl.col("bin_end_s") / DAY).round(1).alias("To (d)"),
        pl.col("is_overflow").alias("And longer"),
        pl.col("cases").alias("Completed cases"),
        (pl.col("share") * 100).round(1).alias("Share (%)"),
    )
    with st.expander("The numbers behind the chart"):
        table(frame, "lead-time-histogram", "compare_hist")


def efficiency_and_rework(card: pl.DataFrame, all_offerings: list[str]) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**PCE**", help=DEFINITIONS["pce"])
        pce = built(pce_bars_chart, card, all_offerings)
        draw_chart(pce, width="stretch")
        chart_downloads(partial(pce.properties, width=480), "pce-by-offering", "compare_pce")
    with right:
        st.markdown("**Rework**", help=DEFINITIONS["rework_case_share"])
        rework = built(rework_bars_chart, card, all_offerings)
        draw_chart(rework, width="stretch")
        chart_downloads(
            partial(rework.properties, width=480), "rework-by-offering", "compare_rework"
        )
    if (card["pce_basis"] != "value-adding").any():
        st.caption(
            "Where an offering has no step classified value-adding, its bar is its flow "
            "efficiency (all work time / lead time): classify steps on the Data page."
        )


def throughput(filters: ViewFilters, all_offerings: list[str]) -> None:
    """Weekly completions; offerings whose weeks do not overlap get their own chart."""
    wh = warehouse()
    weekly = _weekly(str(wh.path), data_version(wh), filters.spec())
    if weekly.height == 0:
        st.info("No weeks to show.")
        return
    spans = weekly.group_by("offering").agg(
        span_start=pl.col("week").min().cast(pl.Datetime("us", "UTC")),
        span_end=pl.col("week").max().cast(pl.Datetime("us", "UTC")),
    )
    groups = overlapping_groups(spans)
    for i, group in enumerate(groups):
        if len(groups) > 1:
            st.markdown(f"**{', '.join(plain(g) for g in group)}**")
        chart = built(
            weekly_throughput_chart,
            weekly.filter(pl.col("offering").is_in(group)),
            all_offerings=all_offerings,
        )
        draw_chart(chart, width="content")
        chart_downloads(chart, f"weekly-throughput-{i + 1}", f"compare_weekly_{i}")
    st.caption(
        f"Cases completed each week (weeks start on Monday), "
        f"{int(weekly['completed_cases'].sum()):,} in all; the dashed line is each offering's "
        "average per week. Every panel of a chart has the same scale; offerings whose weeks do "
        "not overlap in time get charts of their own."
    )
