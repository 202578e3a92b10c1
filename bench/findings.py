"""Benchmark: how often the findings cry wolf, and how long they take.

    python bench/findings.py [--seeds N] [--events N] [--skip-large]

1. False findings: seeded synthetic logs with no change and no attribute
   effect (tests/metrics/findings_logs.py: short lead times, and lead times of
   about seven weeks with that long still open at the end, the censoring
   trap). Prints, per kind of finding that must stay quiet there
   (lead_time_shift, step_wait_shift, attribute_effect), how many logs had
   one, and the share of logs with any. The design level is 1% per family
   (shifts, attribute values) in each log.
2. Run time on the demo data (pipelines/demo_data.py), per offering: the whole
   report from the events (derivation included) and the findings alone on
   derived frames (what a page that caches the derivation pays); best of three.
3. The same on about a million demo events (`generate_events`), attributes
   as JSON as the warehouse stores them.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

T = TypeVar("T")
QUIET_KINDS = ("lead_time_shift", "step_wait_shift", "attribute_effect")


def false_findings(seeds: int) -> None:
    from metrics.findings import findings_report
    from tests.metrics.findings_logs import Plants, synthetic_log

    for label, plants in (
        ("short lead times (~9 d)", Plants()),
        ("long lead times (~7 weeks)", Plants(wait_scale=6.0)),
    ):
        counts: Counter[str] = Counter()
        any_false = 0
        started = time.perf_counter()
        for seed in range(seeds):
            frame, catalog = synthetic_log(10_000 + seed, plants)
            report = findings_report(frame, catalog, "Synthetic")
            kinds = {f["kind"] for f in report["findings"] if f["kind"] in QUIET_KINDS}
            counts.update(kinds)
            any_false += bool(kinds)
        seconds = time.perf_counter() - started
        print(f"No-change logs, {label}: {seeds} seeds, {seconds / seeds:.2f} s per log")
        for kind in QUIET_KINDS:
            print(f"  {kind:18} in {counts[kind]:4d} logs ({counts[kind] / seeds:.1%})")
        print(f"  any of them        in {any_false:4d} logs ({any_false / seeds:.1%})")


def _best(work: Callable[[], T], repeat: int = 3) -> tuple[float, T]:
    """The fastest of `repeat` runs (this machine's two cores are shared) and the result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    assert result is not None
    return min(times), result


def _timed(label: str, events, catalog) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    from metrics.derived import derive_all
    from metrics.findings import case_attributes, find, findings_report

    print(f"{label}:")
    for offering in events["offering"].unique().sort().to_list():
        own = events.filter(pl.col("offering") == offering)
        whole, report = _best(partial(findings_report, own, catalog, offering))
        d = derive_all(own, catalog)
        alone, _ = _best(
            partial(
                find,
                d.instances.lazy(),
                d.cases.lazy(),
                catalog,
                attributes=case_attributes(own),
                data_end=d.now,
            )
        )
        print(
            f"  {offering:28} {own.height:>9,} events {report['cases']:>7,} cases "
            f"{len(report['findings']):>3} findings: report {whole:6.2f} s, "
            f"findings on derived frames {alone:6.2f} s"
        )


def _with_attributes(events):  # type: ignore[no-untyped-def]
    """The generator's attribute columns as the warehouse's JSON `attributes`."""
    import polars as pl

    attrs = ["customer", "product_family", "order_size"]
    return events.with_columns(
        attributes=pl.struct(attrs).struct.json_encode(),
        event_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
    ).drop(attrs)


def run_times(n_events: int, skip_large: bool) -> None:
    from pipelines.demo_data import generate_demo, generate_events

    demo = generate_demo()
    _timed("Demo data", _with_attributes(demo.events), demo.catalog)
    if not skip_large:
        _timed(
            f"About {n_events:,} demo events",
            _with_attributes(generate_events(n_events)),
            demo.catalog,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/findings.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--seeds", type=int, default=200, help="no-change logs per scenario")
    parser.add_argument("--events", type=int, default=1_000_000, help="size of the large log")
    parser.add_argument("--skip-large", action="store_true", help="leave out the large log")
    args = parser.parse_args(argv)
    false_findings(args.seeds)
    run_times(args.events, args.skip_large)
    return 0


if __name__ == "__main__":
    sys.exit(main())
