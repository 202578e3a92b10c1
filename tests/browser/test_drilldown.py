"""From a figure's cases to one case's timeline in Chromium, and a typed case id to its case."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import polars as pl
import pytest

from metrics.case_detail import case_list
from metrics.derived import derive_all
from metrics.selection import Selection, select_cases
from tests.browser.conftest import no_exception, screenshot, wait_for_app
from warehouse import Warehouse

pytestmark = pytest.mark.browser

GRID = "[data-testid='stDataFrame']"
VEGA = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    wait_for_app(page)
    page.wait_for_timeout(500)
    wait_for_app(page)


def _cells(page) -> list[str]:  # type: ignore[no-untyped-def]
    cells = page.locator(f"{GRID} [role='gridcell']")
    return [cells.nth(i).inner_text() for i in range(cells.count())]


def test_from_a_selection_to_a_case_timeline(demo_server, demo_db: Path, page) -> None:  # type: ignore[no-untyped-def]
    sel = Selection("Reverse engineering", step="Trial batch", rework=True)
    with Warehouse.open(demo_db) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    chosen = select_cases(d.instances.lazy(), d.cases.lazy(), sel).collect()
    latest = d.cases.filter(pl.col("offering") == sel.offering)["last_end"].max()
    # Longest first: the lead time of a completed case, the age of an open one.
    listed = case_list(chosen.lazy(), latest).collect()  # type: ignore[arg-type]
    expected_first = listed.sort(["duration_s", "case_id"], descending=[True, False])["case_id"][0]
    page.goto(f"{demo_server.url}/cases?{urlencode(sel.to_params())}")
    page.wait_for_selector(GRID, timeout=60_000)
    _settle(page)
    no_exception(page)
    main = page.locator("[data-testid='stMain']")
    assert (
        f"{chosen.height} cases: the cases of Reverse engineering that did Trial batch more "
        "than once." in main.inner_text()
    )
    first = _cells(page)[0]
    assert first == expected_first
    screenshot(page, "drilldown-cases")

    box = page.locator(GRID).first.bounding_box()
    # The row's selection box, left of its first cell, under the header row.
    page.mouse.click(box["x"] + 16, box["y"] + 36 + 17)
    page.wait_for_function("() => location.pathname.endsWith('/case')", timeout=30_000)
    page.wait_for_selector(VEGA, timeout=60_000)
    _settle(page)
    no_exception(page)
    assert f"p_case={first}" in page.url
    assert page.locator("h1").first.inner_text() == f"Case {first}"
    text = main.inner_text()
    row = d.cases.filter(pl.col("case_id") == first).row(0, named=True)
    assert ("Completed on" if row["completed"] else "Open:") in text
    for step in ("Its steps", "Its path", "Trial batch"):
        assert step in text
    screenshot(page, "drilldown-case")


def test_a_typed_case_id_lands_on_its_case(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo_server.url}/waits")
    page.wait_for_selector(VEGA, timeout=60_000)
    _settle(page)
    box = page.get_by_placeholder("Case id, or part of it")
    box.fill("0001")
    box.press("Enter")
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("3 case ids contain").wait_for(timeout=30_000)
    _settle(page)
    links = sidebar.locator("a[href*='p_case=']")
    # Each link is its icon's name, then its label.
    assert [links.nth(i).inner_text().split("\n")[-1] for i in range(links.count())] == [
        "CF-0001 · Custom formulation",
        "PL-0001 · Private label fulfillment",
        "RE-0001 · Reverse engineering",
    ]
    screenshot(page, "drilldown-search-part")

    box.fill("re-0042")
    box.press("Enter")
    page.wait_for_function("() => location.search.includes('p_case=RE-0042')", timeout=30_000)
    page.wait_for_selector(VEGA, timeout=60_000)
    _settle(page)
    no_exception(page)
    assert page.locator("h1").first.inner_text() == "Case RE-0042"
    assert "Offering: Reverse engineering" in page.locator("[data-testid='stMain']").inner_text()
    assert box.input_value() == ""
    screenshot(page, "drilldown-search-exact")
