"""Real Streamlit servers driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = REPO / "test-artifacts"

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StreamlitServer:
    """The app on a free port of the loopback interface, with the repository's
    .streamlit/config.toml and only the secrets file given (an empty one by default), so a
    developer's own secrets never reach a test. With sign-in, the browser opens it at
    http://localhost:PORT, the origin of its redirect_uri."""

    def __init__(self, db: Path, *, secrets: Path | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://{'localhost' if secrets else '127.0.0.1'}:{self.port}"
        if secrets is None:
            secrets = db.parent / f"no-secrets-{self.port}.toml"
            secrets.write_text("")
        self.log = db.parent / f"streamlit-{self.port}.log"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")},
            "VSM_DB": str(db),
            "PYTHONPATH": str(REPO),
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ui.serve",  # as `make run` starts it: `streamlit run app.py`, modules loaded
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--secrets.files",
                str(secrets),
            ],
            cwd=REPO,
            env=env,
            # A file, not a pipe nobody reads: a long test's log must not fill it and stall
            # the server.
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("Streamlit did not start within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def demo_server(demo_db: Path, tmp_path: Path) -> Iterator[StreamlitServer]:
    db = tmp_path / "demo-copy.duckdb"
    shutil.copy(demo_db, db)
    server = StreamlitServer(db)
    yield server
    server.stop()


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[StreamlitServer]:
    server = StreamlitServer(tmp_path / "empty.duckdb")
    yield server
    server.stop()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(300)


def shown_within(page, server: StreamlitServer, selector: str, timeout_ms: int) -> None:  # type: ignore[no-untyped-def]
    """Wait for `selector` on the page; where it does not come, fail with what the page
    shows and the end of the server's log, so a run that timed out says why."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_selector(selector, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        shown = page.locator("[data-testid='stApp']").inner_text(timeout=5_000)
        log = server.log.read_text(errors="replace")[-6_000:]
        raise AssertionError(
            f"{selector} not shown within {timeout_ms / 1000:.0f} s.\nThe page:\n{shown}\n"
            f"The server's log, its end:\n{log}"
        ) from None


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """The whole page: Streamlit scrolls inside its main pane, so grow the window to fit it."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? m.scrollHeight : 0; }"
    )
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(height, size["height"]), 8000)}
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def no_exception(page) -> None:  # type: ignore[no-untyped-def]
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']"
    ).first.inner_text()
