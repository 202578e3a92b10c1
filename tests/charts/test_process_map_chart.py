"""The process map's DOT: nodes coloured by value class, start and end, labels per mode, bottleneck."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import polars as pl
import pytest

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
        '"Check \\"A\\" <fast> &amp; go" [label=<<b>Check &quot;A&quot; &lt;fast&gt; &amp; go</b>'
        in dot
    )


def _drawn_svg(markup: str) -> ET.Element:
    """The SVG of dot_markup's markup, as the browser reads it (references decoded)."""
    assert markup.startswith('<div class="graphviz">\n<svg') and markup.endswith("</svg>\n</div>")
    assert not re.search(r"\n[ \t]*\n", markup) and "<!--" not in markup  # one HTML block
    inner = markup[markup.index("<svg") : markup.rindex("</svg>") + 6]
    texts = re.sub(r"<[^>]*>", "", inner)
    assert not re.search(r"[:$*_`~\\\[\]]", texts)  # none of them bare between the tags
    values = re.findall(r'="([^"]*)"', inner)
    assert not [v for v in values if re.search(r"[:$*_`~\\\[\]\n]", v)]
    return ET.fromstring(inner)


SVG = "{http://www.w3.org/2000/svg}"


def test_the_map_drawn_on_the_server_shows_every_name_as_written() -> None:
    """dot_markup's SVG, as the page places it in markdown: no sign markdown or Streamlit
    would read (a directive, a formula, emphasis) and no blank line is left in its text
    or tooltips, and the browser, which decodes the references, shows each name as it
    was."""
    nodes, edges = _frames()
    odd = ':red[x] :material/delete: $a$ *b* _c_ `d` ~e~ \\f <g> & "h" &lt;i&gt;'
    lines = "one\n\ntwo\u2028\u2028three"
    nodes = nodes.with_columns(pl.col("activity").replace({"Quote": odd, "Build": lines}))
    edges = edges.with_columns(
        pl.col("from_activity", "to_activity").replace({"Quote": odd, "Build": lines})
    )
    svg = _drawn_svg(dot_markup(process_map_dot(nodes, edges, "frequency")))
    shown = [t.text for t in svg.iter(f"{SVG}text")]
    assert odd in shown and "Ship" in shown
    tips = [a.get("{http://www.w3.org/1999/xlink}title") or "" for a in svg.iter(f"{SVG}a")]
    assert any(tip.startswith(odd + ":") for tip in tips)
    assert any(tip.startswith(lines + ":") for tip in tips)  # its line breaks kept
    assert lines in [t.text for t in svg.iter(f"{SVG}title")]


def test_an_offering_named_like_dot_is_the_maps_title_and_nothing_else() -> None:
    """An offering named like DOT's HTML label and attributes (`<x>, URL="..."`) is the
    map's title, as written: the drawing gets no link and no attribute from it."""
    nodes, edges = _frames()
    title = '<x>, URL="javascript:alert(1)", target="_self", fontname="A\\"/><script>", y=<z>'
    dot = process_map_dot(nodes, edges, "frequency", title=title)
    assert 'URL="javascript' not in dot and "label=<x>" not in dot
    markup = dot_markup(dot)
    assert "href" not in markup and "<script" not in markup
    svg = _drawn_svg(markup)
    assert title in [t.text for t in svg.iter(f"{SVG}text")]


def test_a_drawing_with_a_link_or_a_script_is_refused() -> None:
    """What a map never holds makes dot_markup refuse the drawing (the page then lays the
    map out in the browser): a link, here one a DOT text asks for itself."""
    with pytest.raises(ValueError, match="never has"):
        dot_markup('digraph { a [URL="http://example.org/"]; }')
    dot_markup('digraph { a [tooltip="on=1 href=2 <script>"]; }')  # text, not markup: drawn
