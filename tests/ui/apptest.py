"""Run the real app (app.py and its st.navigation router) in AppTest against a warehouse file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO


def run_app(
    db: Path,
    page: str | None,
    monkeypatch: pytest.MonkeyPatch,
    timeout: float = 60,
    *,
    user: dict[str, Any] | None = None,
    roles: dict[str, str] | None = None,
) -> AppTest:
    """The app on `page`; `user` signs a person in (st.user's claims: sign-in is then
    configured), `roles` are the secrets' [vsm.roles]."""
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    if user is not None:
        at.user = {"is_logged_in": True, "email_verified": True, **user}
    if roles is not None:
        at.secrets["vsm"] = {"roles": roles}
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def open_case_lists(at: AppTest) -> None:
    """Open every finding card's list of cases, as a person clicking each, and run the
    page again: the lists are drawn only when open."""
    from ui.findings_screen import CASES_OPEN

    for button in at.button:
        if button.key and button.key.startswith("fnd_try_"):
            at.session_state[CASES_OPEN + button.key.removeprefix("fnd_try_")] = True
    at.run()


def open_expander(at: AppTest, key: str) -> AppTest:
    """Open the expander `key`, as a person clicking it, and run the page again: one that
    reruns when clicked draws its content only when open."""
    at.session_state[key] = True
    return at.run()


def forge_click(at: AppTest, key: str) -> None:
    """Click a disabled button anyway, as a hand-made WebSocket message would: the server
    must refuse what the button does, not rely on the browser greying it out."""
    button = at.button(key=key)
    button.proto.disabled = False
    button.click()


def forge_check(at: AppTest, key: str) -> None:
    """Tick a disabled checkbox anyway (see forge_click)."""
    box = at.checkbox(key=key)
    box.proto.disabled = False
    box.check()


def shown(markdown: str) -> str:
    """Markdown source as a person reads it: backslash escapes resolved, the invisible
    word joiners of ui.format.plain removed."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
