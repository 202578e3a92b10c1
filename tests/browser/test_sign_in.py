"""Sign-in, roles and the audit trail in Chromium, against a real OpenID Connect provider
on the loopback interface (tests/browser/oidc.py); nothing leaves the machine.

One server for the module (a copy of the demo warehouse); each test its own browser
context, so no sign-in cookie carries over.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import (
    StreamlitServer,
    free_port,
    no_exception,
    screenshot,
    wait_for_app,
)
from tests.browser.oidc import Provider, oidc_provider, sign_in, sign_out, write_secrets

pytestmark = pytest.mark.browser

USERS = [
    ("ana@example.com", "Ana Admin"),
    ("ben@example.com", "Ben Editor"),
    ("vera@example.com", "Vera Viewer"),
]
ROLES = {"default": "viewer", "ana@example.com": "admin", "ben@example.com": "editor"}
URL_PATHS = ["", "vsm", "process-map", "waits", "compare", "experiments", "data"]
LOOPBACK = {"localhost", "127.0.0.1"}
# The provider's own pages link one stylesheet from a CDN; they work without it.
PROVIDER_STYLESHEET = "https://cdn.jsdelivr.net/npm/@picocss/pico@2/css/pico.min.css"
ORDERS = """case,activity,start,end
B-1,Quote,2026-10-01 09:00,2026-10-01 10:00
B-1,Ship,2026-10-02 09:00,2026-10-02 11:00
B-2,Quote,2026-10-03 09:00,2026-10-03 10:00
"""


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with oidc_provider(USERS) as running:
        yield running


@pytest.fixture(scope="module")
def server(
    provider: Provider, demo_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StreamlitServer]:
    work = tmp_path_factory.mktemp("sign-in")
    db = work / "demo.duckdb"
    shutil.copy(demo_db, db)
    port = free_port()
    secrets = write_secrets(work / "secrets.toml", app_port=port, provider=provider, roles=ROLES)
    running = StreamlitServer(db, secrets=secrets, port=port)
    yield running
    running.stop()


@pytest.fixture
def person(browser):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookie) that records any request leaving loopback."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    outside: set[str] = set()
    context.on(
        "request",
        lambda r: (
            outside.add(r.url)
            if urlsplit(r.url).hostname not in LOOPBACK and not r.url.startswith("data:")
            else None
        ),
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
    assert outside <= {PROVIDER_STYLESHEET}, f"requests left the machine: {outside}"


def _main_text(page, where: str = "stApp") -> str:  # type: ignore[no-untyped-def]
    """What a person reads (ui.format.plain's invisible word joiners left out)."""
    return str(page.locator(f"[data-testid='{where}']").inner_text()).replace("\u2060", "")


def _data_tab(page, server: StreamlitServer, tab: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    page.get_by_role("tab", name=tab).click()
    page.wait_for_timeout(500)


def test_a_visitor_who_has_not_signed_in_sees_the_sign_in_page_at_every_address(
    server: StreamlitServer, person
) -> None:  # type: ignore[no-untyped-def]
    for url_path in URL_PATHS:
        person.goto(f"{server.url}/{url_path}")
        wait_for_app(person)
        person.get_by_role("button", name="Sign in").wait_for()
        text = _main_text(person)
        for leak in (
            "Custom formulation",
            "activity instances",
            "Demo data",
            ".duckdb",
            "Page not found",
        ):
            assert leak not in text, (url_path, leak)
        assert person.get_by_role("button", name="Deploy").count() == 0
    screenshot(person, "sign-in-signed-out")


def test_a_viewer_reads_every_page_but_has_no_write_control(
    server: StreamlitServer, person
) -> None:  # type: ignore[no-untyped-def]
    sign_in(person, server.url, "vera@example.com")
    wait_for_app(person)
    person.locator("[data-testid='stSidebar']").get_by_text("Signed in as").wait_for()
    assert "Signed in as Vera Viewer (vera@example.com), viewer" in _main_text(person, "stSidebar")
    person.get_by_text("Custom formulation").first.wait_for()
    no_exception(person)
    screenshot(person, "sign-in-viewer-health")
    person.goto(f"{server.url}/data")
    wait_for_app(person)
    person.get_by_text(
        "Importing needs the editor role; you are a viewer. Ask an admin."
    ).wait_for()
    assert person.locator("[data-testid='stFileUploader']").count() == 0
    assert person.get_by_role("button", name="Remove the demo data").is_disabled()
    person.get_by_role("tab", name="Import history").click()
    undo = person.get_by_role("button", name="Undo this import")
    assert undo.is_disabled()
    person.get_by_text("Undoing an import needs the admin role").first.wait_for()
    person.locator("[data-testid='stCheckbox']").filter(has_text="events import #").wait_for()
    person.wait_for_timeout(1000)  # the history table draws on a canvas
    screenshot(person, "sign-in-viewer-data")
    # A forged undo: the browser's disabled flags removed by hand, the controls clicked.
    person.evaluate(
        "() => document.querySelectorAll('input[disabled], button[disabled]')"
        ".forEach(e => e.removeAttribute('disabled'))"
    )
    person.locator("[data-testid='stCheckbox']").filter(has_text="events import #").click(
        force=True
    )
    # The tick runs the page again: wait for that run (a fixed 800 ms was not always
    # enough on a busy machine), then strip the disabled flags of what it drew.
    person.wait_for_timeout(300)
    wait_for_app(person)
    person.evaluate(
        "() => document.querySelectorAll('button[disabled]').forEach(e => e.removeAttribute('disabled'))"
    )
    undo.click(force=True)
    person.wait_for_timeout(1500)
    wait_for_app(person)
    no_exception(person)
    person.get_by_role("tab", name="Audit trail").click()
    assert "undo import" not in _main_text(person)


def _editor_imports(server: StreamlitServer, person, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    orders = tmp_path / "ben-orders.csv"
    orders.write_text(ORDERS)
    sign_in(person, server.url, "ben@example.com")
    person.goto(f"{server.url}/data")
    wait_for_app(person)
    person.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(orders))
    person.get_by_role("button", name="Import").wait_for()
    wait_for_app(person)
    person.get_by_role("button", name="Import").click()
    person.get_by_text("Import report").wait_for()
    wait_for_app(person)
    no_exception(person)
    person.get_by_text("3 events stored").first.wait_for()
    assert "Imported by ben@example.com." in _main_text(person)
    person.get_by_role("tab", name="Import history").click()
    assert person.get_by_role("button", name="Undo this import").is_disabled()
    screenshot(person, "sign-in-editor-report")


def test_an_editor_imports_an_admin_undoes_and_the_audit_trail_lists_who_did_what(
    server: StreamlitServer, browser, person, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ben = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        ben_page = ben.new_page()
        ben_page.set_default_timeout(30_000)
        _editor_imports(server, ben_page, tmp_path)
    finally:
        ben.close()
    sign_in(person, server.url, "ana@example.com")
    _data_tab(person, server, "Import history")
    label = person.locator("[data-testid='stCheckbox']").filter(has_text="Remove the 3 events")
    label.wait_for()
    label.click()
    wait_for_app(person)
    person.get_by_role("button", name="Undo this import").click()
    wait_for_app(person)
    no_exception(person)
    person.get_by_role("tab", name="Audit trail").click()
    grid = person.locator("[data-testid='stDataFrame']").last
    grid.wait_for()
    person.wait_for_timeout(1000)
    screenshot(person, "sign-in-admin-audit")
    # The grid draws on a canvas; its CSV export is the text a person gets.
    with person.expect_download() as download:
        person.get_by_role("button", name="Download the audit trail (CSV)").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0] == ["when", "who", "role", "what", "on what", "details"]
    assert rows[1][1:4] == ["ana@example.com", "admin", "undo import"]
    assert rows[1][4].startswith("import #")
    assert rows[2][1:] == [
        "ben@example.com",
        "editor",
        "import",
        "ben-orders.csv",
        "rows read: 3, instances: 3, rejected: 0",
    ]
    sign_out(person, server.url)
    person.get_by_role("button", name="Sign in").wait_for()
    assert "Custom formulation" not in _main_text(person)
