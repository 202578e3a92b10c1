"""Every real public log imports with the case and activity-instance counts of SOURCES.md."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest import ingest
from warehouse import Warehouse

pytestmark = pytest.mark.real

# file: (cases, activity instances after pairing), from ../shared/data/real/SOURCES.md
EXPECTED = {
    "running-example.xes": (6, 42),
    "running-example.csv": (6, 42),
    "roadtraffic100traces.xes": (100, 390),
    "receipt.csv": (1434, 8577),
    "helpdesk.xes.gz": (4580, 21348),
    "sepsis.csv": (1050, 15214),
    "bpic2012.xes.gz": (13087, 164506),
    "BPI_Challenge_2012_W_Two_TS.xes.gz": (8616, 59302),
    "BPI_Challenge_2017_W_Two_TS_filtered.xes.gz": (8941, 63764),
    "BPIC15_1.csv.gz": (1199, 52217),
    "Production.xes.gz": (225, 4953),
    "Production.csv": (225, 4953),
    "ConsultaDataMining201618.xes.gz": (954, 6870),
    "reviewing.xes": (100, 2278),
    "interval_event_log.csv": (1266, 8109),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_log_imports_with_published_counts(real_dir: Path, tmp_path: Path, name: str) -> None:
    cases, instances = EXPECTED[name]
    with Warehouse.open(tmp_path / "real.duckdb") as wh:
        report = ingest(wh, real_dir / name)
        assert report.rejected == 0, report.rejects[:3]
        events = wh.events()
        assert events.height == instances
        assert events["case_id"].n_unique() == cases
        assert report.stored == instances
        # Re-importing the same file stores nothing new.
        assert ingest(wh, real_dir / name).already_imported_as == report.import_id
        assert wh.event_count() == instances


def test_sepsis_keeps_the_case_called_NA(real_dir: Path, tmp_path: Path) -> None:
    with Warehouse.open(tmp_path / "s.duckdb") as wh:
        ingest(wh, real_dir / "sepsis.csv")
        assert wh.events().filter(pl.col("case_id") == "NA").height == 24


def test_bpic2012_pairs_lifecycle_rows_like_pm4py(real_dir: Path, tmp_path: Path) -> None:
    """pm4py's interval_lifecycle.to_interval gives 164,506 instances, 71,373 with a start."""
    with Warehouse.open(tmp_path / "b.duckdb") as wh:
        report = ingest(wh, real_dir / "bpic2012.xes.gz")
        assert report.rows_read == 262200
        assert wh.events()["start"].is_not_null().sum() == 71373
        assert report.notes[:2] == [
            "3 start rows never completed: that work has not finished, so they are not "
            "activity instances (METRICS.md).",
            "26,318 rows with other lifecycle transitions (schedule, assign, suspend, ...) are "
            "not activity instances.",
        ]


def _lead_times(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.group_by("case_id").agg(
        (pl.col("end").max() - pl.col("start").min()).dt.total_seconds().alias("lead_s")
    )


@pytest.mark.parametrize(("zone", "shifted"), [("Europe/Helsinki", 0), ("UTC", 47)])
def test_production_csv_is_naive_local_time(
    real_dir: Path, tmp_path: Path, zone: str, shifted: int
) -> None:
    """SOURCES.md: the CSV is naive wall-clock of a zone with DST, 7 h ahead of the XES.

    Read in that zone (Helsinki: +2, +3 from 25 Mar 2012) it agrees with the XES to the
    second; read as UTC, the 47 cases that span the switch are exactly 3,600 s longer.
    """
    from pipelines.ingest import ImportOptions

    with Warehouse.open(tmp_path / "p.duckdb") as wh:
        ingest(wh, real_dir / "Production.xes.gz")
        xes = _lead_times(wh.events())
        # Same offering ("Production"): read in the right zone, every CSV row is an event
        # the XES import already stored, so the overlapping import adds nothing.
        if zone == "Europe/Helsinki":
            report = ingest(wh, real_dir / "Production.csv", options=ImportOptions(timezone=zone))
            assert (report.stored, report.duplicates) == (0, 4953)
    with Warehouse.open(tmp_path / "q.duckdb") as wh:
        ingest(wh, real_dir / "Production.csv", options=ImportOptions(timezone=zone))
        csv = _lead_times(wh.events())
    both = xes.join(csv, on="case_id", suffix="_csv").with_columns(
        (pl.col("lead_s_csv") - pl.col("lead_s")).alias("diff")
    )
    assert both.height == 225
    assert both.filter(pl.col("diff") == 3600).height == shifted
    assert both.filter(pl.col("diff") == 0).height == 225 - shifted
