"""Make a page opened directly by its link run inside app.py's router.

Streamlit treats an app that has a `pages/` folder next to its main script as an
old-style multipage app until `st.navigation` has run once in the process. So the
very first visit to a fresh server through a link such as /vsm?p_offering=... runs
pages/vsm.py on its own: no shared sidebar, no wide layout, no filters. Every page
calls `ensure_router()` first; in that one case it switches the process to
`st.navigation` and reruns, and app.py then routes the same URL properly.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_router() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
