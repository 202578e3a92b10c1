"""The Data page recognises tool exports: a monday.com activity log is named, converted, imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipelines.formats import fixtures
from tests.ui.apptest import no_exceptions, run_app
from warehouse import Warehouse


def test_upload_a_monday_activity_log_and_import_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "w.duckdb"
    at = run_app(db, "app_pages/data.py", monkeypatch)
    at.file_uploader(key="upload_file").set_value(
        ("marketing-activity.json", fixtures.monday_activity_json(), "application/json")
    )
    at.run()
    no_exceptions(at)
    assert any("Looks like a Monday.com activity log" in i.value for i in at.info)
    assert at.selectbox(key="format_choice").value == "monday-activity-log"
    assert at.selectbox(key="format_follow").value == "Status"
    assert at.selectbox(key="format_follow").options == ["Status", "Person", "Group"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Activity instances"] == "7"
    assert any("still in a status" in i.value for i in at.info)

    at.button(key="import_button").click()
    at.run()
    no_exceptions(at)
    assert any("7 events stored" in s.value for s in at.success)
    with Warehouse.open(db) as wh:
        assert wh.imports()["format"].to_list() == ["monday-activity-log"]
        catalog = wh.catalog("marketing-activity")
        kinds = dict(zip(catalog["activity"].to_list(), catalog["kind"].to_list(), strict=True))
        # Webinar invite is waiting for approval now: that status is its current step.
        assert kinds == {
            "(no status)": "waiting",
            "Working on it": "work",
            "Stuck": "waiting",
            "Done": "done",
            "Waiting for approval": "waiting",
        }
        assert wh.open_items()["activity"].to_list() == ["Waiting for approval"]


def test_following_group_moves_instead_of_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "w.duckdb", "app_pages/data.py", monkeypatch)
    at.file_uploader(key="upload_file").set_value(
        ("marketing-activity.json", fixtures.monday_activity_json(), "application/json")
    )
    at.run()
    at.selectbox(key="format_follow").set_value("Group")
    at.run()
    no_exceptions(at)
    metrics = {m.label: m.value for m in at.metric}
    # Spring newsletter: in Q3 Campaigns (where its move came from) until the move, in
    # Q4 Campaigns until archived, then Archived; Webinar invite never moved (open).
    assert metrics["Activity instances"] == "3"


def test_a_milestone_sheet_says_durations_are_whole_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "w.duckdb", "app_pages/data.py", monkeypatch)
    at.file_uploader(key="upload_file").set_value(
        ("orders.csv", fixtures.MILESTONES_CSV, "text/csv")
    )
    at.run()
    no_exceptions(at)
    assert any("Looks like a Milestone spreadsheet" in i.value for i in at.info)
    assert at.multiselect(key="format_milestones").value == [
        "Received",
        "Quoted",
        "Approved",
        "Shipped",
    ]
    at.multiselect(key="format_milestones").set_value(["Received", "Shipped"])
    at.run()
    no_exceptions(at)
    assert {m.label: m.value for m in at.metric}["Activity instances"] == "7"
    assert any("whole days" in i.value for i in at.info)


def test_an_event_log_still_gets_the_column_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "w.duckdb", "app_pages/data.py", monkeypatch)
    csv = b"Case ID,Activity,Timestamp\nA,x,2025-06-01 10:00\nA,y,2025-06-02 10:00\n"
    at.file_uploader(key="upload_file").set_value(("log.csv", csv, "text/csv"))
    at.run()
    no_exceptions(at)
    assert at.selectbox(key="format_choice").value == "generic"
    assert not any("Looks like" in i.value for i in at.info)
    assert at.selectbox(key="map_case").value == "Case ID"


def test_choosing_a_wrong_format_by_hand_explains_instead_of_crashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "w.duckdb", "app_pages/data.py", monkeypatch)
    csv = b"Case ID,Activity,Timestamp\nA,x,2025-06-01 10:00\n"
    at.file_uploader(key="upload_file").set_value(("log.csv", csv, "text/csv"))
    at.run()
    at.selectbox(key="format_choice").set_value("trello")
    at.run()
    no_exceptions(at)
    assert at.error, "a wrong format must say why it does not fit"
    at.selectbox(key="format_choice").set_value("monday-activity-log")
    at.run()
    no_exceptions(at)
    assert at.error
