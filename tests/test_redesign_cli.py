"""The redesign command lines: what-if, conformance, forecast, and the report's --calendar.

The warehouse holds three hand-checked cases (hours after Monday 1 Jan 2024, UTC):

    1  A 09–10, B 12–13, C 14–15 on Monday              lead 6 h
    2  A 09–10, C 14–16 on Friday                        lead 7 h
    3  A Friday 16–17, B Monday 09–10, C Monday 10–11     lead 67 h (3 working hours)

and a second offering that finishes exactly two cases a day for ten days.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from tests.cli_runner import Ran, run_cli
from tests.conftest import REPO
from tests.metrics.frames import events
from warehouse import Warehouse

H = 3600.0
NO_REJECTS = pl.DataFrame(schema={"source_row": pl.Int64, "reason": pl.String, "raw": pl.String})
CASES = [
    ("1", "A", 9, 10),
    ("1", "B", 12, 13),
    ("1", "C", 14, 15),
    ("2", "A", 105, 106),
    ("2", "C", 110, 112),
    ("3", "A", 112, 113),
    ("3", "B", 177, 178),
    ("3", "C", 178, 179),
]
STEADY = [(f"s{k}", "Done", (k // 2) * 24 + 10, (k // 2) * 24 + 12) for k in range(20)]
OFFICE_HOURS = {
    "timezone": "UTC",
    "hours": {
        **{day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [],
        "sun": [],
    },
    "holidays": [],
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("redesign") / "w.duckdb"
    log = pl.concat(
        [events(CASES, offering="Stream"), events(STEADY, offering="Steady")]
    ).with_columns(source_row=pl.int_range(2, pl.len() + 2, dtype=pl.Int64))
    with Warehouse.open(path) as wh:
        wh.store_import(
            file_name="f.csv",
            sha256="x",
            format="csv",
            mapping={},
            options={},
            rows_read=log.height,
            instances=log,
            rejects=NO_REJECTS,
        )
    return path


def _json(result: Ran) -> dict:  # type: ignore[type-arg]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _one_line_error(result: Ran) -> str:
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


def _whatif(db: Path, *changes: str) -> dict:  # type: ignore[type-arg]
    return _json(run_cli("whatif", "--db", str(db), "--offering", "Stream", *changes, "--json"))


def test_whatif_removes_a_step_with_its_wait(db: Path) -> None:
    out = _whatif(db, "--remove", "B")
    assert (out["offering"], out["cases"], out["affected_cases"]) == ("Stream", 3, 2)
    assert out["changes"] == ["remove B"]
    assert out["baseline"]["lead_time_s"]["p50"] == 7 * H
    # Case 1 keeps A, C's own wait of 1 h and C: 3 h; case 3 keeps A and C: 2 h.
    assert out["projected"]["lead_time_s"]["p50"] == 3 * H
    assert out["projected"]["lead_time_s"]["mean"] == pytest.approx(12 * H / 3)
    assert any("first-order" in sentence for sentence in out["assumptions"])


def test_whatif_changes_combine_in_the_order_given(db: Path) -> None:
    # Removing B first makes C follow A in every case: each pair takes its longer step.
    first = _whatif(db, "--remove", "B", "--parallel", "A,C")
    assert first["changes"] == ["remove B", "run A and C in parallel"]
    assert first["projected"]["lead_time_s"]["p50"] == 1 * H
    assert first["projected"]["lead_time_s"]["mean"] == pytest.approx(4 * H / 3)
    # In the other order only case 2 has C directly after A when the pair is judged.
    second = _whatif(db, "--parallel", "A,C", "--remove", "B")
    assert second["projected"]["lead_time_s"]["p50"] == 2 * H
    assert second["projected"]["lead_time_s"]["mean"] == pytest.approx(7 * H / 3)
    assert first["affected_cases"] == second["affected_cases"] == 3


def test_whatif_wait_factor_and_window(db: Path) -> None:
    out = _whatif(db, "--wait-factor", "C=0.5")
    # C waited 1 h (case 1) and 4 h (case 2); case 3's C started as B ended.
    assert out["affected_cases"] == 2
    assert out["projected"]["lead_time_s"]["p50"] == 5.5 * H
    windowed = _whatif(db, "--wait-factor", "C=0.5", "--from", "2024-01-08", "--to", "2024-01-08")
    assert (windowed["cases"], windowed["affected_cases"]) == (1, 0)
    assert windowed["projected"]["lead_time_s"]["p50"] == 67 * H


def test_whatif_text_and_bad_changes(db: Path) -> None:
    text = run_cli("whatif", "--db", str(db), "--offering", "Stream", "--remove", "B")
    assert text.returncode == 0
    assert "Changes: remove B" in text.stdout
    assert "Completed cases: 3 (2 affected)" in text.stdout
    bad = run_cli("whatif", "--db", str(db), "--offering", "Stream", "--wait-factor", "C=-1")
    assert "must be a number of 0 or more" in _one_line_error(bad)
    pair = run_cli("whatif", "--db", str(db), "--offering", "Stream", "--parallel", "A")
    assert "--parallel takes two steps as A,B" in _one_line_error(pair)
    gone = run_cli("whatif", "--db", str(db), "--offering", "Nope", "--remove", "B")
    assert "No offering 'Nope'" in _one_line_error(gone)


def _future_state(tmp_path: Path, document: object, name: str = "fs.json") -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def test_conformance_counts_missing_steps_by_completion_week(db: Path, tmp_path: Path) -> None:
    plan = _future_state(tmp_path, {"name": "Plan", "stages": ["A", "B", "C"]})
    out = _json(
        run_cli(
            "conformance", "--db", str(db), "--offering", "Stream", "--future-state", plan, "--json"
        )
    )
    assert out["future_state"] == "Plan"
    assert (out["cases"], out["conforming"]) == (3, 2)
    assert out["conforming_share"] == pytest.approx(2 / 3)
    assert out["deviations"] == [{"kind": "missing", "step": "B", "cases": 1}]
    assert out["by_week"] == [
        {"week": "2024-01-01", "cases": 2, "conforming_share": 0.5},
        {"week": "2024-01-08", "cases": 1, "conforming_share": 1.0},
    ]
    optional = _future_state(
        tmp_path, {"name": "B optional", "stages": ["A", "B", "C"], "optional": ["B"]}, "o.json"
    )
    text = run_cli(
        "conformance", "--db", str(db), "--offering", "Stream", "--future-state", optional
    )
    assert text.returncode == 0
    assert "following it: 3 (100.0%)" in text.stdout


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ('{"name": "x", "stages": ["A",', "is not JSON: Expecting value at line 1, column 30"),
        (
            {"name": "x", "stages": ["A", ["B", "A"]], "optional": ["D"]},
            '"A" appears in stages 1 and 2',
        ),
        ({"stages": ["A"]}, '"name" is missing'),
    ],
)
def test_a_bad_future_state_says_what_and_where(
    db: Path, tmp_path: Path, document: object, words: str
) -> None:
    path = _future_state(tmp_path, document)
    result = run_cli("conformance", "--db", str(db), "--offering", "Stream", "--future-state", path)
    message = _one_line_error(result)
    assert path in message and words in message


def test_forecast_of_a_stream_that_finishes_two_a_day(db: Path) -> None:
    # The latest event is on 10 Jan; ten items at two a day are done on the 5th day after.
    out = _json(
        run_cli(
            "forecast",
            "--db",
            str(db),
            "--offering",
            "Steady",
            "--items",
            "10",
            "--seed",
            "3",
            "--json",
        )
    )
    assert out["history_days"] == 10
    assert out["throughput_per_day"] == {"mean": 2.0}
    assert out["items"] == 10
    assert out["done_by"] == {"p50": "2024-01-15", "p85": "2024-01-15", "p95": "2024-01-15"}
    days = _json(
        run_cli("forecast", "--db", str(db), "--offering", "Steady", "--days", "4", "--json")
    )
    assert days["items_done"] == {"p50": 8, "p85": 8, "p95": 8}
    text = run_cli("forecast", "--db", str(db), "--offering", "Steady", "--items", "10")
    assert "85% likely done by 2024-01-15" in text.stdout


def test_forecast_is_seeded_and_refuses_nonsense(db: Path) -> None:
    def run(seed: str) -> dict:  # type: ignore[type-arg]
        return _json(
            run_cli(
                "forecast",
                "--db",
                str(db),
                "--offering",
                "Stream",
                "--items",
                "7",
                "--history-days",
                "20",
                "--runs",
                "500",
                "--seed",
                seed,
                "--json",
            )
        )

    assert run("11") == run("11")
    assert run("11")["runs"] == 500
    zero = run_cli("forecast", "--db", str(db), "--offering", "Stream", "--items", "0")
    assert "--items must be at least 1" in _one_line_error(zero)


def test_report_with_a_calendar_counts_working_time(db: Path, tmp_path: Path) -> None:
    elapsed = _json(run_cli("report", "--db", str(db), "--offering", "Stream", "--json"))
    assert elapsed["lead_time_s"]["p50"] == 7 * H
    calendar = _future_state(tmp_path, OFFICE_HOURS, "calendar.json")
    working = _json(
        run_cli("report", "--db", str(db), "--offering", "Stream", "--calendar", calendar, "--json")
    )
    # Case 3 spans a weekend: 67 h elapsed, 3 working hours; the others lie in office hours.
    assert working["lead_time_s"]["p50"] == pytest.approx(6 * H)
    assert working["lead_time_s"]["mean"] == pytest.approx(16 * H / 3)
    text = run_cli("report", "--db", str(db), "--offering", "Stream", "--calendar", calendar)
    assert text.stdout.startswith("Durations count working time only")


def test_a_bad_calendar_says_what_and_where(db: Path, tmp_path: Path) -> None:
    bad = {**OFFICE_HOURS, "timezone": "Mars/Olympus", "holidays": ["25 Dec"]}
    path = _future_state(tmp_path, bad, "calendar.json")
    message = _one_line_error(
        run_cli("report", "--db", str(db), "--offering", "Stream", "--calendar", path)
    )
    assert message.startswith(f"The calendar in {path} is not valid:")
    assert '"Mars/Olympus" is not a time zone name' in message
    assert '"holidays": "25 Dec" is not a date (YYYY-MM-DD)' in message
    missing = run_cli(
        "report", "--db", str(db), "--offering", "Stream", "--calendar", str(tmp_path / "no.json")
    )
    assert _one_line_error(missing) == f"No calendar file at {tmp_path / 'no.json'}."


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


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "arguments", "key", "value"),
    [
        ("metrics.whatif", ["--offering", "Stream", "--remove", "B"], "affected_cases", 2),
        ("metrics.conformance", ["--offering", "Stream"], "conforming", 2),
        ("metrics.forecast", ["--offering", "Steady", "--items", "10"], "done_by", None),
        ("metrics.report", ["--offering", "Stream"], "lead_time_s", None),
    ],
)
def test_each_command_as_a_script_prints_pure_json(
    db: Path, tmp_path: Path, module: str, arguments: list[str], key: str, value: object
) -> None:
    if module == "metrics.conformance":
        arguments += [
            "--future-state",
            _future_state(tmp_path, {"name": "P", "stages": ["A", "B", "C"]}),
        ]
    if module == "metrics.report":
        arguments += ["--calendar", _future_state(tmp_path, OFFICE_HOURS, "calendar.json")]
    done = _python("-m", module, "--db", str(db), *arguments, "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    expected = {
        "metrics.forecast": {"p50": "2024-01-15", "p85": "2024-01-15", "p95": "2024-01-15"},
        "metrics.report": {
            "p50": pytest.approx(6 * H),
            "p85": pytest.approx(6.7 * H),
            "p95": pytest.approx(6.9 * H),
            "mean": pytest.approx(16 * H / 3),
        },
    }.get(module, value)
    assert out[key] == expected
