"""Stream health and the value stream map in Chromium: drawn, no exception, filters change them."""

from __future__ import annotations

import pytest

from tests.browser.conftest import no_exception, screenshot, wait_for_app

pytestmark = pytest.mark.browser

VEGA = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    wait_for_app(page)
    page.wait_for_timeout(500)
    wait_for_app(page)


def test_stream_health_and_a_link_to_its_value_stream_map(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    # The server started as `make run` starts it compresses what it sends over the page's
    # WebSocket (.streamlit/config.toml), and the page is drawn from those messages.
    handshakes: list[dict[str, str]] = []
    cdp = page.context.new_cdp_session(page)
    cdp.on(
        "Network.webSocketHandshakeResponseReceived",
        lambda event: handshakes.append(
            {k.lower(): v for k, v in event["response"]["headers"].items()}
        ),
    )
    cdp.send("Network.enable")
    page.goto(demo_server.url)
    page.wait_for_selector(VEGA, timeout=60_000)
    _settle(page)
    no_exception(page)
    assert handshakes and all(
        h.get("sec-websocket-extensions", "").split(";")[0] == "permessage-deflate"
        for h in handshakes
    )
    main = page.locator("[data-testid='stMain']")
    for offering in ("Custom formulation", "Private label fulfillment", "Reverse engineering"):
        assert offering in main.inner_text()
    assert main.inner_text().count("Median lead time") >= 3
    screenshot(page, "dashboard-health")

    # A filter change: only completed cases, kept in the link.
    page.get_by_text("Completed cases only").click()
    page.wait_for_function("() => location.search.includes('completed=1')", timeout=30_000)
    _settle(page)
    no_exception(page)
    assert "In progress" in main.inner_text()

    # The tile's link opens that offering's value stream map.
    page.locator("[data-testid='stMain'] a[href*='p_offering=Private']").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/vsm')", timeout=30_000)
    page.locator(".st-key-vsm_chart canvas, .st-key-vsm_chart svg").first.wait_for(timeout=60_000)
    _settle(page)
    no_exception(page)
    assert "Private label fulfillment" in page.locator("[data-testid='stMain']").inner_text()
    screenshot(page, "dashboard-vsm")


def test_a_shared_link_opens_the_same_view(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo_server.url}/vsm?p_offering=Reverse+engineering&offering=Reverse+engineering")
    page.locator(".st-key-vsm_chart canvas, .st-key-vsm_chart svg").first.wait_for(timeout=60_000)
    _settle(page)
    no_exception(page)
    sidebar = page.locator("[data-testid='stSidebar']").inner_text()
    assert "Filters" in sidebar and "Reverse engineering" in sidebar
    assert "Custom formulation" not in sidebar  # the offering filter came from the link
    assert "598 cases" in page.locator("[data-testid='stMain']").inner_text()
