"""Page benchmark: how long each dashboard page takes to render in Chromium on a big warehouse.

    python bench/pages.py [--events N] [--db PATH] [--pages vsm,findings,...] [--by-link]
                          [--new-tabs [--repeat N]] [--filter F] [--wait S]

Builds an N-event warehouse (default 1,000,000) with the demo generator through the
real import pipeline (or reuses --db), starts the app, and for every page prints the
time from navigation until the script has finished and the page's charts are drawn
(first render, each in a new browser session; the very first visit to the server
is timed on its own: it is also the first of a new browser profile, whose cache is
empty, so it downloads and compiles Streamlit's scripts), then the time
to re-render after a filter change, the memory the app holds after each page (all of
it, and its own: without the pages of files mapped into it, the cases among them, which
the system takes back under pressure) and its peak so far; and for the first render,
when the server's first and last messages reached the browser, when the browser marked the
script's run ended (what the render takes after that is the browser's own drawing), how
much the server sent, and the processor time the server used meanwhile (all its threads:
the rest of a first render is the browser's, on the same cores here). The filter
changed is chosen with --filter: "completed" (the default: the "Completed cases only"
toggle), "window" (the time window "Last 12 months", the largest relative window),
"variant" (the most frequent variant, under "More filters") or "mode" ("started in the
window", after "Last 12 months" is chosen and its run waited for, untimed: a view of
most of an offering's cases that no figure is stored for). Where the step-file thread
has stored the view's figures (the first two, once it is done after a start or an
import) they are read, else computed from the view's steps.
Aim: under 1.5 s first render, under 1 s after a filter change. Asserts nothing.

A new browser session costs about 1.3 s before any page script runs (Chromium loading
and starting Streamlit's front end, measured on a one-line app on this project's
2-core machine): that is the floor under every first render here. bench/floor.py
measures the floor of a new tab: a one-line page, and the dashboard's navigation with
the kinds of fields its sidebar has.

With --by-link it times the pages as a person moves through the app instead: one
browser session opens Stream health, then clicks each page's link in the sidebar, each
page's first run on a fresh server. It prints the seconds from the click until the page
last changed (its script has finished, nothing is a placeholder, and nothing has changed
for half a second since), the seconds until the script's run ended, and the memory the
app holds after each page (all of it, and its own), then its own again SETTLE_S seconds
later, once the app has dropped DuckDB's cache of the file (a second after the last page
run: `ui.resources.page_run`).

With --new-tabs each page opens in a new tab of one browser profile instead of a new
profile: a new session of the app, as for anybody who has opened the dashboard before.
The profile is kept on disk, as a person's browser keeps one: with the browser's cache
of Streamlit's scripts (served as immutable for a year) and what it has compiled of
them (Chromium's code cache, in the profile's folder). With --private the tabs are
those of a private window instead (Playwright's usual browser context, kept in memory:
the scripts come from its cache, but it has no code cache, and a tab took 0.15-0.4 s
longer on this machine: docs/SCALE.md). With --repeat N
each page opens in N new tabs, one after the other: the table gives the median of each
time and the first render's fastest and slowest (a single tab's time moves by a few
tenths of a second on this machine).

With --wait S the first visit comes S seconds after the server first answers: by then
`python -m ui.serve` has imported the app and read what the first page needs.

With --read S each page is left S seconds after its filter change before the next one
opens, as a person reads it: the app computes ahead meanwhile (the figures of a view
chosen on one page, for the next: `ui.views.view_ahead`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PAGES = [
    "",
    "vsm",
    "process-map",
    "waits",
    "flow",
    "compare",
    "cases",
    "findings",
    "experiments",
    "redesign",
    "future-state",
    "data",
]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Records every change of Streamlit's script state with its time (the state before and
# after each change, anywhere in the page), so a rerun that is over before the test looks
# is still seen.
OBSERVER = """
() => {
  window.__vsmRuns = [];
  new MutationObserver((records) => {
    const now = performance.now();
    for (const r of records) {
      window.__vsmRuns.push([r.oldValue, now]);
      window.__vsmRuns.push([r.target.getAttribute('data-test-script-state'), now]);
    }
  }).observe(document.body, {attributes: true, subtree: true, attributeOldValue: true,
                             attributeFilter: ['data-test-script-state']});
}
"""
# For a page reached by its link: the time of the page's last change and of the end of
# its script's run, and whether the page has been quiet (script not running, no
# placeholder, no change) for half a second.
QUIET = """
() => {
  window.__vsmLast = performance.now();
  window.__vsmState = 'notRunning';
  new MutationObserver(() => {
    const now = performance.now();
    window.__vsmLast = now;
    const app = document.querySelector('[data-testid=stApp]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state !== window.__vsmState) {
      window.__vsmState = state;
      if (state === 'notRunning') window.__vsmRan = now;
    }
  })
    .observe(document.body, {attributes: true, childList: true, subtree: true,
                             characterData: true});
}
"""
DRAWN = """
([since, path]) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  if (!location.pathname.endsWith(path)) return false;
  return window.__vsmLast > since && performance.now() - window.__vsmLast > 500;
}
"""
# Run in a page before its own scripts (Playwright's init script): when the browser
# marked a script's run ended, in ms since the page's navigation began. What a first
# render takes after the last of them is the browser's own drawing (its placeholders
# filled in as Streamlit's scripts for each kind of element load, and the charts).
ENDS = """
window.__vsmEnded = [];
new MutationObserver((records) => {
  for (const r of records) {
    if (r.target.getAttribute('data-test-script-state') === 'notRunning') {
      window.__vsmEnded.push(performance.now());
    }
  }
}).observe(document, {attributes: true, subtree: true,
                      attributeFilter: ['data-test-script-state']});
"""
RUN_ENDED = "() => { const e = window.__vsmEnded || []; return e.length ? e[e.length - 1] : null; }"
SETTLED = """
(since) => {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid=stSkeleton]')) return false;
  const ran = (window.__vsmRuns || []).some(([s, t]) => s === 'running' && t >= since);
  return since < 0 || ran;
}
"""


def build_warehouse(n_events: int, db: Path) -> None:
    from pipelines.demo import DEMO_MAPPING
    from pipelines.demo_data import generate_demo, generate_events
    from pipelines.ingest import ImportOptions, ingest
    from warehouse import Warehouse

    events = generate_events(n_events)
    buffer = io.BytesIO()
    events.write_parquet(buffer)
    with Warehouse.open(db) as wh:
        started = time.perf_counter()
        report = ingest(wh, buffer.getvalue(), "bench.parquet", ImportOptions(mapping=DEMO_MAPPING))
        wh.save_catalog(generate_demo().catalog)
        print(
            f"warehouse: {report.stored:,} events imported in {time.perf_counter() - started:.1f} s"
        )


def peak_rss_mb(pid: int, field: str = "VmHWM") -> float:
    """The peak resident memory of a running process (Linux), in MB (`field` "VmRSS":
    the memory it holds now; "RssAnon": of that, its own memory, without the pages of
    files mapped into it, such as the cases the app holds, which the system's file cache
    takes back under pressure)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The processor time a running process has used so far (Linux), in seconds: user and
    system time of all its threads, those that have ended among them."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_ended(page) -> float:  # type: ignore[no-untyped-def]
    """Seconds from `page`'s navigation until the browser last marked a script's run ended
    (`ENDS`, added to the page before it opened), nan where it never did."""
    ended = page.evaluate(RUN_ENDED)
    return float("nan") if ended is None else float(ended) / 1000


def new_tab(context, url: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """A new tab of the browser profile `context` opens `url`: seconds to its first render
    (`_open`), and until the browser marked the run ended (`run_ended`); closed after."""
    page = context.new_page()
    page.add_init_script(ENDS)
    try:
        return _open(page, url), run_ended(page)
    finally:
        page.close()


def kept_in(private: bool) -> str:
    """Where `tabs_of` keeps the profile of its tabs, as the benchmarks print it."""
    return "a private window" if private else "a browser profile on disk"


@contextlib.contextmanager
def tabs_of(pw, browser, private: bool = False):  # type: ignore[no-untyped-def]
    """A browser context to open new tabs in, each a new session of the app, closed on
    leaving: a profile kept on disk as a person's browser keeps one (in a folder removed
    afterwards), where Chromium keeps what it has compiled of Streamlit's scripts from tab
    to tab (its code cache); or, with `private`, one of `browser`'s contexts, kept in
    memory as a private window is, without that cache."""
    viewport = {"width": 1440, "height": 1000}
    with contextlib.ExitStack() as stack:
        if private:
            context = browser.new_context(viewport=viewport)
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-profile-"))
            context = pw.chromium.launch_persistent_context(
                folder, executable_path="/usr/bin/chromium", args=FLAGS, viewport=viewport
            )
        try:
            yield context
        finally:
            context.close()


def wait_until_up(url: str) -> None:
    """Return once the Streamlit server at `url` answers (or after a minute)."""
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.5)


def stop(server: subprocess.Popen[bytes]) -> None:
    """End `server`, killed if it has not stopped 20 s after SIGTERM: none is left behind."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        print("a server did not stop within 20 s of SIGTERM: killed", file=sys.stderr)
        server.kill()
        server.wait()


def start_app(db: Path, checkout: Path = REPO) -> tuple[subprocess.Popen[bytes], str]:
    """The app of `checkout` (this one by default) on the warehouse `db`, started as
    `make run` starts it, with this checkout's Python; and its address."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=checkout,
        env={**os.environ, "VSM_DB": str(db)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--db", type=Path, help="reuse this warehouse instead of building one")
    p.add_argument(
        "--pages",
        help="comma-separated page paths to time (default: every page; 'health' is the first)",
    )
    p.add_argument(
        "--by-link",
        action="store_true",
        help="one browser session that opens Stream health, then clicks each page's link "
        "(a person's way through the app) instead of a new session per page",
    )
    p.add_argument(
        "--new-tabs",
        action="store_true",
        help="each page in a new tab of one browser profile (a new session of the app, the "
        "browser's cache of Streamlit's scripts kept, as for a person who has opened the "
        "dashboard before) instead of a new profile each time; the profile is kept on disk "
        "as a person's browser keeps one",
    )
    p.add_argument(
        "--private",
        action="store_true",
        help="with --new-tabs, the tabs of a private window instead: a profile kept in "
        "memory, without the code cache of Streamlit's scripts a profile on disk keeps",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="with --new-tabs, open each page in this many new tabs and print the median "
        "of each time, and the fastest and slowest first render (the filter is changed "
        "and timed in the first tab alone: in the others its view would be computed already)",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds between the server's first answer and the first visit (default 0: at "
        "once; a visitor who comes later finds what `ui.serve` reads ahead ready)",
    )
    p.add_argument(
        "--read",
        type=float,
        default=0.0,
        help="seconds a person reads each page after its filter change, before the next "
        "(default 0: at once)",
    )
    p.add_argument(
        "--filter",
        choices=list(FILTERS),
        default="completed",
        help="the filter changed after each page's first render (default: completed)",
    )
    args = p.parse_args()
    pages = (
        PAGES
        if not args.pages
        else ["" if name == "health" else name for name in args.pages.split(",")]
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.duckdb"
        if not db.exists():
            build_warehouse(args.events, db)
        server, url = start_app(db)
        try:
            wait_until_up(url)
            time.sleep(args.wait)
            run_pages(
                url,
                server.pid,
                pages,
                by_link=args.by_link,
                change=args.filter,
                new_tabs=args.new_tabs,
                private=args.private,
                read=args.read,
                repeat=args.repeat,
            )
            print(f"the app's peak RSS: {peak_rss_mb(server.pid):,.0f} MB")
        finally:
            stop(server)


def _open(page, url: str) -> float:  # type: ignore[no-untyped-def]
    """Open `url` in `page` and wait until its first run is drawn; the seconds it took."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("[data-testid=stApp]")
    page.evaluate(OBSERVER)
    page.wait_for_function(SETTLED, arg=-1, timeout=180_000)
    return time.perf_counter() - started


def _toggle(page) -> float | None:  # type: ignore[no-untyped-def]
    """Turn "Completed cases only" on; None where the page has no sidebar filters.

    Each filter change returns the moment (`time.perf_counter`) of the click or key that
    made the choice: the time after a filter change counts from there, not from the
    clicks that opened a list or the filters' expander before it."""
    toggle = page.locator("[data-testid=stSidebar]").get_by_text("Completed cases only", exact=True)
    if not toggle.count():
        return None
    chosen = time.perf_counter()
    toggle.first.click()
    return chosen


def _open_list(page, box) -> None:  # type: ignore[no-untyped-def]
    """Open the list of a select box's options (a click focuses it; a key opens it)."""
    field = box.locator("input[role=combobox]")
    for _ in range(10):
        field.click()
        page.keyboard.press("ArrowDown")
        if field.get_attribute("aria-expanded") == "true":
            return
        page.wait_for_timeout(200)


def _window(page) -> float | None:  # type: ignore[no-untyped-def]
    """Choose the time window "Last 12 months"."""
    box = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(
        has_text="Time window"
    )
    if not box.count():
        return None
    _open_list(page, box.first)
    option = page.get_by_role("option", name="Last 12 months", exact=True)
    option.wait_for()
    chosen = time.perf_counter()
    option.click()
    return chosen


def _variant(page) -> float | None:  # type: ignore[no-untyped-def]
    """Keep the cases of the most frequent variant (the first offered)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    more = page.locator("[data-testid=stSidebar]").get_by_text(
        "More filters: attributes, variants", exact=True
    )
    if not more.count():
        return None
    more.first.click()
    box = (
        page.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]")
        .filter(has_text="Variants")
        .first
    )
    # The list opens on "Select all", then the variants (a click on an option waits for
    # it to stop moving, which it does not while the list is open): the first variant is
    # chosen by key, until its chip shows in the box.
    for _ in range(10):
        _open_list(page, box)
        page.wait_for_timeout(300)
        chosen = time.perf_counter()
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        with contextlib.suppress(PlaywrightTimeout):
            box.get_by_text("→").first.wait_for(timeout=1_000)
        if box.get_by_text("→").count():
            return chosen
    raise RuntimeError("no variant could be chosen")


def _mode(page) -> float | None:  # type: ignore[no-untyped-def]
    """Choose "started in the window" (after "Last 12 months", chosen first and not
    timed: `BEFORE`): a view no figure is stored for, which keeps most of an offering's
    cases, so the pages compute it."""
    box = page.locator("[data-testid=stSidebar] [data-testid=stSelectbox]").filter(
        has_text="Show cases that"
    )
    if not box.count():
        return None
    _open_list(page, box.first)
    option = page.get_by_role("option", name="started in the window", exact=True)
    option.wait_for()
    chosen = time.perf_counter()
    option.click()
    return chosen


BEFORE = {"mode": _window}
"""A filter chosen, and its page's run waited for, before the timed change."""


FILTERS = {"completed": _toggle, "window": _window, "variant": _variant, "mode": _mode}


def _visit(browser, url: str, change: str | None, shared=None, pid: int = 0) -> tuple[float, ...]:  # type: ignore[no-untyped-def]
    """A new session opens `url`: seconds to the first full render, then to re-render
    after the filter change `change` names (nan where the page has no sidebar filters, or
    where `change` is None: no filter is changed);
    and of the first render, the seconds until the server's first and last messages
    reached the browser and until the browser marked the script's run ended, the
    megabytes the server sent, and the processor seconds the server (process `pid`; nan
    where it is 0) used meanwhile. In a new browser profile, or where `shared` is one, in
    a new tab of it (its cache of Streamlit's scripts kept)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = shared or browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.add_init_script(ENDS)
    received: list[tuple[float, int]] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived", lambda data: received.append((time.perf_counter(), len(data)))
        ),
    )
    try:
        cpu = cpu_seconds(pid) if pid else float("nan")
        started = time.perf_counter()
        first = _open(page, url)
        cpu = cpu_seconds(pid) - cpu if pid else float("nan")
        rendered = list(received)
        message = rendered[0][0] - started if rendered else float("nan")
        last = rendered[-1][0] - started if rendered else float("nan")
        ended = run_ended(page)
        sent = sum(size for _, size in rendered) / 1e6
        again = float("nan")
        if change in BEFORE:
            since = page.evaluate("() => performance.now()")
            if BEFORE[change](page) is not None:
                page.wait_for_function(SETTLED, arg=since, timeout=180_000)
        since = page.evaluate("() => performance.now()")
        chosen = None if change is None else FILTERS[change](page)
        if chosen is not None:
            started = chosen
            try:
                page.wait_for_function(SETTLED, arg=since, timeout=120_000)
                again = time.perf_counter() - started
            except PlaywrightTimeout:
                # A re-run quick enough to leave no trace of its running state (the page
                # has nothing to show for the filter): the time of the server's last
                # message after the change, where there was one.
                after = [t for t, _ in received if t >= started]
                if after:
                    again = after[-1] - started
                print(f"  ({url}: no run seen after the filter; its last message counted)")
        return first, again, message, last, ended, sent, cpu
    finally:
        (page if shared else context).close()


SETTLE_S = 3.0
"""How long --by-link waits after each page before it reads the app's memory again."""


def _by_link(browser, url: str, pid: int, pages: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One browser session, as a person uses the app: it opens the first page, then
    clicks each page's link in the sidebar. Prints, per page, the seconds from the click
    until the page's script has finished and its charts are drawn: the page's first run
    on this server, without a new session's start-up."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        print(f"first visit to a fresh server, a new browser profile's: {_open(page, url):.2f} s")
        page.evaluate(QUIET)
        print(
            f"{'page':<14}{'by its link s':>16}{'run ended s':>14}{'app RSS MB':>12}{'own MB':>9}"
            f"{f'own {SETTLE_S:.0f} s on':>14}"
        )
        for name in [name for name in pages if name]:
            link = page.locator(f'[data-testid=stSidebarNav] a[href="{url}/{name}"]')
            # The end of the run as seen; none when the run was over before a change showed it.
            since = page.evaluate("() => { window.__vsmRan = null; return performance.now(); }")
            link.first.click()
            page.wait_for_function(DRAWN, arg=[since, f"/{name}"], timeout=180_000)
            last, ran = page.evaluate("() => [window.__vsmLast, window.__vsmRan]")
            ran = float("nan") if ran is None else ran
            held, own = peak_rss_mb(pid, "VmRSS"), peak_rss_mb(pid, "RssAnon")
            time.sleep(SETTLE_S)
            print(
                f"{name:<14}{(last - since) / 1000:>16.2f}{(ran - since) / 1000:>14.2f}"
                f"{held:>12,.0f}{own:>9,.0f}{peak_rss_mb(pid, 'RssAnon'):>14,.0f}"
            )
    finally:
        context.close()


def run_pages(
    url: str,
    pid: int,
    pages: list[str],
    by_link: bool = False,
    change: str = "completed",
    new_tabs: bool = False,
    private: bool = False,
    read: float = 0.0,
    repeat: int = 1,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        if by_link:
            _by_link(browser, url, pid, pages)
            browser.close()
            return
        with contextlib.ExitStack() as stack:
            shared = None
            if new_tabs:
                shared = stack.enter_context(tabs_of(pw, browser, private))
                print(f"new tabs of {kept_in(private)}")
            _time_pages(browser, url, pid, pages, change, shared, read, repeat)
        browser.close()


def _time_pages(  # type: ignore[no-untyped-def]
    browser, url: str, pid: int, pages: list[str], change: str, shared, read: float, repeat: int
) -> None:
    """Print `run_pages`' table: each page in new tabs of `shared`, or where it is None in
    a new browser profile each."""
    cold, *_ = _visit(browser, url, change, shared)
    print(
        "first visit to a fresh server, a new browser profile's (its cache empty: "
        f"Streamlit's scripts downloaded and compiled): {cold:.2f} s"
    )
    tabs = repeat if shared is not None else 1
    # The first render's fastest and slowest: a column only where there are several tabs.
    spread_head = f"{'fastest-slowest s':>19}" if tabs > 1 else ""
    spread = ""
    if tabs > 1:
        print(f"each page in {tabs} new tabs: the medians, and the first render's spread")
    print(
        f"{'page':<14}{'first render s':>16}{spread_head}{'after filter s':>16}{'app RSS MB':>12}"
        f"{'own MB':>9}{'peak so far MB':>16}{'1st message s':>15}{'last message s':>16}"
        f"{'run ended s':>13}{'MB sent':>9}{'server CPU s':>14}"
    )
    for name in pages:
        # The filter is changed in the first tab alone: in the others its view is computed.
        visits = [
            _visit(browser, f"{url}/{name}", change if tab == 0 else None, shared, pid)
            for tab in range(tabs)
        ]
        first, message, last, ended, sent, cpu = (
            statistics.median(v[i] for v in visits) for i in (0, 2, 3, 4, 5, 6)
        )
        again = visits[0][1]
        if tabs > 1:
            renders = [v[0] for v in visits]
            spread = f"{f'{min(renders):.2f}-{max(renders):.2f}':>19}"
        held = peak_rss_mb(pid, "VmRSS")
        print(
            f"{name or 'health':<14}{first:>16.2f}{spread}{again:>16.2f}{held:>12,.0f}"
            f"{peak_rss_mb(pid, 'RssAnon'):>9,.0f}{peak_rss_mb(pid):>16,.0f}"
            f"{message:>15.2f}{last:>16.2f}{ended:>13.2f}{sent:>9.2f}{cpu:>14.2f}"
        )
        time.sleep(read)


if __name__ == "__main__":
    main()
