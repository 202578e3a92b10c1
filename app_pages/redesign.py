"""What would removing a step, running two in parallel or waiting less buy us?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.context import dashboard_context, filtered_view
from ui.format import plain
from ui.redesign_screen import INTRO, change_picker, chosen_changes, projection, projection_view
from ui.widgets import offering_picker

st.title("Redesign")
st.caption(INTRO)
d, filters = dashboard_context()
offering = offering_picker(filters.offerings, key="rd_offering")
working_time_caption(d, (offering,))
instances, cases = filtered_view(filters, (offering,))
if not cases["completed"].any():
    st.info(
        f"No case of {plain(offering)} in view has completed yet: a redesign is projected onto "
        "completed cases. Widen the time window in the sidebar.",
        icon=":material/hourglass_empty:",
    )
    st.stop()
changes = chosen_changes(offering)
p = projection(filters.spec((offering,)), changes, offering in d.calendars)
change_picker(offering, p, changes)
st.subheader("Projected map")
projection_view(offering, p, changes)
