"""The Value stream map page: choose an offering, draw its map, list its variants and steps."""

from __future__ import annotations

from typing import Any, cast

import polars as pl
import streamlit as st

from charts.vsm import value_stream_map_chart
from metrics.steps import steps
from metrics.variants import variants
from metrics.vsm import ladder, vsm_steps
from ui.format import duration_text
from ui.widgets import chart_downloads, slug


def draw_map(offering: str, instances: pl.DataFrame, cases: pl.DataFrame) -> dict[str, Any]:
    boxes = vsm_steps(instances.lazy(), cases.lazy()).collect()
    totals = ladder(boxes)
    chart = value_stream_map_chart(boxes, totals, title=offering)
    completed = int(cases["completed"].sum())
    st.markdown(
        f"**{cases.height:,} cases** ({completed:,} completed). Boxes are the steps at least half "
        "of the cases go through, left to right in their usual order; each data box gives the "
        "median process time (C/T), the instances and %C&A (the share of cases that did the step "
        "only once). Triangles are the median wait before a step. The ladder underneath adds the "
        "waits (up) and process times (down) into a lead time."
    )
    # The map keeps its napkin proportions and scrolls sideways rather than shrinking.
    st.markdown(
        "<style>.st-key-vsm_chart { overflow-x: auto !important; }</style>", unsafe_allow_html=True
    )
    with st.container(key="vsm_chart"):
        st.altair_chart(chart, width="content")
    if boxes.height > 7:
        st.caption(
            "Scroll the map sideways to see every step; the PNG and SVG downloads hold the whole map."
        )
    lead = cases.filter(pl.col("completed"))["lead_time_s"]
    note = (
        f"The ladder adds medians, as a hand-drawn map does: {duration_text(totals['lead_s'])}. "
        f"The median lead time of the {lead.len():,} completed cases is "
        f"{duration_text(cast(float, lead.median()) if lead.len() else None)}."
    )
    if totals["pce"] is None:
        note += (
            " No step on the map is classified value-adding yet, so the map shows flow "
            "efficiency instead of PCE: classify the steps in the Data page's activity catalog."
        )
    if not totals["process_known"]:
        note += (
            " Some steps have no start times and no standard minutes, so their process time "
            "is unknown (C/T ?) and the ladder counts it as 0; without start times a "
            "triangle is the time from one step's end to the next step's end (elapsed), "
            "which includes that step's own work. Set standard minutes in the activity "
            "catalog to fill the gaps."
        )
    st.caption(note)
    chart_downloads(chart, f"vsm-{slug(offering)}", "vsm")
    return totals


def variants_table(cases: pl.DataFrame) -> None:
    frame = variants(cases.lazy(), by=()).head(15).collect()
    st.dataframe(
        frame.select(
            pl.col("variant_label").alias("Variant (steps in order)"),
            pl.col("cases").alias("Cases"),
            (pl.col("share") * 100).round(1).alias("Share (%)"),
            pl.col("completed_cases").alias("Completed"),
            (pl.col("lead_time_s_p50") / 86400).round(1).alias("Median lead time (d)"),
            (pl.col("lead_time_s_p85") / 86400).round(1).alias("p85 lead time (d)"),
        ),
        hide_index=True,
        column_config={"Variant (steps in order)": st.column_config.TextColumn(width="large")},
    )
    st.caption(
        f"The {frame.height} most frequent variants of {cases.height:,} cases; lead "
        "times are over each variant's completed cases."
    )


def steps_table(instances: pl.DataFrame) -> None:
    frame = steps(instances.lazy(), by=()).collect()
    total_wait = frame["wait_before_s_sum"].sum() or 1.0
    st.dataframe(
        frame.select(
            pl.col("activity").alias("Step"),
            pl.col("instances").alias("Instances"),
            pl.col("cases").alias("Cases"),
            (pl.col("process_time_s_p50") / 3600).round(2).alias("Median C/T (h)"),
            (pl.col("wait_before_s_p50") / 3600).round(1).alias("Median wait before (h)"),
            (pl.col("wait_before_s_p85") / 3600).round(1).alias("p85 wait before (h)"),
            (pl.col("wait_before_s_sum") / total_wait * 100)
            .round(1)
            .alias("Share of all waiting (%)"),
            (pl.col("pct_c_and_a") * 100).round(1).alias("%C&A"),
        ),
        hide_index=True,
    )
    st.caption("Every step of the offering, on the map or not.")
