"""warehouse.apart: a function computed in a process of its own, its failures told, and
the caller's `between` run with that process stopped."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from warehouse.apart import ApartFailed, run_apart


def test_the_result_comes_from_another_process() -> None:
    assert run_apart(os.getpid) != os.getpid()
    assert run_apart(divmod, 17, 5) == (3, 2)


def test_a_frame_argument_arrives_as_the_same_frame() -> None:
    """A DataFrame is sent as a file, not pickled: the process gets it back with every
    type (a method of DataFrame fails on anything else) and a non-frame argument as is."""
    from datetime import UTC, datetime

    frame = pl.DataFrame(
        {
            "case_index": pl.Series([0, 1, 2], dtype=pl.UInt32),
            "kind": pl.Series(["work", None, "wait"], dtype=pl.Categorical),
            "variant": [["a", "b"], [], None],
            "at": [datetime(2026, 1, 1, tzinfo=UTC), None, datetime(2026, 3, 1, tzinfo=UTC)],
        }
    )
    back = run_apart(pl.DataFrame.head, frame, 2)
    assert back.schema == frame.schema
    assert back.equals(frame.head(2))
    assert back["variant"].to_list() == [["a", "b"], []]


def test_a_failure_in_the_process_says_what_it_was() -> None:
    with pytest.raises(ApartFailed, match=r"builtins:int failed: ValueError: invalid literal"):
        run_apart(int, "seventeen")


def test_a_process_that_dies_says_so_and_the_caller_lives_on() -> None:
    with pytest.raises(ApartFailed, match=r"without a result \(exit code -9, out of memory or"):
        run_apart(signal.raise_signal, signal.SIGKILL)


def test_the_process_goes_on_after_each_between() -> None:
    """Stopped for each call, it is let go on after it: a second's work ends."""
    calls: list[int] = []
    ended: list[object] = []
    work = threading.Thread(
        target=lambda: ended.append(run_apart(time.sleep, 1, between=lambda: calls.append(1))),
        daemon=True,  # left stopped, it would wait for ever
    )
    work.start()
    work.join(timeout=60)
    assert ended == [None]
    assert len(calls) >= 2


def _children() -> list[int]:
    """This process's children that are work processes (a test worker has others, such
    as the browser driver)."""
    return apart_processes(os.getpid())


def apart_processes(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:  # a thread, or a process, may end while it is looked at
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in children:
            try:
                line = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"warehouse.apart" in line:
                found.append(int(child))
    return found


def _state(pid: int) -> str:
    """The process's state once a stop signal sent has had a moment to arrive (T when
    stopped): the field after the command, in parentheses, of its stat."""
    for _ in range(1000):
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        if state == "T":
            break
        time.sleep(0.01)
    return state


def test_between_runs_with_the_process_stopped_and_can_end_it() -> None:
    if not Path("/proc/self/task").exists():
        pytest.skip("no /proc on this system to see the process's state in")
    states: list[str] = []

    def between() -> None:
        states.extend(_state(pid) for pid in _children())
        if len(states) == 5:
            raise KeyboardInterrupt

    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        run_apart(time.sleep, 60, between=between)
    # Called every fifth of a second, with the process stopped each time, and the process
    # is ended with the call that raised (long before its minute).
    assert states == ["T"] * 5
    assert time.perf_counter() - started < 40
    assert _children() == []


def test_the_process_ends_when_the_server_that_started_it_is_killed() -> None:
    """A server killed mid-work leaves no process working for no one, and no copy of what
    it was given."""
    if not Path("/proc/self/task").exists():
        pytest.skip("no /proc on this system to see the processes in")
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from warehouse.apart import run_apart; run_apart(time.sleep, 60)",
        ],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        work = _children_of(server.pid, wait_s=120)
        assert len(work) == 1
        given = Path(f"/proc/{work[0]}/cmdline").read_bytes().split(b"\0")[3].decode()
        for _ in range(600):  # read, then dropped
            if not Path(given).exists():
                break
            time.sleep(0.1)
        assert not Path(given).exists()
    finally:
        server.kill()
        server.wait()
    for _ in range(300):
        if _gone(work[0]):
            break
        time.sleep(0.1)
    assert _gone(work[0])
    shutil.rmtree(Path(given).parent)  # the killed server's folder, left behind


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] in {"Z", "X"}  # ended, not yet reaped


def _children_of(pid: int, wait_s: float) -> list[int]:
    """The work processes of `pid` once one has started (its command line set)."""
    deadline = time.perf_counter() + wait_s
    while time.perf_counter() < deadline:
        found = apart_processes(pid)
        if found:
            return found
        time.sleep(0.05)
    return []


def test_the_process_finds_the_code_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app started from another folder (`streamlit run /path/to/app.py`) has its work
    done all the same, relative paths meaning what they mean to the app."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.txt").write_text("seen")
    assert run_apart(Path.read_text, Path("here.txt")) == "seen"
