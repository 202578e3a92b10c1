"""A page opened while a command-line import holds the warehouse file (it began before the
app opened the file): the page waits for it, or says so in one sentence, never a traceback
with the server's paths (the security review's finding)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ui.resources
from tests.ui.apptest import no_exceptions, run_app
from tests.warehouse.test_inbox import _holder


@pytest.mark.slow
def test_a_page_waits_for_a_short_command_line_import(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _holder(demo_copy, "cli", seconds=3):
        at = run_app(demo_copy, None, monkeypatch)
    no_exceptions(at)
    assert any("activity instances" in c.value for c in at.sidebar.caption)


@pytest.mark.slow
def test_a_page_says_in_one_sentence_that_an_import_is_writing(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui.resources, "BUSY_WAIT_S", 1.0)
    with _holder(demo_copy, "cli", seconds=60):
        at = run_app(demo_copy, "app_pages/waits.py", monkeypatch)
        no_exceptions(at)
        assert [w.value for w in at.warning] == [
            "An import from the command line is writing the warehouse right now. Reload the "
            "page in a moment."
        ]
        shown = [
            e.value
            for kind in ("markdown", "caption", "warning", "error")
            for e in getattr(at, kind)
        ]
        assert not any(str(demo_copy.parent) in s or "duckdb" in s.lower() for s in shown)
        assert not at.title  # the page stopped before drawing anything
