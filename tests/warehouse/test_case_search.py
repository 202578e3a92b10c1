"""Finding a case by its id: what a person types finds that case, or the ids that contain it."""

from __future__ import annotations

from pipelines.ingest import ingest
from tests.warehouse.test_open_items import FIRST
from warehouse import Warehouse

LOG = (
    b"case,activity,end,offering\n"
    b"ORD-7,Quote,2025-06-02 09:00,Orders\n"
    b"ORD-7,Ship,2025-06-03 09:00,Orders\n"
    b"ord-70,Quote,2025-06-02 10:00,Orders\n"
    b"XORD-7,Quote,2025-06-02 11:00,Orders\n"
    b"ORD-7,Quote,2025-06-02 09:00,Returns\n"
    b"B-1,Quote,2025-06-02 09:00,Returns\n"
)


def _found(wh: Warehouse, text: str, limit: int = 20) -> list[tuple[str, str, bool, int]]:
    return wh.find_case_ids(text, limit).rows()


def test_an_exact_id_comes_first_in_every_offering_that_has_it(wh: Warehouse) -> None:
    ingest(wh, LOG, "orders.csv")
    assert _found(wh, "ORD-7") == [
        ("Orders", "ORD-7", True, 4),
        ("Returns", "ORD-7", True, 4),
        ("Orders", "ord-70", False, 4),
        ("Orders", "XORD-7", False, 4),
    ]
    # Case and surrounding spaces do not matter; the limit keeps the total.
    assert _found(wh, "  ord-7 ", limit=1) == [("Orders", "ORD-7", True, 4)]


def test_part_of_an_id_finds_only_the_ids_containing_it(wh: Warehouse) -> None:
    ingest(wh, LOG, "orders.csv")
    assert _found(wh, "d-70") == [("Orders", "ord-70", False, 1)]
    assert _found(wh, "B-") == [("Returns", "B-1", False, 1)]
    assert _found(wh, "ORD-8") == []
    assert _found(wh, "   ") == []
    # Characters with a meaning in LIKE patterns are plain text here.
    assert _found(wh, "%") == [] and _found(wh, "_") == []


def test_an_item_that_never_moved_is_found_too(wh: Warehouse) -> None:
    ingest(wh, FIRST, "tickets.csv")
    # T-3 has no instance, only its open item (still in To Do).
    assert _found(wh, "t-3") == [("tickets", "T-3", True, 1)]
    assert [row[1] for row in _found(wh, "T-")] == ["T-1", "T-2", "T-3"]


def test_the_closest_ids_to_a_mistyped_one(wh: Warehouse) -> None:
    ingest(wh, LOG, "orders.csv")
    assert wh.closest_case_ids("ORD7") == [
        ("Orders", "ORD-7"),
        ("Returns", "ORD-7"),
        ("Orders", "ord-70"),
        ("Orders", "XORD-7"),
    ]
    assert wh.closest_case_ids("ORD7", offering="Returns") == [("Returns", "ORD-7")]
    assert wh.closest_case_ids("zebra") == []
