"""Is work flowing: how much is in progress, does it arrive faster than it is finished,
and how often does it go through right the first time?"""

import streamlit as st

from ui.context import dashboard_context, filtered_view
from ui.flow_screen import arrivals, first_time_right, littles_law_check, work_in_progress
from ui.format import plain
from ui.widgets import offering_picker

st.title("Flow")
d, filters = dashboard_context()
offering = offering_picker(filters.offerings, key="flow_offering")
_, cases = filtered_view(filters, (offering,))
st.caption(plain(f"{filters.describe().capitalize()}; {cases.height:,} cases of {offering}."))
spec = filters.spec((offering,))
st.subheader("Work in progress")
work_in_progress(offering, spec, sorted(d.cases["offering"].unique().to_list()))
st.subheader("Arrivals and completions")
arrivals(offering, spec)
st.subheader("Little's law")
littles_law_check(offering, spec)
st.subheader("Right the first time")
first_time_right(offering, spec)
