"""Open items in the warehouse: stored with their import, one current status per case.

A board export says which status each unfinished item is in now. Each import keeps
the open items it found (so undo can give the earlier ones back); reading resolves
them: per case the one entered last counts, and none once the stored instances show
the period ended. Re-importing the same export, or an overlapping newer one, never
shows an item twice, and a stale "current status" does not linger.
"""

from __future__ import annotations

from datetime import UTC, datetime

from metrics.derived import derive_all
from pipelines.ingest import ingest
from warehouse import Warehouse

HEADER = b"Ticket,Changed at,From,To,Changed by\n"
# T-1 is done; T-2 has been In Progress since 5 June 10:00; T-3 is still in To Do.
FIRST = HEADER + (
    b"T-1,2025-06-02 09:00,,To Do,Maya\n"
    b"T-1,2025-06-02 13:00,To Do,In Progress,Sam\n"
    b"T-1,2025-06-04 15:00,In Progress,Done,Sam\n"
    b"T-2,2025-06-02 10:00,,To Do,Maya\n"
    b"T-2,2025-06-05 10:00,To Do,In Progress,Lee\n"
    b"T-3,2025-06-05 11:00,,To Do,Maya\n"
)
# A day later: T-2 is done, T-3 started, T-4 is new.
LATER = FIRST + (
    b"T-2,2025-06-06 12:00,In Progress,Done,Lee\n"
    b"T-3,2025-06-06 09:00,To Do,In Progress,Sam\n"
    b"T-4,2025-06-06 10:00,,Blocked,Maya\n"
)


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 6, day, hour, tzinfo=UTC)


def current(wh: Warehouse) -> list[tuple[str, str, datetime | None, str | None]]:
    items = wh.open_items().sort("case_id")
    return list(
        zip(items["case_id"], items["activity"], items["entered"], items["resource"], strict=True)
    )


def test_an_import_stores_each_unfinished_items_current_status(wh: Warehouse) -> None:
    report = ingest(wh, FIRST, "tickets.csv")
    # Who moved the item into its current status is its resource.
    assert current(wh) == [
        ("T-2", "In Progress", at(5, 10), "Lee"),
        ("T-3", "To Do", at(5, 11), "Maya"),
    ]
    assert set(wh.open_items()["import_id"]) == {report.import_id}
    # T-3 has no instance yet: its case exists all the same, open, in To Do, in WIP.
    cases = derive_all(wh.events(), wh.catalog(), wh.open_items()).cases.sort("case_id")
    assert cases.select("case_id", "completed", "current_step", "n_instances").rows() == [
        ("T-1", True, "Done", 3),
        ("T-2", False, "In Progress", 1),
        ("T-3", False, "To Do", 0),
    ]
    assert wh.time_span() == (at(2, 9), at(5, 11))


def test_the_same_export_again_stores_no_second_open_item(wh: Warehouse) -> None:
    ingest(wh, FIRST, "tickets.csv")
    assert ingest(wh, FIRST, "tickets.csv").already_imported_as is not None
    assert wh.read("SELECT count(*) AS n FROM open_items")["n"].item() == 2
    assert len(current(wh)) == 2


def test_a_newer_overlapping_export_supersedes_the_stale_statuses(wh: Warehouse) -> None:
    ingest(wh, FIRST, "tickets.csv")
    later = ingest(wh, LATER, "tickets.csv")
    # T-2 ended In Progress (a later instance ends after it entered): no longer open.
    # T-3's To Do gave way to the In Progress it entered later; T-4 is new.
    assert current(wh) == [
        ("T-3", "In Progress", at(6, 9), "Sam"),
        ("T-4", "Blocked", at(6, 10), "Maya"),
    ]
    cases = derive_all(wh.events(), wh.catalog(), wh.open_items()).cases.sort("case_id")
    assert cases.select("case_id", "completed", "current_step").rows() == [
        ("T-1", True, "Done"),
        ("T-2", True, "Done"),
        ("T-3", False, "In Progress"),
        ("T-4", False, "Blocked"),
    ]
    # Undoing the newer import gives the first one's open items back.
    wh.undo_import(later.import_id)  # type: ignore[arg-type]
    assert current(wh) == [
        ("T-2", "In Progress", at(5, 10), "Lee"),
        ("T-3", "To Do", at(5, 11), "Maya"),
    ]
    assert "Blocked" in wh.catalog("tickets")["activity"].to_list()  # a waiting kind is kept


def test_an_older_export_imported_after_a_newer_one_changes_nothing_current(
    wh: Warehouse,
) -> None:
    ingest(wh, LATER, "tickets.csv")
    before = current(wh)
    older = ingest(wh, FIRST, "tickets.csv")
    assert older.stored == 0  # every instance of the older export is already stored
    assert wh.read("SELECT count(*) AS n FROM open_items")["n"].item() == 4
    # Its T-2 In Progress ended by a stored instance; its T-3 To Do was entered before the
    # In Progress of the newer export.
    assert current(wh) == before


def test_undo_removes_an_imports_open_items(wh: Warehouse) -> None:
    report = ingest(wh, FIRST, "tickets.csv")
    wh.undo_import(report.import_id)  # type: ignore[arg-type]
    assert wh.open_items().height == 0
    assert wh.read("SELECT count(*) AS n FROM open_items")["n"].item() == 0


def test_a_board_where_nothing_has_moved_yet_imports_as_open_cases(wh: Warehouse) -> None:
    data = HEADER + b"T-1,2025-06-02 09:00,,To Do,Maya\nT-2,2025-06-03 09:00,,Doing,Sam\n"
    report = ingest(wh, data, "new board.csv")
    assert (report.stored, wh.event_count()) == (0, 0)
    assert wh.offerings() == ["new board"]
    catalog = wh.catalog("new board")
    assert dict(zip(catalog["activity"], catalog["kind"], strict=True)) == {
        "To Do": "waiting",
        "Doing": "work",
    }
    d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    assert d.cases.select("case_id", "first_start", "completed", "current_step").rows() == [
        ("T-1", at(2, 9), False, "To Do"),
        ("T-2", at(3, 9), False, "Doing"),
    ]
    assert d.now == at(3, 9)
