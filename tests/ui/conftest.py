"""Fixtures of the AppTest suites."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def step_thread_done() -> None:
    """Wait for the thread that writes step files and stores figures from them
    (ui.views.steps_ahead), if one is at work."""
    from ui.views import STEP_THREAD

    _joined(STEP_THREAD)


def _joined(name: str) -> None:
    for thread in threading.enumerate():
        if thread.name == name:
            thread.join(timeout=120)


@pytest.fixture(autouse=True)
def _step_thread_ends_with_its_test() -> Iterator[None]:
    """A test whose warehouse's steps are scanned starts that thread, and the one that
    computes a chosen view's figures ahead (ui.views.view_ahead): both end before the
    next test, whose counts of figures computed would count theirs too."""
    from ui.views import VIEW_AHEAD_THREAD

    yield
    step_thread_done()
    _joined(VIEW_AHEAD_THREAD)


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the session's demo warehouse, free to change."""
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    return db


@pytest.fixture(scope="session")
def mixed_db(demo_db: Path, real_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo (live, 2026) beside two historical logs (receipt 2010–2012, running-example
    2010–2011): windows, axes and figures must fit each stream's own data."""
    from pipelines.ingest import ingest
    from warehouse import Warehouse

    db = tmp_path_factory.mktemp("mixed") / "mixed.duckdb"
    shutil.copy(demo_db, db)
    with Warehouse.open(db) as wh:
        for name in ("receipt.csv", "running-example.csv"):
            ingest(wh, real_dir / name)
    return db


@pytest.fixture
def mixed_copy(mixed_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "mixed.duckdb"
    shutil.copy(mixed_db, db)
    return db
