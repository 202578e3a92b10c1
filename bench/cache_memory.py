"""Which of the app's caches holds how much of its own memory, after a walk of the pages.

    python bench/cache_memory.py --db DB [--pages health,vsm,...]

Runs the real app (app.py) in Streamlit's AppTest, in this process, on the warehouse
DB: every page in turn (and waits for the step-file thread and any search of findings
to end), then clears the pages' caches one function at a time (`st.cache_resource` and
`st.cache_data`: their public `clear()`), the derived cases last, and prints how much
of the process's own memory (RssAnon, from /proc) each clear gave back, then what is
left, and what DuckDB holds. Memory one cache shares with another is counted where the
last of them is cleared. Prints figures; asserts nothing. Linux only (/proc); run it on
a quiet machine, after a server has stored the warehouse's figures and findings
(else the walk computes them, and holds what that takes), with polars' allocator
returning freed memory at once, so that each clear shows what it gave back
(`_RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0`; the app returns it half a second
after: `ui.serve.ALLOCATOR`).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = (
    "health,vsm,process_map,waits,flow,compare,cases,findings,experiments,redesign,"
    "future_state,data"
)
MODULES = (
    "ui.health_screen",
    "ui.process_map_screen",
    "ui.findings_screen",
    "ui.cases_screen",
    "ui.future_state_screen",
    "ui.redesign_screen",
    "ui.waits_screen",
    "ui.compare_screen",
    "ui.experiments_screen",
    "ui.experiment_future_state",
    "ui.forecasts",
    "ui.case_search",
    "ui.data_screens",
    "ui.resources",
    "ui.views",
)
"""The pages' caches, those of the derived cases (`ui.views`) last: a view shares them."""
KEEP = {"open_warehouse"}  # the warehouse itself, which the last line reads


def _own_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no RssAnon in /proc/self/status")


_LIBC = ctypes.CDLL("libc.so.6")


def _settle() -> float:
    """The process's own memory once what was let go is given back."""
    for _ in range(2):
        gc.collect()
        _LIBC.malloc_trim(0)
        time.sleep(1.5)
    return _own_mb()


def _caches() -> list[tuple[str, Any]]:
    found = []
    for name in MODULES:
        module = sys.modules.get(name)
        if module is None:
            continue
        functions = [
            (attr, fn)
            for attr, fn in vars(module).items()
            if type(fn).__name__ == "CachedFunc" and attr not in KEEP
        ]
        found += [(f"{name}.{attr}", fn) for attr, fn in sorted(functions, key=lambda a: a[0])]
    # The derived cases last of their module: the views share their frame.
    return sorted(found, key=lambda c: c[0] == "ui.views._derive")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--pages", default=PAGES, help=f"comma-separated pages (default {PAGES})")
    args = p.parse_args(argv)
    os.environ["VSM_DB"] = str(args.db.resolve())
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=3600)
    started = time.perf_counter()
    at.run()
    print(f"{'page':<14}{'run s':>8}{'own MB after':>14}")
    print(f"{'(start)':<14}{time.perf_counter() - started:>8.1f}{_settle():>14,.0f}")
    for page in args.pages.split(","):
        started = time.perf_counter()
        at.switch_page(f"app_pages/{page}.py").run()
        if at.exception:
            raise SystemExit(f"{page}: {[e.value for e in at.exception]}")
        print(f"{page:<14}{time.perf_counter() - started:>8.1f}{_settle():>14,.0f}")
    from ui.findings_screen import _LOOKING
    from ui.views import STEP_THREAD

    for thread in threading.enumerate():
        if thread.name == STEP_THREAD:
            thread.join()
    for search in list(_LOOKING.values()):  # the background searches of findings
        search.exception()  # waits; a failed search holds nothing
    before = _settle()
    print(f"\nonce the step files and findings are done: {before:,.0f} MB of the app's own")
    print(f"{'cache cleared':<44}{'own MB given back':>18}")
    for name, fn in _caches():
        fn.clear()
        now = _settle()
        if before - now >= 1:
            print(f"{name:<44}{before - now:>18,.0f}")
        before = now
    print(f"{'left (code, libraries, DuckDB)':<44}{before:>18,.0f}")
    from ui.resources import open_warehouse

    held = open_warehouse(str(args.db.resolve())).read(
        "SELECT tag, memory_usage_bytes / 2**20 AS mb FROM duckdb_memory() "
        "WHERE memory_usage_bytes > 0 ORDER BY mb DESC"
    )
    print(f"of which DuckDB's buffers: {held['mb'].sum():,.0f} MB")
    for tag, mb in held.iter_rows():
        print(f"  {tag:<42}{mb:>18,.1f}")


if __name__ == "__main__":
    main()
