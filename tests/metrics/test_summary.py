"""summary(): the report's JSON shape and the aggregate rules across cases."""

from __future__ import annotations

import polars as pl
import pytest

from metrics.summary import case_summary, summary
from tests.metrics.frames import H, cases_of, catalog, derive, events

LOG = events(
    [
        # completed, lead 4 h, process 3 h (A and B overlap by 1 h), Close waits 1 h
        ("1", "A", 0, 2),
        ("1", "B", 1, 3),
        ("1", "Close", 4, 4),
        # completed, lead 10 h, process 2 h, rework on A
        ("2", "A", 0, 1),
        ("2", "A", 5, 6),
        ("2", "Close", 10, 10),
        # open: counts for rework share, variants, steps and transitions only
        ("3", "A", 0, 1),
        ("3", "B", 3, 4),
    ]
)


# B ends the open case 3 and so would be an end activity by the default rule
# (half of its occurrences are last): the catalog says it is not.
NOT_END = {"activity": "B", "is_end_activity": False}


def _summary(log: pl.DataFrame = LOG, cat: pl.DataFrame | None = None) -> dict:
    inst = derive(log, cat if cat is not None else catalog([NOT_END]))
    return summary(inst.lazy(), cases_of(inst).lazy())


def _printed(value: float) -> float:
    """A figure as the report prints it: 12 significant digits, whichever engine added it up."""
    return float(f"{value:.12g}")


def test_summary_literal() -> None:
    out = _summary()
    assert out == {
        "offering": "O",
        "cases": 3,
        "completed_cases": 2,
        "open_cases": 1,
        "instances": 8,
        "lead_time_s": {
            "p50": 7 * H,
            "p85": pytest.approx(9.1 * H),
            "p95": pytest.approx(9.7 * H),
            "mean": 7 * H,
        },
        "process_time_s": {
            "p50": 2.5 * H,
            "p85": pytest.approx(2.85 * H),
            "p95": pytest.approx(2.95 * H),
            "mean": 2.5 * H,
        },
        "wait_time_s": {
            "p50": 4.5 * H,
            "p85": pytest.approx(6.95 * H),
            "p95": pytest.approx(7.65 * H),
            "mean": 4.5 * H,
        },
        "flow_efficiency": _printed(5 / 14),
        "pce": _printed(5 / 14),
        "rework_case_share": _printed(1 / 3),
        "bottleneck": "Close",
        "variants": 3,
        "steps": [
            {
                "activity": "A",
                "instances": 4,
                "cases": 3,
                "rework_share": _printed(1 / 3),
                "process_time_s": {
                    "p50": H,
                    "p85": pytest.approx(1.55 * H),
                    "p95": pytest.approx(1.85 * H),
                    "mean": 1.25 * H,
                },
                "wait_before_s": {
                    "p50": 4 * H,
                    "p85": 4 * H,
                    "p95": 4 * H,
                    "mean": 4 * H,
                    "sum": 4 * H,
                },
            },
            {
                "activity": "B",
                "instances": 2,
                "cases": 2,
                "rework_share": 0.0,
                "process_time_s": {
                    "p50": 1.5 * H,
                    "p85": pytest.approx(1.85 * H),
                    "p95": pytest.approx(1.95 * H),
                    "mean": 1.5 * H,
                },
                "wait_before_s": {
                    "p50": H,
                    "p85": pytest.approx(1.7 * H),
                    "p95": pytest.approx(1.9 * H),
                    "mean": H,
                    "sum": 2 * H,
                },
            },
            {
                "activity": "Close",
                "instances": 2,
                "cases": 2,
                "rework_share": 0.0,
                "process_time_s": {"p50": 0.0, "p85": 0.0, "p95": 0.0, "mean": 0.0},
                "wait_before_s": {
                    "p50": 2.5 * H,
                    "p85": pytest.approx(3.55 * H),
                    "p95": pytest.approx(3.85 * H),
                    "mean": 2.5 * H,
                    "sum": 5 * H,
                },
            },
        ],
        "transitions": [
            {"from": "A", "to": "B", "count": 2, "wait_s": {"mean": H, "p50": H}},
            {"from": "A", "to": "A", "count": 1, "wait_s": {"mean": 4 * H, "p50": 4 * H}},
            {"from": "A", "to": "Close", "count": 1, "wait_s": {"mean": 4 * H, "p50": 4 * H}},
            {"from": "B", "to": "Close", "count": 1, "wait_s": {"mean": H, "p50": H}},
        ],
    }


def test_flow_efficiency_is_total_process_over_total_lead() -> None:
    # Not the mean of the case ratios (0.75 and 0.2 → 0.475).
    assert _summary()["flow_efficiency"] == pytest.approx(5 / 14)


def test_pce_uses_value_classes_when_given() -> None:
    cat = catalog([{"activity": "A", "value_class": "value-adding"}, NOT_END])
    # Value-adding time: case 1 A = 2 h, case 2 A twice = 2 h → 4 h of 14 h; B does not count;
    # with B value-adding instead: case 1's B, 2 h.
    out = _summary(cat=cat)
    assert out["pce"] == pytest.approx(4 / 14)
    cat = catalog([{**NOT_END, "value_class": "value-adding"}])
    assert _summary(cat=cat)["pce"] == pytest.approx(2 / 14)


def test_unknown_process_times_leave_aggregates_to_the_known_cases() -> None:
    log = events(
        [("1", "A", 0, 1), ("1", "Close", 1, 2), ("2", "A", None, 1), ("2", "Close", None, 5)]
    )
    inst = derive(log)
    row = case_summary(cases_of(inst).lazy()).collect().row(0, named=True)
    assert row["process_time_s_n"] == 1
    assert row["lead_time_s_mean"] == 3 * H
    assert row["process_time_s_mean"] == 2 * H
    assert row["flow_efficiency"] == 1.0


def test_nothing_in_view() -> None:
    inst = derive(LOG)
    cases = cases_of(inst).filter(pl.lit(False))
    out = summary(inst.lazy().filter(pl.lit(False)), cases.lazy())
    assert out["cases"] == 0 and out["instances"] == 0
    assert out["lead_time_s"] == {"p50": None, "p85": None, "p95": None, "mean": None}
    assert out["flow_efficiency"] is None and out["bottleneck"] is None
    assert out["steps"] == [] and out["transitions"] == []
