"""Import event logs (CSV, TSV, Excel, Parquet, XES) and tool exports into the warehouse.

    python -m cli ingest FILE [FILE ...] --db PATH [--offering NAME | --offering-column COL]
        [--case-column COL] [--activity-column COL] [--end-column COL] [--start-column COL]
        [--resource-column COL] [--lifecycle-column COL] [--sheet NAME] [--timezone TZ]
        [--day-first] [--format NAME] [--follow COLUMN] [--milestones COL,COL,...] [--json]

Tool exports (monday.com, Jira, GitHub, Trello, Linear, Asana, milestone sheets) are
recognised from their layout; ``--format`` names one by hand (``generic`` = an event
log mapped column by column, ``auto`` = detect, the default). ``--offering``, ``--sheet``
and ``--timezone`` never change which format a file is read as; column options
(``--case-column`` ...) make it a generic event log unless ``--format`` names a tool.

While the app runs it holds the warehouse file, so the prepared import is handed to
it through the inbox folder beside the file and this command waits for the app's
result (warehouse/inbox.py); while another command-line import writes, it waits for
that one (``--wait`` seconds at most). Either way the import is one transaction.

At a terminal it notes on stderr each offering the import works out again (its cases and
the figures the pages show): most of an import's time in a big warehouse.

Exit status: 0 when the file's events are in the warehouse (stored now, or already
there from an earlier import), 2 with a one-line reason on stderr when nothing
could be imported.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.common import add_db, fail
from pipelines.errors import IngestError
from pipelines.formats import FORMATS, GENERIC, FormatOptions
from pipelines.ingest import (
    ImportOptions,
    ImportReport,
    import_job,
    import_report,
    prepare,
    updating_text,
)
from warehouse import WarehouseError, resolve_db_path
from warehouse.access import command_line_actor
from warehouse.inbox import submit

HELP = "import event logs and tool exports into the warehouse"
_ROLES = ("case", "activity", "end", "start", "resource", "lifecycle")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_db(p)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--offering", help="one offering name for every row of the file")
    group.add_argument("--offering-column", help="the column that names each row's offering")
    for role in _ROLES:
        p.add_argument(f"--{role}-column", help=f"the {role} column (default: detected)")
    p.add_argument("--sheet", help="Excel sheet to read (default: the first)")
    p.add_argument(
        "--timezone", default="UTC", help="zone of timestamps without an offset (default UTC)"
    )
    p.add_argument(
        "--day-first",
        action="store_true",
        default=None,
        help="read 03/04/2025 as 3 April (default: detected from the data)",
    )
    p.add_argument(
        "--format",
        choices=["auto", GENERIC, *FORMATS],
        default="auto",
        metavar="NAME",
        help=f"the file's layout: auto (detect, default), {GENERIC} (an event log), "
        + ", ".join(FORMATS),
    )
    p.add_argument("--follow", help="monday.com column or Jira field to follow (default Status)")
    p.add_argument(
        "--milestones",
        help="milestone sheets: the date columns that are steps, in order, comma-separated",
    )
    p.add_argument(
        "--allow-overlap",
        action="store_true",
        help="import even when the offering already holds the file's cases with other "
        "times or steps (the same log in another format or time zone): they are stored twice",
    )
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    p.add_argument(
        "--wait",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="how long to wait for the warehouse while another import writes it (default 1800)",
    )


def options(args: argparse.Namespace) -> ImportOptions:
    """The command line's choices as ImportOptions (the same for every file given)."""
    columns = {role: getattr(args, f"{role}_column") for role in _ROLES}
    columns["offering_column"] = args.offering_column
    milestones = [m.strip() for m in args.milestones.split(",")] if args.milestones else None
    # Options only a tool export takes (or a tool named) make the file one; the item and
    # user columns are then the format's options, not a column mapping.
    tool = args.format not in ("auto", GENERIC) or bool(args.follow or args.milestones)
    return ImportOptions(
        columns={} if tool else {k: v for k, v in columns.items() if v},
        offering=args.offering,
        timezone=args.timezone,
        day_first=args.day_first,
        sheet=args.sheet,
        format=None if args.format == "auto" else args.format,
        format_options=FormatOptions(
            follow=args.follow,
            milestones=tuple(milestones) if milestones else None,
            case_column=args.case_column if tool else None,
            resource_column=args.resource_column if tool else None,
        ),
    )


def _print_text(reports: list[ImportReport]) -> None:
    for r in reports:
        print(r.summary())
        for note in r.notes:
            print(f"  note: {note}")
        for rej in r.rejects[:20]:
            print(f"  row {rej['row']}: {rej['reason']}")
        if r.rejected > 20:
            print(f"  ... and {r.rejected - 20:,} more rejected rows (see the Data page).")


def _waiting(why: str) -> None:
    print(f"note: {why}.", file=sys.stderr)


def _updating(done: int, total: int, offering: str) -> None:
    """How far the import's derivation got, for a person at a terminal: in a big warehouse
    it is most of the import's time."""
    if offering:
        print(f"note: updating {updating_text(done, total, offering)}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    db = resolve_db_path(args.db)
    actor = command_line_actor()
    reports: list[ImportReport] = []
    failures: list[str] = []
    chosen = options(args)
    for file in args.files:
        try:
            if not file.is_file():
                raise IngestError(f"{file}: no such file.")
            # Read, map and validate first, holding nothing: the warehouse is needed only
            # for the one transaction that stores it.
            prepared = prepare(file, file.name, chosen)
            job = import_job(prepared, refuse_overlap=not args.allow_overlap)
            result = submit(
                db,
                job,
                actor,
                timeout_s=args.wait,
                on_wait=_waiting,
                progress=_updating if sys.stderr.isatty() else None,
            )
            reports.append(import_report(prepared, result))
        except (IngestError, WarehouseError) as exc:
            failures.append(str(exc))
    if args.json and reports:
        payload: Any = [r.to_json() for r in reports]
        if len(args.files) == 1 and reports:
            payload = payload[0]
        print(json.dumps(payload, indent=2, default=str))
    elif not args.json:
        _print_text(reports)
    for message in failures:
        fail(message)
    return 0 if reports else 2
