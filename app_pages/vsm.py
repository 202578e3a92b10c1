"""Where does the time go, step by step, from first contact to invoice?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.context import dashboard_context, filtered_view
from ui.vsm_screen import MapView, draw_map, steps_table, variants_table
from ui.widgets import offering_picker

st.title("Value stream map")
d, filters = dashboard_context()
offering = offering_picker(filters.offerings, key="vsm_offering")
working_time_caption(d, (offering,))
instances, cases = filtered_view(filters, (offering,))
view = MapView(offering, instances, cases, filters)
stream = draw_map(view)
st.subheader("Variants")
variants_table(view)
st.subheader("Every step")
steps_table(view, stream)
