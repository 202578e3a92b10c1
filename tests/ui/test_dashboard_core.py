"""Stream health and the value stream map in AppTest: empty states and the numbers shown."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.cases import case_table
from metrics.derive import derive_instances
from metrics.filters import CaseFilter, apply_filters
from metrics.health import default_period, health
from metrics.vsm import ladder, vsm_steps
from tests.ui.apptest import no_exceptions, run_app
from ui.format import duration_text, share
from warehouse import Warehouse


def _param(at: object, key: str) -> list[str]:
    value = at.query_params[key]  # type: ignore[attr-defined]
    return [value] if isinstance(value, str) else list(value)


def _derived(db: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with Warehouse.open(db) as wh:
        events = wh.events()
        instances = derive_instances(events.lazy(), wh.catalog().lazy()).collect()
    return events, instances, case_table(instances.lazy()).collect()


def test_health_on_an_empty_warehouse_offers_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "empty.duckdb"
    at = run_app(db, "app_pages/health.py", monkeypatch)
    no_exceptions(at)
    assert any("There is no data yet" in i.value for i in at.info)
    at.button(key="load_demo").click()
    at.run()
    no_exceptions(at)
    assert at.title[0].value == "Stream health"
    with Warehouse.open(db) as wh:
        assert wh.offerings() == [
            "Custom formulation",
            "Private label fulfillment",
            "Reverse engineering",
        ]


def test_health_tiles_show_the_engines_figures(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, None, monkeypatch)
    no_exceptions(at)
    events, instances, cases = _derived(demo_copy)
    start, end = default_period(events["end"].max())
    rows = health(instances.lazy(), cases.lazy(), start, end).collect()
    expected = rows.filter(pl.col("offering") == "Private label fulfillment").row(0, named=True)
    # Tiles come in offering order, six metrics each.
    shown = [(m.label, m.value) for m in at.metric]
    labels = [label for label, _ in shown]
    assert labels[:6] == [
        "In progress",
        "Completed",
        "Median lead time",
        "p85 lead time",
        "PCE",
        "Rework",
    ]
    private = dict(shown[6:12])
    assert private["In progress"] == f"{expected['in_progress']:,}"
    assert private["Completed"] == f"{expected['completed']:,}"
    assert private["Median lead time"] == duration_text(expected["lead_time_s_p50"])
    assert private["PCE"] == share(expected["pce"])
    assert private["Rework"] == share(expected["rework_case_share"])
    assert any(f"**Bottleneck:** {expected['bottleneck']}" in c.value for c in at.caption)


def test_health_follows_the_offering_filter(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/health.py", monkeypatch)
    at.multiselect(key="f_offerings").set_value(["Reverse engineering"])
    at.run()
    no_exceptions(at)
    assert [m.label for m in at.metric].count("In progress") == 1
    assert _param(at, "offering") == ["Reverse engineering"]


def test_health_over_chosen_dates_is_computed_once_per_period(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dates chosen in the sidebar (no stored rows) compute the tiles' figures once: the
    page's next run reads them again, and other dates compute theirs, as the engine
    gives them for that period."""
    from datetime import UTC, datetime

    import ui.health_screen

    calls: list[int] = []

    def counted(*args: object, **kwargs: object) -> pl.LazyFrame:
        calls.append(1)
        return health(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ui.health_screen, "health", counted)
    at = run_app(demo_copy, "app_pages/health.py", monkeypatch)
    assert calls == []  # each offering's last 30 days: stored
    at.selectbox(key="f_period").set_value("custom").run()
    at.date_input(key="f_from").set_value(date(2026, 3, 1))
    at.date_input(key="f_to").set_value(date(2026, 5, 31)).run()
    no_exceptions(at)
    assert len(calls) == 2  # the default dates, then those chosen
    shown = [(m.label, m.value) for m in at.metric]
    at.run()
    no_exceptions(at)
    assert len(calls) == 2
    assert [(m.label, m.value) for m in at.metric] == shown
    _, instances, cases = _derived(demo_copy)
    rows = health(
        instances.lazy(),
        cases.lazy(),
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 6, 1, tzinfo=UTC),
    ).collect()
    custom = rows.filter(pl.col("offering") == "Custom formulation").row(0, named=True)
    assert dict(shown[:6])["Completed"] == f"{custom['completed']:,}"
    assert custom["completed"] > 0


def test_a_filter_that_leaves_no_case_says_so(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/health.py", monkeypatch)
    at.selectbox(key="f_period").set_value("custom")
    at.run()
    at.date_input(key="f_from").set_value(date(2001, 1, 1))
    at.date_input(key="f_to").set_value(date(2001, 1, 31))
    at.run()
    no_exceptions(at)
    assert any("No cases match the filters" in w.value for w in at.warning)


def test_vsm_page_shows_the_offering_map(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_copy, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    at.selectbox(key="vsm_offering").set_value("Private label fulfillment")
    at.run()
    no_exceptions(at)
    _, instances, cases = _derived(demo_copy)
    inst, sel = apply_filters(
        instances.lazy(), cases.lazy(), CaseFilter(offerings=("Private label fulfillment",))
    )
    sel_cases = sel.collect()
    totals = ladder(vsm_steps(inst, sel).collect())
    text = " ".join(m.value for m in at.markdown)
    assert (
        f"**{sel_cases.height:,} cases** ({int(sel_cases['completed'].sum()):,} completed)" in text
    )
    captions = " ".join(c.value for c in at.caption)
    assert (
        f"Its lead time, {duration_text(totals['lead_s'])}, is the sum of the steps' median "
        "waits and times along that path" in captions
    )
    assert _param(at, "p_offering") == ["Private label fulfillment"]
    assert len(at.get("vega_lite_chart")) == 1


def test_more_filters_keep_the_cases_of_an_attribute_value_and_go_in_the_link(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics.filters import cases_with_attributes

    at = run_app(demo_copy, "app_pages/compare.py", monkeypatch)
    at.selectbox(key="f_attribute").set_value("customer")
    at.run()
    at.multiselect(key="f_values").set_value(["Harbor Home Care"])
    at.run()
    no_exceptions(at)
    events, _, _ = _derived(demo_copy)
    expected = cases_with_attributes(events.lazy(), {"customer": ["Harbor Home Care"]}).collect()
    per_offering = expected.group_by("offering").len().sort("offering")
    card = at.dataframe[0].value.set_index("Offering")
    assert [int(card.loc[o]["Cases in view"].replace(",", "")) for o in card.index] == (
        per_offering["len"].to_list()
    )
    assert _param(at, "attr") == ["customer"] and _param(at, "attr_value") == ["Harbor Home Care"]
