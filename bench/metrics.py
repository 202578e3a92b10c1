"""Benchmark: our full metric set against the pm4py equivalent, on the same demo events.

    python bench/metrics.py [--events N] [--seed S]

Generates about N events with the demo generator (event_id = row order),
writes them to a temporary Parquet file, then times each engine in its own
process so that peak memory (max RSS) is each one's own:

- ours: derive_instances, case_table, then per offering steps, transitions,
  variants, bottleneck, rolled %C&A, case aggregates, arrivals/throughput per
  day, week and month, daily WIP, aging and Little's law;
- pm4py: discover_dfg, discover_performance_dfg (with start timestamps),
  get_all_case_durations, get_variants and get_rework_cases_per_activity on a
  pandas frame already in pm4py's format (the conversion is timed separately
  and not counted).

Prints the times, the peak memory of each process and the ratios; asserts
nothing. Two ratios: from raw events (our derivation included), and per view
(the derivation is done once per load and reused; every page view then costs
only the group-bys, while pm4py recomputes from the event frame each time).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated runs (the first pays for thread pools and caches warming up)."""
    best = min(runs, key=lambda run: float(run["seconds"]))
    return {**best, "peak_mib": _rss_mib(), "runs": [round(r["seconds"], 3) for r in runs]}


def _run_ours(data: Path, catalog_path: Path, repeat: int) -> dict[str, Any]:
    import polars as pl

    events = pl.read_parquet(data)
    catalog = pl.read_parquet(catalog_path)
    loaded = _rss_mib()
    runs = [_time_ours(events, catalog) for _ in range(repeat)]
    return {**_best(runs), "loaded_mib": loaded}


def _time_ours(events: Any, catalog: Any) -> dict[str, Any]:
    import polars as pl

    from metrics.cases import case_table
    from metrics.derive import derive_instances
    from metrics.flow import aging, flow_per_period, littles_law, wip_daily
    from metrics.steps import bottleneck, main_path, rolled_pct_c_and_a, steps
    from metrics.summary import ENGINE, case_summary
    from metrics.transitions import transitions
    from metrics.variants import variants

    t0 = time.perf_counter()
    instances = derive_instances(events.lazy(), catalog.lazy()).collect(engine=ENGINE)
    cases = case_table(instances.lazy()).collect(engine=ENGINE)
    t_derive = time.perf_counter() - t0
    inst, cs = instances.lazy(), cases.lazy()
    step_frame, variant_frame = pl.collect_all([steps(inst), variants(cs)], engine=ENGINE)
    frames = pl.collect_all(
        [
            transitions(inst),
            bottleneck(step_frame.lazy()),
            rolled_pct_c_and_a(step_frame.lazy(), main_path(variant_frame.lazy())),
            case_summary(cs, by=("offering",)),
            flow_per_period(cs, "1d"),
            flow_per_period(cs, "1w"),
            flow_per_period(cs, "1mo"),
            wip_daily(cs),
            aging(cs),
            littles_law(cs),
        ],
        engine=ENGINE,
    )
    total = time.perf_counter() - t0
    return {
        "seconds": total,
        "derive_seconds": t_derive,
        "views_seconds": total - t_derive,
        "cases": cases.height,
        "instances": instances.height,
        "edges": frames[0].select("from_activity", "to_activity").n_unique(),
    }


def _run_pm4py(data: Path, repeat: int) -> dict[str, Any]:
    import warnings

    import polars as pl

    warnings.filterwarnings("ignore")
    import pm4py

    events = pl.read_parquet(data)
    t0 = time.perf_counter()
    frame = (
        events.sort("event_id")
        .select(
            pl.col("case_id").alias("case:concept:name"),
            pl.col("activity").alias("concept:name"),
            pl.col("end").alias("time:timestamp"),
            pl.coalesce("start", "end").alias("start_timestamp"),
        )
        .to_pandas()
        .sort_values(["case:concept:name", "start_timestamp", "time:timestamp"], kind="stable")
        .reset_index(drop=True)
    )
    convert = time.perf_counter() - t0
    del events
    loaded = _rss_mib()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        dfg, _, _ = pm4py.discover_dfg(frame)
        pm4py.discover_performance_dfg(frame)
        durations = pm4py.get_all_case_durations(frame)
        pm4py.get_variants(frame)
        pm4py.get_rework_cases_per_activity(frame)
        runs.append(
            {"seconds": time.perf_counter() - t0, "cases": len(durations), "edges": len(dfg)}
        )
    return {**_best(runs), "convert_seconds": convert, "loaded_mib": loaded}


def _worker(kind: str, data: Path, catalog: Path, repeat: int) -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--worker",
            kind,
            "--data",
            str(data),
            "--catalog",
            str(catalog),
            "--repeat",
            str(repeat),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{result.stderr}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the best counts")
    parser.add_argument("--worker", choices=["ours", "pm4py"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--catalog", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        out = (
            _run_ours(args.data, args.catalog, args.repeat)
            if args.worker == "ours"
            else _run_pm4py(args.data, args.repeat)
        )
        print(json.dumps(out))
        return 0

    import polars as pl

    from pipelines.demo_data import generate_demo, generate_events

    t0 = time.perf_counter()
    events = generate_events(args.events, seed=args.seed)
    events = events.with_columns(event_id=pl.int_range(pl.len(), dtype=pl.Int64))
    catalog = generate_demo(args.seed, scale=0.01).catalog
    print(
        f"generated {events.height:,} events in {time.perf_counter() - t0:.1f} s "
        f"({events['case_id'].n_unique():,} cases, {events['offering'].n_unique()} offerings)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        data, cat = Path(tmp) / "events.parquet", Path(tmp) / "catalog.parquet"
        events.write_parquet(data)
        catalog.write_parquet(cat)
        del events
        ours = _worker("ours", data, cat, args.repeat)
        print(
            f"ours:  {ours['seconds']:7.2f} s  best of {ours['runs']} (derive {ours['derive_seconds']:.2f} s, every "
            f"view {ours['views_seconds']:.2f} s)  peak {ours['peak_mib']:,.0f} MiB "
            f"(data loaded: {ours['loaded_mib']:,.0f} MiB)"
        )
        theirs = _worker("pm4py", data, cat, args.repeat)
        print(
            f"pm4py: {theirs['seconds']:7.2f} s  best of {theirs['runs']} (+ {theirs['convert_seconds']:.2f} s to build "
            f"its pandas frame, not counted)  peak {theirs['peak_mib']:,.0f} MiB "
            f"(data loaded: {theirs['loaded_mib']:,.0f} MiB)"
        )
    print(
        f"ratio: pm4py / ours = {theirs['seconds'] / ours['seconds']:.1f}x from raw events; "
        f"{theirs['seconds'] / ours['views_seconds']:.1f}x per view once derived "
        f"(cases {ours['cases']:,} vs {theirs['cases']:,}; DFG edges {ours['edges']} vs "
        f"{theirs['edges']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
