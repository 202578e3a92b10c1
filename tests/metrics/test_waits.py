"""Waits: per-step distributions (as metrics.steps), ECDF, weekday × hour, slowest cases, idle cases, a timeline."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from metrics.steps import steps
from metrics.waits import (
    case_timeline,
    slowest_cases,
    step_waits,
    wait_ecdf,
    waiting_now,
    waits_by_weekday_hour,
)
from tests.metrics.frames import T0, H, cases_of, catalog, derive, events

# T0 is Monday 1 January 2024, 00:00 UTC.
LOG = events(
    [
        ("1", "A", 0, 1),
        ("1", "B", 3, 4),
        ("1", "C", 10, 11),  # waits 2 h, 6 h
        ("2", "A", 0, 1),
        ("2", "B", 2, 3),
        ("2", "C", 4, 5),  # waits 1 h, 1 h
        ("3", "A", 0, 1),
        ("3", "B", 5, 6),
        ("3", "C", 30, 31),  # waits 4 h, 24 h
        ("4", "A", 0, 1),
        ("4", "B", 9, 10),  # open, after B
    ]
)
CATALOG = catalog([{"activity": "C", "is_end_activity": True}])


def _view() -> tuple[pl.DataFrame, pl.DataFrame]:
    inst = derive(LOG, CATALOG)
    return inst, cases_of(inst)


def test_step_waits_match_metrics_steps_and_name_the_bottleneck() -> None:
    inst, _ = _view()
    out = step_waits(inst.lazy()).collect()
    assert out["activity"].to_list() == ["B", "C"]  # A starts every case: nothing waits before it
    assert out["waits"].to_list() == [4, 3]
    assert out["is_bottleneck"].to_list() == [False, True]
    assert out["wait_share"].to_list() == pytest.approx([15 / 46, 31 / 46])
    # B's waits 1, 2, 4, 8 h: p25 (linear) = 1.75 h, p75 = 5 h.
    b = out.row(0, named=True)
    assert (b["wait_s_p25"], b["wait_s_p50"], b["wait_s_p75"]) == pytest.approx(
        (1.75 * H, 3 * H, 5 * H)
    )
    reference = steps(inst.lazy(), by=()).collect().filter(pl.col("wait_before_s_n") > 0)
    for name in ("p50", "p85", "p95", "mean", "sum"):
        assert out[f"wait_s_{name}"].to_list() == pytest.approx(
            reference[f"wait_before_s_{name}"].to_list()
        )


def test_ecdf_runs_from_the_shortest_to_the_longest_wait() -> None:
    inst, _ = _view()
    out = wait_ecdf(inst.lazy(), points=4).collect()
    c = out.filter(pl.col("activity") == "C")
    assert c["share"].to_list() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert c["wait_s"].to_list() == pytest.approx([1 * H, 3.5 * H, 6 * H, 15 * H, 24 * H])
    assert c["waits"].unique().to_list() == [3]


def test_ecdf_percentiles_are_polars_linear_quantiles_exactly() -> None:
    """Read from each step's sorted waits, every percentile is the value polars'
    `quantile(q, interpolation="linear")` gives, bit for bit (steps of 1 to 4,000 waits,
    ties and missing waits included)."""
    rng = np.random.default_rng(7)
    sizes = {"one": 1, "two": 2, "ties": 50, "many": 4000}
    waits = pl.DataFrame(
        {
            "activity": [a for a, n in sizes.items() for _ in range(n)],
            "wait_before_s": np.concatenate(
                [
                    [3600.0],
                    [0.0, 7.5],
                    rng.integers(0, 4, 50) * 900.0,
                    rng.exponential(86_400, 4000),
                ]
            ),
            "kind": "work",
        }
    ).with_columns(
        wait_before_s=pl.when(pl.int_range(pl.len()) % 97 == 5)
        .then(None)
        .otherwise(pl.col("wait_before_s"))
    )
    out = wait_ecdf(waits.lazy(), points=100).collect()
    grid = [i / 100 for i in range(101)]
    expected = (
        waits.filter(pl.col("wait_before_s").is_not_null())
        .group_by("activity")
        .agg(
            pl.concat_list(
                [pl.col("wait_before_s").quantile(q, interpolation="linear") for q in grid]
            ).alias("wait_s")
        )
        .explode("wait_s")
        .sort("activity", maintain_order=True)
    )
    assert out["activity"].to_list() == expected["activity"].to_list()
    assert out["wait_s"].to_list() == expected["wait_s"].to_list()
    assert out["share"].to_list() == grid * len(sizes)


def test_waits_by_weekday_and_hour_of_the_step_start() -> None:
    inst, _ = _view()
    out = waits_by_weekday_hour(inst.lazy()).collect()
    # Monday (1); C of case 3 starts at 30 h = Tuesday 06:00.
    tuesday = out.filter(pl.col("weekday") == 2)
    assert tuesday.rows() == [(2, 6, 1, 24 * H, 24 * H)]
    assert int(out["waits"].sum()) == 7
    assert (
        out.filter((pl.col("weekday") == 1) & (pl.col("hour") == 2))["wait_s_p50"].item() == 1 * H
    )


def test_slowest_completed_cases_and_their_longest_wait() -> None:
    inst, cases = _view()
    out = slowest_cases(inst.lazy(), cases.lazy(), n=2).collect()
    assert out.select("case_id", "lead_time_s", "longest_wait_before", "longest_wait_s").rows() == [
        ("3", 31 * H, "C", 24 * H),
        ("1", 11 * H, "C", 6 * H),
    ]


def test_waiting_now_lists_open_cases_after_a_step_with_idle_time() -> None:
    _, cases = _view()
    now = T0 + timedelta(hours=34)
    out = waiting_now(cases.lazy(), now, after="B").collect()
    assert out.select("case_id", "current_step", "idle_s", "age_s").rows() == [
        ("4", "B", 24 * H, 34 * H)
    ]
    assert waiting_now(cases.lazy(), now, after="A").collect().height == 0


def test_case_timeline_puts_each_wait_in_front_of_its_step() -> None:
    inst, _ = _view()
    out = case_timeline(inst.lazy(), "1").collect()
    assert out["label"].to_list() == ["1. A", "2. B", "3. C"]
    assert out["wait_from"].to_list() == [None, T0 + timedelta(hours=1), T0 + timedelta(hours=4)]
    assert out["wait_before_s"].to_list() == [None, 2 * H, 6 * H]
    assert out["start_known"].all()
