"""The Value stream map page in AppTest: its figures against the engine's for the same
cases, tables without "None" and in one unit, downloads, and the cases behind each box."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from metrics.derived import derive_all
from metrics.filters import apply_filters
from metrics.health import health
from metrics.periods import period_bounds
from metrics.selection import Selection, select_cases
from metrics.variants import variants
from metrics.vsm import value_stream
from pipelines.ingest import ImportOptions, ingest
from tests.ui.apptest import no_exceptions, run_app
from ui.filters import ViewFilters
from ui.format import duration_text, share
from ui.vsm_screen import MapView, shared_unit, view_selection
from warehouse import Warehouse

OFFERING = "Custom formulation"


def _metrics(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}  # type: ignore[attr-defined]


def test_the_cases_figures_beside_the_ladder_are_stream_health_s(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/vsm.py", monkeypatch)
    at.selectbox(key="vsm_offering").set_value(OFFERING)
    at.selectbox(key="f_period").set_value("90d")
    at.run()
    at.selectbox(key="f_mode").set_value("completed")
    at.run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    # The last 90 days end at the offering's own latest event (metrics.periods), and Stream
    # health's engine gives the figures of the cases completed in them.
    bounds = period_bounds(d.cases.lazy(), days=90)
    row = (
        health(d.instances.lazy(), d.cases.lazy(), bounds=bounds)
        .collect()
        .filter(pl.col("offering") == OFFERING)
        .row(0, named=True)
    )
    shown = _metrics(at)
    assert shown["Median lead time"] == duration_text(row["lead_time_s_p50"])
    assert shown["Cases' PCE"] == share(row["pce"])
    text = " ".join(m.value for m in at.markdown)
    assert f"**The {row['completed']:,} completed cases in view**" in text
    assert "cases that completed in the last 90 days, up to each offering's own latest" in text


def test_tables_write_no_none_and_one_unit_each_and_everything_downloads(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    variants_table, steps_table = at.dataframe
    # Open variants have no lead time: the cell reads "–", never "None".
    assert variants_table.value["Median lead time (d)"].isna().any()
    assert variants_table.proto.placeholder == steps_table.proto.placeholder == "–"
    durations = [c for c in steps_table.value.columns if c.endswith((" (d)", " (h)", " (min)"))]
    assert durations == ["Median C/T (d)", "Median wait (d)", "p85 wait (d)"]
    assert list(variants_table.value.columns[:3]) == [
        "Cases",
        "Share (%)",
        "How it differs from the most common",
    ]
    differs = variants_table.value["How it differs from the most common"].tolist()
    assert differs[:3] == [
        "the most common",
        "Formulation, Sample sent, Sample approval twice",
        "Production, QC release twice",
    ]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download PNG", "Download SVG", "Download (CSV)", "Download (CSV)"]


def test_a_status_history_s_map_and_table_agree(
    tmp_path: Path, external_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "jira.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, external_dir / "exports" / "jira_actionableagile_search.json")
    at = run_app(db, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    shown = _metrics(at)
    # The ladder (Analysis Active → Test → Done) holds the 5 days items wait in Backlog.
    assert (shown["Lead time"], shown["Waiting"], shown["Flow efficiency"]) == (
        "13.9 d",
        "5.0 d",
        "64%",
    )
    # The 17 completed items' own figures, as Stream health computes them.
    assert (shown["Median lead time"], shown["Cases' flow efficiency"]) == ("5.0 d", "75%")
    steps_table = at.dataframe[1].value.set_index("Step")
    assert steps_table.loc["Analysis Active", "Median wait (d)"] == 4.99
    assert steps_table.loc["Analysis Active", "Column"] == 1
    assert steps_table.loc["Analysis Active", "Waited in"] == "Backlog"
    captions = " ".join(c.value for c in at.caption)
    assert "Analysis Active → Test → Done" in captions


@pytest.fixture(scope="module")
def demo_derived(demo_db: Path) -> object:
    with Warehouse.open(demo_db) as wh:
        return derive_all(wh.events(), wh.catalog(), wh.open_items())


@pytest.mark.parametrize(
    "filters",
    [
        ViewFilters((OFFERING,), None, None, "intersecting", False),
        ViewFilters((OFFERING,), date(2026, 5, 1), date(2026, 7, 31), "started", False),
        ViewFilters((OFFERING,), date(2026, 5, 1), date(2026, 7, 31), "completed", False),
        ViewFilters((OFFERING,), date(2026, 5, 1), date(2026, 7, 31), "intersecting", True),
    ],
)
def test_every_box_and_variant_names_the_cases_behind_it(
    demo_derived: object, filters: ViewFilters
) -> None:
    d = demo_derived
    inst, cases = apply_filters(
        d.instances.lazy(),  # type: ignore[attr-defined]
        d.cases.lazy(),  # type: ignore[attr-defined]
        filters.spec((OFFERING,)),
    )
    view = MapView(OFFERING, inst.collect(), cases.collect(), filters)
    boxes = value_stream(view.instances.lazy(), view.cases.lazy()).boxes

    def named(sel: Selection) -> int:
        # The Cases page applies the selection to every case, not only to the view, and
        # the link carries it as query parameters.
        again = Selection.from_params(sel.to_params())
        assert again == sel
        return select_cases(d.instances.lazy(), d.cases.lazy(), again).collect().height  # type: ignore[attr-defined]

    for box in boxes.iter_rows(named=True):
        assert named(view_selection(view, step=box["activity"])) == box["cases"]
    for row in variants(view.cases.lazy(), by=()).head(5).collect().iter_rows(named=True):
        assert named(view_selection(view, variant=tuple(row["variant"]))) == row["cases"]


def test_a_stream_with_nothing_to_map_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two items that went from To Do to Blocked and sit there: only waiting statuses.
    board = tmp_path / "queued.csv"
    board.write_text(
        "item,time,status\n"
        "1,2024-01-01T09:00:00Z,To Do\n1,2024-01-02T09:00:00Z,Blocked\n"
        "2,2024-01-01T10:00:00Z,To Do\n2,2024-01-03T10:00:00Z,Blocked\n"
    )
    db = tmp_path / "queued.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, board, options=ImportOptions(format="status-history"))
    at = run_app(db, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    assert any("Nothing to map yet" in i.value for i in at.info)
    assert not at.get("vega_lite_chart") and not at.metric
    assert len(at.dataframe) == 2  # the variants and the steps are still listed


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        # The ladder's lead, waiting, process and the cases' median lead, side by side.
        ([30.8 * 3600, 3600, 29.8 * 3600, 5.1 * 86400], ["30.8 h", "1.0 h", "29.8 h", "122.4 h"]),
        (
            [28.3 * 86400, 22.8 * 86400, 5.4 * 86400, 40 * 86400],
            ["28.3 d", "22.8 d", "5.4 d", "40.0 d"],
        ),
        # No unit reads both: each keeps its own rather than "0.0 d".
        ([300, 40 * 86400], ["5 min", "40.0 d"]),
        ([None, 0.0], ["–", "0 min"]),
    ],
)
def test_durations_side_by_side_share_a_unit_when_one_reads_them_all(
    seconds: list[float | None], shown: list[str]
) -> None:
    like = shared_unit(seconds)
    assert [duration_text(s, like) for s in seconds] == shown
