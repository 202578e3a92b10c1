"""Made-up tool exports in the real layouts of ../shared/EXPORT_FORMATS.md, awkward parts included.

Every builder returns the bytes a person would upload. Names, ids and dates are
invented; the column layouts, JSON shapes and quirks (100 ns epochs, offsets
without a colon, repeated headers, group and footer rows, newest-first logs,
repeated Jira column names) are the real ones.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import xlsxwriter


def _ticks(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    """monday.com's created_at: Unix time in units of 100 ns, as a 17-digit string."""
    seconds = int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())
    return str(seconds * 10_000_000)


def _status_change(
    item: int, name: str, title: str, new: str | None, old: str | None
) -> dict[str, Any]:
    return {
        "board_id": 1234567890,
        "group_id": "topics",
        "is_top_group": True,
        "pulse_id": item,
        "pulse_name": name,
        "column_id": title.lower(),
        "column_title": title,
        "column_type": "color" if title == "Status" else "multiple-person",
        "value": None
        if new is None
        else {"label": {"index": 1, "text": new, "style": {}}, "post_id": None},
        "previous_value": None if old is None else {"label": {"index": 0, "text": old}},
    }


def monday_api_logs() -> list[dict[str, Any]]:
    """Activity-log entries, oldest first (the API returns them newest first)."""
    spring, webinar = 18000000101, 18000000105
    entries = [
        (
            "create_pulse",
            "pulse",
            _ticks(2025, 7, 3, 16),
            {
                "board_id": 1234567890,
                "group_id": "topics",
                "pulse_id": spring,
                "pulse_name": "Spring newsletter",
            },
        ),
        (
            "update_column_value",
            "pulse",
            _ticks(2025, 7, 3, 17),
            _status_change(spring, "Spring newsletter", "Status", "Working on it", None),
        ),
        (
            "update_column_value",
            "pulse",
            _ticks(2025, 7, 5, 10, 12),
            _status_change(spring, "Spring newsletter", "Status", "Stuck", "Working on it"),
        ),
        (
            "move_pulse_to_group",
            "pulse",
            _ticks(2025, 7, 7, 9, 30),
            {
                "pulse_id": spring,
                "pulse_name": "Spring newsletter",
                "source_group": {"id": "topics", "title": "Q3 Campaigns"},
                "dest_group": {"id": "new_group", "title": "Q4 Campaigns"},
            },
        ),
        (
            "update_column_value",
            "pulse",
            _ticks(2025, 7, 7, 12),
            _status_change(spring, "Spring newsletter", "Status", "Working on it", "Stuck"),
        ),
        (
            "update_column_value",
            "pulse",
            _ticks(2025, 7, 8, 9),
            _status_change(spring, "Spring newsletter", "Person", "Tom Berg", None),
        ),
        (
            "update_column_value",
            "pulse",
            _ticks(2025, 7, 8, 17, 45),
            _status_change(spring, "Spring newsletter", "Status", "Done", "Working on it"),
        ),
        (
            "create_column",
            "board",
            _ticks(2025, 7, 8, 18),
            {"board_id": 1234567890, "column_title": "Budget"},
        ),
        (
            "create_pulse",
            "pulse",
            _ticks(2025, 7, 9, 8),
            {
                "board_id": 1234567890,
                "group_id": "topics",
                "pulse_id": webinar,
                "pulse_name": "Webinar invite",
            },
        ),
        (
            "update_column_value",
            "pulse",
            _ticks(2025, 7, 9, 9),
            _status_change(webinar, "Webinar invite", "Status", "Working on it", None),
        ),
        (
            "update_column_value",
            "pulse",
            _ticks(2025, 7, 10, 9),
            _status_change(
                webinar, "Webinar invite", "Status", "Waiting for approval", "Working on it"
            ),
        ),
        (
            "archive_pulse",
            "pulse",
            _ticks(2025, 7, 20, 8),
            {"pulse_id": spring, "pulse_name": "Spring newsletter"},
        ),
    ]
    return [
        {
            "id": f"5f1c0000-0000-0000-0000-{i:012d}",
            "event": event,
            "entity": entity,
            "user_id": 41000001 + i % 2,
            "account_id": 9000001,
            "created_at": created,
            "data": json.dumps(data),
        }
        for i, (event, entity, created, data) in enumerate(entries, 1)
    ]


def monday_activity_json() -> bytes:
    """The GraphQL answer: boards → activity_logs, newest first, data as JSON strings."""
    logs = list(reversed(monday_api_logs()))
    return json.dumps(
        {"data": {"boards": [{"id": "1234567890", "activity_logs": logs}]}, "account_id": 9000001},
        indent=1,
    ).encode()


def monday_activity_api_csv() -> bytes:
    """The same entries as a CSV with the API's column names (data is quoted JSON)."""
    out = io.StringIO()
    import csv

    writer = csv.writer(out)
    writer.writerow(["id", "event", "entity", "user_id", "account_id", "created_at", "data"])
    for e in reversed(monday_api_logs()):
        writer.writerow(
            [
                e["id"],
                e["event"],
                e["entity"],
                e["user_id"],
                e["account_id"],
                e["created_at"],
                e["data"],
            ]
        )
    return out.getvalue().encode()


MONDAY_UI_ROWS = [
    ("2025-07-03 16:00", "Ana Ruiz", "Spring newsletter", "Status", "", "Working on it"),
    ("2025-07-05 10:12", "Tom Berg", "Spring newsletter", "Status", "Working on it", "Stuck"),
    ("2025-07-07 09:30", "Tom Berg", "Spring newsletter", "Group", "Q3 Campaigns", "Q4 Campaigns"),
    ("2025-07-08 17:45", "Ana Ruiz", "Spring newsletter", "Status", "Stuck", "Done"),
    ("2025-07-09 08:05", "Lee Chan", "Webinar invite", "Person", "", "Ana Ruiz"),
]
MONDAY_UI_HEADER = ("Date", "User", "Item", "Column", "Previous Value", "New Value")


def monday_activity_ui_csv() -> bytes:
    lines = [",".join(MONDAY_UI_HEADER)] + [",".join(r) for r in MONDAY_UI_ROWS]
    return ("\n".join(lines) + "\n").encode()


def monday_activity_ui_xlsx() -> bytes:
    """The UI export as Excel, with a title row above the header (tolerated)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Activity log")
    sheet.write(0, 0, "Marketing Pipeline - Activity Log")
    sheet.write_row(1, 0, MONDAY_UI_HEADER)
    for i, row in enumerate(MONDAY_UI_ROWS, start=2):
        sheet.write_row(i, 0, row)
    book.close()
    return buffer.getvalue()


def monday_board_xlsx() -> bytes:
    """'Export board to Excel': title, per-group title + header, subitems, footer rows."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet = book.add_worksheet("marketing pipeline")
    header = [
        "Name",
        "Subitems",
        "Person",
        "Status",
        "Brief",
        "Draft",
        "Published",
        "Due date",
        "Link",
        "Item ID (auto generated)",
    ]
    sub_header = [
        "Subitems",
        "Name",
        "Owner",
        "Due Date",
        "Status",
        "Files",
        "Item ID (auto generated)",
    ]

    def serial(d: date) -> int:
        return (d - date(1899, 12, 30)).days

    row = 0

    def put(values: list[Any]) -> None:
        nonlocal row
        for col, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_number(row, col, serial(value), dates)
            elif isinstance(value, int):
                sheet.write_number(row, col, value)
            elif value not in (None, ""):
                sheet.write_string(row, col, value)
        row += 1

    put(["Marketing Pipeline"])
    put(["Q3 Campaigns"])
    put(header)
    put(
        [
            "Spring newsletter",
            "Draft copy,Review",
            "Ana Ruiz, Tom Berg",
            "Working on it",
            date(2025, 7, 1),
            date(2025, 7, 3),
            None,
            date(2025, 7, 14),
            None,
            18000000101,
        ]
    )
    put(sub_header)
    put([None, "Draft copy", "Ana Ruiz", date(2025, 7, 8), "Done", None, 18000000102])
    put([None, "Review", "Tom Berg", date(2025, 7, 11), "Stuck", None, 18000000103])
    put(
        [
            "Landing page refresh",
            None,
            "Lee Chan",
            "Done",
            date(2025, 6, 20),
            date(2025, 6, 25),
            date(2025, 7, 2),
            date(2025, 7, 1),
            "https://example.com/lp",
            18000000104,
        ]
    )
    put(
        [
            "Webinar invite",
            None,
            "Ana Ruiz",
            None,
            None,
            None,
            None,
            date(2025, 7, 21),
            None,
            18000000105,
        ]
    )
    put([None, None, None, None, None, None, None, "2025-07-01 - 2025-07-21"])
    row += 1
    put(["Q4 Campaigns"])
    put(header)
    put(
        [
            "Holiday promo",
            None,
            "Lee Chan",
            "Done",
            date(2025, 10, 1),
            date(2025, 10, 20),
            date(2025, 10, 30),
            date(2025, 10, 31),
            None,
            18000000201,
        ]
    )
    put([None, None, None, None, "2025-10-01 - 2025-10-01"])
    book.add_worksheet("marketing pipeline-updates").write_row(
        0, 0, ["Marketing Pipeline", "Updates"]
    )
    book.close()
    return buffer.getvalue()


def _history(
    hid: int, created: str, author: str, *items: tuple[str, str | None, str | None]
) -> dict[str, Any]:
    return {
        "id": str(hid),
        "author": {"displayName": author, "timeZone": "Europe/Amsterdam"},
        "created": created,
        "items": [
            {
                "field": f,
                "fieldtype": "jira",
                "from": None,
                "fromString": a,
                "to": None,
                "toString": b,
            }
            for f, a, b in items
        ],
    }


def jira_changelog_json() -> bytes:
    """A search answer with expand=changelog; offsets without a colon (-0600, +0200)."""
    pay101 = {
        "key": "PAY-101",
        "id": "10101",
        "fields": {
            "created": "2025-06-03T09:05:00.000+0200",
            "status": {"name": "Closed"},
            "creator": {"displayName": "Tom Berg"},
        },
        "changelog": {
            "startAt": 0,
            "maxResults": 100,
            "total": 6,
            "histories": [
                _history(
                    348250, "2025-06-13T09:00:00.000+0200", "Lee Chan", ("status", "Done", "Closed")
                ),
                _history(
                    348200,
                    "2025-06-12T16:30:00.000+0200",
                    "Lee Chan",
                    ("status", "In Review", "Done"),
                    ("resolution", None, "Done"),
                ),
                _history(
                    348133,
                    "2025-06-11T15:45:10.500+0200",
                    "Ana Ruiz",
                    ("status", "In Progress", "In Review"),
                ),
                _history(
                    348010,
                    "2025-06-10T11:00:41.005+0200",
                    "Lee Chan",
                    ("status", "In Review", "In Progress"),
                ),
                _history(
                    347950,
                    "2025-06-09T16:10:02.120+0200",
                    "Ana Ruiz",
                    ("status", "In Progress", "In Review"),
                    ("assignee", "Ana Ruiz", "Lee Chan"),
                ),
                _history(
                    347806,
                    "2025-06-04T10:24:59.366+0200",
                    "Ana Ruiz",
                    ("status", "To Do", "In Progress"),
                ),
            ],
        },
    }
    pay102 = {
        "key": "PAY-102",
        "id": "10102",
        "fields": {
            "created": "2025-06-04T10:00:00.000-0600",
            "status": {"name": "In Progress"},
            "creator": {"displayName": "Tom Berg"},
        },
        "changelog": {
            "histories": [
                _history(
                    348300,
                    "2025-06-05T08:00:00.000-0600",
                    "Lee Chan",
                    ("status", "To Do", "In Progress"),
                ),
            ]
        },
    }
    pay103 = {
        "key": "PAY-103",
        "id": "10103",
        "fields": {"created": "2025-06-05T14:15:00.000+0200", "status": {"name": "To Do"}},
        "changelog": {"histories": []},
    }
    return json.dumps(
        {
            "expand": "schema,names",
            "startAt": 0,
            "maxResults": 50,
            "total": 3,
            "issues": [pay101, pay102, pay103],
        }
    ).encode()


JIRA_STATUS_HISTORY_CSV = b"""issue_key,changelog_id,created,author,field,from_status,to_status
PAY-101,347801,2025-06-03T09:05:00.000+0200,Tom Berg,status,,To Do
PAY-101,347806,2025-06-04T10:24:59.366+0200,Ana Ruiz,status,To Do,In Progress
PAY-101,347950,2025-06-09T16:10:02.120+0200,Ana Ruiz,status,In Progress,In Review
PAY-101,348010,2025-06-10T11:00:41.005+0200,Lee Chan,status,In Review,In Progress
PAY-101,348133,2025-06-11T15:45:10.500+0200,Ana Ruiz,status,In Progress,In Review
PAY-101,348200,2025-06-12T16:30:00.000+0200,Lee Chan,status,In Review,Done
"""

JIRA_ISSUE_HISTORY_CSV = (
    b"issue_id,changelog_id,author_id,author_key,created_date,field,field_type,from,from_string,to,to_string\r\n"
    b"10101,10456,10000,JIRAUSER10000,2025-06-04T08:24:00Z,status,jira,10000,To Do,3,In Progress\r\n"
    b"10101,10460,10000,JIRAUSER10000,2025-06-09T14:10:00Z,status,jira,3,In Progress,10100,In Review\r\n"
    b"10101,10461,10002,JIRAUSER10002,2025-06-09T14:11:00Z,assignee,jira,JIRAUSER10000,Ana Ruiz,JIRAUSER10002,Lee Chan\r\n"
    b"10101,10470,10002,JIRAUSER10002,2025-06-12T14:30:00Z,status,jira,10100,In Review,10001,Done\r\n"
    b"10101,10470,10002,JIRAUSER10002,2025-06-12T14:30:00Z,resolution,jira,,,10000,Done\r\n"
)

# Repeated column names (Labels, Labels) and one row with a cell beyond the header.
JIRA_ISSUES_CSV = b"""Summary,Issue key,Issue id,Issue Type,Status,Priority,Assignee,Reporter,Created,Updated,Resolved,Labels,Labels,Sprint,Custom field (Story Points),Status Category
Fix payment retry,PAY-101,10101,Bug,Done,High,Ana Ruiz,Tom Berg,03/Jun/25 9:05 AM,12/Jun/25 4:30 PM,12/Jun/25 4:30 PM,backend,payments,PAY Sprint 7,3,Done
Add refund API,PAY-102,10102,Story,In Review,Medium,Lee Chan,Tom Berg,04/Jun/25 10:00 AM,13/Jun/25 11:20 AM,,api,,PAY Sprint 7,5,In Progress
Update SDK docs,PAY-103,10103,Task,To Do,Low,,Ana Ruiz,05/Jun/25 2:15 PM,05/Jun/25 2:15 PM,,docs,,,1,To Do
Timeout on checkout,PAY-104,10104,Bug,In Progress,Highest,Ana Ruiz,Lee Chan,06/Jun/25 8:40 AM,09/Jun/25 5:02 PM,,backend,urgent,PAY Sprint 7,2,In Progress,extra
Refund sub-task,PAY-105,10105,Sub-task,Done,Medium,Lee Chan,Lee Chan,07/Jun/25 9:00 AM,10/Jun/25 3:00 PM,10/Jun/25 3:00 PM,,,,,Done
"""


def github_timeline_json() -> bytes:
    """Per-issue timelines with their issue objects; reviews carry submitted_at and state."""
    pr = {
        "number": 7,
        "title": "Add refund API",
        "created_at": "2025-06-02T09:00:00Z",
        "user": {"login": "ana"},
        "pull_request": {"url": "https://api.github.com/repos/o/r/pulls/7"},
    }
    issue = {
        "number": 8,
        "title": "Checkout times out",
        "created_at": "2025-06-01T08:00:00Z",
        "user": {"login": "tom"},
    }
    pr_events = [
        {
            "event": "committed",
            "sha": "abc",
            "author": {"name": "Ana", "date": "2025-06-02T08:50:00Z"},
        },
        {
            "id": 1,
            "event": "review_requested",
            "created_at": "2025-06-02T10:00:00Z",
            "actor": {"login": "ana"},
            "requested_reviewer": {"login": "lee"},
        },
        {
            "id": 2,
            "event": "reviewed",
            "submitted_at": "2025-06-03T09:00:00Z",
            "user": {"login": "lee"},
            "state": "changes_requested",
            "pull_request_url": "https://api.github.com/repos/o/r/pulls/7",
        },
        {
            "id": 3,
            "event": "review_requested",
            "created_at": "2025-06-04T09:00:00Z",
            "actor": {"login": "ana"},
        },
        {
            "id": 4,
            "event": "reviewed",
            "submitted_at": "2025-06-04T15:00:00Z",
            "user": {"login": "lee"},
            "state": "approved",
        },
        {
            "id": 5,
            "event": "merged",
            "created_at": "2025-06-05T10:00:00Z",
            "actor": {"login": "lee"},
        },
        {
            "id": 6,
            "event": "closed",
            "created_at": "2025-06-05T10:00:00Z",
            "actor": {"login": "lee"},
        },
        {
            "id": 7,
            "event": "head_ref_deleted",
            "created_at": "2025-06-05T10:00:01Z",
            "actor": {"login": "lee"},
        },
    ]
    issue_events = [
        {
            "id": 11,
            "event": "labeled",
            "created_at": "2025-06-02T08:00:00Z",
            "actor": {"login": "tom"},
            "label": {"name": "status: in progress", "color": "fbca04"},
        },
        {
            "id": 12,
            "event": "labeled",
            "created_at": "2025-06-02T08:00:05Z",
            "actor": {"login": "tom"},
            "label": {"name": "bug", "color": "d73a4a"},
        },
        {
            "id": 13,
            "event": "commented",
            "created_at": "2025-06-03T08:00:00Z",
            "actor": {"login": "ana"},
        },
    ]
    return json.dumps(
        [
            {"number": 7, "issue": pr, "timeline": pr_events},
            {"number": 8, "issue": issue, "timeline": issue_events},
        ]
    ).encode()


GITHUB_EVENTS_CSV = b"""issue,event_id,created_at,actor,event,label,state_after
123,9000001,2025-06-03T07:05:00Z,ana,labeled,status: todo,open
123,9000002,2025-06-04T08:24:00Z,ana,assigned,,open
123,9000003,2025-06-04T08:25:00Z,ana,labeled,status: in progress,open
123,9000004,2025-06-09T14:10:00Z,ana,review_requested,,open
123,9000005,2025-06-10T09:00:00Z,lee,reviewed,,open
123,9000006,2025-06-12T14:30:00Z,lee,merged,,closed
"""

# 2025-07-01T00:00:00Z is 0x68632500: a card id starting with it was created then.
TRELLO_OLD_CARD = "686325000000000000000b02"


def trello_board_json() -> bytes:
    """The board export: lists, cards, actions newest first; one card's creation is outside
    the actions window, one card has no actions at all, one action is a comment."""
    lists = [
        {"id": f"l{i}", "name": n} for i, n in enumerate(["Backlog", "Doing", "Review", "Done"])
    ]
    by_name = {entry["name"]: entry for entry in lists}
    card_a = {"id": "686325000000000000000a01", "name": "Spring newsletter"}
    card_b = {"id": TRELLO_OLD_CARD, "name": "Webinar invite"}
    card_c = {"id": "686325000000000000000c03", "name": "Old idea"}

    def move(
        aid: str, when: str, card: dict[str, Any], before: str, after: str, who: str
    ) -> dict[str, Any]:
        return {
            "id": aid,
            "idMemberCreator": who.lower(),
            "type": "updateCard",
            "date": when,
            "data": {
                "card": {**card, "idList": by_name[after]["id"]},
                "listBefore": {"id": by_name[before]["id"], "name": before},
                "listAfter": {"id": by_name[after]["id"], "name": after},
                "old": {"idList": by_name[before]["id"]},
            },
            "memberCreator": {"fullName": who, "username": who.lower()},
        }

    actions = [
        {
            "id": "a1",
            "idMemberCreator": "ana",
            "type": "createCard",
            "date": "2025-07-01T09:00:00.000Z",
            "data": {"card": card_a, "list": {"id": "l0", "name": "Backlog"}},
            "memberCreator": {"fullName": "Ana Ruiz", "username": "ana"},
        },
        move("a2", "2025-07-02T10:15:00.000Z", card_a, "Backlog", "Doing", "Ana Ruiz"),
        {
            "id": "a2b",
            "idMemberCreator": "tom",
            "type": "commentCard",
            "date": "2025-07-03T08:00:00.000Z",
            "data": {"card": card_a, "text": "looks good"},
            "memberCreator": {"fullName": "Tom Berg"},
        },
        move("a3", "2025-07-03T09:00:00.000Z", card_b, "Backlog", "Doing", "Tom Berg"),
        move("a4", "2025-07-05T16:40:00.000Z", card_a, "Doing", "Review", "Tom Berg"),
        move("a5", "2025-07-06T08:05:00.000Z", card_a, "Review", "Doing", "Tom Berg"),
        move("a6", "2025-07-08T12:30:00.000Z", card_a, "Doing", "Done", "Ana Ruiz"),
    ]
    return json.dumps(
        {
            "id": "b1",
            "name": "Marketing",
            "lists": lists,
            "cards": [card_a, card_b, card_c],
            "actions": list(reversed(actions)),
        }
    ).encode()


TRELLO_ACTIONS_CSV = b"""action_id,date,type,card_id,card_name,list_before,list_after,member
668001,2025-07-01T09:00:00.000Z,createCard,66c1,Spring newsletter,,Backlog,Ana Ruiz
668002,2025-07-02T10:15:00.000Z,updateCard,66c1,Spring newsletter,Backlog,Doing,Ana Ruiz
668003,2025-07-05T16:40:00.000Z,updateCard,66c1,Spring newsletter,Doing,Review,Tom Berg
668004,2025-07-06T08:05:00.000Z,updateCard,66c1,Spring newsletter,Review,Doing,Tom Berg
668005,2025-07-08T12:30:00.000Z,updateCard,66c1,Spring newsletter,Doing,Done,Ana Ruiz
"""

LINEAR_CSV = b"""ID,Team,Title,Status,Priority,Assignee,Labels,Created,Started,Completed,Canceled
ENG-41,Engineering,Fix payment retry,Done,Urgent,Ana Ruiz,bug,2025-06-03T07:05:00.000Z,2025-06-04T08:24:00.000Z,2025-06-12T14:30:00.000Z,
ENG-42,Engineering,Add refund API,In Review,High,Lee Chan,feature,2025-06-04T08:00:00.000Z,2025-06-05T09:00:00.000Z,,
ENG-43,Engineering,Update SDK docs,Todo,Low,,docs,2025-06-05T12:15:00.000Z,,,
ENG-44,Engineering,Old spike,Canceled,No priority,Tom Berg,,2025-05-20T10:00:00.000Z,,,2025-06-01T10:00:00.000Z
ENG-45,Engineering,Timeout on checkout,In Progress,Urgent,Ana Ruiz,bug,2025-06-06T06:40:00.000Z,2025-06-06T07:00:00.000Z,,
"""

ASANA_CSV = b"""Task ID,Created At,Completed At,Last Modified,Name,Section/Column,Assignee,Start Date,Due Date,Tags,Notes,Projects,Parent Task,Priority,Status
1200000000000001,2025-07-01,2025-07-08,2025-07-08,Spring newsletter,Done,Ana Ruiz,2025-07-02,2025-07-09,email,,Marketing,,High,On track
1200000000000002,2025-07-01,,2025-07-06,Landing page refresh,In progress,Lee Chan,,2025-07-15,web,Needs copy,Marketing,,Medium,At risk
1200000000000003,2025-07-02,,2025-07-02,Draft copy,To do,Ana Ruiz,,2025-07-05,,,Marketing,Spring newsletter,,
1200000000000004,2025-07-03,2025-07-04,2025-07-04,Book speaker,Done,Tom Berg,,2025-07-04,events,,Marketing,,Low,On track
1200000000000005,2025-07-04,,2025-07-07,Webinar invite,Backlog,,,,events,,Marketing,,,
"""

MILESTONES_CSV = b"""Order,Customer,Received,Quoted,Approved,Shipped,Due date
PO-1,Acme,2025-03-03,2025-03-05,2025-03-10,2025-03-20,2025-03-31
PO-2,Bolt,2025-03-04,2025-03-04,,,2025-04-15
PO-3,Core,2025-03-05,2025-03-12,2025-03-11,2025-03-25,2025-03-30
PO-4,Dyne,,,,,2025-04-30
PO-5,Echo,2025-03-06,soon,2025-03-14,2025-03-28,2025-04-01
"""

STATUS_HISTORY_CSV = b"""Ticket,Changed at,From,To,Changed by
T-1,2025-06-02 09:00,,To Do,Maya
T-1,2025-06-02 13:00,To Do,In Progress,Sam
T-1,2025-06-03 11:00,In Progress,Blocked,Sam
T-1,2025-06-04 09:00,Blocked,In Progress,Sam
T-1,2025-06-04 15:00,In Progress,Done,Sam
T-2,2025-06-02 10:00,,To Do,Maya
T-2,2025-06-05 10:00,To Do,In Progress,Lee
"""
