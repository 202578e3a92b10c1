"""The future state an experiment tries: its field in the experiment form, and one compact
block on the experiment's page with the share of cases that followed it before and after.

The cases are the experiment's own windows (metrics.windows.Windows, the same as its
comparison): completed cases that started in the days before the change and in the
days after it (metrics.conformance.conformance_before_after).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import streamlit as st

from metrics.conformance import FutureState, conformance_before_after, future_state_problems
from metrics.significance import ALPHA
from metrics.windows import Windows
from ui.format import day_text, explain, plain, share
from ui.resources import data_version, warehouse
from ui.views import derived
from warehouse import WarehouseError
from warehouse.future_states import StoredFutureState, future_states, get_future_state

KEY = "edit_future_state"
"""The form field's widget key; its value is a saved future-state version's id, or None."""


def future_state_field(offering: str) -> None:
    """A choice of the offering's saved future states (every version) in the experiment form."""
    frame = future_states(warehouse(), offering)
    labels: dict[int | None, str] = {None: "None"}
    for row in frame.iter_rows(named=True):
        labels[row["id"]] = f"{row['name']} (version {row['version']}, {day_text(row['saved_at'])})"
    if st.session_state.get(KEY) not in labels:
        st.session_state[KEY] = None
    st.selectbox(
        "Future state it tries",
        list(labels),
        key=KEY,
        format_func=labels.__getitem__,
        help="The future state this change works towards (saved on the Future state page): the "
        "page then shows how many cases followed it before and after the change.",
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _before_after(
    path: str,
    version: str,
    document: str,
    offering: str,
    change: datetime,
    before_days: int,
    after_days: int,
    data_end: datetime,
) -> dict[str, Any]:
    d = derived()
    future = FutureState.from_json(json.loads(document))
    w = Windows(change=change, before_days=before_days, after_days=after_days, data_end=data_end)
    return conformance_before_after(d.instances.lazy(), d.cases.lazy(), future, offering, w)


def _stored(future_state_id: int) -> StoredFutureState | None:
    try:
        return get_future_state(warehouse(), future_state_id)
    except WarehouseError:
        return None


def future_state_block(experiment: dict[str, Any], w: Windows) -> None:
    """How many of the experiment's cases followed its future state before and after."""
    fs_id = experiment.get("future_state_id")
    if fs_id is None:
        st.caption(
            "This experiment names no future state. Choose one under **Edit or delete this "
            "experiment** to see how many cases followed it before and after the change."
        )
        return
    stored = _stored(int(fs_id))
    if stored is None or future_state_problems(stored.definition):
        st.caption(f"The future state #{fs_id} this experiment named is no longer there.")
        return
    wh = warehouse()
    figures = _before_after(
        str(wh.path),
        data_version(wh),
        json.dumps(stored.definition, sort_keys=True),
        experiment["offering"],
        w.change,
        w.before_days,
        w.after_days,
        w.data_end,
    )
    before, after = figures["before"], figures["after"]
    with st.container(border=True):
        st.markdown(
            f"**Following the future state “{plain(stored.name)}”** (version {stored.version})"
        )
        cols = st.columns([1, 1, 2])
        cols[0].metric(
            "Before the change",
            share(before["conforming_share"]),
            help=explain(
                "conforming_share",
                before["cases"],
                extra=f"{before['conforming']:,} of the {before['cases']:,} completed cases that "
                f"started in the {w.before_days} days before the change.",
            ),
        )
        p = figures["p_value"]
        clear = p is not None and p < ALPHA
        difference = figures["difference"]
        cols[1].metric(
            "After",
            share(after["conforming_share"]),
            delta=None if difference is None else f"{difference * 100:+.0f} pts",
            delta_color="normal" if clear else "off",
            help=explain(
                "conforming_share",
                after["cases"],
                extra=f"{after['conforming']:,} of the {after['cases']:,} completed cases that "
                f"started in the {w.after_days} days after the change.",
            ),
        )
        top = after["deviations"][:1] or before["deviations"][:1]
        with cols[2]:
            if p is not None:
                st.caption(
                    f"Two-proportion test p = {p:.3f}: "
                    + ("a clear change." if clear else "the difference could be chance.")
                )
            if top:
                side = "after" if after["deviations"] else "before"
                st.caption(
                    f"What breaks it most often {side} the change: {top[0]['kind']} "
                    f"{plain(top[0]['step'])} ({top[0]['cases']:,} cases)."
                )
            st.page_link(
                "app_pages/future_state.py",
                label="Open the future state",
                icon=":material/flag:",
                query_params={"p_offering": experiment["offering"]},
            )
