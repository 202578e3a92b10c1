"""Where does work wait, for how long, and which cases are waiting right now?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.context import dashboard_context, filtered_view
from ui.waits_screen import cases_waiting, slowest, spread, timeline, wait_overview
from ui.widgets import offering_picker

st.title("Waits")
d, filters = dashboard_context()
offering = offering_picker(filters.offerings, key="waits_offering")
working_time_caption(d, (offering,))
instances, cases = filtered_view(filters, (offering,))
st.subheader("Waiting before each step")
spec = filters.spec((offering,))
steps, unit, log = wait_overview(spec, offering, cases)
spread(spec, steps, unit, log)
st.subheader("Cases waiting now")
waiting = cases_waiting(spec, d.now_of(offering), cases, offering)
st.subheader("The slowest completed cases")
slow = slowest(spec, cases, offering)
st.subheader("One case, step by step")
timeline(instances, waiting, slow)
