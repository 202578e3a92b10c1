"""The Process map page in AppTest: empty state, the engine's counts on the arrows, the switch and sliders."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics.derive import derive_instances
from metrics.transitions import transitions
from tests.ui.apptest import no_exceptions, run_app
from ui.format import duration_text
from ui.process_map_screen import _drawn
from warehouse import Warehouse

PAGE = "app_pages/process_map.py"


SVG = "{http://www.w3.org/2000/svg}"


def _drawing(at: AppTest) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The map as the page draws it (Graphviz's SVG, rendered on the server): the text
    of each box by step (Start and End by their ids) and of each arrow by its ends."""
    markup = [m.value for m in at.markdown if m.value.startswith('<div class="graphviz">')]
    assert len(markup) == 1 and not at.get("graphviz_chart")
    svg = ET.fromstring(markup[0][markup[0].index("<svg") : markup[0].rindex("</svg>") + 6])
    nodes, edges = {}, {}
    for g in svg.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if title is None or title.text is None or g.get("class") not in ("node", "edge"):
            continue
        text = " ".join((t.text or "").strip() for t in g.iter(f"{SVG}text"))
        if g.get("class") == "node":
            nodes[title.text] = text
        else:
            tail, head = title.text.split("->")
            edges[(tail, head)] = text
    return nodes, edges


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
    assert not [m for m in at.markdown if "<svg" in m.value]


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
    nodes, edges_drawn = _drawing(at)
    assert edges_drawn[("Formulation", "Sample sent")] == f"{edge['count']:,}"
    assert f"{edge['count']:,} times in {edge['cases']:,} cases" in nodes["Sample sent"]
    assert "BOTTLENECK" in nodes["Sample approval"]
    assert not [n for n, text in nodes.items() if "BOTTLENECK" in text and n != "Sample approval"]
    assert any(
        f"Showing 13 of 13 steps and {edges.height} of {edges.height} arrows" in m.value
        for m in at.markdown
    )
    assert at.get("download_button")  # the DOT file

    at.button_group(key="pm_mode").set_value("performance")
    at.run()
    no_exceptions(at)
    _, edges_drawn = _drawing(at)
    assert edges_drawn[("Formulation", "Sample sent")] == duration_text(edge["wait_s_p50"])
    assert f"{edge['count']:,}" not in edges_drawn.values()
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
    nodes, edges = _drawing(at)
    assert len(nodes) == 2 + 4  # Start, End and the four most frequent steps
    assert "Label approval" in nodes and "Label design" in nodes
    assert [e for e in edges if e[0] == "__start__"] and [e for e in edges if e[1] == "__end__"]
    with Warehouse.open(demo_copy) as wh:
        n = (
            wh.events()
            .filter(pl.col("offering") == "Private label fulfillment")["activity"]
            .n_unique()
        )
    assert any(f"Showing 4 of {n} steps" in m.value for m in at.markdown)


@pytest.mark.parametrize("graphviz", ["absent", "failing"])
def test_without_graphviz_on_the_server_the_browser_lays_the_map_out(
    demo_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    graphviz: str,
    request: pytest.FixtureRequest,
) -> None:
    if graphviz == "failing":  # a `dot` that runs and fails
        broken = tmp_path / "dot"
        broken.write_text("#!/bin/sh\necho 'Error: out of memory' >&2\nexit 1\n")
        broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))  # no other `dot` on it
    _drawn.clear()  # maps drawn by an earlier test's Graphviz
    request.addfinalizer(_drawn.clear)  # nor this test's failures for a later test
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert not [m for m in at.markdown if "<svg" in m.value]
    dot = str(at.get("graphviz_chart")[0].proto.spec)
    edge = (
        _edges(demo_copy, "Custom formulation")
        .filter(
            (pl.col("from_activity") == "Formulation") & (pl.col("to_activity") == "Sample sent")
        )
        .row(0, named=True)
    )
    assert f'"Formulation" -> "Sample sent" [label=" {edge["count"]:,}"' in dot
    needs = any("PNG and SVG need Graphviz" in c.value for c in at.caption)
    assert needs == (graphviz == "absent")
