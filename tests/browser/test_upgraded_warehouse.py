"""A warehouse an older release derived: the first visit derives it again and shows it."""

from __future__ import annotations

import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.browser.conftest import StreamlitServer, no_exception, shown_within, wait_for_app
from tests.warehouse.test_apart import apart_processes
from warehouse import Warehouse
from warehouse.derived import (
    DERIVATION_VERSION,
    REPORT_VERSION,
    load_derivation,
    stored_figure,
    stored_report,
)

pytestmark = pytest.mark.browser


def test_the_first_visit_after_an_upgrade_derives_once_and_shows_the_streams(
    demo_db: Path, tmp_path: Path, page
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "older.duckdb"
    shutil.copy(demo_db, db)
    with Warehouse.open(db) as wh:
        expected = load_derivation(wh).cases.height
        # What an older release left: its own version, and figures this one would not give.
        wh._con.execute("UPDATE derived_state SET version = '0-older'")
        wh._con.execute("UPDATE derived_cases SET lead_time_s = -1")
    server = StreamlitServer(db)
    try:
        page.goto(server.url)
        shown_within(page, server, "[data-testid='stVegaLiteChart']", 90_000)
        wait_for_app(page)
        no_exception(page)
        main = page.locator("[data-testid='stMain']").inner_text()
        assert main.count("Median lead time") >= 3
        # Every offering's median lead time is days long, as derived again (the older
        # release's rows said -1 s).
        medians = re.findall(r"Median lead time\s+(\S+) (\w+)", main)
        assert len(medians) >= 3
        assert all(float(v) > 1 and unit == "d" for v, unit in medians), medians
    finally:
        server.stop()
    with Warehouse.open(db) as wh:
        state = wh.read("SELECT version, cases FROM derived_state")
        assert set(state["version"]) == {DERIVATION_VERSION}
        assert int(state["cases"].sum()) == expected
        assert wh.scalar("SELECT min(lead_time_s) FROM derived_cases") >= 0


def test_a_release_that_reports_otherwise_stores_the_reports_apart_before_the_first_visit(
    demo_db: Path, tmp_path: Path, page, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Reports of an older release (the derivation is this one's): the server's start
    stores them again, each offering's computed in a process of its own (every offering
    counts as big here), and the first visit shows this release's figures."""
    db = tmp_path / "reported.duckdb"
    shutil.copy(demo_db, db)
    with Warehouse.open(db) as wh:
        expected = {o: stored_report(wh, o) for o in wh.offerings()}
        wh._con.execute("UPDATE derived_reports SET version = '0-older', report = '{}'")
        wh._con.execute("DELETE FROM derived_figures")
    monkeypatch.setenv("VSM_APART_MIN_STEPS", "1")
    server = StreamlitServer(db)
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:  # each such process lives more than half a second
        while not done.is_set():
            seen.update(apart_processes(server.proc.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        page.goto(server.url)
        shown_within(page, server, "[data-testid='stVegaLiteChart']", 90_000)
        wait_for_app(page)
        no_exception(page)
        main = page.locator("[data-testid='stMain']").inner_text()
        assert main.count("Median lead time") >= 3
    finally:
        done.set()
        watcher.join()
        server.stop()
    assert len(seen) >= 3, seen  # one process per offering (then those of the views)
    log = server.log.read_text()
    assert "cannot compute the report" not in log, log
    with Warehouse.open(db) as wh:
        assert set(wh.read("SELECT version FROM derived_reports")["version"]) == {REPORT_VERSION}
        assert {o: stored_report(wh, o) for o in wh.offerings()} == expected
        assert stored_figure(wh, "Custom formulation", "steps") is not None
