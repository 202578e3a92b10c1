"""Directly-follows counts and waits."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from metrics.transitions import TRANSITION_SCHEMA, transitions
from tests.metrics.frames import H, catalog, derive, events


def test_transitions_literal_with_overlap_clamped_to_zero() -> None:
    log = events(
        [
            ("1", "A", 0, 2),
            ("1", "B", 1, 3),
            ("1", "C", 5, 6),  # B overlaps A: wait 0, not −1 h
            ("2", "A", 0, 1),
            ("2", "B", 2, 3),
            ("2", "C", 3, 4),
        ]
    )
    out = transitions(derive(log).lazy()).collect()
    expected = pl.DataFrame(
        [
            ("O", "A", "B", 2, 2, "wait", 0.5 * H, 0.85 * H, 0.95 * H, 0.5 * H, H),
            ("O", "B", "C", 2, 2, "wait", 1.0 * H, 1.7 * H, 1.9 * H, 1.0 * H, 2 * H),
        ],
        schema=TRANSITION_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)


def test_without_starts_the_measure_is_elapsed() -> None:
    log = events([("1", "A", None, 1), ("1", "B", None, 4), ("2", "A", 0, 1), ("2", "B", None, 2)])
    out = transitions(derive(log).lazy()).collect()
    assert out.select("from_activity", "to_activity", "count", "measure", "wait_s_mean").rows() == [
        ("A", "B", 2, "elapsed", 2 * H)
    ]


def test_mixed_measure() -> None:
    log = events([("1", "A", 0, 1), ("1", "B", 2, 4), ("2", "A", 0, 1), ("2", "B", None, 2)])
    out = transitions(derive(log).lazy()).collect()
    assert out["measure"].to_list() == ["mixed"]


def test_counts_equal_instances_minus_cases_and_loops_count() -> None:
    log = events(
        [("1", "A", 0, 1), ("1", "B", 1, 2), ("1", "A", 2, 3), ("1", "B", 3, 4), ("2", "A", 0, 1)]
    )
    out = transitions(derive(log).lazy()).collect()
    assert out.select("from_activity", "to_activity", "count", "cases").rows() == [
        ("A", "B", 2, 1),
        ("B", "A", 1, 1),
    ]
    assert out["count"].sum() == log.height - 2


def test_waiting_states_stay_on_the_process_map() -> None:
    cat = catalog([{"activity": "Queue", "kind": "waiting"}])
    out = transitions(
        derive(events([("1", "A", 0, 1), ("1", "Queue", 1, 4), ("1", "B", 4, 5)]), cat).lazy()
    ).collect()
    assert out.select("from_activity", "to_activity").rows() == [("A", "Queue"), ("Queue", "B")]
