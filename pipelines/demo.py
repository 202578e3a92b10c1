"""Build the demo warehouse through the real import pipeline.

    python -m pipelines.demo --db PATH [--seed N] [--force] [--remove]

The demo tells the seed company's story (pipelines/demo_data.py). It goes in as an
ordinary import (so the demo, the tests and the docs all exercise the same code),
then its activity catalog is saved and the warehouse remembers which imports are
demo data, so the app can say so and remove them on request.
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.demo", description=__doc__.splitlines()[0]
    )
    p.add_argument("--db", help="warehouse file (default: $VSM_DB or data/warehouse.duckdb)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--force", action="store_true", help="load even when the warehouse has events")
    p.add_argument("--remove", action="store_true", help="remove the demo from the warehouse")
    args = p.parse_args(argv)
    with Warehouse.open(args.db) as wh:
        if args.remove:
            print(f"Demo removed from {wh.path}: {remove_demo(wh):,} events.")
            return 0
        if wh.event_count() and not args.force:
            print(f"{wh.path} already holds events; not loading the demo (use --force).")
            return 0
        demo, report = load_demo(wh, seed=args.seed)
        print(f"Demo loaded into {wh.path}: {report.summary()}")
        for change in demo.changes:
            print(
                f"  recorded change: {change.changed_at:%Y-%m-%d} {change.offering}: {change.name}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
