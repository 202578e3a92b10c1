"""A leader redesigns a stream in Chromium: clicks a box on today's map, removes the step,
sees the projection; then draws a future state, saves it and sees how closely work follows it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from metrics.stats import duration_text
from tests.browser.conftest import no_exception, screenshot, wait_for_app
from tests.cli_runner import run_cli

pytestmark = pytest.mark.browser

MAIN = "[data-testid='stMain']"


def _ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("h1", timeout=60_000)
    wait_for_app(page)
    page.wait_for_timeout(1500)


def test_click_a_box_remove_it_and_see_the_projection(demo_server, demo_db, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo_server.url}/redesign")
    _ready(page)
    no_exception(page)
    today = page.locator(".st-key-rd_today [data-testid='stVegaLiteChart']")
    today.locator("svg text", has_text="Sample sent").first.wait_for(timeout=60_000)
    # A click on the box (its name sits under the clickable layer) chooses the step.
    label = today.locator("svg text", has_text="Sample sent").first
    label.scroll_into_view_if_needed()  # the map scrolls sideways inside its frame
    page.wait_for_timeout(300)
    name = label.bounding_box()
    assert name is not None
    page.mouse.click(name["x"] + name["width"] / 2, name["y"] + name["height"] / 2)
    remove = page.locator(".st-key-rd_remove button").first
    expect(remove).to_contain_text("Remove Sample sent", timeout=30_000)
    wait_for_app(page)
    remove.click()
    main = page.locator(MAIN)
    main.get_by_text("Lead time, today and projected").wait_for(timeout=60_000)
    _ready(page)
    no_exception(page)

    figures = json.loads(
        run_cli(
            "whatif", "--db", str(demo_db), "--offering", "Custom formulation",
            "--remove", "Sample sent", "--json",
        ).stdout
    )  # fmt: skip
    tile = main.locator("[data-testid='stMetric']").first.inner_text()
    assert "Median lead time" in tile
    assert duration_text(figures["projected"]["lead_time_s"]["p50"]) in tile
    assert f"from {duration_text(figures['baseline']['lead_time_s']['p50'])} today" in tile
    body = main.inner_text()
    assert "Custom formulation: projected" in body
    assert "first-order" in body and "Try it for two weeks" in body
    assert "p_change=remove%3ASample+sent" in page.url or "p_change=remove:Sample" in page.url
    page.mouse.move(5, 5)
    screenshot(page, "redesign-remove-a-step")


def test_draw_a_future_state_save_it_and_see_its_conformance(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo_server.url}/future-state")
    _ready(page)
    no_exception(page)
    main = page.locator(MAIN)
    main.get_by_text("How closely work follows it").wait_for(timeout=60_000)
    # Type a new name for the future state, then save it.
    name = page.locator(".st-key-fs_name input")
    name.fill("After the redesign")
    name.press("Enter")
    wait_for_app(page)
    page.locator(".st-key-fs_save button").first.click()
    main.get_by_text("Saved “After the redesign” as version 1.").wait_for(timeout=30_000)
    _ready(page)
    no_exception(page)
    body = main.inner_text()
    assert "follow “After the redesign”" in body
    assert "What breaks it most often" in body
    charts = page.locator("[data-testid='stVegaLiteChart']")
    assert charts.count() == 3  # today's map, the future state, the weeks
    screenshot(page, "future-state-saved")
