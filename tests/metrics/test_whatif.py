"""What-if: each rule on literal cases, worked by hand (hours after T0)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.vsm import value_streams_of_no_change
from metrics.whatif import (
    Change,
    Parallel,
    Remove,
    WaitFactor,
    describe,
    format_whatif,
    maps,
    parse_change,
    projected_lead_times,
    projection,
    replay,
    whatif,
)
from tests.metrics.frames import H, cases_of, catalog, derive, events
from tests.metrics.test_properties import ACTIVITIES, catalogs, logs

END = catalog([{"activity": "Ship", "is_end_activity": True}])

# c1: A 0–2, wait 3, B 5–6, wait 4, C 10–13, Ship at 13: lead 13 h.
C1 = [("c1", "A", 0, 2), ("c1", "B", 5, 6), ("c1", "C", 10, 13), ("c1", "Ship", 13, 13)]
# c2 has no B: A 0–1, wait 2, C 3–4, Ship at 4: lead 4 h.
C2 = [("c2", "A", 0, 1), ("c2", "C", 3, 4), ("c2", "Ship", 4, 4)]
# c3: B overlaps A (A 0–4, B 2–5): B's time is the 1 h A did not cover; lead 5 h.
C3 = [("c3", "A", 0, 4), ("c3", "B", 2, 5), ("c3", "Ship", 5, 5)]
# c4 is open: no what-if figure counts it.
C4 = [("c4", "A", 0, 1), ("c4", "B", 2, 3)]


def project(
    rows: Sequence[tuple[str, str, float | None, float]],
    changes: Sequence[Change],
    cat: pl.DataFrame = END,
) -> dict[str, float]:
    """Projected lead time (hours) per completed case."""
    inst = derive(events(rows), cat)
    out = projected_lead_times(inst.lazy(), cases_of(inst).lazy(), changes)
    return {r["case_id"]: r["projected_lead_time_s"] / H for r in out.iter_rows(named=True)}


def affected(
    rows: Sequence[tuple[str, str, float | None, float]], changes: Sequence[Change]
) -> set[str]:
    inst = derive(events(rows), END)
    out = projected_lead_times(inst.lazy(), cases_of(inst).lazy(), changes)
    return set(out.filter(pl.col("affected"))["case_id"])


ALL = C1 + C2 + C3 + C4


def test_no_change_replays_every_lead_time_exactly() -> None:
    assert project(ALL, []) == {"c1": 13.0, "c2": 4.0, "c3": 5.0}
    assert affected(ALL, []) == set()


def test_remove_takes_out_the_step_and_the_wait_before_it() -> None:
    # c1: 13 − (wait 3 + B 1) = 9; the wait before C (4 h) stays. c3: A 4 h, then Ship's own
    # wait (0: nothing is re-measured). c2 has no B: unchanged and not affected.
    assert project(ALL, [Remove("B")]) == {"c1": 9.0, "c2": 4.0, "c3": 4.0}
    assert affected(ALL, [Remove("B")]) == {"c1", "c3"}


def test_parallel_makes_the_pair_take_as_long_as_the_longer_step() -> None:
    # c1: A 2 + wait 3 + B 1 = 6 becomes max(2, 1) = 2 → 9. c3: A 4 + B's uncovered 1 = 5
    # becomes max(A 4, B 3) = 4. c2 has no B after A: unchanged, not affected.
    assert project(ALL, [Parallel("A", "B")]) == {"c1": 9.0, "c2": 4.0, "c3": 4.0}
    assert affected(ALL, [Parallel("A", "B")]) == {"c1", "c3"}
    # B then C in c1: B 1 + wait 4 + C 3 = 8 becomes max(1, 3) = 3 → 8.
    assert project(C1, [Parallel("B", "C")]) == {"c1": 8.0}
    # The pair must be in this order: C never directly follows B reversed.
    assert project(C1, [Parallel("C", "B")]) == {"c1": 13.0}


def test_wait_factor_scales_the_wait_before_the_step() -> None:
    assert project(ALL, [WaitFactor("C", 0.5)]) == {"c1": 11.0, "c2": 3.0, "c3": 5.0}
    assert affected(ALL, [WaitFactor("C", 0.5)]) == {"c1", "c2"}
    assert project(ALL, [WaitFactor("C", 0)]) == {"c1": 9.0, "c2": 2.0, "c3": 5.0}
    # A factor of 1, or a step with no wait in front of it (A starts each case), changes nothing.
    assert affected(ALL, [WaitFactor("C", 1)]) == set()
    assert affected(ALL, [WaitFactor("A", 0)]) == set()


def test_directly_follows_is_judged_after_a_removal() -> None:
    # Removing B first makes C directly follow A in c1: A 2 + wait 4 + C 3 = 9 → max(2, 3) = 3.
    assert project(C1 + C2, [Remove("B"), Parallel("A", "C")]) == {"c1": 3.0, "c2": 1.0}
    # In the other order C still follows B when the parallel change is judged: only c2 gains.
    assert project(C1 + C2, [Parallel("A", "C"), Remove("B")]) == {"c1": 9.0, "c2": 1.0}


def test_changes_combine_in_the_order_given() -> None:
    # Parallel B,C then halve the wait before B (the block's wait, 3 h): 8 − 1.5.
    assert project(C1, [Parallel("B", "C"), WaitFactor("B", 0.5)]) == {"c1": 6.5}
    # C runs with B now and has no wait of its own: a factor on C changes nothing more.
    assert project(C1, [Parallel("B", "C"), WaitFactor("C", 0)]) == {"c1": 8.0}
    # Halving C's wait first (4 → 2), then running B and C in parallel swallows that wait.
    assert project(C1, [WaitFactor("C", 0.5), Parallel("B", "C")]) == {"c1": 8.0}
    # A block grows: C follows B, which already starts with A: all three start at 0.
    assert project(C1, [Parallel("A", "B"), Parallel("B", "C")]) == {"c1": 3.0}
    # Removing the block's first step: C starts the block again, after its own wait.
    assert project(C1, [Parallel("B", "C"), Remove("B")]) == {"c1": 9.0}
    # Removing a step twice is harmless.
    assert project(C1, [Remove("B"), Remove("B")]) == {"c1": 9.0}


def test_unknown_process_times_keep_their_elapsed_time() -> None:
    # B has no start: its 4 h from A's end to its own end hold its wait and its work.
    rows = [("c5", "A", 0, 2), ("c5", "B", None, 6), ("c5", "Ship", 6, 6)]
    assert project(rows, []) == {"c5": 6.0}
    assert project(rows, [WaitFactor("B", 0.5)]) == {"c5": 6.0}
    assert project(rows, [Parallel("A", "B")]) == {"c5": 6.0}
    assert project(rows, [Remove("B")]) == {"c5": 2.0}
    # With standard minutes (1 h) the work is known: the other 3 h are the wait before B.
    timed = catalog(
        [{"activity": "Ship", "is_end_activity": True}, {"activity": "B", "standard_minutes": 60}]
    )
    assert project(rows, [WaitFactor("B", 0)], timed) == {"c5": 3.0}
    assert project(rows, [Parallel("A", "B")], timed) == {"c5": 2.0}


def test_time_after_the_last_work_step_is_kept() -> None:
    cat = catalog(
        [
            {"activity": "Wait", "kind": "waiting"},
            {"activity": "Parked", "kind": "waiting", "is_end_activity": True},
        ]
    )
    rows = [("c6", "A", 0, 1), ("c6", "Wait", 1, 3), ("c6", "B", 3, 4), ("c6", "Parked", 4, 9)]
    # The waiting state "Wait" is the 2 h wait before B; "Parked" ends the case 5 h later.
    assert project(rows, [], cat) == {"c6": 9.0}
    assert project(rows, [WaitFactor("B", 0)], cat) == {"c6": 7.0}
    assert project(rows, [Remove("A")], cat) == {"c6": 8.0}


def test_the_json_shape_and_figures() -> None:
    inst = derive(events(ALL), END)
    out = whatif(inst.lazy(), cases_of(inst).lazy(), [Remove("B")], offering="O")
    assert out["offering"] == "O"
    assert out["changes"] == ["remove B"]
    assert (out["cases"], out["affected_cases"]) == (3, 2)
    # Today 13, 4, 5 h; projected 9, 4, 4 h. Percentiles interpolate linearly.
    assert out["baseline"]["lead_time_s"] == {
        "p50": 5 * H,
        "p85": pytest.approx((5 + 0.7 * 8) * H),
        "p95": pytest.approx((5 + 0.9 * 8) * H),
        "mean": pytest.approx(22 / 3 * H),
    }
    assert out["projected"]["lead_time_s"] == {
        "p50": 4 * H,
        "p85": pytest.approx((4 + 0.7 * 5) * H),
        "p95": pytest.approx((4 + 0.9 * 5) * H),
        "mean": pytest.approx(17 / 3 * H),
    }
    assert (
        "Removing B takes out its 2 instances in 2 cases, with the wait before each; "
        "the step after it keeps its own wait." in out["assumptions"]
    )
    assert any("first-order" in sentence for sentence in out["assumptions"])
    assert "Lead time" in format_whatif(out)


def test_assumptions_say_when_a_change_finds_nothing_to_change() -> None:
    cat = catalog(
        [
            {"activity": "Ship", "is_end_activity": True},
            {"activity": "Queue", "kind": "waiting"},
        ]
    )
    rows = [*C1, ("c7", "A", 0, 1), ("c7", "Queue", 1, 2), ("c7", "Ship", 3, 3)]
    inst = derive(events(rows), cat)
    changes: list[Change] = [Remove("Typo"), WaitFactor("Queue", 0.5), Parallel("C", "A")]
    out = whatif(inst.lazy(), cases_of(inst).lazy(), changes, working_time=True)
    assert out["affected_cases"] == 0
    text = out["assumptions"]
    assert "No completed case in view has a step named Typo: “remove Typo” changes nothing." in text
    assert (
        "Queue is a waiting state, not a step: its time is already part of the wait before "
        "the step after it. Change that step's wait instead." in text
    )
    assert (
        "No case has A directly after C (after the changes before this one): running them "
        "in parallel changes nothing." in text
    )
    assert "Durations count working time only (the offering's calendar is on)." in text


def test_current_and_projected_maps_share_the_map_s_shape() -> None:
    rows = C1 + [(f"x{r[0]}", r[1], r[2] + 100, r[3] + 100) for r in C1]  # type: ignore[operator]
    inst = derive(events(rows), END)
    current, projected = maps(inst.lazy(), cases_of(inst).lazy(), [Parallel("B", "C")])
    assert current.boxes.columns == projected.boxes.columns
    assert current.boxes.select("activity", "wait_before_s_p50", "process_time_s_p50").rows() == [
        ("A", None, 2 * H),
        ("B", 3 * H, 1 * H),
        ("C", 4 * H, 3 * H),
        ("Ship", 0.0, 0.0),
    ]
    # C starts with B: no wait of its own; the ladder counts the pair once, at C's 3 h.
    assert projected.boxes.select("activity", "wait_before_s_p50", "process_time_s_p50").rows() == [
        ("A", None, 2 * H),
        ("B", 3 * H, 1 * H),
        ("C", 0.0, 3 * H),
        ("Ship", 0.0, 0.0),
    ]
    assert (current.totals["lead_s"], projected.totals["lead_s"]) == (13 * H, 8 * H)
    assert projected.totals["process_s"] == 5 * H
    _, removed = maps(inst.lazy(), cases_of(inst).lazy(), [Remove("B")])
    assert removed.boxes["activity"].to_list() == ["A", "C", "Ship"]
    assert removed.totals["lead_s"] == 9 * H


def test_parallel_with_a_step_inside_earlier_work() -> None:
    # X 0–10 covers A 1–2; B 2–12 runs past X. B starting with A (at 1) ends at 11.
    rows = [("c8", "X", 0, 10), ("c8", "A", 1, 2), ("c8", "B", 2, 12), ("c8", "Ship", 12, 12)]
    assert project(rows, []) == {"c8": 12.0}
    assert project(rows, [Parallel("A", "B")]) == {"c8": 11.0}
    # A inside X, B short: both end inside X, nothing changes the lead time.
    inside = [("c9", "X", 0, 10), ("c9", "A", 1, 9), ("c9", "B", 9, 10), ("c9", "Ship", 10, 10)]
    assert project(inside, [Parallel("A", "B")]) == {"c9": 10.0}


def test_changes_from_the_command_line_and_in_words() -> None:
    assert parse_change("remove", "Second approval") == Remove("Second approval")
    assert parse_change("parallel", "Formulation,Sample sent") == Parallel(
        "Formulation", "Sample sent"
    )
    assert parse_change("wait-factor", "Label approval=0.5") == WaitFactor("Label approval", 0.5)
    assert describe(
        [Remove("Second approval"), Parallel("A", "B"), WaitFactor("C", 0.5), WaitFactor("D", 0)]
    ) == (
        "Remove Second approval; run A and B in parallel; halve the wait before C; no wait before D"
    )
    for kind, value, message in [
        ("parallel", "A", "--parallel takes two steps as A,B"),
        ("parallel", "A,A", "cannot run in parallel with itself"),
        ("wait-factor", "A", "--wait-factor takes STEP=F"),
        ("wait-factor", "A=half", "'half' is not a number"),
        ("wait-factor", "A=-1", "must be a number of 0 or more"),
        ("rename", "A", "A change is one of remove, parallel, wait-factor"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_change(kind, value)


changes_strategy = st.lists(
    st.one_of(
        st.builds(Remove, st.sampled_from(ACTIVITIES)),
        st.builds(WaitFactor, st.sampled_from(ACTIVITIES), st.sampled_from([0.0, 0.5, 1.0])),
        st.tuples(st.sampled_from(ACTIVITIES), st.sampled_from(ACTIVITIES))
        .filter(lambda pair: pair[0] != pair[1])
        .map(lambda pair: Parallel(*pair)),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(logs, catalogs, changes_strategy)
def test_the_replay_adds_up_and_a_redesign_never_lengthens_a_case(
    log: pl.DataFrame, cat: pl.DataFrame, changes: list[Change]
) -> None:
    inst = derive(log, cat)
    cases = cases_of(inst)
    today = projected_lead_times(inst.lazy(), cases.lazy(), [])
    completed = cases.filter(pl.col("completed"))
    assert today["projected_lead_time_s"].to_list() == completed["lead_time_s"].to_list()
    replayed = replay(inst.lazy(), cases.lazy(), [])
    moved = (pl.col("_gap") + pl.col("_own").fill_null(0.0)).clip(lower_bound=0.0)
    sums = replayed.steps.group_by("case_index").agg(replayed=moved.sum()).collect()
    check = completed.join(sums, on="case_index", how="left").with_columns(
        pl.col("replayed").fill_null(0.0)
    )
    # Each case's replay is its lead time, less any time after its last work step.
    assert (check["replayed"] <= check["lead_time_s"] + 1e-6).all()
    out = projected_lead_times(inst.lazy(), cases.lazy(), changes)
    assert (out["projected_lead_time_s"] >= -1e-6).all()
    assert (out["projected_lead_time_s"] <= out["baseline_lead_time_s"] + 1e-6).all()
    unchanged = out.filter(~pl.col("affected"))
    assert (
        unchanged["projected_lead_time_s"].to_list() == unchanged["baseline_lead_time_s"].to_list()
    )


@settings(max_examples=60, deadline=None)
@given(logs, catalogs, changes_strategy)
def test_todays_map_in_hand_gives_the_same_projection(
    log: pl.DataFrame, cat: pl.DataFrame, changes: list[Change]
) -> None:
    """Today's map does not depend on the changes: a projection given the map of the
    projection before any change (as the Redesign page gives it) is the one it draws."""
    inst = derive(log, cat)
    cases = cases_of(inst)
    before = projection(inst.lazy(), cases, [])
    drawn = projection(inst.lazy(), cases, changes)
    given_map = projection(inst.lazy(), cases, changes, current=before.current)
    for a, b in ((drawn.current, given_map.current), (drawn.projected, given_map.projected)):
        assert a.boxes.equals(b.boxes) and a.totals == b.totals
    assert drawn.figures == given_map.figures and drawn.steps == given_map.steps
    assert drawn.lead_times.equals(given_map.lead_times)


@settings(max_examples=150, deadline=None)
@given(logs, catalogs)
def test_the_map_of_no_change_is_the_map_of_the_replay(
    log: pl.DataFrame, cat: pl.DataFrame
) -> None:
    """Before any change, the projection draws its projected map from the read of
    today's (metrics.vsm.value_streams_of_no_change): it is the map drawn from the replay
    of no change, overlapping steps and waiting statuses included."""
    inst = derive(log, cat)
    cases = cases_of(inst)
    drawn = projection(inst.lazy(), cases, [])
    current, projected = maps(inst.lazy(), cases.lazy(), [])
    for a, b in ((drawn.current, current), (drawn.projected, projected)):
        assert a.boxes.equals(b.boxes) and a.totals == b.totals


def test_a_step_waiting_in_one_offering_and_worked_in_another_is_mapped_from_the_replay() -> None:
    """A view of two offerings where Queue is a waiting status of one and a work step of
    the other: the map of no change is drawn from the replay (the kind of its box is that
    of its work steps alone), and equals it."""
    rows = [("a1", "A", 0, 2), ("a1", "Queue", 2, 5), ("a1", "B", 5, 6), ("a1", "Ship", 6, 6)]
    queued = catalog([{"activity": "Queue", "kind": "waiting"}, END.row(0, named=True)], "W")
    log = pl.concat(
        [events(rows, "W"), events([(f"x{c}", a, s, e) for c, a, s, e in rows], "X")]
    ).with_columns(event_id=pl.int_range(pl.len()))
    inst = derive(log, pl.concat([queued, catalog([END.row(0, named=True)], "X")]))
    cases = cases_of(inst)
    today, replayed = value_streams_of_no_change(
        inst.lazy(), cases.filter(pl.col("completed")).lazy()
    )
    assert replayed is None and "Queue" in today.boxes["activity"].to_list()
    drawn = projection(inst.lazy(), cases, [])
    current, projected = maps(inst.lazy(), cases.lazy(), [])
    assert drawn.projected.boxes.equals(projected.boxes)
    assert drawn.current.boxes.equals(current.boxes)
    box = projected.boxes.filter(pl.col("activity") == "Queue")
    assert box["kind"].to_list() == ["work"]
