"""Every page on a warehouse holding live demo data beside two historical logs."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from metrics.derived import derive_all
from metrics.health import health
from metrics.periods import period_bounds
from tests.ui.apptest import no_exceptions, run_app
from ui.format import duration_text
from warehouse import Warehouse

PAGES = [
    "app_pages/health.py",
    "app_pages/vsm.py",
    "app_pages/process_map.py",
    "app_pages/waits.py",
    "app_pages/flow.py",
    "app_pages/compare.py",
    "app_pages/experiments.py",
    "app_pages/data.py",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(mixed_copy: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    at = run_app(mixed_copy, page, monkeypatch)
    no_exceptions(at)


def test_the_last_30_days_end_at_each_offerings_own_latest_event(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """receipt ends in 2012: its tile shows its own last 30 days, not an empty window and
    not every case "in progress"; the page says it is not current."""
    at = run_app(mixed_copy, "app_pages/health.py", monkeypatch)
    no_exceptions(at)
    with Warehouse.open(mixed_copy) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    rows = health(
        d.instances.lazy(), d.cases.lazy(), bounds=period_bounds(d.cases.lazy(), days=30)
    ).collect()
    receipt = rows.filter(pl.col("offering") == "receipt").row(0, named=True)
    assert receipt["completed"] > 0
    assert receipt["in_progress"] < d.cases.filter(pl.col("offering") == "receipt").height
    shown = [(m.label, m.value) for m in at.metric]
    starts = [i for i, (label, _) in enumerate(shown) if label == "In progress"]
    tile = dict(shown[starts[3] : starts[3] + 6])  # offerings in name order: receipt is 4th
    assert tile["Completed"] == f"{receipt['completed']:,}"
    assert tile["Median lead time"] == duration_text(receipt["lead_time_s_p50"])
    assert any("No data since 23 Jan 2012" in c.value for c in at.caption)


def test_a_chosen_window_is_compared_with_the_window_before_it(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Picking "Last 90 days" keeps "compared with before" (the period before is not cut
    away with the window)."""
    at = run_app(mixed_copy, "app_pages/health.py", monkeypatch)
    at.selectbox(key="f_period").set_value("90d")
    at.run()
    no_exceptions(at)
    deltas = [m.delta for m in at.metric if m.label == "Median lead time"]
    assert len(deltas) == 5 and all(d and d.endswith("vs before") for d in deltas[:3])


def test_the_health_table_says_which_offerings_show_flow_efficiency(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real logs classify no step value-adding: their tiles read "Flow efficiency", and
    the table's PCE column says it holds theirs; the demo's offerings keep PCE."""
    at = run_app(mixed_copy, "app_pages/health.py", monkeypatch)
    no_exceptions(at)
    with Warehouse.open(mixed_copy) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    rows = health(
        d.instances.lazy(), d.cases.lazy(), bounds=period_bounds(d.cases.lazy(), days=30)
    ).collect()
    flow = rows.filter(pl.col("pce_basis") != "value-adding")["offering"].sort().to_list()
    assert flow == ["receipt", "running-example"]
    assert sum(m.label == "Flow efficiency" for m in at.metric) == 2
    note = next(c.value for c in at.caption if "holds flow efficiency" in c.value)
    assert note.startswith("The figures are those of the tiles above. receipt, running-example:")
    table = at.dataframe[0].value
    assert list(table.columns) == [
        "Offering",
        "Completed between",
        "In progress",
        "Completed",
        "p50 lead (d)",
        "p50 before (d)",
        "p85 lead (d)",
        "PCE (%)",
        "Rework (%)",
        "Bottleneck",
    ]


def test_a_stream_of_minutes_and_without_start_times_reads_as_such_on_stream_health(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """receipt's cases take minutes and its log has no start times: the table keeps two
    significant figures of its lead time in days rather than 0, and its tile says why its flow efficiency is blank."""
    at = run_app(mixed_copy, "app_pages/health.py", monkeypatch)
    no_exceptions(at)
    with Warehouse.open(mixed_copy) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    rows = health(
        d.instances.lazy(), d.cases.lazy(), bounds=period_bounds(d.cases.lazy(), days=30)
    ).collect()
    receipt = rows.filter(pl.col("offering") == "receipt").row(0, named=True)
    assert receipt["lead_time_s_p50"] < 3600 and receipt["pce"] is None
    table = at.dataframe[0].value.set_index("Offering")
    assert table.loc["receipt", "p50 lead (d)"] == float(
        f"{receipt['lead_time_s_p50'] / 86_400:.2g}"
    )
    assert table.loc["receipt", "p50 lead (d)"] > 0
    unknown = [c.value for c in at.caption if "PCE and flow efficiency are unknown" in c.value]
    assert len(unknown) == 2  # receipt and running-example, the two logs without start times
    assert unknown[0].startswith("Completed 25 Dec 2011 to 23 Jan 2012.")


def test_a_variant_of_minutes_does_not_read_0_days(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """receipt's most common variant takes minutes while the table reads in days (its
    longest variants take days): two significant figures, not 0."""
    at = run_app(mixed_copy, "app_pages/vsm.py", monkeypatch)
    at.selectbox(key="vsm_offering").set_value("receipt")
    at.run()
    no_exceptions(at)
    with Warehouse.open(mixed_copy) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    done = d.cases.filter((pl.col("offering") == "receipt") & pl.col("completed"))
    top = done.group_by("variant").agg(pl.len(), pl.col("lead_time_s").median())
    minutes = top.sort("len", descending=True).row(0, named=True)["lead_time_s"]
    assert minutes < 3600
    variants = next(f.value for f in at.dataframe if "Median lead time (d)" in f.value.columns)
    assert variants["Median lead time (d)"][0] == float(f"{minutes / 86_400:.2g}")


def test_compare_says_why_the_real_logs_have_no_pce(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(mixed_copy, "app_pages/compare.py", monkeypatch)
    no_exceptions(at)
    card = at.dataframe[0].value.set_index("Offering")
    assert card.loc["receipt", "PCE"] == "–" and card.loc["running-example", "PCE"] == "–"
    assert card.loc["Custom formulation", "PCE"] != "–"
    assert any(
        "No PCE for receipt, running-example: some steps have no start time" in c.value
        for c in at.caption
    )
