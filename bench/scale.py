"""Scale benchmark: import, stored derivation, report and pages at 1M, 10M and 50M events.

    python bench/scale.py [--events 1000000 10000000 50000000] [--chunk 5000000]
                          [--pages] [--keep DIR]

For each size, the demo generator's events are written to Parquet in chunks of at
most --chunk events (a chunk is generated, written and dropped: never every event in
memory; each chunk's case ids carry its number, so chunks are distinct orders), then
imported chunk by chunk through the real pipeline into a new warehouse. Every import
derives the offerings it touches and stores them in its own transaction. Then, each
step in a fresh process so its peak memory is its own, it prints:

- import: seconds for all chunks (derivation included) and the importing process's
  peak RSS;
- derived tables: seconds to derive and store every offering again, as the first
  visit after an upgrade does (warehouse.derived.derive_stale), and peak RSS;
- stored derivation: seconds to read every case as the pages do (load_derivation);
- report: `python -m cli report --offering <largest> --json`, wall seconds of the
  whole command: as it runs by default (the report stored at the last import), and
  with a window of every day (the same figures computed from the stored steps);
- with --pages: bench/pages.py on the warehouse: each page's first render after a
  server restart, the re-render after a filter change, and the app's peak RSS.

Asserts nothing: it is a measurement, not a test.
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

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_chunks(n_events: int, chunk: int, folder: Path) -> list[Path]:
    """About `n_events` demo events as Parquet files of at most `chunk` events each."""
    import polars as pl

    from pipelines.demo_data import generate_events

    paths, left, k = [], n_events, 0
    while left > 0:
        size = min(chunk, left)
        events = generate_events(size, seed=7 + k).with_columns(
            pl.format("{}-{}", pl.lit(k), pl.col("case_id")).alias("case_id")
        )
        path = folder / f"chunk-{k:03d}.parquet"
        events.write_parquet(path)
        paths.append(path)
        left -= events.height
        k += 1
        del events
    return paths


def step_import(db: str, paths: list[str]) -> dict[str, float]:
    from pipelines.demo import DEMO_MAPPING
    from pipelines.demo_data import generate_demo
    from pipelines.ingest import ImportOptions, ingest
    from warehouse import Warehouse

    started = time.perf_counter()
    stored = 0
    with Warehouse.open(db) as wh:
        wh.save_catalog(generate_demo().catalog)
        for path in paths:
            report = ingest(wh, Path(path), options=ImportOptions(mapping=DEMO_MAPPING))
            stored += report.stored
    return {"seconds": time.perf_counter() - started, "events": stored, "peak_mb": _peak_mb()}


def step_derive(db: str) -> dict[str, float]:
    from warehouse import Warehouse
    from warehouse.derived import derive_stale

    with Warehouse.open(db) as wh:
        wh._con.execute("UPDATE derived_state SET version = 'before an upgrade'")
    with Warehouse.open(db) as wh:  # opening starts the tables again, as an upgrade does
        started = time.perf_counter()
        offerings = derive_stale(wh)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "offerings": len(offerings), "peak_mb": _peak_mb()}


def step_load(db: str) -> dict[str, float]:
    from warehouse import Warehouse
    from warehouse.derived import load_derivation

    with Warehouse.open(db) as wh:
        started = time.perf_counter()
        d = load_derivation(wh)
        seconds = time.perf_counter() - started
        largest = d.cases.group_by("offering").len().sort("len")["offering"][-1]
    return {
        "seconds": seconds,
        "instances": d.instances.height,
        "cases": d.cases.height,
        "largest": largest,
        "peak_mb": _peak_mb(),
    }


STEPS = {"import": step_import, "derive": step_derive, "load": step_load}


def child(name: str, *args: object, script: str = __file__) -> dict:  # type: ignore[type-arg]
    """Run one step of `script` (this one by default) in a fresh process; its result is
    the last line it prints."""
    out = subprocess.run(
        [sys.executable, script, "--step", name, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(n_events: int, chunk: int, folder: Path, pages: bool) -> None:
    parquet = folder / "parquet"
    parquet.mkdir(exist_ok=True)
    db = folder / "scale.duckdb"
    t = time.perf_counter()
    paths = write_chunks(n_events, chunk, parquet)
    print(
        f"\n== about {n_events:,} events ({len(paths)} Parquet chunk(s) written in "
        f"{time.perf_counter() - t:.1f} s)"
    )
    imported = child("import", db, *paths)
    print(
        f"import, deriving at each: {imported['seconds']:8.1f} s  "
        f"({imported['events']:,} events, peak RSS {imported['peak_mb']:,.0f} MB)"
    )
    derived = child("derive", db)
    print(
        f"derived tables, all again: {derived['seconds']:7.1f} s  "
        f"({derived['offerings']} offerings, peak RSS {derived['peak_mb']:,.0f} MB)"
    )
    loaded = child("load", db)
    print(
        f"read the stored derivation: {loaded['seconds']:6.2f} s  ({loaded['instances']:,} "
        f"instances, {loaded['cases']:,} cases, peak RSS {loaded['peak_mb']:,.0f} MB)"
    )
    for label, extra in (
        ("stored at the import", []),
        ("computed from the steps (a window of every day)", EVERY_DAY),
    ):
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "report",
                "--db",
                str(db),
                "--offering",
                loaded["largest"],
                "--json",
                *extra,
            ],
            check=True,
            capture_output=True,
            cwd=REPO,
        )
        print(
            f"report of {loaded['largest']}, {label}, whole command: "
            f"{time.perf_counter() - t:6.2f} s"
        )
    if pages:
        subprocess.run(
            [sys.executable, str(REPO / "bench" / "pages.py"), "--db", str(db)],
            check=True,
            cwd=REPO,
        )


EVERY_DAY = ["--from", "1970-01-01", "--to", "2999-12-31"]
"""A window keeping every case: the report command then computes from the steps."""


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    p.add_argument("--chunk", type=int, default=5_000_000)
    p.add_argument("--pages", action="store_true", help="also time every page in Chromium")
    p.add_argument("--keep", type=Path, help="build the warehouses in this folder and keep them")
    p.add_argument("--step", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.step:
        name, *rest = args.step
        fn = STEPS[name]
        result = fn(rest[0], rest[1:]) if name == "import" else fn(rest[0])  # type: ignore[operator]
        print(json.dumps(result))
        return
    for n in args.events:
        if args.keep:
            folder = args.keep / f"{n}"
            folder.mkdir(parents=True, exist_ok=True)
            measure(n, args.chunk, folder, args.pages)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                measure(n, args.chunk, Path(tmp), args.pages)


if __name__ == "__main__":
    main()
