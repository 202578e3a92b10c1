"""Once no page has run for a moment, DuckDB drops the blocks of the file it cached for
the pages (ui.resources.page_run): not while a page runs, nor while work ahead of the
pages is under way; a page that starts meanwhile waits for the release."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ui import resources
from ui.resources import (
    SharedCount,
    background_work,
    on_request,
    open_warehouse,
    page_run,
    release_duckdb_cache,
)
from warehouse import Warehouse

USED = "SELECT sum(memory_usage_bytes) FROM duckdb_memory()"
FLOOR = 16_000_000  # warehouse.db.CACHE_FLOOR


@pytest.fixture
def big(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """The app's warehouse (`open_warehouse`), with 320 MB of blocks in its file."""
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path) as wh:
        wh._con.execute("CREATE TABLE big AS SELECT range AS i, random() AS r FROM range(40000000)")
        wh._con.execute("CHECKPOINT")
    monkeypatch.setenv("VSM_DB", str(path))
    wh = open_warehouse(str(path))
    yield wh
    resources._OPENED.pop(str(path), None)
    open_warehouse.clear()
    with resources._running.held_at_zero():  # not while a release is under way
        wh.close()


def _read(wh: Warehouse) -> float:
    """A page's read of every block (most of them kept cached)."""
    total = wh.scalar("SELECT sum(r) FROM big")
    assert wh.scalar(USED) > 2 * FLOOR
    return float(total)


LIMIT = "SELECT current_setting('memory_limit')"


def _released_within(wh: Warehouse, seconds: float) -> bool:
    """Whether DuckDB dropped its cache within `seconds`, its limit back to 1 GB since."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if wh.scalar(USED) <= FLOOR and wh.scalar(LIMIT) == "953.6 MiB":  # 1GB
            return True
        time.sleep(0.1)
    return False


def test_the_cache_is_dropped_once_the_pages_are_quiet(big: Warehouse) -> None:
    with page_run():
        total = _read(big)
        time.sleep(2.5 * resources.QUIET_S)
        assert big.scalar(USED) > 2 * FLOOR  # kept while the page runs
    assert _released_within(big, 10 * resources.QUIET_S)
    assert big.scalar("SELECT sum(r) FROM big") == pytest.approx(total)


def test_a_page_that_runs_meanwhile_is_given_its_quiet_second_too(big: Warehouse) -> None:
    with page_run():
        _read(big)
    time.sleep(0.5 * resources.QUIET_S)
    with page_run():  # the click's second run, say, outlasting the first's quiet second
        _read(big)
        time.sleep(1.5 * resources.QUIET_S)
    time.sleep(0.5 * resources.QUIET_S)
    assert big.scalar(USED) > 2 * FLOOR  # not at once as it ends: a rerun may follow
    assert _released_within(big, 10 * resources.QUIET_S)


def test_the_work_ahead_does_not_drop_it_under_a_page_that_runs(big: Warehouse) -> None:
    with page_run():
        _read(big)
        assert not release_duckdb_cache(big)  # the page's end drops it instead
        assert big.scalar(USED) > 2 * FLOOR
    assert _released_within(big, 10 * resources.QUIET_S)
    _read(big)
    assert release_duckdb_cache(big)  # no page runs: at once
    assert big.scalar(USED) <= FLOOR


def test_not_while_work_ahead_of_the_pages_is_under_way(big: Warehouse) -> None:
    with background_work():
        with page_run():
            _read(big)
        time.sleep(3 * resources.QUIET_S)
        assert big.scalar(USED) > 2 * FLOOR
    with page_run():  # the next page's end drops it
        pass
    assert _released_within(big, 10 * resources.QUIET_S)


def test_not_while_a_computation_or_an_import_is_under_way(big: Warehouse) -> None:
    with on_request():  # an import by the inbox, say, outlasting the page
        with page_run():
            _read(big)
        time.sleep(3 * resources.QUIET_S)
        assert big.scalar(USED) > 2 * FLOOR
    assert _released_within(big, 10 * resources.QUIET_S)  # dropped once it is done


def test_a_count_held_keeps_others_waiting() -> None:
    count = SharedCount()
    added = threading.Event()

    def add() -> None:
        count.add(1)
        added.set()

    with count.held_at_zero():
        thread = threading.Thread(target=add)
        thread.start()
        assert not added.wait(0.5)  # waits for the release
    assert added.wait(5) and count.n == 1
    thread.join()
    with count.held() as n:
        assert n == 1
