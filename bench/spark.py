"""Benchmark: the report of one offering on Spark against the same report in polars.

    python bench/spark.py [--events N] [--seed S] [--master local[*]] [--partitions P]

Generates about N events with the demo generator, writes them in the layout
`python -m cli export` writes (events/offering=NAME/*.parquet, catalog.parquet,
open_items.parquet), then times, for the largest offering:

- polars: reading its events, deriving every case (metrics.derived.derive_all) and the
  report (metrics.report.report), in this process;
- Spark: starting a session (timed apart), then distributed.report.spark_report, twice
  (the second run finds the JVM and the Python workers warm).

Prints the times, whether both engines printed the same JSON, and the ratio; asserts
nothing. On one machine Spark pays for its JVM, the Arrow hand-offs and the shuffles:
it is the engine for logs that do not fit one machine, not a faster one for those that do.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--partitions", type=int, default=8)
    args = parser.parse_args(argv)

    import polars as pl

    from metrics.derive import EVENT_COLUMNS
    from metrics.derived import derive_all
    from metrics.filters import CaseFilter
    from metrics.report import report
    from model import OPEN_ITEM_STORED_SCHEMA
    from pipelines.demo_data import generate_demo, generate_events

    t0 = time.perf_counter()
    events = generate_events(args.events, seed=args.seed).with_columns(
        event_id=pl.int_range(pl.len(), dtype=pl.Int64)
    )
    catalog = generate_demo(args.seed, scale=0.01).catalog
    offering = events["offering"].value_counts(sort=True)["offering"][0]
    print(
        f"generated {events.height:,} events in {time.perf_counter() - t0:.1f} s; the report "
        f"of {offering!r} ({events.filter(pl.col('offering') == offering).height:,} events)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for (name,), part in events.select(*EVENT_COLUMNS).group_by("offering"):
            target = folder / "events" / f"offering={name}"
            target.mkdir(parents=True)
            part.write_parquet(target / "data_0.parquet")
        catalog.write_parquet(folder / "catalog.parquet")
        pl.DataFrame(schema=OPEN_ITEM_STORED_SCHEMA).write_parquet(folder / "open_items.parquet")
        del events

        t = time.perf_counter()
        mine = pl.read_parquet(folder / "events" / f"offering={offering}" / "data_0.parquet")
        derived = derive_all(mine, catalog.filter(pl.col("offering") == offering))
        figures, _ = report(derived.instances.lazy(), derived.cases.lazy(), offering, CaseFilter())
        polars_s = time.perf_counter() - t
        del mine, derived
        print(f"polars: {polars_s:7.2f} s  (read, derive every case, report)")

        from distributed.report import spark_report
        from distributed.session import spark_session

        t = time.perf_counter()
        spark = spark_session(args.master, args.partitions)
        start_s = time.perf_counter() - t
        runs = []
        for _ in range(2):
            t = time.perf_counter()
            on_spark, _ = spark_report(spark, str(folder), offering, CaseFilter(), args.partitions)
            runs.append(time.perf_counter() - t)
        spark.stop()
        same = json.dumps(on_spark) == json.dumps(figures)
        print(
            f"spark:  {min(runs):7.2f} s  (runs {', '.join(f'{r:.2f}' for r in runs)} s; "
            f"session start {start_s:.2f} s; master {args.master}, {args.partitions} partitions)"
        )
        print(f"same JSON: {'yes' if same else 'NO'}; spark / polars = {min(runs) / polars_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
