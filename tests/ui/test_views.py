"""The pages' cached views: each the cases its filter selects, sharing frames when it keeps
all; the same whether the steps are held in memory or scanned from the warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.filters import CaseFilter, apply_filters
from ui.views import derived, view
from warehouse import Warehouse
from warehouse.derived import load_derivation


@pytest.mark.parametrize("held", ["memory", "scan"])
@pytest.mark.parametrize(
    ("spec", "cases"),
    [
        (CaseFilter(), 2791),
        (CaseFilter(completed_only=True), 2555),
        (CaseFilter(offerings=("Reverse engineering",)), 598),
        (CaseFilter(offerings=("Reverse engineering",), completed_only=True), 543),
    ],
)
def test_a_view_is_what_its_filter_selects(
    demo_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: CaseFilter,
    cases: int,
    held: str,
) -> None:
    db = tmp_path / "views.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0" if held == "scan" else "10_000_000")
    with Warehouse.open(db) as wh:
        stored = load_derivation(wh)
    d = derived()
    assert d.in_memory == (held == "memory")
    assert_frame_equal(d.cases, stored.cases)
    assert_frame_equal(d.instances.collect(), stored.instances)
    instances, selected = view(spec)
    expected_instances, expected_cases = apply_filters(
        stored.instances.lazy(), stored.cases.lazy(), spec
    )
    assert_frame_equal(selected, expected_cases.collect())
    assert_frame_equal(instances.collect(), expected_instances.collect())
    # A query of one column that is not the case's number reads the same rows.
    assert_frame_equal(
        instances.select("seq").collect(), expected_instances.select("seq").collect()
    )
    assert selected.height == cases
    if held == "memory":
        # A view that keeps every case holds no copy of the steps.
        assert (instances is d.instances) == (cases == d.cases.height)
    else:
        # A scanned view reads only its offerings' steps, and only the columns asked for.
        plan = instances.select("activity").explain()
        assert plan.count("stored steps") == (len(spec.offerings) if spec.offerings else 3)
        counted = instances.group_by("offering").agg(pl.len()).collect()
        assert int(counted["len"].sum()) == int(selected["n_instances"].sum())
