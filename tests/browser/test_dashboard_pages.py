"""Process map, Waits and Compare offerings in Chromium: charts drawn, no exception, a choice changes the view."""

from __future__ import annotations

import pytest

from tests.browser.conftest import no_exception, screenshot, wait_for_app

pytestmark = pytest.mark.browser

GRAPH = ".st-key-pm_map .graphviz svg"  # drawn by Graphviz on the server
VEGA = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    wait_for_app(page)
    page.wait_for_timeout(500)
    wait_for_app(page)


def test_dashboard_pages_on_the_demo(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo_server.url}/process-map")
    page.wait_for_selector(GRAPH, timeout=60_000)
    _settle(page)
    no_exception(page)
    text = page.locator(GRAPH).first.text_content() or ""
    assert "Sample approval" in text and "BOTTLENECK" in text
    assert "1,540" in text  # Formulation → Sample sent, counted
    page.get_by_text("How long they wait", exact=True).click()
    page.wait_for_function(
        f"() => !document.querySelector({GRAPH!r})?.textContent.includes('1,540')",
        timeout=30_000,
    )
    _settle(page)
    no_exception(page)
    assert "7.0 d" in (
        page.locator(GRAPH).first.text_content() or ""
    )  # the wait before Sample approval
    screenshot(page, "dashboard-process-map")

    page.goto(f"{demo_server.url}/waits")
    page.wait_for_selector(VEGA, timeout=60_000)
    _settle(page)
    no_exception(page)
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 4
    page.get_by_text("Log scale").click()
    page.wait_for_function("() => location.search.includes('p_log=True')", timeout=30_000)
    _settle(page)
    no_exception(page)
    screenshot(page, "dashboard-waits")

    page.goto(f"{demo_server.url}/compare")
    page.wait_for_selector(VEGA, timeout=60_000)
    _settle(page)
    no_exception(page)
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 4
    main = page.locator("[data-testid='stMain']")
    assert "Reverse engineering" in main.inner_text()
    page.goto(f"{demo_server.url}/compare?offering=Custom+formulation&offering=Reverse+engineering")
    page.wait_for_selector(VEGA, timeout=60_000)
    _settle(page)
    no_exception(page)
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    chosen = page.locator(
        "[data-testid='stSidebar'] [data-testid='stMultiSelect']"
    ).first.inner_text()
    assert "Reverse engineering" in chosen and "Private label" not in chosen
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 4
    screenshot(page, "dashboard-compare")
