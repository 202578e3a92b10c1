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
A commit's time is its author's (or committer's) date; a timeline item with no time
at all (``line-commented``) is skipped and counted. An item starts when it was
opened: the ``opened`` event, the issue object's ``created_at``, else (a bare
timeline, which never holds the opening) its first event other than a commit. Once
merged or closed, only ``reopened`` changes its status: a review or a label on a
closed pull request does not reopen it. Older API answers give plain issues a
``pull_request`` object with null URLs: those are issues.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
from pipelines.formats.status_history import StatusColumns, convert_status_table, plural

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
    "head_ref_force_pushed",
    "committed",
}
# The issue-event and timeline types of GitHub's REST API (docs: "Issue event types"),
# plus "opened" and "approved", which scripts that flatten a timeline write.
GITHUB_EVENTS = {
    "added_to_project",
    "assigned",
    "automatic_base_change_failed",
    "automatic_base_change_succeeded",
    "base_ref_changed",
    "closed",
    "commented",
    "committed",
    "commit-commented",
    "connected",
    "convert_to_draft",
    "converted_note_to_issue",
    "converted_to_discussion",
    "cross-referenced",
    "demilestoned",
    "deployed",
    "deployment_environment_changed",
    "disconnected",
    "head_ref_deleted",
    "head_ref_restored",
    "head_ref_force_pushed",
    "labeled",
    "line-commented",
    "locked",
    "mentioned",
    "marked_as_duplicate",
    "merged",
    "milestoned",
    "moved_columns_in_project",
    "pinned",
    "ready_for_review",
    "referenced",
    "removed_from_project",
    "renamed",
    "reopened",
    "review_dismissed",
    "review_requested",
    "review_request_removed",
    "reviewed",
    "subscribed",
    "transferred",
    "unassigned",
    "unlabeled",
    "unlocked",
    "unmarked_as_duplicate",
    "unpinned",
    "unsubscribed",
    "user_blocked",
    "opened",
    "approved",
}
_DONE_EVENTS = {"merged", "closed"}
_STATUS_LABEL = re.compile(r"(?i)^\s*(status|state|stage|workflow|column)\s*[:/]\s*(.+?)\s*$")
_NUMBER_IN_URL = re.compile(r"/(?:issues|pulls)/(\d+)(?:$|[/?#])")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


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


def _event_time(event: dict[str, Any]) -> Any:
    """When the event happened: created_at, a review's submitted_at, a commit's dates."""
    for name in ("created_at", "submitted_at"):
        if event.get(name):
            return event[name]
    for name in ("author", "committer"):
        person = event.get(name)
        if isinstance(person, dict) and person.get("date"):
            return person["date"]
    return None


def _is_pull_request(issue: dict[str, Any]) -> bool:
    """Older API answers give every issue a ``pull_request`` object whose URLs are null;
    only one with a URL is a pull request."""
    found = issue.get("pull_request")
    if isinstance(found, dict):
        return any(v for v in found.values() if isinstance(v, str))
    return bool(found)


def _is_event(e: Any) -> bool:
    """A GitHub issue event or timeline item: a GitHub event name and a GitHub shape
    (an actor or user with a login, an ISO time, a commit's dates), never a 17-digit
    monday.com created_at."""
    if not isinstance(e, dict) or str(e.get("event")) not in GITHUB_EVENTS:
        return False
    created = str(e.get("created_at") or "")
    if created.isdigit():
        return False
    person = e.get("actor") or e.get("user")
    return bool(
        (isinstance(person, dict) and "login" in person)
        or _ISO.match(created)
        or _ISO.match(str(_event_time(e) or ""))
        or "sha" in e
        or "comments" in e
    )


def _events(
    doc: Any, default: str
) -> list[tuple[str | None, dict[str, Any], dict[str, Any]]] | None:
    """(case, event, issue) triples from the shapes the API and scripts produce, or None
    when most entries are not GitHub events."""

    def mostly_events(entries: list[Any]) -> bool:
        sample = [e for e in entries[:100] if isinstance(e, dict)]
        return bool(sample) and sum(_is_event(e) for e in sample) >= 0.8 * len(sample)

    out: list[tuple[str | None, dict[str, Any], dict[str, Any]]] = []
    if isinstance(doc, list) and doc and all(isinstance(e, dict) and "event" in e for e in doc):
        if not mostly_events(doc):
            return None
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
        if not mostly_events(events):
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


def _instant(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class _Counts:
    """What the conversion skipped or assumed, for the import notes."""

    ignored: int = 0
    no_time: list[str] = field(default_factory=list)
    after_done: int = 0
    first_seen: int = 0


def _records(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], _Counts]:
    """Rows (case, time, event, actor, label, state, is_pr, created_at, closed_at) → status
    changes.

    Each item starts in "PR submitted" or "Open" when it was opened (the ``opened`` event,
    else the issue's ``created_at``, else, for a bare timeline, its first event other
    than a commit, a pull request's commits can predate it, when that event does not set
    a status itself). Once merged or closed, only
    ``reopened`` changes its status again: a review or a label on a closed item does not
    reopen it. An issue object that says the item was closed adds that closing when the
    events do not hold it.
    """
    counts = _Counts()
    timed = []
    for position, r in enumerate(rows):
        if r["time"] is None:
            counts.no_time.append(r["event"])
            continue
        timed.append((_instant(r["time"]), position, r))
    pr_cases = {r["case"] for r in rows if r["event"] in _PR_EVENTS or r.get("is_pr")}
    by_case: dict[Any, list[dict[str, Any]]] = {}
    # File order where a time does not parse; API times are ISO 8601.
    for _, _, r in sorted(timed, key=lambda t: (t[0] is None, t[0] or datetime.min, t[1])):
        by_case.setdefault(r["case"], []).append(r)
    records: list[dict[str, Any]] = []
    for case, events in by_case.items():
        is_pr = case in pr_cases
        opened = next((r for r in events if r["event"] == "opened"), None)
        if opened is None:
            created = next((r for r in events if r.get("created_at")), None)
            first = next((r for r in events if r["event"] != "committed"), None)
            if first is not None and _status(
                first["event"], first.get("state"), first.get("label"), is_pr
            ):
                # The first event sets the status itself ("status: todo"): no opening to add.
                first = None
            start = (
                (created["created_at"], created.get("author"))
                if created
                else (first["time"], None)
                if first
                else None
            )
            if start is not None:
                counts.first_seen += created is None
                records.append(_record(case, start[0], "opened", is_pr, start[1]))
        closed = False
        for r in events:
            status = _status(r["event"], r.get("state"), r.get("label"), is_pr)
            if status is None:
                counts.ignored += 1
                continue
            if closed and r["event"] not in ("reopened", *_DONE_EVENTS):
                counts.after_done += 1
                continue
            closed = r["event"] in _DONE_EVENTS
            records.append(_record(case, r["time"], r["event"], is_pr, r.get("actor"), r, status))
        late = next((r for r in events if r.get("closed_at")), None)
        if late and not any(r["event"] in _DONE_EVENTS for r in events):
            records.append(_record(case, late["closed_at"], "closed", is_pr, None))
    for position, record in enumerate(records, start=1):
        record["__order"] = position
    return records, counts


def _record(
    case: Any,
    time: Any,
    event: str,
    is_pr: bool,
    actor: Any,
    row: dict[str, Any] | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    return {
        "case": case,
        "time": time,
        "event": event,
        "status": status or _status(event, None, None, is_pr),
        "actor": actor,
        "label": (row or {}).get("label"),
        "event_id": (row or {}).get("event_id"),
        "type": "pull request" if is_pr else "issue",
    }


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
                "time": _event_time(event),
                "actor": _login(event.get("actor") or event.get("user") or event.get("author")),
                "label": label.get("name") if isinstance(label, dict) else label,
                "state": event.get("state"),
                "event_id": event.get("id") or event.get("sha"),
                "is_pr": _is_pull_request(issue),
                "created_at": issue.get("created_at"),
                "closed_at": issue.get("closed_at") if issue.get("state") == "closed" else None,
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
        share = events.is_in(sorted(GITHUB_EVENTS)).mean()
        if isinstance(share, float) and share >= 0.5:
            return "one row per GitHub event (issue, created_at, event, label)"
    return None


def convert(source: Source, options: FormatOptions) -> Converted:
    rows = _json_rows(source) if source.json() is not None else None
    if rows is None:
        if source.raw is None or _csv_columns(source) is None:
            raise IngestError(f"{source.file_name} is not a GitHub timeline or events export.")
        rows = _csv_rows(source)
    records, counts = _records(rows)
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
    converted.notes[:0] = _notes(counts)
    return converted


def _notes(counts: _Counts) -> list[str]:
    notes = []
    if counts.ignored:
        notes.append(
            f"{plural(counts.ignored, 'event', 'events')} (assigned, commented, committed, "
            "other labels, ...) do not change a status."
        )
    if counts.no_time:
        kinds = sorted(set(counts.no_time))
        notes.append(
            f"{plural(len(counts.no_time), 'timeline item has', 'timeline items have')} no "
            f"time ({', '.join(repr(k) for k in kinds[:3])}): skipped."
        )
    if counts.after_done:
        notes.append(
            f"{plural(counts.after_done, 'event', 'events')} came after the item was merged "
            "or closed (reviews, labels): they do not reopen it; only 'reopened' does."
        )
    if counts.first_seen:
        notes.append(
            f"For {plural(counts.first_seen, 'item', 'items')} the export does not say when "
            "it was opened: its first status starts at its first recorded event."
        )
    return notes
