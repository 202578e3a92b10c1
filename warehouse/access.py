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
