"""Which paths do an offering's cases take, how often, and how long do they wait between steps?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.context import dashboard_context, filtered_view
from ui.process_map_screen import arrows_table, draw_process_map, map_controls
from ui.widgets import offering_picker

st.title("Process map")
d, filters = dashboard_context()
offering = offering_picker(filters.offerings, key="pm_offering")
working_time_caption(d, (offering,))
instances, cases = filtered_view(filters, (offering,))
view = map_controls(offering, filters.spec((offering,)), instances, cases)
draw_process_map(offering, view, instances, cases)
st.subheader("Every arrow on the map")
arrows_table(view, offering)
