"""A chart drawn only for its files (the value stream map with the offering as its title, the
process behaviour chart of an experiment) is built when a file is asked for, not on every
run of the page: the downloaded SVG is that chart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import StreamlitServer, no_exception, wait_for_app

pytestmark = pytest.mark.browser


def _svg(page, url: str, last: bool = False) -> str:  # type: ignore[no-untyped-def]
    """The SVG download of the page's first chart (`last`: of its last one)."""
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMainBlockContainer'] [data-testid='stHeading']")
    wait_for_app(page)
    no_exception(page)
    menus = page.get_by_text("Download the chart")
    # A long page draws its sections one after the other: take the last menu only once
    # no new one has appeared for a second.
    seen = -1
    while menus.count() != seen:
        seen = menus.count()
        page.wait_for_timeout(1_000)
        wait_for_app(page)
    (menus.last if last else menus.first).click()
    buttons = page.locator("[data-testid='stDownloadButton'] button").filter(
        has_text="Download SVG"
    )
    shown = [b for b in buttons.all() if b.is_visible()]
    assert len(shown) == 1
    with page.expect_download(timeout=60_000) as download:
        shown[0].click()
    assert download.value.suggested_filename.endswith(".svg")
    return Path(download.value.path()).read_text(encoding="utf-8")


def test_the_downloaded_map_and_process_behaviour_chart_are_the_titled_charts(
    browser,  # type: ignore[no-untyped-def]
    demo_server: StreamlitServer,
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        vsm = _svg(page, f"{demo_server.url}/vsm?p_offering=Custom+formulation")
        experiments = _svg(page, f"{demo_server.url}/experiments", last=True)
    finally:
        context.close()
    # The map's file carries the offering as its title (the page names it above the map
    # instead) and its steps' boxes.
    assert vsm.startswith("<svg") and ">Custom formulation</text>" in vsm
    assert "Sample approval" in vsm and "BOTTLENECK" in vsm
    # The process behaviour chart exists only in the file: individuals above moving ranges,
    # titled with what it shows.
    assert "Lead times in order of completion: " in experiments
    assert "natural process limit" in experiments and "upper range limit" in experiments
