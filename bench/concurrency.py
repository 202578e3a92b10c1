"""Imports while people read: what each way of sharing the warehouse file costs.

    .venv/bin/python bench/concurrency.py [--events 1000000] [--db PATH]

Prints, on a warehouse of --events demo events (its size on disk too):

1. Reads on the app's one long-lived connection against opening the file for each read
   (the "short-lived connections" design): the data version every rerun asks for, and
   one offering's events, the read behind every page after an import.
2. A command-line import of a 20,000-event file: written directly (no app), and handed
   to a process holding the file with the inbox watcher (the app).
3. How long readers on the app's connection wait while a 200,000-event import is stored
   in the same process (DuckDB's snapshots: they should not wait at all), and how long a
   reader that opens the file for each read waits while a command-line import writes it.

Figures only; nothing is asserted (docs/ARCHITECTURE.md quotes them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.pages import build_warehouse  # noqa: E402
from pipelines.demo_data import generate_events  # noqa: E402
from warehouse import Warehouse  # noqa: E402
from warehouse.db import DATA_VERSION_SQL  # noqa: E402

OFFERING_SQL = (
    'SELECT offering, case_id, activity, start, "end", resource FROM events '
    "WHERE offering = 'Custom formulation'"
)


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:,.1f} ms, max {max(samples) * 1000:,.1f} ms"


def timed(run, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        started = time.perf_counter()
        run()
        out.append(time.perf_counter() - started)
    return out


def reads(db: Path) -> None:
    def reopen(sql: str) -> None:
        con = duckdb.connect(str(db), read_only=True)
        con.sql(sql).pl()
        con.close()

    con = duckdb.connect(str(db), read_only=True)
    con.sql(OFFERING_SQL).pl()  # warm, as the app is after its first page
    for label, sql, n in (
        ("data version", DATA_VERSION_SQL, 40),
        ("one offering's events", OFFERING_SQL, 10),
    ):
        kept = timed(lambda sql=sql: con.cursor().sql(sql).pl(), n)
        fresh = timed(lambda sql=sql: reopen(sql), n)
        print(f"  {label}: long-lived connection {ms(kept)}; open, read, close {ms(fresh)}")
    con.close()


HOLDER = """
import sys, time
from pathlib import Path
from warehouse import Warehouse
from warehouse.inbox import InboxWatcher
wh = Warehouse.open(sys.argv[1]); w = InboxWatcher(wh).start()
print("ready", flush=True)
while not Path(sys.argv[2]).exists(): time.sleep(0.05)
w.stop(); wh.close()
"""


def cli_import(db: Path, path: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pipelines.ingest", str(path), "--db", str(db)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def handover(db: Path, tmp: Path) -> None:
    files = []
    for i in range(4):
        events = generate_events(20_000, seed=100 + i).with_columns(
            (pl.lit(f"b{i}-") + pl.col("case_id")).alias("case_id")
        )
        path = tmp / f"batch{i}.csv"
        events.write_csv(path)
        files.append(path)
    direct = [cli_import(db, files[0]), cli_import(db, files[1])]
    stop = tmp / "stop"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(stop)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    handed = [cli_import(db, files[2]), cli_import(db, files[3])]
    stop.touch()
    holder.wait(60)
    print(
        f"  20,000-event CSV from the command line: written directly {ms(direct)}; "
        f"handed to the app {ms(handed)} (each includes starting Python and reading the file)"
    )


def short_lived_reader_during_a_direct_import(db: Path, tmp: Path) -> None:
    """The other design: pages open the file for each read. While a command-line import
    writes the file, DuckDB refuses every other process, so a page waits out the import."""
    events = generate_events(200_000, seed=77).with_columns(
        (pl.lit("s-") + pl.col("case_id")).alias("case_id")
    )
    path = tmp / "short.csv"
    events.write_csv(path)
    stop = threading.Event()
    refused: list[float] = []
    longest = [0.0]

    def page_reader() -> None:
        blocked_since: float | None = None
        while not stop.is_set():
            try:
                con = duckdb.connect(str(db), read_only=True)
                con.sql(DATA_VERSION_SQL).fetchall()
                con.close()
                if blocked_since is not None:
                    longest[0] = max(longest[0], time.perf_counter() - blocked_since)
                    blocked_since = None
            except duckdb.IOException:
                refused.append(time.perf_counter())
                blocked_since = blocked_since or time.perf_counter()
            time.sleep(0.05)

    thread = threading.Thread(target=page_reader)
    thread.start()
    took = cli_import(db, path)
    time.sleep(0.3)
    stop.set()
    thread.join()
    print(
        f"  a 200,000-event command-line import ({took:.1f} s with Python's start): a page "
        f"opening the file for each read was refused {len(refused)} times and waited "
        f"{longest[0]:.1f} s at most"
    )


def readers_during_an_import(db: Path) -> None:
    wh = Warehouse.open(db)
    wh.read(OFFERING_SQL)
    batch = generate_events(200_000, seed=99).with_columns(
        (pl.lit("w-") + pl.col("case_id")).alias("case_id"),
        pl.lit("{}").alias("attributes"),
        pl.int_range(2, pl.len() + 2).alias("source_row"),
    )
    waits: list[float] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            started = time.perf_counter()
            wh.read(DATA_VERSION_SQL)
            waits.append(time.perf_counter() - started)

    thread = threading.Thread(target=reader)
    thread.start()
    started = time.perf_counter()
    wh.store_import(
        file_name="w.csv",
        sha256="w",
        format="csv",
        mapping={},
        options={},
        rows_read=batch.height,
        instances=batch.select(
            "offering",
            "case_id",
            "activity",
            "start",
            "end",
            "resource",
            "attributes",
            "source_row",
        ),
        rejects=pl.DataFrame(
            schema={"source_row": pl.Int64, "reason": pl.String, "raw": pl.String}
        ),
    )
    took = time.perf_counter() - started
    done.set()
    thread.join()
    wh.close()
    print(
        f"  a 200,000-event import took {took:.2f} s; meanwhile {len(waits):,} reads of the data "
        f"version on the same connection: {ms(waits)}"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--db", type=Path, help="reuse this warehouse (a copy is changed)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        db = tmp / "bench.duckdb"
        if args.db:
            db.write_bytes(args.db.read_bytes())
        else:
            build_warehouse(args.events, db)
        print(f"warehouse: {db.stat().st_size / 1e6:,.0f} MB on disk")
        print("1. reads")
        reads(db)
        print("2. command-line imports")
        handover(db, tmp)
        print("3. reads during an import")
        readers_during_an_import(db)
        short_lived_reader_during_a_direct_import(db, tmp)


if __name__ == "__main__":
    main()
