"""Status histories as instances, and a case checked by hand through the metrics engine.

The hand-checked case (tickets.csv, ticket T-1; docs/EVENT_MODEL.md):

    09:00 Jun 2  → To Do        (waiting)   4 h   until 13:00
    13:00 Jun 2  → In Progress  (work)     22 h   until 11:00 Jun 3
    11:00 Jun 3  → Blocked      (waiting)  22 h   until 09:00 Jun 4
    09:00 Jun 4  → In Progress  (work)      6 h   until 15:00 Jun 4
    15:00 Jun 4  → Done         (done)      instantaneous, ends the case

    lead time 54 h = process 28 h (22 + 6) + wait 26 h (4 + 22); flow efficiency 28/54.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from metrics.cases import case_table
from metrics.derive import derive_instances
from pipelines.formats.status_history import (
    STATUS_SUMMARY_SCHEMA,
    changes_to_instances,
    classify_status,
    status_summary,
)
from pipelines.ingest import ingest, prepare
from tests.pipelines.formats import fixtures as fx
from warehouse import Warehouse

H = 3600.0


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 6, day, hour, tzinfo=UTC)


def changes(*rows: tuple[str, datetime, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "__source_row": list(range(2, len(rows) + 2)),
            "offering": ["o"] * len(rows),
            "case_id": [r[0] for r in rows],
            "time": [r[1] for r in rows],
            "status": [r[2] for r in rows],
            "previous": [r[3] for r in rows],
            "resource": [f"u{i}" for i in range(len(rows))],
            "attributes": ["{}"] * len(rows),
            "__order": [float(i) for i in range(len(rows))],
        },
        schema_overrides={"time": pl.Datetime("us", "UTC"), "previous": pl.String},
    )


def test_time_in_each_status_wait_and_process_time_and_flow_efficiency(tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest(wh, fx.STATUS_HISTORY_CSV, "tickets.csv")
        events = wh.events()
        catalog = wh.catalog()
        open_items = wh.open_items()
    t1 = events.filter(pl.col("case_id") == "T-1")
    hours = t1.select(
        "activity", ((pl.col("end") - pl.col("start")).dt.total_seconds() / H).alias("h")
    )
    assert hours.rows() == [
        ("To Do", 4.0),
        ("In Progress", 22.0),
        ("Blocked", 22.0),
        ("In Progress", 6.0),
        ("Done", 0.0),
    ]
    instances = derive_instances(events.lazy(), catalog.lazy())
    cases = case_table(instances, open_items.lazy()).collect()
    row = cases.filter(pl.col("case_id") == "T-1").row(0, named=True)
    assert row["completed"] is True
    assert row["lead_time_s"] == 54 * H
    assert row["process_time_s"] == 28 * H
    assert row["wait_time_s"] == 26 * H
    assert row["flow_efficiency"] == pytest.approx(28 / 54)
    # Blocked's 22 h show up as the wait in front of the second In Progress.
    waits = (
        instances.filter(pl.col("case_id") == "T-1").select("activity", "wait_before_s").collect()
    )
    assert waits.filter(pl.col("activity") == "In Progress")["wait_before_s"].to_list() == [
        4 * H,
        22 * H,
    ]
    # T-2 is still In Progress: open, its current status is not an instance but its
    # current step.
    t2 = cases.filter(pl.col("case_id") == "T-2").row(0, named=True)
    assert t2["completed"] is False and t2["current_step"] == "In Progress"
    assert t2["n_instances"] == 1


def test_monday_item_by_hand(tmp_path: Path) -> None:
    """Spring newsletter: 1 h no status, 41.2 h working, 49.8 h stuck, 29.75 h working, done."""
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        ingest(wh, fx.monday_activity_json(), "marketing.json")
        cases = case_table(derive_instances(wh.events().lazy(), wh.catalog().lazy())).collect()
    row = cases.filter(pl.col("case_id") == "18000000101").row(0, named=True)
    assert row["lead_time_s"] == pytest.approx(121.75 * H)
    assert row["process_time_s"] == pytest.approx(70.95 * H)
    assert row["wait_time_s"] == pytest.approx(50.8 * H)
    assert row["flow_efficiency"] == pytest.approx(70.95 / 121.75)
    assert row["completed"] is True


def test_repeated_status_continues_the_period_and_done_twice_ends_once() -> None:
    inst, notes, catalog, _ = changes_to_instances(
        changes(
            ("A", at(1, 9), "To Do", None),
            ("A", at(1, 10), "In Progress", "To Do"),
            ("A", at(1, 11), "In Progress", "In Progress"),
            ("A", at(1, 12), "Resolved", "In Progress"),
            ("A", at(1, 13), "Closed", "Resolved"),
        )
    )
    assert inst.select("activity", "start", "end").rows() == [
        ("To Do", at(1, 9), at(1, 10)),
        ("In Progress", at(1, 10), at(1, 12)),
        ("Resolved", at(1, 12), at(1, 12)),
    ]
    assert any("already had" in n for n in notes) and any("ended at the first" in n for n in notes)
    assert catalog.filter(pl.col("is_end_activity"))["activity"].to_list() == ["Resolved"]


def test_reopened_after_done_continues_the_case() -> None:
    inst, _, _, _ = changes_to_instances(
        changes(
            ("A", at(1, 9), "In Progress", None),
            ("A", at(1, 10), "Done", "In Progress"),
            ("A", at(2, 9), "In Progress", "Done"),
            ("A", at(2, 12), "Done", "In Progress"),
        )
    )
    assert inst["activity"].to_list() == ["In Progress", "Done", "In Progress", "Done"]
    assert inst["start"][2] == at(2, 9) and inst["end"][2] == at(2, 12)


def test_first_change_names_an_earlier_status_with_unknown_start() -> None:
    inst, notes, _, _ = changes_to_instances(
        changes(
            ("A", at(1, 10), "In Progress", "Backlog"),
            ("A", at(1, 12), "Done", "In Progress"),
        )
    )
    assert inst.select("activity", "start", "end").rows() == [
        ("Backlog", None, at(1, 10)),
        ("In Progress", at(1, 10), at(1, 12)),
        ("Done", at(1, 12), at(1, 12)),
    ]
    assert any("start is unknown" in n for n in notes)


def test_resource_is_who_moved_the_item_out() -> None:
    inst, _, _, _ = changes_to_instances(
        changes(
            ("A", at(1, 9), "To Do", None),
            ("A", at(1, 10), "Done", "To Do"),
        )
    )
    assert inst["resource"].to_list() == ["u1", "u1"]


def test_no_done_status_says_how_to_complete_cases() -> None:
    _, notes, _, _ = changes_to_instances(
        changes(("A", at(1, 9), "Doing", None), ("A", at(1, 10), "Testing", "Doing"))
    )
    assert any("No status was recognised as done" in n for n in notes)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("To Do", "waiting"),
        ("todo", "waiting"),
        ("Backlog", "waiting"),
        ("Stuck", "waiting"),
        ("Blocked", "waiting"),
        ("Waiting for approval", "waiting"),
        ("On hold", "waiting"),
        ("Ready for QA", "waiting"),
        ("(no status)", "waiting"),
        ("Selected for Development", "waiting"),
        ("In Review", "work"),
        ("Working on it", "work"),
        ("In Progress", "work"),
        ("Doing", "work"),
        ("Done", "done"),
        ("Closed", "done"),
        ("Resolved", "done"),
        ("Merged", "done"),
        ("Shipped", "done"),
        ("Complete", "done"),
        ("Completed", "done"),
        ("Won't Do", "done"),
        ("Cancelled", "done"),
        # Kanban queues: a finished stage waits for the next one; a plain Done is done.
        ("Dev Done", "waiting"),
        ("Analysis Done", "waiting"),
        ("QA complete", "waiting"),
        ("Ready for review", "waiting"),
        ("01 - Backlog", "waiting"),
        ("✅ Done", "done"),
        ("Triage", "waiting"),
        # Spanish (the real board: TERMINADO, Finalizado, COSAS POR HACER, BLOQUEO ...)
        ("TERMINADO", "done"),
        ("Finalizado", "done"),
        ("Hecho", "done"),
        ("Listo", "done"),
        ("COSAS POR HACER", "waiting"),
        ("Por hacer", "waiting"),
        ("BLOQUEO", "waiting"),
        ("Bloqueado", "waiting"),
        ("EN ESPERA", "waiting"),
        ("Pendiente", "waiting"),
        ("Listo para revisar", "waiting"),
        ("Visto Bueno Approver", "waiting"),
        ("Desarrollo terminado", "waiting"),
        ("HACIENDO", "work"),
        ("En progreso", "work"),
        ("PRUEBAS", "work"),
        # Portuguese
        ("Concluído", "done"),
        ("Feito", "done"),
        ("A fazer", "waiting"),
        ("Aguardando aprovação", "waiting"),
        ("Em espera", "waiting"),
        ("Em andamento", "work"),
        ("Fazendo", "work"),
        # French
        ("Terminé", "done"),
        ("Fait", "done"),
        ("À faire", "waiting"),
        ("En attente", "waiting"),
        ("Bloqué", "waiting"),
        ("Prêt pour recette", "waiting"),
        ("En cours", "work"),
        # German
        ("Erledigt", "done"),
        ("Fertig", "done"),
        ("Abgeschlossen", "done"),
        ("Zu erledigen", "waiting"),
        ("Offen", "waiting"),
        ("Wartet auf Freigabe", "waiting"),
        ("Blockiert", "waiting"),
        ("Entwicklung fertig", "waiting"),
        ("In Arbeit", "work"),
        ("In Bearbeitung", "work"),
        # Dutch
        ("Klaar", "done"),
        ("Gedaan", "done"),
        ("Afgerond", "done"),
        ("Te doen", "waiting"),
        ("In afwachting", "waiting"),
        ("Geblokkeerd", "waiting"),
        ("Klaar voor test", "waiting"),
        ("Bezig", "work"),
        ("In uitvoering", "work"),
    ],
)
def test_default_kinds_from_status_names(name: str, kind: str) -> None:
    assert classify_status(name) == kind


def test_an_x_done_column_that_items_never_leave_is_done_when_nothing_else_is() -> None:
    # "Deploy Done" is the board's last column: no status is done and no item leaves it.
    _, notes, catalog, open_now = changes_to_instances(
        changes(
            ("A", at(1, 9), "Doing", None),
            ("A", at(1, 10), "Dev Done", "Doing"),
            ("A", at(1, 11), "Deploy Done", "Dev Done"),
            ("B", at(1, 9), "Doing", None),
        )
    )
    kinds = dict(zip(catalog["activity"], catalog["kind"], strict=True))
    assert kinds == {"Doing": "work", "Dev Done": "waiting", "Deploy Done": "done"}
    assert not any("No status was recognised as done" in n for n in notes)
    assert open_now.select("case_id", "activity", "entered").rows() == [("B", "Doing", at(1, 9))]


def test_open_items_are_the_periods_not_yet_ended() -> None:
    inst, notes, catalog, open_now = changes_to_instances(
        changes(
            ("A", at(1, 9), "To Do", None),
            ("A", at(1, 10), "In Progress", "To Do"),
            ("B", at(1, 9), "To Do", None),
            ("C", at(1, 9), "Done", None),
        )
    )
    assert inst.select("case_id", "activity").rows() == [("A", "To Do"), ("C", "Done")]
    # Who moved the item into its current status is the open item's resource.
    assert open_now.select("case_id", "activity", "entered", "resource", "source_row").rows() == [
        ("A", "In Progress", at(1, 10), "u1", 3),
        ("B", "To Do", at(1, 9), "u2", 4),
    ]
    assert set(catalog["activity"]) == {"To Do", "In Progress", "Done"}
    assert any("2 items are still in a status" in n for n in notes)
    assert any("1 item was created straight into a done status ('Done')" in n for n in notes)


def test_status_summary_counts_each_status_with_the_time_at_stake() -> None:
    # T-1 (done): To Do 4 h, In Progress 22 h, Blocked 22 h, In Progress 6 h, Done;
    # T-2: To Do 72 h, In Progress since 5 June 10:00; T-3 in To Do since 6 June 10:00,
    # the latest time of the import, 24 h after T-2 entered In Progress.
    data = fx.STATUS_HISTORY_CSV + b"T-3,2025-06-06 10:00,,To Do,Maya\n"
    p = prepare(data, "tickets.csv")
    out = status_summary(p.normalized.instances, p.catalog_defaults, p.normalized.open_items)
    assert out.schema == pl.Schema(STATUS_SUMMARY_SCHEMA)
    total = 4 + 22 + 22 + 6 + 72
    assert out.select(
        "status", "kind", "instances", "hours", "share_of_time", "open_items", "open_hours"
    ).rows() == [
        ("To Do", "waiting", 2, 76.0, 76 / total, 1, 0.0),
        ("In Progress", "work", 2, 28.0, 28 / total, 1, 24.0),
        ("Blocked", "waiting", 1, 22.0, 22 / total, 0, 0.0),
        ("Done", "done", 1, 0.0, 0.0, 0, 0.0),
    ]
    assert out["counts_as"][2] == "waiting: adds to wait, never to process time"
