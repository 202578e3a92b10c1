"""The Experiments page in AppTest: the demo's verdicts, trying a change, editing and deleting."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.ui.apptest import no_exceptions, run_app
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
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="try_offering").set_value("Custom formulation")
    at.date_input(key="try_date").set_value(date(2026, 6, 1))
    at.run()
    no_exceptions(at)
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
    assert new["name"] == "Custom formulation: change on 01 Jun 2026"
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
    captions = "\n".join(str(c.value) for c in at.caption)
    assert "No step's wait changed clearly: every difference could be chance." in captions
