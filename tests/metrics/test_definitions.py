"""Every metric the report shows has a one-sentence definition for its tooltip."""

from __future__ import annotations

from metrics.definitions import DEFINITIONS

SHOWN = [
    "lead_time",
    "completed",
    "process_time",
    "wait_time",
    "flow_efficiency",
    "pce",
    "rework",
    "rework_case_share",
    "variant",
    "variants",
    "instances",
    "cases",
    "step_process_time",
    "wait_before_step",
    "total_wait_before_step",
    "bottleneck",
    "rework_share",
    "pct_c_and_a",
    "rolled_pct_c_and_a",
    "transition_count",
    "transition_wait",
    "throughput",
    "arrivals",
    "wip",
    "aging",
    "littles_law",
    "percentiles",
    "working_time",
    "projected_lead_time",
    "affected_cases",
    "conforming_share",
    "deviation_missing",
    "deviation_extra",
    "deviation_repeated",
    "deviation_order",
    "forecast_done_by",
    "forecast_items_done",
    "likely_done_by",
]


def test_every_metric_has_a_sentence() -> None:
    assert sorted(DEFINITIONS) == sorted(SHOWN)
    for key, text in DEFINITIONS.items():
        assert text.endswith("."), key
        assert len(text) > 20, key


def test_wording_follows_metrics_md() -> None:
    assert DEFINITIONS["wait_time"] == "Wait time = lead time − process time."
    assert (
        "max(0, start − the latest end among the work instances before it"
        in (DEFINITIONS["wait_before_step"])
    )
