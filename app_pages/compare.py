"""How do our offerings compare: which is fastest, most efficient, least reworked, and busiest?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.compare_screen import (
    efficiency_and_rework,
    lead_times,
    period_label,
    score,
    scorecard_table,
    throughput,
    window,
)
from ui.context import dashboard_context, filtered_view

st.title("Compare offerings")
d, filters = dashboard_context()
working_time_caption(d, filters.offerings)
instances, cases = filtered_view(filters)
start, end = window(filters)
card = score(instances, cases, start, end)
st.markdown(
    f"The offerings in view side by side ({filters.describe()}). Every chart puts them "
    "on one scale."
)
st.subheader("Scorecard")
scorecard_table(card, period_label(card, start, end))
st.subheader("Lead time")
lead_times(cases, card)
st.subheader("Efficiency and rework")
efficiency_and_rework(card)
st.subheader("Weekly throughput")
throughput(cases, start, end)
