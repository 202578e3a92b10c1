"""The Case page: one case in full. Where it is now, its timeline, its steps, its
attributes, the path it follows and how many others follow it.

The link names the case: `?p_offering=X&p_case=ID` (ui.drill.case_link). An id without
an offering is looked up in every offering; an unknown id gets the ids that contain or
resemble it, never unrelated cases.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from charts.waits import case_timeline_chart
from metrics.case_detail import case_attributes, case_steps, event_attributes
from metrics.selection import Selection, select_cases
from ui.cases_screen import listed_cases, where_now
from ui.chart_specs import built
from ui.context import empty_warehouse
from ui.drill import case_link, cases_link
from ui.format import duration_text, explain, in_unit, plain, share, table_unit, unit_label
from ui.resources import warehouse
from ui.views import Derived, derived, events_of
from ui.widgets import chart_downloads, csv_download, draw_chart, remember_offering, slug

MAX_PATH_STEPS = 30
"""A longer path is summarised by its length rather than written out."""


def _when(moment: datetime | None) -> str:
    return "an unknown time" if moment is None else f"{moment.day} {moment:%b %Y %H:%M}"


def chosen_case() -> tuple[Derived, dict[str, Any]]:
    """The case the link names (its case-table row), or a message and a stop."""
    d = derived()
    if d.cases.height == 0:
        empty_warehouse()
        st.stop()
    case_id = st.query_params.get("p_case", "").strip()
    offering = st.query_params.get("p_offering") or None
    if not case_id:
        st.info(
            "Which case? Open one from a list of cases (click a row), or type its id in "
            "**Find a case** in the sidebar.",
            icon=":material/timeline:",
        )
        st.page_link("app_pages/cases.py", label="Browse the cases", icon=":material/list:")
        st.stop()
    same_id = d.cases.filter(pl.col("case_id") == case_id)
    rows = same_id.filter(pl.col("offering") == offering) if offering else same_id
    if rows.height == 1:
        row = rows.row(0, named=True)
        st.query_params["p_offering"] = row["offering"]
        remember_offering(row["offering"])
        return d, row
    if rows.height > 1:
        st.title(f"Case {plain(case_id)}")
        st.info(f"{rows.height} offerings have a case {plain(case_id)}: which one?")
        for name in rows["offering"].sort().to_list():
            case_link(name, case_id, label=f"Case {case_id} of {name}")
        st.stop()
    _unknown(case_id, offering)
    st.stop()


def _unknown(case_id: str, offering: str | None) -> None:
    """No such case: say so, and offer the ids that contain or resemble the one asked for."""
    st.title("Case not found")
    where = f" in {plain(offering)}" if offering else ""
    st.error(f"There is no case {plain(case_id)}{where}.", icon=":material/search_off:")
    wh = warehouse()
    found = list(wh.find_case_ids(case_id, limit=10).select("offering", "case_id").iter_rows())
    found += [hit for hit in wh.closest_case_ids(case_id, offering) if hit not in found]
    if not found:
        st.markdown(f"No case id contains {plain(case_id)} or looks like it.")
        return
    st.markdown("**The closest case ids:**")
    for name, similar in found:
        case_link(name, similar, label=f"{similar} ({name})")


def where_it_is(d: Derived, case: dict[str, Any]) -> dict[str, Any]:
    """The headline: completed when and after how long, or open where, since when, how old."""
    sel = Selection(case["offering"], case_ids=(case["case_id"],))
    row = listed_cases(d, sel).row(0, named=True)
    now = d.now_of(case["offering"])
    st.title(f"Case {plain(case['case_id'])}")
    st.caption(f"Offering: {plain(case['offering'])}")
    if row["completed"]:
        text = (
            f"**Completed** on {_when(row['ended'])} UTC after **{duration_text(row['duration_s'])}**"
            f" (its lead time), in {row['n_instances']:,} steps."
        )
        if row["process_s"] is not None:
            text += (
                f" It waited {duration_text(row['wait_s'])} of that: flow efficiency "
                f"{share(row['flow_efficiency'])}."
            )
    else:
        place = where_now(row["state"], row["step"], row["step_kind"])
        if row["state"] == "after step":
            text = (
                f"**Open**: finished **{plain(row['step'])}** on {_when(row['since'])} UTC and has "
                f"waited {duration_text(row['idle_s'])} since for its next step."
            )
        else:
            text = (
                f"**Open**: {plain(place)} since {_when(row['since'])} UTC "
                f"({duration_text(row['idle_s'])})."
            )
        text += (
            f" Started {_when(row['first_start'])} UTC, **{duration_text(row['duration_s'])}** "
            f"ago; times run to {_when(now)} UTC, the latest event of {plain(case['offering'])}."
        )
    if row["process_s"] is None and row["n_instances"]:
        text += (
            " Its work time is unknown: a step has no start time and no standard minutes in "
            "the activity catalog."
        )
    st.markdown(text, help=explain("lead_time" if row["completed"] else "aging"))
    return row


def figures(row: dict[str, Any], steps: pl.DataFrame) -> None:
    """Four tiles: lead time or age, waiting, flow efficiency, steps and repeats."""
    done = row["completed"]
    so_far = "" if done else " so far"
    cols = st.columns(4)
    cols[0].metric(
        "Lead time" if done else "Age",
        duration_text(row["duration_s"]),
        help=explain("lead_time") if done else explain("aging"),
    )
    cols[1].metric("Waiting" + so_far, duration_text(row["wait_s"]), help=explain("wait_time"))
    cols[2].metric(
        "Flow efficiency" + so_far,
        share(row["flow_efficiency"]),
        help=explain("flow_efficiency"),
    )
    repeats = int(steps["is_rework"].sum()) if steps.height else 0
    cols[3].metric(
        "Steps",
        f"{steps.height:,}",
        help=explain("rework"),
        delta=f"{repeats:,} repeated" if repeats else None,
        delta_color="off",
        delta_arrow="off",
    )


def _open_period(row: dict[str, Any], now: datetime | None) -> pl.DataFrame | None:
    if row["completed"] or now is None or row["since"] is None:
        return None
    waiting = row["state"] == "after step" or row["step_kind"] == "waiting"
    return pl.DataFrame(
        {
            "label": [f"now: {where_now(row['state'], row['step'], row['step_kind'])}"],
            "activity": [row["step"]],
            "from": [row["since"]],
            "to": [now],
            "waiting": [waiting],
        }
    )


def timeline(d: Derived, case: dict[str, Any], row: dict[str, Any]) -> pl.DataFrame:
    """The Gantt of the case's steps and waits, up to now while it is open."""
    steps = case_steps(d.instances.lazy(), case["offering"], case["case_id"]).collect()
    figures(row, steps)
    now = d.now_of(case["offering"])
    if steps.height == 0 and row["completed"]:
        return steps
    tail = _open_period(row, now)
    chart = built(
        case_timeline_chart, steps, open_period=tail, now=None if row["completed"] else now
    )
    draw_chart(chart, width="stretch")
    st.caption(
        "Each row is a step in the order the case did it. Amber is waiting: the wait before "
        "a step on its row, and time in a waiting status in a paler amber (the same time, "
        "counted once, as the wait before the next step). Coloured bars are the work, by the "
        "step's value class; a diamond marks a step with no start time, or one that took no time."
        + (
            " The last row is where the case is now, up to the latest event (dashed line)."
            if tail is not None
            else ""
        )
    )
    title = f"Case {case['case_id']}: {case['offering']}"
    export = partial(chart.properties, width=820, title=title)  # built when downloaded
    chart_downloads(export, f"case-{slug(case['case_id'])}", "case_timeline")
    return steps


_KINDS = {"work": "work", "waiting": "waiting status", "done": "done"}


def step_table(case: dict[str, Any], row: dict[str, Any], steps: pl.DataFrame) -> None:
    """The steps in order: when, the wait before, the work, who, what kind, repeated."""
    if steps.height == 0:
        st.info("This case has no finished step yet: its item has not left its first status.")
        return
    unit = table_unit(steps, ["wait_before_s", "process_s"])
    waiting_kind = pl.col("kind") == "waiting"
    table = steps.select(
        pl.col("seq").alias("#"),
        pl.col("activity").alias("Step"),
        pl.col("kind").replace_strict(_KINDS, default=pl.col("kind")).alias("Kind"),
        pl.when(pl.col("start_known"))
        .then(pl.col("start").dt.strftime("%Y-%m-%d %H:%M"))
        .otherwise(pl.lit("unknown"))
        .alias("Started"),
        pl.col("end").dt.strftime("%Y-%m-%d %H:%M").alias("Ended"),
        in_unit("wait_before_s", unit).alias(unit_label("Wait before", unit)),
        pl.when(~waiting_kind)
        .then(in_unit("process_s", unit))
        .alias(unit_label("Process time", unit)),
        pl.col("resource").alias("Resource"),
        pl.col("is_rework").alias("Rework"),
    )
    st.dataframe(
        table,
        hide_index=True,
        key="case_steps_table",
        placeholder="–",
        height=min(36 + 35 * table.height, 36 + 35 * 30),
        column_config={
            unit_label("Wait before", unit): st.column_config.NumberColumn(
                help=explain("wait_before_step"), format="%.1f"
            ),
            unit_label("Process time", unit): st.column_config.NumberColumn(
                help=explain("step_process_time"), format="%.1f"
            ),
            "Rework": st.column_config.CheckboxColumn(help=explain("rework")),
        },
    )
    note = (
        f"Durations in {unit}. A waiting status has no process time: its time is in the "
        "wait before the next work step."
        if (steps["kind"] == "waiting").any()
        else f"Durations in {unit}."
    )
    if not steps["start_known"].all():
        note += (
            " Where a step has no start time, its wait before is the time since the step "
            "before it ended, which includes its own work (elapsed)."
        )
    if not row["completed"]:
        place = where_now(row["state"], row["step"], row["step_kind"])
        note += f" Now: {plain(place)} since {_when(row['since'])} UTC."
    st.caption(note)
    csv_download(table, f"case-{slug(case['case_id'])}-steps", "case_steps_csv")


def attributes(d: Derived, case: dict[str, Any], steps: pl.DataFrame) -> None:
    """The case's attributes; those that change from step to step, per step."""
    events = events_of(case["offering"], case["case_id"])
    values = event_attributes(events)
    if values.height == 0:
        st.caption("The events of this case carry no other columns.")
        return
    constant, changing = case_attributes(steps.lazy(), values.lazy())
    fixed = constant.collect()
    if fixed.height:
        n = steps.height
        st.dataframe(
            fixed.select(
                pl.col("attribute").alias("Attribute"),
                pl.col("value").alias("Value"),
                pl.when(pl.col("steps") == n)
                .then(pl.lit(f"all {n} steps" if n > 1 else "its step"))
                .otherwise(pl.format("{} of {} steps", pl.col("steps"), pl.lit(n)))
                .alias("Recorded on"),
            ),
            hide_index=True,
            key="case_attributes_table",
        )
    per_step = changing.collect()
    if per_step.height:
        st.markdown("**Values that change from step to step**")
        wide = per_step.pivot(on="attribute", index=["seq", "activity"], values="value")
        st.dataframe(
            wide.rename({"seq": "#", "activity": "Step"}),
            hide_index=True,
            key="case_attributes_per_step",
            placeholder="–",
        )


def variant(d: Derived, case: dict[str, Any]) -> None:
    """The path the case follows, and the other cases that follow exactly the same one."""
    path = tuple(case["variant"])
    if not path:
        st.markdown("No step finished yet, so no path so far.")
        return
    offering = case["offering"]
    written = (
        " → ".join(plain(s) for s in path)
        if len(path) <= MAX_PATH_STEPS
        else f"a path of {len(path)} steps"
    )
    st.markdown(f"Its steps: {written}", help=explain("variant"))
    sel = Selection(offering, variant=path)
    same = select_cases(d.instances.lazy(), d.cases.lazy(), sel).collect().height
    everyone = int((d.cases["offering"] == offering).sum())
    others = same - 1
    if others == 0:
        st.markdown(f"No other case of {plain(offering)} follows exactly these steps.")
        return
    st.markdown(
        f"**{others:,} other case{'s' if others != 1 else ''}** of {plain(offering)} follow"
        f"{'' if others != 1 else 's'} exactly these steps: with this one, "
        f"{share(same / everyone, 1 if same / everyone < 0.1 else 0)} of its {everyone:,} cases."
    )
    cases_link(f"Open the {same:,} cases that follow these steps", sel)


def links_back(case: dict[str, Any]) -> None:
    """The offering's other pages, on this offering."""
    offering = case["offering"]
    st.subheader(f"More on {plain(offering)}")
    on = {"p_offering": offering}
    with st.container(horizontal=True, gap="medium"):
        st.page_link(
            "app_pages/vsm.py",
            label="Value stream map",
            icon=":material/account_tree:",
            query_params=on,
        )
        st.page_link(
            "app_pages/process_map.py",
            label="Process map",
            icon=":material/share:",
            query_params=on,
        )
        st.page_link(
            "app_pages/waits.py", label="Waits", icon=":material/hourglass_top:", query_params=on
        )
        cases_link(f"Every case of {offering}", Selection(offering))
