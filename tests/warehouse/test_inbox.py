"""Imports from the command line while another process holds the warehouse file.

DuckDB lets one process open a file for writing; within one process every connection
shares the same database, so these tests hold the file in a second process, as the app
(or another command-line import) would: `_holder` opens it, optionally with the app's
inbox watcher, and keeps it until told to stop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO
from warehouse import Warehouse
from warehouse.inbox import app_is_serving, inbox_dir

HOLDER = """
import sys, time
from contextlib import contextmanager
from pathlib import Path
from warehouse import Warehouse
from warehouse.inbox import InboxWatcher
marks = Path(sys.argv[3]).with_name("around.log")
@contextmanager
def around():  # the app's background work waits while a job is stored
    with marks.open("a") as f:
        f.write("in ")
    try:
        yield
    finally:
        with marks.open("a") as f:
            f.write("out ")
wh = Warehouse.open(sys.argv[1])
watcher = InboxWatcher(wh, around=around).start() if sys.argv[2] == "app" else None
print("holding", flush=True)
stop = Path(sys.argv[3])
deadline = time.monotonic() + float(sys.argv[4])
while not stop.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
if watcher:
    watcher.stop()
wh.close()
"""


@contextmanager
def _holder(db: Path, mode: str, seconds: float = 120) -> Iterator[subprocess.Popen[str]]:
    stop = db.parent / f"stop-{mode}"
    stop.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), mode, str(stop), str(seconds)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
        yield proc
    finally:
        stop.touch()
        proc.wait(30)


def _orders(tmp_path: Path, tag: str, cases: int = 20) -> Path:
    lines = ["case,activity,start,end"]
    for c in range(cases):
        lines += [
            f"{tag}-{c},Quote,2025-06-01T08:00:00Z,2025-06-01T09:00:00Z",
            f"{tag}-{c},Ship,2025-06-02T08:00:00Z,2025-06-02T10:00:00Z",
        ]
    path = tmp_path / f"{tag}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _ingest(db: Path, *files: Path, wait: float = 120) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.ingest",
            *map(str, files),
            "--db",
            str(db),
            "--json",
            "--wait",
            str(wait),
            "--offering",
            "Orders",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _counts(db: Path) -> dict[str, int]:
    with Warehouse.open(db) as wh:
        frame = wh.read(
            "SELECT split_part(case_id, '-', 1) AS tag, count(*) AS n FROM events GROUP BY 1"
        )
    return dict(frame.iter_rows())


@pytest.mark.slow
def test_an_import_while_the_app_holds_the_file_is_stored_by_the_app(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    Warehouse.open(db).close()
    with _holder(db, "app"):
        assert app_is_serving(db)
        ran = _ingest(db, _orders(tmp_path, "cli"))
        out, err = ran.communicate(timeout=120)
        assert ran.returncode == 0, err
    report = json.loads(out)
    assert (report["stored"], report["duplicates"]) == (40, 0)
    assert report["imported_by"].startswith("command line (")
    assert err.strip() == "note: the app holds the warehouse: the import was handed to it."
    assert _counts(db) == {"cli": 40}
    with Warehouse.open(db) as wh:
        audit = wh.audit().row(0, named=True)
        assert (audit["action"], audit["actor"]) == ("import", report["imported_by"])
    assert sorted(p.name for p in inbox_dir(db).iterdir()) == []  # nothing left behind
    assert (tmp_path / "around.log").read_text() == "in out "  # the job, inside `around`


@pytest.mark.slow
def test_the_same_file_handed_over_twice_is_stored_once(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    orders = _orders(tmp_path, "twice")
    with _holder(db, "app"):
        first, second = _ingest(db, orders), _ingest(db, orders)
        reports = [json.loads(p.communicate(timeout=120)[0]) for p in (first, second)]
    assert sorted(r["stored"] for r in reports) == [0, 40]
    assert [r["already_imported_as"] for r in reports].count(None) == 1
    assert _counts(db) == {"twice": 40}


@pytest.mark.slow
def test_an_import_waits_for_another_command_line_import_to_finish(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with _holder(db, "cli", seconds=10):
        started = time.monotonic()
        ran = _ingest(db, _orders(tmp_path, "later"))
        out, err = ran.communicate(timeout=120)
    assert ran.returncode == 0, err
    assert time.monotonic() - started > 9  # it waited for the other one to let go
    assert "another process is writing the warehouse: waiting for it to finish" in err
    assert json.loads(out)["stored"] == 40


@pytest.mark.slow
def test_an_import_that_waits_too_long_says_so_and_stores_nothing(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with _holder(db, "cli", seconds=60):
        ran = _ingest(db, _orders(tmp_path, "late"), wait=1)
        _, err = ran.communicate(timeout=60)
    assert ran.returncode == 2
    assert err.strip().splitlines()[-1].endswith("It stayed busy for 1 s; nothing was stored.")
    assert _counts(db) == {}


@pytest.mark.slow
def test_two_command_line_imports_at_once_both_land(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    runs = [_ingest(db, _orders(tmp_path, tag, cases=500)) for tag in ("a", "b", "c")]
    reports = [json.loads(r.communicate(timeout=180)[0]) for r in runs]
    assert [r["stored"] for r in reports] == [1000, 1000, 1000]
    assert _counts(db) == {"a": 1000, "b": 1000, "c": 1000}


@pytest.mark.slow
def test_jobs_an_app_took_and_did_not_finish_are_stored_once_by_the_next_app(
    tmp_path: Path,
) -> None:
    from pipelines.ingest import ImportOptions, import_job, prepare
    from warehouse.inbox import _write_job

    db = tmp_path / "w.duckdb"
    options = ImportOptions(offering="Orders")
    committed = import_job(prepare(_orders(tmp_path, "done"), options=options))
    pending = import_job(prepare(_orders(tmp_path, "todo"), options=options))
    with Warehouse.open(db) as wh:
        committed.store(wh)  # the killed app had committed this one, not the other
    box = inbox_dir(db)
    for job in (committed, pending):
        job_id = _write_job(box, job)
        (box / f"{job_id}.job").rename(box / f"{job_id}.claimed")
    with _holder(db, "app"):
        deadline = time.monotonic() + 60
        while len(list(box.glob("*.result"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    results = [json.loads(p.read_text()) for p in box.glob("*.result")]
    assert sorted((r["stored"], r["already_imported_as"] or 0) for r in results) == [
        (0, 1),
        (40, 0),
    ]
    assert _counts(db) == {"done": 40, "todo": 40}
    assert not list(box.glob("*.claimed")) and not list(box.glob("*.job"))
