"""Before / after: did a change make work flow faster, or did the queue only move?

    python -m cli compare --db PATH --offering NAME --change ISO_INSTANT
        [--before-days N] [--after-days N] [--json]
    python -m cli compare --db PATH --experiment ID [--json]

With `--json` stdout carries exactly one JSON object (metrics.compare.Comparison.to_json).
"""

from __future__ import annotations

import argparse

from cli.common import (
    CommandError,
    add_db,
    add_json,
    instant,
    offering_cases,
    open_existing,
    print_json,
)
from metrics.compare import compare, format_comparison
from warehouse import WarehouseError
from warehouse.experiments import DEFAULT_WINDOW_DAYS, get_experiment

HELP = "compare the windows before and after a change"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--offering", help="the offering (value stream) that changed")
    parser.add_argument(
        "--change",
        type=instant,
        help="when the change took effect (ISO; UTC unless a zone is given)",
    )
    parser.add_argument("--before-days", type=int, help="days before the change (default 14)")
    parser.add_argument("--after-days", type=int, help="days after the change (default 14)")
    parser.add_argument("--experiment", type=int, help="compare a stored experiment (by id)")
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    offering, change = args.offering, args.change
    before_days, after_days = args.before_days, args.after_days
    if args.experiment is not None:
        with open_existing(args.db) as wh:
            try:
                exp = get_experiment(wh, args.experiment)
            except WarehouseError as exc:
                raise CommandError(str(exc)) from exc
        offering, change = offering or exp.offering, change or exp.changed_at
        before_days = before_days or exp.before_days
        after_days = after_days or exp.after_days
    if offering is None or change is None:
        raise CommandError("Give --offering and --change, or --experiment.")
    d = offering_cases(args.db, offering)
    result = compare(
        d.instances.lazy(),
        d.cases.lazy(),
        offering,
        change,
        before_days or DEFAULT_WINDOW_DAYS,
        after_days or DEFAULT_WINDOW_DAYS,
    )
    if args.json:
        print_json(result.to_json())
    else:
        print(format_comparison(result))
    return 0
