"""Which of our value streams are healthy, and are they getting better or worse?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.context import dashboard_context, filtered_view
from ui.health_screen import health_frame, health_table, offering_tiles, period_of, trend

st.title("Stream health")
d, filters = dashboard_context()
working_time_caption(d, filters.offerings)
instances, cases = filtered_view(filters)
start, end, label = period_of(d, filters)
st.caption(
    f"Each offering's figures are over the {label}. The small figure under "
    "each number is the change against the period before: green is better, red is worse. "
    "Hover a number for its definition and how many cases it rests on."
)
rows = health_frame(d, instances, cases, start, end)
offering_tiles(rows)
st.subheader("All offerings")
st.dataframe(health_table(rows), hide_index=True)
st.subheader("Weekly median lead time")
trend(cases)
