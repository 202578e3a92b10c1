"""Roles: where a signed-in address gets its role, who may set one, and every write of a
role that may not make it refused by the warehouse itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from pipelines.ingest import ingest
from warehouse import Actor, PermissionDenied, Warehouse, WarehouseError
from warehouse.access import command_line_actor, configured_roles, role_for
from warehouse.experiments import create_experiment, delete_experiment, update_experiment

ORDERS = "case,activity,end\n1,Quote,2025-06-01T10:00:00Z\n1,Ship,2025-06-02T10:00:00Z\n"


def test_secrets_win_for_the_addresses_they_name_then_the_data_page_then_the_default() -> None:
    configured, default, problems = configured_roles(
        {"default": "Editor", "Ana@Example.com": "admin", "ben@example.com": "superuser"}
    )
    assert configured == {"ana@example.com": "admin"}
    assert default == "editor"
    assert problems == ["ben@example.com = 'superuser' is not a role (viewer, editor, admin)"]
    stored = {"ana@example.com": "viewer", "cleo@example.com": "admin"}
    assert role_for("ANA@example.com", configured, stored, default) == ("admin", "secrets.toml")
    assert role_for("cleo@example.com", configured, stored, default) == ("admin", "Data page")
    # An entry that is not a role gives nothing: Ben gets the default.
    assert role_for("ben@example.com", configured, stored, default) == ("editor", "default")
    assert role_for(None, configured, stored, default) == ("editor", "default")


def test_without_a_default_an_unnamed_address_is_a_viewer() -> None:
    configured, default, _ = configured_roles({})
    assert role_for("x@example.com", configured, {}, default) == ("viewer", "default")


def test_an_admin_sets_and_removes_a_role_and_the_audit_trail_says_so(wh: Warehouse) -> None:
    ana = wh.acting(Actor("ana@example.com", "admin"))
    ana.set_role(" Ben@Example.com ", "Editor")
    assert ana.role_map() == {"ben@example.com": "editor"}
    stored = ana.stored_roles().row(0, named=True)
    assert stored["changed_by"] == "ana@example.com"
    ana.set_role("ben@example.com", None)
    assert ana.role_map() == {}
    trail = ana.audit().select("actor", "role", "action", "target", "detail").to_dicts()
    assert trail == [
        {
            "actor": "ana@example.com",
            "role": "admin",
            "action": "edit roles",
            "target": "ben@example.com",
            "detail": '{"role": "(removed)"}',
        },
        {
            "actor": "ana@example.com",
            "role": "admin",
            "action": "edit roles",
            "target": "ben@example.com",
            "detail": '{"role": "editor"}',
        },
    ]


@pytest.mark.parametrize(
    ("address", "role", "why"),
    [
        ("ana@example.com", "viewer", "your own role"),
        ("not an address", "viewer", "not an e-mail address"),
        ("ben@example.com", "owner", "not a role"),
    ],
)
def test_a_role_change_that_makes_no_sense_is_refused(
    wh: Warehouse, address: str, role: str, why: str
) -> None:
    with pytest.raises(WarehouseError, match=why):
        wh.acting(Actor("ana@example.com", "admin")).set_role(address, role)
    assert wh.role_map() == {}


def test_the_command_line_acts_as_an_admin_named_by_its_account() -> None:
    actor = command_line_actor()
    assert actor.role == "admin"
    assert actor.name.startswith("command line (")


def _forged_writes(wh: Warehouse, experiment: int, import_id: int) -> dict[str, object]:
    """Every kind of change, attempted; returns what each raised."""
    catalog = wh.catalog("orders")
    attempts = {
        "import": lambda: ingest(wh, ORDERS.replace("1,", "2,").encode(), "more.csv"),
        "edit catalog": lambda: wh.save_catalog_edits(
            "orders", catalog, catalog.with_columns(pl.lit("waste").alias("value_class"))
        ),
        "record experiment": lambda: create_experiment(
            wh, name="x", offering="orders", changed_at=datetime(2025, 6, 1, tzinfo=UTC)
        ),
        "edit experiment": lambda: update_experiment(wh, experiment, name="renamed"),
        "delete experiment": lambda: delete_experiment(wh, experiment),
        "undo import": lambda: wh.undo_import(import_id),
        "edit roles": lambda: wh.set_role("ben@example.com", "admin"),
    }
    raised: dict[str, object] = {}
    for action, attempt in attempts.items():
        try:
            attempt()
        except PermissionDenied as exc:
            raised[action] = str(exc)
        else:
            raised[action] = None
    return raised


def test_a_viewer_changes_nothing_whatever_the_page_sends(wh: Warehouse) -> None:
    report = ingest(wh, ORDERS.encode(), "orders.csv")
    experiment = create_experiment(
        wh, name="Pull", offering="orders", changed_at=datetime(2025, 6, 1, tzinfo=UTC)
    )
    before = (wh.event_count(), wh.catalog().to_dicts(), wh.audit().height)
    raised = _forged_writes(wh.acting(Actor("vera@example.com", "viewer")), experiment, 1)
    assert raised == {
        action: f"vera@example.com (viewer) may not {action}: that needs the {need} role. "
        "Ask an admin."
        for action, need in [
            ("import", "editor"),
            ("edit catalog", "editor"),
            ("record experiment", "editor"),
            ("edit experiment", "editor"),
            ("delete experiment", "admin"),
            ("undo import", "admin"),
            ("edit roles", "admin"),
        ]
    }
    assert (wh.event_count(), wh.catalog().to_dicts(), wh.audit().height) == before
    assert report.import_id == 1


def test_an_editor_may_import_and_edit_but_not_undo_delete_or_give_roles(wh: Warehouse) -> None:
    ingest(wh, ORDERS.encode(), "orders.csv")
    experiment = create_experiment(
        wh, name="Pull", offering="orders", changed_at=datetime(2025, 6, 1, tzinfo=UTC)
    )
    raised = _forged_writes(wh.acting(Actor("ben@example.com", "editor")), experiment, 1)
    assert {a for a, r in raised.items() if r is not None} == {
        "delete experiment",
        "undo import",
        "edit roles",
    }
    assert wh.audit()["actor"].to_list()[:4] == ["ben@example.com"] * 4


def test_every_kind_of_change_lands_in_the_audit_trail_with_who_made_it(wh: Warehouse) -> None:
    ana = wh.acting(Actor("ana@example.com", "admin"))
    report = ingest(ana, ORDERS.encode(), "orders.csv")
    seen = ana.catalog("orders")
    ana.save_catalog_edits("orders", seen, seen.with_columns(pl.lit("waste").alias("value_class")))
    experiment = create_experiment(
        ana, name="Pull", offering="orders", changed_at=datetime(2025, 6, 1, tzinfo=UTC)
    )
    update_experiment(ana, experiment, status="kept")
    delete_experiment(ana, experiment)
    ana.set_role("ben@example.com", "editor")
    assert report.import_id is not None
    ana.undo_import(report.import_id)
    trail = ana.audit().select("actor", "action", "target").reverse().rows()
    assert trail == [
        ("ana@example.com", "import", "orders.csv"),
        ("ana@example.com", "edit catalog", "orders: Quote, Ship"),
        ("ana@example.com", "record experiment", "Pull"),
        ("ana@example.com", "edit experiment", "experiment #1"),
        ("ana@example.com", "delete experiment", "experiment #1"),
        ("ana@example.com", "edit roles", "ben@example.com"),
        ("ana@example.com", "undo import", "import #1"),
    ]
    assert json.loads(ana.audit()["detail"][4]) == {"offering": "orders", "experiment": 1}
    assert ana.imports()["imported_by"].to_list() == ["ana@example.com"]
