"""Value stream dashboard: the router. Page config, navigation and the shared sidebar only."""

import streamlit as st

from ui.sidebar import render_sidebar

st.set_page_config(
    page_title="Value stream dashboard",
    page_icon=":material/conveyor_belt:",
    layout="wide",
)

pages = {
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
    ],
}
page = st.navigation(pages)
render_sidebar()
page.run()
