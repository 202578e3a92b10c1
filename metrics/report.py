"""Command line: the headline metrics of one offering, as text or as JSON.

    python -m metrics.report --db PATH --offering NAME [--from DATE] [--to DATE]
        [--window {intersecting,started,completed}] [--json]

`--from`/`--to` are UTC dates, both days included; by default the window keeps
the cases in progress at some point of it (see metrics.filters). With `--json`
stdout carries exactly one JSON object (seconds as numbers, null where a figure
is undefined); other tools script against its shape, so keep it stable. pm4py
is never imported here: it prints a licence banner when imported from __main__.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from metrics.derived import derive_all
from metrics.filters import WINDOW_MODES, CaseFilter, apply_filters
from metrics.stats import duration_text
from metrics.summary import ENGINE, case_summary, summary
from warehouse import Warehouse, resolve_db_path


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m metrics.report", description="Stream metrics of one offering."
    )
    parser.add_argument(
        "--db", help="warehouse file (default: $VSM_DB, else data/warehouse.duckdb)"
    )
    parser.add_argument("--offering", required=True, help="the offering (value stream)")
    parser.add_argument("--from", dest="from_date", type=_date, help="first day (UTC), included")
    parser.add_argument("--to", dest="to_date", type=_date, help="last day (UTC), included")
    parser.add_argument(
        "--window",
        choices=WINDOW_MODES,
        default="intersecting",
        help="which cases a --from/--to window keeps (default: in progress during it)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def format_summary(figures: dict[str, Any], pce_basis: str = "value-adding") -> str:
    """A readable text version of `summary`'s dict."""

    def spread(key: str) -> str:
        d = figures[key]
        return (
            f"p50 {duration_text(d['p50'])}, p85 {duration_text(d['p85'])}, "
            f"p95 {duration_text(d['p95'])}, mean {duration_text(d['mean'])}"
        )

    pce_label = (
        "PCE" if pce_basis == "value-adding" else "PCE (= flow efficiency: no value classes)"
    )
    lines = [
        f"Offering: {figures['offering']}",
        f"Cases: {figures['cases']} ({figures['completed_cases']} completed, "
        f"{figures['open_cases']} open); instances: {figures['instances']}; "
        f"variants: {figures['variants']}",
        "Completed cases:",
        f"  lead time     {spread('lead_time_s')}",
        f"  process time  {spread('process_time_s')}",
        f"  wait time     {spread('wait_time_s')}",
        f"  flow efficiency {_share(figures['flow_efficiency'])}; "
        f"{pce_label} {_share(figures['pce'])}",
        f"Cases with rework: {_share(figures['rework_case_share'])}",
        f"Bottleneck (largest total wait before it): {figures['bottleneck'] or '–'}",
        "Steps:",
    ]
    for step in figures["steps"]:
        lines.append(
            f"  {step['activity']}: {step['instances']} instances in {step['cases']} cases, "
            f"process p50 {duration_text(step['process_time_s']['p50'])}, "
            f"wait before p50 {duration_text(step['wait_before_s']['p50'])} "
            f"(total {duration_text(step['wait_before_s']['sum'])}), "
            f"rework {_share(step['rework_share'])}"
        )
    lines.append("Transitions (most frequent first):")
    for edge in figures["transitions"][:20]:
        lines.append(
            f"  {edge['from']} → {edge['to']}: {edge['count']}, "
            f"wait mean {duration_text(edge['wait_s']['mean'])}, p50 {duration_text(edge['wait_s']['p50'])}"
        )
    if len(figures["transitions"]) > 20:
        lines.append(f"  … and {len(figures['transitions']) - 20} more")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path = resolve_db_path(args.db)
    if not path.exists():
        print(f"No warehouse at {path}.", file=sys.stderr)
        return 2
    with Warehouse.open(path) as wh:
        if args.offering not in wh.offerings():
            print(f"No offering {args.offering!r} in {path}.", file=sys.stderr)
            return 2
        events = wh.events([args.offering])
        catalog = wh.catalog(args.offering)
        open_items = wh.open_items([args.offering])
    d = derive_all(events, catalog, open_items)
    spec = CaseFilter(
        window_start=_midnight(args.from_date) if args.from_date else None,
        window_end=_midnight(args.to_date + timedelta(days=1)) if args.to_date else None,
        window_mode=args.window,
    )
    view_instances, view_cases = apply_filters(d.instances.lazy(), d.cases.lazy(), spec)
    figures = summary(view_instances, view_cases)
    figures["offering"] = args.offering
    if args.json:
        json.dump(figures, sys.stdout, allow_nan=False)
        sys.stdout.write("\n")
    else:
        basis = case_summary(view_cases).select("pce_basis").collect(engine=ENGINE).item()
        print(format_summary(figures, pce_basis=basis or "flow efficiency"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
