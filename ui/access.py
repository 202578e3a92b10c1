"""Who is using this session, and so what they may change.

Without sign-in configured, the app serves one person on their own machine: they act
as LOCAL (an admin), and the sidebar says that anyone who can open the address can
change the data.
"""

from __future__ import annotations

from warehouse import LOCAL, Actor


def current_actor() -> Actor:
    """The person this session acts for."""
    return LOCAL
