"""Forecast: when will N items be done, or how many will be done in D days?

    python -m cli forecast --db PATH --offering NAME (--items N | --days D)
        [--history-days 90] [--runs 10000] [--seed S] [--json]

Monte Carlo over the offering's daily throughput (completed cases per UTC day,
days with none counting as zero) in the last `--history-days` days up to its
latest event; dates count from the day after it (docs/REDESIGN.md). The same
seed gives the same answer. With `--json` stdout carries exactly one JSON
object: `{"history_days", "throughput_per_day": {"mean"}, "items", "done_by":
{"p50", "p85", "p95"}, ...}` or, with `--days`, `{"days", "items_done": {"p50",
"p85", "p95"}, ...}`, where `items_done.p85` is "at least this many with 85%
probability".
"""

from __future__ import annotations

import argparse
from typing import Any

from cli.common import CommandError, add_db, add_json, offering_cases, print_json
from metrics.forecast import (
    DEFAULT_HISTORY_DAYS,
    DEFAULT_RUNS,
    DEFAULT_SEED,
    PERCENTS,
    forecast_days,
    forecast_items,
)

HELP = "when N items will be done, or how many in D days (Monte Carlo)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--offering", required=True, help="the offering (value stream)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--items", type=int, metavar="N", help="when will N more items be done?")
    what.add_argument("--days", type=int, metavar="D", help="how many items in the next D days?")
    parser.add_argument(
        "--history-days",
        type=int,
        default=DEFAULT_HISTORY_DAYS,
        help=f"days of throughput history to draw from (default {DEFAULT_HISTORY_DAYS})",
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help=f"simulated runs (default {DEFAULT_RUNS:,})"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    add_json(parser)


def format_forecast(figures: dict[str, Any]) -> str:
    """A readable text version of `forecast_items`' or `forecast_days`' dict."""
    history = figures["history"]
    mean = figures["throughput_per_day"]["mean"]
    lines = [
        f"Offering: {figures['offering']}",
        f"Throughput history: {figures['history_days']} days ({history['from']} to "
        f"{history['to']}), {history['completed_cases']:,} completed cases"
        + ("" if mean is None else f", {mean:.2f} a day on average"),
    ]
    runs = f"{figures['runs']:,} runs, seed {figures['seed']}"
    if "items" in figures:
        lines.append(f"When will {figures['items']:,} items be done? ({runs})")
        for p in PERCENTS:
            when = figures["done_by"][f"p{p}"]
            lines.append(f"  {p}% likely done by {when or '– (nothing completed in the history)'}")
    else:
        lines.append(f"How many items in the next {figures['days']:,} days? ({runs})")
        for p in PERCENTS:
            lines.append(f"  at least {figures['items_done'][f'p{p}']:,} with {p}% probability")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    for option, value in (
        ("--items", args.items),
        ("--days", args.days),
        ("--history-days", args.history_days),
        ("--runs", args.runs),
    ):
        if value is not None and value < 1:
            raise CommandError(f"{option} must be at least 1, not {value}.")
    d = offering_cases(args.db, args.offering)
    cases = d.cases.lazy()
    common = {
        "history_days": args.history_days,
        "runs": args.runs,
        "seed": args.seed,
        "now": d.now,
        "offering": args.offering,
    }
    try:
        if args.items is not None:
            figures = forecast_items(cases, args.items, **common)
        else:
            figures = forecast_days(cases, args.days, **common)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print_json(figures)
    else:
        print(format_forecast(figures))
    return 0
