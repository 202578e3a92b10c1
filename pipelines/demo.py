"""Build the demo warehouse through the real import pipeline.

    python -m pipelines.demo --db PATH [--seed N] [--force] [--remove]

(the `demo` command of cli/).

The demo tells the seed company's story (pipelines/demo_data.py). It goes in as an
ordinary import (so the demo, the tests and the docs all exercise the same code),
then its activity catalog is saved and the warehouse remembers which imports are
demo data (its imports are marked ``is_demo``), so the app can say so and remove them on
request.
"""

from __future__ import annotations

import io
import sys

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
    report = ingest(
        wh, buffer.getvalue(), DEMO_FILE_NAME, ImportOptions(mapping=DEMO_MAPPING), is_demo=True
    )
    wh.save_catalog(demo.catalog)
    record_demo_experiments(wh, demo.changes)
    return demo, report


def remove_demo(wh: Warehouse) -> int:
    """Undo the demo's imports, its experiments and its catalog; returns the events removed."""
    offerings = wh.demo_offerings()
    removed = sum(wh.undo_import(i) for i in reversed(wh.demo_imports()))
    delete_demo_experiments(wh)
    wh.drop_unused_catalog(offerings)
    return removed


if __name__ == "__main__":  # python -m pipelines.demo: the `demo` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("demo"))
