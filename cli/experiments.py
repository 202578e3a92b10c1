"""List, add, edit and delete experiments (changes to an offering).

    python -m cli experiments --db PATH list [--json]
    python -m cli experiments --db PATH add --name N --offering O --change ISO
        [--what TEXT] [--hypothesis TEXT] [--before-days N] [--after-days N] [--status S]
        [--future-state ID]
    python -m cli experiments --db PATH edit ID [same options as add]
    python -m cli experiments --db PATH delete ID

Instants without a zone are taken as UTC, as everywhere in the warehouse.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from cli.common import CommandError, add_db, instant
from warehouse import Warehouse, WarehouseError, resolve_db_path
from warehouse.experiments import (
    EDITABLE,
    STATUSES,
    create_experiment,
    delete_experiment,
    experiments,
    update_experiment,
)

HELP = "list, add, edit and delete experiments"


def _fields(sub: argparse.ArgumentParser, required: bool) -> None:
    sub.add_argument("--name", required=required, help="a short name for the change")
    sub.add_argument("--offering", required=required, help="the offering (value stream) changed")
    sub.add_argument(
        "--change",
        dest="changed_at",
        type=instant,
        required=required,
        help="when the change took effect (ISO; UTC unless a zone is given)",
    )
    sub.add_argument("--what", dest="what_changed", help="what changed")
    sub.add_argument("--hypothesis", help="what the change should improve, and why")
    sub.add_argument("--before-days", type=int, help="days compared before the change (14)")
    sub.add_argument("--after-days", type=int, help="days compared after the change (14)")
    sub.add_argument("--status", choices=STATUSES, help="running (default), kept or reverted")
    sub.add_argument(
        "--future-state",
        dest="future_state_id",
        type=int,
        metavar="ID",
        help="the saved future state (its id) the change tries",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    commands = parser.add_subparsers(dest="action", required=True)
    listing = commands.add_parser("list", help="every experiment, latest change first")
    listing.add_argument("--json", action="store_true", help="print one JSON array")
    _fields(commands.add_parser("add", help="record a new experiment"), required=True)
    edit = commands.add_parser("edit", help="change fields of an experiment")
    edit.add_argument("id", type=int)
    _fields(edit, required=False)
    delete = commands.add_parser("delete", help="delete an experiment")
    delete.add_argument("id", type=int)


def _record_json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def run(args: argparse.Namespace) -> int:
    given = {k: v for k, v in vars(args).items() if k in EDITABLE and v is not None}
    try:
        with Warehouse.open(resolve_db_path(args.db)) as wh:
            if args.action == "list":
                rows = list(experiments(wh).iter_rows(named=True))
                if args.json:
                    print(json.dumps([_record_json(row) for row in rows]))
                else:
                    for row in rows:
                        print(
                            f"#{row['id']} {row['name']} ({row['offering']}), changed "
                            f"{row['changed_at']:%Y-%m-%d %H:%M} UTC, {row['before_days']} "
                            f"days before / {row['after_days']} after, {row['status']}"
                        )
            elif args.action == "add":
                print(f"Recorded experiment #{create_experiment(wh, **given)}.")
            elif args.action == "edit":
                record = update_experiment(wh, args.id, **given)
                print(json.dumps(_record_json(asdict(record))))
            else:
                delete_experiment(wh, args.id)
                print(f"Deleted experiment #{args.id}.")
    except WarehouseError as exc:
        raise CommandError(str(exc)) from exc
    return 0
