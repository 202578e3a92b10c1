"""Conformance to a future state: parallel and optional stages and each deviation, by hand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from scipy import stats

from metrics.compare import Windows
from metrics.conformance import (
    FutureState,
    case_conformance,
    conformance,
    conformance_before_after,
    format_conformance,
    future_state_problems,
)
from tests.metrics.frames import T0, cases_of, catalog, derive, events

FUTURE: dict[str, Any] = {
    "name": "After the June redesign",
    "stages": ["Quote", ["Formulation", "Sample sent"], "Production"],
    "optional": ["Sample sent"],
}
CATALOG = catalog(
    [
        {"activity": "Production", "is_end_activity": True},
        {"activity": "Waiting for customer", "kind": "waiting"},
    ]
)


def case(name: str, day: int, steps: list[str]) -> list[tuple[str, str, float, float]]:
    """The steps one after another, an hour each, from `day` (days after Monday 1 Jan 2024)."""
    return [(name, step, day * 24 + i, day * 24 + i + 1) for i, step in enumerate(steps)]


LOG = [
    # Week of 1 Jan 2024.
    *case("k1", 0, ["Quote", "Formulation", "Sample sent", "Production"]),  # conforms
    *case("k2", 1, ["Quote", "Sample sent", "Formulation", "Production"]),  # any order in a stage
    *case("k3", 2, ["Quote", "Formulation", "Production"]),  # optional step absent
    *case("k4", 3, ["Quote", "Production"]),  # missing Formulation
    *case("k4b", 3, ["Quote", "Sample sent", "Production"]),  # missing Formulation
    *case("k5", 4, ["Quote", "Formulation", "Rush check", "Production"]),  # extra
    # Week of 8 Jan 2024.
    *case("k6", 7, ["Quote", "Formulation", "Quote", "Production"]),  # repeated, not order
    *case("k7", 8, ["Formulation", "Quote", "Production"]),  # Quote came too late
    *case("k8", 9, ["Quote", "Waiting for customer", "Formulation", "Production"]),  # conforms
    *case("k10", 10, ["Quote", "Formulation", "Sample sent", "Sample sent", "Production"]),
    *case("k9", 11, ["Quote"]),  # open: not counted
]


def view() -> tuple[pl.LazyFrame, pl.LazyFrame]:
    inst = derive(events(LOG), CATALOG)
    return inst.lazy(), cases_of(inst).lazy()


def test_each_case_and_its_deviations() -> None:
    out = case_conformance(*view(), FutureState.from_json(FUTURE)).collect()
    rows = {
        r["case_id"]: (r["conforming"], r["missing"], r["extra"], r["repeated"], r["order"])
        for r in out.iter_rows(named=True)
    }
    assert rows == {
        "k1": (True, [], [], [], []),
        "k2": (True, [], [], [], []),
        "k3": (True, [], [], [], []),
        "k4": (False, ["Formulation"], [], [], []),
        "k4b": (False, ["Formulation"], [], [], []),
        "k5": (False, [], ["Rush check"], [], []),
        "k6": (False, [], [], ["Quote"], []),
        "k7": (False, [], [], [], ["Quote"]),
        "k8": (True, [], [], [], []),
        "k10": (False, [], [], ["Sample sent"], []),
    }
    assert out.filter(pl.col("case_id") == "k7")["week"].item() == date(2024, 1, 8)


def test_the_json_figures() -> None:
    out = conformance(*view(), FutureState.from_json(FUTURE), offering="O")
    assert out == {
        "offering": "O",
        "future_state": "After the June redesign",
        "cases": 10,
        "conforming": 4,
        "conforming_share": 0.4,
        "deviations": [
            {"kind": "missing", "step": "Formulation", "cases": 2},
            {"kind": "extra", "step": "Rush check", "cases": 1},
            {"kind": "repeated", "step": "Quote", "cases": 1},
            {"kind": "repeated", "step": "Sample sent", "cases": 1},
            {"kind": "order", "step": "Quote", "cases": 1},
        ],
        "by_week": [
            {"week": "2024-01-01", "cases": 6, "conforming_share": 0.5},
            {"week": "2024-01-08", "cases": 4, "conforming_share": 0.25},
        ],
    }
    assert "following it: 4 (40.0%)" in format_conformance(out)


def test_order_names_every_step_that_came_too_late() -> None:
    future = FutureState.from_json({"name": "line", "stages": ["A", "B", "C", "D"]})
    rows = case("c", 0, ["C", "A", "B", "D"])
    inst = derive(events(rows), catalog([{"activity": "D", "is_end_activity": True}]))
    out = case_conformance(inst.lazy(), cases_of(inst).lazy(), future).collect()
    # A and B both came after C, a later stage; D is where it belongs.
    assert out["order"].to_list() == [["A", "B"]]


def test_before_and_after_a_change() -> None:
    change = T0 + timedelta(days=7)
    w = Windows(change=change, before_days=7, after_days=7, data_end=T0 + timedelta(days=12))
    out = conformance_before_after(*view(), FutureState.from_json(FUTURE), "O", w)
    assert (out["before"]["cases"], out["before"]["conforming"]) == (6, 3)
    assert (out["after"]["cases"], out["after"]["conforming"]) == (4, 1)
    assert out["difference"] == pytest.approx(-0.25)
    # Pooled two-proportion z test: z = (0.25 − 0.5) / sqrt(0.4 · 0.6 · (1/6 + 1/4)).
    z = -0.25 / (0.4 * 0.6 * (1 / 6 + 1 / 4)) ** 0.5
    assert out["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)))
    assert out["change"] == "2024-01-08T00:00:00+00:00"


def test_empty_view() -> None:
    open_only = pl.concat([CATALOG, catalog([{"activity": "Quote", "is_end_activity": False}])])
    inst = derive(events(case("k9", 0, ["Quote"])), open_only)
    out = conformance(inst.lazy(), cases_of(inst).lazy(), FutureState.from_json(FUTURE))
    assert (out["cases"], out["conforming_share"], out["deviations"], out["by_week"]) == (
        0,
        None,
        [],
        [],
    )


def test_the_json_form_round_trips() -> None:
    future = FutureState.from_json(FUTURE)
    assert future.stages == (("Quote",), ("Formulation", "Sample sent"), ("Production",))
    assert future.stage_of == {"Quote": 1, "Formulation": 2, "Sample sent": 2, "Production": 3}
    assert future.to_json() == FUTURE
    assert FutureState.from_json({"name": "n", "stages": ["A"]}).optional == frozenset()


@pytest.mark.parametrize(
    ("future", "message"),
    [
        ("Quote", "A future state is a JSON object"),
        (FUTURE | {"stage": []}, 'Unknown key "stage"'),
        ({k: v for k, v in FUTURE.items() if k != "name"}, '"name" is missing'),
        (FUTURE | {"stages": []}, '"stages" must be a list of stages in order'),
        (FUTURE | {"stages": ["Quote", [], "Production"]}, "Stage 2 is an empty list"),
        (FUTURE | {"stages": ["Quote", 7]}, "Stage 2 (7) is neither a step name nor a list"),
        (
            FUTURE | {"stages": ["Quote", ["Formulation", "Quote"]]},
            '"Quote" appears in stages 1 and 2: each step belongs to one stage, once.',
        ),
        (
            FUTURE | {"stages": [["A", "A"]], "optional": []},
            '"A" appears twice in stage 1',
        ),
        (
            FUTURE | {"optional": ["Sample snt"]},
            '"Sample snt" is marked optional but is in no stage.',
        ),
        (FUTURE | {"optional": "Sample sent"}, '"optional" must be a list of step names'),
        (FUTURE | {"stages": ["Quote", " "]}, "Stage 2 has a step without a name."),
    ],
)
def test_a_bad_future_state_says_what_is_wrong(future: Any, message: str) -> None:
    problems = future_state_problems(future)
    assert any(message in p for p in problems), problems
    with pytest.raises(ValueError, match="The future state is not valid"):
        FutureState.from_json(future)


def _by_definition(steps: list[str], future: FutureState) -> dict[str, list[str]]:
    """One case's deviations, worked out step by step from the module's definition."""
    stage_of = future.stage_of

    def in_stage_order(names: set[str]) -> list[str]:
        return sorted(names, key=lambda s: (stage_of[s], s))

    known = [s for s in steps if s in stage_of]
    firsts = list(dict.fromkeys(known))  # first occurrences, in case order
    late = {
        step
        for i, step in enumerate(firsts)
        if any(stage_of[earlier] > stage_of[step] for earlier in firsts[:i])
    }
    return {
        "missing": in_stage_order(
            {s for s in stage_of if s not in future.optional and s not in known}
        ),
        "extra": list(dict.fromkeys(s for s in steps if s not in stage_of)),
        "repeated": in_stage_order({s for s in known if known.count(s) > 1}),
        "order": in_stage_order(late),
    }


@pytest.mark.parametrize("seed", range(6))
def test_every_deviation_agrees_with_the_definition_on_random_cases(seed: int) -> None:
    """Random cases (repeats, loops, steps out of order, steps the future state lacks,
    waiting statuses) against random future states (parallel and optional steps): each
    case's lists are those the definition gives, case by case."""
    import random

    rng = random.Random(seed)
    names = ["Quote", "Formulation", "Sample sent", "Production", "Rush check", "Audit"]
    log: list[tuple[str, str, float, float]] = []
    paths: dict[str, list[str]] = {}
    for n in range(60):
        path = [rng.choice([*names, "Waiting for customer"]) for _ in range(rng.randint(1, 7))]
        path.append("Production")  # every case completes
        paths[f"c{n:02d}"] = [s for s in path if s != "Waiting for customer"]
        log += case(f"c{n:02d}", n % 20, path)
    picked = rng.sample(names[:5], rng.randint(1, 5))
    stages: list[Any] = []
    while picked:
        take = rng.randint(1, min(2, len(picked)))
        stage, picked = picked[:take], picked[take:]
        stages.append(stage[0] if take == 1 else stage)
    flat = [s for stage in stages for s in ([stage] if isinstance(stage, str) else stage)]
    future = FutureState.from_json(
        {"name": "Random", "stages": stages, "optional": rng.sample(flat, rng.randint(0, 2))}
    )
    inst = derive(events(log), CATALOG)
    rows = case_conformance(inst.lazy(), cases_of(inst).lazy(), future).collect()
    assert rows.height == len(paths)
    for row in rows.iter_rows(named=True):
        expected = _by_definition(paths[row["case_id"]], future)
        got = {kind: row[kind] for kind in expected}
        assert got == expected, (row["case_id"], paths[row["case_id"]], future)
        assert row["conforming"] == (not any(expected.values()))
