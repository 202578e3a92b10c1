"""The pages' libraries import without the statistics packages: scipy.stats and ruptures
(most of two seconds on this project's machine) load only when a test is computed, not
before every page a fresh server draws first (bench/pages.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

HEAVY = ("scipy.stats", "ruptures")


def test_no_page_library_imports_the_statistics_packages() -> None:
    screens = sorted(p.stem for p in (REPO / "ui").glob("*.py") if p.stem != "__init__")
    # A fresh interpreter: this test process has long imported them through other tests.
    code = (
        "import importlib, json, sys\n"
        f"for name in {screens!r}:\n"
        "    importlib.import_module('ui.' + name)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert len(screens) > 20  # every screen of the app was imported, not an empty list


def test_the_deferred_imports_still_compute() -> None:
    """The functions that now import scipy and ruptures themselves give their answers (worked
    by hand: a series that steps from 0 to 10 after four points splits there; 1 of 10
    against 9 of 10 is a clear difference of shares)."""
    from metrics.changepoint import best_split
    from metrics.significance import two_proportion_p

    assert best_split([0.0, 0.0, 0.0, 0.0, 10.0, 10.0, 10.0, 10.0], 2) == 4
    p = two_proportion_p(1, 10, 9, 10)
    assert p is not None and p < 0.001


def test_a_command_imports_only_its_own_module() -> None:
    """`python -m cli report` does not import the import pipeline (half a second of
    start-up on this project's machine) nor the other commands' modules; `--help` still
    lists every command."""
    code = (
        "import json, sys, cli\n"
        "cli.parser('report').parse_args(['report', '--offering', 'x'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('cli.', 'pipelines.')))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "cli.report" in loaded
    assert "pipelines.ingest" not in loaded and "cli.ingest" not in loaded, loaded
    listed = subprocess.run(
        [sys.executable, "-m", "cli", "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert all(name in listed.stdout for name in ("report", "ingest", "export", "forecast"))


def test_the_server_imports_them_in_the_background_after_its_first_page() -> None:
    """app.py calls warm_up after each run: once per server, the statistics packages load on
    a thread of their own, so the first page that needs them does not wait."""
    code = (
        "import json, sys\n"
        "from ui import resources\n"
        f"before = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "resources.warm_up(); resources.warm_up()\n"
        "threads = list(resources._WARMING)\n"
        "threads[0].join(60)\n"
        f"print(json.dumps([before, [m for m in {HEAVY!r} if m in sys.modules], len(threads)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    before, after, threads = json.loads(done.stdout.strip().splitlines()[-1])
    assert before == []
    assert after == list(HEAVY)
    assert threads == 1
    assert "warm_up()" in (REPO / "app.py").read_text().splitlines()[-1]


def test_the_server_loads_every_screen_before_the_first_visit_and_no_statistics() -> None:
    """`python -m ui.serve` (how `make run` starts the app) imports every screen of ui/ and
    the libraries they use once the server is up, in a fresh interpreter here: all of them
    load, and still without the statistics packages (the browser tests start every server
    this way)."""
    code = (
        "import json, sys\n"
        "from ui import serve\n"
        "loaded = serve.preload(wait_s=0)\n"
        f"print(json.dumps([loaded, serve.modules(), [m for m in {HEAVY!r} if m in sys.modules],"
        " sorted(m for m in sys.modules if m.startswith('ui.'))]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded, wanted, heavy, ui_modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == wanted
    assert {"pandas", "altair", "polars", "ui.vsm_screen", "ui.experiments_screen"} <= set(loaded)
    screens = {f"ui.{p.stem}" for p in (REPO / "ui").glob("*.py")} - {"ui.__init__"}
    assert set(ui_modules) == screens
    assert heavy == []


def test_lazy_imports_are_made_one_at_a_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two threads importing scipy's modules at once can see one half built (a page and
    the server's read ahead did, and the page failed): `model.imports.import_once` makes
    the second wait for the first, and a nested import on the same thread goes through."""
    import threading
    import types

    import model.imports as imports

    entered, release = threading.Event(), threading.Event()
    order: list[tuple[str, str]] = []

    def slow(name: str) -> types.ModuleType:
        order.append(("start", name))
        if name == "first":
            entered.set()
            assert release.wait(10)
            imports.import_once("nested")  # the same thread: the lock is its own
        order.append(("end", name))
        return types.ModuleType(name)

    monkeypatch.setattr(imports, "import_module", slow)
    first = threading.Thread(target=imports.import_once, args=("first",))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=imports.import_once, args=("second",))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # waiting for the first import to end
    release.set()
    first.join(10)
    second.join(10)
    assert order == [
        ("start", "first"),
        ("start", "nested"),
        ("end", "nested"),
        ("end", "first"),
        ("start", "second"),
        ("end", "second"),
    ]
