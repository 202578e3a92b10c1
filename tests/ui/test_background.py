"""The findings' background searches run on a daemon thread: their results and errors come
back through a Future, and a server asked to stop does not wait for a search under way."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ui.resources import Background

ROOT = Path(__file__).resolve().parents[2]


def test_calls_run_one_after_the_other_and_give_their_results_and_errors() -> None:
    background = Background("test-background")
    order: list[int] = []
    gate = threading.Event()

    def first() -> str:
        gate.wait(10)
        order.append(1)
        return "first"

    def second(x: int, y: int) -> int:
        order.append(2)
        return x * y

    a = background.submit(first)
    b = background.submit(second, 6, 7)
    c = background.submit(lambda: 1 / 0)
    assert not b.done()  # waits for the first call
    gate.set()
    assert (a.result(10), b.result(10)) == ("first", 42)
    with pytest.raises(ZeroDivisionError):
        c.result(10)
    assert order == [1, 2]
    worker = next(t for t in threading.enumerate() if t.name == "test-background")
    assert worker.daemon
    assert background.submit(str, 5).result(10) == "5"  # the thread goes on after an error


def test_a_process_exits_while_a_search_is_under_way(tmp_path: Path) -> None:
    """As the server does when it is stopped: its exit does not wait for the search (it
    waited for a thread pool's, minutes at fifty million events), and the search's own
    process and its folder of files (the cases it was sent) go with it."""
    code = (
        "import os, sys, time\n"
        "from ui.findings_screen import _BACKGROUND\n"
        "from warehouse.apart import run_apart\n"
        "job = _BACKGROUND.submit(run_apart, time.sleep, 600)\n"
        "deadline = time.monotonic() + 60\n"
        "folders = []\n"
        "while time.monotonic() < deadline:  # until the process has read what it was sent\n"
        "    folders = [f for f in os.listdir(os.environ['TMPDIR']) if f.startswith('vsm-apart-')]\n"
        "    if folders and not os.path.exists(os.path.join(os.environ['TMPDIR'], folders[0], 'given')):\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "print('leaving', len(folders), job.running(), flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "leaving 1 True"
    assert list(tmp_path.iterdir()) == []
