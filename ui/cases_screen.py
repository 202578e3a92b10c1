"""The Cases page: the cases behind a figure (a `Selection` carried in the link), as a
sortable, downloadable list; a click on a row opens that case's timeline.

A drill-down shows exactly the cases of the number it came from, so the sidebar's
filters do not apply here; the link alone says which cases these are, and can be shared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import polars as pl
import streamlit as st

from metrics.case_detail import CASE_LIST_SCHEMA, case_list
from metrics.selection import PARAMS, Selection, select_cases
from ui.context import empty_warehouse
from ui.drill import cases_link, open_case
from ui.format import explain, in_unit, plain, table_unit, unit_label
from ui.resources import data_version, open_warehouse, warehouse
from ui.tables import CELL_PADDING, CHAR_PX, MAX_ROWS, PAGE_WIDTH, ROW_PICKER
from ui.views import Derived, current_at, derived, offerings_of
from ui.widgets import csv_download, remember_offering, remembered_offering, slug
from warehouse.mapped import folder_of, held

SETS: dict[str, bool | None] = {"All cases": None, "Open": False, "Completed": True}
_SEEN = "_cases_link_seen"


@st.cache_resource(show_spinner=False, max_entries=2)
def _states(path: str, version: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The open items (which status each unfinished item is in) and the activity catalog."""
    wh = open_warehouse(path)
    return wh.open_items(), wh.catalog()


@st.cache_resource(show_spinner="Finding the cases...", max_entries=8)
def _listed(path: str, version: str, sel: Selection, _d: Derived) -> pl.DataFrame:
    """The cases `sel` names as case_list rows, longest first (cached per data version)."""
    chosen = select_cases(_d.instances.lazy(), _d.cases.lazy(), sel)
    now = _d.now_of(sel.offering)
    if now is None:
        return pl.DataFrame(schema=CASE_LIST_SCHEMA)
    items, catalog = _states(path, version)
    frame = case_list(chosen, now, items.lazy(), catalog.lazy(), clock=_d.clock)
    listed = frame.sort(["duration_s", "case_id"], descending=[True, False], nulls_last=True)
    return held(listed.collect(), folder_of(path))


def read_ahead(path: str) -> int:
    """The list the Cases page opens on (every case of the first offering), ahead of the
    page (ui.serve does it once the server is up): half a second of its first run at ten
    million events. Returns how many cases it listed."""
    version, d = current_at(path)
    offerings = offerings_of(d)
    return _listed(path, version, Selection(offerings[0]), d).height if offerings else 0


def listed_cases(d: Derived, sel: Selection) -> pl.DataFrame:
    """The cases of `sel` (metrics.case_detail.CASE_LIST_SCHEMA), longest first."""
    wh = warehouse()
    return _listed(str(wh.path), data_version(wh), sel, d)


def where_now(state: str, step: str | None, kind: str | None) -> str:
    """'completed', 'in “Review”', 'waiting in “To Do”', 'waiting after Quote': a status
    is quoted, so 'in “In Progress”' reads as a place."""
    if state == "completed":
        return "completed"
    if state == "in status":
        return f"waiting in “{step}”" if kind == "waiting" else f"in “{step}”"
    return f"waiting after {step}" if step else "not started"


def _where_now_expr() -> pl.Expr:
    """`where_now` for every row of a case list."""
    step, kind = pl.col("step"), pl.col("step_kind")
    return (
        pl.when(pl.col("state") == "completed")
        .then(pl.lit("completed"))
        .when((pl.col("state") == "in status") & (kind == "waiting"))
        .then(pl.format("waiting in “{}”", step))
        .when(pl.col("state") == "in status")
        .then(pl.format("in “{}”", step))
        .when(step.is_not_null())
        .then(pl.format("waiting after {}", step))
        .otherwise(pl.lit("not started"))
    )


def _stamp(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%d %H:%M")


def duration_header(listed: pl.DataFrame) -> str:
    """'Lead time' when every case is completed, 'Age' when every one is open, else both."""
    done = listed["completed"]
    return "Lead time" if done.all() else "Age" if not done.any() else "Lead time or age"


def list_table(listed: pl.DataFrame, unit: str, rows: int | None = None) -> pl.DataFrame:
    """The list as shown and downloaded: one duration unit, dates that sort as text; the
    time an open case has been where it is now only when some case is open. `rows`: only
    the first so many rows, with the columns of the whole list."""
    columns = [
        pl.col("case_id").alias("Case"),
        _stamp("first_start").alias("Started"),
        pl.when(pl.col("completed")).then(_stamp("ended")).otherwise(pl.lit("open")).alias("Ended"),
        in_unit("duration_s", unit).alias(unit_label(duration_header(listed), unit)),
        in_unit("wait_s", unit).alias(unit_label("Waiting", unit)),
        (pl.col("flow_efficiency") * 100).round(0).alias("Flow efficiency (%)"),
        _where_now_expr().alias("Where it is now"),
        in_unit("idle_s", unit).alias(unit_label("For", unit)),
        pl.col("n_instances").alias("Steps done"),
        pl.col("has_rework").alias("Rework"),
    ]
    if listed["completed"].all():
        columns.pop(7)
    return (listed if rows is None else listed.head(rows)).select(columns)


def _link_params() -> dict[str, str]:
    return {k: st.query_params[k] for k in st.query_params if k in PARAMS}


def _plain(sel: Selection) -> bool:
    """A selection the picker can make: an offering, and maybe open or completed only."""
    return sel == Selection(sel.offering, completed=sel.completed)


def chosen_selection() -> tuple[Derived, Selection, bool]:
    """The selection of the link; without one (or a malformed one), the picker's (then
    the flag is true)."""
    d = derived()
    if d.cases.height == 0:
        empty_warehouse()
        st.stop()
    offerings = offerings_of(d)
    params = _link_params()
    sel = Selection.from_params(params)
    if sel is None and params:
        st.warning(
            "This link's list of cases could not be read (a date, a flag or a step in it is "
            "not valid), so here is every case to choose from instead.",
            icon=":material/link_off:",
        )
    elif sel is not None and sel.offering not in offerings:
        st.warning(
            f"There is no offering named {plain(sel.offering)} in this warehouse (any more): "
            "choose one below.",
            icon=":material/link_off:",
        )
        sel = None
    picked = sel is None or _plain(sel)
    if sel is None or picked:
        sel = _picker(offerings, sel, params)
    else:
        cases_link(
            f"Every case of {sel.offering}",
            Selection(sel.offering),
            help="Browse all the cases of this offering instead.",
        )
    remember_offering(sel.offering)
    return d, sel, picked


def _picker(offerings: list[str], sel: Selection | None, params: Mapping[str, str]) -> Selection:
    """Offering and all / open / completed; a new link seeds them, the user's clicks win."""
    ss = st.session_state
    if ss.get(_SEEN) != params or ss.get("cases_offering") not in offerings:
        last = remembered_offering()
        ss["cases_offering"] = sel.offering if sel else last if last in offerings else offerings[0]
        ss["cases_set"] = next(k for k, v in SETS.items() if v == (sel.completed if sel else None))
    left, right = st.columns([2, 3])
    offering = left.selectbox("Offering", offerings, key="cases_offering")
    which = right.segmented_control(
        "Cases", list(SETS), key="cases_set", help="Open cases have not reached an end step yet."
    )
    chosen = Selection(str(offering), completed=SETS[which or "All cases"])
    new = chosen.to_params()
    others = {k: st.query_params.get_all(k) for k in st.query_params if k not in PARAMS}
    st.query_params.from_dict({**others, **new})
    ss[_SEEN] = new
    return chosen


def case_list_view(d: Derived, sel: Selection, picked: bool) -> None:
    """The sentence saying which cases these are, the table, the CSV; a click opens a case."""
    listed = listed_cases(d, sel)
    n = listed.height
    if n == 0:
        st.info(f"No case: there are no {plain(sel.describe())}.", icon=":material/search_off:")
        return
    done = int(listed["completed"].sum())
    mix = f" {done:,} completed, {n - done:,} still open." if 0 < done < n else ""
    st.markdown(
        f"**{n:,} case{'s' if n != 1 else ''}**: the {plain(sel.describe())}.{mix}",
        help=explain("completed", n),
    )
    durations = ["duration_s", "wait_s", "idle_s"]
    unit = table_unit(listed, durations)
    # Only the rows shown are written out on each run (every date as text: half a second
    # for two million cases); the CSV writes the rest when downloaded.
    shown = list_table(listed, unit, rows=MAX_ROWS)
    now = d.now_of(sel.offering)
    origin = (
        "The sidebar's filters do not apply here."
        if picked
        else "Exactly the cases of the figure you came from: the sidebar's filters do not "
        "apply here."
    )
    about = (
        "Each completed case shows its lead time, waiting and flow efficiency."
        if done == n
        else "An open case shows its age, and its waiting and flow efficiency so far, up to "
        f"{_when(now)}, the latest event of {plain(sel.offering)}; *For* is how long it has "
        "been where it is now."
    )
    st.caption(f"{origin} Durations in {unit}. {about} Click a row to open that case's timeline.")
    if n > MAX_ROWS:
        st.caption(
            f"Showing the {MAX_ROWS:,} longest of the {n:,} cases; the CSV holds all of them."
        )
    event = st.dataframe(
        shown,
        hide_index=True,
        key="cases_table",
        on_select="rerun",
        selection_mode="single-row",
        placeholder="–",
        height=min(36 + 35 * shown.height, 640),
        column_config=_columns(
            unit,
            duration_header(listed),
            unit_label("For", unit) in shown.columns,
            case_width(shown["Case"]),
        ),
    )
    rows = event.selection.rows
    if rows:
        open_case(sel.offering, str(shown["Case"][rows[0]]))
    csv_download(lambda: list_table(listed, unit), f"cases-{slug(sel.offering)}", "cases_csv")


SHORT_DURATION = {"Lead time": "Lead time", "Age": "Age", "Lead time or age": "Lead or age"}
"""The duration column's header as shown (its help says it in full; the CSV keeps it whole)."""

WIDTHS = {
    "Case": 84,
    "Started": 110,
    "Ended": 110,
    "duration": 96,
    "Waiting": 76,
    "Flow efficiency (%)": 84,
    "For": 58,
    "Steps done": 56,
    "Rework": 64,
}
"""Column widths in px: with the row picker and "Where it is now" taking the rest, every
column shows at a 1440 px window (ui.tables.PAGE_WIDTH). The case column is at least as
wide as its entry here, wider for longer ids (`case_width`)."""

MAX_CASE_WIDTH = 150
"""The widest the case column grows (an id of 17 characters, `CF-2025-210600` and
`org/repo#12345` in full), so that "Where it is now" keeps room for its step's name."""


def case_width(ids: pl.Series) -> int:
    """The case column's width in px: the longest id shown in full, between the column's
    own width (WIDTHS) and MAX_CASE_WIDTH."""
    longest = ids.cast(pl.String).str.len_chars().max()
    if not isinstance(longest, int):  # no rows
        longest = 0
    return min(max(WIDTHS["Case"], math.ceil(longest * CHAR_PX + CELL_PADDING)), MAX_CASE_WIDTH)


def _where_width(has_for: bool, case: int) -> int:
    taken = sum(w for c, w in WIDTHS.items() if (has_for or c != "For") and c != "Case")
    return PAGE_WIDTH - ROW_PICKER - taken - case - 4


def _columns(unit: str, duration: str, has_for: bool, case: int) -> dict[str, Any]:
    stamp = "as YYYY-MM-DD hh:mm, UTC"
    return {
        "Case": st.column_config.TextColumn(width=case),
        "Started": st.column_config.TextColumn(
            help=f"When the case's first step started (or ended, without a start), {stamp}.",
            width=WIDTHS["Started"],
        ),
        "Ended": st.column_config.TextColumn(
            help=f"When the case's last step ended, {stamp}; *open* while it has not reached "
            "an end step.",
            width=WIDTHS["Ended"],
        ),
        unit_label(duration, unit): st.column_config.NumberColumn(
            unit_label(SHORT_DURATION[duration], unit),
            help=f"**{duration}** ({unit}). "
            + explain("lead_time")
            + " For an open case, its age: the offering's latest event − the case's first start.",
            format="%.1f",
            width=WIDTHS["duration"],
        ),
        unit_label("Waiting", unit): st.column_config.NumberColumn(
            help=explain("wait_time") + " So far, for an open case.",
            format="%.1f",
            width=WIDTHS["Waiting"],
        ),
        "Flow efficiency (%)": st.column_config.NumberColumn(
            "Flow eff. (%)",
            help="**Flow efficiency** (%). "
            + explain("flow_efficiency")
            + " So far, for an open case.",
            width=WIDTHS["Flow efficiency (%)"],
        ),
        "Where it is now": st.column_config.TextColumn(width=_where_width(has_for, case)),
        unit_label("For", unit): st.column_config.NumberColumn(
            help="How long an open case has been where it is now.",
            format="%.1f",
            width=WIDTHS["For"],
        ),
        "Steps done": st.column_config.NumberColumn(
            "Steps",
            help="**Steps done**: how many steps the case has recorded so far, a repeated "
            "step counted each time.",
            width=WIDTHS["Steps done"],
        ),
        "Rework": st.column_config.CheckboxColumn(help=explain("rework"), width=WIDTHS["Rework"]),
    }


def _when(moment: datetime | None) -> str:
    return "–" if moment is None else f"{moment.day} {moment:%b %Y %H:%M} UTC"
