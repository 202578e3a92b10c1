"""Every CSV the app offers, downloaded from a warehouse holding hostile names: no cell
begins with a formula character (OWASP's CSV injection rule), whatever page or tab it
comes from, and no script runs while the pages are open."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from pipelines.ingest import ImportOptions, ingest
from pipelines.mapping import Mapping
from tests.browser.conftest import StreamlitServer, no_exception, wait_for_app
from ui.widgets import FORMULA_STARTS
from warehouse import Warehouse

pytestmark = pytest.mark.browser

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\tTabbed",
    "<img src=x onerror=alert(1)>",
    "[x](http://evil.example)",
]
PAGES = ["", "vsm", "process-map", "waits", "compare", "data"]


def _hostile_log(folder: Path) -> Path:
    rows = [["Offering", "Case", "Step", "Started", "Finished", "Owner"]]
    for c in range(12):
        for s, step in enumerate(HOSTILE[:5]):
            rows.append(
                [
                    "=cmd|' /C calc'!A0" if c % 2 else "-Private label",
                    f"{HOSTILE[c % len(HOSTILE)]} {c}",
                    step,
                    f"2026-09-{c + 1:02d} {8 + s:02d}:00",
                    f"2026-09-{c + 1:02d} {8 + s:02d}:30",
                    HOSTILE[(c + s) % len(HOSTILE)],
                ]
            )
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = folder / "=hostile.csv"
    path.write_text(out.getvalue())
    return path


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    """Until the script has run: the first visit opens the file and derives every case, and
    the running indicator may show a moment after the page loads."""
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stMainBlockContainer'] [data-testid='stHeading']")
    wait_for_app(page)


def _download(page, button) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The file a download button gives: its name and text. A click that lands while the
    page reruns is lost, so one more is tried."""
    for attempt in range(2):
        try:
            with page.expect_download(timeout=20_000) as download:
                button.click()
        except Exception:
            if attempt:
                raise
            wait_for_app(page)
            continue
        path = Path(download.value.path())
        return download.value.suggested_filename, path.read_text(encoding="utf-8")
    raise AssertionError("unreachable")


def test_no_downloaded_csv_cell_can_become_a_formula(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "hostile.duckdb"
    with Warehouse.open(db) as wh:
        mapping = Mapping(
            case="Case",
            activity="Step",
            start="Started",
            end="Finished",
            resource="Owner",
            offering_column="Offering",
        )
        report = ingest(wh, _hostile_log(tmp_path), options=ImportOptions(mapping=mapping))
        assert report.stored == 60
    server = StreamlitServer(db)
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    downloaded: dict[str, list[list[str]]] = {}
    try:
        for url_path in PAGES:
            page.goto(f"{server.url}/{url_path}")
            _settle(page)
            no_exception(page)
            tabs = page.get_by_role("tab")
            for t in range(max(tabs.count(), 1)):
                if tabs.count():
                    tabs.nth(t).click()
                    page.wait_for_timeout(300)
                for details in page.locator("[data-testid='stExpander'] details").all():
                    if details.get_attribute("open") is None and details.is_visible():
                        details.locator("summary").click()
                        page.wait_for_timeout(200)
                buttons = page.locator("[data-testid='stDownloadButton'] button").filter(
                    has_text="CSV"
                )
                for b in range(buttons.count()):
                    button = buttons.nth(b)
                    if not button.is_visible():
                        continue
                    wait_for_app(page)
                    name, text = _download(page, button)
                    name = f"{url_path or 'health'}: {name}"
                    downloaded[name] = list(csv.reader(io.StringIO(text)))
                    _settle(page)
    finally:
        context.close()
        server.stop()
    assert dialogs == []
    # The pages offer these at least; the integrator's reworked pages may add more.
    assert {
        "data: imports.csv",
        "data: audit-trail.csv",
        "compare: compare-offerings.csv",
        "waits: waits-by-step--private-label.csv",
        "process-map: process-map-arrows--private-label.csv",
    } <= set(downloaded), sorted(downloaded)
    for name, rows in downloaded.items():
        for row in rows:
            for cell in row:
                if cell.startswith("-"):
                    float(cell)  # a negative number, never a formula
                else:
                    assert not cell.startswith(FORMULA_STARTS), (name, cell)
    names = {cell for rows in downloaded.values() for row in rows for cell in row}
    assert "'=cmd|' /C calc'!A0" in names or "'=hostile.csv" in names
