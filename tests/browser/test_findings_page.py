"""A leader reviews the demo's findings in Chromium: confirms one, dismisses another with a
note, imports more orders of the same offering, reloads, and finds the verdicts kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import no_exception, screenshot, wait_for_app

pytestmark = pytest.mark.browser

CF = "Custom formulation"
NECK = "449ab5666db1509e"  # Cases wait a median 7.0 d before Sample approval
WASTE = "60872f40c70ef46d"  # Sample sent, marked waste in the catalog

MORE_ORDERS = """Order ID,Step,Started,Finished,Owner,Offering
X-1,Sales inquiry,2026-09-01 09:00,2026-09-01 10:00,Tom (Sales),Custom formulation
X-1,Quote,2026-09-02 09:00,2026-09-02 11:00,Tom (Sales),Custom formulation
X-2,Sales inquiry,2026-09-03 09:00,2026-09-03 09:30,Tom (Sales),Custom formulation
X-3,Sales inquiry,2026-09-04 14:00,2026-09-04 15:00,Tom (Sales),Custom formulation
"""


def _summary(page) -> str:  # type: ignore[no-untyped-def]
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("findings in the").first.wait_for(timeout=90_000)
    wait_for_app(page)
    return str(main.inner_text())


def test_confirm_dismiss_import_reload(demo_server, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{demo_server.url}/findings")
    body = _summary(page)
    no_exception(page)
    assert "8 findings in the 1,196 cases of Custom formulation" in body
    # The summary comes first; each card's chart follows as the page draws it.
    charts = page.locator("[data-testid='stVegaLiteChart']")
    charts.nth(7).wait_for(timeout=60_000)
    wait_for_app(page)
    assert charts.count() == 8
    screenshot(page, "findings-demo")

    neck = page.locator(f".st-key-fnd_card_{NECK}")
    # A card's list of cases is drawn when it is opened: a table, and its CSV.
    assert page.locator("[data-testid='stDataFrame']").count() == 0
    neck.get_by_text("The 1,153 cases behind this").click()
    neck.locator("[data-testid='stDataFrame']").wait_for(timeout=30_000)
    wait_for_app(page)
    assert neck.get_by_text("Download (CSV)").count() == 1
    assert page.locator("[data-testid='stDataFrame']").count() == 1
    screenshot(page, "findings-cases-open")
    neck.get_by_role("button", name="Confirm").click()
    neck.get_by_text("Confirmed by local user (no sign-in)").wait_for(timeout=30_000)
    wait_for_app(page)

    waste = page.locator(f".st-key-fnd_card_{WASTE}")
    waste.get_by_label("Note", exact=True).fill("Not waste: customers need a sample in hand")
    waste.get_by_role("button", name="Dismiss").click()
    page.get_by_text("Dismissed (1)").wait_for(timeout=30_000)
    wait_for_app(page)
    no_exception(page)
    assert page.locator(f".st-key-fnd_card_{WASTE}").count() == 0
    screenshot(page, "findings-judged")

    # More orders of the same offering, through the Data page.
    csv = tmp_path / "more-orders.csv"
    csv.write_text(MORE_ORDERS)
    page.goto(f"{demo_server.url}/data")
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(csv))
    page.get_by_text("Activity instances").first.wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("4 events stored").first.wait_for(timeout=30_000)
    wait_for_app(page)
    no_exception(page)

    page.goto(f"{demo_server.url}/findings?p_offering=Custom+formulation")
    body = _summary(page)
    no_exception(page)
    # The three new orders are in; the verdicts stayed with their findings.
    assert "in the 1,199 cases of Custom formulation" in body
    assert "6 to review, 1 confirmed, 1 dismissed" in body
    neck = page.locator(f".st-key-fnd_card_{NECK}")
    assert "Confirmed by local user (no sign-in)" in neck.inner_text()
    assert page.locator(f".st-key-fnd_card_{WASTE}").count() == 0
    page.get_by_text("Dismissed (1)").click()
    page.get_by_text("“Not waste: customers need a sample in hand”").wait_for(timeout=10_000)
    screenshot(page, "findings-after-import")

    page.goto(demo_server.url)
    page.locator("[data-testid='stMain']").get_by_text("Top finding to review").first.wait_for(
        timeout=90_000
    )
    wait_for_app(page)
    no_exception(page)
    screenshot(page, "findings-on-stream-health")
