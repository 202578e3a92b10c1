"""The Waits page in AppTest: empty state, the bottleneck's figures, cases waiting after a step, a timeline."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from metrics.cases import case_table
from metrics.derive import derive_instances
from metrics.waits import step_waits, waiting_now
from tests.ui.apptest import no_exceptions, run_app
from ui.format import duration_text, share
from warehouse import Warehouse

PAGE = "app_pages/waits.py"


def _derived(db: Path, offering: str) -> tuple[pl.DataFrame, pl.DataFrame, object]:
    with Warehouse.open(db) as wh:
        events = wh.events()
        instances = derive_instances(events.lazy(), wh.catalog().lazy()).collect()
    cases = case_table(instances.lazy()).collect()
    # "Now" is the offering's own latest event (a historical log ages to its own end).
    return (
        instances.filter(pl.col("offering") == offering),
        cases.filter(pl.col("offering") == offering),
        events.filter(pl.col("offering") == offering)["end"].max(),
    )


def test_empty_warehouse_shows_the_empty_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(tmp_path / "empty.duckdb", PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Waits"
    assert any("There is no data yet" in i.value for i in at.info)


def test_headline_names_the_bottleneck_and_log_scale_switches_the_axis(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    at.selectbox(key="waits_offering").set_value("Reverse engineering")
    at.run()
    no_exceptions(at)
    instances, _, _ = _derived(demo_copy, "Reverse engineering")
    neck = step_waits(instances.lazy()).collect().filter(pl.col("is_bottleneck")).row(0, named=True)
    headline = next(m.value for m in at.markdown if "waits** before a step" in m.value)
    assert f"before **{neck['activity']}**: {share(neck['wait_share'])}" in headline
    assert f"a median of {duration_text(neck['wait_s_p50'])} per wait" in headline
    boxes = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert "log" not in json.dumps(boxes["layer"][1]["encoding"]["x"])
    at.toggle(key="waits_log").set_value(True)
    at.run()
    boxes = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert boxes["layer"][1]["encoding"]["x"]["scale"] == {"type": "log"}


def test_cases_waiting_after_a_step_and_their_timeline(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.selectbox(key="waits_step").set_value("Sample approval")
    at.run()
    no_exceptions(at)
    _, cases, now = _derived(demo_copy, "Custom formulation")
    expected = waiting_now(cases.lazy(), now, after="Sample approval").collect()  # type: ignore[arg-type]
    shown = next(df for df in at.dataframe if "Idle since then (d)" in df.value.columns).value
    assert shown["Case"].tolist() == expected["case_id"].to_list()
    # Days to one decimal; under a day, two significant figures (0.89, not 0.9).
    idle = expected["idle_s"] / 86400
    assert shown["Idle since then (d)"].tolist() == [
        float(f"{d:.2g}") if d < 1 else round(d, 1) for d in idle.to_list()
    ]
    assert any(
        f"**{expected.height:,} open cases** have finished Sample approval" in m.value
        for m in at.markdown
    )
    assert not any("idle longest of the" in c.value for c in at.caption)

    # A long list shows the longest idle up to a bound; the CSV holds them all.
    monkeypatch.setattr("ui.waits_screen.MAX_ROWS", 3)
    at.run()
    no_exceptions(at)
    cut = next(df for df in at.dataframe if "Idle since then (d)" in df.value.columns).value
    assert cut["Case"].tolist() == expected["case_id"].to_list()[:3]
    assert any(
        f"Showing the 3 idle longest of the {expected.height:,}; the CSV holds all" in c.value
        for c in at.caption
    ), [c.value for c in at.caption]
    monkeypatch.setattr("ui.waits_screen.MAX_ROWS", 5_000)

    first = expected["case_id"][0]
    assert at.selectbox(key="waits_case").value == first
    assert any(m.value.startswith(f"**{first}**:") for m in at.markdown)
    slowest = next(df for df in at.dataframe if "Lead time (d)" in df.value.columns).value
    at.selectbox(key="waits_case").set_value(slowest["Case"][0])
    at.run()
    no_exceptions(at)
    assert any(m.value.startswith(f"**{slowest['Case'][0]}**:") for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 4  # boxes, ECDF, heatmap, timeline
