"""One activity's catalog fields, set by offering and name: only the fields given change,
None means something (no standard, the default end rule), and a viewer changes nothing."""

from __future__ import annotations

import pytest

from pipelines.ingest import ImportOptions, ingest
from warehouse import Actor, PermissionDenied, Warehouse, WarehouseError
from warehouse.catalog import activity_row, set_activity

CSV = b"""Order ID,Step,Started,Finished
O-1,Quote,2026-01-05 09:00,2026-01-05 10:00
O-1,Ship,2026-01-06 09:00,2026-01-06 10:00
"""


@pytest.fixture
def shop(wh: Warehouse) -> Warehouse:
    ingest(wh, CSV, "orders.csv", ImportOptions(offering="Shop"))
    return wh


def test_only_the_fields_given_change(shop: Warehouse) -> None:
    before = activity_row(shop, "Shop", "Quote")
    assert (before["value_class"], before["kind"], before["standard_minutes"]) == (
        "unclassified",
        "work",
        None,
    )
    after = set_activity(shop, "Shop", "Quote", standard_minutes=15.0, ends_case=False)
    assert {
        k: after[k] for k in ("value_class", "kind", "standard_minutes", "is_end_activity")
    } == {
        "value_class": "unclassified",
        "kind": "work",
        "standard_minutes": 15.0,
        "is_end_activity": False,
    }
    after = set_activity(shop, "Shop", "Quote", value_class="value-adding")
    assert (after["standard_minutes"], after["is_end_activity"]) == (15.0, False)
    cleared = set_activity(shop, "Shop", "Quote", standard_minutes=None, ends_case=None)
    assert (cleared["standard_minutes"], cleared["is_end_activity"]) == (None, None)
    assert activity_row(shop, "Shop", "Ship")["value_class"] == "unclassified"


def test_nothing_given_writes_nothing(shop: Warehouse) -> None:
    version, audited = shop.data_version(), shop.audit().height
    set_activity(shop, "Shop", "Quote")
    assert (shop.data_version(), shop.audit().height) == (version, audited)


def test_refusals(shop: Warehouse) -> None:
    with pytest.raises(
        WarehouseError, match="Unknown kind 'queue': use one of work, waiting, done"
    ):
        set_activity(shop, "Shop", "Quote", kind="queue")
    with pytest.raises(WarehouseError, match="No activity 'quote' in the catalog of 'Shop'"):
        set_activity(shop, "Shop", "quote", kind="work")
    with pytest.raises(PermissionDenied, match="may not edit catalog"):
        set_activity(shop.acting(Actor("val@example.com", "viewer")), "Shop", "Quote", kind="done")
    assert activity_row(shop, "Shop", "Quote")["kind"] == "work"


def test_a_kind_set_by_name_is_checked(wh: Warehouse, external_dir) -> None:  # type: ignore[no-untyped-def]
    """A status whose kind the import guessed stops being "to check" once a person sets it
    by name, as after an edit on the Data page."""
    ingest(wh, external_dir / "exports" / "trello_jsai_2021.json")
    guessed = wh.unconfirmed_statuses()
    assert guessed.height >= 2
    first = guessed.row(0, named=True)
    set_activity(wh, first["offering"], first["activity"], kind="waiting")
    after = wh.unconfirmed_statuses()
    assert after.height == guessed.height - 1
    assert (
        first["activity"]
        not in after.filter(after["offering"] == first["offering"])["activity"].to_list()
    )
