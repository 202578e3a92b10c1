"""The findings of one offering: where the time goes, what changed, what explains slow cases.

    python -m cli findings --db PATH --offering NAME [--from DATE] [--to DATE]
        [--window {intersecting,started,completed}] [--json]

Most important first (by the time at stake per week). With `--json`, stdout
carries exactly one JSON object, `{"offering", "cases", "findings": [...]}`,
each finding `{"id", "kind", "step", "headline", "evidence", "at_stake_s"}`
(metrics.findings); other tools script against its shape, so keep it stable.
The offering's recorded experiments are passed in, so a shift found at a
recorded change names it. `--from`/`--to` as for `report`.
"""

from __future__ import annotations

import argparse

from cli.common import (
    CommandError,
    add_db,
    add_json,
    add_window,
    open_existing,
    print_json,
    window_filter,
)
from metrics.findings import findings_report
from metrics.stats import duration_text
from warehouse.experiments import experiments

HELP = "the findings of one offering, most important first"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--offering", required=True, help="the offering (value stream)")
    add_window(parser)
    add_json(parser)


def format_findings(report: dict[str, object]) -> str:
    """The report as text: one numbered paragraph per finding."""
    findings = report["findings"]
    assert isinstance(findings, list)
    head = f"Findings of {report['offering']}: {report['cases']:,} cases in view, "
    if not findings:
        return head + "nothing stands out."
    lines = [head + f"{len(findings)} findings, most important first."]
    for i, f in enumerate(findings, start=1):
        about = f["kind"].replace("_", " ") + (f" at {f['step']}" if f["step"] else "")
        lines.append(f"{i}. [{about}] {f['headline']}")
        lines.append(f"   time at stake: {duration_text(f['at_stake_s'])} a week · id {f['id']}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    with open_existing(args.db) as wh:
        if args.offering not in wh.offerings():
            raise CommandError(f"No offering {args.offering!r} in {wh.path}.")
        events = wh.events([args.offering])
        catalog = wh.catalog(args.offering)
        open_items = wh.open_items([args.offering])
        changes = [
            (row["changed_at"], row["name"])
            for row in experiments(wh, args.offering).iter_rows(named=True)
        ]
    report = findings_report(
        events, catalog, args.offering, window_filter(args), changes, open_items
    )
    if args.json:
        print_json(report)
    else:
        print(format_findings(report))
    return 0
