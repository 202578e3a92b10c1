"""Set one activity's catalog fields, or list the catalog, so a catalog can be scripted.

    python -m cli catalog --db PATH set --offering NAME --activity STEP
        [--value-class value-adding|necessary|waste|unclassified] [--kind work|waiting|done]
        [--standard-minutes M|none] [--ends-case true|false|default]
    python -m cli catalog --db PATH list [--offering NAME] [--json]

`set` changes only the fields given and prints the activity's row after the
change (JSON with --json); `--standard-minutes none` removes a standard,
`--ends-case default` returns the activity to the default rule (METRICS.md).
An unknown offering or activity is refused with one line (exit 2).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from cli.common import CommandError, add_db, open_existing, print_json
from model import KINDS, VALUE_CLASSES
from warehouse import WarehouseError
from warehouse.catalog import KEEP, Keep, catalog_rows, set_activity

HELP = "set one activity's value class, kind, standard minutes or end flag; list the catalog"

ENDS = {"true": True, "false": False, "default": None}


def _minutes(text: str) -> float | None:
    if text.strip().lower() == "none":
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of minutes (or none): {text!r}") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    actions = parser.add_subparsers(dest="action", required=True)
    setter = actions.add_parser("set", help="set fields of one activity of an offering")
    setter.add_argument("--offering", required=True, help="the offering (value stream)")
    setter.add_argument("--activity", required=True, help="the activity (step), by its name")
    setter.add_argument("--value-class", choices=VALUE_CLASSES, help="what the step's time is")
    setter.add_argument("--kind", choices=KINDS, help="work, waiting (a queue) or done")
    setter.add_argument(
        "--standard-minutes",
        type=_minutes,
        default=KEEP,
        metavar="M",
        help="the step's standard time in minutes ('none' removes it)",
    )
    setter.add_argument(
        "--ends-case",
        choices=list(ENDS),
        help="whether the step completes a case ('default': the rule of METRICS.md)",
    )
    setter.add_argument("--json", action="store_true", help="print the row as one JSON object")
    listing = actions.add_parser("list", help="the catalog, in each offering's usual order")
    listing.add_argument("--offering", help="only this offering")
    listing.add_argument("--json", action="store_true", help="print one JSON array")


def _row_text(row: dict[str, Any]) -> str:
    minutes = row["standard_minutes"]
    end = {True: "ends a case", False: "never ends a case", None: "ends a case by the default rule"}
    return (
        f"{row['offering']} / {row['activity']}: {row['value_class']}, {row['kind']}, "
        f"standard {'none' if minutes is None else f'{minutes:g} min'}, "
        f"{end[row['is_end_activity']]}"
    )


def run(args: argparse.Namespace) -> int:
    try:
        with open_existing(args.db) as wh:
            if args.action == "set":
                minutes: float | Keep | None = args.standard_minutes
                row = set_activity(
                    wh,
                    args.offering,
                    args.activity,
                    value_class=args.value_class,
                    kind=args.kind,
                    standard_minutes=minutes,
                    ends_case=KEEP if args.ends_case is None else ENDS[args.ends_case],
                )
                if args.json:
                    print_json(row)
                else:
                    print(_row_text(row))
            else:
                rows = list(catalog_rows(wh, args.offering).iter_rows(named=True))
                if args.json:
                    print(json.dumps(rows, allow_nan=False))
                else:
                    for row in rows:
                        print(_row_text(row))
    except WarehouseError as exc:
        raise CommandError(str(exc)) from exc
    return 0
