"""The Compare offerings page: a side-by-side scorecard and charts that share one scale."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from charts.compare import (
    lead_time_small_multiples_chart,
    pce_bars_chart,
    rework_bars_chart,
    weekly_throughput_chart,
)
from metrics.definitions import DEFINITIONS
from metrics.scorecard import lead_time_bins, lead_time_histogram, scorecard, weekly_throughput
from ui.filters import ViewFilters
from ui.format import count, duration_text, share
from ui.widgets import chart_downloads, csv_download

DAY = 86400


def window(filters: ViewFilters) -> tuple[datetime | None, datetime | None]:
    """The sidebar's time window as instants (None, None for all time)."""
    spec = filters.spec()
    return spec.window_start, spec.window_end


def score(
    instances: pl.DataFrame, cases: pl.DataFrame, start: datetime | None, end: datetime | None
) -> pl.DataFrame:
    card = scorecard(instances.lazy(), cases.lazy(), start, end).collect()
    if card.height == 1:
        st.info(
            "Only one offering is in view. Add offerings in the sidebar to compare them.",
            icon=":material/compare_arrows:",
        )
    return card


def _efficiency(row: dict[str, Any]) -> str:
    if row["pce_basis"] == "value-adding":
        return share(row["pce"])
    return f"{share(row['pce'])} (flow efficiency)"


def _bottleneck(row: dict[str, Any]) -> str:
    if not row["bottleneck"]:
        return "–"
    return f"{row['bottleneck']} ({share(row['bottleneck_wait_share'])})"


ROWS: list[tuple[str, str, Any]] = [
    ("Cases in view", "every case, open ones included", lambda r: count(r["cases"])),
    ("Completed", "cases whose last step is an end step", lambda r: count(r["completed_cases"])),
    ("Median lead time", "completed cases", lambda r: duration_text(r["lead_time_s_p50"])),
    (
        "p85 lead time",
        "completed cases: 85% took at most this",
        lambda r: duration_text(r["lead_time_s_p85"]),
    ),
    ("PCE", "completed cases: value-adding time / lead time", _efficiency),
    (
        "Rework",
        "share of cases in view that repeat a step",
        lambda r: share(r["rework_case_share"]),
    ),
    (
        "Bottleneck",
        "the step with the most waiting before it (its share of all waiting)",
        _bottleneck,
    ),
    (
        "Throughput per week",
        "completed cases per week of the period",
        lambda r: (
            f"{r['throughput_per_week']:.1f}" if r["throughput_per_week"] is not None else "–"
        ),
    ),
]


def scorecard_table(card: pl.DataFrame, period: str) -> None:
    """Offerings as columns, one row per measure, written as a person reads it."""
    rows = card.to_dicts()
    table = pl.DataFrame(
        [
            {"Measure": label, **{r["offering"]: fmt(r) for r in rows}, "Over": over}
            for label, over, fmt in ROWS
        ],
    )
    st.dataframe(
        table,
        hide_index=True,
        key="compare_scorecard",
        column_config={"Over": st.column_config.TextColumn("Over", width="medium")},
    )
    st.caption(
        f"Lead times, PCE and flow efficiency are over each offering's completed cases; "
        f"rework over all its cases in view. Throughput per week: {period}."
    )
    numbers = card.select(
        pl.col("offering").alias("Offering"),
        pl.col("cases").alias("Cases"),
        pl.col("completed_cases").alias("Completed"),
        (pl.col("lead_time_s_p50") / DAY).round(2).alias("Median lead time (d)"),
        (pl.col("lead_time_s_p85") / DAY).round(2).alias("p85 lead time (d)"),
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


def period_label(card: pl.DataFrame, start: datetime | None, end: datetime | None) -> str:
    if start is not None and end is not None:
        return f"cases completed in the sidebar's window ({card['weeks'][0]:.1f} weeks)"
    return "from each offering's first completed case to its latest event"


def lead_times(cases: pl.DataFrame, card: pl.DataFrame) -> None:
    if not cases["completed"].any():
        st.info("No case has completed in this view yet, so there are no lead times to compare.")
        return
    width, last = lead_time_bins(cases)
    hist = lead_time_histogram(cases.lazy(), width, last).collect()
    chart = lead_time_small_multiples_chart(hist, card)
    st.altair_chart(chart, width="content")
    st.caption(
        f"Each panel: how an offering's completed cases spread over lead time, in bins of "
        f"{width / DAY:.0f} days; the last bin also holds every longer case. Bars are a "
        "share of the offering's completed cases, so small and large offerings compare. "
        "The solid line marks the median, the dashed line p85. Hover for counts."
    )
    chart_downloads(chart, "lead-times-by-offering", "compare")


def efficiency_and_rework(card: pl.DataFrame) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**PCE**", help=DEFINITIONS["pce"])
        st.altair_chart(pce_bars_chart(card), width="stretch")
    with right:
        st.markdown("**Rework**", help=DEFINITIONS["rework_case_share"])
        st.altair_chart(rework_bars_chart(card), width="stretch")
    if (card["pce_basis"] != "value-adding").any():
        st.caption(
            "Where an offering has no step classified value-adding, its bar is its flow "
            "efficiency (all work time / lead time): classify steps on the Data page."
        )


def throughput(cases: pl.DataFrame, start: datetime | None, end: datetime | None) -> None:
    weekly = weekly_throughput(cases.lazy(), start, end).collect()
    if weekly.height == 0:
        st.info("No weeks to show.")
        return
    st.altair_chart(weekly_throughput_chart(weekly), width="content")
    st.caption(
        f"Cases completed each week (weeks start on Monday), {int(weekly['completed_cases'].sum()):,} "
        "in all; the dashed line is each offering's average per week. Every panel has the "
        "same scale."
    )
