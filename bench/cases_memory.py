"""What the app holds of a warehouse's cases: their variants as text, compact in the
process's memory, and compact in a file mapped into memory (what the app holds).

    python bench/cases_memory.py --db DB

Each way is measured in a process of its own: the stored cases are read as the app
reads them (`warehouse.derived._read_cases`), DuckDB's cache is dropped, and the
process's resident memory is read from /proc before the read, after it and once the
frame is let go (what is held is the difference), the process's own memory (RssAnon)
and the pages of files mapped into it (RssFile, the system's file cache, which it takes
back under pressure) apart; then, read again, the variants of every case are counted
(`metrics.variants`) and the peak above what was held is read, and the mapped pages
resident after it. Prints figures; asserts nothing. Linux only (/proc); run it on a
quiet machine, with polars' allocator returning freed memory at once, so that what is held
is what the cases take (`_RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0`, set here
for the children; the app returns it half a second after: `ui.serve.ALLOCATOR`).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _mb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


WAYS = ("text", "compact", "mapped")
"""text: the variants as text, in the process's memory; compact: as categories
(`metrics.variants.COMPACT_VARIANT`) copied into the process's memory (the app until
December 2026); mapped: compact, in a file mapped into memory (`warehouse.mapped`)."""


def _child(db: str, way: str) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import polars as pl
    import pyarrow  # noqa: F401  # imported before the baseline, as the app has it

    import warehouse.derived
    from metrics.variants import variants
    from warehouse import Warehouse
    from warehouse.derived import _chosen, _read_cases
    from warehouse.mapped import owned

    if way == "compact":  # each offering copied into the process's memory, as before
        warehouse.derived.mapped = lambda frame, folder: owned(frame)
    wh = Warehouse.open(db, memory_limit="1GB")
    wh.read("SELECT count(*) FROM derived_cases")

    def read() -> pl.DataFrame:
        cases, _ = _read_cases(wh, _chosen(wh, None), way != "text")
        return cases

    gc.collect()
    before = _mb("RssAnon"), _mb("RssFile")
    start = time.perf_counter()
    cases = read()
    read_s = time.perf_counter() - start
    read_peak = _mb("VmHWM") - sum(before)
    wh.release_cache("1GB")
    gc.collect()
    held = _mb("RssAnon") - before[0], _mb("RssFile") - before[1]
    n = cases.height
    del cases
    gc.collect()
    left = _mb("RssAnon") - before[0]  # what DuckDB and the allocator keep of the read
    cases = read()
    wh.release_cache("1GB")
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    base = _mb("VmRSS")
    file_base = _mb("RssFile")
    start = time.perf_counter()
    counted = variants(cases.lazy(), by=()).collect()
    count_s = time.perf_counter() - start
    count_peak = _mb("VmHWM") - base
    return {
        "cases": n,
        "variants": counted.height,
        "read_s": read_s,
        "read_peak_mb": read_peak,
        "held_mb": held[0] - left,
        "file_mb": held[1],
        "count_s": count_s,
        "count_peak_mb": count_peak,
        "file_after_count_mb": _mb("RssFile") - file_base + held[1],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True, type=Path, help="a warehouse with derived cases")
    p.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(str(args.db), args.child)))
        return
    env = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
    rows = {}
    for how in WAYS:
        out = subprocess.run(
            [sys.executable, __file__, "--db", str(args.db), "--child", how],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        rows[how] = json.loads(out.strip().splitlines()[-1])
    text = rows["text"]
    print(f"{text['cases']:,} cases, {text['variants']:,} variants, in {args.db}")
    print(
        f"{'cases held as':<15}{'own memory':>12}{'file pages':>12}{'read peak':>11}{'read':>8}"
        f"{'count':>8}{'peak':>10}{'file pages after':>18}"
    )
    for how, r in rows.items():
        print(
            f"{how:<15}{r['held_mb']:>9,} MB{r['file_mb']:>9,} MB{r['read_peak_mb']:>8,} MB"
            f"{r['read_s']:>7.2f}s{r['count_s']:>7.2f}s{r['count_peak_mb']:>7,} MB"
            f"{r['file_after_count_mb']:>15,} MB"
        )
    for how in WAYS[1:]:
        r = rows[how]
        print(
            f"{how} / text: own memory held {r['held_mb'] / text['held_mb']:.2f}, "
            f"counting the variants {r['count_s'] / text['count_s']:.2f} of the time"
        )


if __name__ == "__main__":
    main()
