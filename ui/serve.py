"""Start the dashboard: `python -m ui.serve [options of streamlit run]`.

The same server as `streamlit run app.py [options]`, but once it is up it imports the
app's modules in the background (pandas, which Streamlit's tables load, Altair, polars
and every screen of ui/, with the metrics and the warehouse code they use), where
`streamlit run` leaves them to the first visitor's page run: about 1.3 s of a fresh
server's first visit on this project's 2-core machine. A visitor who comes while they
load waits only for what is not loaded yet (Python's import lock).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"

PRELOAD = ("pandas", "pyarrow", "altair", "polars")
"""The libraries a first page run imports, before the screens of ui/."""

log = logging.getLogger(__name__)


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
    return loaded


def main(argv: list[str]) -> None:
    # Streamlit itself first, on this thread: imported on two threads at once it
    # deadlocks or builds its singletons twice.
    from streamlit import runtime  # noqa: F401
    from streamlit.web import cli

    threading.Thread(target=preload, name="preload", daemon=True).start()

    sys.argv = ["streamlit", "run", str(APP), *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
