"""The report CLI: pure JSON on stdout with the documented shape, and a readable summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.cli_runner import Ran, run_cli
from tests.metrics.frames import events
from warehouse import Warehouse
from warehouse.derived import stored_report

REPO = Path(__file__).resolve().parents[2]
NO_REJECTS = pl.DataFrame(schema={"source_row": pl.Int64, "reason": pl.String, "raw": pl.String})
KEYS = [
    "offering",
    "cases",
    "completed_cases",
    "open_cases",
    "instances",
    "lead_time_s",
    "process_time_s",
    "wait_time_s",
    "flow_efficiency",
    "pce",
    "rework_case_share",
    "bottleneck",
    "variants",
    "steps",
    "transitions",
]


def _store(wh: Warehouse, log: pl.DataFrame, name: str) -> None:
    wh.store_import(
        file_name=name,
        sha256=name,
        format="csv",
        mapping={},
        options={},
        rows_read=log.height,
        instances=log.with_columns(source_row=pl.int_range(2, pl.len() + 2, dtype=pl.Int64)),
        rejects=NO_REJECTS,
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "w.duckdb"
    log = pl.concat(
        [
            events(
                [
                    ("1", "A", 0, 1),
                    ("1", "B", 3, 4),
                    ("1", "Close", 5, 5),
                    ("2", "A", 24, 26),
                    ("2", "A", 27, 28),
                    ("2", "Close", 30, 30),
                    ("3", "A", 72, 73),
                ],
                offering="Stream",
            ),
            events([("9", "X", 0, 1)], offering="Other"),
        ]
    )
    with Warehouse.open(path) as wh:
        _store(wh, log, "f.csv")
    return path


def _run(*args: str) -> Ran:
    return run_cli("report", *args)


def test_json_shape(db: Path) -> None:
    result = _run("--db", str(db), "--offering", "Stream", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert list(out) == KEYS
    assert out["offering"] == "Stream"
    assert (out["cases"], out["completed_cases"], out["open_cases"], out["instances"]) == (
        3,
        2,
        1,
        7,
    )
    assert out["lead_time_s"] == {
        "p50": 5.5 * 3600,
        "p85": pytest.approx(5.85 * 3600),
        "p95": pytest.approx(5.95 * 3600),
        "mean": 5.5 * 3600,
    }
    assert out["variants"] == 3 and out["rework_case_share"] == pytest.approx(1 / 3)
    assert out["bottleneck"] == "Close"
    assert [s["activity"] for s in out["steps"]] == ["A", "B", "Close"]
    assert set(out["steps"][0]) == {
        "activity",
        "instances",
        "cases",
        "rework_share",
        "process_time_s",
        "wait_before_s",
    }
    assert set(out["steps"][0]["wait_before_s"]) == {"p50", "p85", "p95", "mean", "sum"}
    assert out["transitions"][0] == {
        "from": "A",
        "to": "A",
        "count": 1,
        "wait_s": {"mean": 3600.0, "p50": 3600.0},
    }


def test_window_keeps_cases_in_progress(db: Path) -> None:
    result = _run(
        "--db",
        str(db),
        "--offering",
        "Stream",
        "--from",
        "2024-01-02",
        "--to",
        "2024-01-02",
        "--json",
    )
    out = json.loads(result.stdout)
    # Case 2 runs on 2 January; case 1 ended on the 1st; case 3 starts on the 4th.
    assert (out["cases"], out["completed_cases"]) == (1, 1)
    started = json.loads(
        _run(
            "--db",
            str(db),
            "--offering",
            "Stream",
            "--from",
            "2024-01-04",
            "--window",
            "started",
            "--json",
        ).stdout
    )
    assert (started["cases"], started["open_cases"], started["lead_time_s"]["p50"]) == (1, 1, None)


EVERY_DAY = ("--from", "2000-01-01", "--to", "2100-01-01")


def test_the_report_of_every_case_is_stored_at_each_import(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    shutil.copy(db, path)
    args = ("--db", str(path), "--offering", "Stream", "--json")
    with Warehouse.open(path) as wh:
        stored = stored_report(wh, "Stream")
    assert stored is not None and stored[0]["cases"] == 3
    out = json.loads(_run(*args).stdout)
    assert out == stored[0]
    # A window that keeps every case computes the report from the steps: the same JSON.
    assert _run(*args).stdout == _run(*args, *EVERY_DAY).stdout
    # Case 3 closes in a later import: the stored report follows.
    with Warehouse.open(path) as wh:
        _store(wh, events([("3", "Close", 80, 80)], offering="Stream"), "g.csv")
    again = json.loads(_run(*args).stdout)
    assert (again["completed_cases"], again["open_cases"], again["instances"]) == (3, 0, 8)
    assert _run(*args).stdout == _run(*args, *EVERY_DAY).stdout
    # It is the stored row the command prints (a figure changed in it shows).
    with Warehouse.open(path) as wh:
        wh._con.execute(
            """UPDATE derived_reports SET report = replace(report, '"cases": 3,', '"cases": 33,')"""
        )
    assert json.loads(_run(*args).stdout)["cases"] == 33
    assert json.loads(_run(*args, *EVERY_DAY).stdout)["cases"] == 3


def test_readable_summary(db: Path) -> None:
    result = _run("--db", str(db), "--offering", "Stream")
    assert result.returncode == 0, result.stderr
    assert "Cases: 3 (2 completed, 1 open)" in result.stdout
    assert "PCE (= flow efficiency: no value classes)" in result.stdout
    assert "Bottleneck (largest total wait before it): Close" in result.stdout


def test_unknown_offering(db: Path) -> None:
    result = _run("--db", str(db), "--offering", "Nope", "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Nope" in result.stderr


@pytest.mark.slow
def test_the_cli_never_imports_pm4py() -> None:
    # pm4py prints a licence banner when imported from __main__: stdout must stay JSON.
    code = "import sys, metrics, metrics.report; print('pm4py' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "False"
