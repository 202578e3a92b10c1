"""A big view's figure, computed in a process of its own (ui.views._worth_apart): the
same figure the app computes, with the app holding only the view's cases and it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics import figures
from metrics.filters import CaseFilter
from tests.ui.conftest import step_thread_done
from ui import views
from warehouse import derived as derived_module

VIEW = CaseFilter(offerings=("Custom formulation",), window_days=200)
"""A view whose figures are not stored: the pages compute them."""

FIGURES = (figures.waits_by_step, figures.unchanged, figures.value_stream)


def _computed() -> dict[str, Any]:
    views._figure.clear()
    return {f.__name__: views.view_figure(VIEW, f) for f in FIGURES}


def test_a_big_views_figures_are_computed_apart_as_they_are_here(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ui.apptest import no_exceptions, run_app

    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")  # scanned, from the step files
    monkeypatch.setenv("VSM_APART_MIN_STEPS", "1")  # every view counts as big
    monkeypatch.setattr(derived_module, "_apart", [None])  # restored after the test
    at = run_app(demo_copy, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    step_thread_done()
    d = views.derived()
    assert not d.in_memory
    _, cases = views.view(VIEW)
    of_offering = int((d.cases["offering"] == "Custom formulation").sum())
    assert 0 < cases.height < of_offering
    real, seen = views.run_apart, []

    def watched(function: Any, *args: Any, **given: Any) -> Any:
        seen.append(args[0].__name__)
        return real(function, *args, **given)

    monkeypatch.setattr(views, "run_apart", watched)
    apart = _computed()
    assert seen == ["waits_by_step", "unchanged", "value_stream"]

    derived_module.compute_apart(None)  # the same figures, computed here
    here = _computed()
    assert len(seen) == 3
    assert isinstance(apart["waits_by_step"], pl.DataFrame) and apart["waits_by_step"].height
    assert_frame_equal(apart["waits_by_step"], here["waits_by_step"])
    for name in ("unchanged", "value_stream"):
        assert figures.encode(apart[name]) == figures.encode(here[name]), name


def test_a_view_that_cannot_be_computed_apart_is_computed_here(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that fails (here: killed at once) leaves the figure to the app, logged."""
    from tests.ui.apptest import no_exceptions, run_app
    from warehouse.apart import ApartFailed

    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    monkeypatch.setenv("VSM_APART_MIN_STEPS", "1")
    monkeypatch.setattr(derived_module, "_apart", [None])
    at = run_app(demo_copy, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    step_thread_done()
    tried: list[str] = []

    def fails(function: Any, *args: Any, **given: Any) -> Any:
        tried.append(args[0].__name__)
        raise ApartFailed("figures:computed ended without a result (exit code -9)")

    monkeypatch.setattr(views, "run_apart", fails)
    views._figure.clear()
    found = views.view_figure(VIEW, figures.waits_by_step)
    assert tried == ["waits_by_step"]
    derived_module.compute_apart(None)
    views._figure.clear()
    assert_frame_equal(found, views.view_figure(VIEW, figures.waits_by_step))
    assert len(tried) == 1
