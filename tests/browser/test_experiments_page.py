"""A leader opens the Experiments page on the demo in Chromium: verdicts, charts, trying a change."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import (
    StreamlitServer,
    no_exception,
    screenshot,
    wait_for_app,
)
from warehouse import Warehouse

pytestmark = pytest.mark.browser

CHARTS = "[data-testid='stVegaLiteChart']"
CHART_COUNT = 5
"""Lead time before and after, the intervals, where the waiting went, the individuals and
the moving range charts."""


def _charts_drawn(page) -> int:  # type: ignore[no-untyped-def]
    """Charts whose Vega view has drawn marks (an SVG or canvas with a size)."""
    page.wait_for_function(
        f'() => document.querySelectorAll("{CHARTS}").length >= {CHART_COUNT}', timeout=60_000
    )
    page.wait_for_timeout(1500)
    return int(
        page.evaluate(
            f"""() => [...document.querySelectorAll("{CHARTS}")].filter(c => {{
            const g = c.querySelector('canvas, svg.marks');
            return g && g.getBoundingClientRect().height > 100;
        }}).length"""
        )
    )


def test_the_demo_experiments_with_their_charts(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1440, "height": 3200})
    page.goto(f"{demo_server.url}/experiments")
    wait_for_app(page)
    no_exception(page)
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("Waiting moved from Label approval to Materials").first.wait_for(
        timeout=60_000
    )
    assert _charts_drawn(page) == CHART_COUNT
    assert main.get_by_role("heading", name="Experiments").count() == 1
    screenshot(page, "experiments-waiting-moved")

    page.goto(f"{demo_server.url}/experiments?p_experiment=1")
    wait_for_app(page)
    main.get_by_text("the median lead time fell from").first.wait_for(timeout=60_000)
    assert _charts_drawn(page) == CHART_COUNT
    no_exception(page)
    body = main.inner_text()
    assert "Faster:" in body and "Sample approval by video call" in body
    assert "No significant rise in rework" in body
    screenshot(page, "experiments-faster")


def test_try_a_change_now(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1440, "height": 2000})
    page.goto(f"{demo_server.url}/experiments")
    wait_for_app(page)
    page.get_by_text("Try a change now").click()
    page.get_by_text("Save as experiment").wait_for(timeout=30_000)
    wait_for_app(page)
    no_exception(page)
    body = page.locator("[data-testid='stExpander']").first.inner_text()
    assert "Verdict for a change in Custom formulation on 1 Oct 2026 00:00 UTC" in body
    assert any(
        word in body
        for word in (
            "Faster:",
            "Slower:",
            "No detectable change:",
            "Waiting moved",
            "Too few",
            "Too early",
        )
    )
    screenshot(page, "experiments-try-a-change")


def _verdict_heading(page) -> str:  # type: ignore[no-untyped-def]
    form = page.locator("[data-testid='stForm']").first
    return str(form.get_by_text("Verdict for a change in").first.inner_text())


def test_a_typed_date_applies_on_preview_never_half_way(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1440, "height": 1400})
    page.goto(f"{demo_server.url}/experiments")
    wait_for_app(page)
    page.get_by_text("Try a change now").click()
    form = page.locator("[data-testid='stForm']").first
    form.get_by_text("Save as experiment").wait_for(timeout=30_000)
    wait_for_app(page)
    assert "on 1 Oct 2026 00:00 UTC" in _verdict_heading(page)
    # Type a date as a person does, and leave the cursor in the field: nothing applies,
    # and the verdict still names the day it is for, beside the hint to press Preview.
    date = form.locator("[data-testid='stDateInput']")
    month = date.get_by_role("spinbutton", name="month")
    month.click()
    page.keyboard.type("0601")
    page.wait_for_timeout(1500)
    day = date.get_by_role("spinbutton", name="day")
    assert (month.inner_text(), day.inner_text()) == ("06", "01")
    assert "on 1 Oct 2026 00:00 UTC" in _verdict_heading(page)
    assert "Press Preview (or Enter) to apply it" in form.inner_text()
    screenshot(page, "experiments-try-a-change-typed")
    # One click on Preview, straight from the field, applies it.
    form.get_by_role("button", name="Preview").click()
    page.wait_for_timeout(500)
    wait_for_app(page)
    no_exception(page)
    heading = _verdict_heading(page)
    assert "on 1 Jun 2026 00:00 UTC" in heading, heading
    assert "Faster:" in form.inner_text()
    screenshot(page, "experiments-try-a-change-previewed")


@pytest.fixture
def mixed_server(demo_db: Path, real_dir: Path, tmp_path: Path) -> Iterator[StreamlitServer]:
    """The demo beside two historical logs (2010-2012)."""
    from pipelines.ingest import ingest

    db = tmp_path / "mixed.duckdb"
    shutil.copy(demo_db, db)
    with Warehouse.open(db) as wh:
        for name in ("receipt.csv", "running-example.csv"):
            ingest(wh, real_dir / name)
    server = StreamlitServer(db)
    yield server
    server.stop()


def test_the_page_beside_historical_logs(mixed_server, page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size({"width": 1440, "height": 1400})
    page.goto(f"{mixed_server.url}/experiments")
    wait_for_app(page)
    page.get_by_text("Try a change now").click()
    form = page.locator("[data-testid='stForm']").first
    form.get_by_text("Save as experiment").wait_for(timeout=30_000)
    form.locator("[data-testid='stSelectbox']").first.click()
    page.get_by_role("option", name="receipt", exact=True).click()
    form.get_by_role("button", name="Preview").click()
    page.wait_for_timeout(500)
    wait_for_app(page)
    no_exception(page)
    assert "No case of receipt started in these windows" in form.inner_text()
    assert _charts_drawn(page) == CHART_COUNT
    screenshot(page, "experiments-beside-historical-logs")
