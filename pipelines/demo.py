"""Build the demo warehouse through the real import pipeline.

    python -m pipelines.demo --db PATH [--seed N] [--force]

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

from pipelines.demo_data import DemoData, generate_demo
from pipelines.ingest import ImportOptions, ImportReport, ingest
from pipelines.mapping import Mapping
from warehouse import Warehouse

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
    if report.import_id is not None:
        ids = json.loads(wh.setting("demo_import_ids") or "[]")
        wh.set_setting("demo_import_ids", json.dumps(sorted({*ids, report.import_id})))
    return demo, report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipelines.demo", description=__doc__.splitlines()[0])
    p.add_argument("--db", help="warehouse file (default: $VSM_DB or data/warehouse.duckdb)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--force", action="store_true", help="load even when the warehouse has events")
    args = p.parse_args(argv)
    with Warehouse.open(args.db) as wh:
        if wh.event_count() and not args.force:
            print(f"{wh.path} already holds events; not loading the demo (use --force).")
            return 0
        demo, report = load_demo(wh, seed=args.seed)
        print(f"Demo loaded into {wh.path}: {report.summary()}")
        for change in demo.changes:
            print(f"  recorded change: {change.changed_at:%Y-%m-%d} {change.offering}: {change.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
