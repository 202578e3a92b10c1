"""The Redesign page in AppTest: changes chosen by widget key project exactly what
`python -m metrics.whatif` projects for the same cases; the link carries them; "Try it
for two weeks" records the experiment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from metrics.stats import duration_text
from tests.cli_runner import run_cli
from tests.ui.apptest import no_exceptions, run_app, shown
from warehouse import Warehouse
from warehouse.experiments import experiments

PAGE = "app_pages/redesign.py"
OFFERING = "Custom formulation"


def _whatif(db: Path, offering: str, *changes: str) -> dict[str, Any]:
    done = run_cli("whatif", "--db", str(db), "--offering", offering, *changes, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _shows(at: Any, figures: dict[str, Any]) -> None:
    """The page's tiles are the command line's figures, written as every page writes them."""
    tiles = {m.label: m for m in at.metric}
    today, ahead = figures["baseline"]["lead_time_s"], figures["projected"]["lead_time_s"]
    for name, label in (
        ("p50", "Median lead time"),
        ("p85", "p85 lead time"),
        ("p95", "p95 lead time"),
        ("mean", "Mean lead time"),
    ):
        assert tiles[label].value == duration_text(ahead[name]), label
        assert f"from {duration_text(today[name])} today" in str(
            tiles[label].proto.delta_description
        )
    assert (
        tiles[f"Cases affected (of {figures['cases']:,})"].value == f"{figures['affected_cases']:,}"
    )


def _link(at: Any) -> list[str]:
    """The changes in the page's link (AppTest gives one value as a string)."""
    value = at.query_params.get("p_change", [])
    return [value] if isinstance(value, str) else list(value)


def _markdown(at: Any) -> str:
    return "\n".join(shown(str(m.value)) for m in at.markdown)


def test_changes_chosen_by_key_project_what_the_command_line_projects(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Redesign"
    assert at.selectbox(key="rd_offering").value == OFFERING
    # Nothing chosen yet: today's map only, and the panel opens on the bottleneck.
    assert not at.metric
    assert any("Choose a change above" in i.value for i in at.info)
    assert at.selectbox(key="rd_step").value == "Sample approval"

    at.selectbox(key="rd_step").set_value("Sample sent").run()
    assert at.button(key="rd_remove").label == "Remove Sample sent"
    at.button(key="rd_remove").click().run()
    no_exceptions(at)
    _shows(at, _whatif(demo_copy, OFFERING, "--remove", "Sample sent"))
    assert _link(at) == ["remove:Sample sent"]

    at.selectbox(key="rd_step").set_value("Production").run()
    at.slider(key="rd_factor").set_value(0.25).run()
    assert at.button(key="rd_wait").label == "Multiply the wait before it by 0.25"
    at.button(key="rd_wait").click().run()
    at.selectbox(key="rd_step").set_value("Packing").run()
    assert at.button(key="rd_parallel").label == "Run in parallel with Shipping"
    at.button(key="rd_parallel").click().run()
    no_exceptions(at)
    combined = _whatif(
        demo_copy,
        OFFERING,
        "--remove",
        "Sample sent",
        "--wait-factor",
        "Production=0.25",
        "--parallel",
        "Packing,Shipping",
    )
    _shows(at, combined)
    assert combined["projected"]["lead_time_s"]["p50"] < combined["baseline"]["lead_time_s"]["p50"]
    text = _markdown(at)
    assert "1. Remove Sample sent" in text and "3. Run Packing and Shipping in parallel" in text
    assert "first-order" in text
    # The assumptions are the command line's sentences.
    assert all(sentence in text for sentence in combined["assumptions"])

    # Taking the first change out leaves the other two, in order.
    at.button(key="rd_drop_0").click().run()
    no_exceptions(at)
    _shows(
        at,
        _whatif(
            demo_copy,
            OFFERING,
            "--wait-factor",
            "Production=0.25",
            "--parallel",
            "Packing,Shipping",
        ),
    )
    at.button(key="rd_clear").click().run()
    assert not at.metric
    assert _link(at) == []


def test_a_change_draws_the_projected_map_only(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today's map does not change with the changes: a change click draws the projected
    map alone, today's is the one stored with the projection before any change."""
    import metrics.whatif

    drawn: list[int] = []
    real = metrics.whatif.vsm_steps

    def counted(instances: Any, cases: Any) -> Any:
        drawn.append(1)
        return real(instances, cases)

    monkeypatch.setattr(metrics.whatif, "vsm_steps", counted)
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert drawn == []  # the projection before any change is stored
    at.selectbox(key="rd_step").set_value("Sample sent").run()
    at.button(key="rd_remove").click().run()
    no_exceptions(at)
    assert drawn == [1]
    _shows(at, _whatif(demo_copy, OFFERING, "--remove", "Sample sent"))
    text = _markdown(at)
    assert "Sample sent" in text


def test_a_link_carries_the_offering_and_the_changes(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, None, monkeypatch)
    at.query_params["p_offering"] = "Reverse engineering"
    at.query_params["p_change"] = ["parallel:Lab analysis,Formula reconstruction", "oops"]
    at.switch_page(PAGE)
    at.run()
    no_exceptions(at)
    assert at.selectbox(key="rd_offering").value == "Reverse engineering"
    _shows(
        at,
        _whatif(
            demo_copy, "Reverse engineering", "--parallel", "Lab analysis,Formula reconstruction"
        ),
    )
    # The malformed change of a hand-edited link is dropped.
    assert _link(at) == ["parallel:Lab analysis,Formula reconstruction"]


def test_try_it_for_two_weeks_records_the_experiment(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="rd_step").set_value("Sample approval").run()
    at.button(key="rd_wait").click().run()
    at.button(key="rd_try").click().run()
    no_exceptions(at)
    assert any("Recorded as experiment #3" in s.value for s in at.success)
    with Warehouse.open(demo_copy) as wh:
        row = experiments(wh).filter(experiments(wh)["id"] == 3).row(0, named=True)
    assert row["name"] == "Redesign: Halve the wait before Sample approval"
    assert (row["offering"], row["what_changed"]) == (
        OFFERING,
        "Halve the wait before Sample approval",
    )
    assert (row["before_days"], row["after_days"], row["status"]) == (14, 14, "running")
    figures = _whatif(demo_copy, OFFERING, "--wait-factor", "Sample approval=0.5")
    today, ahead = figures["baseline"]["lead_time_s"], figures["projected"]["lead_time_s"]
    assert row["hypothesis"].startswith(
        f"Projected over {figures['cases']:,} completed cases ({figures['affected_cases']:,} "
        f"affected): median lead time {duration_text(today['p50'])} → "
        f"{duration_text(ahead['p50'])}"
    )


def test_the_page_on_an_empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(tmp_path / "empty.duckdb", PAGE, monkeypatch)
    no_exceptions(at)
    assert any("There is no data yet" in i.value for i in at.info)
