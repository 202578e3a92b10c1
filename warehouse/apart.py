"""Work done in a process of its own, so that the memory it needs is never the app's.

The app stores figures ahead of the pages from the step files (warehouse.derived): at
ten million events that work needs two gigabytes for a moment, at fifty million twelve.
Done on a thread, the app held all of it, and the allocator kept part of it afterwards.
`run_apart` runs one such function in a fresh interpreter (`python -m warehouse.apart`)
at the lowest priority and gives back its result: the app holds only the result (the
encoded figures), every byte the work used returns to the system when the process ends,
and a process that runs out of memory ends alone, the app serving on.

While it runs, the caller's `between` is called every fifth of a second with the
process stopped: a page that computes meanwhile has the processor to itself (the app's
own wait for its pages, ui.views), and an exception from `between` (a newer derivation
is asked for) ends the process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

T = TypeVar("T")

POLL_S = 0.2
"""How often the caller's `between` is called while the process works."""

LOWEST = 19
"""The niceness of work done ahead: any other process gets the processor first."""


class ApartFailed(Exception):
    """The function failed in its process, or the process ended without a result (killed,
    out of memory): the message says which and why."""


def run_apart(
    function: Callable[..., T],
    *args: Any,
    between: Callable[[], None] | None = None,
    niceness: int = LOWEST,
) -> T:
    """`function(*args)` computed in a process of its own (see the module docstring), at
    `niceness` (LOWEST: work ahead; 0: work somebody waits for, at the caller's
    priority), `between` called every POLL_S with the process stopped (None: not
    stopped). `function` is a module-level function; its arguments and result are
    pickled (a pickling error is raised as is, before any process starts), but for a
    polars DataFrame argument, written to a file of its own (`_Frame`). Raises
    ApartFailed where it raised or its process ended without a result."""
    name = f"{function.__module__}:{function.__qualname__}"
    with tempfile.TemporaryDirectory(prefix="vsm-apart-") as folder:
        given, out, errors = (Path(folder) / n for n in ("given", "out", "errors"))
        sent = tuple(_Frame.of(a, Path(folder) / f"frame-{i}") for i, a in enumerate(args))
        with given.open("wb") as file:
            pickle.dump((name, sent), file, protocol=pickle.HIGHEST_PROTOCOL)
        with errors.open("wb") as err:
            command = [sys.executable, "-m", "warehouse.apart", str(given), str(out)]
            child = subprocess.Popen(
                [*command, str(os.getpid()), str(niceness)],
                env=_with_this_code(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
            try:
                while child.poll() is None:
                    if between is not None:
                        _pausing(child, between)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        child.wait(POLL_S)
            except BaseException:
                child.kill()
                child.wait()
                raise
        if not out.exists():
            said = errors.read_text(errors="replace").strip().splitlines()[-3:]
            raise ApartFailed(
                f"{name} ended without a result (exit code {child.returncode}"
                + (", out of memory or killed" if child.returncode < 0 else "")
                + (f": {' '.join(said)}" if said else "")
                + ")"
            )
        try:
            with out.open("rb") as file:
                ok, result = pickle.load(file)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise ApartFailed(f"{name}: its result cannot be read: {exc}") from exc
    if not ok:
        raise ApartFailed(f"{name} failed: {result}")
    return result


class _Frame:
    """A DataFrame argument, sent as a file (Arrow IPC, LZ4): pickling a DataFrame held
    three and a half times its size for a moment (Custom formulation's cases at ten
    million events: 0.64 GB more for 0.1 GB of cases, 2.2 s), written as a file
    nothing more (0.2 s), and the process reads back the same frame, types and all."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @staticmethod
    def of(arg: Any, path: Path) -> Any:
        """`arg` as sent: a DataFrame written to `path`, anything else as it is."""
        if not isinstance(arg, pl.DataFrame):
            return arg
        arg.write_ipc(path, compression="lz4")
        return _Frame(path)

    @staticmethod
    def read(arg: Any) -> Any:
        """`arg` as the function takes it (its file dropped once read)."""
        if not isinstance(arg, _Frame):
            return arg
        frame = pl.read_ipc(arg.path)
        arg.path.unlink(missing_ok=True)
        return frame


def _with_this_code() -> dict[str, str]:
    """The environment, with this code's folder first on the path: the process finds
    these packages wherever the app was started from (in the caller's folder, so that
    a relative path means the same to both)."""
    root = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _pausing(child: subprocess.Popen[bytes], between: Callable[[], None]) -> None:
    """`between()` with `child` stopped (where the system can stop a process)."""
    stop, cont = getattr(signal, "SIGSTOP", None), getattr(signal, "SIGCONT", None)
    if stop is None or cont is None:
        between()
        return
    child.send_signal(stop)
    try:
        between()
    finally:
        child.send_signal(cont)


def _ends_with(parent: int) -> None:
    """Have the system end this process when the thread that started it ends (Linux's
    parent-death signal): a server stopped mid-work leaves no process working for no
    one. Where there is no such signal, a thread ends it within a second of its parent."""
    with contextlib.suppress(AttributeError, OSError, TypeError):  # not Linux
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:  # elsewhere: look each second whether the server is gone
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1


def main(given: str, out: str, parent: str, niceness: str = str(LOWEST)) -> int:
    """The process's side: read the function and its arguments (and drop their file),
    run it at `niceness`, write (True, result) or (False, what went wrong)."""
    _ends_with(int(parent))
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, 0, max(int(niceness), os.getpriority(os.PRIO_PROCESS, 0)))
    with open(given, "rb") as file:
        name, sent = pickle.load(file)
    os.unlink(given)  # a server killed meanwhile leaves no copy of the cases behind
    args = [_Frame.read(a) for a in sent]
    module, _, qualified = name.partition(":")
    function: Any = import_module(module)
    for part in qualified.split("."):
        function = getattr(function, part)
    try:
        result: tuple[bool, Any] = (True, function(*args))
    except BaseException as exc:  # a panic of polars' engine is no Exception
        # What went wrong, then where (the app logs both).
        result = (False, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    part = f"{out}.part"
    with open(part, "wb") as file:
        pickle.dump(result, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(part, out)  # whole or not at all
    return 0


if __name__ == "__main__":
    # Run as the module the caller pickled against (its `_Frame` is this one's).
    from warehouse.apart import main as _main

    sys.exit(_main(*sys.argv[1:5]))
