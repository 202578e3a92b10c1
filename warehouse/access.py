"""Who may change what: roles, the person acting, and the check every write makes.

A shared deployment signs people in and gives each a role; the warehouse itself
checks the role of whoever writes (server side: hiding a button is not a check),
and records every change in the audit trail, in the same transaction as the change.
Without sign-in (one person on their own machine, the command line) the actor is
LOCAL, an admin.

| role | may |
| --- | --- |
| viewer | read every page, export everything; change nothing |
| editor | import, edit the catalog, record and edit experiments, save future states and calendars, give verdicts on findings |
| admin | also undo imports, remove the demo, delete experiments, manage roles |
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")

NEEDS: dict[str, Role] = {
    "import": "editor",
    "edit catalog": "editor",
    "record experiment": "editor",
    "edit experiment": "editor",
    "save future state": "editor",
    "save calendar": "editor",
    "verdict on finding": "editor",
    "change setting": "editor",
    "undo import": "admin",
    "remove demo": "admin",
    "delete experiment": "admin",
    "delete future state": "admin",
    "edit roles": "admin",
}
"""The least role each kind of change needs; every write names one of these actions."""


@dataclass(frozen=True)
class Actor:
    """The person (or program) making a change: an e-mail when signed in."""

    name: str
    role: Role

    def may(self, action: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(NEEDS[action])


LOCAL = Actor("local user (no sign-in)", "admin")
"""Whoever uses a warehouse with no sign-in: the app on one person's machine, the command
line, a scheduled job. They can already read and write the file itself."""

DEFAULT_ROLE: Role = "viewer"
"""The role of a signed-in address that no one named, unless secrets.toml sets `default`."""


def command_line_actor() -> Actor:
    """Whoever runs a command line (or a scheduled job) on the server: an admin, since they
    can read and write the warehouse file itself; named by their account for the audit."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown account"
    return Actor(f"command line ({user})", "admin")


def as_role(value: object) -> Role | None:
    """A role name as written in secrets.toml or a form ("Admin", " editor "), or None."""
    text = str(value).strip().lower()
    return next((r for r in ROLES if r == text), None)


def configured_roles(section: Mapping[str, object]) -> tuple[dict[str, Role], Role, list[str]]:
    """Secrets' `[vsm.roles]`: roles by lower-cased e-mail, the `default` role, and a line
    for each entry that is not a role (such an entry gives nothing: least privilege)."""
    roles: dict[str, Role] = {}
    default: Role = DEFAULT_ROLE
    problems: list[str] = []
    for key, value in section.items():
        role = as_role(value)
        if role is None:
            problems.append(f"{key} = {value!r} is not a role ({', '.join(ROLES)})")
        elif str(key).strip().lower() == "default":
            default = role
        else:
            roles[str(key).strip().lower()] = role
    return roles, default, problems


def role_for(
    email: str | None,
    configured: Mapping[str, Role],
    stored: Mapping[str, Role],
    default: Role = DEFAULT_ROLE,
) -> tuple[Role, str]:
    """The role of a signed-in address, and where it comes from.

    secrets.toml (the server operator's word) wins for the addresses it names, so an admin
    on the Data page can neither demote nor lock out the operator's admins; the Data page
    sets everyone else's; `default` covers the rest. Addresses compare case-insensitively;
    a session without a verified e-mail gets the default role.
    """
    key = (email or "").strip().lower()
    if key and key in configured:
        return configured[key], "secrets.toml"
    if key and key in stored:
        return stored[key], "Data page"
    return default, "default"
