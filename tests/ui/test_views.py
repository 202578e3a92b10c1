"""The pages' cached views: each the cases its filter selects, sharing frames when it keeps all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from metrics.filters import CaseFilter, apply_filters
from ui.views import derived, view


@pytest.mark.parametrize(
    ("spec", "cases"),
    [
        (CaseFilter(), 2791),
        (CaseFilter(completed_only=True), 2555),
        (CaseFilter(offerings=("Reverse engineering",)), 598),
    ],
)
def test_a_view_is_what_its_filter_selects(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: CaseFilter, cases: int
) -> None:
    db = tmp_path / "views.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("VSM_DB", str(db))
    d = derived()
    instances, selected = view(spec)
    expected_instances, expected_cases = apply_filters(d.instances.lazy(), d.cases.lazy(), spec)
    assert_frame_equal(selected, expected_cases.collect())
    assert_frame_equal(instances, expected_instances.collect())
    assert selected.height == cases
    # A view that keeps every case holds no copy of the steps.
    assert (instances is d.instances) == (cases == d.cases.height)
