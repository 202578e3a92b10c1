"""The value stream map in Chromium on the demo, running-example, a Jira and a Trello
export and receipt (long step names): the ladder's totals in view without scrolling at
1440 px, the map never cut off, every step name and data box line inside its box."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from charts.vsm import BOX_W, box_label
from metrics.derived import derive_all
from metrics.vsm import value_stream
from pipelines.ingest import ingest
from tests.browser.conftest import StreamlitServer, no_exception, screenshot, wait_for_app
from warehouse import Warehouse

pytestmark = pytest.mark.browser

JIRA = "jira_actionableagile_search"
CHART = ".st-key-vsm_chart"


TRELLO = "trello_jsai_2021"
OFFERINGS = ("Custom formulation", "running-example", JIRA, TRELLO, "receipt")


@pytest.fixture(scope="module")
def mixed_server(
    demo_db: Path, real_dir: Path, external_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[StreamlitServer, dict[str, list[str]]]]:
    """A server on the demo plus running-example and the Jira export, and each offering's
    step names as its map writes them in the boxes (lines run together)."""
    db = tmp_path_factory.mktemp("vsm") / "mixed.duckdb"
    shutil.copy(demo_db, db)
    with Warehouse.open(db) as wh:
        ingest(wh, real_dir / "running-example.csv")
        ingest(wh, external_dir / "exports" / f"{JIRA}.json")
        ingest(wh, external_dir / "exports" / f"{TRELLO}.json")
        ingest(wh, real_dir / "receipt.csv")  # long step names
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    labels = {}
    for offering in OFFERINGS:
        boxes = value_stream(
            d.instances.lazy().filter(pl.col("offering") == offering),
            d.cases.lazy().filter(pl.col("offering") == offering),
        ).boxes
        labels[offering] = [box_label(name).replace("\n", "") for name in boxes["activity"]]
    server = StreamlitServer(db)
    yield server, labels
    server.stop()


@pytest.mark.parametrize(
    ("offering", "shot"),
    [
        ("Custom formulation", "demo"),
        ("running-example", "running-example"),
        (JIRA, "jira"),
        (TRELLO, "trello"),
        ("receipt", "receipt"),
    ],
)
def test_the_map_its_totals_and_its_names_fit(  # type: ignore[no-untyped-def]
    mixed_server, page, offering: str, shot: str
) -> None:
    server, labels = mixed_server
    page.goto(f"{server.url}/vsm?p_offering={offering}")
    page.locator(f"{CHART} svg.marks").first.wait_for(timeout=90_000)
    wait_for_app(page)
    no_exception(page)
    # The ladder's totals and the cases' figures, in view at 1440 × 1000 without scrolling.
    tiles = page.locator("[data-testid='stMetric']")
    assert tiles.count() == 6
    for i in range(tiles.count()):
        box = tiles.nth(i).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 1000
        assert box["x"] + box["width"] <= 1440
    # The whole map is drawn: as tall as its box (the box scrolls sideways only).
    heights = page.evaluate(
        f"""() => {{
          const box = document.querySelector('{CHART}');
          const map = box.querySelector('svg.marks').getBoundingClientRect();
          return [map.height, box.clientHeight, box.scrollHeight];
        }}"""
    )
    assert heights[0] <= heights[1] + 1 and heights[2] <= heights[1] + 1, heights
    # Each step's name (wrapped, at most three lines) stays inside its box.
    widths = page.evaluate(
        f"""(labels) => Array.from(document.querySelectorAll('{CHART} svg.marks text'))
          .filter(t => labels.includes(t.textContent))
          .map(t => [t.textContent, t.getBBox().width])""",
        labels[offering],
    )
    assert len(widths) == len(labels[offering])
    assert all(width <= BOX_W - 4 for _, width in widths), widths
    # And so does each data box's text (it starts 5 px inside the box).
    data = page.evaluate(
        f"""() => Array.from(document.querySelectorAll('{CHART} svg.marks text'))
          .filter(t => t.textContent.startsWith('C/T '))
          .map(t => [t.textContent, t.getBBox().width])"""
    )
    assert len(data) == len(labels[offering])
    assert all(width <= BOX_W - 8 for _, width in data), data
    screenshot(page, f"vsm-{shot}")
