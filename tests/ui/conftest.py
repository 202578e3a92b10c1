"""Fixtures of the AppTest suites."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the session's demo warehouse, free to change."""
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    return db
