"""Value stream dashboard: the router. Page config, navigation and the shared sidebar only."""

import streamlit as st

from ui.sidebar import render_sidebar

st.set_page_config(
    page_title="Value stream dashboard",
    page_icon=":material/conveyor_belt:",
    layout="wide",
)

pages = {
    "Dashboard": [
        st.Page("pages/health.py", title="Stream health", icon=":material/monitor_heart:",
                url_path="health", default=True),
        st.Page("pages/vsm.py", title="Value stream map", icon=":material/account_tree:",
                url_path="vsm"),
    ],
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
    ],
}
page = st.navigation(pages)
render_sidebar()
page.run()
