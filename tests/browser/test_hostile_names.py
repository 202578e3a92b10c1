"""Names from a file show as written on every page: an offering, a step, a case or a person
named like Markdown, HTML, LaTeX or a Streamlit directive never becomes a link, an image, a
formula, a heading or a colour, and no script runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from pipelines.ingest import ImportOptions, ingest
from pipelines.mapping import Mapping
from tests.browser.conftest import StreamlitServer, no_exception, wait_for_app
from warehouse import Warehouse
from warehouse.experiments import create_experiment
from warehouse.future_states import save_future_state

pytestmark = pytest.mark.browser

OFFERINGS = [
    "![b](http://127.0.0.1:9/b.png)",
    "[x](http://evil.example)",
    # DOT's HTML label and attributes: the process map's title, never a link of the map.
    '<x>, URL="http://evil.example/u", target="_self", y=<z>',
]
STEPS = [
    "<img src=x onerror=alert(1)>",
    "$\\frac{a}{b}$",
    ":red[alarm] :material/delete:",
    "# Heading step",
    "**bold** [y](http://evil.example/y)",
]
PEOPLE = ["<script>alert(2)</script>", "ana@evil.example", "- listed"]
EXPERIMENT = "[trial](http://evil.example/t) $x^2$"
FUTURE_STATE = "![f](http://127.0.0.1:9/f.png) :blue[plan]"
PAGES = [
    "",
    "vsm",
    "process-map?p_offering=" + quote(OFFERINGS[2]),
    "waits",
    "flow",
    "compare",
    "cases",
    "case?p_case=%5Bc0%5D(http%3A%2F%2Fevil.example%2Fc)",
    "findings",
    "experiments",
    "redesign",
    "future-state",
    "data",
]


def _hostile_log(folder: Path) -> Path:
    rows = [["Offering", "Case", "Step", "Started", "Finished", "Owner"]]
    for c in range(40):
        day = 1 + c % 28
        month = 8 + c // 28
        path = STEPS if c % 3 else [*STEPS[:3], STEPS[1], *STEPS[3:]]  # a loop back: rework
        for s, step in enumerate(path):
            rows.append(
                [
                    OFFERINGS[c % len(OFFERINGS)],
                    f"[c{c}](http://evil.example/c)",
                    step,
                    f"2026-{month:02d}-{day:02d} {8 + s:02d}:00",
                    f"2026-{month:02d}-{day:02d} {8 + s:02d}:{20 + c % 30:02d}",
                    PEOPLE[(c + s) % len(PEOPLE)],
                ]
            )
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = folder / "hostile-names.csv"
    path.write_text(out.getvalue())
    return path


def _rendered_markup(page) -> list[str]:  # type: ignore[no-untyped-def]
    """What a name would have become had it been read as markup."""
    return page.evaluate(
        """() => {
          const main = document.querySelector("[data-testid='stMain']") || document.body;
          const found = [];
          for (const img of main.querySelectorAll('img')) {
            const src = img.getAttribute('src') || '';
            if (src === 'x' || src.includes('127.0.0.1:9/')) found.push('image ' + src);
          }
          for (const a of document.querySelectorAll('a[href]')) {
            if (new URL(a.href).hostname.endsWith('evil.example')) found.push('link ' + a.href);
          }
          // An SVG link (the process map's drawing) has its address in xlink:href.
          for (const a of document.querySelectorAll('svg a')) {
            const href = a.getAttribute('href') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href');
            if (href) found.push('svg link ' + href);
          }
          for (const k of main.querySelectorAll('.katex')) found.push('formula ' + k.textContent);
          for (const h of main.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
            if (h.textContent.includes('Heading step')) found.push('heading ' + h.textContent);
          }
          for (const s of main.querySelectorAll('strong, b')) {
            if (s.textContent === 'bold') found.push('bold text');
          }
          for (const s of main.querySelectorAll('script')) {
            if (s.textContent.includes('alert(')) found.push('script');
          }
          for (const s of main.querySelectorAll('[style*="color"]')) {
            if (['alarm', 'faster', 'plan'].includes(s.textContent.trim())) found.push('coloured ' + s.textContent);
          }
          for (const s of main.querySelectorAll('[data-testid="stMarkdownContainer"] span[role="img"]')) {
            if (s.textContent === 'delete') found.push('icon delete');
          }
          return found;
        }"""
    )


def test_no_name_becomes_markup_on_any_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "hostile.duckdb"
    with Warehouse.open(db) as wh:
        mapping = Mapping(
            case="Case",
            activity="Step",
            start="Started",
            end="Finished",
            resource="Owner",
            offering_column="Offering",
        )
        report = ingest(wh, _hostile_log(tmp_path), options=ImportOptions(mapping=mapping))
        assert report.stored == 40 * 5 + 14  # every third case goes back once
        for offering in OFFERINGS:
            # People type these too: an experiment's texts and a future state's name.
            create_experiment(
                wh,
                name=EXPERIMENT,
                offering=offering,
                changed_at=datetime(2026, 8, 20, tzinfo=UTC),
                what_changed="<b>bold</b> [link](http://evil.example/w)",
                hypothesis="$\\frac{c}{d}$ :red[faster]",
            )
            save_future_state(wh, offering, {"name": FUTURE_STATE, "stages": STEPS, "optional": []})
    server = StreamlitServer(db)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    seen: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    try:
        for url_path in PAGES:
            page.goto(f"{server.url}/{url_path}")
            wait_for_app(page)
            page.wait_for_selector("[data-testid='stMainBlockContainer'] [data-testid='stHeading']")
            wait_for_app(page)
            no_exception(page)
            for details in page.locator("[data-testid='stExpander'] details").all():
                if details.get_attribute("open") is None and details.is_visible():
                    details.locator("summary").click()
            wait_for_app(page)
            name = url_path.split("?")[0] or "health"
            seen[name] = _rendered_markup(page)
            texts[name] = page.inner_text("[data-testid='stMain']").replace("\u2060", "")
    finally:
        page.close()
        server.stop()
    assert dialogs == []
    bad = {k: v for k, v in seen.items() if v}
    assert bad == {}, "\n".join(f"{k}: {v}" for k, v in bad.items())
    # Where each request went, not what its query says: the Case page is opened with the
    # hostile case id in its own link.
    hosts = {urlsplit(u).netloc for u in requested}
    assert not [h for h in hosts if h.endswith("evil.example") or h == "127.0.0.1:9"]
    # The names are there, as written: the pages did not just leave them out.
    assert OFFERINGS[0] in texts["health"]
    assert [s for s in STEPS if s not in texts["process-map"]] == []  # in the map's boxes
    assert OFFERINGS[2] in texts["process-map"]
    assert "[c0](http://evil.example/c)" in texts["case"]
    assert "<img src=x onerror=alert(1)>" in texts["case"]
    assert EXPERIMENT in texts["experiments"]
    assert FUTURE_STATE in texts["future-state"]
