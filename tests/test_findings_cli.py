"""The findings command: the report as JSON (the same as the engine's, with the offering's
recorded changes named), the window, text for people, one line when it cannot answer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from metrics.findings import findings_report
from tests.cli_runner import run_cli
from tests.conftest import REPO
from warehouse import Warehouse
from warehouse.experiments import delete_experiment, experiments

CF = "Custom formulation"


def _findings(db: Path, *args: str) -> dict[str, Any]:
    done = run_cli("findings", "--db", str(db), *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _one(report: dict[str, Any], kind: str, step: str | None = None) -> dict[str, Any]:
    (found,) = [
        f for f in report["findings"] if f["kind"] == kind and (step is None or f["step"] == step)
    ]
    return found


def test_the_json_is_the_engines_report_with_the_recorded_changes(demo_db: Path) -> None:
    report = _findings(demo_db, "--offering", CF)
    with Warehouse.open(demo_db) as wh:
        changes = [(r["changed_at"], r["name"]) for r in experiments(wh, CF).iter_rows(named=True)]
        expected = findings_report(
            wh.events([CF]), wh.catalog(CF), CF, changes=changes, open_items=wh.open_items([CF])
        )
    assert report == json.loads(json.dumps(expected))
    assert set(report) == {"offering", "cases", "findings"}
    assert (report["offering"], report["cases"]) == (CF, 1196)
    shift = _one(report, "step_wait_shift", "Sample approval")
    assert shift["evidence"]["recorded_change"] == {
        "date": "2026-06-01",
        "title": "Sample approval by video call",
    }
    assert shift["headline"].endswith(
        "a change was recorded on 1 Jun 2026: Sample approval by video call."
    )
    stakes = [f["at_stake_s"] for f in report["findings"]]
    assert stakes == sorted(stakes, reverse=True)


def test_without_a_recorded_change_the_shift_says_so(demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    with Warehouse.open(db) as wh:
        for exp_id in experiments(wh, CF)["id"].to_list():
            delete_experiment(wh, exp_id)
    shift = _one(_findings(db, "--offering", CF), "step_wait_shift", "Sample approval")
    assert shift["evidence"]["recorded_change"] is None
    assert shift["headline"].endswith("no change was recorded near that date.")
    # The id rests on what the finding is about, not on the change's name.
    assert shift["id"] == _one(_findings(demo_db, "--offering", CF), "step_wait_shift")["id"]


def test_a_window_selects_the_cases_as_the_report_does(demo_db: Path) -> None:
    cases = {}
    for mode in ("intersecting", "started"):
        args = ("--offering", CF, "--from", "2026-06-01", "--to", "2026-06-30", "--window", mode)
        report = _findings(demo_db, *args)
        figures = json.loads(run_cli("report", "--db", str(demo_db), *args, "--json").stdout)
        assert report["cases"] == figures["cases"]
        cases[mode] = report["cases"]
    # In progress at some time in June, and of those, started in June.
    assert cases["intersecting"] == 262 and 0 < cases["started"] < 262


def test_text_for_people(demo_db: Path) -> None:
    done = run_cli("findings", "--db", str(demo_db), "--offering", "Reverse engineering")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "Findings of Reverse engineering: 598 cases in view, 4 findings, most important first."
    )
    assert lines[1].startswith(
        "1. [bottleneck at Customer approval] Cases wait a median 4.9 d before Customer approval"
    )
    assert lines[2].startswith("   time at stake: 77.1 d a week · id ")
    assert len(lines) == 1 + 2 * 4


def test_an_unknown_offering_or_warehouse_is_one_line_and_exit_2(
    demo_db: Path, tmp_path: Path
) -> None:
    missing = run_cli("findings", "--db", str(demo_db), "--offering", "Nope", "--json")
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr == f"No offering 'Nope' in {demo_db}.\n"
    nowhere = run_cli("findings", "--db", str(tmp_path / "none.duckdb"), "--offering", CF)
    assert (nowhere.returncode, nowhere.stdout) == (2, "")
    assert nowhere.stderr == f"No warehouse at {tmp_path / 'none.duckdb'}.\n"
    assert not (tmp_path / "none.duckdb").exists()


@pytest.mark.slow
def test_as_a_script_stdout_is_pure_json(demo_db: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "metrics.findings",
            "--db",
            str(demo_db),
            "--offering",
            "Reverse engineering",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert done.stdout == json.dumps(report) + "\n"
    assert [f["kind"] for f in report["findings"]] == [
        "bottleneck",
        "handoff",
        "handoff",
        "rework_loop",
    ]
