"""`python -m pipelines.ingest` as a script would call it: exit codes, --json, stderr."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from cli import main
from tests.cli_runner import Ran, run_cli
from warehouse import Warehouse

CSV = """Case ID,Activity,Start Timestamp,Complete Timestamp,Resource
A,Quote,2025-06-02 09:00,2025-06-02 10:00,Maya
A,Ship,2025-06-03 09:00,2025-06-03 11:00,Ben
,Ship,2025-06-03 09:00,2025-06-03 11:00,Ben
"""


def _run(*args: str) -> Ran:
    return run_cli("ingest", *args)


def test_json_report_and_exit_0_with_some_rows_rejected(tmp_path: Path) -> None:
    log = tmp_path / "orders.csv"
    log.write_text(CSV)
    db = tmp_path / "w.duckdb"
    done = _run(
        str(log), "--db", str(db), "--offering", "Shop", "--timezone", "Europe/Amsterdam", "--json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # stdout is pure JSON
    assert {
        k: report[k] for k in ("import_id", "rows_read", "stored", "duplicates", "rejected")
    } == {
        "import_id": 1,
        "rows_read": 3,
        "stored": 2,
        "duplicates": 0,
        "rejected": 1,
    }
    assert report["rejects"] == [{"row": 4, "reason": "no case id (column 'Case ID' is empty)"}]
    assert report["offerings"] == ["Shop"]
    assert (
        report["mapping"]["start"] == "Start Timestamp"
        and report["mapping"]["end"] == "Complete Timestamp"
    )
    with Warehouse.open(db) as wh:
        # 09:00 in Amsterdam (summer time) is 07:00 UTC.
        assert wh.events()["start"][0].hour == 7

    again = _run(
        str(log), "--db", str(db), "--offering", "Shop", "--timezone", "Europe/Amsterdam", "--json"
    )
    assert again.returncode == 0
    assert json.loads(again.stdout)["already_imported_as"] == 1


def test_column_overrides(tmp_path: Path) -> None:
    log = tmp_path / "odd.csv"
    log.write_text("ref,what,when\nX1,Open,2025-01-01T10:00:00Z\nX1,Close,2025-01-02T10:00:00Z\n")
    done = _run(
        str(log),
        "--db",
        str(tmp_path / "w.duckdb"),
        "--case-column",
        "ref",
        "--activity-column",
        "what",
        "--end-column",
        "when",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stored"] == 2


def test_nothing_importable_exits_2_with_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    done = _run(str(empty), "--db", str(tmp_path / "w.duckdb"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "empty.csv" in lines[0]
    missing = _run(str(tmp_path / "nowhere.csv"), "--db", str(tmp_path / "w.duckdb"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_naming_the_offering_keeps_the_tool_format(tmp_path: Path) -> None:
    """--offering (or --timezone) is not a column mapping: the export is still recognised."""
    from tests.pipelines.formats import fixtures as fx

    jira = tmp_path / "issues.json"
    jira.write_bytes(fx.jira_changelog_json())
    monday = tmp_path / "activity.csv"
    monday.write_bytes(fx.monday_activity_ui_csv())
    db = tmp_path / "w.duckdb"
    for path, offering, expected in (
        (jira, "Jira", "jira-changelog"),
        (monday, "Campaigns", "monday-activity-log"),
    ):
        done = _run(
            str(path),
            "--db",
            str(db),
            "--offering",
            offering,
            "--timezone",
            "Europe/Amsterdam",
            "--json",
        )
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert (report["format"], report["offerings"]) == (expected, [offering])
    with Warehouse.open(db) as wh:
        # Statuses, not the activity log's person column, are the steps.
        assert "Person" not in wh.events(["Campaigns"])["activity"].to_list()


def test_the_same_log_in_another_format_is_refused_until_the_person_chooses(
    tmp_path: Path, external_dir: Path, real_dir: Path
) -> None:
    """running-example.parquet holds zone-less local times: read as UTC, after the XES with
    its offsets, every case would be stored twice under the same offering."""
    db = tmp_path / "w.duckdb"
    assert _run(str(real_dir / "running-example.xes"), "--db", str(db)).returncode == 0
    parquet = str(external_dir / "logs" / "running-example.parquet")
    refused = _run(parquet, "--db", str(db), "--json")
    assert refused.returncode == 2 and refused.stdout == ""
    assert (
        "6 of these 6 cases already exist in 'running-example' with every time 1.0 h later"
        in refused.stderr
    )
    # Read in the zone the XES recorded (+01:00 in winter), the file adds nothing new.
    fixed = _run(parquet, "--db", str(db), "--timezone", "Europe/Amsterdam", "--json")
    assert fixed.returncode == 0, fixed.stderr
    assert json.loads(fixed.stdout)["stored"] == 0
    forced = _run(parquet, "--db", str(db), "--allow-overlap", "--json")
    assert json.loads(forced.stdout)["stored"] == 42


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_import_notes_each_offering_it_works_out_again(tmp_path: Path) -> None:
    log = tmp_path / "two.csv"
    log.write_text(
        "case,activity,end,offering\n"
        "A1,Quote,2025-06-02T10:00:00Z,Shop\n"
        "B1,Quote,2025-06-02T10:00:00Z,Bakery\n"
    )
    db = tmp_path / "w.duckdb"
    err = _Terminal()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main(["ingest", str(log), "--db", str(db)]) == 0
    assert err.getvalue().splitlines() == [
        "note: updating Bakery: its cases and the figures the pages show (1 of 2)...",
        "note: updating Shop: its cases and the figures the pages show (2 of 2)...",
    ]
    # A script's stderr stays for what went wrong.
    other = tmp_path / "one.csv"
    other.write_text("case,activity,end,offering\nC1,Quote,2025-06-03T10:00:00Z,Shop\n")
    done = _run(str(other), "--db", str(db), "--json")
    assert (done.returncode, done.stderr) == (0, "")
