"""derive_instances: case order, predecessors, waits, rework and touch time per instance."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from metrics.derive import INSTANCE_SCHEMA
from tests.metrics.frames import H, catalog, derive, events

COLUMNS = [
    "case_id",
    "activity",
    "seq",
    "prev_activity",
    "transition_wait_s",
    "wait_before_s",
    "is_rework",
    "process_s",
    "touch_s",
]


def expected(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={c: INSTANCE_SCHEMA[c] for c in COLUMNS}, orient="row")


def test_schema_is_declared() -> None:
    out = derive(events([("c", "A", 0, 1)]))
    assert out.schema == pl.Schema(INSTANCE_SCHEMA)


def test_parallel_steps_count_once_and_wait_on_the_latest_end() -> None:
    # C runs inside B; D waits after both: its wait before is measured from B's end
    # (the latest end), its transition wait from C's end (the directly preceding one).
    out = derive(events([("c", "A", 0, 2), ("c", "B", 1, 4), ("c", "C", 2, 3), ("c", "D", 6, 7)]))
    assert_frame_equal(
        out.select(COLUMNS),
        expected(
            [
                ("c", "A", 1, None, None, None, False, 2 * H, 2 * H),
                ("c", "B", 2, "A", 0.0, 0.0, False, 3 * H, 2 * H),
                ("c", "C", 3, "B", 0.0, 0.0, False, 1 * H, 0.0),
                ("c", "D", 4, "C", 3 * H, 2 * H, False, 1 * H, 1 * H),
            ]
        ),
    )


def test_rework_loop_marks_repeats() -> None:
    out = derive(
        events(
            [
                ("c", "A", 0, 1),
                ("c", "B", 2, 3),
                ("c", "A", 4, 5),
                ("c", "B", 6, 7),
                ("c", "C", 8, 9),
            ]
        )
    )
    assert out["is_rework"].to_list() == [False, False, True, True, False]
    assert out["wait_before_s"].to_list() == [None, H, H, H, H]


def test_ties_order_by_start_then_end_then_source_order() -> None:
    # Same start: the shorter (earlier end) first; same start and end: source order.
    out = derive(events([("t", "B", 0, 2), ("t", "A", 0, 1), ("t", "Y", 3, 3), ("t", "X", 3, 3)]))
    assert out["activity"].to_list() == ["A", "B", "Y", "X"]
    assert out["seq"].to_list() == [1, 2, 3, 4]
    assert out["event_id"].to_list() == [2, 1, 3, 4]


def test_case_with_one_event() -> None:
    out = derive(events([("s", "A", 0, 1)]))
    assert_frame_equal(
        out.select(COLUMNS), expected([("s", "A", 1, None, None, None, False, H, H)])
    )
    assert out["is_last"].to_list() == [True]


def test_missing_starts_wait_is_elapsed_and_process_unknown() -> None:
    out = derive(events([("m", "A", None, 1), ("m", "B", None, 3), ("m", "C", None, 4)]))
    assert_frame_equal(
        out.select(COLUMNS),
        expected(
            [
                ("m", "A", 1, None, None, None, False, None, None),
                ("m", "B", 2, "A", 2 * H, 2 * H, False, None, None),
                ("m", "C", 3, "B", 1 * H, 1 * H, False, None, None),
            ]
        ),
    )


def test_standard_minutes_stand_in_for_missing_starts() -> None:
    cat = catalog([{"activity": "B", "standard_minutes": 30.0}])
    out = derive(events([("m", "A", 0, 1), ("m", "B", None, 3)]), cat)
    assert out["process_s"].to_list() == [H, 1800.0]
    assert out["touch_s"].to_list() == [H, 1800.0]


def test_mixed_start_and_no_start() -> None:
    # B has no start: it sits at its end (3) for ordering, after C which started at 2.
    out = derive(events([("x", "A", 0, 1), ("x", "B", None, 3), ("x", "C", 2, 4)]))
    assert_frame_equal(
        out.select(COLUMNS),
        expected(
            [
                ("x", "A", 1, None, None, None, False, H, H),
                ("x", "C", 2, "A", 1 * H, 1 * H, False, 2 * H, 2 * H),
                ("x", "B", 3, "C", 0.0, 0.0, False, None, None),
            ]
        ),
    )


def test_waiting_states_add_no_process_and_move_their_time_to_the_next_step() -> None:
    cat = catalog(
        [{"activity": "To Do", "kind": "waiting"}, {"activity": "Stuck", "kind": "waiting"}]
    )
    out = derive(
        events(
            [
                ("w", "To Do", 0, 5),
                ("w", "Work", 5, 8),
                ("w", "Stuck", 8, 10),
                ("w", "Work 2", 10, 11),
            ]
        ),
        cat,
    )
    assert_frame_equal(
        out.select(COLUMNS),
        expected(
            [
                ("w", "To Do", 1, None, None, None, False, 0.0, 0.0),
                ("w", "Work", 2, "To Do", 0.0, 5 * H, False, 3 * H, 3 * H),
                ("w", "Stuck", 3, "Work", 0.0, None, False, 0.0, 0.0),
                ("w", "Work 2", 4, "Stuck", 0.0, 2 * H, False, H, H),
            ]
        ),
    )
    assert out["kind"].to_list() == ["waiting", "work", "waiting", "work"]


def test_cases_are_separated_by_offering_and_case() -> None:
    frame = pl.concat(
        [
            events([("c", "A", 0, 1), ("c", "B", 2, 3)], offering="O1"),
            events([("c", "B", 0, 1)], offering="O2"),
        ]
    )
    out = derive(frame).sort("offering", "seq")
    assert out.select("offering", "seq", "prev_activity").rows() == [
        ("O1", 1, None),
        ("O1", 2, "A"),
        ("O2", 1, None),
    ]
    assert out["case_index"].n_unique() == 2


def test_value_adding_touch_merges_overlapping_value_adding_work_only() -> None:
    cat = catalog(
        [
            {"activity": "A", "value_class": "value-adding"},
            {"activity": "B", "value_class": "value-adding"},
            {"activity": "C", "value_class": "waste"},
        ]
    )
    out = derive(events([("v", "A", 0, 2), ("v", "C", 1, 5), ("v", "B", 1.5, 3)]), cat)
    assert out["activity"].to_list() == ["A", "C", "B"]
    assert out["value_adding_touch_s"].to_list() == [2 * H, 0.0, 1 * H]
    assert out["touch_s"].to_list() == [2 * H, 3 * H, 0.0]
