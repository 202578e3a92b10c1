"""Future states and calendars in the warehouse: versions, who saved them, roles, experiments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from warehouse import Actor, PermissionDenied, Warehouse, WarehouseError
from warehouse.calendars import calendars, calendars_on, get_calendar, save_calendar
from warehouse.experiments import create_experiment, get_experiment, update_experiment
from warehouse.future_states import (
    delete_future_state,
    future_states,
    get_future_state,
    latest_future_states,
    save_future_state,
    versions,
)

JUNE = {
    "name": "After the June redesign",
    "stages": ["Quote", ["Formulation", "Sample sent"], "Production"],
    "optional": ["Sample sent"],
}
EDITOR = Actor("ed@example.com", "editor")
VIEWER = Actor("vera@example.com", "viewer")
CALENDAR = {
    "timezone": "Europe/Amsterdam",
    "hours": {
        **{d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [],
        "sun": [],
    },
    "holidays": ["2025-12-25"],
}


def test_saving_a_name_again_adds_a_version(wh: Warehouse) -> None:
    editor = wh.acting(EDITOR)
    first = save_future_state(editor, "Custom formulation", JUNE)
    second = save_future_state(
        editor, "Custom formulation", {**JUNE, "stages": ["Quote", "Formulation", "Production"]}
    )
    napkin = save_future_state(wh, "Custom formulation", {"name": " Napkin ", "stages": ["Quote"]})
    other = save_future_state(wh, "Reverse engineering", {"name": "Napkin", "stages": ["Quote"]})
    assert [(s.id, s.version) for s in (first, second, napkin, other)] == [
        (1, 1),
        (2, 2),
        (3, 1),
        (4, 1),
    ]
    assert (second.saved_by, napkin.saved_by) == ("ed@example.com", "local user (no sign-in)")
    assert napkin.name == "Napkin" and napkin.definition == {"name": "Napkin", "stages": ["Quote"]}
    assert get_future_state(wh, 1).definition == JUNE
    assert second.label.startswith("After the June redesign (version 2, ")
    every = future_states(wh, "Custom formulation")
    assert every.select("name", "version").rows() == [
        ("After the June redesign", 2),
        ("After the June redesign", 1),
        ("Napkin", 1),
    ]
    assert [(s.name, s.version) for s in latest_future_states(wh, "Custom formulation")] == [
        ("Napkin", 1),
        ("After the June redesign", 2),
    ]
    assert [s.id for s in versions(wh, "Custom formulation")] == [3, 2, 1]
    assert future_states(wh).height == 4
    with pytest.raises(WarehouseError, match="no saved future state #9"):
        get_future_state(wh, 9)
    with pytest.raises(WarehouseError, match="needs a name"):
        save_future_state(wh, "Custom formulation", {"name": "  ", "stages": ["Quote"]})


def test_roles_and_the_audit_trail(wh: Warehouse) -> None:
    with pytest.raises(PermissionDenied, match="may not save future state"):
        save_future_state(wh.acting(VIEWER), "O", JUNE)
    save_future_state(wh.acting(EDITOR), "O", JUNE)
    with pytest.raises(PermissionDenied, match="needs the admin role"):
        delete_future_state(wh.acting(EDITOR), "O", JUNE["name"])
    with pytest.raises(PermissionDenied, match="may not save calendar"):
        save_calendar(wh.acting(VIEWER), "O", CALENDAR, on=True)
    save_calendar(wh.acting(EDITOR), "O", CALENDAR, on=True)
    trail = wh.audit().select("actor", "action", "target").rows()
    assert trail == [
        ("ed@example.com", "save calendar", "O"),
        ("ed@example.com", "save future state", "O: After the June redesign"),
    ]


def test_an_experiment_names_a_future_state_of_its_own_offering(wh: Warehouse) -> None:
    v1 = save_future_state(wh, "Custom formulation", JUNE)
    v2 = save_future_state(wh, "Custom formulation", JUNE)
    elsewhere = save_future_state(wh, "Reverse engineering", JUNE)
    changed = datetime(2026, 6, 1, tzinfo=UTC)
    exp = create_experiment(
        wh, name="Video", offering="Custom formulation", changed_at=changed, future_state_id=v1.id
    )
    assert get_experiment(wh, exp).future_state_id == v1.id
    assert update_experiment(wh, exp, future_state_id=v2.id).future_state_id == v2.id
    with pytest.raises(WarehouseError, match="belongs to Reverse engineering, not to Custom"):
        update_experiment(wh, exp, future_state_id=elsewhere.id)
    with pytest.raises(WarehouseError, match="no saved future state #99"):
        create_experiment(
            wh, name="X", offering="Custom formulation", changed_at=changed, future_state_id=99
        )
    assert update_experiment(wh, exp, future_state_id=None).future_state_id is None
    update_experiment(wh, exp, future_state_id=v2.id)
    # Deleting the future state leaves the experiment, naming none.
    assert delete_future_state(wh, "Custom formulation", JUNE["name"]) == 2
    assert get_experiment(wh, exp).future_state_id is None
    assert future_states(wh, "Custom formulation").height == 0
    with pytest.raises(WarehouseError, match="has no future state named"):
        delete_future_state(wh, "Custom formulation", JUNE["name"])


def test_a_calendar_is_replaced_switched_and_changes_the_data_version(wh: Warehouse) -> None:
    assert get_calendar(wh, "O") is None and calendars_on(wh) == {}
    before = wh.data_version()
    stored = save_calendar(wh, "O", CALENDAR, on=False)
    assert (stored.is_on, stored.definition, stored.saved_by) == (
        False,
        CALENDAR,
        "local user (no sign-in)",
    )
    assert calendars_on(wh) == {}
    switched = wh.data_version()
    assert switched != before
    save_calendar(wh, "O", {**CALENDAR, "holidays": []}, on=True)
    assert wh.data_version() != switched
    assert calendars_on(wh) == {"O": {**CALENDAR, "holidays": []}}
    assert calendars(wh).height == 1


def test_a_version_6_warehouse_gains_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = Warehouse.open(path, migrate=False)
    old.migrate(target=6)
    # What a release with schema 6 wrote: no future_state_id column yet.
    with old.write("record experiment", "Old") as cur:
        cur.execute(
            "INSERT INTO experiments (id, name, offering, changed_at, created_at, updated_at) "
            "VALUES (1, 'Old', 'O', ?, ?, ?)",
            [datetime(2026, 1, 1, tzinfo=UTC)] * 3,
        ).complete()
    old.close()
    with Warehouse.open(path) as wh:
        assert get_experiment(wh, 1).future_state_id is None
        assert future_states(wh).height == 0 and calendars(wh).height == 0


def test_the_command_line_records_the_future_state_an_experiment_tries(tmp_path: Path) -> None:
    import json

    from tests.cli_runner import run_cli

    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        save_future_state(wh, "O", JUNE)
    added = run_cli(
        "experiments", "--db", str(db), "add", "--name", "N", "--offering", "O",
        "--change", "2026-06-01", "--future-state", "1",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    listed = run_cli("experiments", "--db", str(db), "list", "--json")
    assert json.loads(listed.stdout)[0]["future_state_id"] == 1
    wrong = run_cli(
        "experiments", "--db", str(db), "add", "--name", "N", "--offering", "P",
        "--change", "2026-06-01", "--future-state", "1",
    )  # fmt: skip
    assert wrong.returncode == 2 and "belongs to O, not to P" in wrong.stderr
