"""Column mapping: common export names map to the right roles, and the data settles ties."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest

from pipelines.mapping import Mapping, detect_mapping
from pipelines.readers import SOURCE_ROW, read_table

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"

STAMPS = ["2025-01-01 10:00", "2025-01-01 11:00", "2025-01-02 09:00"]


def frame(**columns: Sequence[str | None]) -> pl.DataFrame:
    out = pl.DataFrame(columns)
    return out.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))


def test_disco_names() -> None:
    m = detect_mapping(
        frame(
            **{
                "Case ID": ["a", "a", "b"],
                "Activity": ["x", "y", "x"],
                "Start Timestamp": STAMPS,
                "Complete Timestamp": STAMPS,
                "Resource": ["r", "s", "r"],
            }
        )
    )
    assert m == Mapping(
        case="Case ID",
        activity="Activity",
        end="Complete Timestamp",
        start="Start Timestamp",
        resource="Resource",
    )


def test_bupar_names() -> None:
    # bupaR's own event-log names, and its patients log's words.
    m = detect_mapping(
        frame(
            case_id=["a", "a", "b"],
            activity_id=["x", "x", "y"],
            activity_instance_id=["1", "1", "2"],
            lifecycle_id=["start", "complete", "complete"],
            resource_id=["r", "r", "s"],
            timestamp=STAMPS,
        )
    )
    assert m == Mapping(
        case="case_id",
        activity="activity_id",
        end="timestamp",
        resource="resource_id",
        lifecycle="lifecycle_id",
        instance="activity_instance_id",
    )
    m = detect_mapping(
        frame(
            handling=["Registration", "Registration", "Triage"],
            patient=["1", "1", "2"],
            employee=["r1", "r1", "r2"],
            handling_id=["1", "1", "2"],
            registration_type=["start", "complete", "complete"],
            time=STAMPS,
        )
    )
    assert m == Mapping(
        case="patient",
        activity="handling",
        end="time",
        resource="employee",
        lifecycle="registration_type",
        instance="handling_id",
    )


def test_celonis_names() -> None:
    m = detect_mapping(
        frame(
            _CASE_KEY=["a", "a", "b"],
            ACTIVITY_EN=["x", "y", "x"],
            EVENTTIME=STAMPS,
            _SORTING=["1", "2", "1"],
            USER_NAME=["r", "s", "r"],
        )
    )
    assert m == Mapping(
        case="_CASE_KEY", activity="ACTIVITY_EN", end="EVENTTIME", resource="USER_NAME"
    )


def test_pm4py_names_win_over_plain_duplicates() -> None:
    m = detect_mapping(
        frame(
            **{
                "case:concept:name": ["a", "a", "b"],
                "concept:name": ["x", "y", "x"],
                "Activity": ["x", "y", "x"],
                "time:timestamp": STAMPS,
                "org:resource": ["r", "s", "r"],
                "Resource": ["r", "s", "r"],
                "lifecycle:transition": ["start", "complete", "complete"],
                "concept:instance": ["1", "1", "2"],
            }
        )
    )
    assert (m.case, m.activity, m.end, m.resource, m.lifecycle, m.instance) == (
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "org:resource",
        "lifecycle:transition",
        "concept:instance",
    )


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            ["case_id", "activity_name", "END_TIMESTAMP", "user"],
            ("case_id", "activity_name", "END_TIMESTAMP", "user"),
        ),
        (["Order ID", "Step", "Finished", "Owner"], ("Order ID", "Step", "Finished", "Owner")),
        (["Ticket", "Task", "Time", "Assignee"], ("Ticket", "Task", "Time", "Assignee")),
        (["Issue key", "Status", "Date", "Assignee"], ("Issue key", "Status", "Date", "Assignee")),
        (
            ["CaseID", "Event", "Completed", "org:group"],
            ("CaseID", "Event", "Completed", "org:group"),
        ),
    ],
)
def test_common_names_case_and_space_insensitive(names: list[str], expected: tuple) -> None:
    data: list[list[str]] = [["a", "a", "b"], ["x", "y", "x"], STAMPS, ["r", "s", "r"]]
    m = detect_mapping(frame(**dict(zip(names, data, strict=True))))
    assert (m.case, m.activity, m.end, m.resource) == expected


def test_status_is_the_activity_only_without_a_better_column() -> None:
    m = detect_mapping(
        frame(
            **{
                "Case": ["a", "a", "b"],
                "Status": ["open", "done", "open"],
                "Activity": ["x", "y", "x"],
                "Timestamp": STAMPS,
            }
        )
    )
    assert m.activity == "Activity"
    assert m.missing_required() == []


def test_org_group_only_when_no_better_resource() -> None:
    m = detect_mapping(
        frame(
            **{
                "Case": ["a", "a", "b"],
                "Activity": ["x", "y", "x"],
                "Timestamp": STAMPS,
                "org:group": ["g", "g", "h"],
                "User": ["u", "v", "u"],
            }
        )
    )
    assert m.resource == "User"


def test_start_and_lifecycle_are_both_kept() -> None:
    m = detect_mapping(
        frame(
            **{
                "Case": ["a", "a", "b"],
                "Activity": ["x", "y", "x"],
                "Start": STAMPS,
                "End": STAMPS,
                "lifecycle:transition": ["complete"] * 3,
            }
        )
    )
    assert (m.start, m.end, m.lifecycle) == ("Start", "End", "lifecycle:transition")


def test_offering_column() -> None:
    m = detect_mapping(
        frame(
            **{
                "Value stream": ["v", "v", "w"],
                "Case": ["a", "a", "b"],
                "Activity": ["x", "y", "x"],
                "Timestamp": STAMPS,
            }
        )
    )
    assert m.offering_column == "Value stream"
    assert m.offering_name is None


def test_time_columns_must_parse_and_empty_ones_are_skipped() -> None:
    columns: dict[str, Sequence[str | None]] = {
        "Case": ["a", "a", "b"],
        "Activity": ["x", "y", "x"],
        "Date": ["see notes", "n/a", "tbd"],
        "Time": STAMPS,
        "start_timestamp": [None, None, None],
    }
    m = detect_mapping(frame(**columns))
    assert m.end == "Time"
    assert m.start is None


def test_a_never_repeating_id_loses_to_a_repeating_case_column() -> None:
    m = detect_mapping(
        frame(
            **{
                "ID": ["1", "2", "3", "4"],
                "Order": ["a", "a", "b", "b"],
                "Activity": ["x", "y", "x", "y"],
                "Timestamp": STAMPS + STAMPS[:1],
            }
        )
    )
    assert m.case == "Order"


def test_no_column_takes_two_roles_and_source_row_is_ignored() -> None:
    m = detect_mapping(frame(**{"Case": ["a", "a", "b"], "Timestamp": STAMPS}))
    values = [v for v in m.to_dict().values() if v is not None]
    assert len(values) == len(set(values))
    assert SOURCE_ROW not in values
    assert m.missing_required() == ["activity"]


def test_loose_patterns_but_not_case_attributes() -> None:
    m = detect_mapping(
        frame(
            **{
                "Order Number (ERP)": ["a", "a", "b"],
                "activity label": ["x", "y", "x"],
                "completed_ts": STAMPS,
                "case:startdate": STAMPS,
            }
        )
    )
    assert (m.case, m.activity, m.end, m.start) == (
        "Order Number (ERP)",
        "activity label",
        "completed_ts",
        None,
    )


def test_round_trip() -> None:
    m = Mapping(case="Case", activity="Step", end="Done at", offering_name="Orders")
    assert Mapping.from_dict(m.to_dict() | {"unknown": "x"}) == m
    assert Mapping().missing_required() == ["case", "activity", "end"]


def _real(name: str) -> Path:
    if not REAL.is_dir():
        pytest.skip(f"../shared/data/real is absent (a user's own clone): {REAL}")
    return REAL / name


XES_ROLES = ("case:concept:name", "concept:name", "time:timestamp", None)


@pytest.mark.real
@pytest.mark.parametrize(
    ("name", "roles", "lifecycle", "resource"),
    [
        (
            "sepsis.csv",
            ("Case ID", "Activity", "Complete Timestamp", None),
            "lifecycle:transition",
            "org:group",
        ),
        (
            "Production.csv",
            ("Case ID", "concept:name", "Complete Timestamp", "Start Timestamp"),
            "lifecycle:transition",
            "org:resource",
        ),
        ("running-example.csv", XES_ROLES, None, "org:resource"),
        ("receipt.csv", XES_ROLES, "lifecycle:transition", "org:resource"),
        ("interval_event_log.csv", (*XES_ROLES[:3], "start_timestamp"), None, None),
        ("BPIC15_1.csv.gz", XES_ROLES, None, "org:resource"),
        ("bpic2012.xes.gz", XES_ROLES, "lifecycle:transition", "org:resource"),
        ("reviewing.xes", XES_ROLES, "lifecycle:transition", "org:resource"),
        ("helpdesk.xes.gz", XES_ROLES, None, "org:resource"),
        ("Production.xes.gz", XES_ROLES, "lifecycle:transition", "org:resource"),
    ],
)
def test_real_logs_map_to_the_right_columns(
    name: str, roles: tuple, lifecycle: str | None, resource: str | None
) -> None:
    m = detect_mapping(read_table(_real(name), name).frame)
    assert (m.case, m.activity, m.end, m.start) == roles
    assert m.lifecycle == lifecycle
    assert m.resource == resource
    assert m.missing_required() == []
