"""The headline metrics of one offering, as text or as JSON.

    python -m cli report --db PATH --offering NAME [--from DATE] [--to DATE]
        [--window {intersecting,started,completed}] [--calendar FILE.json] [--json]
        [--engine {polars,spark}] [--parquet DIR] [--spark-master URL]

`--from`/`--to` are UTC dates, both days included; by default the window keeps
the cases in progress at some point of it (see metrics.filters). With
`--calendar`, every duration counts working time only (docs/REDESIGN.md). With `--json`
stdout carries exactly one JSON object (seconds as numbers, null where a figure
is undefined); other tools script against its shape, so keep it stable. pm4py
is never imported here: it prints a licence banner when imported from __main__.

Without `--from`, `--to` and `--calendar`, the report is the one the warehouse stored with
the offering's derived cases at its last change (the same figures, computed then), so
it reads no step.

`--engine spark` computes the same report on Apache Spark (docs/SCALE.md), from the
Parquet folder `python -m cli export` writes (`--parquet DIR`; without it, the
warehouse is exported to a temporary folder first), on `--spark-master` (default
`local[*]`: every core of this machine). It prints the same JSON as the default engine.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from cli.common import (
    CommandError,
    add_calendar,
    add_db,
    add_json,
    add_window,
    offering_frames,
    open_existing,
    print_json,
    read_calendar,
    window_filter,
)
from metrics.filters import CaseFilter
from metrics.report import format_summary, report
from warehouse.derived import stored_report

HELP = "the headline metrics of one offering"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    parser.add_argument("--offering", required=True, help="the offering (value stream)")
    add_window(parser)
    add_calendar(parser)
    add_json(parser)
    parser.add_argument(
        "--engine",
        choices=("polars", "spark"),
        default="polars",
        help="polars on this machine (default), or Apache Spark",
    )
    parser.add_argument(
        "--parquet",
        metavar="DIR",
        help="with --engine spark: the folder `python -m cli export` wrote (default: export "
        "the warehouse to a temporary folder)",
    )
    parser.add_argument(
        "--spark-master",
        default="local[*]",
        metavar="URL",
        help="with --engine spark: the cluster (default local[*], this machine's cores)",
    )


def _on_spark(args: argparse.Namespace, spec: CaseFilter) -> tuple[dict[str, Any], str]:
    if args.calendar:
        raise CommandError("--calendar works with --engine polars only.")
    try:
        from distributed.report import SparkReportError, spark_report
        from distributed.session import spark_session
    except ImportError:
        raise CommandError(
            "--engine spark needs PySpark: pip install -r requirements-spark.txt"
        ) from None
    with tempfile.TemporaryDirectory(prefix="vsm-export-") as scratch:
        folder = args.parquet
        if folder is None:
            from warehouse.export import export_parquet

            folder = str(Path(scratch) / "export")
            with open_existing(args.db) as wh:
                if args.offering not in wh.offerings():
                    raise CommandError(f"No offering {args.offering!r} in {wh.path}.")
                export_parquet(wh, folder, [args.offering])
        elif not Path(folder, "events").exists() and "://" not in folder:
            raise CommandError(
                f"No exported events in {folder} (python -m cli export writes them)."
            )
        spark = spark_session(args.spark_master)
        try:
            return spark_report(spark, folder, args.offering, spec)
        except SparkReportError as exc:
            raise CommandError(str(exc)) from None
        finally:
            spark.stop()


def run(args: argparse.Namespace) -> int:
    spec = window_filter(args)
    calendar = read_calendar(args.calendar)
    if args.engine == "spark":
        figures, pce_basis = _on_spark(args, spec)
    else:
        with open_existing(args.db) as wh:
            # Every case in elapsed time: the report the warehouse stored at its last change.
            every_case = calendar is None and spec.window_start is None and spec.window_end is None
            found = stored_report(wh, args.offering) if every_case else None
            if found is None:
                instances, cases = offering_frames(wh, args.offering, calendar)
                found = report(instances, cases.lazy(), args.offering, spec)
        figures, pce_basis = found
    if args.json:
        print_json(figures)
    else:
        if calendar is not None:
            print(f"Durations count working time only (calendar {args.calendar}).")
        print(format_summary(figures, pce_basis))
    return 0
