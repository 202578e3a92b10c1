"""What is in the warehouse, and how do I load my own event log into it?"""

import streamlit as st

from ui.admin_screens import audit_screen, people_screen
from ui.calendar_screen import calendar_screen
from ui.data_screens import catalog_screen, history_screen, remove_demo_button, upload_screen

st.title("Data")
st.caption(
    "Load event logs or what your tool exports (monday.com, Jira, GitHub, Trello, Linear, "
    "Asana, milestone spreadsheets), see what every import stored or rejected (and undo it), "
    "and tell the dashboard which steps add value, which statuses are waits and which end a "
    "case; who may change what, and who changed what."
)
remove_demo_button()
upload, history, catalog, hours, people, audit = st.tabs(
    [
        "Upload",
        "Import history",
        "Activity catalog",
        "Working time",
        "People and roles",
        "Audit trail",
    ]
)
with upload:
    upload_screen()
with history:
    history_screen()
with catalog:
    catalog_screen()
with hours:
    calendar_screen()
with people:
    people_screen()
with audit:
    audit_screen()
