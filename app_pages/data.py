"""What is in the warehouse, and how do I load my own event log into it?"""

import streamlit as st

from ui.calendar_screen import calendar_screen
from ui.data_screens import catalog_screen, history_screen, remove_demo_button, upload_screen

st.title("Data")
st.caption(
    "Load event logs or what your tool exports (monday.com, Jira, GitHub, Trello, Linear, "
    "Asana, milestone spreadsheets), see what every import stored or rejected (and undo it), "
    "and tell the dashboard which steps add value, which statuses are waits and which end a case."
)
remove_demo_button()
upload, history, catalog, hours = st.tabs(
    ["Upload", "Import history", "Activity catalog", "Working time"]
)
with upload:
    upload_screen()
with history:
    history_screen()
with catalog:
    catalog_screen()
with hours:
    calendar_screen()
