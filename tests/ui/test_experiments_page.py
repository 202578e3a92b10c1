"""The Experiments page in AppTest: the demo's verdicts, trying a change, editing and deleting,
exports, tables in one unit, the windows' cases."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.compare import Comparison, compare
from metrics.derived import derive_all
from metrics.selection import select_cases
from metrics.windows import Side
from model import DAY, HOUR
from tests.metrics.test_compare import CHANGE, Truth, synthetic
from tests.ui import apptest
from tests.ui.apptest import no_exceptions, open_expander, run_app
from ui.experiments_screen import EDITING, TRYING, window_selection
from warehouse import Warehouse
from warehouse.experiments import experiments

PAGE = "app_pages/experiments.py"


def _text(at: object) -> str:
    parts = []
    for kind in ("markdown", "caption", "success", "warning", "info", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def test_the_demos_two_changes_show_their_verdicts(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Experiments"
    table = at.dataframe[0].value
    verdicts = dict(zip(table["Experiment"], table["Verdict"], strict=True))
    assert verdicts == {
        "Sample approval by video call": "faster",
        "Second label designer": "waiting moved",
    }
    # Latest change first: the label designer is shown.
    assert at.selectbox(key="exp_choice").value == 2
    assert any(
        w.value.startswith("**Waiting moved from Label approval to Materials:**")
        for w in at.warning
    )
    assert at.query_params["p_experiment"] in ("2", ["2"])
    at.selectbox(key="exp_choice").set_value(1).run()
    no_exceptions(at)
    assert any(s.value.startswith("**Faster:** the median lead time fell") for s in at.success)
    metrics = {m.label: m for m in at.metric}
    assert metrics["Median lead time"].value == "30.2 d"
    assert "50" in metrics["Median lead time"].help or "55" in metrics["Median lead time"].help
    assert not at.error  # no quality warning on the demo


def test_a_link_opens_one_experiment(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSM_DB", str(demo_copy))
    at = run_app(demo_copy, None, monkeypatch)
    at.query_params["p_experiment"] = "1"
    at.switch_page(PAGE)
    at.run()
    no_exceptions(at)
    assert at.selectbox(key="exp_choice").value == 1


def test_try_a_change_then_save_it(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_expander(run_app(demo_copy, PAGE, monkeypatch), TRYING)
    at.selectbox(key="try_offering").set_value("Custom formulation")
    at.date_input(key="try_date").set_value(date(2026, 6, 1))
    at.button(key="try_preview").click()
    at.run()
    no_exceptions(at)
    assert "**Verdict for a change in Custom formulation on 1 Jun 2026 00:00 UTC**" in _text(at)
    assert "**Faster:** the median lead time fell" in _text(at)
    at.text_input(key="try_what").set_value("Video approval, tried again")
    at.button(key="try_save").click()
    at.run()
    no_exceptions(at)
    assert any("Saved as a new experiment" in s.value for s in at.success)
    with Warehouse.open(demo_copy) as wh:
        frame = experiments(wh).sort("id")
    assert frame.height == 3
    new = frame.row(2, named=True)
    assert new["name"] == "Custom formulation: change on 1 Jun 2026"
    assert new["changed_at"] == datetime(2026, 6, 1, tzinfo=UTC)
    assert (new["what_changed"], new["before_days"], new["is_demo"]) == (
        "Video approval, tried again",
        14,
        False,
    )
    # The new experiment is the one shown now.
    assert at.selectbox(key="exp_choice").value == new["id"]


def test_decide_edit_and_delete(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="exp_status_2").set_value("reverted").run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        assert experiments(wh).filter(experiments(wh)["id"] == 2)["status"].to_list() == [
            "reverted"
        ]
    assert "Reverted" in at.dataframe[0].value["Decision"].to_list()

    at = open_expander(at, EDITING)
    at.number_input(key="edit_after").set_value(5)
    at.text_input(key="edit_name").set_value("Second designer, short look")
    at.button[[b.label for b in at.button].index("Save changes")].click()
    at.run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        row = experiments(wh).filter(experiments(wh)["id"] == 2).row(0, named=True)
    assert (row["name"], row["after_days"]) == ("Second designer, short look", 5)
    # Five days after the change give too few completed cases for a verdict.
    table = at.dataframe[0].value
    short = table.loc[table["Experiment"] == "Second designer, short look", "Verdict"]
    assert short.tolist() == ["too few cases"]

    assert at.button(key="edit_delete").disabled
    at.checkbox(key="edit_delete_sure").check().run()
    at.button(key="edit_delete").click().run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        assert experiments(wh)["id"].to_list() == [1]
    assert at.selectbox(key="exp_choice").value == 1
    # The experiment shown next opens with its form folded.
    assert not any(i.key == "edit_name" for i in at.text_input)


def test_the_page_on_an_empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(tmp_path / "empty.duckdb", PAGE, monkeypatch)
    no_exceptions(at)
    assert any("There is no data yet" in i.value for i in at.info)


def test_an_experiment_whose_offering_has_no_cases(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse.experiments import create_experiment

    with Warehouse.open(demo_copy) as wh:
        create_experiment(
            wh, name="Gone", offering="Old stream", changed_at=datetime(2026, 9, 1, tzinfo=UTC)
        )
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert at.selectbox(key="exp_choice").value == 3
    assert any("no cases of **Old stream**" in w.value for w in at.warning)


def test_where_the_waiting_went_names_the_steps_the_verdict_rests_on(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "The wait clearly fell before Label approval and rose before Materials" in captions
    assert "after Holm's correction for the 10 steps tested" in captions
    at.selectbox(key="exp_choice").set_value(1).run()
    no_exceptions(at)
    # June: Sample approval's wait per case fell, but its test could be chance, so no
    # step is named and the verdict rests on lead time alone.
    captions = "\n".join(apptest.shown(str(c.value)) for c in at.caption)
    assert "No step's wait changed clearly: every difference could be chance." in captions


def test_a_typed_date_applies_on_preview_and_the_verdict_names_its_date(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_expander(run_app(demo_copy, PAGE, monkeypatch), TRYING)
    at.selectbox(key="try_offering").set_value("Custom formulation")
    at.date_input(key="try_date").set_value(date(2026, 6, 1))
    at.button(key="try_preview").click()
    at.run()
    assert "**Faster:** the median lead time fell" in _text(at)
    # A new date typed but not applied: the verdict still names the day it is for, and the
    # form says plainly how to bring it up to date.
    at.date_input(key="try_date").set_value(date(2026, 8, 1))
    at.run()
    no_exceptions(at)
    text = _text(at)
    assert "on 1 Jun 2026 00:00 UTC**" in text and "on 1 Aug 2026" not in text
    assert "**Faster:** the median lead time fell" in text
    assert any(
        "Press **Preview** (or Enter) to apply it: until then the verdict below is still "
        "the one for the offering, day and windows it names." in str(c.value)
        for c in at.caption
    )
    at.date_input(key="try_date").set_value(date(2026, 8, 1))
    at.number_input(key="try_after").set_value(28)
    at.button(key="try_preview").click()
    at.run()
    no_exceptions(at)
    text = _text(at)
    assert (
        "**Verdict for a change in Custom formulation on 1 Aug 2026 00:00 UTC**, comparing "
        "the 14 days before with the 28 days after:" in text
    )
    assert (
        "**No detectable change:** median lead time 32.0 d before (42 cases) and 31.9 d after "
        "(112 cases)" in text
    )
    # Nothing was saved by previewing.
    with Warehouse.open(demo_copy) as wh:
        assert experiments(wh).height == 2


# --- exports, tables, units, drill-down, colours --------------------------------------

EXPORTS = {
    "exp_list_csv",
    *(
        f"exp_{chart}_{kind}"
        for chart in ("lead", "effects", "waits", "xmr")
        for kind in ("png", "svg")
    ),
    *(f"exp_{table}_csv" for table in ("effects", "waits", "xmr")),
}
UNIT = re.compile(r"\((d|h|min)\)$")
TIME_TILES = ("Median lead time", "p85 lead time", "Median wait time")


def _downloads(at: AppTest) -> set[str]:
    return {d.proto.id.split("-", 2)[-1] for d in at.get("download_button")}


def test_the_edit_form_is_drawn_only_when_opened(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert [e.label for e in at.expander][-1] == "Edit or delete this experiment"
    assert not any(i.key == "edit_name" for i in at.text_input)
    assert not at.get("date_input") and not at.get("time_input") and not at.text_area
    at = open_expander(at, EDITING)
    no_exceptions(at)
    assert at.text_input(key="edit_name").value == "Second label designer"
    assert at.number_input(key="edit_after").value == 14
    # Folded and opened again, the form holds the record again, not empty fields.
    at.session_state[EDITING] = False
    at.run().run()
    at = open_expander(at, EDITING)
    no_exceptions(at)
    assert at.text_input(key="edit_name").value == "Second label designer"
    assert at.number_input(key="edit_after").value == 14


def test_every_chart_and_table_exports(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert _downloads(at) == EXPORTS
    # Every table shown has its CSV, and only the four tables of the page are shown.
    assert len(at.dataframe) == 4 == len([k for k in _downloads(at) if k.endswith("_csv")])


@pytest.mark.parametrize("exp_id", [1, 2])
def test_tables_and_tiles_read_in_one_unit_without_none(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch, exp_id: int
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="exp_choice").set_value(exp_id).run()
    no_exceptions(at)
    for shown in at.dataframe:
        table = shown.value
        assert not table.isna().any().any(), table
        assert "None" not in table.astype(str).to_numpy()
        units = {m.group(1) for column in table.columns if (m := UNIT.search(str(column)))}
        assert len(units) <= 1, table.columns
    tiles = {m.label: m for m in at.metric}
    for label in TIME_TILES:
        tile = tiles[label]
        parts = (tile.value, tile.proto.delta, tile.proto.delta_description)
        assert len({p.rsplit(" ", 1)[-1] for p in parts}) == 1, parts


def test_the_tables_carry_the_comparisons_own_figures(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    c = _comparisons(demo_copy)[2]
    effects = at.dataframe[1].value.set_index("Measure")
    assert effects.loc["Lead time", "Median before (d)"] == round(c.lead.before_p50 / DAY, 2)
    assert effects.loc["Lead time", "Values after"] == c.after.completed == 30
    assert effects.loc["Lead time", "p corrected for the steps tested (Holm)"] == "–"
    waits = at.dataframe[2].value.set_index("Wait before")
    (materials,) = [s for s in c.step_wait_shift if s.activity == "Materials"]
    assert waits.loc["Materials", "Change"] == "clearly longer"
    # Most steps wait under two days per case: this table reads in hours.
    assert waits.loc["Materials", "Per case after (h)"] == round(
        materials.after_per_case_s / HOUR, 2
    )
    points = at.dataframe[3].value
    assert len(points) == c.points.height
    assert points["Signals"].ne("–").sum() == c.points["signal"].sum()


def test_the_process_behaviour_charts_say_which_rule_fired_how_often(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="exp_choice").set_value(1).run()
    no_exceptions(at)
    captions = "\n".join(str(c.value) for c in at.caption)
    assert (
        "Only Wheeler's three detection rules are marked: rule 1: beyond a limit: 7 points "
        "(4 after the change); rule 2: 3 of 4 nearer a limit than the centre: 16 points (13 "
        "after the change); rule 3: 8 in a row on one side of the centre: 93 points (93 after "
        "the change)." in captions
    )
    assert "6 of them rise above the upper range limit (3.268 ×" in captions
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    titles = [
        layer["encoding"]["y"].get("title")
        for spec in specs
        for layer in spec.get("layer", [])
        if "y" in layer.get("encoding", {}) and isinstance(layer["encoding"]["y"], dict)
    ]
    assert "Lead time (days)" in titles and "Moving range (days)" in titles


def _comparisons(db: Path) -> dict[int, Comparison]:
    """Each recorded experiment's comparison, computed by the engine from the warehouse."""
    with Warehouse.open(db) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
        records = experiments(wh)
    return {
        row["id"]: compare(
            d.instances.lazy(),
            d.cases.lazy(),
            row["offering"],
            row["changed_at"],
            row["before_days"],
            row["after_days"],
        )
        for row in records.iter_rows(named=True)
    }


def _window_cases(c: Comparison, side: Side) -> list[str]:
    return sorted(c.compared.filter(pl.col("window") == side)["case_id"].to_list())


def test_each_window_opens_exactly_the_cases_it_compared(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Warehouse.open(demo_copy) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    comparisons = _comparisons(demo_copy)
    for c in comparisons.values():
        for side in ("before", "after"):
            listed = select_cases(d.instances.lazy(), d.cases.lazy(), window_selection(c, side))
            ids = sorted(listed.collect()["case_id"].to_list())
            assert ids == _window_cases(c, side)
            assert len(ids) == (c.before if side == "before" else c.after).completed > 0
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    c = comparisons[2]
    links = {link.proto.label: link.proto for link in at.get("page_link")}
    assert set(links) == {
        "The 40 completed cases started before the change (18 Jul – 1 Aug)",
        "The 30 completed cases started after it (1 Aug – 15 Aug)",
    }
    for label, side in zip(sorted(links), ("after", "before"), strict=True):
        assert links[label].query_string == urlencode(window_selection(c, side).to_params())


def test_a_window_selection_on_a_synthetic_stream_with_open_cases_and_a_short_after() -> None:
    # The data ends 5 days after the change: the after window is cut short, and cases
    # still open at the end are started in both windows but not compared.
    truth = Truth(data_end=CHANGE + timedelta(days=5), per_day=6.0)
    instances, cases = synthetic(7, truth)
    c = compare(instances.lazy(), cases.lazy(), "Synthetic", CHANGE, 14, 14)
    assert cases.filter(~pl.col("completed")).height > 0
    for side in ("before", "after"):
        sel = window_selection(c, side)
        listed = select_cases(instances.lazy(), cases.lazy(), sel).collect()
        assert sorted(listed["case_id"].to_list()) == _window_cases(c, side)
        assert listed["completed"].all()


def test_no_offering_is_drawn_in_a_status_colour(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    offerings = {"Custom formulation", "Private label fulfillment", "Reverse engineering"}
    for exp_id in (2, 1):
        at.selectbox(key="exp_choice").set_value(exp_id).run()
        no_exceptions(at)
        for chart in at.get("vega_lite_chart"):
            # No chart colours anything by offering: it shows one offering's cases.
            assert '"field": "offering"' not in chart.proto.spec.replace('":"', '": "')
        coloured = [str(e.value) for e in (*at.success, *at.error)]
        coloured += [
            part
            for e in at.markdown
            for part in re.findall(r":(?:red|green)\[[^\]]*\]", str(e.value))
        ]
        assert not [text for text in coloured for o in offerings if o in text]


@pytest.fixture
def mixed_copy(demo_copy: Path, real_dir: Path) -> Path:
    """The demo beside two historical logs (2010-2012): offerings years apart."""
    from pipelines.ingest import ingest

    with Warehouse.open(demo_copy) as wh:
        for name in ("receipt.csv", "running-example.csv"):
            ingest(wh, real_dir / name)
    return demo_copy


def test_a_historical_offering_tried_on_a_recent_day_says_where_its_cases_are(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_expander(run_app(mixed_copy, PAGE, monkeypatch), TRYING)
    at.selectbox(key="try_offering").set_value("receipt")
    at.button(key="try_preview").click()
    at.run()
    no_exceptions(at)
    assert (
        "No case of receipt started in these windows: its cases started between 2 Oct 2010 "
        "and" in "\n".join(str(c.value) for c in at.caption)
    )
    at.selectbox(key="try_offering").set_value("receipt")
    at.date_input(key="try_date").set_value(date(2011, 6, 1))
    at.button(key="try_preview").click()
    at.run()
    no_exceptions(at)
    text = _text(at)
    assert "**Verdict for a change in receipt on 1 Jun 2011 00:00 UTC**" in text
    assert "28 completed cases started before the change and 10 after it" in text
    assert "No case of receipt started in these windows" not in text
