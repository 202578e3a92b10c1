"""The Stream health page: one tile row per offering, a table, and the weekly trend."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import polars as pl
import streamlit as st

from charts.health import lead_time_trend_chart
from metrics.health import default_period, health, lead_time_trend
from ui.filters import ViewFilters
from ui.forecasts import forecast_line
from ui.format import duration_text, explain, pct_change, share
from ui.resources import warehouse
from ui.views import Derived
from warehouse.experiments import experiments


def period_of(d: Derived, filters: ViewFilters) -> tuple[datetime, datetime, str]:
    """The sidebar's window, else the last 30 days up to the latest event."""
    if filters.start and filters.end:
        start = datetime.combine(filters.start, time(), d.now.tzinfo if d.now else None)
        end = datetime.combine(filters.end + timedelta(days=1), time(), start.tzinfo)
    else:
        assert d.now is not None
        start, end = default_period(d.now)
    days = (end - start).days
    label = (
        f"cases completed {start:%d %b %Y} to {end - timedelta(days=1):%d %b %Y} ({days} days), "
        f"against the {days} days before"
    )
    return start, end, label


def health_frame(
    d: Derived, instances: pl.DataFrame, cases: pl.DataFrame, start: datetime, end: datetime
) -> pl.DataFrame:
    return health(instances.lazy(), cases.lazy(), start, end).collect()


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
    col.metric(label, value, delta=delta, delta_color=color, help=help_text)


def offering_tiles(rows: pl.DataFrame) -> None:
    for row in rows.iter_rows(named=True):
        with st.container(border=True):
            head, link = st.columns([4, 1])
            head.markdown(f"#### {row['offering']}")
            link.page_link(
                "app_pages/vsm.py",
                label="Value stream map",
                icon=":material/arrow_forward:",
                query_params={"p_offering": row["offering"]},
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
                    extra=f"Previous period: {duration_text(row['prev_lead_time_s_p50'])} over {prev_n:,} cases.",
                ),
            )
            _metric(
                cols[3],
                "p85 lead time",
                duration_text(row["lead_time_s_p85"]),
                row["lead_time_s_p85"],
                row["prev_lead_time_s_p85"],
                "85% of the completed cases took at most this long. " + explain("lead_time", n),
            )
            label = "PCE" if row["pce_basis"] == "value-adding" else "Flow efficiency"
            _metric(
                cols[4],
                label,
                share(row["pce"]),
                row["pce"],
                row["prev_pce"],
                explain("pce" if label == "PCE" else "flow_efficiency", n),
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
            if row["bottleneck"]:
                st.caption(
                    f"**Bottleneck:** {row['bottleneck']}, where "
                    f"{share(row['bottleneck_wait_share'])} of this period's waiting happened."
                )
            forecast_line(row["offering"])


def health_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The tiles as one downloadable table, durations in days."""
    days = 86400
    return rows.select(
        pl.col("offering").alias("Offering"),
        pl.col("in_progress").alias("In progress"),
        pl.col("completed").alias("Completed"),
        (pl.col("lead_time_s_p50") / days).round(1).alias("Median lead time (d)"),
        (pl.col("prev_lead_time_s_p50") / days).round(1).alias("…previous period (d)"),
        (pl.col("lead_time_s_p85") / days).round(1).alias("p85 lead time (d)"),
        (pl.col("pce") * 100).round(1).alias("PCE / flow efficiency (%)"),
        (pl.col("rework_case_share") * 100).round(1).alias("Rework (% of cases)"),
        pl.col("bottleneck").alias("Bottleneck"),
    )


def trend(cases: pl.DataFrame) -> None:
    frame = lead_time_trend(cases.lazy()).collect()
    if frame.height == 0:
        st.info("No case has completed in this view yet, so there is no lead-time trend.")
        return
    offerings = frame["offering"].unique().to_list()
    changes = (
        experiments(warehouse())
        .filter(pl.col("offering").is_in(offerings))
        .select("offering", "name", "changed_at")
    )
    st.altair_chart(lead_time_trend_chart(frame, changes), width="stretch")
    note = (
        f"Each point: the median lead time of the cases that completed that week "
        f"({frame['completed'].sum():,} cases in all; hover for each week's n)."
    )
    if changes.height:
        note += " Dashed lines: changes recorded on the Experiments page."
    st.caption(note)
