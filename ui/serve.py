"""Start the dashboard: `python -m ui.serve [options of streamlit run]`.

The same server as `streamlit run app.py [options]`, but once it is up it gets ready for
the first visitor in the background, where `streamlit run` leaves it all to the first
visitor's page run:

- it imports the app's modules (pandas, which Streamlit's tables load, Altair, polars
  and every screen of ui/, with the metrics and the warehouse code they use): about
  1.3 s on this project's 2-core machine;
- it does Streamlit's own once-per-process work of a first page (its emoji table, a
  look at the call stack when it first sends an element): about 0.5 s;
- it reads what every page starts with from the warehouse: the derived cases, the
  sidebar's facts and filter choices (ui.views.warm): 0.3 s on the demo, 2.5 s at ten
  million events;
- then, at the lowest priority, what the pages open on beyond the cases: the stored
  figures of the first offering, the Waits page's dates of the open cases, the
  recorded experiments compared as the Experiments page lists them (about 0.8 s of that
  page's first run on the demo), and what the latest import holds, as the Data page's
  undo says it. The app's other work ahead (the step files, ui.views.steps_ahead)
  waits until these reads are done.

A visitor who comes while it works waits only for what is not ready yet (Python's
import lock, and each cached value's own lock).

It also tells polars' memory allocator to give memory back to the system half a second
after it is freed (`ALLOCATOR`), before polars is first imported: a long-running server
computes a figure, drops what it read, and must not keep that memory as its own.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"

PRELOAD = ("pandas", "pyarrow", "altair", "polars", "streamlit.emojis")
"""The libraries a first page run imports, before the screens of ui/ (Streamlit reads
its emoji table for the page's icon, a regular expression of every emoji)."""

log = logging.getLogger(__name__)

THREAD = "preload"

ALLOCATOR = ("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0")
"""The setting of polars' allocator (jemalloc, which reads it from this variable when it
starts) that returns freed memory to the system half a second after it is freed, from a
thread of its own. By default it keeps freed pages for ten seconds and reuses them: a
server that computes one filtered view after another held what each left, 4.4 GB at its
peak at ten million events where it needs 2.1 GB (bench/pages.py --filter window). At
once (`dirty_decay_ms:0`) every page a query frees goes back to the system and the next
one is asked for again: a computed view's figures took twice as long (the value stream
map of 3 million steps 1.66 s instead of 0.87 s, Redesign's projection 4.30 s instead
of 2.04 s), for a peak 0.1 GB lower (docs/SCALE.md)."""


def return_freed_memory() -> None:
    """Set `ALLOCATOR` for this process, unless it is set already: before polars is
    imported (its allocator reads it once, when it starts)."""
    name, value = ALLOCATOR
    os.environ.setdefault(name, value)


def modules() -> list[str]:
    """What the background import loads, in order."""
    import ui

    screens = sorted(m.name for m in pkgutil.iter_modules(ui.__path__) if m.name != "serve")
    return [*PRELOAD, *(f"ui.{name}" for name in screens)]


def preload(wait_s: float = 60.0) -> list[str]:
    """Import `modules()` once Streamlit's runtime exists (their caches are declared with
    it there); returns those imported. Runs on a background thread of the server."""
    from streamlit import runtime

    waited = 0.0
    while not runtime.exists() and waited < wait_s:
        time.sleep(0.05)
        waited += 0.05
    loaded = []
    for name in modules():
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception:  # the page that needs it will say what is wrong
            log.exception("cannot import %s ahead of the first visit", name)
    _first_element()
    return loaded


def _first_element() -> None:
    """Streamlit's check, once per process as it sends its first element, of whether it
    runs in a Python prompt: it reads the source of every frame of the call stack (a
    quarter of a second). Here it finds the server's thread and says nothing."""
    from streamlit import delta_generator

    once = getattr(delta_generator, "_maybe_print_use_warning", None)
    if once is not None:
        once()


def warm() -> bool:
    """Read what the first page needs from the warehouse (ui.views.warm); False when
    it could not (an upgrade to derive first, or a file that does not open: the first
    visit says so)."""
    try:
        from ui.views import warm as read_ahead

        return read_ahead()
    except Exception:
        log.exception("cannot read the warehouse ahead of the first visit")
        return False


def read_ahead() -> int:
    """Then, at the lowest priority (a visitor's page run goes first), read and compute
    what the pages open on beyond the cases: the stored figures of the first offering
    (ui.views.figures_ahead), Stream health's trend (ui.health_screen.read_ahead), every
    offering's forecast and the Waits page's dates of its open cases
    (ui.forecasts.read_ahead), the findings kept for this data
    (ui.findings_screen.read_ahead), the Waits page's list of open cases
    (ui.waits_screen.read_ahead), the Compare page's periods and charts
    (ui.compare_screen.read_ahead), the Cases page's list
    (ui.cases_screen.read_ahead), the Flow page's figures (ui.flow_screen.read_ahead), the recorded experiments compared as the Experiments
    page lists them (ui.experiments_screen.read_ahead), and what the latest import holds
    (ui.data_screens.read_ahead). Returns how many things it read; what it could not
    read, the page reads itself."""
    from ui import (
        cases_screen,
        compare_screen,
        data_screens,
        experiments_screen,
        findings_screen,
        flow_screen,
        forecasts,
        health_screen,
        views,
        waits_screen,
    )
    from ui.resources import lowest_priority, warehouse_path

    lowest_priority()
    done = 0
    for step in (
        views.figures_ahead,
        health_screen.read_ahead,
        forecasts.read_ahead,
        findings_screen.read_ahead,
        waits_screen.read_ahead,
        compare_screen.read_ahead,
        cases_screen.read_ahead,
        flow_screen.read_ahead,
        experiments_screen.read_ahead,
        data_screens.read_ahead,
    ):
        try:
            done += step(warehouse_path())
        except Exception:
            log.exception("cannot read ahead of the first visit (%s)", step.__qualname__)
    return done


def _release() -> None:
    """Drop DuckDB's cache of what the start read (ui.resources.release_duckdb_cache)."""
    try:
        from ui.resources import open_warehouse, release_duckdb_cache, warehouse_path

        release_duckdb_cache(open_warehouse(warehouse_path()))
    except Exception:
        log.exception("cannot drop DuckDB's cache after reading ahead")


class _NotForThisThread(logging.Filter):
    """Drops Streamlit's warning that this thread runs no page ("missing
    ScriptRunContext"): it reads the warehouse for pages, outside any of them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD or not (
            record.getMessage().endswith("running in bare mode.")
        )


def _ready() -> None:
    quiet = _NotForThisThread()
    context = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    context.addFilter(quiet)
    try:
        preload()
        if _read_first():
            _release()
    finally:
        context.removeFilter(quiet)


def _read_first() -> bool:
    """`warm`, then `read_ahead` where it could, as one piece of work that the app's
    work ahead waits for (ui.resources.on_request): the step files, which its first
    read of the cases asks for, are written once these reads are done, not beside them
    (a release's first start at ten million events peaked at 1.99 GB with DuckDB
    copying the largest offering's steps as they ran). Returns what `warm` did."""
    from ui.resources import on_request

    with on_request():
        if not warm():
            return False
        read_ahead()
        return True


def main(argv: list[str]) -> None:
    return_freed_memory()
    # Streamlit itself first, on this thread: imported on two threads at once it
    # deadlocks or builds its singletons twice.
    from streamlit import runtime  # noqa: F401
    from streamlit.web import cli

    threading.Thread(target=_ready, name=THREAD, daemon=True).start()

    sys.argv = ["streamlit", "run", str(APP), *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
