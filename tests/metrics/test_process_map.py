"""The process map's graph: nodes, arrows with start and end, projection on fewer activities, path filter."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from metrics.process_map import (
    EDGE_SCHEMA,
    END,
    START,
    activity_ranking,
    directly_follows,
    keep_paths,
    top_activities,
)
from metrics.transitions import transitions
from tests.metrics.frames import H, cases_of, catalog, derive, events

# Case 1 and 2 complete (end activity Ship); case 3 stops after B and is open.
LOG = events(
    [
        ("1", "A", 0, 1),
        ("1", "B", 2, 3),
        ("1", "C", 5, 6),
        ("1", "Ship", 7, 8),
        ("2", "A", 0, 1),
        ("2", "B", 1, 2),
        ("2", "B", 4, 5),
        ("2", "Ship", 6, 7),
        ("3", "A", 0, 1),
        ("3", "B", 3, 4),
    ]
)
CATALOG = catalog(
    [
        {"activity": "Ship", "is_end_activity": True},
        {"activity": "C", "value_class": "value-adding"},
    ]
)


def _view() -> tuple[pl.DataFrame, pl.DataFrame]:
    inst = derive(LOG, CATALOG)
    return inst, cases_of(inst)


def test_every_arrow_with_start_and_end_literal() -> None:
    inst, cases = _view()
    out = directly_follows(inst.lazy(), cases.lazy()).collect()
    expected = pl.DataFrame(
        [
            ("A", "B", 3, 3, "wait", 1 * H, 1.7 * H, 1.9 * H, 1 * H, 3 * H),
            (START, "A", 3, 3, "none", None, None, None, None, None),
            ("Ship", END, 2, 2, "none", None, None, None, None, None),
            ("B", "B", 1, 1, "wait", 2 * H, 2 * H, 2 * H, 2 * H, 2 * H),
            ("B", "C", 1, 1, "wait", 2 * H, 2 * H, 2 * H, 2 * H, 2 * H),
            ("B", "Ship", 1, 1, "wait", 1 * H, 1 * H, 1 * H, 1 * H, 1 * H),
            ("C", "Ship", 1, 1, "wait", 1 * H, 1 * H, 1 * H, 1 * H, 1 * H),
        ],
        schema=EDGE_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)


def test_with_every_activity_the_arrows_are_metrics_transitions() -> None:
    inst, cases = _view()
    out = directly_follows(inst.lazy(), cases.lazy()).collect().filter(pl.col("measure") != "none")
    reference = transitions(inst.lazy(), by=()).collect()
    on = ["from_activity", "to_activity"]
    assert_frame_equal(out.sort(on), reference.sort(on), check_column_order=False)


def test_hiding_an_activity_projects_the_cases_and_measures_across_it() -> None:
    inst, cases = _view()
    out = directly_follows(inst.lazy(), cases.lazy(), ["A", "C", "Ship"]).collect()
    rows = {
        (r[0], r[1]): (r[2], r[3])
        for r in out.select("from_activity", "to_activity", "count", "wait_s_p50").rows()
    }
    # Case 1: A → (B) → C, waited from A's end (1 h) to C's start (5 h); case 2: A → (B, B) → Ship.
    assert rows[("A", "C")] == (1, 4 * H)
    assert rows[("A", "Ship")] == (1, 5 * H)
    assert rows[("C", "Ship")] == (1, 1 * H)
    # The open case 3 is just A now, and an open case never reaches End.
    assert rows[(START, "A")] == (3, None)
    assert rows[("Ship", END)] == (2, None)
    assert ("A", END) not in rows


def test_ranking_counts_instances_cases_and_open_cases_here() -> None:
    inst, cases = _view()
    out = activity_ranking(inst.lazy(), cases.lazy()).collect()
    assert out.select(
        "activity", "instances", "cases", "open_cases_here", "value_class"
    ).rows() == [
        ("B", 4, 3, 1, "unclassified"),
        ("A", 3, 3, 0, "unclassified"),
        ("Ship", 2, 2, 0, "unclassified"),
        ("C", 1, 1, 0, "value-adding"),
    ]
    assert top_activities(out, 2) == ["B", "A"]
    assert out["process_time_s_p50"][0] == 1 * H


def test_the_most_frequent_activities_are_the_rankings_first() -> None:
    """`most_frequent` (the process map's first arrows keep these) gives the ranking's
    first activities from the counts alone, ties broken by name as the ranking does."""
    from metrics.process_map import most_frequent

    inst, cases = _view()
    out = activity_ranking(inst.lazy(), cases.lazy()).collect()
    for n in range(6):
        assert most_frequent(inst.lazy(), n) == top_activities(out, n)
    tied = inst.filter(pl.col("activity") != "B").with_columns(
        activity=pl.when(pl.col("activity") == "C").then(pl.lit("Ship")).otherwise("activity")
    )  # A 3 and Ship 3: A first, by name
    assert most_frequent(tied.lazy(), 2) == ["A", "Ship"]
    assert most_frequent(tied.lazy(), 2) == top_activities(
        activity_ranking(tied.lazy(), cases.lazy()).collect(), 2
    )


def test_elapsed_where_the_next_step_has_no_start() -> None:
    log = events([("1", "A", None, 1), ("1", "B", None, 4)])
    inst = derive(log)
    out = directly_follows(inst.lazy(), cases_of(inst).lazy()).collect()
    assert out.filter(pl.col("from_activity") == "A").select("measure", "wait_s_p50").row(0) == (
        "elapsed",
        3 * H,
    )


def _edges(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["from_activity", "to_activity", "count"], orient="row")


def test_keep_paths_keeps_every_activity_connected() -> None:
    # A strong chain S → A → B → E, and a rare detour A → X → Y → B.
    edges = _edges(
        [
            (START, "A", 100),
            ("A", "B", 90),
            ("B", END, 100),
            ("A", "X", 10),
            ("X", "Y", 10),
            ("Y", "B", 10),
            ("Y", "X", 3),
            ("X", "B", 2),
        ]
    )
    kept = keep_paths(edges, 0.1)
    pairs = set(kept.select("from_activity", "to_activity").rows())
    # The top 10% is one arrow; X and Y keep their busiest ways in and out, so the detour stays
    # reachable from Start and reaches End; the rare X ↔ Y back arrow and X → B go.
    assert pairs == {(START, "A"), ("A", "B"), ("B", END), ("A", "X"), ("X", "Y"), ("Y", "B")}
    assert keep_paths(edges, 1.0).height == edges.height


def test_keep_paths_repairs_a_cycle_cut_off_from_the_start() -> None:
    # C and D feed each other strongly; their only link to the start is rare.
    edges = _edges(
        [
            (START, "A", 50),
            ("A", END, 45),
            ("C", "D", 40),
            ("D", "C", 40),
            ("A", "C", 5),
            ("D", END, 5),
        ]
    )
    kept = set(keep_paths(edges, 0.0).select("from_activity", "to_activity").rows())
    assert ("A", "C") in kept and ("D", END) in kept
