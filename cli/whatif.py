"""What-if: what would a redesign buy us? Projected onto the completed cases we have.

    python -m cli whatif --db PATH --offering NAME [--remove STEP]... [--parallel A,B]...
        [--wait-factor STEP=F]... [--from DATE --to DATE]
        [--window {intersecting,started,completed}] [--calendar FILE.json] [--json]

Changes combine in the order given on the command line, each applying to the
cases as the earlier ones left them (docs/REDESIGN.md). The cases are the
offering's completed cases in the window (as in `report`). With `--json` stdout
carries exactly one JSON object: `{"offering", "changes", "cases",
"affected_cases", "baseline": {"lead_time_s": {"p50", "p85", "p95", "mean"}},
"projected": {"lead_time_s": {...}}, "assumptions"}`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cli.common import (
    CommandError,
    add_calendar,
    add_db,
    add_json,
    add_window,
    offering_cases,
    print_json,
    read_calendar,
    window_filter,
)
from metrics.filters import apply_filters
from metrics.whatif import Change, format_whatif, parse_change, whatif

HELP = "project a redesign (remove a step, run two in parallel, wait less) onto the cases"


class _InOrder(argparse.Action):
    """Collect every change option into one list, in the order given: the order matters."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        changes = list(getattr(namespace, self.dest) or [])
        changes.append((self.metavar_kind, str(values)))
        setattr(namespace, self.dest, changes)

    metavar_kind = ""


def _change_option(kind: str) -> type[_InOrder]:
    return type(f"_{kind.replace('-', '_')}", (_InOrder,), {"metavar_kind": kind})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--offering", required=True, help="the offering (value stream)")
    parser.add_argument(
        "--remove",
        dest="changes",
        action=_change_option("remove"),
        metavar="STEP",
        help="take STEP out of every case: neither its wait before nor its time counts",
    )
    parser.add_argument(
        "--parallel",
        dest="changes",
        action=_change_option("parallel"),
        metavar="A,B",
        help="where B directly follows A, start B when A starts",
    )
    parser.add_argument(
        "--wait-factor",
        dest="changes",
        action=_change_option("wait-factor"),
        metavar="STEP=F",
        help="multiply the wait before STEP by F (0.5 halves it)",
    )
    add_window(parser)
    add_calendar(parser)
    add_json(parser)


def parse_changes(given: Sequence[tuple[str, str]] | None) -> list[Change]:
    """The changes of the command line, in order; a CommandError for a malformed one."""
    try:
        return [parse_change(kind, value) for kind, value in given or []]
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    changes = parse_changes(args.changes)
    calendar = read_calendar(args.calendar)
    d = offering_cases(args.db, args.offering, calendar)
    instances, cases = apply_filters(
        d.instances.lazy(), d.cases.lazy(), replace(window_filter(args), offerings=(args.offering,))
    )
    figures = whatif(
        instances, cases, changes, offering=args.offering, working_time=calendar is not None
    )
    if args.json:
        print_json(figures)
    else:
        print(format_whatif(figures))
    return 0
