"""The Future state page in AppTest: start from today's map or a napkin, edit the stages,
save versions, and the conformance shown equals `python -m metrics.conformance`'s; an
experiment names a future state and shows conformance before and after."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tests.cli_runner import run_cli
from tests.ui.apptest import no_exceptions, open_expander, run_app
from ui.experiments_screen import EDITING as EDITING_EXPERIMENT
from ui.future_state_screen import EDITING
from warehouse import Warehouse
from warehouse.future_states import future_states, save_future_state

PAGE = "app_pages/future_state.py"
OFFERING = "Custom formulation"
MAP = [
    "Sales inquiry",
    "Quote",
    "Order confirmed",
    "Formulation",
    "Sample sent",
    "Sample approval",
    "Raw materials ordered",
    "Packaging ordered",
    "Production",
    "QC release",
    "Packing",
    "Shipping",
    "Invoice",
]


def _conformance(
    db: Path, document: dict[str, Any], *window: str, offering: str = OFFERING
) -> dict[str, Any]:
    path = db.parent / "future-state.json"
    path.write_text(json.dumps(document))
    done = run_cli(
        "conformance", "--db", str(db), "--offering", offering, "--future-state", str(path),
        *window, "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _headline(at: Any) -> tuple[int, int]:
    """(conforming, completed) as the page's headline says them."""
    for m in at.markdown:
        found = re.match(r"\*\*([\d,]+) of the ([\d,]+) completed cases", str(m.value))
        if found:
            return int(found[1].replace(",", "")), int(found[2].replace(",", ""))
    raise AssertionError("no conformance headline")


def _table(at: Any, column: str) -> Any:
    """The first table on the page with `column`."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _stages(at: Any) -> list[list[str]]:
    stages, index = [], 0
    while True:
        try:
            stages.append(list(at.multiselect(key=f"fs_stage_{index}").value))
        except KeyError:
            return stages
        index += 1


def _editing(at: Any) -> Any:
    """Open the expander that holds the stages' widgets (as a click on it does)."""
    at.session_state[EDITING] = True
    return at.run()


def test_start_from_the_map_edit_save_versions_and_see_conformance(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Future state"
    # The stages' widgets are drawn only once their expander is opened.
    assert _stages(at) == [] and not any(b.key == "fs_add" for b in at.button)
    assert [e.label for e in at.expander if e.label.startswith("Edit")] == ["Edit the stages"]
    # A first visit drafts today's map, one stage per box.
    assert _stages(_editing(at)) == [[step] for step in MAP]
    assert at.text_input(key="fs_name").value == f"{OFFERING}: future state"
    draft = {"name": f"{OFFERING}: future state", "stages": MAP}
    expected = _conformance(demo_copy, draft)
    assert _headline(at) == (expected["conforming"], expected["cases"])

    # The materials are ordered in parallel; samples are optional; then save.
    at.multiselect(key="fs_stage_6").set_value(["Raw materials ordered", "Packaging ordered"])
    at.run()
    at.button(key="fs_del_7").click().run()
    at.multiselect(key="fs_optional").set_value(["Sample sent", "Sample approval"])
    at.text_input(key="fs_name").set_value("Parallel materials").run()
    no_exceptions(at)
    stages: list[Any] = [*MAP[:6], ["Raw materials ordered", "Packaging ordered"], *MAP[8:]]
    plan = {
        "name": "Parallel materials",
        "stages": stages,
        "optional": ["Sample approval", "Sample sent"],
    }
    expected = _conformance(demo_copy, plan)
    assert expected["conforming"] > 0
    assert _headline(at) == (expected["conforming"], expected["cases"])

    at.button(key="fs_save").click().run()
    no_exceptions(at)
    assert any("Saved “Parallel materials” as version 1." in s.value for s in at.success)
    assert at.button(key="fs_save").disabled  # nothing new to save
    # Moving a stage makes a second version.
    at.button(key="fs_down_0").click().run()
    assert _stages(at)[:2] == [["Quote"], ["Sales inquiry"]]
    at.button(key="fs_save").click().run()
    with Warehouse.open(demo_copy) as wh:
        saved = future_states(wh, OFFERING)
    assert saved.select("name", "version").rows() == [
        ("Parallel materials", 2),
        ("Parallel materials", 1),
    ]
    assert json.loads(saved["definition"][1]) == plan
    assert saved["saved_by"].to_list() == ["local user (no sign-in)"] * 2

    # A fresh session opens on the latest saved version.
    again = run_app(demo_copy, PAGE, monkeypatch)
    assert again.text_input(key="fs_name").value == "Parallel materials"
    assert _stages(_editing(again))[:2] == [["Quote"], ["Sales inquiry"]]


def test_a_napkin_map_and_the_cases_of_a_deviation(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="fs_source").set_value("blank").run()
    at.button(key="fs_load").click().run()
    no_exceptions(at)
    assert _stages(at) == [[]]
    assert any("Stage 1 is an empty list" in w.value for w in at.warning)
    assert at.button(key="fs_save").disabled
    # Typed in from the napkin: a step the data has never seen is simply missing in every case.
    at.multiselect(key="fs_stage_0").set_value(["Quote"]).run()
    at.button(key="fs_add").click().run()
    at.multiselect(key="fs_stage_1").set_value(["Taste panel"]).run()
    at.button(key="fs_add").click().run()
    at.multiselect(key="fs_stage_2").set_value(["Production"]).run()
    no_exceptions(at)
    napkin = {"name": "Napkin map", "stages": ["Quote", "Taste panel", "Production"]}
    expected = _conformance(demo_copy, napkin)
    assert _headline(at) == (0, expected["cases"])
    table = _table(at, "Deviation")
    deviations = {(row["Deviation"], row["Step"]): row["Cases"] for _, row in table.iterrows()}
    words = {
        "missing": "missing step",
        "extra": "extra step",
        "repeated": "repeated step",
        "order": "out of order",
    }
    assert deviations == {(words[d["kind"]], d["step"]): d["cases"] for d in expected["deviations"]}
    assert deviations[("missing step", "Taste panel")] == expected["cases"]

    # Each deviation opens its cases.
    repeated = next(d for d in expected["deviations"] if d["kind"] == "repeated")
    at.selectbox(key="fs_deviation").set_value(f"repeated|{repeated['step']}").run()
    no_exceptions(at)
    cases = _table(at, "Its steps, in order")
    assert len(cases) == repeated["cases"]
    assert all(row.count(repeated["step"]) > 1 for row in cases["Its steps, in order"])
    # A long list shows its latest cases up to a bound; the caption says how many there are.
    monkeypatch.setattr("ui.future_state_screen.MAX_PATH_ROWS", 50)
    at.selectbox(key="fs_deviation").set_value("missing|Taste panel").run()
    no_exceptions(at)
    cases = _table(at, "Its steps, in order")
    assert len(cases) == 50
    n = expected["cases"]
    assert any(f"Showing the 50 latest of the {n:,} completed cases" in c.value for c in at.caption)
    assert any(f"{n:,} completed cases with this deviation" in c.value for c in at.caption)
    assert list(cases["Completed"]) == sorted(cases["Completed"], reverse=True)

    # The cases of a deviation are searched for once: the page's next run reads them kept.
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("searched the cases of a deviation again")

    with monkeypatch.context() as m:
        m.setattr(pl.DataFrame, "join", refuse)
        at.run()
        no_exceptions(at)
        assert len(_table(at, "Its steps, in order")) == 50
        seen = {f"repeated|{repeated['step']}", "missing|Taste panel"}
        other = next(
            f"{d['kind']}|{d['step']}"
            for d in expected["deviations"][1:]
            if f"{d['kind']}|{d['step']}" not in seen
        )
        at.selectbox(key="fs_deviation").set_value(other).run()
        assert at.exception  # a deviation not listed yet: searched


def test_an_experiment_shows_conformance_before_and_after(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = {
        "name": "One designer pass",
        "stages": ["Sales inquiry", "Quote", "Order confirmed", "Label design", "Label approval",
                   "Materials", "Production", "QC", "Packing", "Shipping", "Invoice"],
    }  # fmt: skip
    with Warehouse.open(demo_copy) as wh:
        stored = save_future_state(wh, "Private label fulfillment", plan)
    at = run_app(demo_copy, "app_pages/experiments.py", monkeypatch)
    assert at.selectbox(key="exp_choice").value == 2  # the Private label change of 1 Aug 2026
    assert any("names no future state" in c.value for c in at.caption)
    # Choose it in the experiment's form (drawn once its expander is open).
    assert not any(s.key == "edit_future_state" for s in at.selectbox)
    open_expander(at, EDITING_EXPERIMENT)
    at.selectbox(key="edit_future_state").set_value(stored.id)
    at.button[[b.label for b in at.button].index("Save changes")].click()
    at.run()
    no_exceptions(at)
    tiles = {m.label: m.value for m in at.metric}
    before = _conformance(
        demo_copy, plan, "--from", "2026-07-18", "--to", "2026-07-31", "--window", "started",
        offering="Private label fulfillment",
    )  # fmt: skip
    after = _conformance(
        demo_copy, plan, "--from", "2026-08-01", "--to", "2026-08-14", "--window", "started",
        offering="Private label fulfillment",
    )  # fmt: skip
    assert tiles["Before the change"] == f"{before['conforming_share'] * 100:.0f}%"
    assert tiles["After"] == f"{after['conforming_share'] * 100:.0f}%"
    assert any("Following the future state “One designer pass”" in m.value for m in at.markdown)


def test_the_page_on_an_empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(tmp_path / "empty.duckdb", PAGE, monkeypatch)
    no_exceptions(at)
    assert any("There is no data yet" in i.value for i in at.info)


def test_the_first_draft_is_read_as_stored_and_another_view_draws_its_map_once(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draft from today's map, over every case of the offering, is read as stored
    with the derivation; another view draws its map once; conformance counts completed
    cases alone, so "Completed cases only" reads it as stored too, and another draft is
    checked once for the view with it on and off."""
    import metrics.figures
    import ui.future_state_screen

    calls: list[str] = []
    for module, name in (
        (metrics.figures, "_value_stream"),
        (ui.future_state_screen, "case_conformance"),
        (metrics.figures, "case_conformance"),  # the draft of a view's own map, a figure of it
    ):
        real = getattr(module, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    stored = _headline(at)
    assert calls == []
    draft = {"name": f"{OFFERING}: future state", "stages": MAP}
    expected = _conformance(demo_copy, draft)
    assert stored == (expected["conforming"], expected["cases"])
    # Custom dates open on the last 90 days, a view of its own; dates that drop no case
    # are the view of every case, its map and conformance read as stored.
    at.selectbox(key="f_period").set_value("custom").run()
    assert calls == ["_value_stream", "case_conformance"]
    calls.clear()
    at.date_input(key="f_from").set_value(date(2001, 1, 1))
    at.date_input(key="f_to").set_value(date(2049, 12, 31)).run()
    no_exceptions(at)
    assert at.selectbox(key="f_period").value == "custom"
    assert calls == []
    assert _headline(at) == stored
    at.selectbox(key="f_period").set_value("all").run()
    # Completed cases only: today's map of those cases is drawn; the draft's conformance,
    # of completed cases anyway, is the stored one.
    at.sidebar.toggle[0].set_value(True).run()
    no_exceptions(at)
    assert calls == ["_value_stream"]
    assert _headline(at) == stored
    # Another draft: checked once, for the view with the toggle on and off alike.
    _editing(at).button(key="fs_del_3").click().run()  # no Formulation stage
    no_exceptions(at)
    assert calls == ["_value_stream", "case_conformance"]
    other = _conformance(demo_copy, {**draft, "stages": [*MAP[:3], *MAP[4:]]})
    assert other["conforming"] != expected["conforming"]
    assert _headline(at) == (other["conforming"], other["cases"])
    at.sidebar.toggle[0].set_value(False).run()
    no_exceptions(at)
    assert calls == ["_value_stream", "case_conformance"]
    assert _headline(at) == (other["conforming"], other["cases"])
