"""Page-specific choices that a link can carry: widgets whose state mirrors a `p_` query parameter.

The shared filters own the plain query parameters (ui/filters.py); a page's own
choices use `p_...` names, which the filters keep when they rewrite the URL.
A parameter seeds the widget only when the widget has no valid state yet, so a
link opens the page as it was shared and the user's clicks win afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st


def seed_from_url(key: str, param: str, options: Sequence[Any], default: Any) -> None:
    """Put the URL's `param` (or `default`) into `st.session_state[key]` unless it holds a valid option."""
    if st.session_state.get(key) in options:
        return
    wanted = st.query_params.get(param)
    match = next((o for o in options if str(o) == wanted), None)
    st.session_state[key] = match if match is not None else default


def choose_offering(offerings: Sequence[str], key: str) -> str:
    """One offering of those in view; `?p_offering=...` preselects it (links from other pages)."""
    seed_from_url(key, "p_offering", offerings, offerings[0])
    chosen = str(
        st.selectbox(
            "Offering",
            list(offerings),
            key=key,
            help="This page shows one value stream at a time. The sidebar decides which offerings "
            "and cases are in view.",
        )
    )
    st.query_params["p_offering"] = chosen
    return chosen
