"""The Stream health page: one tile row per offering, a table, and the weekly trend.

Each offering's figures are those of the cases completed in its own period (the
sidebar's window, or its last 30 days), against the equally long period just before,
from metrics.health (the same function Compare offerings uses). Every number opens
the cases it rests on (ui.drill).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from charts.health import lead_time_trend_chart
from metrics import figures
from metrics.filters import CaseFilter
from metrics.health import DEFAULT_DAYS, health, lead_time_trend
from metrics.periods import overlapping_groups, period_bounds, quiet_offerings
from metrics.selection import Selection
from ui.chart_specs import built
from ui.drill import cases_link
from ui.filters import ViewFilters
from ui.findings_screen import top_finding_line
from ui.forecasts import forecast_line
from ui.format import duration_text, explain, in_unit, pct_change, plain, share, unit_label
from ui.pending import why_pending
from ui.resources import (
    data_version,
    on_request,
    recorded_experiments,
    warehouse,
)
from ui.tables import table_height, wrapping_row_height
from ui.views import (
    current_at,
    default_health_rows,
    health_rows_soon,
    offerings_of,
    reports_stored,
    stored_rows,
    view_at,
)
from ui.widgets import chart_downloads, draw_chart, table


def bounds_of(filters: ViewFilters) -> pl.DataFrame:
    """Each offering's period: the sidebar's window, else its last 30 days; of every case
    of the offerings in view, once per view and period (`periods_at`)."""
    wh = warehouse()
    return periods_at(str(wh.path), data_version(wh), *_period(filters))


def _period(
    filters: ViewFilters,
) -> tuple[CaseFilter, datetime | None, datetime | None, int]:
    """What the page's periods rest on: every case of the offerings in view (a period is
    compared with the one before it), the window's dates (both, else neither) and its
    days (else DEFAULT_DAYS)."""
    window = filters.spec()
    dated = window.window_start is not None and window.window_end is not None
    return (
        filters.all_time(),
        window.window_start if dated else None,
        window.window_end if dated else None,
        filters.days or DEFAULT_DAYS,
    )


# The pages' periods, and the figures computed over them (dates chosen, or a window whose
# rows are not stored yet), are kept per view and period: computed on every run before,
# 0.55-0.70 s of each run of Stream health at ten million events with dates chosen.
@st.cache_resource(show_spinner=False, max_entries=8, hash_funcs={CaseFilter: repr})
def periods_at(
    path: str,
    version: str,
    spec: CaseFilter,
    start: datetime | None,
    end: datetime | None,
    days: int | None,
) -> pl.DataFrame:
    """Each offering's period over the cases of the view `spec`: [start, end) where both
    are given, else its last `days` days up to its own latest event (all time: None)."""
    _, cases = view_at(path, version, spec)
    if start and end:
        return period_bounds(cases.lazy(), start=start, end=end).collect()
    return period_bounds(cases.lazy(), days=days).collect()


@st.cache_resource(
    show_spinner="Computing the figures of this period...",
    max_entries=8,
    hash_funcs={CaseFilter: repr},
)
def _computed_rows(
    path: str,
    version: str,
    spec: CaseFilter,
    start: datetime | None,
    end: datetime | None,
    days: int,
) -> pl.DataFrame:
    with on_request():
        instances, cases = view_at(path, version, spec)
        bounds = periods_at(path, version, spec, start, end, days)
        return health(instances.lazy(), cases.lazy(), bounds=bounds.lazy()).collect()


def period_words(filters: ViewFilters) -> str:
    if filters.start and filters.end:
        return f"the cases completed {filters.start:%-d %b %Y} to {filters.end:%-d %b %Y}"
    days = filters.days or DEFAULT_DAYS
    return f"the cases completed in each offering's last {days} days, up to its own latest event"


def health_frame(cases: pl.DataFrame, filters: ViewFilters) -> tuple[pl.DataFrame, list[str], int]:
    """(the tiles' figures, the offerings whose figures are still being stored, how many
    reports the app had stored when they were read: `await_pending`'s); says so
    and stops the page when the period holds no case. Over each offering's default
    period they are those stored at the last change, which need no step read (an
    offering too big for an import to store them has them stored by the step-file
    thread minutes after a start or an import: it is told as pending meanwhile, rather
    than computed by the page from every step); over another of the sidebar's windows,
    those the step-file thread stored, where it has; else computed once per view and
    period. `cases`: every case of the offerings in view."""
    rows = None
    offerings = cases["offering"].unique().to_list()
    days = filters.days or DEFAULT_DAYS
    if not (filters.start and filters.end):
        if days == DEFAULT_DAYS:
            soon = health_rows_soon(offerings)
            if soon is not None:
                return soon
            rows = default_health_rows(offerings)
        elif days in figures.WINDOW_DAYS:
            # The step-file thread stores each offering's rows of the sidebar's windows.
            rows = stored_rows(offerings, figures.window_prefix(days) + figures.HEALTH)
    if rows is None:
        wh = warehouse()
        rows = _computed_rows(str(wh.path), data_version(wh), *_period(filters))
    if rows["completed"].sum() == 0 and rows["in_progress"].sum() == 0:
        st.warning(
            f"No cases match the filters ({plain(filters.describe())}): none completed or in "
            "progress in the period. Widen the time window or choose other offerings in the "
            "sidebar.",
            icon=":material/filter_alt_off:",
        )
        st.stop()
    return rows, [], reports_stored()


def pending_tile(offering: str, steps: int) -> None:
    """The tile of an offering whose figures the app is still storing."""
    with st.container(border=True, key=f"tile_{offering}"):
        st.markdown(f"#### {plain(offering)}")
        st.caption(
            "**Its figures are being computed in the background.** "
            + why_pending(f"{plain(offering)} has {steps:,} steps")
            + " They appear here when ready (a few minutes on the biggest offerings)."
        )
        top_finding_line(offering)
        forecast_line(offering)


def _metric(
    col: Any,
    label: str,
    value: str,
    now: float | None,
    before: float | None,
    help_text: str,
    lower_is_better: bool = True,
) -> None:
    delta = pct_change(now, before)
    color = "off" if delta in (None, "+0%", "-0%") else ("inverse" if lower_is_better else "normal")
    col.metric(
        label,
        value,
        delta=f"{delta} vs before" if delta else None,
        delta_color=color,
        help=help_text,
    )


def _span(row: dict[str, Any]) -> str:
    last = row["period_end"] - timedelta(microseconds=1)
    return f"{row['period_start']:%-d %b %Y} to {last:%-d %b %Y}"


def streams_latest(
    rows: pl.DataFrame, bounds: pl.DataFrame, pending: Sequence[str]
) -> pl.DataFrame:
    """(offering, latest) of every tile: the figures' own, and a `pending` offering's from
    its period `bounds` (metrics.periods.PERIOD_SCHEMA), so that a stream with no recent
    data is told apart while the newest one's figures are still being stored."""
    frame = rows.select("offering", "latest")
    if not pending:
        return frame
    more = bounds.filter(pl.col("offering").is_in(list(pending))).select("offering", "latest")
    return pl.concat([frame, more], how="vertical_relaxed")


def offering_tiles(
    rows: pl.DataFrame, bounds: pl.DataFrame, pending: dict[str, int] | None = None
) -> None:
    """One tile per offering, by name: its figures, or where they are `pending` (offering:
    steps), that they are being computed."""
    quiet = quiet_offerings(streams_latest(rows, bounds, list(pending or {})))
    by_offering = {row["offering"]: row for row in rows.iter_rows(named=True)}
    for offering in sorted({*by_offering, *(pending or {})}):
        if offering not in by_offering:
            pending_tile(offering, (pending or {})[offering])
            continue
        row = by_offering[offering]
        ended = (row["period_start"], row["period_end"])
        done = Selection(offering, completed=True, ended=ended)
        with st.container(border=True, key=f"tile_{offering}"):
            head, link = st.columns([4, 1])
            head.markdown(f"#### {plain(offering)}")
            note = f"Completed {_span(row)}."
            if offering in quiet:
                note += (
                    f" **No data since {quiet[offering]:%-d %b %Y}**: this stream is not current."
                )
            if row["pce"] is None and row["completed"]:
                note += (
                    " Its PCE and flow efficiency are unknown: some steps have no start time and "
                    "no standard minutes in the Data page's activity catalog, so work time is "
                    "not known."
                )
            head.caption(note)
            link.page_link(
                "app_pages/vsm.py",
                label="Value stream map",
                icon=":material/arrow_forward:",
                query_params={"p_offering": offering},
            )
            n, prev_n = row["completed"], row["prev_completed"]
            cols = st.columns(6)
            cols[0].metric(
                "In progress",
                f"{row['in_progress']:,}",
                help="Cases started and not completed at the end of the period.",
            )
            cols[1].metric(
                "Completed",
                f"{n:,}",
                delta=f"{n - prev_n:+,} vs before" if prev_n else None,
                delta_color="off",
                help=f"Cases completed in the period ({prev_n:,} in the period before).",
            )
            _metric(
                cols[2],
                "Median lead time",
                duration_text(row["lead_time_s_p50"]),
                row["lead_time_s_p50"],
                row["prev_lead_time_s_p50"],
                explain(
                    "lead_time",
                    n,
                    extra="Median of the cases completed in the period. Previous period: "
                    f"{duration_text(row['prev_lead_time_s_p50'])} over {prev_n:,} cases.",
                ),
            )
            _metric(
                cols[3],
                "p85 lead time",
                duration_text(row["lead_time_s_p85"]),
                row["lead_time_s_p85"],
                row["prev_lead_time_s_p85"],
                "85% of the cases completed in the period took at most this long. "
                + explain("lead_time", n),
            )
            label = "PCE" if row["pce_basis"] == "value-adding" else "Flow efficiency"
            _metric(
                cols[4],
                label,
                share(row["pce"]),
                row["pce"],
                row["prev_pce"],
                explain(
                    "pce" if label == "PCE" else "flow_efficiency",
                    n,
                    extra="Total over the cases completed in the period.",
                ),
                lower_is_better=False,
            )
            _metric(
                cols[5],
                "Rework",
                share(row["rework_case_share"]),
                row["rework_case_share"],
                row["prev_rework_case_share"],
                "Share of the cases completed in the period in which some step happened "
                "more than once (so the two periods compare like with like). "
                + explain("rework", n),
            )
            links = st.columns(6)
            at = row["period_end"] - timedelta(microseconds=1)
            reworked = round((row["rework_case_share"] or 0) * n)
            with links[0]:
                cases_link(f"{row['in_progress']:,} cases", Selection(offering, open_at=at))
            for col in links[1:5]:
                with col:
                    cases_link(f"{n:,} cases", done)
            with links[5]:
                cases_link(
                    f"{reworked:,} cases",
                    Selection(offering, completed=True, ended=ended, rework=True),
                )
            if row["bottleneck"]:
                left, right = st.columns([4, 2])
                left.caption(
                    f"**Bottleneck:** {plain(row['bottleneck'])}, where "
                    f"{share(row['bottleneck_wait_share'])} of the waiting of the cases "
                    "completed in the period happened."
                )
                with right:
                    cases_link(
                        # The step is named beside the link: a long name would be cut here.
                        "the cases that waited for the bottleneck",
                        Selection(offering, completed=True, ended=ended, step=row["bottleneck"]),
                    )
            top_finding_line(row["offering"])
            forecast_line(row["offering"])


PERIOD = "Completed between"
"""The header of the health table's period: the days whose completed cases its figures are
of."""


def health_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The tiles as one downloadable table, lead times in days."""
    unit = "days"
    last = pl.col("period_end") - pl.duration(days=1)
    same_year = pl.col("period_start").dt.year() == last.dt.year()
    period = pl.format(
        "{}–{}",
        pl.when(same_year)
        .then(pl.col("period_start").dt.strftime("%-d %b"))
        .otherwise(pl.col("period_start").dt.strftime("%-d %b %Y")),
        last.dt.strftime("%-d %b %Y"),
    )
    return rows.select(
        pl.col("offering").alias("Offering"),
        period.alias(PERIOD),
        pl.col("in_progress").alias("In progress"),
        pl.col("completed").alias("Completed"),
        in_unit("lead_time_s_p50", unit).alias(unit_label("p50 lead", unit)),
        in_unit("prev_lead_time_s_p50", unit).alias(unit_label("p50 before", unit)),
        in_unit("lead_time_s_p85", unit).alias(unit_label("p85 lead", unit)),
        (pl.col("pce") * 100).round(1).alias("PCE (%)"),
        (pl.col("rework_case_share") * 100).round(1).alias("Rework (%)"),
        pl.col("bottleneck").alias("Bottleneck"),
    )


HEADER_HELP = {
    "In progress": "Cases started and not completed at the end of the period.",
    "Completed": "Cases completed in the period.",
    "p50 lead (d)": "Median lead time of the cases completed in the period, in days.",
    "p50 before (d)": "Median lead time of the cases completed in the equally long period "
    "just before, in days.",
    "p85 lead (d)": "85% of the cases completed in the period took at most this, in days.",
    "PCE (%)": "Value-adding time / lead time, over the cases completed in the period "
    "(flow efficiency where no step is classified value-adding).",
    "Rework (%)": "Share of the cases completed in the period that repeat a step.",
}
"""Each number column's help: the short headers fit the page, the help says what they are."""


def all_offerings_table(rows: pl.DataFrame) -> None:
    if rows.height == 0:
        st.caption("No offering's figures are ready yet: they appear here with the tiles above.")
        return
    frame = health_table(rows)
    # Widths sum to the page's width at 1440 px, so no column is cut at the right edge; a
    # longer period, offering or step name wraps in its cell (the rows grow to hold it).
    widths = {
        "Offering": 140,
        PERIOD: 128,
        "p50 before (d)": 90,
        "PCE (%)": 60,
        "Bottleneck": 170,
    }
    row_height = wrapping_row_height(
        frame, {c: widths[c] for c in ("Offering", PERIOD, "Bottleneck")}
    )
    table(
        frame,
        "stream-health",
        "health_table",
        download_label="Download the figures (CSV)",
        height=table_height(frame.height, row_height),
        row_height=row_height,
        column_config={
            **{
                c: st.column_config.NumberColumn(help=HEADER_HELP[c], width=widths.get(c, 78))
                for c in frame.columns[2:9]
            },
            "Offering": st.column_config.TextColumn(width=widths["Offering"]),
            PERIOD: st.column_config.TextColumn(
                help="The period whose completed cases the row's figures are of: its first "
                "and last day.",
                width=widths[PERIOD],
            ),
            "Bottleneck": st.column_config.TextColumn(width=widths["Bottleneck"]),
        },
    )
    flow = rows.filter(pl.col("pce_basis") != "value-adding")["offering"].to_list()
    note = "The figures are those of the tiles above."
    if flow:
        note += (
            f" {', '.join(plain(o) for o in flow)}: no step is classified value-adding, so "
            "the PCE column holds flow efficiency (all work time / lead time), as the tile says."
        )
    st.caption(note)


# Once per view and data version, as the figures of ui.views are: 0.18 s of every run at
# ten million events otherwise.
@st.cache_resource(show_spinner=False, max_entries=4, hash_funcs={CaseFilter: repr})
def _trend(path: str, version: str, spec: CaseFilter) -> pl.DataFrame:
    _, cases = view_at(path, version, spec)
    return lead_time_trend(cases.lazy()).collect()


def read_ahead(path: str) -> int:
    """The weekly trend of the view Stream health opens on (every case of every offering),
    ahead of the page (ui.serve does it once the server is up); returns how many."""
    version, d = current_at(path)
    offerings = offerings_of(d)
    if offerings:
        _trend(path, version, CaseFilter(offerings=tuple(offerings)))
    return int(bool(offerings))


def trend(spec: CaseFilter, all_offerings: list[str]) -> None:
    """The weekly median lead time of the view `spec` selects; offerings whose spans do not
    overlap get their own chart, so a historical log does not squash live streams onto a
    15-year axis."""
    wh = warehouse()
    frame = _trend(str(wh.path), data_version(wh), spec)
    if frame.height == 0:
        st.info("No case has completed in this view yet, so there is no lead-time trend.")
        return
    spans = frame.group_by("offering").agg(
        span_start=pl.col("period").min().cast(pl.Datetime("us", "UTC")),
        span_end=pl.col("period").max().cast(pl.Datetime("us", "UTC")),
    )
    changes = recorded_experiments().select("offering", "name", "changed_at")
    groups = overlapping_groups(spans)
    for i, group in enumerate(groups):
        part = frame.filter(pl.col("offering").is_in(group))
        chart = built(
            lead_time_trend_chart,
            part,
            changes.filter(pl.col("offering").is_in(group)),
            all_offerings,
        )
        if len(groups) > 1:
            st.markdown(f"**{', '.join(plain(g) for g in group)}**")
        draw_chart(chart, width="stretch")
        chart_downloads(
            partial(chart.properties, width=820), f"lead-time-trend-{i + 1}", f"trend_{i}"
        )
    note = (
        f"Each point: the median lead time of the cases that completed that week "
        f"({frame['completed'].sum():,} cases in all; hover for each week's n)."
    )
    if changes.height:
        note += " Dashed lines: changes recorded on the Experiments page."
    if len(groups) > 1:
        note += " Offerings whose data do not overlap in time each get their own chart."
    st.caption(note)
