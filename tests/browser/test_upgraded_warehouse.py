"""A warehouse an older release derived: the first visit derives it again and shows it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import StreamlitServer, no_exception, wait_for_app
from warehouse import Warehouse
from warehouse.derived import DERIVATION_VERSION, load_derivation

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
        page.wait_for_selector("[data-testid='stVegaLiteChart']", timeout=90_000)
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
