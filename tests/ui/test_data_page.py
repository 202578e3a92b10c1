"""The Data page in AppTest: upload, mapping override, import report, history with undo, catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ui.apptest import no_exceptions, run_app
from warehouse import Warehouse

CSV = b"""Ticket,Status,Opened,Closed,Team
T-1,Triage,2025-06-02 09:00,2025-06-02 10:00,Desk
T-1,Fix,2025-06-03 09:00,2025-06-04 17:00,Dev
T-2,Triage,2025-06-02 11:00,2025-06-02 11:30,Desk
T-3,Triage,2025-06-02 11:00,never,Desk
"""


def test_data_page_renders_on_an_empty_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "empty.duckdb", None, monkeypatch)
    # AppTest (streamlit 1.67) keeps the sidebar of the first run only, so check it there.
    assert any("warehouse is empty" in w.value for w in at.sidebar.warning)
    at.switch_page("app_pages/data.py")
    at.run()
    no_exceptions(at)
    assert at.title[0].value == "Data"
    assert any("Nothing imported yet" in i.value for i in at.info)


def test_data_page_on_the_demo_says_it_is_demo_data(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, None, monkeypatch)
    assert any("Demo data" in i.value for i in at.sidebar.info)
    at.switch_page("app_pages/data.py")
    at.run()
    no_exceptions(at)
    assert at.button(key="remove_demo") is not None
    catalog = at.selectbox(key="catalog_offering")
    assert catalog.options == [
        "Custom formulation",
        "Private label fulfillment",
        "Reverse engineering",
    ]


def test_upload_override_mapping_and_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    at = run_app(db, "app_pages/data.py", monkeypatch)
    at.file_uploader(key="upload_file").set_value(("tickets.csv", CSV, "text/csv"))
    at.run()
    no_exceptions(at)
    # "Status" was taken as the activity; the start and end columns were not recognised by name.
    assert at.selectbox(key="map_case").value == "Ticket"
    assert at.selectbox(key="map_activity").value == "Status"
    at.selectbox(key="map_start").set_value("Opened")
    at.selectbox(key="map_end").set_value("Closed")
    at.selectbox(key="map_resource").set_value("Team")
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows in the file"] == "4"
    assert metrics["Activity instances"] == "3"
    assert metrics["Rows rejected"] == "1"
    at.button(key="import_button").click()
    at.run()
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Stored"] == "3" and metrics["Rejected"] == "1"
    assert any("3 events stored" in s.value for s in at.success)
    with Warehouse.open(db) as wh:
        events = wh.events()
        assert events["resource"].to_list() == ["Desk", "Dev", "Desk"]
        assert events["offering"].unique().to_list() == ["tickets"]


def test_history_undo(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_copy, "app_pages/data.py", monkeypatch)
    assert at.selectbox(key="history_import").value == 1
    at.checkbox(key="undo_confirm").check()
    at.run()
    at.button(key="undo_button").click()
    at.run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        assert wh.event_count() == 0
        assert wh.imports()["undone_at"][0] is not None


def test_saving_the_catalog_without_an_edit_changes_nothing(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Warehouse.open(demo_copy) as wh:
        before = wh.catalog("Reverse engineering")
        changes = wh.audit().height
    at = run_app(demo_copy, "app_pages/data.py", monkeypatch)
    at.selectbox(key="catalog_offering").set_value("Reverse engineering")
    at.run()
    at.button(key="catalog_save").click()
    at.run()
    at.button(key="catalog_save").click()
    at.run()
    no_exceptions(at)
    assert any("Nothing to save" in s.value for s in at.success)
    with Warehouse.open(demo_copy) as wh:
        assert wh.catalog("Reverse engineering").equals(before)
        assert wh.audit().height == changes


def test_remove_the_demo(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_copy, "app_pages/data.py", monkeypatch)
    # One click does nothing: the person confirms, knowing what will go.
    assert at.button(key="remove_demo").disabled
    confirm = at.checkbox(key="remove_demo_confirm")
    assert (
        "2,791 cases in 3 offerings (Custom formulation, Private label fulfillment and "
        "Reverse engineering) (32,708 events)" in confirm.label
    )
    confirm.check()
    at.run()
    at.button(key="remove_demo").click()
    at.run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        assert wh.event_count() == 0
        assert wh.catalog().height == 0
        assert wh.read("SELECT count(*) AS n FROM experiments")["n"][0] == 0
        assert not wh.has_demo()


def test_an_undo_that_would_lose_data_is_refused_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.ingest import ingest

    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        june = tmp_path / "june.csv"
        june.write_text("case,activity,timestamp\n1,a,2025-06-01T10:00:00Z\n")
        both = tmp_path / "june-july.csv"
        both.write_text(
            "case,activity,timestamp\n1,a,2025-06-01T10:00:00Z\n1,b,2025-07-01T10:00:00Z\n"
        )
        from pipelines.ingest import ImportOptions
        from pipelines.mapping import Mapping

        opts = ImportOptions(
            mapping=Mapping(case="case", activity="activity", end="timestamp", offering_name="Shop")
        )
        ingest(wh, june, options=opts)
        ingest(wh, both, options=opts)
    at = run_app(db, "app_pages/data.py", monkeypatch)
    at.selectbox(key="history_import").set_value(1)
    at.run()
    at.checkbox(key="undo_confirm").check()
    at.run()
    at.button(key="undo_button").click()
    at.run()
    no_exceptions(at)
    assert any("undo import #2 first" in e.value for e in at.error)
    with Warehouse.open(db) as wh:
        assert wh.event_count() == 2


def test_the_undo_box_counts_what_each_import_holds_reading_it_once_per_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sentence an undo asks to confirm names what the import holds; it is counted
    once per data version (a scan of every event of the import), not on every run."""
    from pipelines.ingest import ImportOptions, ingest
    from pipelines.mapping import Mapping

    db = tmp_path / "w.duckdb"
    first = tmp_path / "shop.csv"
    first.write_text(
        "case,activity,timestamp\n1,a,2025-06-01T10:00:00Z\n1,b,2025-06-02T10:00:00Z\n"
        "2,a,2025-06-03T10:00:00Z\n"
    )
    second = tmp_path / "cafe.csv"
    second.write_text("case,activity,timestamp\n7,a,2025-06-05T10:00:00Z\n")
    with Warehouse.open(db) as wh:
        for source, name in ((first, "Shop"), (second, "Cafe")):
            mapping = Mapping(case="case", activity="activity", end="timestamp", offering_name=name)
            ingest(wh, source, options=ImportOptions(mapping=mapping))
    calls: list[tuple[int, ...]] = []
    counted = Warehouse.import_contents

    def counting(self: Warehouse, import_ids: list[int]) -> tuple[int, int, list[str]]:
        calls.append(tuple(import_ids))
        return counted(self, import_ids)

    monkeypatch.setattr(Warehouse, "import_contents", counting)
    at = run_app(db, "app_pages/data.py", monkeypatch)
    assert at.selectbox(key="history_import").value == 2  # the latest first
    at.selectbox(key="history_import").set_value(1)
    at.run()
    assert at.checkbox(key="undo_confirm").label.startswith(
        "Remove the 3 events import #1 stored: 2 cases in 1 offering (Shop)"
    )
    at.selectbox(key="history_import").set_value(2)
    at.run()
    at.run()
    no_exceptions(at)
    assert at.checkbox(key="undo_confirm").label.startswith(
        "Remove the 1 event import #2 stored: 1 case in 1 offering (Cafe)"
    )
    assert calls == [(2,), (1,)]  # each import counted once, however often the page runs
