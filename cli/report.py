"""The headline metrics of one offering, as text or as JSON.

    python -m cli report --db PATH --offering NAME [--from DATE] [--to DATE]
        [--window {intersecting,started,completed}] [--calendar FILE.json] [--json]

`--from`/`--to` are UTC dates, both days included; by default the window keeps
the cases in progress at some point of it (see metrics.filters). With
`--calendar`, every duration counts working time only (docs/REDESIGN.md). With `--json`
stdout carries exactly one JSON object (seconds as numbers, null where a figure
is undefined); other tools script against its shape, so keep it stable. pm4py
is never imported here: it prints a licence banner when imported from __main__.
"""

from __future__ import annotations

import argparse

from cli.common import (
    add_calendar,
    add_db,
    add_json,
    add_window,
    offering_cases,
    print_json,
    read_calendar,
    window_filter,
)
from metrics.report import format_summary, report

HELP = "the headline metrics of one offering"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--offering", required=True, help="the offering (value stream)")
    add_window(parser)
    add_calendar(parser)
    add_json(parser)


def run(args: argparse.Namespace) -> int:
    calendar = read_calendar(args.calendar)
    d = offering_cases(args.db, args.offering, calendar)
    figures, pce_basis = report(d, args.offering, window_filter(args))
    if args.json:
        print_json(figures)
    else:
        if calendar is not None:
            print(f"Durations count working time only (calendar {args.calendar}).")
        print(format_summary(figures, pce_basis))
    return 0
