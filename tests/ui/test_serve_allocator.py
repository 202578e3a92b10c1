"""The server gives memory back once a figure is computed (ui.serve.ALLOCATOR): each check
runs in a fresh interpreter, where polars' allocator starts with the setting."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Builds, sorts and groups a frame of about 0.5 GB three times, drops it, and prints how
# much more anonymous memory the process holds than before: at once, and a second and a
# half later.
HELD_AFTER = """
import json
import time
{setup}
import polars as pl

def anon_mb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024

before = anon_mb()
for _ in range(3):
    frame = pl.DataFrame({{"a": pl.int_range(0, 10_000_000, eager=True)}}).with_columns(
        b=pl.col("a").cast(pl.String)
    ).sort("b", descending=True)
    groups = frame.group_by((pl.col("a") % 1000).alias("k")).agg(pl.col("a").quantile(0.5))
    del frame, groups
at_once = anon_mb() - before
time.sleep(1.5)
print(json.dumps([at_once, anon_mb() - before]))
"""


def _held_mb(setup: str) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", HELD_AFTER.format(setup=setup)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    return [float(mb) for mb in json.loads(done.stdout.strip().splitlines()[-1])]


def test_the_servers_setting_returns_what_a_computation_freed() -> None:
    """With the server's setting polars' allocator keeps the pages of the frames it
    dropped for the next query to reuse (hundreds of MB), and a second and a half later
    the process holds next to nothing more than before."""
    at_once, later = _held_mb("from ui import serve\nserve.return_freed_memory()")
    assert at_once > 150
    assert later < 40


def test_the_server_sets_it_before_polars_starts_and_keeps_a_setting_of_its_own() -> None:
    """`python -m ui.serve` sets it first thing (before Streamlit, before polars); a value
    already in the environment is kept."""
    code = (
        "import os, sys\n"
        "from streamlit.web import cli\n"
        "cli.main = lambda: print(os.environ.get('_RJEM_MALLOC_CONF'),"
        " 'polars' in sys.modules)\n"
        "from ui import serve\n"
        "serve.main([])\n"
    )

    def started_with(env: dict[str, str]) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={"PATH": "/usr/bin:/bin", **env},
        )
        return done.stdout.strip().splitlines()[-1]

    assert started_with({}) == ("background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0 False")
    assert started_with({"_RJEM_MALLOC_CONF": "narenas:2"}) == "narenas:2 False"
