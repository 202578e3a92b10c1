"""Jira: the changelog JSON, status-history CSVs and the plain issue CSV.

Layouts in ../shared/EXPORT_FORMATS.md (b1–b3). The changelog (REST
``expand=changelog``, or the paged ``/changelog`` answer), a flattened status
history and the Data Center ``issue_history`` table are status histories; the
plain issue CSV has only Created and Resolved, so those two dates are the steps.
Jira does not log an issue's first status: it starts at ``created`` when the file
says when that was, else its start is unknown.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from pipelines.formats.base import (
    Converted,
    FormatOptions,
    IngestError,
    Source,
    column_named,
    key,
    table_from_records,
)
from pipelines.formats.status_history import StatusColumns, convert_status_table
from pipelines.formats.wide import convert_wide, date_columns

_ISSUE_IN_URL = re.compile(r"/issue/([^/?#]+)/changelog")


def _issues(doc: Any) -> list[dict[str, Any]] | None:
    """Issues with a changelog: a search answer, one issue, a list, or a paged changelog."""
    if isinstance(doc, list):
        issues = [d for d in doc if isinstance(d, dict) and "changelog" in d]
        return issues or None
    if not isinstance(doc, dict):
        return None
    if isinstance(doc.get("issues"), list):
        return _issues(doc["issues"])
    if isinstance(doc.get("changelog"), dict):
        return [doc]
    histories = doc.get("values") if isinstance(doc.get("values"), list) else doc.get("histories")
    if (
        isinstance(histories, list)
        and histories
        and isinstance(histories[0], dict)
        and "items" in histories[0]
        and "created" in histories[0]
    ):
        found = _ISSUE_IN_URL.search(str(doc.get("self") or ""))
        return [{"key": found.group(1) if found else None, "changelog": {"histories": histories}}]
    return None


def _person(value: Any) -> str | None:
    if isinstance(value, dict):
        for name in ("displayName", "name", "emailAddress", "accountId", "key"):
            if value.get(name):
                return str(value[name])
        return None
    return None if value is None else str(value)


def _id_order(value: Any) -> tuple[int, str]:
    text = str(value or "")
    return (int(text), text) if text.isdigit() else (0, text)


def _changelog_records(
    issues: list[dict[str, Any]], follow: str, default_case: str
) -> tuple[list[dict[str, Any]], list[str]]:
    fields_seen: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    for issue in issues:
        given = issue.get("fields")
        fields: dict[str, Any] = given if isinstance(given, dict) else {}
        case = str(issue.get("key") or issue.get("id") or default_case)
        changes = []
        histories = (issue.get("changelog") or {}).get("histories") or []
        for history in sorted(
            histories, key=lambda h: (str(h.get("created") or ""), _id_order(h.get("id")))
        ):
            for item in history.get("items") or []:
                name = str(item.get("field") or item.get("fieldId") or "")
                fields_seen[name] = fields_seen.get(name, 0) + 1
                if key(name) != key(follow):
                    continue
                changes.append(
                    {
                        "issue": case,
                        "time": history.get("created"),
                        "status": item.get("toString") or item.get("to"),
                        "previous": item.get("fromString") or item.get("from"),
                        "author": _person(history.get("author")),
                        "changelog_id": history.get("id"),
                        "field": name,
                    }
                )
        current = fields.get(follow) if key(follow) != "status" else fields.get("status")
        first = (
            changes[0]["previous"]
            if changes
            else (_person(current) if isinstance(current, dict) else current)
        )
        if fields.get("created") and first:
            records.append(
                {
                    "issue": case,
                    "time": fields["created"],
                    "status": first,
                    "previous": None,
                    "author": _person(fields.get("creator") or fields.get("reporter")),
                    "changelog_id": None,
                    "field": "(created)",
                }
            )
        records.extend(changes)
    choices = sorted(fields_seen, key=lambda f: -fields_seen[f])
    return records, choices


def _detect_changelog(source: Source) -> str | None:
    issues = _issues(source.json())
    if not issues:
        return None
    n = sum(len((i.get("changelog") or {}).get("histories") or []) for i in issues)
    return f"{len(issues):,} issues with a changelog ({n:,} histories)"


def convert_changelog(source: Source, options: FormatOptions) -> Converted:
    issues = _issues(source.json())
    if not issues:
        raise IngestError(f"{source.file_name} is not a Jira changelog (expand=changelog) JSON.")
    follow = options.follow or "status"
    stem = source.file_name.rsplit(".", 1)[0]
    records, choices = _changelog_records(issues, follow, stem)
    if not records:
        raise IngestError(
            f"{source.file_name}: no issue's changelog changes {follow!r}. "
            f"Fields it changes: {', '.join(choices) or 'none'}."
        )
    for position, record in enumerate(records, start=1):
        record["__order"] = position
    table = table_from_records(records, "json", {"layout": "Jira changelog", "following": follow})
    converted = convert_status_table(
        source,
        FormatOptions(offering_name=options.offering_name),
        StatusColumns(
            case="issue", time="time", status="status", previous="previous", resource="author"
        ),
        table=table,
        order="__order",
    )
    converted.choices["follow"] = choices
    converted.used = FormatOptions(follow=follow, offering_name=options.offering_name)
    return converted


def _history_columns(source: Source) -> StatusColumns | None:
    columns = source.columns()
    case = column_named(columns, "issue_key", "issue key", "key", "issue")
    time = column_named(columns, "created", "changed", "date", "timestamp", "created_date")
    status = column_named(columns, "to_status", "to status", "tostring", "to_string", "to")
    previous = column_named(
        columns, "from_status", "from status", "fromstring", "from_string", "from"
    )
    if not (case and time and status and previous):
        return None
    return StatusColumns(
        case=case,
        time=time,
        status=status,
        previous=previous,
        resource=column_named(columns, "author", "user", "author_key"),
        field=column_named(columns, "field", "field_name"),
    )


def _detect_history(source: Source) -> str | None:
    if source.has_columns("issue_id", "from_string", "to_string"):
        return None
    guessed = _history_columns(source)
    if guessed is None:
        return None
    return (
        f"a flattened Jira status history: issue {guessed.case!r}, {guessed.previous!r} → "
        f"{guessed.status!r}"
    )


def convert_history(source: Source, options: FormatOptions) -> Converted:
    guessed = _history_columns(source)
    if guessed is None:
        raise IngestError(f"{source.file_name} has no issue, time, from and to status columns.")
    return convert_status_table(source, options, guessed, follow_default="status")


def _detect_issue_history(source: Source) -> str | None:
    if source.has_columns("issue_id", "created_date", "field", "from_string", "to_string"):
        return "the Data Center data-pipeline issue_history table (issue_id, field, from/to_string)"
    return None


def convert_issue_history(source: Source, options: FormatOptions) -> Converted:
    columns = source.columns()
    guessed = StatusColumns(
        case=column_named(columns, "issue_id") or "issue_id",
        time=column_named(columns, "created_date") or "created_date",
        status=column_named(columns, "to_string") or "to_string",
        previous=column_named(columns, "from_string"),
        resource=column_named(columns, "author_key", "author_id"),
        field=column_named(columns, "field"),
    )
    order = column_named(columns, "changelog_id")
    if order is not None and source.raw is not None:
        numeric = source.raw.frame[order].cast(pl.Float64, strict=False)
        if numeric.null_count() > source.raw.frame[order].null_count():
            order = None
    return convert_status_table(source, options, guessed, follow_default="status", order=order)


def _detect_issue_csv(source: Source) -> str | None:
    if source.has_columns("Issue key", "Summary", "Created") and _history_columns(source) is None:
        repeated = [c for c in source.columns() if c.endswith(" (2)")]
        return (
            "a Jira issue export (Issue key, Summary, Created, Resolved"
            + (f"; repeated columns such as {repeated[0][:-4]!r}" if repeated else "")
            + ")"
        )
    return None


def convert_issue_csv(source: Source, options: FormatOptions) -> Converted:
    if source.raw is None:
        raise IngestError(f"{source.file_name} is not a table.")
    columns = source.columns()
    dates = date_columns(source.raw.frame)
    steps = [
        c
        for c in (column_named(columns, "Created"), column_named(columns, "Resolved"))
        if c and c in dates
    ]
    converted = convert_wide(
        source,
        options,
        case_default=column_named(columns, "Issue key", "Issue id"),
        resource_default=column_named(columns, "Assignee"),
        milestone_default=steps,
    )
    converted.notes.insert(
        0,
        "The issue CSV holds no status history: each issue's steps are "
        "its creation and resolution. Export the changelog to see the "
        "time spent in each status.",
    )
    return converted
