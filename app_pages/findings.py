"""What stands out in this value stream, and which of it is real and worth acting on?"""

import streamlit as st

from ui.context import dashboard_context
from ui.findings_screen import INTRO, findings_page
from ui.widgets import offering_picker

st.title("Findings")
st.caption(INTRO)
d, filters = dashboard_context()
offering = offering_picker(filters.offerings, key="findings_offering")
findings_page(offering)
