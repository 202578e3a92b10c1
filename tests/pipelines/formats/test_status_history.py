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
from pipelines.formats.status_history import changes_to_instances, classify_status
from pipelines.ingest import ingest
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
    cases = case_table(instances).collect()
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
    # T-2 is still In Progress: open, its current status is not an instance.
    t2 = cases.filter(pl.col("case_id") == "T-2").row(0, named=True)
    assert t2["completed"] is False and t2["current_step"] == "To Do"


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
    ],
)
def test_default_kinds_from_status_names(name: str, kind: str) -> None:
    assert classify_status(name) == kind
