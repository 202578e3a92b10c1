"""The value stream map's shape: columns of alternatives and parallel steps, the ladder's
path, waiting statuses as waits, and the words that tell variants apart."""

from __future__ import annotations

import random
import statistics
import warnings
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.derived import derive_all
from metrics.steps import steps
from metrics.summary import case_summary
from metrics.vsm import (
    _positions,
    _sequences,
    ladder,
    step_pairs,
    value_stream,
    variant_difference,
)
from pipelines.ingest import ingest, load_instances
from tests.metrics.frames import H, cases_of, catalog, derive, events
from warehouse import Warehouse


def _columns(boxes: pl.DataFrame) -> list[list[str]]:
    """The map's columns, each as its steps top to bottom."""
    return [
        group["activity"].to_list()
        for _, group in boxes.sort("position").group_by("column", maintain_order=True)
    ]


def _map(log: pl.DataFrame, cat: pl.DataFrame | None = None) -> Any:
    inst = derive(log, cat)
    return value_stream(inst.lazy(), cases_of(inst).lazy())


# B and C are alternatives (no case does both); P and Q run at the same time.
BRANCHES = events(
    [
        ("1", "A", 0, 1),
        ("1", "B", 2, 3),
        ("1", "P", 4, 6),
        ("1", "Q", 4.5, 5.5),
        ("1", "D", 7, 8),
        ("2", "A", 0, 1),
        ("2", "B", 2, 4),
        ("2", "P", 5, 6),
        ("2", "Q", 5, 7),
        ("2", "D", 8, 9),
        ("3", "A", 0, 1),
        ("3", "C", 3, 4),
        ("3", "P", 5, 7),
        ("3", "Q", 6, 7),
        ("3", "D", 9, 10),
        ("4", "A", 0, 2),
        ("4", "B", 3, 4),
        ("4", "P", 5, 6),
        ("4", "Q", 5.5, 6.5),
        ("4", "D", 7, 8),
    ]
)


def test_alternatives_and_parallel_steps_are_stacked_in_one_column() -> None:
    vs = _map(BRANCHES)
    assert _columns(vs.boxes) == [["A"], ["B", "C"], ["P", "Q"], ["D"]]
    kinds = dict(vs.boxes.select("activity", "column_kind").iter_rows())
    assert (kinds["B"], kinds["P"], kinds["A"]) == ("alternatives", "parallel", "single")
    shares = dict(vs.boxes.select("activity", "case_share").iter_rows())
    assert (shares["B"], shares["C"]) == (0.75, 0.25)
    # The path takes B (3 of 4 cases) and both parallel steps; cases 1, 2 and 4 follow it.
    assert vs.path == ("A", "B", "P", "Q", "D")
    assert (vs.path_cases, vs.cases, vs.path_share) == (3, 4, 0.75)
    assert vs.boxes.filter(~pl.col("on_path"))["activity"].to_list() == ["C"]
    # Every step of the view comes with the map, as metrics.steps gives it.
    inst = derive(BRANCHES)
    assert_frame_equal(vs.steps, steps(inst.lazy(), by=()).collect())
    assert sorted(vs.steps["activity"]) == ["A", "B", "C", "D", "P", "Q"]
    assert dict(vs.steps.select("activity", "cases").iter_rows())["C"] == 1


def test_the_ladder_counts_a_parallel_column_once_at_its_longest() -> None:
    totals = ladder(_map(BRANCHES).boxes)
    # Waits: B 1 h (median of 1, 1, 1), P 1 h (Q starts inside P: 0), D median(1, 1, 2, 0.5).
    assert totals["wait_s"] == 3 * H
    # C/T: A 1 h, B 1 h, max(P 1.5 h, Q 1 h), D 1 h.
    assert totals["process_s"] == 4.5 * H
    assert totals["lead_s"] == 7.5 * H
    assert totals["path"] == ("A", "B", "P", "Q", "D")
    assert [s["activities"] for s in totals["segments"]] == [("A",), ("B",), ("P", "Q"), ("D",)]


def test_pair_figures_of_the_rules() -> None:
    inst = derive(BRANCHES)
    pairs = step_pairs(inst.lazy(), ["A", "B", "C", "P", "Q", "D"]).collect()
    row = {(r["a"], r["b"]): r for r in pairs.iter_rows(named=True)}
    assert row[("B", "C")]["both"] == 0 and row[("B", "C")]["adjacent"] == 0
    assert row[("B", "C")]["relation"] == "alternatives"
    assert (row[("P", "Q")]["both"], row[("P", "Q")]["overlap"]) == (4, 4)
    assert row[("P", "Q")]["relation"] == "parallel"
    # B is directly followed by P in cases 1, 2 and 4: a sequence.
    assert (row[("B", "P")]["a_then_b"], row[("B", "P")]["relation"]) == (3, "sequence")


def test_a_loop_that_takes_the_other_branch_keeps_them_alternatives() -> None:
    # Like running-example's case 3: case 4 examines casually (M1), is reinitiated (Re),
    # then examines thoroughly (M2). One case of the five with either does both (20%), but
    # no case goes from one examination straight to the other.
    rows = []
    for case, path in {
        "1": ["R", "M1", "K", "D", "Pay"],
        "2": ["R", "M1", "K", "D", "Rej"],
        "3": ["R", "M2", "K", "D", "Rej"],
        "4": ["R", "M1", "K", "D", "Re", "M2", "K", "D", "Pay"],
        "5": ["R", "M2", "K", "D", "Pay"],
    }.items():
        rows += [(case, step, None, float(i)) for i, step in enumerate(path)]
    vs = _map(events(rows))
    assert _columns(vs.boxes) == [["R"], ["M1", "M2"], ["K"], ["D"], ["Pay", "Rej", "Re"]]
    assert vs.path == ("R", "M1", "K", "D", "Pay")
    assert vs.path_cases == 1  # case 1; case 4 also did M2 and Re


def test_steps_done_in_either_order_without_overlap_stay_in_sequence() -> None:
    log = events(
        [
            ("1", "S", 0, 1),
            ("1", "X", 2, 3),
            ("1", "Y", 4, 5),
            ("1", "E", 6, 7),
            ("2", "S", 0, 1),
            ("2", "Y", 2, 3),
            ("2", "X", 4, 5),
            ("2", "E", 6, 7),
            ("3", "S", 0, 1),
            ("3", "X", 2, 3),
            ("3", "Y", 4, 5),
            ("3", "E", 6, 7),
        ]
    )
    # Each case does both one after the other: the ladder must add both times.
    assert _columns(_map(log).boxes) == [["S"], ["X"], ["Y"], ["E"]]


def test_rare_columns_drop_unless_no_two_columns_are_common() -> None:
    # X → Y in 2 of 5 cases; P, Q, R alone in one case each: no two columns reach half of
    # the cases, so the map shows every column, and the ladder still follows X → Y.
    log = events(
        [
            ("1", "X", 0, 1),
            ("1", "Y", 2, 3),
            ("2", "X", 0, 1),
            ("2", "Y", 2, 3),
            ("3", "P", 0, 1),
            ("4", "Q", 0, 1),
            ("5", "R", 0, 1),
        ]
    )
    vs = _map(log)
    assert vs.columns_kept_all
    assert _columns(vs.boxes) == [["X", "P", "Q", "R"], ["Y"]]
    assert vs.path == ("X", "Y") and vs.path_cases == 2


STATUS_CATALOG = catalog(
    [
        {"activity": "To Do", "kind": "waiting"},
        {"activity": "Blocked", "kind": "waiting"},
        {"activity": "Doing", "kind": "work", "value_class": "value-adding"},
        {"activity": "Review", "kind": "work"},
        {"activity": "Done", "kind": "done", "is_end_activity": True},
    ]
)
STATUSES = events(
    [
        ("1", "To Do", 0, 10),
        ("1", "Doing", 10, 12),
        ("1", "Review", 12, 13),
        ("1", "Done", 13, 13),
        ("2", "To Do", 0, 20),
        ("2", "Doing", 20, 21),
        ("2", "Blocked", 21, 30),
        ("2", "Review", 30, 31),
        ("2", "Done", 31, 31),
        ("3", "To Do", 0, 5),
        ("3", "Doing", 5, 7),
        ("3", "Review", 7, 8),
        ("3", "Done", 8, 8),
    ]
)


def test_time_in_waiting_statuses_is_the_wait_before_the_next_box() -> None:
    inst = derive(STATUSES, STATUS_CATALOG)
    cases = cases_of(inst)
    vs = value_stream(inst.lazy(), cases.lazy())
    assert vs.boxes["activity"].to_list() == ["Doing", "Review", "Done"]
    # A box's figures are the step table's row for the same step.
    table = steps(inst.lazy(), by=()).collect()
    shared = ["activity", "instances", "cases", "process_time_s_p50", "wait_before_s_p50"]
    assert vs.boxes.select(shared).rows() == table.select(shared).rows()
    # To Do held the cases 10, 20 and 5 h before Doing; Blocked 9 h before one Review.
    assert vs.boxes.select("activity", "wait_before_s_p50", "queue", "queue_instances").rows() == [
        ("Doing", 10 * H, "To Do", 3),
        ("Review", 0.0, "Blocked", 1),
        ("Done", 0.0, None, 0),
    ]
    totals = ladder(vs.boxes)
    assert (totals["wait_s"], totals["process_s"], totals["lead_s"]) == (10 * H, 3 * H, 13 * H)
    assert totals["pce"] == pytest.approx(2 / 13)
    # The cases' own figures (Stream health's function): lead 13, 31 and 8 h.
    summary = case_summary(cases.lazy()).collect().row(0, named=True)
    assert summary["lead_time_s_p50"] == 13 * H
    assert summary["flow_efficiency"] == pytest.approx(8 / 52)


def _warehouse_map(wh: Warehouse, path: Path) -> tuple[Any, pl.DataFrame]:
    ingest(wh, path)
    d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    vs = value_stream(d.instances.lazy(), d.cases.lazy())
    return vs, steps(d.instances.lazy(), by=()).collect()


def test_jira_map_shows_the_backlog_wait_its_step_table_shows(
    wh: Warehouse, external_dir: Path
) -> None:
    vs, table = _warehouse_map(wh, external_dir / "exports" / "jira_actionableagile_search.json")
    # Analysis Active, done by 11 of 25 items, carries the longest wait (its time in
    # Backlog): on the map, with the step table's figures.
    assert _columns(vs.boxes) == [["Analysis Active"], ["Test", "Dev Active"], ["Done"]]
    box = vs.boxes.filter(pl.col("activity") == "Analysis Active").row(0, named=True)
    row = table.filter(pl.col("activity") == "Analysis Active").row(0, named=True)
    assert box["wait_before_s_p50"] == row["wait_before_s_p50"] == pytest.approx(430740.949)
    assert (box["queue"], box["queue_instances"], box["is_bottleneck"]) == ("Backlog", 14, True)
    totals = ladder(vs.boxes)
    assert vs.path == ("Analysis Active", "Test", "Done")
    assert totals["wait_s"] == pytest.approx(430740.949 + 678.813)
    assert totals["flow_efficiency"] == pytest.approx(
        (340163.3835 + 429458.677) / (430740.949 + 678.813 + 340163.3835 + 429458.677)
    )


def test_trello_map_has_a_ladder_when_most_cards_skip_every_list(
    wh: Warehouse, external_dir: Path
) -> None:
    vs, _ = _warehouse_map(wh, external_dir / "exports" / "trello_jsai_2021.json")
    # 54 of 182 cards were created straight into TERMINADO: the map still shows the work.
    assert _columns(vs.boxes) == [["HACIENDO"], ["PRUEBAS"], ["TERMINADO"]]
    totals = ladder(vs.boxes)
    assert totals["process_s"] == pytest.approx(519892.2335 + 587527.6665)
    assert totals["lead_s"] > totals["process_s"]


@pytest.fixture(scope="module")
def running_example(real_dir: Path) -> Any:
    events_frame = load_instances(real_dir / "running-example.csv")
    d = derive_all(events_frame, catalog(offering="running-example"))
    return events_frame, d


def test_running_example_draws_the_examinations_and_the_outcomes_stacked(
    running_example: Any,
) -> None:
    _, d = running_example
    vs = value_stream(d.instances.lazy(), d.cases.lazy())
    assert _columns(vs.boxes) == [
        ["register request"],
        ["examine casually", "examine thoroughly"],
        ["check ticket"],
        ["decide"],
        ["pay compensation", "reject request", "reinitiate request"],
    ]
    assert vs.path == (
        "register request",
        "examine casually",
        "check ticket",
        "decide",
        "pay compensation",
    )
    assert (vs.path_cases, vs.cases) == (2, 6)  # cases 2 and 6


def test_direct_successions_and_alternatives_agree_with_pm4py_footprints(
    running_example: Any,
) -> None:
    events_frame, d = running_example
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py

        frame = (
            events_frame.sort("event_id")
            .select(
                pl.col("case_id").alias("case:concept:name"),
                pl.col("activity").alias("concept:name"),
                pl.col("end").alias("time:timestamp"),
            )
            .to_pandas()
            .sort_values(["case:concept:name", "time:timestamp"], kind="stable")
        )
        footprints = pm4py.discover_footprints(frame)
    names = sorted(d.instances["activity"].unique().to_list())
    pairs = step_pairs(d.instances.lazy(), names).collect()
    ours = {(r["a"], r["b"]) for r in pairs.iter_rows(named=True) if r["a_then_b"]} | {
        (r["b"], r["a"]) for r in pairs.iter_rows(named=True) if r["b_then_a"]
    }
    theirs = {(a, b) for a, b in footprints["sequence"] | footprints["parallel"] if a != b}
    assert ours == theirs
    # Every pair we call alternatives is exclusive in the footprint (neither follows the other).
    alternatives = {
        (r["a"], r["b"]) for r in pairs.iter_rows(named=True) if r["relation"] == "alternatives"
    }
    assert ("examine casually", "examine thoroughly") in alternatives
    assert ("pay compensation", "reject request") in alternatives
    assert all((a, b) not in theirs and (b, a) not in theirs for a, b in alternatives)


@pytest.mark.parametrize(
    ("variant", "words"),
    [
        (["S", "Q", "F", "A", "F", "A", "P"], "F, A twice"),
        (["S", "Q", "F", "A", "F", "A", "F", "A", "P"], "F, A 3 times"),
        (["S", "Q"], "stops after Q"),
        (["S", "F", "A", "P"], "no Q"),
        (["S", "Q", "X", "F", "A", "P"], "+ X"),
        (["S", "Q", "G", "A", "P"], "G instead of F"),
        (["S", "F", "Q", "A", "P"], "F after S"),
        (["S", "Q", "F", "A", "F", "A"], "F, A twice; stops after A"),
        (["S", "Q", "F", "A", "P"], ""),
    ],
)
def test_variant_difference_tells_variants_apart(variant: list[str], words: str) -> None:
    assert variant_difference(variant, ["S", "Q", "F", "A", "P"]) == words


@pytest.mark.parametrize("seed", range(40))
def test_each_steps_position_is_the_median_rank_of_its_instances(seed: int) -> None:
    """The typical position, read off the distinct sequences and their cases, is the
    median of every instance's rank among its case's instances of the map's steps
    (counted here one instance at a time): odd and even counts, repeats, ties."""
    rnd = random.Random(seed)
    names = [f"s{i}" for i in range(rnd.randint(1, 5))]
    rows = [
        (case, seq, rnd.choice([*names, "other"]))
        for case in range(rnd.randint(1, 25))
        for seq in range(rnd.randint(1, 7))
    ]
    own = pl.DataFrame(
        rows,
        schema={"case_index": pl.UInt32, "seq": pl.UInt32, "activity": pl.String},
        orient="row",
    ).filter(pl.col("activity").is_in(names))
    ranks: dict[str, list[int]] = {}
    for _, case in own.group_by("case_index", maintain_order=True):
        for rank, step in enumerate(case["activity"], start=1):
            ranks.setdefault(step, []).append(rank)
    expected = {step: float(statistics.median(r)) for step, r in ranks.items()}

    positions = _positions(_sequences(own.lazy()).collect())

    assert dict(positions.iter_rows()) == expected
    assert positions.schema == pl.Schema({"activity": pl.String, "position": pl.Float64})
