"""Filters choose whole cases before any metric."""

from __future__ import annotations

import json

import polars as pl
import pytest

from metrics.filters import CaseFilter, apply_filters, by_window, filter_cases
from metrics.variants import compact_variants
from tests.metrics.frames import at, cases_of, derive, events

LOG = events(
    [
        ("early", "A", 0, 1),
        ("early", "Close", 1, 2),  # completed, hours 0–2
        ("late", "A", 48, 49),
        ("late", "Close", 49, 50),  # completed, hours 48–50
        ("open", "A", 10, 11),  # open since hour 10
        ("rework", "A", 20, 21),
        ("rework", "A", 21, 22),
        ("rework", "Close", 22, 23),
    ]
)


def _ids(cases: pl.LazyFrame | pl.DataFrame) -> list[str]:
    frame = cases.collect() if isinstance(cases, pl.LazyFrame) else cases
    return sorted(frame["case_id"].to_list())


@pytest.fixture(scope="module")
def derived() -> tuple[pl.DataFrame, pl.DataFrame]:
    inst = derive(LOG)
    return inst, cases_of(inst)


@pytest.mark.parametrize(
    ("mode", "start", "end", "ids"),
    [
        ("started", 5, 30, ["open", "rework"]),
        ("completed", 1, 30, ["early", "rework"]),
        ("completed", None, None, ["early", "late", "rework"]),
        # In progress at some point of [12, 30): the open case runs on to now.
        ("intersecting", 12, 30, ["open", "rework"]),
        ("intersecting", 60, None, ["open"]),
        ("intersecting", None, 0.5, ["early"]),
    ],
)
def test_window_modes(derived, mode, start, end, ids) -> None:
    _, cases = derived
    out = by_window(cases.lazy(), at(start), at(end), mode)
    assert _ids(out) == ids


def test_completed_only_and_variants(derived) -> None:
    _, cases = derived
    spec = CaseFilter(completed_only=True, variants=(("A", "Close"),))
    assert _ids(filter_cases(cases.lazy(), spec)) == ["early", "late"]
    # The same of the cases the app holds, their variants compact.
    assert _ids(filter_cases(compact_variants(cases).lazy(), spec)) == ["early", "late"]
    rework = CaseFilter(variants=(("A", "A", "Close"), ("Z",)))
    assert _ids(filter_cases(compact_variants(cases).lazy(), rework)) == ["rework"]


def test_offerings(derived) -> None:
    _, cases = derived
    assert _ids(filter_cases(cases.lazy(), CaseFilter(offerings=("other",)))) == []
    assert len(_ids(filter_cases(cases.lazy(), CaseFilter(offerings=("O",))))) == 4


def test_attributes_match_any_event_of_the_case(derived) -> None:
    _, cases = derived
    attrs = [
        json.dumps({"region": "North" if i in (0, 5) else "South", "lot size": i})
        for i in range(LOG.height)
    ]
    frame = LOG.with_columns(attributes=pl.Series(attrs), resource=pl.lit("ann"))
    spec = CaseFilter(attributes={"region": ["North"]})
    assert _ids(filter_cases(cases.lazy(), spec, frame.lazy())) == ["early", "rework"]
    spec = CaseFilter(attributes={"region": ["North"], "lot size": ["5"]})
    assert _ids(filter_cases(cases.lazy(), spec, frame.lazy())) == ["rework"]
    spec = CaseFilter(attributes={"resource": ["bob"]})
    assert _ids(filter_cases(cases.lazy(), spec, frame.lazy())) == []


def test_instances_follow_the_selected_cases(derived) -> None:
    inst, cases = derived
    view_inst, view_cases = apply_filters(
        inst.lazy(), cases.lazy(), CaseFilter(completed_only=True)
    )
    assert _ids(view_cases) == ["early", "late", "rework"]
    out = view_inst.collect()
    assert sorted(set(out["case_id"])) == ["early", "late", "rework"]
    assert out.height == 7
    # The derived order is kept (case_table reads variants in row order).
    assert out.equals(inst.filter(pl.col("case_id") != "open"))


def test_unknown_window_mode_is_refused(derived) -> None:
    with pytest.raises(ValueError, match="window mode"):
        by_window(derived[1].lazy(), None, None, "ended")  # type: ignore[arg-type]


def test_the_steps_of_cases_in_hand_are_those_the_join_keeps(derived, tmp_path) -> None:
    """`instances_of_cases` (a filter, for cases in hand) keeps the rows, in the order,
    that `restrict_instances` (a join) keeps: over frames and over a scanned file."""
    from metrics.filters import instances_of_cases, restrict_instances

    inst, cases = derived
    file = tmp_path / "steps.parquet"
    inst.write_parquet(file)
    for spec, ids in (
        (CaseFilter(completed_only=True), ["early", "late", "rework"]),
        (CaseFilter(variants=(("A", "A", "Close"),)), ["rework"]),
        (CaseFilter(completed_only=True, variants=(("A",),)), []),
    ):
        chosen = filter_cases(cases.lazy(), spec).collect()
        for steps in (inst.lazy(), pl.scan_parquet(file)):
            kept = instances_of_cases(steps, chosen).collect()
            assert kept.equals(restrict_instances(steps, chosen.lazy()).collect())
            assert sorted(set(kept["case_id"].to_list())) == ids
            assert kept.height == inst.filter(pl.col("case_id").is_in(ids)).height
