"""A person uploads a CSV on the Data page in Chromium, imports it and reads the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import no_exception, screenshot, wait_for_app

pytestmark = pytest.mark.browser

CSV = """Order ID,Step,Started,Finished,Owner
O-1,Quote,2025-06-02 09:00,2025-06-02 10:00,Maya
O-1,Formulation,2025-06-03 09:00,2025-06-04 17:00,Lab
O-2,Quote,2025-06-02 11:00,2025-06-02 11:30,Maya
,Quote,2025-06-02 11:00,2025-06-02 11:30,Maya
"""


def test_upload_a_csv_and_see_the_report(empty_server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = tmp_path / "orders.csv"
    csv.write_text(CSV)
    page.goto(f"{empty_server.url}/data")
    wait_for_app(page)
    no_exception(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(csv))
    page.get_by_text("Activity instances").first.wait_for(timeout=30_000)
    wait_for_app(page)
    screenshot(page, "data-preview")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Import report").wait_for(timeout=30_000)
    wait_for_app(page)
    no_exception(page)
    page.get_by_text("3 events stored").first.wait_for(timeout=30_000)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "3 events stored" in body
    assert "1 rows rejected" in body
    assert "no case id" in body
    screenshot(page, "data-report")

    page.get_by_role("tab", name="Import history").click()
    page.wait_for_timeout(1000)
    screenshot(page, "data-history")
    page.get_by_text("Remove the 3 events import #1 stored").wait_for(timeout=10_000)
    screenshot(page, "data-history")


def test_data_page_on_the_demo(demo_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo_server.url}/data")
    wait_for_app(page)
    no_exception(page)
    page.locator("[data-testid='stSidebar']").get_by_text("Demo data.").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Activity catalog").click()
    page.wait_for_timeout(500)
    page.get_by_text("value class").first.wait_for(timeout=10_000)
    page.get_by_text("Save the catalog").wait_for(timeout=10_000)
    page.wait_for_timeout(2000)  # the editor draws on a canvas after the tab opens
    screenshot(page, "data-catalog")
