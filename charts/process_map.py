"""The process map as Graphviz DOT source, which Graphviz's `dot` draws on the server
(charts.export.dot_markup; where it is not installed, st.graphviz_chart lays it out in
the browser).

Graphviz lays out a directly-follows graph far better than a chart grammar can. The DOT
is built by one pure function from the frames of metrics.process_map, so the same text
is what the page draws and what the user downloads.
"""

from __future__ import annotations

import html
from typing import Any, Literal

import polars as pl

from charts.style import VALUE_CLASS_COLORS
from metrics.process_map import END, START
from metrics.stats import duration_text

Mode = Literal["frequency", "performance"]

BOTTLENECK_COLOR = "#d32f2f"
_EDGE_GREY = "#6b6b6b"
_FONT = "Helvetica,Arial,sans-serif"


def _tint(hex_color: str, strength: float) -> str:
    """`hex_color` blended with white: 0 is white, 1 the colour itself."""
    rgb = [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - c) * strength) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _heat(fraction: float) -> str:
    """Grey for short waits to deep red for the longest."""
    grey, red = (0x8A, 0x8A, 0x8A), (0xB7, 0x1C, 0x1C)
    f = min(max(fraction, 0.0), 1.0)
    return "#" + "".join(f"{round(g + (r - g) * f):02x}" for g, r in zip(grey, red, strict=True))


def _quote(text: str) -> str:
    """`text` as a DOT string that Graphviz shows as written: its backslashes and quotes
    escaped, and its ampersands too (Graphviz reads `&lt;` in a string as `<`)."""
    escaped = text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


class _Html(str):
    """An HTML-like label this module built (its text escaped), written unquoted; any other
    value is quoted, whatever it looks like: an offering named `<x>, URL="..."` is a
    title, not attributes of the map."""


def _attrs(**attrs: Any) -> str:
    parts = []
    for key, value in attrs.items():
        if isinstance(value, _Html):
            parts.append(f"{key}=<{value}>")
        else:
            parts.append(f"{key}={_quote(str(value))}")
    return "[" + ", ".join(parts) + "]"


def _node_id(activity: str) -> str:
    return _quote(activity)


def _wait_text(seconds: float | None, measure: str) -> str:
    text = duration_text(seconds)
    if measure == "elapsed":
        return f"{text} elapsed"
    if measure == "mixed":
        return f"{text}*"
    return text


def _node(row: dict[str, Any], mode: Mode, is_bottleneck: bool) -> str:
    value_class = row["value_class"] or "unclassified"
    color = VALUE_CLASS_COLORS.get(value_class, VALUE_CLASS_COLORS["unclassified"])
    name = html.escape(row["activity"])
    if row["kind"] == "waiting":
        detail = "waiting status"
    elif mode == "frequency":
        detail = f"{row['instances']:,} times in {row['cases']:,} cases"
    else:
        ct = row["process_time_s_p50"]
        detail = f"median work {duration_text(ct)}" if ct is not None else "work time unknown"
    lines = [f"<b>{name}</b>", html.escape(detail)]
    if row["open_cases_here"]:
        lines.append(f'<font point-size="9">{row["open_cases_here"]:,} open cases wait here</font>')
    if is_bottleneck:
        lines.append(f'<font color="{BOTTLENECK_COLOR}" point-size="9"><b>BOTTLENECK</b></font>')
    tooltip = (
        f"{row['activity']}: {value_class}; {row['instances']:,} instances in {row['cases']:,} cases; "
        f"median work time {duration_text(row['process_time_s_p50'])} "
        f"(over {row['process_time_s_n']:,} instances)"
    )
    attrs: dict[str, Any] = {
        "label": _Html("<br/>".join(lines)),
        "fillcolor": _tint(color, 0.18),
        "color": BOTTLENECK_COLOR if is_bottleneck else color,
        "penwidth": 3.5 if is_bottleneck else 1.4,
        "tooltip": tooltip,
    }
    if row["kind"] == "waiting":
        attrs["style"] = "rounded,filled,dashed"
    return f"  {_node_id(row['activity'])} {_attrs(**attrs)};"


def _edge(row: dict[str, Any], mode: Mode, max_count: int, max_wait: float) -> str:
    a, b = row["from_activity"], row["to_activity"]
    count = row["count"]
    boundary = a == START or b == END
    attrs: dict[str, Any] = {}
    where = f"{'Start' if a == START else a} → {'End' if b == END else b}"
    if boundary:
        attrs |= {
            "style": "dashed",
            "color": "#9e9e9e",
            "penwidth": 1.2,
            "label": f" {count:,}" if mode == "frequency" else "",
            "tooltip": f"{where}: {count:,} cases",
        }
    elif mode == "frequency":
        attrs |= {
            "label": f" {count:,}",
            "penwidth": round(1 + 5 * count / max_count, 2),
            "color": _EDGE_GREY,
        }
    else:
        wait = row["wait_s_p50"]
        fraction = (wait or 0.0) / max_wait if max_wait > 0 else 0.0
        attrs |= {
            "label": " " + _wait_text(wait, row["measure"]),
            "penwidth": round(1 + 5 * fraction, 2),
            "color": _heat(fraction),
            "fontcolor": _heat(fraction),
        }
    if not boundary:
        kind = "elapsed" if row["measure"] == "elapsed" else "wait"
        attrs["tooltip"] = (
            f"{where}: {count:,} times in {row['cases']:,} cases; median {kind} "
            f"{duration_text(row['wait_s_p50'])}, p85 {duration_text(row['wait_s_p85'])}"
        )
    return f"  {_node_id(a)} -> {_node_id(b)} {_attrs(**attrs)};"


def process_map_dot(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    mode: Mode = "frequency",
    bottleneck: str | None = None,
    title: str = "",
) -> str:
    """DOT source of the map.

    `nodes` is metrics.process_map.activity_ranking's frame (the kept
    activities), `edges` the kept arrows (directly_follows, keep_paths). In
    `frequency` mode arrows say how often they were taken; in `performance`
    mode their median wait ("elapsed" where the step after has no start time,
    "*" where only some have one). `bottleneck` is outlined in red.
    """
    inner = edges.filter((pl.col("from_activity") != START) & (pl.col("to_activity") != END))
    max_count = int(inner["count"].max() or 1)  # type: ignore[arg-type]
    max_wait = float(inner["wait_s_p50"].max() or 0.0)  # type: ignore[arg-type]
    lines = [
        "digraph process_map {",
        f"  graph {_attrs(rankdir='TB', bgcolor='transparent', fontname=_FONT, nodesep=0.3, ranksep=0.42, labelloc='t', label=title, fontsize=15)};",
        f"  node {_attrs(shape='box', style='rounded,filled', fontname=_FONT, fontsize=11, margin='0.22,0.08')};",
        f"  edge {_attrs(fontname=_FONT, fontsize=10, arrowsize=0.7, color=_EDGE_GREY)};",
        f"  {_node_id(START)} {_attrs(label='Start', shape='circle', style='filled', fillcolor='#43a047', color='#2e7d32', fontcolor='white', fontsize=10, width=0.55, fixedsize='true', tooltip='Where the cases begin')};",
        f"  {_node_id(END)} {_attrs(label='End', shape='doublecircle', style='filled', fillcolor='#424242', color='#212121', fontcolor='white', fontsize=10, width=0.5, fixedsize='true', tooltip='Completed cases end here')};",
    ]
    lines += [
        _node(row, mode, row["activity"] == bottleneck) for row in nodes.iter_rows(named=True)
    ]
    lines += [_edge(row, mode, max_count, max_wait) for row in edges.iter_rows(named=True)]
    lines.append("}")
    return "\n".join(lines) + "\n"
