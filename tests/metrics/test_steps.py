"""Step metrics, the bottleneck and rolled %C&A."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.steps import (
    BOTTLENECK_SCHEMA,
    STEP_SCHEMA,
    bottleneck,
    main_path,
    rolled_pct_c_and_a,
    steps,
)
from metrics.variants import variants
from tests.metrics.frames import H, cases_of, catalog, derive, events

LOG = events(
    [
        # case 1: A, B (waits 1 h), A again (rework, waits 1 h), C (waits 2 h)
        ("1", "A", 0, 1),
        ("1", "B", 2, 3),
        ("1", "A", 4, 5),
        ("1", "C", 7, 8),
        # case 2: A, B (waits 3 h), C (waits 0)
        ("2", "A", 0, 2),
        ("2", "B", 5, 6),
        ("2", "C", 6, 7),
    ]
)


def test_steps_literal() -> None:
    out = steps(derive(LOG).lazy()).collect()
    expected = pl.DataFrame(
        [
            # offering, activity, instances, cases, rework_cases, rework_share, %C&A, position,
            # process p50, p85, p95, mean, sum, n, wait p50, p85, p95, mean, sum, n
            (
                "O",
                "A",
                3,
                2,
                1,
                0.5,
                0.5,
                1.0,
                H,
                1.7 * H,
                1.9 * H,
                4 / 3 * H,
                4 * H,
                3,
                H,
                H,
                H,
                H,
                H,
                1,
            ),
            (
                "O",
                "B",
                2,
                2,
                0,
                0.0,
                1.0,
                2.0,
                H,
                H,
                H,
                H,
                2 * H,
                2,
                2 * H,
                2.7 * H,
                2.9 * H,
                2 * H,
                4 * H,
                2,
            ),
            (
                "O",
                "C",
                2,
                2,
                0,
                0.0,
                1.0,
                3.5,
                H,
                H,
                H,
                H,
                2 * H,
                2,
                H,
                1.7 * H,
                1.9 * H,
                H,
                2 * H,
                2,
            ),
        ],
        schema=STEP_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)


def test_waiting_states_are_absent_from_steps() -> None:
    cat = catalog([{"activity": "Queue", "kind": "waiting"}])
    out = steps(
        derive(events([("1", "A", 0, 1), ("1", "Queue", 1, 4), ("1", "B", 4, 5)]), cat).lazy()
    ).collect()
    assert out.select("activity", "wait_before_s_sum").rows() == [("A", 0.0), ("B", 3 * H)]


def test_unknown_process_times_are_left_out_and_counted() -> None:
    out = steps(derive(events([("1", "A", None, 1), ("2", "A", 0, 2)])).lazy()).collect()
    assert out.select("process_time_s_p50", "process_time_s_n", "instances").row(0) == (2 * H, 1, 2)


def test_bottleneck_is_the_largest_total_wait() -> None:
    out = bottleneck(steps(derive(LOG).lazy())).collect()
    expected = pl.DataFrame([("O", "B", 4 * H, 4 / 7)], schema=BOTTLENECK_SCHEMA, orient="row")
    assert_frame_equal(out, expected)


def test_no_bottleneck_without_waiting() -> None:
    out = bottleneck(steps(derive(events([("1", "A", 0, 1), ("1", "B", 1, 2)])).lazy())).collect()
    assert out.height == 0


def test_rolled_pct_c_and_a_over_the_main_path() -> None:
    log = pl.concat([LOG, events([("3", "A", 0, 1), ("3", "B", 1, 2), ("3", "C", 2, 3)])])
    inst = derive(log)
    path = main_path(variants(cases_of(inst).lazy()))
    assert path.collect()["activity"].to_list() == ["A", "B", "C"]
    out = rolled_pct_c_and_a(steps(inst.lazy()), path).collect()
    # A repeats in 1 of its 3 cases: %C&A 2/3; B and C never repeat.
    assert out.rows() == [("O", pytest.approx(2 / 3), 3)]


def test_pooled_steps_without_offering() -> None:
    log = pl.concat(
        [events([("1", "A", 0, 1)], offering="X"), events([("1", "A", 0, 3)], offering="Y")]
    )
    out = steps(derive(log).lazy(), by=()).collect()
    assert "offering" not in out.columns
    assert out.select("activity", "instances", "cases", "process_time_s_mean").rows() == [
        ("A", 2, 2, 2 * H)
    ]
