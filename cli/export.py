"""The warehouse's events, catalog and open items as Parquet files, one folder per offering.

    python -m cli export --db PATH --parquet DIR [--offering NAME ...] [--json]

DIR must not exist yet or be empty. `python -m cli report --engine spark --parquet DIR`
reads what this writes (docs/SCALE.md: how a team runs the report on a Spark cluster).
"""

from __future__ import annotations

import argparse

from cli.common import CommandError, add_db, add_json, open_existing, print_json
from warehouse.export import ExportError, export_parquet

HELP = "write the events as Parquet, one folder per offering, for Spark"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--parquet", required=True, metavar="DIR", help="the folder to write")
    parser.add_argument(
        "--offering",
        action="append",
        help="only this offering (repeat for several; default: every offering)",
    )
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    with open_existing(args.db) as wh:
        try:
            done = export_parquet(wh, args.parquet, args.offering)
        except ExportError as exc:
            raise CommandError(str(exc)) from None
    figures = {
        "folder": str(done.folder),
        "offerings": done.offerings,
        "events": done.events,
        "catalog_rows": done.catalog_rows,
        "open_items": done.open_items,
    }
    if args.json:
        print_json(figures)
    else:
        n = len(done.offerings)
        print(
            f"Wrote {done.events:,} events of {n} offering{'' if n == 1 else 's'}, "
            f"{done.catalog_rows:,} catalog rows and {done.open_items:,} open items "
            f"to {done.folder}."
        )
    return 0
