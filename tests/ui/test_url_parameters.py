"""A shared link with values the app cannot use opens the page on its defaults, with a
notice saying which part was not understood, never a traceback (the security review: a
custom window before 1970 crashed five pages)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO
from tests.ui.apptest import no_exceptions, shown

PAGES = [
    "app_pages/health.py",
    "app_pages/vsm.py",
    "app_pages/process_map.py",
    "app_pages/waits.py",
    "app_pages/compare.py",
    "app_pages/experiments.py",
    "app_pages/data.py",
]
GARBAGE = {
    "offering": "Nope <b>",
    "period": "custom",
    "from": "1800-01-01",
    "to": "not-a-date",
    "window": "sideways",
    "completed": "maybe",
    "p_offering": "[x](http://evil.example)",
    "p_log": "perhaps",
    "p_map": "$x$",
    "p_experiment": "999999",
}


def _open(db: Path, page: str, params: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=90)
    at.switch_page(page)
    at.query_params.update(params)
    at.run()
    return at


def _notices(elements: object) -> list[str]:
    return [shown(e.value) for e in elements if "This link's" in e.value]  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", PAGES)
def test_garbage_in_every_parameter_opens_the_page_with_a_notice(
    demo_copy: Path, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(demo_copy, page, GARBAGE, monkeypatch)
    no_exceptions(at)
    if page == "app_pages/data.py":
        return  # the Data page shows no filters: it reads none of these parameters
    if page == "app_pages/experiments.py":  # no filters either; its own choice is named
        assert any(
            n.startswith("This link's p_experiment=999999 is not") for n in _notices(at.info)
        )
        return
    assert _notices(at.sidebar.info) == [
        "This link's offering=Nope <b> is not something this page knows; it is not in the "
        "warehouse: the filter shows its default.",
        "This link's window=sideways is not something this page knows; showing cases in "
        "progress in the window: the filter shows its default.",
        "This link's completed=maybe is not something this page knows; showing every case: the "
        "filter shows its default.",
        "This link's from=1800-01-01 is not something this page knows; outside 1900 to 2199: "
        "the filter shows its default.",
        "This link's to=not-a-date is not something this page knows; not a date (YYYY-MM-DD): "
        "the filter shows its default.",
    ]


def test_a_custom_window_before_1970_shows_that_window(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"period": "custom", "from": "1969-12-01", "to": "2026-06-30"}
    at = _open(demo_copy, "app_pages/waits.py", params, monkeypatch)
    no_exceptions(at)
    assert at.date_input(key="f_from").value.isoformat() == "1969-12-01"
    assert _notices(at.sidebar.info) == []


def test_a_page_choice_the_page_does_not_know_is_named(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(demo_copy, "app_pages/waits.py", {"p_log": "perhaps"}, monkeypatch)
    no_exceptions(at)
    assert _notices(at.info) == [
        "This link's p_log=perhaps is not something this page knows; showing False."
    ]


def test_a_window_mode_left_from_an_earlier_window_selects_nothing_without_one() -> None:
    """With "All time" the sidebar keeps the mode it last showed (disabled): the view is
    every case's all the same, the one whose figures are stored (metrics.figures
    .view_prefix ""), whatever that mode."""
    from metrics import figures
    from metrics.filters import CaseFilter
    from ui.filters import ViewFilters

    every = ViewFilters(("A",), None, None, "started", True)
    assert every.spec() == CaseFilter(offerings=("A",), completed_only=True)
    assert figures.view_prefix(every.spec()) == figures.COMPLETED
    assert figures.view_prefix(ViewFilters(("A",), None, None, "completed", False).spec()) == ""
    # With a window the mode is the one chosen: "started in" is not a stored view.
    window = ViewFilters(("A",), None, None, "started", False, days=90)
    assert window.spec().window_mode == "started"
    assert figures.view_prefix(window.spec()) is None
    assert (
        figures.view_prefix(ViewFilters(("A",), None, None, "intersecting", False, 90).spec())
        == "90d:"
    )
