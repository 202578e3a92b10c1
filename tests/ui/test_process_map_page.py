"""The Process map page in AppTest: empty state, the engine's counts on the arrows, the switch and sliders."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.derive import derive_instances
from metrics.transitions import transitions
from tests.ui.apptest import no_exceptions, run_app
from ui.format import duration_text
from warehouse import Warehouse

PAGE = "app_pages/process_map.py"


def _dot(at: AppTest) -> str:
    return str(at.get("graphviz_chart")[0].proto.spec)


def _edges(db: Path, offering: str) -> pl.DataFrame:
    with Warehouse.open(db) as wh:
        instances = derive_instances(wh.events().lazy(), wh.catalog().lazy()).collect()
    return transitions(instances.lazy()).collect().filter(pl.col("offering") == offering)


def test_empty_warehouse_shows_the_empty_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "empty.duckdb", PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Process map"
    assert any("There is no data yet" in i.value for i in at.info)
    assert not at.get("graphviz_chart")


def test_arrow_counts_are_the_engines_and_the_switch_shows_waits(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert at.selectbox(key="pm_offering").value == "Custom formulation"
    edges = _edges(demo_copy, "Custom formulation")
    edge = edges.filter(
        (pl.col("from_activity") == "Formulation") & (pl.col("to_activity") == "Sample sent")
    ).row(0, named=True)
    dot = _dot(at)
    assert f'"Formulation" -> "Sample sent" [label=" {edge["count"]:,}"' in dot
    assert f"{edge['count']:,} times in {edge['cases']:,} cases" in dot
    assert "BOTTLENECK" in dot and "Sample approval" in dot
    assert any(
        f"Showing 13 of 13 steps and {edges.height} of {edges.height} arrows" in m.value
        for m in at.markdown
    )
    assert at.get("download_button")  # the DOT file

    at.button_group(key="pm_mode").set_value("performance")
    at.run()
    no_exceptions(at)
    dot = _dot(at)
    assert f'"Formulation" -> "Sample sent" [label=" {duration_text(edge["wait_s_p50"])}"' in dot
    assert f'label=" {edge["count"]:,}"' not in dot
    assert "performance" in at.query_params["p_map"]


def test_sliders_hide_steps_and_rare_paths_but_keep_start_and_end(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="pm_offering").set_value("Private label fulfillment")
    at.run()
    at.slider(key="pm_activities").set_value(4)
    at.slider(key="pm_paths").set_value(0)
    at.run()
    no_exceptions(at)
    dot = _dot(at)
    nodes = [
        line.split('"')[1]
        for line in dot.splitlines()
        if line.startswith('  "') and " -> " not in line
    ]
    assert len(nodes) == 2 + 4  # Start, End and the four most frequent steps
    assert "Label approval" in nodes and "Label design" in nodes
    assert '"__start__" -> ' in dot and ' -> "__end__"' in dot
    with Warehouse.open(demo_copy) as wh:
        n = (
            wh.events()
            .filter(pl.col("offering") == "Private label fulfillment")["activity"]
            .n_unique()
        )
    assert any(f"Showing 4 of {n} steps" in m.value for m in at.markdown)
