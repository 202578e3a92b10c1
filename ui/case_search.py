"""Find a case from anywhere: a box in the shared sidebar where a typed case id opens
that case, and part of an id lists the ids that contain it.

Only ids that contain what was typed are ever offered (ignoring case): an id that
matches exactly opens at once; otherwise at most MAX_SHOWN of the others, exact ones
first. The warehouse answers (Warehouse.find_case_ids), cached per data version, so no
page loads every event to search.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from ui.drill import case_link, open_case
from ui.format import plain
from ui.resources import data_version, open_warehouse
from warehouse import Warehouse

MAX_SHOWN = 20
KEY = "case_search"
_GO = "_case_search_go"


@st.cache_data(show_spinner=False, max_entries=64)
def _matches(path: str, version: str, text: str) -> pl.DataFrame:
    return open_warehouse(path).find_case_ids(text, MAX_SHOWN)


def _submitted() -> None:
    st.session_state[_GO] = True


def case_search(wh: Warehouse) -> None:
    """The sidebar's "Find a case" box and what it found (call inside `st.sidebar`)."""
    ss = st.session_state
    text = str(ss.get(KEY) or "").strip()
    found = _matches(str(wh.path), data_version(wh), text) if text else None
    exact = found.filter(pl.col("exact")) if found is not None else None
    if ss.pop(_GO, False) and exact is not None and exact.height == 1:
        # Opened: empty the box so the next page does not open the case again.
        ss[KEY] = ""
        open_case(exact["offering"][0], exact["case_id"][0])
    st.text_input(
        "Find a case",
        key=KEY,
        on_change=_submitted,
        placeholder="Case id, or part of it",
        help="Type a case id and press Enter: the case opens, whatever its offering. "
        "Part of an id lists the case ids that contain it.",
        icon=":material/search:",
    )
    if found is None:
        return
    if found.height == 0:
        st.caption(f"No case id contains “{plain(text)}”.")
        return
    total = int(found["total"][0])
    more = total - found.height
    head = (
        f"{total:,} case ids contain “{plain(text)}”"
        if total > 1
        else f"One case id contains “{plain(text)}”"
    )
    st.caption(head + (f"; the first {found.height}: type more of the id." if more else ":"))
    for offering, case_id in found.select("offering", "case_id").iter_rows():
        case_link(offering, case_id, label=f"{case_id} · {offering}")
