"""Two versions of the app side by side: new tabs alternated between them.

    python bench/new_tabs_ab.py --db DB --other DIR [--pages health,vsm,...] [--rounds N]
                                [--wait S]

Serves this checkout's app (A) and the app of DIR (B: another checkout of the project,
such as `git worktree add DIR REV` with a change to try; this checkout's own folder for
two copies of the same code) at the same time, each as `make run` serves it
(`python -m ui.serve`, with this checkout's Python and libraries). B serves a copy of
the warehouse DB, with what the app keeps beside it (the folders and files named
`DB.*`), in a temporary folder: two servers cannot open one warehouse file at once.

After --wait seconds (what `ui.serve` reads ahead is ready by then), one browser
profile kept on disk, as a person's is (bench/pages.py's `tabs_of`), opens each page
once on each server (so the browser has Streamlit's scripts in its cache, and each
server has had its first visit), then, for each of N rounds, each page in a new tab of
A and one of B, one after the other, A first in odd rounds and B first in even ones.
Alternated so, the two versions share the machine's slower and quieter minutes alike,
which successive runs of bench/pages.py --new-tabs do not: runs of the same code an
hour apart differ by more than most changes to a page.

Prints, for each page, the median seconds to the first render of A's and of B's tabs
(until the run has ended and no placeholder is left, as bench/pages.py times it) and
of when the browser marked the run ended, B's median less A's, and in how many rounds
B's tab was the faster. Two copies of the same code give the noise a difference must
exceed. Asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.pages import (  # noqa: E402
    PAGES,
    new_tab,
    start_app,
    stop,
    tabs_of,
    wait_until_up,
)


def copy_warehouse(db: Path, folder: Path) -> Path:
    """A copy of the warehouse `db` in `folder`, with the files and folders the app keeps
    beside it (`DB.charts`, `DB.inbox`, `DB.steps`, DuckDB's `DB.wal`)."""
    copy = folder / db.name
    shutil.copy2(db, copy)
    for beside in db.parent.glob(f"{db.name}.*"):
        target = folder / beside.name
        if beside.is_dir():
            shutil.copytree(beside, target)
        else:
            shutil.copy2(beside, target)
    return copy


def main() -> None:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, required=True, help="the warehouse both versions serve")
    p.add_argument(
        "--other",
        type=Path,
        required=True,
        help="the checkout of the project B serves (this one's folder: the same code twice)",
    )
    p.add_argument(
        "--pages",
        help="comma-separated page paths (default: every page; 'health' is the first)",
    )
    p.add_argument("--rounds", type=int, default=8, help="new tabs per page and version")
    p.add_argument(
        "--wait",
        type=float,
        default=15.0,
        help="seconds between the servers' first answers and the first tab (default 15)",
    )
    args = p.parse_args()
    if not args.db.is_file():
        p.error(f"--db {args.db}: no such warehouse file")
    if not (args.other / "ui" / "serve.py").is_file():
        p.error(f"--other {args.other}: no checkout of the project there (no ui/serve.py)")
    pages = PAGES if not args.pages else args.pages.split(",")
    pages = ["" if name == "health" else name for name in pages]
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp, sync_playwright() as pw:
        copy = copy_warehouse(args.db.resolve(), Path(tmp))
        servers = {
            "A": start_app(args.db.resolve()),
            "B": start_app(copy, args.other.resolve()),
        }
        try:
            for _, url in servers.values():
                wait_until_up(url)
            time.sleep(args.wait)
            times: dict[tuple[str, str], list[tuple[float, float]]] = {
                (version, page): [] for version in servers for page in pages
            }
            with tabs_of(pw, None) as context:
                for _, url in servers.values():
                    for page in pages:
                        new_tab(context, f"{url}/{page}")
                for round_ in range(args.rounds):
                    order = ("A", "B") if round_ % 2 == 0 else ("B", "A")
                    for page in pages:
                        for version in order:
                            url = servers[version][1]
                            times[version, page].append(new_tab(context, f"{url}/{page}"))
        finally:
            for server, _ in servers.values():
                stop(server)
    print(f"A: {REPO}\nB: {args.other.resolve()}")
    print(f"each page in {args.rounds} new tabs of each, alternated; medians in seconds")
    print(f"{'page':<14} {'A first render':>14} {'B first render':>14} {'B - A':>7} "
          f"{'B faster':>9} {'A run ended':>12} {'B run ended':>12}")  # fmt: skip
    for page in pages:
        a, b = times["A", page], times["B", page]
        rendered_a = statistics.median(t for t, _ in a)
        rendered_b = statistics.median(t for t, _ in b)
        faster = sum(tb < ta for (ta, _), (tb, _) in zip(a, b, strict=True))
        print(f"{page or 'health':<14} {rendered_a:>14.2f} {rendered_b:>14.2f} "
              f"{rendered_b - rendered_a:>+7.2f} {f'{faster}/{len(a)}':>9} "
              f"{statistics.median(e for _, e in a):>12.2f} "
              f"{statistics.median(e for _, e in b):>12.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
