"""Which stream did we agree to run, and how closely does work follow it?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.context import dashboard_context, filtered_view
from ui.future_state_screen import INTRO, conformance_view, editor, today_map
from ui.widgets import offering_picker

st.title("Future state")
st.caption(INTRO)
d, filters = dashboard_context()
offering = offering_picker(filters.offerings, key="fs_offering")
working_time_caption(d, (offering,))
filtered_view(filters, (offering,))  # says so and stops where no case is in view
spec = filters.spec((offering,))
map_steps = today_map(offering, spec)
st.subheader("The future state")
future = editor(offering, spec, map_steps)
if future is not None:
    st.subheader("How closely work follows it")
    conformance_view(offering, spec, future, map_steps)
