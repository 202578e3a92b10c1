"""The Compare offerings page in AppTest: empty state, the scorecard's numbers, the offering filter."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.cases import case_table
from metrics.derive import derive_instances
from metrics.summary import case_summary
from tests.ui.apptest import no_exceptions, run_app
from ui.format import count, duration_text, share
from warehouse import Warehouse

PAGE = "app_pages/compare.py"
OFFERINGS = ["Custom formulation", "Private label fulfillment", "Reverse engineering"]


def test_empty_warehouse_shows_the_empty_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "empty.duckdb", PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Compare offerings"
    assert any("There is no data yet" in i.value for i in at.info)


def test_scorecard_shows_the_engines_figures_per_offering(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        instances = derive_instances(wh.events().lazy(), wh.catalog().lazy()).collect()
    summary = case_summary(case_table(instances.lazy()), by=("offering",)).collect()
    card = at.dataframe[0].value.set_index("Offering")
    assert list(card.index) == OFFERINGS
    for row in summary.iter_rows(named=True):
        column = card.loc[row["offering"]]
        assert column["Cases in view"] == count(row["cases"])
        assert column["Median lead time"] == duration_text(row["lead_time_s_p50"])
        assert column["p85 lead time"] == duration_text(row["lead_time_s_p85"])
        assert column["Rework"] == share(row["rework_case_share"])
        assert column["PCE"] == share(row["pce"])
    assert card.loc["Custom formulation"]["Bottleneck"].startswith("Sample approval (")
    assert len(at.get("vega_lite_chart")) == 4  # lead-time panels, PCE, rework, throughput
    # The scorecard's CSV; PNG and SVG of the lead-time panels, PCE, rework and throughput;
    # the histogram's numbers as CSV.
    assert len(at.get("download_button")) == 10


def test_the_sidebar_offering_filter_narrows_the_comparison(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.multiselect(key="f_offerings").set_value(["Reverse engineering"])
    at.run()
    no_exceptions(at)
    assert list(at.dataframe[0].value["Offering"]) == ["Reverse engineering"]
    assert any("Only one offering is in view" in i.value for i in at.info)


def test_a_filter_that_keeps_one_offerings_cases_says_which_it_dropped(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A variant is one offering's: with every offering in the sidebar, Compare shows that
    offering alone and says the filter, not the sidebar's offerings, dropped the others."""
    at = run_app(demo_copy, PAGE, monkeypatch)
    variants = at.multiselect(key="f_variants")
    variants.set_value([variants.options[0]]).run()
    no_exceptions(at)
    assert list(at.dataframe[0].value["Offering"]) == ["Custom formulation"]
    notes = [i.value for i in at.info if i.value.startswith("Only ")]
    assert notes == [
        "Only Custom formulation has cases in this view: the filters (all cases, 1 chosen "
        "variant) keep none of Private label fulfillment, Reverse engineering. Widen them in "
        "the sidebar to compare."
    ]


def test_the_scorecard_says_when_stream_health_shows_another_period(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    captions = " ".join(c.value for c in at.caption)
    # All time here, while Stream health falls back to each offering's last 30 days.
    assert "Stream health, with no time window chosen, shows each offering's last 30 days" in (
        captions
    )
    assert "the same figures as on Stream health" not in captions
    at.selectbox(key="f_period").set_value("90d")
    at.run()
    no_exceptions(at)
    captions = " ".join(c.value for c in at.caption)
    assert "the same figures as on Stream health for that period" in captions
    assert "with no time window chosen" not in captions


def test_a_windows_scorecard_is_computed_once_per_view(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window whose scorecard is not stored (custom dates) computes it once: the page's
    next run reads it again, and other dates compute theirs."""
    import ui.compare_screen

    calls: list[int] = []
    real = ui.compare_screen._windowed

    def counted(instances: pl.LazyFrame, cases: pl.DataFrame, bounds: pl.DataFrame) -> object:
        calls.append(cases.height)
        return real(instances, cases, bounds)

    monkeypatch.setattr(ui.compare_screen, "_windowed", counted)
    at = run_app(demo_copy, PAGE, monkeypatch)
    assert calls == []  # all time: the stored scorecard of every case
    at.selectbox(key="f_period").set_value("custom").run()  # the last 90 days, as dates
    no_exceptions(at)
    card = at.dataframe[0].value
    assert len(calls) == 1 and 0 < calls[0] < 2791
    at.run()
    no_exceptions(at)
    assert len(calls) == 1
    assert at.dataframe[0].value.equals(card)
    at.date_input(key="f_from").set_value(date(2026, 1, 1)).run()
    no_exceptions(at)
    assert len(calls) == 2 and calls[1] > calls[0]
    assert not at.dataframe[0].value.equals(card)


def test_a_windowed_scorecard_computed_offering_by_offering_is_the_whole_views(
    demo_db: Path,
) -> None:
    """With a time window the scorecard is computed one offering at a time (each with its
    own steps only): the same rows as computed at once, and as each offering's
    metrics.figures.window_scorecard of the last 90 days (which the step-file thread
    stores)."""
    from polars.testing import assert_frame_equal

    from metrics import figures
    from metrics.periods import period_bounds
    from metrics.scorecard import scorecard
    from ui.compare_screen import _windowed
    from ui.views import each_offering
    from warehouse.derived import load_derivation

    with Warehouse.open(demo_db) as wh:
        d = load_derivation(wh)
    bounds = period_bounds(d.cases.lazy(), days=90).collect()
    whole = scorecard(d.instances.lazy(), d.cases.lazy(), bounds=bounds.lazy()).collect()
    card = _windowed(d.instances.lazy(), d.cases, bounds)
    assert_frame_equal(card, whole)
    stored_kind = each_offering(
        d.cases,
        lambda offering, own: figures.window_scorecard(
            d.instances.lazy().filter(pl.col("offering") == offering), own, 90
        ),
    )
    assert_frame_equal(stored_kind, whole)
    assert card["offering"].to_list() == OFFERINGS
    assert card["completed_in_period"].min() > 50
