"""How do our offerings compare: which is fastest, most efficient, least reworked, and busiest?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.compare_screen import (
    bounds_of,
    case_links,
    efficiency_and_rework,
    lead_times,
    period_label,
    score,
    scorecard_table,
    throughput,
)
from ui.context import dashboard_context, filtered_view
from ui.format import plain

st.title("Compare offerings")
d, filters = dashboard_context()
working_time_caption(d, filters.offerings)
_, cases = filtered_view(filters)
bounds = bounds_of(filters)
card = score(filters, cases)
everyone = sorted(d.cases["offering"].unique().to_list())
st.markdown(
    f"The offerings in view side by side ({plain(filters.describe())}). Every chart puts them "
    "on one scale, and each offering keeps its colour on every page."
)
st.subheader("Scorecard")
scorecard_table(card, period_label(bounds, filters), filters.has_window)
case_links(card, bounds)
st.subheader("Lead time")
lead_times(filters, cases, card, everyone)
st.subheader("Efficiency and rework")
efficiency_and_rework(card, everyone)
st.subheader("Weekly throughput")
throughput(filters, everyone)
