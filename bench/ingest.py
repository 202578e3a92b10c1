"""Ingestion benchmark: our pipeline against the pandas + pm4py path on the same files.

    python bench/ingest.py [--events N] [--skip-pm4py]

Generates an N-event log with the demo generator (default 1,000,000), writes it
as a CSV and as an XES file, then loads each one in a fresh child process (so
each path's peak memory is its own): ours reads, maps, validates, pairs and
stores into a new DuckDB warehouse, and in the same transaction derives every case's
steps and stores each offering's report and page figures (what the pages read); the
time of each part is printed under it. The reference path is `pandas.read_csv` +
`pm4py.format_dataframe` for the CSV and `pm4py.read_xes` for the XES (neither
validates nor stores anything). Prints events/s, peak RSS and the ratio.
Asserts nothing: it is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def write_logs(n_events: int, folder: Path) -> tuple[Path, Path, int]:
    from pipelines.demo_data import generate_events

    events = generate_events(n_events).with_columns(
        pl.col("case_id").alias("Case ID"),
    )
    csv = folder / "bench.csv"
    events.select(
        pl.col("case_id").alias("Case ID"),
        pl.col("activity").alias("Activity"),
        pl.col("start").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").alias("Start Timestamp"),
        pl.col("end").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").alias("Complete Timestamp"),
        pl.col("resource").alias("Resource"),
        pl.col("offering").alias("Offering"),
        "customer",
        "product_family",
    ).write_csv(csv)

    xes = folder / "bench.xes"
    lines = events.select(
        pl.col("case_id"),
        pl.format(
            '<event><string key="concept:name" value={}/><string key="org:resource" value={}/>'
            '<date key="time:timestamp" value="{}"/></event>',
            pl.col("activity").map_elements(quoteattr, return_dtype=pl.String),
            pl.col("resource").map_elements(quoteattr, return_dtype=pl.String),
            pl.col("end").dt.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z"),
        ).alias("xml"),
    )
    traces = lines.group_by("case_id", maintain_order=True).agg(pl.col("xml").str.join(""))
    with xes.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1849-2016" '
            'xmlns="http://www.xes-standard.org/">\n'
        )
        for case_id, xml in traces.iter_rows():
            out.write(
                f'<trace><string key="concept:name" value={quoteattr(case_id)}/>{xml}</trace>\n'
            )
        out.write("</log>\n")
    return csv, xes, events.height


def run_child(mode: str, path: Path) -> dict[str, float]:
    """Run one load in a child process; it prints its time and peak memory as JSON."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(mode: str, path: Path) -> None:
    """Load one file; libraries are imported before the clock starts."""
    import pandas as pd
    import pm4py

    from pipelines.ingest import ingest
    from warehouse import Warehouse

    phases: dict[str, float] = {}
    started = time.perf_counter()
    if mode == "ours":
        with (
            tempfile.TemporaryDirectory() as tmp,
            Warehouse.open(Path(tmp) / "b.duckdb") as wh,
            _phases(phases),
        ):
            report = ingest(wh, path)
            rows = report.stored
    elif mode == "pm4py-csv":
        frame = pd.read_csv(path)
        frame["Start Timestamp"] = pd.to_datetime(
            frame["Start Timestamp"], utc=True, format="ISO8601"
        )
        frame = pm4py.format_dataframe(
            frame,
            case_id="Case ID",
            activity_key="Activity",
            timestamp_key="Complete Timestamp",
            start_timestamp_key="Start Timestamp",
        )
        rows = len(frame)
    elif mode == "pm4py-xes":
        rows = len(pm4py.read_xes(str(path)))
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if phases:
        # What is left of the whole: opening the new warehouse and storing the events.
        phases["store"] = seconds - sum(phases.values())
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mib": peak_mib, **phases}))


PHASES = {
    "read": "read, map, validate and pair the rows",
    "store": "open a new warehouse, store the events",
    "derive": "derive and store every case's steps",
    "figures": "store each offering's report and page figures",
}
"""The parts of our import, timed apart; "read" and "store" are what the reference path's
parse compares with (it stores nothing and derives nothing)."""


@contextlib.contextmanager
def _phases(into: dict[str, float]) -> Iterator[None]:
    """Time the parts of one import (PHASES) by wrapping the functions that do them; the
    functions run as they do in the app."""
    import pipelines.ingest
    import warehouse.derived

    wrapped = [
        (pipelines.ingest, "prepare", "read"),
        (warehouse.derived, "rederive", "derive"),
        (warehouse.derived, "_store_report", "figures"),
    ]
    originals = [getattr(module, name) for module, name, _ in wrapped]

    def timing(function: Callable[..., Any], phase: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                into[phase] = into.get(phase, 0.0) + time.perf_counter() - started

        return timed

    for (module, name, phase), function in zip(wrapped, originals, strict=True):
        setattr(module, name, timing(function, phase))
    try:
        yield
    finally:
        for (module, name, _), function in zip(wrapped, originals, strict=True):
            setattr(module, name, function)
        # The figures are stored inside the derivation: its own part is the rest.
        into["derive"] = into.get("derive", 0.0) - into.get("figures", 0.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--skip-pm4py", action="store_true")
    p.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        csv, xes, n = write_logs(args.events, Path(tmp))
        print(
            f"log: {n:,} events; CSV {csv.stat().st_size / 2**20:,.0f} MiB, "
            f"XES {xes.stat().st_size / 2**20:,.0f} MiB"
        )
        print(f"{'path':<44}{'seconds':>9}{'events/s':>14}{'peak MiB':>10}")
        for label, mode, path in [
            ("CSV: ours, the whole import", "ours", csv),
            ("CSV: pandas + pm4py.format_dataframe", "pm4py-csv", csv),
            ("XES: ours, the whole import", "ours", xes),
            ("XES: pm4py.read_xes", "pm4py-xes", xes),
        ]:
            if args.skip_pm4py and mode.startswith("pm4py"):
                continue
            r = run_child(mode, path)
            results = globals().setdefault("_results", {})
            results[label] = r
            print(
                f"{label:<44}{r['seconds']:>9.2f}{n / r['seconds']:>14,.0f}{r['peak_mib']:>10,.0f}"
            )
            for phase, words in PHASES.items():
                if phase in r:
                    print(f"  {words:<52}{r[phase]:>6.2f} s")
        results = globals().get("_results", {})
        for kind in ("CSV", "XES"):
            ours = results.get(f"{kind}: ours, the whole import")
            ref = next(
                (v for k, v in results.items() if k.startswith(kind) and "ours" not in k), None
            )
            if ours and ref:
                events = ours["read"] + ours["store"]
                print(
                    f"{kind}: ours is {ref['seconds'] / events:.1f}x as fast as the pm4py path "
                    f"reading and storing the events ({events:.2f} s), "
                    f"{ref['seconds'] / ours['seconds']:.1f}x for the whole import"
                )


if __name__ == "__main__":
    main()
