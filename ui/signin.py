"""Sign-in with the company's identity provider (Streamlit's st.login, OpenID Connect).

With an ``[auth]`` section in .streamlit/secrets.toml, a visitor who has not signed in
gets the sign-in page at every address of the dashboard (a shared deep link too) and
nothing else: no page's code runs, so no figure, name or file reaches their browser.
README.md ("Deploying for a team") says how to configure it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import streamlit as st

from ui.access import auth_configured, current_actor, display_name, signed_in
from ui.format import plain

log = logging.getLogger(__name__)

NO_SIGN_IN = "No sign-in configured: anyone who can open this address can change the data."


def _sign_in_page() -> None:
    st.title("Value stream dashboard")
    st.markdown("Sign in with your company account to see the dashboard.")
    if st.button("Sign in", type="primary", key="sign_in", icon=":material/login:"):
        try:
            st.login()
        except Exception:  # a misconfigured [auth] section: say so, keep the details in the log
            log.exception("st.login failed")
            st.error(
                "Sign-in is not set up correctly on this server; the server's log says why. "
                "Ask whoever runs the dashboard.",
                icon=":material/error:",
            )


def require_sign_in(pages: Mapping[str, Iterable[st.Page]] | Iterable[st.Page]) -> None:
    """With sign-in configured and nobody signed in: the sign-in page at every address of
    `pages` (the router's), then stop the run."""
    if not auth_configured() or signed_in():
        return
    listed = (
        [p for group in pages.values() for p in group]
        if isinstance(pages, Mapping)
        else list(pages)
    )
    st.navigation(
        [
            st.Page(
                _sign_in_page,
                title="Sign in",
                icon=":material/login:",
                url_path=page.url_path or "sign-in",
                default=not page.url_path,
            )
            for page in listed
        ],
        position="hidden",
    ).run()
    st.stop()


def account_box() -> None:
    """In the sidebar: who is signed in, with which role, and the sign-out button; or the
    warning that nobody has to sign in."""
    if not auth_configured():
        st.warning(NO_SIGN_IN, icon=":material/lock_open:")
        return
    actor = current_actor()
    st.caption(f"Signed in as **{plain(display_name())}**, {actor.role}")
    if st.button("Sign out", key="sign_out", icon=":material/logout:", type="tertiary"):
        st.logout()
