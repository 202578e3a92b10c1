"""Properties that hold for any log: lead ≥ process ≥ 0, wait = lead − process, ratios in [0, 1],
transition counts = instances − cases, and the waits before steps add up to the case's wait."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from metrics import figures
from metrics.conformance import FutureState, case_conformance, summarise
from metrics.filters import instances_of_cases
from metrics.steps import bottleneck, steps, wait_totals
from metrics.summary import case_summary
from metrics.transitions import transitions
from tests.metrics.frames import cases_of, catalog, derive, events

pytestmark = pytest.mark.slow

ACTIVITIES = ["A", "B", "C", "Queue"]

instance = st.tuples(
    st.sampled_from(["c1", "c2", "c3"]),
    st.sampled_from(ACTIVITIES),
    st.one_of(st.none(), st.integers(0, 40)),  # start hour, or unknown
    st.integers(0, 12),  # duration in hours
)
logs = st.lists(instance, min_size=1, max_size=25).map(
    lambda rows: events([(c, a, s, (s if s is not None else 20) + d) for c, a, s, d in rows])
)
catalogs = st.sampled_from(
    [
        catalog(),
        catalog(
            [
                {"activity": "A", "value_class": "value-adding"},
                {"activity": "Queue", "kind": "waiting"},
            ]
        ),
        catalog(
            [
                {"activity": "B", "standard_minutes": 90.0, "value_class": "value-adding"},
                {"activity": "C", "standard_minutes": 15.0},
            ]
        ),
    ]
)


@settings(max_examples=150, deadline=None)
@given(logs, catalogs)
def test_case_invariants(log: pl.DataFrame, cat: pl.DataFrame) -> None:
    inst = derive(log, cat)
    cases = cases_of(inst)
    known = cases.filter(pl.col("process_time_s").is_not_null())
    assert (known["lead_time_s"] >= known["process_time_s"]).all()
    assert (known["process_time_s"] >= 0).all()
    gap = (known["wait_time_s"] - (known["lead_time_s"] - known["process_time_s"])).abs()
    assert (gap.max() or 0.0) == 0.0
    for column in ("flow_efficiency", "pce"):
        values = cases[column].drop_nulls()
        assert ((values >= 0) & (values <= 1 + 1e-12)).all()
    assert cases["n_instances"].sum() == log.height
    edges = transitions(inst.lazy()).collect()
    assert edges["count"].sum() == log.height - cases.height
    assert (edges["wait_s_p50"].drop_nulls() >= 0).all()
    summary = case_summary(cases.lazy()).collect().row(0, named=True)
    for column in ("flow_efficiency", "pce"):
        assert summary[column] is None or 0 <= summary[column] <= 1 + 1e-12


@settings(max_examples=150, deadline=None)
@given(logs)
def test_waits_before_steps_add_up_to_the_wait_time(log: pl.DataFrame) -> None:
    # With every start known and no standard times, the map's waits sum to the
    # case's wait (METRICS.md: "the value stream map's waits add up").
    log = log.with_columns(start=pl.coalesce("start", "end"))
    inst = derive(log, catalog([{"activity": "Queue", "kind": "waiting"}]))
    cases = cases_of(inst)
    waits = inst.group_by("case_index").agg(pl.col("wait_before_s").sum())
    # A case that ends in a waiting state keeps that last wait in no step.
    work_end = (
        inst.filter(pl.col("kind") == "work")
        .group_by("case_index")
        .agg(work_end=pl.col("end").max())
    )
    joined = (
        cases.join(waits, on="case_index")
        .join(work_end, on="case_index")
        .filter(pl.col("work_end") == pl.col("last_end"))
    )
    gap = (joined["wait_time_s"] - joined["wait_before_s"]).abs().max()
    assert (gap or 0.0) < 1e-6
    step_total = steps(inst.lazy()).collect()["wait_before_s_sum"].sum()
    assert step_total <= cases["wait_time_s"].sum() + 1e-6


ENDS = catalog(
    [
        {"activity": "A", "is_end_activity": False},
        {"activity": "B", "is_end_activity": False},
        {"activity": "C", "is_end_activity": True},
        {"activity": "Queue", "kind": "waiting", "is_end_activity": False},
    ]
)


@settings(max_examples=60, deadline=None)
@given(logs)
def test_figures_of_completed_cases_are_the_same_with_completed_cases_only(
    log: pl.DataFrame,
) -> None:
    """The figures made of a view's completed cases alone (the Redesign projection, the
    slowest cases) are the same for the view and for its completed cases only, so the
    pages compute (or read) them once for both (metrics.figures.OF_COMPLETED_CASES)."""
    inst = derive(log, ENDS)
    cases = cases_of(inst)
    done = cases.filter(pl.col("completed"))
    own = instances_of_cases(inst.lazy(), done)
    assert {"slowest", "unchanged", figures.CONFORMANCE} == figures.OF_COMPLETED_CASES
    assert figures.slowest(inst.lazy(), cases).equals(figures.slowest(own, done))
    every, alone = figures.unchanged(inst.lazy(), cases), figures.unchanged(own, done)
    # Without a completed case the view of none cannot name its offering; the same else.
    assert alone.figures == (every.figures if done.height else {**every.figures, "offering": None})
    assert every.lead_times.equals(alone.lead_times)
    assert every.steps == alone.steps
    for a, b in ((every.current, alone.current), (every.projected, alone.projected)):
        assert a.boxes.equals(b.boxes) and a.totals == b.totals
    # Each case's conformance to a future state, whichever it is, and its summary.
    for future in (
        FutureState("f", (("A",), ("B",), ("C",)), frozenset()),
        FutureState("g", (("A", "B"), ("C",)), frozenset({"B"})),
        FutureState("h", (("C",), ("A",)), frozenset()),
    ):
        of_every = case_conformance(inst.lazy(), cases.lazy(), future).collect()
        of_done = case_conformance(own, done.lazy(), future).collect()
        assert_frame_equal(of_every, of_done)
        assert summarise(of_every) == summarise(of_done)


@settings(max_examples=100, deadline=None)
@given(logs, catalogs)
def test_the_bottleneck_of_the_wait_totals_is_that_of_the_step_figures(
    log: pl.DataFrame, cat: pl.DataFrame
) -> None:
    """Stream health and the scorecard find the bottleneck from each step's total wait
    alone (metrics.steps.wait_totals): the same step, total and share as from every
    step figure."""
    inst = derive(log, cat).lazy()
    for by in (("offering",), ()):
        light = bottleneck(wait_totals(inst, by=by), by=by).collect()
        full = bottleneck(steps(inst, by=by), by=by).collect()
        assert_frame_equal(light, full, check_exact=False, rel_tol=1e-12)  # shares: to an ulp
