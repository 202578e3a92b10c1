"""Imports while people read: the command line imports in a loop while Chromium reloads
pages and a second session imports (and undoes) on the Data page. Every import's events
are stored exactly once, and no page shows an exception.

The app holds the warehouse file for its whole life, so each command-line import is
handed to it through the inbox folder (warehouse/inbox.py) and stored under the same
write lock as the Data page's imports and undos.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from itertools import cycle
from pathlib import Path

import pytest

from tests.browser.conftest import StreamlitServer, no_exception, screenshot, wait_for_app
from tests.conftest import REPO
from warehouse import Warehouse

pytestmark = pytest.mark.browser

CLI_IMPORTS = 5
CASES = 30
PAGES = ["", "waits", "data", "vsm", "process-map"]


def _orders(folder: Path, tag: str) -> Path:
    rows = ["Order ID,Step,Started,Finished"]
    for c in range(CASES):
        rows += [
            f"{tag}-{c},Quote,2026-10-01 09:00,2026-10-01 10:00",
            f"{tag}-{c},Ship,2026-10-02 09:00,2026-10-02 11:00",
        ]
    path = folder / f"{tag}.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _command_line_loop(db: Path, files: list[Path], results: list[dict[str, object]]) -> None:
    for path in files:
        ran = subprocess.run(
            [sys.executable, "-m", "pipelines.ingest", str(path), "--db", str(db), "--json"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        results.append(
            {
                "file": path.name,
                "code": ran.returncode,
                "stderr": ran.stderr,
                "report": json.loads(ran.stdout) if ran.returncode == 0 else None,
            }
        )


def _import_on_the_data_page(page, server: StreamlitServer, path: Path) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    page.get_by_role("button", name="Import").wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text(f"{2 * CASES} events stored").first.wait_for(timeout=120_000)
    wait_for_app(page)
    no_exception(page)


def _undo_on_the_data_page(page, server: StreamlitServer, file_name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/data")
    wait_for_app(page)
    page.get_by_role("tab", name="Import history").click()
    page.locator("[data-testid='stSelectbox']").filter(has_text="Import").last.click()
    page.get_by_role("option", name=re.compile(re.escape(file_name))).click()
    wait_for_app(page)
    page.locator("[data-testid='stCheckbox']").filter(has_text="events import #").click()
    wait_for_app(page)
    page.get_by_role("button", name="Undo this import").click()
    wait_for_app(page)
    no_exception(page)


def test_imports_from_the_command_line_while_people_read_and_import(
    demo_db: Path, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    server = StreamlitServer(db)
    reader = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    importer = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    try:
        reader.goto(server.url)  # the first visit opens the file and starts the inbox
        wait_for_app(reader)
        cli_files = [_orders(tmp_path, f"cli{i}") for i in range(CLI_IMPORTS)]
        page_files = [_orders(tmp_path, f"page{i}") for i in range(2)]
        results: list[dict[str, object]] = []
        loop = threading.Thread(target=_command_line_loop, args=(db, cli_files, results))
        loop.start()
        reloads = 0
        pages = cycle(PAGES)
        _import_on_the_data_page(importer, server, page_files[0])
        while loop.is_alive() or reloads < len(PAGES):
            reader.goto(f"{server.url}/{next(pages)}")
            wait_for_app(reader)
            no_exception(reader)
            reloads += 1
            if reloads == 2:
                _import_on_the_data_page(importer, server, page_files[1])
            if reloads == 3:
                _undo_on_the_data_page(importer, server, page_files[0].name)
        loop.join()
        reader.goto(server.url)
        wait_for_app(reader)
        no_exception(reader)
        screenshot(reader, "concurrency-after")
    finally:
        server.stop()
    assert [(r["code"], r["stderr"]) for r in results] == [
        (0, "note: the app holds the warehouse: the import was handed to it.\n")
    ] * CLI_IMPORTS
    assert [r["report"]["stored"] for r in results] == [2 * CASES] * CLI_IMPORTS  # type: ignore[index]
    with Warehouse.open(db) as wh:
        counts = dict(
            wh.read(
                "SELECT split_part(case_id, '-', 1) AS tag, count(*) AS n FROM events "
                "WHERE case_id SIMILAR TO '(cli|page)[0-9]+-[0-9]+' GROUP BY 1"
            ).iter_rows()
        )
        imports = wh.read(
            "SELECT file_name, count(*) AS n, count(undone_at) AS undone FROM imports "
            "WHERE file_name SIMILAR TO '(cli|page)[0-9]+\\.csv' GROUP BY 1 ORDER BY 1"
        ).rows()
        duplicated = wh.scalar(
            'SELECT count(*) FROM (SELECT offering, case_id, activity, start, "end" FROM events '
            "GROUP BY ALL HAVING count(*) > 1)"
        )
    assert counts == {f"cli{i}": 2 * CASES for i in range(CLI_IMPORTS)} | {"page1": 2 * CASES}
    assert imports == [(f"cli{i}.csv", 1, 0) for i in range(CLI_IMPORTS)] + [
        ("page0.csv", 1, 1),
        ("page1.csv", 1, 0),
    ]
    assert duplicated == 0
