"""Which column of a raw table plays which role in the event model.

The event model (../shared/METRICS.md) needs a case id, an activity and an end time, and
can use a start time, a resource, a lifecycle transition, an activity-instance id and an
offering. Exports name these columns in many ways (XES keys, Disco, Celonis, bupaR, Jira,
...),
so :func:`detect_mapping` proposes a mapping from the names, checked against the data,
and the user confirms or corrects it in the UI.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

import polars as pl

from pipelines.readers import SOURCE_ROW
from pipelines.timestamps import is_timestamp_like

REQUIRED_ROLES = ("case", "activity", "end")


@dataclass
class Mapping:
    """Column of the raw frame for each role (``None`` = not in the file).

    ``offering_name`` is not a column but one offering name for the whole file.
    """

    case: str | None = None
    activity: str | None = None
    end: str | None = None
    start: str | None = None
    resource: str | None = None
    lifecycle: str | None = None
    instance: str | None = None
    offering_column: str | None = None
    offering_name: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        """Build from a stored dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: (None if v is None else str(v)) for k, v in data.items() if k in known})

    def missing_required(self) -> list[str]:
        """The required roles (case, activity, end) that have no column."""
        return [role for role in REQUIRED_ROLES if getattr(self, role) is None]


def _key(name: str) -> str:
    """Compare names ignoring case, spaces, underscores, hyphens and dots."""
    return re.sub(r"[\s_\-.]+", "", name.lower())


# Names per role, best first. A later name only wins when no earlier one is present.
# bupaR's event logs use case_id, activity_id, activity_instance_id, lifecycle_id,
# resource_id and timestamp, and its example logs their own words (patients: patient,
# handling, handling_id, registration_type, employee, time); Celonis' activity tables
# _CASE_KEY, ACTIVITY_EN (or _DE), EVENTTIME and USER_NAME.
_NAMES: dict[str, list[str]] = {
    "case": [
        "case:concept:name",
        "Case ID",
        "CaseID",
        "Case",
        "Case Number",
        "Case No",
        "Case Key",
        "Case Name",
        "Order ID",
        "Order",
        "Order Number",
        "Ticket",
        "Ticket ID",
        "Ticket Number",
        "Issue key",
        "Issue",
        "Issue id",
        "Item ID",
        "Item",
        "Item Name",
        "Process Instance",
        "Process Instance ID",
        "Trace",
        "Trace ID",
        "Application",
        "Application ID",
        "Request ID",
        "Incident ID",
        "Incident",
        "Patient",
        "Patient ID",
        "Key",
        "ID",
    ],
    "activity": [
        "concept:name",
        "Activity",
        "Activity name",
        "Activity ID",
        "ACTIVITY_EN",
        "ACTIVITY_DE",
        "Handling",
        "Activity type",
        "Step",
        "Step name",
        "Task",
        "Task name",
        "Event",
        "Event name",
        "Event type",
        "Action",
        "Operation",
        "Stage",
        "Phase",
        "to_string",
        "To Status",
        "New status",
        "New Value",
        "Status",
        "State",
    ],
    "end": [
        "time:timestamp",
        "Complete Timestamp",
        "Completion Timestamp",
        "End Timestamp",
        "Complete Time",
        "Completion Time",
        "End Time",
        "End Date",
        "Completed At",
        "Finished At",
        "Ended At",
        "Completed",
        "Finished",
        "End",
        "Completion date",
        "Timestamp",
        "Event Time",
        "Event Timestamp",
        "Time",
        "Datetime",
        "Date Time",
        "Date",
        "Changed At",
        "Created At",
        "Created",
        "created_date",
    ],
    "start": [
        "start_timestamp",
        "Start Timestamp",
        "Start Time",
        "Start Date",
        "Started At",
        "Started",
        "Start",
        "Begin",
        "Begin Time",
        "Begin Timestamp",
        "Begin Date",
    ],
    "resource": [
        "org:resource",
        "Resource",
        "Resource ID",
        "User",
        "User Name",
        "Assignee",
        "Owner",
        "Performer",
        "Agent",
        "Employee",
        "Person",
        "Worker",
        "Operator",
        "Actor",
        "Author",
        "Executor",
        "Handler",
        "org:role",
        "Role",
        "org:group",
        "Group",
        "Team",
    ],
    "lifecycle": [
        "lifecycle:transition",
        "Lifecycle",
        "Lifecycle Transition",
        "Lifecycle ID",
        "Registration Type",
        "Transition",
        "Event Type",
        "Lifecycle State",
    ],
    "instance": [
        "concept:instance",
        "Activity Instance",
        "Activity Instance ID",
        "Handling ID",
        "Instance",
        "Instance ID",
    ],
    "offering_column": [
        "Offering",
        "Value stream",
        "Valuestream",
        "Product line",
        "Service line",
        "Process",
        "Process name",
        "Business line",
    ],
}

# Loose patterns for names no list foresees ("Order Number (ERP)", "Ticket_created_ts").
_PATTERNS: dict[str, list[str]] = {
    "case": [r"^case", r"(order|ticket|issue|case)(id|key|number|no)"],
    "end": [r"(complet|finish|end|done|resolv|close).*(time|date|ts|at)$", r"(time|date)stamp"],
    "start": [r"(start|begin).*(time|date|ts|at)$"],
    "activity": [r"activit"],
    "resource": [r"resource|assignee|user"],
}

_TIME_ROLES = ("end", "start")


def _candidates(columns: list[str]) -> list[tuple[float, str, str]]:
    """(score, role, column) for every plausible pairing; higher scores are better."""
    out: list[tuple[float, str, str]] = []
    keys = {column: _key(column) for column in columns}
    for role, names in _NAMES.items():
        ranked = [_key(n) for n in names]
        for column, key in keys.items():
            if key in ranked:
                out.append((100.0 - ranked.index(key), role, column))
    for role, patterns in _PATTERNS.items():
        for column, key in keys.items():
            # Trace attributes (receipt.csv's case:startdate) describe the case, not an event.
            if key.startswith(("case:", "(case)")):
                continue
            if any(re.search(p, key) for p in patterns):
                out.append((10.0, role, column))
    return out


def _fits(frame: pl.DataFrame, role: str, column: str) -> bool:
    """Whether the data agrees with the name: times parse, a case id repeats, ..."""
    values = frame.get_column(column)
    present = values.drop_nulls()
    if role in _TIME_ROLES:
        # An all-empty start column (BPIC15) must not be mapped: a start column
        # overrides lifecycle pairing, and this one would erase every start.
        return len(present) > 0 and is_timestamp_like(values)
    if role in ("case", "activity", "resource", "lifecycle", "offering_column"):
        if len(present) == 0:
            return False
        if isinstance(values.dtype, pl.Datetime) or values.dtype == pl.Date:
            return False
    if role == "lifecycle":
        sample = present.cast(pl.String).str.to_lowercase().head(2000)
        return (
            bool(
                sample.is_in(
                    [
                        "start",
                        "complete",
                        "schedule",
                        "assign",
                        "suspend",
                        "resume",
                        "ate_abort",
                        "withdraw",
                        "autoskip",
                        "manualskip",
                        "reassign",
                        "pi_abort",
                    ]
                ).mean()
                or 0
            )
            >= 0.5
        )
    return True


def detect_mapping(frame: pl.DataFrame) -> Mapping:
    """Propose a mapping from column names, confirmed by the data.

    Names are compared ignoring case, spaces and underscores; a better-ranked name wins
    (``concept:name`` over ``Status`` for the activity), no column takes two roles, and a
    candidate whose data does not fit (a "Date" column that does not parse) is passed over.
    A case id that never repeats is ranked down, since it is more likely an event id.
    """
    columns = [c for c in frame.columns if c != SOURCE_ROW]
    scored: list[tuple[float, str, str]] = []
    for score, role, column in _candidates(columns):
        if not _fits(frame, role, column):
            continue
        if role == "case" and frame.height > 2:
            values = frame.get_column(column)
            head = values.head(10_000)
            # A value repeated among the first rows settles it without the whole column.
            if head.n_unique() == len(head) and values.n_unique() == frame.height:
                score -= 60
        scored.append((score, role, column))
    # Best score first; among equals, the file's column order decides.
    scored.sort(key=lambda item: (-item[0], columns.index(item[2])))
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for _, role, column in scored:
        if role in chosen or column in taken:
            continue
        chosen[role] = column
        taken.add(column)
    return Mapping(**chosen)
