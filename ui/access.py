"""Who is using this session, and so what they may change.

With sign-in configured (an ``[auth]`` section in .streamlit/secrets.toml), the person is
the signed-in address and their role comes from ``[vsm.roles]`` in the secrets (the
server operator's word, final for the addresses it names), else from the Data page's
"People and roles" tab, else the ``default`` role (viewer unless set); it is read again
on every rerun, so a change applies at the person's next click. Without sign-in, the app
serves one person on their own machine: they act as LOCAL (an admin), and the sidebar
says that anyone who can open the address can change the data.

Hiding or disabling a control is only a courtesy: the warehouse checks the role of every
write itself (Warehouse.write).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from warehouse import LOCAL, NEEDS, Actor, Role
from warehouse.access import DEFAULT_ROLE, configured_roles, role_for

SIGNED_OUT = Actor("not signed in", "viewer")

WHAT: dict[str, str] = {
    "import": "Importing",
    "edit catalog": "Editing the activity catalog",
    "record experiment": "Recording an experiment",
    "edit experiment": "Editing an experiment",
    "save future state": "Saving a future state",
    "save calendar": "Saving a calendar",
    "verdict on finding": "Giving a verdict on a finding",
    "change setting": "Changing a setting",
    "undo import": "Undoing an import",
    "remove demo": "Removing the demo data",
    "delete experiment": "Deleting an experiment",
    "delete future state": "Deleting a future state",
    "edit roles": "Changing roles",
}
"""Each action of warehouse.access.NEEDS as the start of a sentence."""


def auth_configured() -> bool:
    """Whether sign-in is set up: st.user carries `is_logged_in` only with an [auth] section."""
    return "is_logged_in" in st.user


def signed_in() -> bool:
    return auth_configured() and bool(st.user.get("is_logged_in"))


def email() -> str | None:
    """The signed-in address, when the provider vouches for it (`email_verified` is not
    false); roles are given by address, so an unverified one gets the default role."""
    if not signed_in() or st.user.get("email_verified") is False:
        return None
    value = st.user.get("email")
    return str(value).strip().lower() if value else None


def display_name() -> str:
    """Who is signed in, as the provider names them (text to show through format.plain)."""
    name = st.user.get("name")
    address = st.user.get("email")
    if name and address and str(name) != str(address):
        return f"{name} ({address})"
    return str(address or name or st.user.get("sub") or "unknown")


def secrets_roles() -> tuple[dict[str, Role], Role, list[str]]:
    """`[vsm.roles]` of the secrets: roles by e-mail, the default role, and the entries
    that are not roles."""
    try:
        vsm: Mapping[str, Any] = st.secrets.get("vsm", {})
    except FileNotFoundError:  # no secrets file at all: one person, no sign-in
        return {}, DEFAULT_ROLE, []
    section = vsm.get("roles", {}) if isinstance(vsm, Mapping) else {}
    return configured_roles(section if isinstance(section, Mapping) else {})


def current_actor() -> Actor:
    """The person this session acts for, with the role they hold now."""
    if not auth_configured():
        return LOCAL
    if not signed_in():
        return SIGNED_OUT
    from ui.resources import open_warehouse, warehouse_path

    configured, default, _ = secrets_roles()
    stored = open_warehouse(warehouse_path()).role_map()
    address = email()
    role, _ = role_for(address, configured, stored, default)
    return Actor(address or display_name(), role)


def why_not(action: str, actor: Actor | None = None) -> str | None:
    """Why the person may not do `action` (one line), or None when they may."""
    actor = actor or current_actor()
    if actor.may(action):
        return None
    return (
        f"{WHAT.get(action, action.capitalize())} needs the {NEEDS[action]} role; you are "
        f"{'an' if actor.role[0] in 'aeiou' else 'a'} {actor.role}. Ask an admin."
    )


def refused_here(action: str) -> str | None:
    """`why_not(action)` for the control that follows, said above it in a caption when the
    person may not: the control is then shown disabled, never as a button that fails."""
    refused = why_not(action)
    if refused is not None:
        st.caption(refused)
    return refused
