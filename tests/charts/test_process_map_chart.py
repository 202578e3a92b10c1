"""The process map's DOT: nodes coloured by value class, start and end, labels per mode, bottleneck."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import polars as pl

from charts.export import dot_markup
from charts.process_map import BOTTLENECK_COLOR, process_map_dot
from charts.style import VALUE_CLASS_COLORS
from metrics.process_map import activity_ranking, directly_follows
from tests.metrics.frames import cases_of, catalog, derive, events


def _frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    log = events(
        [
            ("1", "Quote", 0, 1),
            ("1", "Build", 3, 5),
            ("1", "Ship", 29, 30),
            ("2", "Quote", 0, 2),
            ("2", "Build", 4, 5),
            ("2", "Ship", 7, 8),
        ]
    )
    inst = derive(
        log,
        catalog(
            [
                {"activity": "Build", "value_class": "value-adding"},
                {"activity": "Ship", "is_end_activity": True},
            ]
        ),
    )
    cases = cases_of(inst)
    return activity_ranking(inst.lazy(), cases.lazy()).collect(), directly_follows(
        inst.lazy(), cases.lazy()
    ).collect()


def test_frequency_dot_counts_on_arrows_and_start_end_nodes() -> None:
    nodes, edges = _frames()
    dot = process_map_dot(nodes, edges, "frequency", bottleneck="Ship", title="Shop")
    assert dot.startswith("digraph process_map {") and dot.rstrip().endswith("}")
    assert '"__start__" [label="Start"' in dot and '"__end__" [label="End"' in dot
    assert '"Quote" -> "Build" [label=" 2"' in dot
    assert '"__start__" -> "Quote"' in dot and '"Ship" -> "__end__"' in dot
    assert "<b>Build</b><br/>2 times in 2 cases" in dot
    build = next(line for line in dot.splitlines() if line.startswith('  "Build" ['))
    assert VALUE_CLASS_COLORS["value-adding"] in build
    ship = next(line for line in dot.splitlines() if line.startswith('  "Ship" ['))
    assert BOTTLENECK_COLOR in ship and "BOTTLENECK" in ship
    assert 'label="Shop"' in dot


def test_performance_dot_puts_median_waits_on_arrows() -> None:
    nodes, edges = _frames()
    dot = process_map_dot(nodes, edges, "performance")
    # Build → Ship waited 24 h and 2 h: median 13 h.
    assert '"Build" -> "Ship" [label=" 13.0 h"' in dot
    assert "<br/>2 times in" not in dot and "median work 1.5 h" in dot


def test_names_with_quotes_and_markup_are_escaped() -> None:
    nodes, edges = _frames()
    odd = 'Check "A" <fast> & go'
    nodes = nodes.with_columns(pl.col("activity").replace("Quote", odd))
    edges = edges.with_columns(pl.col("from_activity", "to_activity").replace("Quote", odd))
    dot = process_map_dot(nodes, edges, "frequency")
    assert (
        '"Check \\"A\\" <fast> & go" [label=<<b>Check &quot;A&quot; &lt;fast&gt; &amp; go</b>'
        in dot
    )


def test_the_map_drawn_on_the_server_shows_every_name_as_written() -> None:
    """dot_markup's SVG, as the page places it in markdown: no sign markdown or Streamlit
    would read (a directive, a formula, emphasis) is left as such in its text or tooltips,
    and the browser, which decodes the references, shows each name as it was."""
    nodes, edges = _frames()
    odd = ':red[x] :material/delete: $a$ *b* _c_ `d` <e> & "f"'
    nodes = nodes.with_columns(pl.col("activity").replace("Quote", odd))
    edges = edges.with_columns(pl.col("from_activity", "to_activity").replace("Quote", odd))
    markup = dot_markup(process_map_dot(nodes, edges, "frequency"))
    assert markup.startswith('<div class="graphviz">\n<svg') and markup.endswith("</svg>\n</div>")
    assert "\n\n" not in markup and "<!--" not in markup  # one HTML block, no comment
    inner = markup[markup.index("<svg") : markup.rindex("</svg>") + 6]
    texts = re.sub(r"<[^>]*>", "", inner)
    assert not re.search(r"[:$*_`\[\]]", texts)  # none of them bare between the tags
    values = re.findall(r'="([^"]*)"', inner)
    assert not [v for v in values if re.search(r"[:$*_`\[\]]", v)]
    svg = ET.fromstring(inner)  # what the browser decodes
    shown = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert odd in shown and "Build" in shown
    tips = [
        a.get("{http://www.w3.org/1999/xlink}title") or ""
        for a in svg.iter("{http://www.w3.org/2000/svg}a")
    ]
    assert any(tip.startswith(odd + ":") for tip in tips)
