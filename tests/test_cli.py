"""Every command line runs as a script under its one entry point and its historical name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import COMMANDS
from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_answers_help_under_both_names(command: str) -> None:
    old_name = COMMANDS[command][1].removeprefix("python -m ")
    for args in (("-m", "cli", command, "--help"), ("-m", old_name, "--help")):
        done = _python(*args)
        assert done.returncode == 0, done.stderr
        assert "--db" in done.stdout


def test_a_script_gets_pure_json_and_exit_2_with_one_line(demo_db: Path) -> None:
    done = _python(
        "-m", "metrics.report", "--db", str(demo_db), "--offering", "Reverse engineering", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["offering"] == "Reverse engineering"
    missing = _python("-m", "cli", "report", "--db", str(demo_db), "--offering", "Nope")
    assert missing.returncode == 2
    assert missing.stdout == "" and missing.stderr.strip().count("\n") == 0
    assert "Nope" in missing.stderr
