"""A leader drops a monday.com activity log on the Data page in Chromium and imports it.

After the import the test opens the offering's value stream map.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import no_exception, screenshot, wait_for_app
from tests.pipelines.formats import fixtures

pytestmark = pytest.mark.browser


def test_upload_a_monday_activity_log_and_import_it(empty_server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "marketing-activity.json"
    log.write_bytes(fixtures.monday_activity_json())
    page.goto(f"{empty_server.url}/data")
    wait_for_app(page)
    no_exception(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(log))
    page.get_by_text("Looks like a Monday.com activity log").wait_for(timeout=30_000)
    page.get_by_text("Activity instances").first.wait_for(timeout=30_000)
    wait_for_app(page)
    no_exception(page)
    page.get_by_text("How each status counts.", exact=True).wait_for(timeout=30_000)
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "Column to follow" in body
    screenshot(page, "formats-monday-preview")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Import report").wait_for(timeout=30_000)
    wait_for_app(page)
    no_exception(page)
    page.get_by_text("7 events stored").first.wait_for(timeout=30_000)
    screenshot(page, "formats-monday-report")
    page.get_by_role("tab", name="Import history").click()
    page.get_by_text("Remove the 7 events import #1 stored").wait_for(timeout=10_000)

    # ...and then sees its value stream map: the work statuses are boxes; "Stuck" is a
    # waiting status, so it is no box of its own but part of the wait before a step.
    page.goto(f"{empty_server.url}/vsm?p_offering=marketing-activity")
    wait_for_app(page)
    page.locator(".st-key-vsm_chart canvas, .st-key-vsm_chart svg").first.wait_for(timeout=30_000)
    no_exception(page)
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "Value stream map" in main
    assert "cases** (" not in main and " cases (" in main
    screenshot(page, "formats-monday-vsm")
