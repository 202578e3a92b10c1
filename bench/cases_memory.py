"""What the app holds of a warehouse's cases, with their variants as text and compact.

    python bench/cases_memory.py --db DB

Each way is measured in a process of its own: the stored cases are read as the app
reads them (`warehouse.derived._read_cases`), DuckDB's cache is dropped, and the
process's resident memory is read from /proc before the read, after it and once the
frame is let go (what is held is the difference); then, read again, the variants of
every case are counted (`metrics.variants`) and the peak above what was held is read. Prints figures; asserts nothing. Linux only
(/proc); run it on a quiet machine, with the allocator setting the app uses
(`_RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0`, set here for the children).
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


def _child(db: str, compact: bool) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    import pyarrow  # noqa: F401  # imported before the baseline, as the app has it

    from metrics.variants import variants
    from warehouse import Warehouse
    from warehouse.derived import _chosen, _read_cases

    wh = Warehouse.open(db, memory_limit="1GB")
    wh.read("SELECT count(*) FROM derived_cases")
    gc.collect()
    before = _mb("VmRSS")
    start = time.perf_counter()
    cases, _ = _read_cases(wh, _chosen(wh, None), compact)
    read_s = time.perf_counter() - start
    read_peak = _mb("VmHWM") - before
    wh.release_cache("1GB")
    gc.collect()
    held = _mb("VmRSS") - before
    n = cases.height
    del cases
    gc.collect()
    left = _mb("VmRSS") - before  # what DuckDB and the allocator keep of the read
    cases, _ = _read_cases(wh, _chosen(wh, None), compact)
    wh.release_cache("1GB")
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    base = _mb("VmRSS")
    start = time.perf_counter()
    counted = variants(cases.lazy(), by=()).collect()
    count_s = time.perf_counter() - start
    count_peak = _mb("VmHWM") - base
    return {
        "cases": n,
        "variants": counted.height,
        "read_s": read_s,
        "read_peak_mb": read_peak,
        "held_mb": held - left,
        "count_s": count_s,
        "count_peak_mb": count_peak,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", required=True, type=Path, help="a warehouse with derived cases")
    p.add_argument("--child", choices=["text", "compact"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(str(args.db), args.child == "compact")))
        return
    env = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
    rows = {}
    for how in ("text", "compact"):
        out = subprocess.run(
            [sys.executable, __file__, "--db", str(args.db), "--child", how],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        rows[how] = json.loads(out.strip().splitlines()[-1])
    text, compact = rows["text"], rows["compact"]
    print(f"{text['cases']:,} cases, {text['variants']:,} variants, in {args.db}")
    print(
        f"{'variants held as':<18}{'held':>10}{'read peak':>11}{'read':>8}{'count':>8}{'peak':>10}"
    )
    for how, r in rows.items():
        print(
            f"{how:<18}{r['held_mb']:>7,} MB{r['read_peak_mb']:>8,} MB{r['read_s']:>7.2f}s"
            f"{r['count_s']:>7.2f}s{r['count_peak_mb']:>7,} MB"
        )
    print(
        f"compact / text: held {compact['held_mb'] / text['held_mb']:.2f}, "
        f"counting the variants {compact['count_s'] / text['count_s']:.2f} of the time"
    )


if __name__ == "__main__":
    main()
