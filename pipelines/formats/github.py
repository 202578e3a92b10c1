"""GitHub pull requests and issues: timeline / issue-events JSON, or a flattened CSV.

Layout in ../shared/EXPORT_FORMATS.md (c4). Events become statuses so a team sees
its pull-request stream from "PR submitted" to "Merged", with the review waits:

=====================  ===================  ========
event                  status entered       kind
=====================  ===================  ========
opened, reopened,      PR submitted         waiting (for a pull request)
ready_for_review       Open                 waiting (for an issue)
convert_to_draft       Draft                work
review_requested       Review requested     waiting
reviewed (approved),   Approved             waiting (for the merge)
approved
reviewed (changes      Changes requested    work
requested)
reviewed (other)       Reviewed             work
labeled "status: X"    X                    by name (status/state/stage/workflow prefixes)
merged                 Merged               done
closed                 Closed               done (ignored right after Merged)
=====================  ===================  ========

Other events (assigned, commented, committed, referenced, ...) do not change status.
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
    table_from_records,
)
from pipelines.formats.status_history import StatusColumns, convert_status_table

KINDS = {
    "PR submitted": "waiting",
    "Open": "waiting",
    "Draft": "work",
    "Review requested": "waiting",
    "Approved": "waiting",
    "Changes requested": "work",
    "Reviewed": "work",
    "Merged": "done",
    "Closed": "done",
}
_PR_EVENTS = {
    "review_requested",
    "reviewed",
    "merged",
    "ready_for_review",
    "convert_to_draft",
    "approved",
    "review_request_removed",
    "head_ref_deleted",
}
_STATUS_LABEL = re.compile(r"(?i)^\s*(status|state|stage|workflow|column)\s*[:/]\s*(.+?)\s*$")
_NUMBER_IN_URL = re.compile(r"/(?:issues|pulls)/(\d+)(?:$|[/?#])")


def _login(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("login") or value.get("name")
    return None if value is None else str(value)


def _number(event: dict[str, Any], default: str | None) -> str | None:
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("number") is not None:
        return str(issue["number"])
    for name in ("issue_url", "pull_request_url", "html_url", "source_url"):
        found = _NUMBER_IN_URL.search(str(event.get(name) or ""))
        if found:
            return found.group(1)
    return default


def _events(
    doc: Any, default: str
) -> list[tuple[str | None, dict[str, Any], dict[str, Any]]] | None:
    """(case, event, issue) triples from the shapes the API and scripts produce."""

    def is_event(e: Any) -> bool:
        return (
            isinstance(e, dict)
            and "event" in e
            and ("created_at" in e or "submitted_at" in e or "actor" in e)
        )

    out: list[tuple[str | None, dict[str, Any], dict[str, Any]]] = []
    if isinstance(doc, list) and doc and all(is_event(e) for e in doc[:50]):
        for e in doc:
            issue = e.get("issue") if isinstance(e.get("issue"), dict) else {}
            out.append((_number(e, default), e, issue))
        return out
    groups: list[tuple[str | None, Any, dict[str, Any]]] = []
    if isinstance(doc, dict) and doc and all(isinstance(v, list) for v in doc.values()):
        groups = [(str(k), v, {}) for k, v in doc.items()]
    elif isinstance(doc, list) and doc and all(isinstance(e, dict) for e in doc):
        for entry in doc:
            timeline = entry.get("timeline") or entry.get("events")
            issue = entry.get("issue") if isinstance(entry.get("issue"), dict) else entry
            number = entry.get("number") or (issue or {}).get("number")
            if isinstance(timeline, list):
                groups.append((None if number is None else str(number), timeline, issue or {}))
    for number, timeline, issue in groups:
        events = [e for e in timeline if isinstance(e, dict) and "event" in e]
        if not any(is_event(e) for e in events[:50]):
            return None
        out.extend((number or _number(e, default), e, issue) for e in events)
    return out or None


def _status(event: str, state: str | None, label: str | None, is_pr: bool) -> str | None:
    if event in ("opened", "reopened", "ready_for_review"):
        return "PR submitted" if is_pr else "Open"
    if event == "convert_to_draft":
        return "Draft"
    if event == "review_requested":
        return "Review requested"
    if event == "approved":
        return "Approved"
    if event == "reviewed":
        state = (state or "").lower()
        return {"approved": "Approved", "changes_requested": "Changes requested"}.get(
            state, "Reviewed"
        )
    if event == "merged":
        return "Merged"
    if event == "closed":
        return "Closed"
    if event == "labeled" and label:
        found = _STATUS_LABEL.match(label)
        return found.group(2) if found else None
    return None


def _records(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Rows (case, time, event, actor, label, state, is_pr, created_at) → status changes."""
    pr_cases = {r["case"] for r in rows if r["event"] in _PR_EVENTS or r.get("is_pr")}
    records: list[dict[str, Any]] = []
    ignored = 0
    opened = {r["case"] for r in rows if r["event"] == "opened"}
    for r in rows:
        if r.get("created_at") and r["case"] not in opened:
            opened.add(r["case"])
            records.append(
                {
                    "case": r["case"],
                    "time": r["created_at"],
                    "event": "opened",
                    "status": "PR submitted" if r["case"] in pr_cases else "Open",
                    "actor": r.get("author"),
                    "label": None,
                    "event_id": None,
                }
            )
    for r in rows:
        status = _status(r["event"], r.get("state"), r.get("label"), r["case"] in pr_cases)
        if status is None:
            ignored += 1
            continue
        records.append(
            {
                "case": r["case"],
                "time": r["time"],
                "event": r["event"],
                "status": status,
                "actor": r.get("actor"),
                "label": r.get("label"),
                "event_id": r.get("event_id"),
            }
        )
    for position, record in enumerate(records, start=1):
        record["type"] = "pull request" if record["case"] in pr_cases else "issue"
        record["__order"] = position
    return records, ignored


def _json_rows(source: Source) -> list[dict[str, Any]] | None:
    stem = source.file_name.rsplit(".", 1)[0]
    default = re.sub(r"\D", "", stem) or stem
    triples = _events(source.json(), default)
    if triples is None:
        return None
    rows = []
    for case, event, issue in triples:
        label = event.get("label")
        rows.append(
            {
                "case": case,
                "event": str(event.get("event")),
                "time": event.get("created_at") or event.get("submitted_at"),
                "actor": _login(event.get("actor") or event.get("user") or event.get("author")),
                "label": label.get("name") if isinstance(label, dict) else label,
                "state": event.get("state"),
                "event_id": event.get("id"),
                "is_pr": bool(issue.get("pull_request")),
                "created_at": issue.get("created_at"),
                "author": _login(issue.get("user")),
            }
        )
    return rows


def _csv_columns(source: Source) -> dict[str, str | None] | None:
    columns = source.columns()
    if source.has_columns("data"):
        return None
    found = {
        "case": column_named(columns, "issue", "number", "pr", "pull_request", "issue_number"),
        "time": column_named(columns, "created_at", "time", "date", "submitted_at"),
        "event": column_named(columns, "event", "event_type"),
        "actor": column_named(columns, "actor", "user", "login"),
        "label": column_named(columns, "label", "label_name"),
        "state": column_named(columns, "review_state", "state"),
        "event_id": column_named(columns, "event_id", "id"),
    }
    if not (found["case"] and found["time"] and found["event"]):
        return None
    return found


def _csv_rows(source: Source) -> list[dict[str, Any]]:
    found = _csv_columns(source)
    assert found is not None and source.raw is not None
    rows = []
    for row in source.raw.frame.iter_rows(named=True):
        rows.append({role: (row[column] if column else None) for role, column in found.items()})
        rows[-1]["event"] = str(rows[-1]["event"] or "").strip().lower()
        state = rows[-1]["state"]
        if state and str(state).lower() in ("open", "closed"):
            rows[-1]["state"] = None
    return rows


def _detect(source: Source) -> str | None:
    rows = _json_rows(source) if source.json() is not None else None
    if rows:
        prs = len({r["case"] for r in rows if r["event"] in _PR_EVENTS or r["is_pr"]})
        return f"{len(rows):,} timeline events of {len({r['case'] for r in rows})} issues/PRs ({prs} PRs)"
    found = _csv_columns(source) if source.raw is not None else None
    if source.raw is not None and found is not None and found["event"] is not None:
        events = source.raw.frame[found["event"]].cast(pl.String).str.to_lowercase()
        known = [
            "labeled",
            "opened",
            "merged",
            "closed",
            "review_requested",
            "reviewed",
            "assigned",
            "unlabeled",
            "commented",
            "reopened",
        ]
        share = events.is_in(known).mean()
        if isinstance(share, float) and share >= 0.3:
            return "one row per GitHub event (issue, created_at, event, label)"
    return None


def convert(source: Source, options: FormatOptions) -> Converted:
    rows = _json_rows(source) if source.json() is not None else None
    if rows is None:
        if source.raw is None or _csv_columns(source) is None:
            raise IngestError(f"{source.file_name} is not a GitHub timeline or events export.")
        rows = _csv_rows(source)
    records, ignored = _records(rows)
    if not records:
        raise IngestError(
            f"{source.file_name}: none of its GitHub events changes a status "
            "(opened, review requested, reviewed, merged, closed, status labels)."
        )
    table = table_from_records(
        records, "json" if source.json() is not None else "csv", {"layout": "GitHub timeline"}
    )
    converted = convert_status_table(
        source,
        FormatOptions(offering_name=options.offering_name),
        StatusColumns(case="case", time="time", status="status", resource="actor"),
        kinds=KINDS,
        table=table,
        order="__order",
    )
    converted.rows_read = len(rows)
    converted.used = FormatOptions(offering_name=options.offering_name)
    if ignored:
        converted.notes.insert(
            0,
            f"{ignored:,} events (assigned, commented, committed, other "
            "labels, ...) do not change a status.",
        )
    return converted
