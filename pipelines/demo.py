"""Build the demo warehouse through the real import pipeline.

    python -m pipelines.demo --db PATH [--seed N] [--force] [--remove]

(the `demo` command of cli/).

The demo tells the seed company's story (pipelines/demo_data.py). It goes in as an
ordinary import (so the demo, the tests and the docs all exercise the same code),
then its activity catalog is saved and the warehouse remembers which imports are
demo data, so the app can say so and remove them on request.
"""

from __future__ import annotations

import io
import json
import sys

import polars as pl

from pipelines.demo_data import DemoData, generate_demo
from pipelines.ingest import ImportOptions, ImportReport, ingest
from pipelines.mapping import Mapping
from warehouse import Warehouse
from warehouse.experiments import delete_demo_experiments, record_demo_experiments

DEMO_FILE_NAME = "demo-contract-manufacturer.parquet"
DEMO_MAPPING = Mapping(
    case="case_id",
    activity="activity",
    end="end",
    start="start",
    resource="resource",
    offering_column="offering",
)


def load_demo(wh: Warehouse, *, seed: int = 7, scale: float = 1.0) -> tuple[DemoData, ImportReport]:
    """Generate the demo, import it, save its catalog and mark it as demo data."""
    demo = generate_demo(seed, scale=scale)
    buffer = io.BytesIO()
    demo.events.write_parquet(buffer)
    report = ingest(wh, buffer.getvalue(), DEMO_FILE_NAME, ImportOptions(mapping=DEMO_MAPPING))
    wh.save_catalog(demo.catalog)
    record_demo_experiments(wh, demo.changes)
    if report.import_id is not None:
        ids = json.loads(wh.setting("demo_import_ids") or "[]")
        wh.set_setting("demo_import_ids", json.dumps(sorted({*ids, report.import_id})))
    return demo, report


def remove_demo(wh: Warehouse) -> int:
    """Undo the demo's imports, its experiments and its catalog; returns the events removed."""
    ids = json.loads(wh.setting("demo_import_ids") or "[]")
    undone = set(wh.imports().filter(pl.col("undone_at").is_not_null())["id"].to_list())
    offerings = set(generate_demo().catalog["offering"].to_list())
    removed = sum(wh.undo_import(i) for i in ids if i not in undone)
    delete_demo_experiments(wh)
    wh.drop_unused_catalog(sorted(offerings))
    wh.set_setting("demo_import_ids", None)
    return removed


if __name__ == "__main__":  # python -m pipelines.demo: the `demo` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("demo"))
