"""Make a page opened directly by its link run inside app.py's router.

Streamlit treats an app that has a `pages/` folder next to its main script as an
old-style multipage app until `st.navigation` has run once in the process, so the
first visit to a fresh server through a link such as /vsm?p_offering=... would run
the page on its own: no shared sidebar, no filters. The page scripts therefore live
in app_pages/. This guard only acts if a `pages/` folder comes back.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_router() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
