"""The catalog command: one activity's fields set by name, the catalog listed, the findings
reading it, and one line when the offering or activity is unknown."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli_runner import run_cli
from warehouse import Warehouse

CF = "Custom formulation"


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, path)
    return path


def _catalog(db: Path, *args: str) -> str:
    done = run_cli("catalog", "--db", str(db), *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_set_changes_only_the_fields_given(db: Path) -> None:
    with Warehouse.open(db) as wh:
        version = wh.data_version()
    row = json.loads(
        _catalog(
            db,
            "set",
            "--offering",
            CF,
            "--activity",
            "Sample sent",
            "--value-class",
            "necessary",
            "--json",
        )
    )
    assert row == {
        "offering": CF,
        "activity": "Sample sent",
        "value_class": "necessary",
        "kind": "work",
        "standard_minutes": None,
        "is_end_activity": False,
        "display_order": 5,
    }
    text = _catalog(
        db,
        "set",
        "--offering",
        CF,
        "--activity",
        "Sample sent",
        "--kind",
        "waiting",
        "--standard-minutes",
        "30",
        "--ends-case",
        "true",
    )
    assert text == (
        "Custom formulation / Sample sent: necessary, waiting, standard 30 min, ends a case\n"
    )
    text = _catalog(
        db,
        "set",
        "--offering",
        CF,
        "--activity",
        "Sample sent",
        "--kind",
        "work",
        "--standard-minutes",
        "none",
        "--ends-case",
        "default",
    )
    assert text == (
        "Custom formulation / Sample sent: necessary, work, standard none, "
        "ends a case by the default rule\n"
    )
    listed = json.loads(_catalog(db, "list", "--offering", CF, "--json"))
    assert [r["activity"] for r in listed][:5] == [
        "Sales inquiry",
        "Quote",
        "Order confirmed",
        "Formulation",
        "Sample sent",
    ]
    assert {r["offering"] for r in listed} == {CF} and len(listed) == 13
    every = json.loads(_catalog(db, "list", "--json"))
    assert {r["offering"] for r in every} == {
        CF,
        "Private label fulfillment",
        "Reverse engineering",
    }
    with Warehouse.open(db) as wh:
        # A catalog edit changes what the pages show: they recompute.
        assert wh.data_version() != version
        audit = wh.audit()
    # The demo's own catalog, then the three edits, newest first.
    edits = audit.filter(audit["action"] == "edit catalog")
    assert edits["target"].to_list() == [f"{CF}: Sample sent"] * 3 + [
        f"{CF}, Private label fulfillment, Reverse engineering"
    ]


def test_the_findings_read_the_catalog(db: Path) -> None:
    def kinds() -> dict[str, list[str | None]]:
        done = run_cli("findings", "--db", str(db), "--offering", CF, "--json")
        out: dict[str, list[str | None]] = {}
        for f in json.loads(done.stdout)["findings"]:
            out.setdefault(f["kind"], []).append(f["step"])
        return out

    assert kinds()["non_value_step"] == ["Sample sent"]
    assert "slower_than_standard" not in kinds()
    _catalog(db, "set", "--offering", CF, "--activity", "Sample sent", "--value-class", "necessary")
    _catalog(db, "set", "--offering", CF, "--activity", "QC release", "--value-class", "waste")
    _catalog(db, "set", "--offering", CF, "--activity", "Quote", "--standard-minutes", "1")
    found = kinds()
    assert found["non_value_step"] == ["QC release"]
    assert found["slower_than_standard"] == ["Quote"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--offering", "Nope", "--activity", "Quote", "--kind", "work"),
            "No offering 'Nope' in the catalog of",
        ),
        (
            ("--offering", CF, "--activity", "Nope", "--kind", "work"),
            f"No activity 'Nope' in the catalog of '{CF}'.",
        ),
        (
            ("--offering", CF, "--activity", "Quote", "--standard-minutes", "-5"),
            "Standard minutes must be a number of 0 or more, not -5.0.",
        ),
        (
            ("--offering", CF, "--activity", "Quote", "--value-class", "gold"),
            "invalid choice: 'gold'",
        ),
        (
            ("--offering", CF, "--activity", "Quote", "--standard-minutes", "soon"),
            "not a number of minutes (or none): 'soon'",
        ),
    ],
)
def test_refusals_are_one_line_and_exit_2(db: Path, args: tuple[str, ...], message: str) -> None:
    with Warehouse.open(db) as wh:
        audited = wh.audit().height
    done = run_cli("catalog", "--db", str(db), "set", *args)
    assert done.returncode == 2 and done.stdout == ""
    assert message in done.stderr
    if "invalid choice" not in message and "soon" not in message:
        assert done.stderr.count("\n") == 1
    with Warehouse.open(db) as wh:
        assert wh.audit().height == audited


def test_list_refuses_an_unknown_offering(db: Path) -> None:
    done = run_cli("catalog", "--db", str(db), "list", "--offering", "Nope")
    assert done.returncode == 2 and "No offering 'Nope'" in done.stderr
