"""The Data page's "People and roles" and "Audit trail" tabs.

Roles: .streamlit/secrets.toml's ``[vsm.roles]`` is the server operator's word and is
final for the addresses it names (an admin on this page can neither demote nor lock out
the operator's admins); admins set everyone else's role here (stored in the warehouse,
read again at each person's next click); any other signed-in address has the ``default``
role of the secrets (viewer unless set). The audit trail lists every change: when, who,
with which role, what and on what.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import polars as pl
import streamlit as st

from ui.access import auth_configured, secrets_roles, why_not
from ui.format import plain
from ui.resources import warehouse
from ui.widgets import csv_download
from warehouse import ROLES, WarehouseError

_FORGET = "(remove: back to the default role)"
AUDIT_ROWS = 1_000

ROLE_TEXT = {
    "viewer": "every page and every export; changes nothing",
    "editor": "also imports, edits the catalog, records experiments, future states and verdicts",
    "admin": "also undoes imports, removes the demo, deletes, and sets people's roles",
}


def people_table(configured: Mapping[str, str], stored: pl.DataFrame) -> pl.DataFrame:
    """Everyone with a role of their own: from the secrets (final) and from this page."""
    from_secrets = pl.DataFrame(
        {
            "e-mail": list(configured),
            "role": list(configured.values()),
            "set in": ["secrets.toml (by the server's operator)"] * len(configured),
            "set by": [None] * len(configured),
            "set at": [None] * len(configured),
        },
        schema={
            "e-mail": pl.String,
            "role": pl.String,
            "set in": pl.String,
            "set by": pl.String,
            "set at": pl.Datetime("us", "UTC"),
        },
    )
    from_page = stored.filter(~pl.col("email").is_in(list(configured))).select(
        pl.col("email").alias("e-mail"),
        "role",
        pl.lit("this page").alias("set in"),
        pl.col("changed_by").alias("set by"),
        pl.col("changed_at").alias("set at"),
    )
    return pl.concat([from_secrets, from_page]).sort("e-mail")


def people_screen() -> None:
    """Who has which role, and (for admins) giving someone a role."""
    wh = warehouse()
    configured, default, problems = secrets_roles()
    if not auth_configured():
        st.info(
            "No sign-in is configured, so everyone who opens this address acts as an admin. "
            "Roles apply once sign-in is set up (README, *Deploying for a team*); roles set "
            "here are kept until then.",
            icon=":material/lock_open:",
        )
    st.markdown(
        "\n".join(f"- **{role}**: {ROLE_TEXT[role]}" for role in ROLES)
        + f"\n\nAnyone else who signs in is a **{default}** (the `default` of secrets.toml). "
        "Roles listed in secrets.toml are the server operator's and cannot be changed here; "
        "a role set here applies at the person's next click."
    )
    for problem in problems:
        st.warning(
            f"secrets.toml, [vsm.roles]: {plain(problem)}; that entry gives no role.",
            icon=":material/warning:",
        )
    table = people_table(configured, wh.stored_roles())
    if table.height:
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                "set at": st.column_config.DatetimeColumn("set at (UTC)", format="YYYY-MM-DD HH:mm")
            },
        )
    refused = why_not("edit roles", wh.actor)
    with st.form("role_form", border=True):
        st.markdown("**Give someone a role**")
        left, right = st.columns([3, 2])
        address = left.text_input(
            "E-mail address", key="role_email", placeholder="name@example.com"
        )
        role = right.selectbox("Role", [*ROLES, _FORGET], key="role_choice")
        submitted = st.form_submit_button(
            "Save the role", icon=":material/person_add:", disabled=refused is not None
        )
    if refused:
        st.caption(refused)
    if submitted:
        _save_role(address, role, configured)


def _save_role(address: str, role: str, configured: Mapping[str, str]) -> None:
    wh = warehouse()
    key = address.strip().lower()
    if key in configured:
        st.error(
            f"{plain(key)} is {_a(configured[key])} {configured[key]} by secrets.toml, which "
            "this page cannot "
            "change: ask the server's operator.",
            icon=":material/lock:",
        )
        return
    try:
        wh.set_role(key, None if role == _FORGET else role)
    except WarehouseError as exc:
        st.error(plain(exc), icon=":material/error:")
        return
    st.success(
        f"{plain(key)} is now "
        + ("back to the default role." if role == _FORGET else f"{_a(role)} {role}.")
        + " It applies at their next click.",
        icon=":material/check_circle:",
    )


def _a(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"


def _detail_text(detail: str | None) -> str:
    """An audit row's details in words: "rows_read 120, instances 118"."""
    try:
        values = json.loads(detail or "{}")
    except json.JSONDecodeError:
        return detail or ""
    if not isinstance(values, dict):
        return str(values)

    def text(v: object) -> str:
        if isinstance(v, list):
            return ", ".join(map(str, v))
        return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)

    return ", ".join(f"{k.replace('_', ' ')}: {text(v)}" for k, v in values.items())


def audit_table(audit: pl.DataFrame) -> pl.DataFrame:
    return audit.select(
        pl.col("at").alias("when"),
        pl.col("actor").alias("who"),
        "role",
        pl.col("action").alias("what"),
        pl.col("target").alias("on what"),
        pl.col("detail").map_elements(_detail_text, return_dtype=pl.String).alias("details"),
    )


def audit_screen() -> None:
    """Every change: when, who, with which role, what, on what; newest first."""
    wh = warehouse()
    audit = wh.audit(limit=AUDIT_ROWS)
    if audit.height == 0:
        st.info("No change has been made yet.", icon=":material/history:")
        return
    table = audit_table(audit)
    st.caption(
        f"The latest {table.height:,} changes, newest first"
        + (f" (at most {AUDIT_ROWS:,} are shown)" if table.height == AUDIT_ROWS else "")
        + ". Every import, undo, catalog edit, experiment, role change and the other changes "
        "are recorded by the warehouse itself, in the same transaction as the change."
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "when": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm:ss")
        },
    )
    csv_download(table, "audit-trail", "download_audit", "Download the audit trail (CSV)")
