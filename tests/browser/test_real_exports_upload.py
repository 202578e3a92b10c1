"""A leader uploads what Jira, GitHub and Trello gave them, on the Data page in Chromium.

For each of the recorded real exports in ../shared/data/external/exports: upload →
"Looks like ..." → check how each status counts and confirm → import → its value
stream map. Screenshots go to test-artifacts/ (real-export-*.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import no_exception, screenshot, wait_for_app

pytestmark = [pytest.mark.browser, pytest.mark.real]

EXPORTS = [
    ("jira_actionableagile_search.json", "Jira changelog", 25),
    ("github_issue28_timeline.json", "GitHub", 1),
    ("github_pr31_timeline.json", "GitHub", 1),
    ("github_pr31_events.json", "GitHub", 1),
    ("github_repo_issues_events.json", "GitHub", 10),
    ("trello_jsai_2021.json", "Trello board", 182),
    ("trello_kanban_2016.json", "Trello board", 2),
]


@pytest.mark.parametrize(("name", "label", "cases"), EXPORTS, ids=[e[0] for e in EXPORTS])
def test_upload_confirm_import_and_map(  # type: ignore[no-untyped-def]
    empty_server, page, external_dir: Path, name: str, label: str, cases: int
) -> None:
    path = external_dir / "exports" / name
    stem = name.removesuffix(".json")
    page.goto(f"{empty_server.url}/data")
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.get_by_text(f"Looks like a {label}").first.wait_for(timeout=60_000)
    page.get_by_text("How each status counts.", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)
    no_exception(page)
    main = page.locator("[data-testid='stMain']")
    # On a busy machine a rerun may have begun before its status shows: wait for the
    # preview's count rather than read the page at once.
    kinds = f"With these kinds: {cases:,} cases"
    main.get_by_text(kinds).first.wait_for(timeout=60_000)
    assert kinds in main.inner_text()
    page.get_by_text("I checked how each status counts").click()
    wait_for_app(page)
    screenshot(page, f"real-export-{stem}-preview")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Import report").wait_for(timeout=60_000)
    wait_for_app(page)
    no_exception(page)
    screenshot(page, f"real-export-{stem}-report")

    page.goto(f"{empty_server.url}/vsm?p_offering={stem}")
    page.get_by_text(f"{cases:,} cases", exact=False).first.wait_for(timeout=60_000)
    wait_for_app(page)
    no_exception(page)
    # Confirmed statuses: no page marks the offering as classified automatically.
    assert "Statuses classified automatically" not in main.inner_text()
    screenshot(page, f"real-export-{stem}-vsm")


def test_an_unconfirmed_import_is_marked_on_the_pages(  # type: ignore[no-untyped-def]
    empty_server, page, external_dir: Path
) -> None:
    path = external_dir / "exports" / "jira_actionableagile_search.json"
    page.goto(f"{empty_server.url}/data")
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.get_by_text("How each status counts.", exact=True).wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Import report").wait_for(timeout=60_000)
    page.goto(f"{empty_server.url}/")
    wait_for_app(page)
    page.get_by_text("Statuses classified automatically: check them").wait_for(timeout=30_000)
    screenshot(page, "real-export-unconfirmed-health")
