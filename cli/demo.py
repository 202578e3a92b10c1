"""Build the demo warehouse through the real import pipeline, or remove it.

python -m cli demo --db PATH [--seed N] [--force] [--remove]
"""

from __future__ import annotations

import argparse

from cli.common import add_db
from pipelines.demo import load_demo, remove_demo
from warehouse import Warehouse
from warehouse.kept_findings import find_missing

HELP = "load (or remove) the demo data of a made-up contract manufacturer"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db(p)
    p.add_argument("--seed", type=int, default=7, help="the generator's seed (default 7)")
    p.add_argument("--force", action="store_true", help="load even when the warehouse has events")
    p.add_argument("--remove", action="store_true", help="remove the demo from the warehouse")


def run(args: argparse.Namespace) -> int:
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
        # Found now, so the app's first visit shows them without looking.
        find_missing(wh)
    return 0
