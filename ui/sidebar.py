"""The sidebar every page shares: which warehouse, how much is in it, and whether it is demo data."""

from __future__ import annotations

import streamlit as st

from ui.case_search import case_search
from ui.resources import warehouse
from ui.signin import account_box
from ui.views import warehouse_facts


def render_sidebar() -> None:
    wh = warehouse()
    with st.sidebar:
        st.markdown("### Value stream dashboard")
        account_box()
        facts = warehouse_facts()
        count, offerings, bounds = facts.events, facts.offerings, facts.span
        span = f", {bounds[0]:%-d %b %Y} to {bounds[1]:%-d %b %Y}" if bounds else ""
        st.caption(
            f"Warehouse `{wh.path.name}`: {count:,} activity instances in "
            f"{len(offerings)} offering{'s' if len(offerings) != 1 else ''}{span}."
        )
        if offerings:
            case_search(wh)
        if facts.demo:
            st.info(
                "**Demo data.** A made-up contract manufacturer (custom formulation, private "
                "label fulfillment, reverse engineering). To see your own streams, upload an "
                "event log on the **Data** page and remove the demo there.",
                icon=":material/science:",
            )
        elif count == 0 and not offerings:
            st.warning(
                "The warehouse is empty. Upload an event log on the **Data** page, or load "
                "the demo from **Stream health**.",
                icon=":material/inbox:",
            )
