"""Each tool export imports into the expected cases, steps, waits and end states."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from cli import main as cli_main
from pipelines.formats import FORMATS, FormatOptions
from pipelines.ingest import ImportOptions, IngestError, ingest, inspect, prepare
from tests.pipelines.formats import fixtures as fx
from warehouse import Warehouse


def t(
    month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, ms: int = 0
) -> datetime:
    return datetime(2025, month, day, hour, minute, second, ms * 1000, tzinfo=UTC)


def steps(prepared_or_frame, case: str) -> list[tuple[str, datetime | None, datetime]]:  # type: ignore[no-untyped-def]
    frame = getattr(prepared_or_frame, "normalized", None)
    frame = frame.instances if frame is not None else prepared_or_frame
    rows = frame.filter(pl.col("case_id") == case)
    return list(zip(rows["activity"], rows["start"], rows["end"], strict=True))


def kinds(prepared) -> dict[str, str]:  # type: ignore[no-untyped-def]
    c = prepared.catalog_defaults
    return dict(zip(c["activity"], c["kind"], strict=True))


def ends(prepared) -> set[str]:  # type: ignore[no-untyped-def]
    c = prepared.catalog_defaults
    return set(c.filter(pl.col("is_end_activity"))["activity"])


def guess(data: bytes, name: str) -> str | None:
    found = inspect(data, name).guess
    return None if found is None else found.name


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("log.json", fx.monday_activity_json(), "monday-activity-log"),
        ("log.csv", fx.monday_activity_api_csv(), "monday-activity-log"),
        ("activity.csv", fx.monday_activity_ui_csv(), "monday-activity-log"),
        ("activity.xlsx", fx.monday_activity_ui_xlsx(), "monday-activity-log"),
        ("board.xlsx", fx.monday_board_xlsx(), "monday-board"),
        ("issues.json", fx.jira_changelog_json(), "jira-changelog"),
        ("history.csv", fx.JIRA_STATUS_HISTORY_CSV, "jira-status-history"),
        ("issue_history.csv", fx.JIRA_ISSUE_HISTORY_CSV, "jira-issue-history"),
        ("Jira.csv", fx.JIRA_ISSUES_CSV, "jira-issues"),
        ("prs.json", fx.github_timeline_json(), "github"),
        ("events.csv", fx.GITHUB_EVENTS_CSV, "github"),
        ("board.json", fx.trello_board_json(), "trello"),
        ("actions.csv", fx.TRELLO_ACTIONS_CSV, "trello"),
        ("linear.csv", fx.LINEAR_CSV, "linear"),
        ("asana.csv", fx.ASANA_CSV, "asana"),
        ("orders.csv", fx.MILESTONES_CSV, "milestones"),
        ("tickets.csv", fx.STATUS_HISTORY_CSV, "status-history"),
        (
            "events.csv",
            b"Case ID,Activity,Timestamp\nA,x,2025-06-01 10:00\nA,y,2025-06-02 10:00\n",
            None,
        ),
        (
            "orders.csv",
            b"Order ID,Step,Started,Finished,Owner\nO-1,Quote,2025-06-02 09:00,2025-06-02 10:00,Maya\n",
            None,
        ),
        # GitHub events have event and created_at too, but ISO dates and GitHub's names:
        # never a monday.com activity log.
        (
            "events.json",
            b'[{"event": "closed", "created_at": "2012-05-26T14:59:34Z", "actor": {"login": "a"}}]',
            "github",
        ),
        # Events with a type and a date, but no Trello action (no card, list or board).
        (
            "deploys.json",
            b'[{"type": "deploy", "date": "2025-06-01T10:00:00Z", "data": {"service": "api"}}]',
            None,
        ),
        # Two dates per row, but cases repeat: an event log, not one row per case.
        (
            "orders.csv",
            b"Order,Begun,Ended\nA,2025-06-01,2025-06-02\nA,2025-06-03,2025-06-04\n"
            b"B,2025-06-01,2025-06-05\nB,2025-06-06,2025-06-07\n",
            None,
        ),
    ],
)
def test_each_layout_is_recognised_from_its_headers_or_shape(
    name: str, data: bytes, expected: str | None
) -> None:
    assert guess(data, name) == expected


def test_every_format_has_a_human_label() -> None:
    assert FORMATS["monday-activity-log"].label == "Monday.com activity log"
    assert all(f.label and f.accepts for f in FORMATS.values())


def test_monday_api_log_100ns_epochs_newest_first() -> None:
    p = prepare(fx.monday_activity_json(), "marketing.json")
    assert p.format == "monday-activity-log"
    assert steps(p, "18000000101") == [
        ("(no status)", t(7, 3, 16), t(7, 3, 17)),
        ("Working on it", t(7, 3, 17), t(7, 5, 10, 12)),
        ("Stuck", t(7, 5, 10, 12), t(7, 7, 12)),
        ("Working on it", t(7, 7, 12), t(7, 8, 17, 45)),
        ("Done", t(7, 8, 17, 45), t(7, 8, 17, 45)),
    ]
    # Webinar invite is waiting for approval now: that status is no instance, the case is open.
    assert [s[0] for s in steps(p, "18000000105")] == ["(no status)", "Working on it"]
    # The status an open item is in now joins the catalog too: it is that case's current step.
    assert kinds(p) == {
        "(no status)": "waiting",
        "Working on it": "work",
        "Stuck": "waiting",
        "Done": "done",
        "Waiting for approval": "waiting",
    }
    assert ends(p) == {"Done"}
    notes = " ".join(p.normalized.notes)
    assert "1 item is still in a status ('Waiting for approval')" in notes
    assert "3 log entries change something other than 'Status'" in notes
    assert p.choices["follow"] == ["Status", "Person", "Group"]
    assert p.normalized.rows_read == 12 and p.normalized.rejects.height == 0


def test_monday_api_log_as_csv_gives_the_same_instances() -> None:
    from_json = prepare(fx.monday_activity_json(), "m.json").normalized.instances
    from_csv = prepare(fx.monday_activity_api_csv(), "m.csv").normalized.instances
    assert from_csv.drop("source_row", "attributes").equals(
        from_json.drop("source_row", "attributes")
    )


def test_monday_group_moves_as_an_option() -> None:
    p = prepare(
        fx.monday_activity_json(),
        "m.json",
        ImportOptions(format="monday-activity-log", format_options=FormatOptions(follow="Group")),
    )
    assert steps(p, "18000000101") == [
        ("Q3 Campaigns", t(7, 3, 16), t(7, 7, 9, 30)),
        ("Q4 Campaigns", t(7, 7, 9, 30), t(7, 20, 8)),
        ("Archived", t(7, 20, 8), t(7, 20, 8)),
    ]


@pytest.mark.parametrize("maker", [fx.monday_activity_ui_csv, fx.monday_activity_ui_xlsx])
def test_monday_ui_export_filtered_to_the_status_column(maker) -> None:  # type: ignore[no-untyped-def]
    p = prepare(maker(), "activity" + (".csv" if maker is fx.monday_activity_ui_csv else ".xlsx"))
    assert steps(p, "Spring newsletter") == [
        ("Working on it", t(7, 3, 16), t(7, 5, 10, 12)),
        ("Stuck", t(7, 5, 10, 12), t(7, 8, 17, 45)),
        ("Done", t(7, 8, 17, 45), t(7, 8, 17, 45)),
    ]
    assert p.normalized.instances["case_id"].unique().to_list() == ["Spring newsletter"]
    assert any("2 rows change something other than 'Status'" in n for n in p.normalized.notes)


def test_monday_board_export_title_group_header_footer_and_subitem_rows() -> None:
    p = prepare(fx.monday_board_xlsx(), "marketing.xlsx")
    assert p.format == "monday-board"
    inst = p.normalized.instances
    # Four items in two groups; subitem, header, group-title and footer rows are not cases.
    assert sorted(inst["case_id"].unique()) == ["18000000101", "18000000104", "18000000201"]
    assert p.format_used is not None and p.format_used.milestones == ("Brief", "Draft", "Published")
    assert steps(p, "18000000104") == [
        ("Brief", None, t(6, 20)),
        ("Draft", None, t(6, 25)),
        ("Published", None, t(7, 2)),
    ]
    assert inst.filter(pl.col("case_id") == "18000000104")["source_row"].to_list() == [8, 8, 8]
    assert (
        '"Group":"Q4 Campaigns"' in inst.filter(pl.col("case_id") == "18000000201")["attributes"][0]
    )
    notes = " ".join(p.normalized.notes)
    assert "whole days" in notes and "2 subitems are left out" in notes
    assert "Due date" in p.choices["milestones"]
    assert ends(p) == {"Published"}


def test_monday_board_subitems_and_chosen_milestones() -> None:
    options = FormatOptions(include_subitems=True, milestones=("Due Date",))
    p = prepare(
        fx.monday_board_xlsx(),
        "b.xlsx",
        ImportOptions(format="monday-board", format_options=options),
    )
    inst = p.normalized.instances
    assert sorted(inst["case_id"]) == ["18000000102", "18000000103"]
    assert '"Parent item":"Spring newsletter"' in inst["attributes"][0]


JIRA_101 = [
    ("To Do", t(6, 3, 7, 5), t(6, 4, 8, 24, 59, 366)),
    ("In Progress", t(6, 4, 8, 24, 59, 366), t(6, 9, 14, 10, 2, 120)),
    ("In Review", t(6, 9, 14, 10, 2, 120), t(6, 10, 9, 0, 41, 5)),
    ("In Progress", t(6, 10, 9, 0, 41, 5), t(6, 11, 13, 45, 10, 500)),
    ("In Review", t(6, 11, 13, 45, 10, 500), t(6, 12, 14, 30)),
    ("Done", t(6, 12, 14, 30), t(6, 12, 14, 30)),
]


def test_jira_changelog_offsets_without_colon_and_first_status_from_created() -> None:
    p = prepare(fx.jira_changelog_json(), "issues.json")
    assert steps(p, "PAY-101") == JIRA_101  # Done → Closed does not end the case again
    assert steps(p, "PAY-102") == [
        ("To Do", datetime(2025, 6, 4, 16, tzinfo=UTC), datetime(2025, 6, 5, 14, tzinfo=UTC))
    ]
    assert steps(p, "PAY-103") == []  # still in To Do: open, no instance
    assert p.choices["follow"] == ["status", "assignee", "resolution"]
    assert kinds(p) == {
        "To Do": "waiting",
        "In Progress": "work",
        "In Review": "work",
        "Done": "done",
    }


def test_jira_flattened_status_history() -> None:
    p = prepare(fx.JIRA_STATUS_HISTORY_CSV, "history.csv")
    assert steps(p, "PAY-101") == JIRA_101


def test_jira_issue_history_first_status_has_unknown_start() -> None:
    p = prepare(fx.JIRA_ISSUE_HISTORY_CSV, "issue_history.csv")
    assert steps(p, "10101") == [
        ("To Do", None, t(6, 4, 8, 24)),
        ("In Progress", t(6, 4, 8, 24), t(6, 9, 14, 10)),
        ("In Review", t(6, 9, 14, 10), t(6, 12, 14, 30)),
        ("Done", t(6, 12, 14, 30), t(6, 12, 14, 30)),
    ]
    assert any("2 rows change something other than 'status'" in n for n in p.normalized.notes)
    assert any("start is unknown" in n for n in p.normalized.notes)


def test_jira_issue_csv_repeated_columns_and_jira_dates() -> None:
    p = prepare(fx.JIRA_ISSUES_CSV, "Jira.csv")
    assert p.format == "jira-issues"
    assert steps(p, "PAY-101") == [
        ("Created", None, t(6, 3, 9, 5)),
        ("Resolved", None, t(6, 12, 16, 30)),
    ]
    assert steps(p, "PAY-102") == [("Created", None, t(6, 4, 10))]
    assert p.normalized.instances.height == 7
    assert '"Labels (2)":"payments"' in p.normalized.instances["attributes"][0]
    assert ends(p) == {"Resolved"}


def test_github_pull_request_stream_with_review_waits() -> None:
    p = prepare(fx.github_timeline_json(), "prs.json")
    assert steps(p, "7") == [
        ("PR submitted", t(6, 2, 9), t(6, 2, 10)),
        ("Review requested", t(6, 2, 10), t(6, 3, 9)),
        ("Changes requested", t(6, 3, 9), t(6, 4, 9)),
        ("Review requested", t(6, 4, 9), t(6, 4, 15)),
        ("Approved", t(6, 4, 15), t(6, 5, 10)),
        ("Merged", t(6, 5, 10), t(6, 5, 10)),
    ]
    assert steps(p, "8") == [("Open", t(6, 1, 8), t(6, 2, 8))]  # then "in progress", still open
    k = kinds(p)
    assert (
        k["PR submitted"],
        k["Review requested"],
        k["Approved"],
        k["Changes requested"],
        k["Merged"],
    ) == ("waiting", "waiting", "waiting", "work", "done")


def test_github_events_csv_with_status_labels() -> None:
    p = prepare(fx.GITHUB_EVENTS_CSV, "events.csv")
    assert [s[0] for s in steps(p, "123")] == [
        "todo",
        "in progress",
        "Review requested",
        "Reviewed",
        "Merged",
    ]
    assert kinds(p)["todo"] == "waiting"


def test_trello_board_list_moves_and_creation_from_the_card_id() -> None:
    p = prepare(fx.trello_board_json(), "board.json")
    assert steps(p, "686325000000000000000a01") == [
        ("Backlog", t(7, 1, 9), t(7, 2, 10, 15)),
        ("Doing", t(7, 2, 10, 15), t(7, 5, 16, 40)),
        ("Review", t(7, 5, 16, 40), t(7, 6, 8, 5)),
        ("Doing", t(7, 6, 8, 5), t(7, 8, 12, 30)),
        ("Done", t(7, 8, 12, 30), t(7, 8, 12, 30)),
    ]
    assert steps(p, fx.TRELLO_OLD_CARD) == [("Backlog", t(7, 1), t(7, 3, 9))]
    notes = " ".join(p.normalized.notes)
    assert "1 card has no action" in notes and "1 actions (comments" in notes


def test_trello_actions_csv() -> None:
    p = prepare(fx.TRELLO_ACTIONS_CSV, "actions.csv")
    assert [s[0] for s in steps(p, "66c1")] == ["Backlog", "Doing", "Review", "Doing", "Done"]


def test_linear_created_started_completed_canceled() -> None:
    p = prepare(fx.LINEAR_CSV, "linear.csv")
    assert steps(p, "ENG-41") == [
        ("Not started", t(6, 3, 7, 5), t(6, 4, 8, 24)),
        ("In progress", t(6, 4, 8, 24), t(6, 12, 14, 30)),
        ("Done", t(6, 12, 14, 30), t(6, 12, 14, 30)),
    ]
    assert [s[0] for s in steps(p, "ENG-44")] == ["Not started", "Canceled"]
    assert steps(p, "ENG-43") == []
    assert ends(p) == {"Done", "Canceled"}


def test_asana_created_and_completed_are_date_only_milestones() -> None:
    p = prepare(fx.ASANA_CSV, "asana.csv")
    assert steps(p, "1200000000000001") == [
        ("Created At", None, t(7, 1)),
        ("Completed At", None, t(7, 8)),
    ]
    assert p.normalized.date_only and any("whole days" in n for n in p.normalized.notes)
    assert ends(p) == {"Completed At"}


def test_milestone_sheet_chosen_columns_and_order_bad_dates_rejected() -> None:
    p = prepare(fx.MILESTONES_CSV, "orders.csv")
    assert p.format_used is not None
    assert p.format_used.milestones == (
        "Received",
        "Quoted",
        "Approved",
        "Shipped",
    )  # Due date is a plan
    options = FormatOptions(milestones=("Received", "Quoted", "Approved", "Shipped"))
    p = prepare(
        fx.MILESTONES_CSV, "orders.csv", ImportOptions(format="milestones", format_options=options)
    )
    assert [s[0] for s in steps(p, "PO-1")] == ["Received", "Quoted", "Approved", "Shipped"]
    rejects = p.normalized.rejects
    assert rejects["source_row"].to_list() == [6]
    assert "'soon'" in rejects["reason"][0] and "'Quoted'" in rejects["reason"][0]
    notes = " ".join(p.normalized.notes)
    assert "1 cases have a later step dated before an earlier one" in notes  # PO-3
    assert "1 rows have none of the chosen dates" in notes  # PO-4
    assert "whole days" in notes
    assert ends(p) == {"Shipped"}


def test_an_unrecognised_layout_falls_back_to_the_generic_mapping(tmp_path: Path) -> None:
    p = prepare(b"Case ID,Activity,Timestamp\nA,x,2025-06-01 10:00\n", "log.csv")
    assert p.format == "generic" and p.catalog_defaults is None
    with pytest.raises(IngestError, match="JSON document, not a table"):
        prepare(b'{"hello": [1, 2, 3]}', "odd.json")


def test_a_wrong_format_chosen_by_hand_is_an_explained_error() -> None:
    with pytest.raises(IngestError, match=r"does not look like a monday\.com activity log"):
        prepare(fx.LINEAR_CSV, "linear.csv", ImportOptions(format="monday-activity-log"))
    with pytest.raises(IngestError, match="Unknown format 'nope'"):
        prepare(fx.LINEAR_CSV, "linear.csv", ImportOptions(format="nope"))


def test_import_stores_default_kinds_without_overwriting_edits(wh: Warehouse) -> None:
    first = ingest(wh, fx.STATUS_HISTORY_CSV, "tickets.csv")
    assert first.format == "status-history" and first.stored == 6
    catalog = wh.catalog("tickets")
    assert dict(zip(catalog["activity"], catalog["kind"], strict=True)) == {
        "To Do": "waiting",
        "In Progress": "work",
        "Blocked": "waiting",
        "Done": "done",
    }
    assert dict(zip(catalog["activity"], catalog["is_end_activity"], strict=True))["Done"] is True
    edited = catalog.with_columns(
        pl.when(pl.col("activity") == "Blocked")
        .then(pl.lit("work"))
        .otherwise(pl.col("kind"))
        .alias("kind")
    )
    wh.save_catalog(edited)
    more = (
        fx.STATUS_HISTORY_CSV
        + b"T-3,2025-06-06 10:00,,Blocked,Maya\nT-3,2025-06-07 10:00,Blocked,Done,Sam\n"
    )
    ingest(wh, more, "tickets.csv")
    kinds_after = dict(
        zip(wh.catalog("tickets")["activity"], wh.catalog("tickets")["kind"], strict=True)
    )
    assert kinds_after["Blocked"] == "work"
    again = ingest(wh, fx.STATUS_HISTORY_CSV, "tickets.csv")
    assert again.already_imported_as == first.import_id


def test_command_line_takes_a_format_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "marketing.json"
    path.write_bytes(fx.monday_activity_json())
    db = tmp_path / "w.duckdb"
    assert (
        cli_main(
            [
                "ingest",
                str(path),
                "--db",
                str(db),
                "--format",
                "monday-activity-log",
                "--follow",
                "Group",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "monday-activity-log" and report["stored"] == 3
    milestones = tmp_path / "orders.csv"
    milestones.write_bytes(fx.MILESTONES_CSV)
    assert (
        cli_main(
            [
                "ingest",
                str(milestones),
                "--db",
                str(db),
                "--milestones",
                "Received,Shipped",
                "--json",
            ]
        )
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "milestones" and report["stored"] == 7
    with pytest.raises(SystemExit):
        cli_main(["ingest", str(path), "--db", str(db), "--format", "nope"])


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_any_format_chosen_by_hand_for_a_foreign_file_fails_with_a_message(name: str) -> None:
    for data, file_name in (
        (fx.LINEAR_CSV, "linear.csv"),
        (fx.trello_board_json(), "t.json"),
        (b'{"a": 1}', "x.json"),
        (fx.monday_board_xlsx(), "b.xlsx"),
    ):
        try:
            prepare(data, file_name, ImportOptions(format=name))
        except IngestError as exc:
            assert file_name in str(exc)
