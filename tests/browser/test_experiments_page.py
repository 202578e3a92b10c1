"""A leader opens the Experiments page on the demo in Chromium: verdicts, charts, trying a change."""

from __future__ import annotations

import pytest

from tests.browser.conftest import no_exception, screenshot, wait_for_app

pytestmark = pytest.mark.browser

CHARTS = "[data-testid='stVegaLiteChart']"


def _charts_drawn(page) -> int:  # type: ignore[no-untyped-def]
    """Charts whose Vega view has drawn marks (an SVG or canvas with a size)."""
    page.wait_for_function(
        f'() => document.querySelectorAll("{CHARTS}").length >= 4', timeout=60_000
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
    assert _charts_drawn(page) == 4
    assert main.get_by_role("heading", name="Experiments").count() == 1
    screenshot(page, "experiments-waiting-moved")

    page.goto(f"{demo_server.url}/experiments?p_experiment=1")
    wait_for_app(page)
    main.get_by_text("the median lead time fell from").first.wait_for(timeout=60_000)
    assert _charts_drawn(page) == 4
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
