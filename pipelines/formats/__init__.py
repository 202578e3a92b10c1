"""Tool exports (monday.com, Jira, GitHub, Trello, Linear, Asana, spreadsheets) as value streams.

Few teams have a tidy event log; they have a board. Each format here is recognised
from its headers or its JSON shape (:func:`detect_format`), named to the person
("Looks like a monday.com activity log"), can be chosen by hand, and converts to
the activity instances the warehouse stores, with default catalog kinds for its
statuses (docs/EVENT_MODEL.md). A file no format recognises goes to the generic
column mapping of an event log.

Detection order matters: specific layouts first (a Jira issue_history table is
also a status history), the generic status history and milestone sheet last.
"""

from __future__ import annotations

from pipelines.formats import github, jira, linear_asana, monday, status_history, trello, wide
from pipelines.formats.base import (
    Converted,
    Format,
    FormatGuess,
    FormatOptions,
    Source,
)
from pipelines.formats.status_history import STATUS_SUMMARY_SCHEMA, status_summary
from pipelines.formats.status_words import classify_status
from pipelines.readers import RawTable

__all__ = [
    "FORMATS",
    "GENERIC",
    "STATUS_SUMMARY_SCHEMA",
    "Converted",
    "Format",
    "FormatGuess",
    "FormatOptions",
    "Source",
    "classify_status",
    "convert",
    "detect_format",
    "is_json",
    "status_summary",
]

GENERIC = "generic"
"""The name of the fallback: an event log mapped column by column."""

_ALL = [
    Format(
        "monday-activity-log",
        "Monday.com activity log",
        "status history",
        "the activity log: the API's JSON (created_at in 100 ns units) or its Excel/CSV export",
        monday._detect_activity,
        monday.convert_activity,
        ("follow",),
        needs_table=False,
    ),
    Format(
        "monday-board",
        "Monday.com board export",
        "milestones",
        "'Export board to Excel' (.xlsx with title, group, header, footer and subitem rows)",
        monday._detect_board,
        monday.convert_board,
        ("milestones", "case_column", "subitems"),
        needs_table=False,
    ),
    Format(
        "jira-changelog",
        "Jira changelog (JSON)",
        "status history",
        "issues fetched with expand=changelog, or the paged /changelog answer",
        jira._detect_changelog,
        jira.convert_changelog,
        ("follow",),
        needs_table=False,
    ),
    Format(
        "jira-issue-history",
        "Jira Data Center issue_history",
        "status history",
        "the data-pipeline issue_history CSV (issue_id, field, from_string, to_string)",
        jira._detect_issue_history,
        jira.convert_issue_history,
        ("follow",),
    ),
    Format(
        "jira-status-history",
        "Jira status history (CSV)",
        "status history",
        "a flattened changelog: issue key, created, author, field, from and to status",
        jira._detect_history,
        jira.convert_history,
        ("follow",),
    ),
    Format(
        "jira-issues",
        "Jira issue export (CSV)",
        "milestones",
        "'Export Excel CSV': Created and Resolved dates only, repeated column names",
        jira._detect_issue_csv,
        jira.convert_issue_csv,
        ("milestones", "case_column"),
    ),
    Format(
        "github",
        "GitHub pull requests and issues",
        "status history",
        "the timeline or issue-events JSON, or one row per event",
        github._detect,
        github.convert,
        (),
        needs_table=False,
    ),
    Format(
        "trello",
        "Trello board",
        "status history",
        "the board JSON export (list moves), or its actions as CSV",
        trello._detect,
        trello.convert,
        (),
        needs_table=False,
    ),
    Format(
        "linear",
        "Linear issue export (CSV)",
        "status history",
        "Created, Started, Completed and Canceled dates per issue",
        linear_asana._detect_linear,
        linear_asana.convert_linear,
        (),
    ),
    Format(
        "asana",
        "Asana project export (CSV)",
        "milestones",
        "Created At and Completed At per task",
        linear_asana._detect_asana,
        linear_asana.convert_asana,
        ("milestones", "case_column"),
    ),
    Format(
        "status-history",
        "Status history",
        "status history",
        "one row per status change: item, time, new status (previous status, user optional)",
        status_history._detect,
        status_history.convert,
        ("status_columns", "follow"),
    ),
    Format(
        "milestones",
        "Milestone spreadsheet",
        "milestones",
        "one row per case and one date column per step",
        wide._detect,
        wide.convert,
        ("milestones", "case_column"),
    ),
]

FORMATS: dict[str, Format] = {f.name: f for f in _ALL}
"""Every tool format by name, in detection order."""


def is_json(data: bytes) -> bool:
    """Whether the bytes are a JSON document (tool exports), not a table."""
    return Source(data, "").json() is not None


def detect_format(data: bytes, file_name: str, raw: RawTable | None) -> FormatGuess | None:
    """The tool format the file looks like, with the reason, or None (a plain event log).

    ``raw`` is the file read as a table (None for JSON or an unreadable table).
    A detector that trips over a malformed file counts as "not this format".
    """
    source = Source(data, file_name, raw)
    for fmt in _ALL:
        if fmt.needs_table and raw is None:
            continue
        try:
            reason = fmt.detect(source)
        except Exception:
            reason = None
        if reason:
            return FormatGuess(fmt.name, fmt.label, reason)
    return None


def convert(
    name: str,
    data: bytes,
    file_name: str,
    raw: RawTable | None,
    *,
    options: FormatOptions | None = None,
    timezone: str = "UTC",
    day_first: bool | None = None,
) -> Converted:
    """Convert a file with the named format (see FORMATS)."""
    fmt = FORMATS[name]
    source = Source(data, file_name, raw, timezone=timezone, day_first=day_first)
    return fmt.convert(source, options or FormatOptions())
