"""Run the real app (app.py and its st.navigation router) in AppTest against a warehouse file."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO


def run_app(
    db: Path, page: str | None, monkeypatch: pytest.MonkeyPatch, timeout: float = 60
) -> AppTest:
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
