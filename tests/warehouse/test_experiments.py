"""Experiment records: create, edit, delete (API and command line), the migration, the demo's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.cli_runner import Ran, run_cli
from warehouse import Warehouse, WarehouseError
from warehouse.experiments import (
    create_experiment,
    delete_demo_experiments,
    delete_experiment,
    experiments,
    get_experiment,
    record_demo_experiments,
    update_experiment,
)

CHANGE = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


def test_create_read_edit_delete(wh: Warehouse) -> None:
    first = create_experiment(
        wh,
        name=" Video approval ",
        offering="Custom formulation",
        changed_at=CHANGE,
        what_changed="Samples approved on a video call",
        hypothesis="No courier round trip",
    )
    second = create_experiment(
        wh,
        name="Kanban",
        offering="Reverse engineering",
        changed_at=CHANGE + timedelta(days=30),
        before_days=21,
        after_days=7,
    )
    assert (first, second) == (1, 2)
    frame = experiments(wh)
    assert frame["id"].to_list() == [2, 1]  # latest change first
    exp = get_experiment(wh, first)
    assert exp.name == "Video approval"
    assert exp.changed_at == CHANGE
    assert (exp.before_days, exp.after_days, exp.status, exp.is_demo) == (14, 14, "running", False)
    assert get_experiment(wh, second).before_days == 21

    updated = update_experiment(wh, first, status="kept", after_days=28, hypothesis="Faster")
    assert (updated.status, updated.after_days, updated.hypothesis) == ("kept", 28, "Faster")
    assert updated.name == "Video approval" and updated.updated_at >= updated.created_at
    assert experiments(wh, "Custom formulation")["status"].to_list() == ["kept"]

    delete_experiment(wh, first)
    assert experiments(wh)["id"].to_list() == [2]
    with pytest.raises(WarehouseError, match="no experiment #1"):
        get_experiment(wh, first)
    with pytest.raises(WarehouseError, match="no experiment #1"):
        delete_experiment(wh, first)


def test_a_zoned_instant_is_stored_in_utc_and_a_naive_one_is_taken_as_utc(wh: Warehouse) -> None:
    berlin = timezone(timedelta(hours=2))
    zoned = create_experiment(
        wh, name="A", offering="O", changed_at=datetime(2026, 6, 1, 10, 30, tzinfo=berlin)
    )
    naive = create_experiment(wh, name="B", offering="O", changed_at=datetime(2026, 6, 1, 8, 30))
    assert get_experiment(wh, zoned).changed_at == CHANGE
    assert get_experiment(wh, naive).changed_at == CHANGE


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "needs a name"),
        ({"offering": ""}, "needs an offering"),
        ({"before_days": 0}, "before window must be 1 to 365 days"),
        ({"after_days": 400}, "after window must be 1 to 365 days"),
        ({"status": "done"}, "Unknown status 'done'"),
    ],
)
def test_invalid_records_are_refused(wh: Warehouse, fields: dict, message: str) -> None:
    base = {"name": "A", "offering": "O", "changed_at": CHANGE}
    with pytest.raises(WarehouseError, match=message):
        create_experiment(wh, **{**base, **fields})
    assert experiments(wh).height == 0
    exp_id = create_experiment(wh, **base)
    with pytest.raises(WarehouseError, match=message):
        update_experiment(wh, exp_id, **fields)
    assert get_experiment(wh, exp_id).name == "A"
    with pytest.raises(WarehouseError, match="no field 'colour'"):
        update_experiment(wh, exp_id, colour="red")


def test_a_version_2_warehouse_migrates_to_3_without_losing_data(tmp_path: Path) -> None:
    path = tmp_path / "v2.duckdb"
    old = Warehouse.open(path, migrate=False)
    old.migrate(target=2)
    assert old.schema_version() == 2
    with old.transaction() as cur:
        cur.execute(
            "INSERT INTO imports (id, file_name, sha256, format, mapping, rows_read, stored, "
            "duplicates, rejected, imported_at, options, offerings) "
            "VALUES (1, 'old.csv', 'abc', 'csv', '{}', 1, 1, 0, 0, now(), '{}', '[\"Shop\"]')"
        ).complete()
        cur.execute(
            "INSERT INTO events VALUES (1, 'Shop', 'C1', 'Pack', NULL, "
            "TIMESTAMPTZ '2024-01-01 10:00:00+00', 'Ann', '{}', 1, 2)"
        ).complete()
        cur.execute(
            "INSERT INTO activities VALUES ('Shop', 'Pack', 'necessary', 12.5, TRUE, 1, 'waiting')"
        ).complete()
        cur.execute("INSERT INTO settings VALUES ('demo_import_ids', '[1]')").complete()
    old.close()

    with Warehouse.open(path) as wh:
        assert wh.schema_version() >= 3
        assert wh.scalar("SELECT max(version) FROM schema_version") == wh.schema_version()
        events = wh.events()
        assert events["case_id"].to_list() == ["C1"]
        assert events["end"][0] == datetime(2024, 1, 1, 10, tzinfo=UTC)
        cat = wh.catalog().row(0, named=True)
        assert (cat["kind"], cat["standard_minutes"]) == ("waiting", 12.5)
        # The demo flag moved from a settings row onto the import (migration 4).
        assert (wh.demo_imports(), wh.setting("demo_import_ids")) == ([1], None)
        assert wh.imports()["file_name"].to_list() == ["old.csv"]
        assert experiments(wh).height == 0
        assert create_experiment(wh, name="A", offering="Shop", changed_at=CHANGE) == 1


class _Change:
    def __init__(self, name: str, offering: str, at: datetime) -> None:
        self.name, self.offering, self.changed_at = name, offering, at
        self.description, self.hypothesis = f"{name} described", f"{name} helps"


def test_demo_experiments_are_recorded_once_and_removable(wh: Warehouse) -> None:
    changes = [_Change("One", "A", CHANGE), _Change("Two", "B", CHANGE + timedelta(days=60))]
    assert record_demo_experiments(wh, changes) == [1, 2]
    assert record_demo_experiments(wh, changes) == []
    mine = create_experiment(wh, name="Mine", offering="A", changed_at=CHANGE)
    frame = experiments(wh)
    assert frame.height == 3
    demo = get_experiment(wh, 1)
    assert (demo.what_changed, demo.hypothesis, demo.is_demo) == (
        "One described",
        "One helps",
        True,
    )
    assert delete_demo_experiments(wh) == 2
    assert experiments(wh)["id"].to_list() == [mine]


def test_loading_the_demo_records_its_two_changes(demo_db: Path) -> None:
    from pipelines.demo_data import CHANGE_1_AT, CHANGE_2_AT

    with Warehouse.open(demo_db) as wh:
        frame = experiments(wh).sort("changed_at")
    assert frame["offering"].to_list() == ["Custom formulation", "Private label fulfillment"]
    assert frame["changed_at"].to_list() == [CHANGE_1_AT, CHANGE_2_AT]
    assert frame["name"].to_list() == ["Sample approval by video call", "Second label designer"]
    assert frame["is_demo"].all() and (frame["before_days"] == 14).all()


def _cli(db: Path, *args: str) -> Ran:
    return run_cli("experiments", "--db", str(db), *args)


def test_the_command_line_adds_lists_edits_and_deletes(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    added = _cli(
        db,
        "add",
        "--name",
        "WIP limit",
        "--offering",
        "Shop",
        "--change",
        "2026-06-01T10:30+02:00",
        "--what",
        "WIP limit of 5 on Packing",
        "--before-days",
        "21",
    )
    assert added.returncode == 0, added.stderr
    assert "#1" in added.stdout
    listed = _cli(db, "list", "--json")
    rows = json.loads(listed.stdout)
    assert [
        (r["id"], r["name"], r["changed_at"], r["before_days"], r["after_days"]) for r in rows
    ] == [(1, "WIP limit", "2026-06-01T08:30:00+00:00", 21, 14)]
    edited = _cli(db, "edit", "1", "--status", "reverted", "--after-days", "7")
    assert edited.returncode == 0, edited.stderr
    assert json.loads(edited.stdout)["status"] == "reverted"
    text = _cli(db, "list").stdout
    assert (
        "#1 WIP limit (Shop), changed 2026-06-01 08:30 UTC, 21 days before / 7 after, reverted"
        in text
    )
    refused = _cli(db, "edit", "1", "--before-days", "0")
    assert refused.returncode == 2 and "1 to 365 days" in refused.stderr
    assert _cli(db, "delete", "1").returncode == 0
    assert json.loads(_cli(db, "list", "--json").stdout) == []
    assert _cli(db, "delete", "1").returncode == 2
