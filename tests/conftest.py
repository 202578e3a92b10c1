"""Shared fixtures: the real public logs beside the clone, and warehouses built by the real pipeline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ui.widgets import CHECK_CHARTS
from warehouse import Warehouse

# Every chart a page draws in the tests (AppTest, and the servers the browser tests start)
# is checked against Vega-Lite's JSON schema; the app itself skips that check.
os.environ[CHECK_CHARTS] = "1"

REPO = Path(__file__).resolve().parents[1]
REAL_DIR = REPO.parent / "shared" / "data" / "real"
EXTERNAL_DIR = REPO.parent / "shared" / "data" / "external"


def mapped_files(folder: Path) -> list[str]:
    """The files of `folder` mapped into this process, as /proc/self/maps names them (an
    unnamed file of warehouse.mapped ends with "(deleted)")."""
    prefix = str(folder.resolve()) + "/"
    return [
        line.split(maxsplit=5)[5].strip()
        for line in Path("/proc/self/maps").read_text().splitlines()
        if len(line.split(maxsplit=5)) == 6 and line.split(maxsplit=5)[5].startswith(prefix)
    ]


@pytest.fixture(scope="session")
def real_dir() -> Path:
    """../shared/data/real; CI always has it. Only a user's own clone lacks it."""
    if not REAL_DIR.is_dir():
        pytest.skip(f"{REAL_DIR} is absent (a user's own clone): the real public logs are not here")
    return REAL_DIR


@pytest.fixture(scope="session")
def external_dir() -> Path:
    """../shared/data/external (event logs and tool exports from other projects); CI always
    has it. Only a user's own clone lacks it."""
    if not EXTERNAL_DIR.is_dir():
        pytest.skip(
            f"{EXTERNAL_DIR} is absent (a user's own clone): the external logs and tool "
            "exports are not here"
        )
    return EXTERNAL_DIR


@pytest.fixture
def wh(tmp_path: Path) -> Warehouse:
    with Warehouse.open(tmp_path / "test.duckdb") as warehouse:
        yield warehouse


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo warehouse per test process, built through the real import pipeline."""
    from pipelines.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Warehouse.open(path) as warehouse:
        load_demo(warehouse)
    return path
