"""`report --engine spark` prints the very JSON `--engine polars` prints, on the demo, a real
public log and a real Trello board with open items, read from the warehouse's Parquet
export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelines.ingest import ingest
from tests.cli_runner import run_cli
from warehouse import Warehouse

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]


@pytest.fixture(scope="module", autouse=True)
def _java() -> None:
    if shutil.which("java") is None:
        pytest.skip("no Java on this machine: Spark needs a Java runtime (docs/SCALE.md)")
    pytest.importorskip("pyspark", reason="PySpark is not installed (requirements-spark.txt)")


def _both(db: Path, parquet: Path, offering: str, *window: str) -> dict[str, object]:
    polars = run_cli("report", "--db", str(db), "--offering", offering, *window, "--json")
    spark = run_cli(
        "report",
        "--db",
        str(db),
        "--offering",
        offering,
        *window,
        "--json",
        "--engine",
        "spark",
        "--parquet",
        str(parquet),
        "--spark-master",
        "local[2]",
    )
    assert (polars.returncode, spark.returncode) == (0, 0), spark.stderr
    assert spark.stdout == polars.stdout
    figures: dict[str, object] = json.loads(polars.stdout)
    return figures


def test_spark_and_polars_print_the_same_report_on_the_demo(demo_db: Path, tmp_path: Path) -> None:
    parquet = tmp_path / "export"
    exported = run_cli("export", "--db", str(demo_db), "--parquet", str(parquet), "--json")
    assert exported.returncode == 0, exported.stderr
    with Warehouse.open(demo_db) as wh:
        offerings, events = wh.offerings(), wh.event_count()
    assert json.loads(exported.stdout)["events"] == events
    assert sorted(p.name for p in (parquet / "events").iterdir()) == sorted(
        "offering=" + name.replace(" ", "%20") for name in offerings
    )
    whole = _both(demo_db, parquet, "Custom formulation")
    assert whole["cases"] == whole["completed_cases"] + whole["open_cases"]  # type: ignore[operator]
    assert whole["open_cases"] > 0 and len(whole["steps"]) >= 5  # type: ignore[arg-type, operator]
    # A window keeps fewer cases; both engines keep the same ones.
    window = _both(
        demo_db, parquet, "Private label fulfillment", "--from", "2026-08-01", "--to", "2026-08-31"
    )
    full = json.loads(
        run_cli(
            "report", "--db", str(demo_db), "--offering", "Private label fulfillment", "--json"
        ).stdout
    )
    assert 0 < window["cases"] < full["cases"]  # type: ignore[operator]
    # A window no case started in: nothing to aggregate on either engine, the same nulls.
    empty = _both(
        demo_db,
        parquet,
        "Custom formulation",
        "--from",
        "2030-01-01",
        "--to",
        "2030-01-31",
        "--window",
        "started",
    )
    assert (empty["cases"], empty["instances"], empty["lead_time_s"]) == (
        0,
        0,
        {"p50": None, "p85": None, "p95": None, "mean": None},
    )


def test_spark_and_polars_agree_on_a_real_log_and_real_open_items(
    real_dir: Path, external_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "real.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, real_dir / "receipt.csv")
        ingest(wh, external_dir / "exports" / "trello_jsai_2021.json")
        offerings = wh.offerings()
        assert wh.open_items().height == 33
    parquet = tmp_path / "export"
    assert run_cli("export", "--db", str(db), "--parquet", str(parquet)).returncode == 0
    receipt = _both(db, parquet, "receipt")
    assert (receipt["cases"], receipt["instances"]) == (1434, 8577)
    board = next(name for name in offerings if name != "receipt")
    trello = _both(db, parquet, board)
    assert trello["cases"] == 182 and trello["open_cases"] >= 33  # type: ignore[operator]


def test_a_missing_offering_or_folder_is_refused_in_one_line(demo_db: Path, tmp_path: Path) -> None:
    parquet = tmp_path / "export"
    assert run_cli("export", "--db", str(demo_db), "--parquet", str(parquet)).returncode == 0
    again = run_cli("export", "--db", str(demo_db), "--parquet", str(parquet))
    assert (again.returncode, again.stderr.strip()) == (
        2,
        f"{parquet} already exists and is not an empty folder.",
    )
    nowhere = run_cli(
        "report",
        "--db",
        str(demo_db),
        "--offering",
        "Custom formulation",
        "--engine",
        "spark",
        "--parquet",
        str(tmp_path / "nothing"),
    )
    assert nowhere.returncode == 2
    assert "No exported events in" in nowhere.stderr
