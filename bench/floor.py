"""Floor benchmark: what a page of Streamlit alone takes in a new tab on this machine,
before a page of the dashboard draws anything of its own.

    python bench/floor.py [--tabs N] [--rounds R]

Serves three small Streamlit apps in turn, each as `streamlit run` serves one:

- "one line": a page of one line of text;
- "navigation": the dashboard's navigation, its pages by the titles, icons and groups
  of app.py (read from it), each page one line of text;
- "navigation and filters": the same, with a sidebar of the kinds of fields the
  dashboard's sidebar has (a multiselect, select boxes, a toggle, a text field, a
  notice and a folded expander of two more fields).

For each, one tab opens it first (Streamlit's scripts then come from the browser's
cache, as for anybody who has opened the dashboard before), then N new tabs of the same
browser profile, one after the other. The profile is kept on disk, as a person's
browser keeps one, with what the browser has compiled of the scripts (its code cache);
with --private, the tabs are those of a private window instead, kept in memory without
that cache (bench/pages.py's `tabs_of`). It prints the median, fastest and slowest first
render (as bench/pages.py --new-tabs times it: until the run has ended and no
placeholder is left) and the median of when the browser marked the run ended, for each
round. What a page of the dashboard takes in a new tab beyond the third app is its own
elements and charts. Asserts nothing.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.pages import (  # noqa: E402
    FLAGS,
    _open,
    free_port,
    kept_in,
    new_tab,
    stop,
    tabs_of,
    wait_until_up,
)

ONE_LINE = 'import streamlit as st\n\nst.write("A page of one line.")\n'

SIDEBAR = """
with st.sidebar:
    st.markdown("**Filters** (shared by every page; the link keeps them)")
    st.multiselect("Offerings", ["Custom formulation", "Private label fulfillment",
                   "Reverse engineering"], key="f_offerings", help="The value streams.")
    st.selectbox("Time window", ["All time", "Last 30 days", "Last 90 days"],
                 key="f_period", help="A relative period.")
    st.selectbox("Show cases that", ["were in progress", "started", "completed"],
                 key="f_mode", disabled=True, help="Which cases a window selects.")
    st.toggle("Completed cases only", key="f_completed", help="Drops open cases.")
    with st.expander("More filters: attributes, variants"):
        st.selectbox("Attribute", ["(none)", "customer"], key="f_attribute")
        st.multiselect("Variants", [f"Variant {i}" for i in range(12)], key="f_variants")
    st.markdown("### Value stream dashboard")
    st.warning("No sign-in configured.", icon=":material/lock_open:")
    st.caption("Warehouse: 32,708 activity instances in 3 offerings.")
    st.text_input("Find a case", placeholder="Case id, or part of it", key="find")
"""


def dashboard_pages() -> dict[str, list[tuple[str, str | None]]]:
    """(title, icon) of each page app.py lists, by its group, in its order; the pages it
    hides from the menu left out."""
    groups: dict[str, list[tuple[str, str | None]]] = {}
    tree = ast.parse((REPO / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict) or not node.keys:
            continue
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(value, ast.List)):
                continue
            for call in value.elts:
                if not isinstance(call, ast.Call):
                    continue
                named = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
                if named.get("visibility") == "hidden":
                    continue
                groups.setdefault(str(key.value), []).append((named["title"], named.get("icon")))
    return groups


def write_apps(folder: Path) -> dict[str, Path]:
    """The three apps' main scripts in `folder`, by name."""
    (folder / "pages").mkdir()
    entries: dict[str, list[str]] = {}
    n = 0
    for group, listed in dashboard_pages().items():
        for title, icon in listed:
            (folder / "pages" / f"p{n}.py").write_text(ONE_LINE, encoding="utf-8")
            entries.setdefault(group, []).append(
                f"st.Page('pages/p{n}.py', title={title!r}, icon={icon!r}, "
                f"url_path='p{n}', default={n == 0})"
            )
            n += 1
    navigation = "pages = {\n" + "".join(
        f"    {group!r}: [{', '.join(listed)}],\n" for group, listed in entries.items()
    )
    navigation += "}\npage = st.navigation(pages)\n"
    head = 'import streamlit as st\n\nst.set_page_config(page_title="Floor", layout="wide")\n'
    apps = {
        "one line": ONE_LINE,
        "navigation": head + navigation + "page.run()\n",
        "navigation and filters": head + navigation + SIDEBAR + "page.run()\n",
    }
    paths = {}
    for n, (name, text) in enumerate(apps.items()):
        paths[name] = folder / f"app{n}.py"
        paths[name].write_text(text, encoding="utf-8")
    return paths


def new_tabs(context, url: str, tabs: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Seconds to the first render and to the run's end in each of `tabs` new tabs of one
    browser profile (`context`) that has opened `url` once before."""
    first = context.new_page()
    _open(first, url)
    first.close()
    times = [new_tab(context, url) for _ in range(tabs)]
    return [rendered for rendered, _ in times], [ended for _, ended in times]


def serve(script: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Serve `script` from its own folder, where the repository's .streamlit/config.toml
    does not apply: the flags give what matters of it here (no file watched; these pages
    send a few kilobytes, so the WebSocket's compression makes no difference and is left
    off)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=script.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url)
    return server, url


def main() -> None:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tabs", type=int, default=6, help="new tabs per app and round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument(
        "--private",
        action="store_true",
        help="the tabs of a private window (a profile kept in memory) instead of a profile "
        "kept on disk",
    )
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        apps = write_apps(Path(tmp))
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        print(f"new tabs of {kept_in(args.private)}")
        print(f"{'app':<24} {'new tab s: median':>18} {'fastest':>8} {'slowest':>8} "
              f"{'run ended s: median':>20}")  # fmt: skip
        for round_ in range(args.rounds):
            print(f"round {round_ + 1}")
            for name, script in apps.items():
                server, url = serve(script)
                try:
                    with tabs_of(pw, browser, args.private) as context:
                        rendered, ended = new_tabs(context, url, args.tabs)
                finally:
                    stop(server)
                print(f"{name:<24} {statistics.median(rendered):>18.2f} {min(rendered):>8.2f} "
                      f"{max(rendered):>8.2f} {statistics.median(ended):>20.2f}")  # fmt: skip
        browser.close()


if __name__ == "__main__":
    main()
