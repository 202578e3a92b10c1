"""Conformance: how closely do the completed cases follow the future state we agreed?

    python -m cli conformance --db PATH --offering NAME --future-state FILE.json
        [--from DATE --to DATE] [--window {intersecting,started,completed}] [--json]

FILE.json is a future state (docs/REDESIGN.md): `{"name": "...", "stages":
["Quote", ["Formulation", "Sample sent"], "Production"], "optional": ["Sample
sent"]}`. The cases are the offering's completed cases in the window (as in
`report`). With `--json` stdout carries exactly one JSON object: `{"offering",
"future_state", "cases", "conforming", "conforming_share", "deviations":
[{"kind", "step", "cases"}], "by_week": [{"week", "cases", "conforming_share"}]}`.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from cli.common import (
    CommandError,
    add_db,
    add_json,
    add_window,
    offering_cases,
    print_json,
    read_json_file,
    window_filter,
)
from metrics.conformance import (
    FutureState,
    conformance,
    format_conformance,
    future_state_problems,
)
from metrics.filters import apply_filters

HELP = "how closely the completed cases follow a future state"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--offering", required=True, help="the offering (value stream)")
    parser.add_argument(
        "--future-state",
        required=True,
        metavar="FILE.json",
        help="the future state: name, stages in order, optional steps",
    )
    add_window(parser)
    add_json(parser)


def read_future_state(path: str) -> FutureState:
    """The future state in `path`; a one-line CommandError naming every problem."""
    obj = read_json_file(path, "future state")
    problems = future_state_problems(obj)
    if problems:
        raise CommandError(f"The future state in {path} is not valid: {' '.join(problems)}")
    return FutureState.from_json(obj)


def run(args: argparse.Namespace) -> int:
    future = read_future_state(args.future_state)
    d = offering_cases(args.db, args.offering)
    instances, cases = apply_filters(
        d.instances.lazy(), d.cases.lazy(), replace(window_filter(args), offerings=(args.offering,))
    )
    figures = conformance(instances, cases, future, offering=args.offering)
    if args.json:
        print_json(figures)
    else:
        print(format_conformance(figures))
    return 0
