"""Value stream dashboard: the router. Page config, navigation and the shared sidebar only."""

# ruff: noqa: E402 (the allocator's setting comes before any import that may load polars)

from ui.serve import return_freed_memory

# As `python -m ui.serve` does first: under `streamlit run app.py` polars is not loaded
# before this line, and its allocator reads the setting when it starts.
return_freed_memory()

import streamlit as st

from ui.pending import figures_pending
from ui.resources import page_run, spare_the_collector, warm_up
from ui.sidebar import render_sidebar
from ui.signin import require_sign_in
from ui.views import FiguresPending
from ui.widgets import check_charts_as_set

st.set_page_config(
    page_title="Value stream dashboard",
    # An emoji: Streamlit draws it as a data: URL, where a Material icon's favicon would be
    # fetched from fonts.gstatic.com by every visitor's browser.
    page_icon="🏭",
    layout="wide",
)

check_charts_as_set()

pages = {
    "Dashboard": [
        st.Page(
            "app_pages/health.py",
            title="Stream health",
            icon=":material/monitor_heart:",
            default=True,
        ),
        st.Page(
            "app_pages/vsm.py",
            title="Value stream map",
            icon=":material/account_tree:",
            url_path="vsm",
        ),
        st.Page(
            "app_pages/process_map.py",
            title="Process map",
            icon=":material/share:",
            url_path="process-map",
        ),
        st.Page(
            "app_pages/waits.py", title="Waits", icon=":material/hourglass_top:", url_path="waits"
        ),
        st.Page("app_pages/flow.py", title="Flow", icon=":material/waves:", url_path="flow"),
        st.Page(
            "app_pages/compare.py",
            title="Compare offerings",
            icon=":material/compare_arrows:",
            url_path="compare",
        ),
        st.Page("app_pages/cases.py", title="Cases", icon=":material/list:", url_path="cases"),
        # Reached from a case's row or id, never from the menu: it needs a case to show.
        st.Page(
            "app_pages/case.py",
            title="Case",
            icon=":material/timeline:",
            url_path="case",
            visibility="hidden",
        ),
    ],
    "Improve": [
        st.Page(
            "app_pages/findings.py",
            title="Findings",
            icon=":material/lightbulb:",
            url_path="findings",
        ),
        st.Page(
            "app_pages/experiments.py",
            title="Experiments",
            icon=":material/science:",
            url_path="experiments",
        ),
        st.Page(
            "app_pages/redesign.py",
            title="Redesign",
            icon=":material/design_services:",
            url_path="redesign",
        ),
        st.Page(
            "app_pages/future_state.py",
            title="Future state",
            icon=":material/flag:",
            url_path="future-state",
        ),
    ],
    "Data": [
        st.Page("app_pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
    ],
}
with page_run():  # DuckDB's cache is dropped once no page has run for a second
    require_sign_in(pages)
    page = st.navigation(pages)
    render_sidebar()
    try:
        page.run()
    except FiguresPending as pending:  # a big offering's figures, stored in minutes
        figures_pending(pending)
spare_the_collector()
warm_up()
