"""The value stream map as one Altair chart: boxes, data boxes, wait triangles, timeline ladder.

Coordinates are pixels from the top left: map column c (1-based) owns
x ∈ [(c−1)·SLOT, c·SLOT), its wait triangles sit in the first GAP of the slot and
its process boxes fill the rest; the steps of a column (alternatives, or steps run
in parallel) are stacked one ROW below the other. The ladder runs under the rows
along the map's path, and the ladder's totals stand right of the last column.
Layers are built one function each and composed once.

Names longer than a box wraps to three lines end in "…"; the whole name is in the
tooltip. Clicking a process box selects its step (the point selection `box`,
field `activity`): the page opens the list of that step's cases.
"""

from __future__ import annotations

import textwrap
from typing import Any

import altair as alt
import polars as pl

from charts.style import VALUE_CLASS_COLORS, AnyChart
from metrics.stats import duration_text

SLOT = 160.0
GAP = 46.0
BOX_W = SLOT - GAP - 6.0
HEAD = 58.0  # room above the first row: the legend, then the column labels ("one of these")
ROW = 154.0
BOX_TOP, BOX_H = 18.0, 52.0  # inside a row: the strip above holds BOTTLENECK
DATA_TOP, DATA_H = BOX_TOP + BOX_H + 4.0, 74.0
LADDER_H = 92.0
TOTALS_W = 190.0
NAME_CHARS, NAME_LINES, NAME_LINE = 16, 3, 13.0
DATA_CHARS = 17  # characters of a data-box line that fit its box ("123,456 instances")
SELECTION = "box"

WAIT_COLOR, WAIT_TEXT, WORK_TEXT, NECK = "#f9a825", "#6d4c00", "#1b5e20", "#d32f2f"
COLUMN_WORDS = {
    "alternatives": "one of these",
    "parallel": "at the same time",
    "mixed": "one or more of these",
}


def box_label(name: str, width: int = NAME_CHARS, lines: int = NAME_LINES) -> str:
    """A step's name wrapped to fit its box: at most `lines` lines, the last ending in "…"
    when the name is longer."""
    wrapped = textwrap.wrap(name, width) or [""]
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    last = " ".join(wrapped[lines - 1 :])
    return "\n".join([*wrapped[: lines - 1], last[: width - 1].rstrip() + "…"])


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _frame(vsm: pl.DataFrame) -> pl.DataFrame:
    """Geometry and labels of every box, from metrics.vsm.value_stream's boxes."""
    return (
        vsm.with_columns(
            x_gap=(pl.col("column").cast(pl.Float64) - 1) * SLOT,
            y_row=HEAD + (pl.col("branch").cast(pl.Float64) - 1) * ROW,
        )
        .with_columns(
            x0=pl.col("x_gap") + GAP,
            x1=pl.col("x_gap") + GAP + BOX_W,
            x_tri=pl.col("x_gap") + GAP / 2,
            x_mid=pl.col("x_gap") + GAP + BOX_W / 2,
            y0=pl.col("y_row") + BOX_TOP,
            y1=pl.col("y_row") + BOX_TOP + BOX_H,
            y_mid=pl.col("y_row") + BOX_TOP + BOX_H / 2,
            y_data0=pl.col("y_row") + DATA_TOP,
            y_data1=pl.col("y_row") + DATA_TOP + DATA_H,
            name=pl.col("activity").map_elements(box_label, return_dtype=pl.String),
            # Without start times (and no standard minutes) a step's C/T is unknown, not zero.
            ct=pl.col("process_time_s_p50")
            .map_elements(duration_text, return_dtype=pl.String)
            .fill_null("?"),
            wait=pl.col("wait_before_s_p50").map_elements(duration_text, return_dtype=pl.String),
            value_class=pl.col("value_class").fill_null("unclassified"),
            queue_line=pl.when(pl.col("queue").is_not_null())
            .then(
                pl.format(
                    "\nafter {}",
                    pl.col("queue").map_elements(
                        lambda q: _short(q, DATA_CHARS - len("after ")), return_dtype=pl.String
                    ),
                )
            )
            .otherwise(pl.lit("")),
        )
        .with_columns(
            # Vega hangs the further lines of a label below its first: centre the block.
            y_name=pl.col("y_mid")
            - (pl.col("name").str.count_matches("\n").cast(pl.Float64)) * NAME_LINE / 2,
            data=pl.format(
                "C/T {}\n{} instances\n%C&A {}%\n{}% of cases{}",
                pl.col("ct"),
                pl.col("instances").map_elements(lambda n: f"{n:,}", return_dtype=pl.String),
                (pl.col("pct_c_and_a") * 100).round(0).cast(pl.Int64),
                (pl.col("case_share") * 100).round(0).cast(pl.Int64),
                pl.col("queue_line"),
            ),
            has_wait=pl.col("wait_before_s_p50").is_not_null(),
            path_text=pl.when(pl.col("on_path"))
            .then(pl.lit("yes: the ladder adds this step"))
            .otherwise(pl.lit("no: another branch")),
            queue_text=pl.when(pl.col("queue").is_not_null())
            .then(
                pl.format(
                    "{} ({} of {} instances came straight from it)",
                    pl.col("queue"),
                    pl.col("queue_instances"),
                    pl.col("instances"),
                )
            )
            .otherwise(pl.lit("–")),
        )
    )


def _scales(width: float, height: float) -> tuple[alt.Scale, alt.Scale]:
    return (
        alt.Scale(domain=[0, width], range=[0, width], nice=False, zero=False),
        alt.Scale(domain=[0, height], range=[0, height], nice=False, zero=False),
    )


class _Axes:
    """Pixel encodings shared by every layer."""

    def __init__(self, width: float, height: float) -> None:
        self.xs, self.ys = _scales(width, height)

    def x(self, field: str) -> alt.X:
        return alt.X(f"{field}:Q", axis=None, scale=self.xs)

    def y(self, field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", axis=None, scale=self.ys)


def _class_color() -> alt.Color:
    return alt.Color(
        "value_class:N",
        title="Value class",
        scale=alt.Scale(domain=list(VALUE_CLASS_COLORS), range=list(VALUE_CLASS_COLORS.values())),
        # Inside the plot area: a page draws the chart in a box of exactly its height.
        legend=alt.Legend(
            orient="none",
            legendX=0,
            legendY=0,
            direction="horizontal",
            titleOrient="left",
            symbolOpacity=0.6,
        ),
    )


def _tooltip() -> list[alt.Tooltip]:
    return [
        alt.Tooltip("activity:N", title="Step"),
        alt.Tooltip("value_class:N", title="Value class"),
        alt.Tooltip("ct:N", title="Median process time (C/T)"),
        alt.Tooltip("process_time_s_n:Q", title="…based on instances", format=","),
        alt.Tooltip("wait:N", title="Median wait before"),
        alt.Tooltip("wait_before_s_n:Q", title="…based on instances", format=","),
        alt.Tooltip("queue_text:N", title="Waiting status before it"),
        alt.Tooltip("instances:Q", title="Instances", format=","),
        alt.Tooltip("cases:Q", title="Cases", format=","),
        alt.Tooltip("case_share:Q", title="Share of cases", format=".0%"),
        alt.Tooltip("pct_c_and_a:Q", title="%C&A (done right first time)", format=".0%"),
        alt.Tooltip("path_text:N", title="On the ladder's path"),
    ]


SELECTED_COLOR = "#1565c0"


def _boxes(
    frame: pl.DataFrame, ax: _Axes, select: str | None, selected: str | None
) -> list[alt.Chart]:
    base = alt.Chart(frame)
    tooltip = _tooltip()
    # Boxes off the ladder's path (the other branches) are drawn dashed; a bar mark,
    # because Vega-Lite ignores an encoded dash on rect marks.
    box = base.mark_bar(
        fillOpacity=0.25, strokeOpacity=0.9, cursor="pointer", stroke="#333"
    ).encode(
        x=ax.x("x0"),
        x2=alt.X2("x1"),
        y=ax.y("y0"),
        y2=alt.Y2("y1"),
        color=_class_color(),
        # Channel objects, not alt.condition's dicts: Altair looks a dict's class up in
        # the whole Vega-Lite schema, about 30 ms each time.
        strokeWidth=alt.StrokeWidthValue(1.2, condition={"test": "datum.on_path", "value": 1.6}),
        strokeDash=alt.StrokeDashValue(
            [5, 3], condition={"test": "datum.on_path", "value": [1, 0]}
        ),
        tooltip=tooltip,
    )
    name = base.mark_text(
        fontWeight="bold", fontSize=11, lineBreak="\n", lineHeight=NAME_LINE, cursor="pointer"
    ).encode(x=ax.x("x_mid"), y=ax.y("y_name"), text=alt.Text("name:N"), tooltip=tooltip)
    data = base.mark_rect(fill="white", stroke="#555", strokeWidth=0.8).encode(
        x=ax.x("x0"), x2=alt.X2("x1"), y=ax.y("y_data0"), y2=alt.Y2("y_data1"), tooltip=tooltip
    )
    data_text = base.mark_text(
        fontSize=10.5, lineBreak="\n", lineHeight=13.5, align="left", baseline="top", dx=5, dy=5
    ).encode(x=ax.x("x0"), y=ax.y("y_data0"), text=alt.Text("data:N"), tooltip=tooltip)
    layers = [box, name, data, data_text]
    if select is not None:
        layers.append(_pick(base, ax, select, selected, tooltip))
    return layers


def _pick(
    base: alt.Chart, ax: _Axes, select: str, selected: str | None, tooltip: list[alt.Tooltip]
) -> alt.Chart:
    """A click anywhere on a box or its data box selects its step (a point selection named
    `select` on `activity`, for st.altair_chart(on_select=...)): an invisible layer on top
    of the names and figures, which would otherwise take the click; the step chosen to
    begin with (`selected`) is outlined."""
    pick = alt.selection_point(
        name=select,
        fields=["activity"],
        on="click",
        toggle=False,
        clear=False,
        value=[{"activity": selected}] if selected is not None else alt.Undefined,
    )
    outlined = {"param": select, "empty": False}
    return (
        base.mark_rect(fill="white", fillOpacity=0.01, cursor="pointer")
        .encode(
            x=ax.x("x0"),
            x2=alt.X2("x1"),
            y=ax.y("y0"),
            y2=alt.Y2("y_data1"),
            stroke=alt.StrokeValue("transparent", condition=[{**outlined, "value": SELECTED_COLOR}])
            if selected is not None
            else alt.StrokeValue("transparent"),
            strokeWidth=alt.StrokeWidthValue(0, condition=[{**outlined, "value": 4}])
            if selected is not None
            else alt.StrokeWidthValue(0),
            tooltip=tooltip,
        )
        .add_params(pick)
    )


def _column_labels(frame: pl.DataFrame, ax: _Axes) -> alt.Chart:
    heads = (
        frame.filter(pl.col("branch") == 1, pl.col("branches") > 1)
        .with_columns(
            label=pl.col("column_kind").replace_strict(
                COLUMN_WORDS, default="one or more of these"
            ),
            y_label=pl.lit(HEAD - 10),
        )
        .select("x_mid", "y_label", "label")
    )
    return (
        alt.Chart(heads)
        .mark_text(fontSize=11, fontStyle="italic", color="#444")
        .encode(x=ax.x("x_mid"), y=ax.y("y_label"), text=alt.Text("label:N"))
    )


def _bottleneck(frame: pl.DataFrame, ax: _Axes) -> list[alt.Chart]:
    neck = frame.filter(pl.col("is_bottleneck")).with_columns(
        y_label=pl.col("y0") - 8, y_ring0=pl.col("y0") - 2, y_ring1=pl.col("y1") + 2
    )
    base = alt.Chart(neck)
    ring = base.mark_rect(fillOpacity=0, stroke=NECK, strokeWidth=3.5).encode(
        x=ax.x("x0"), x2=alt.X2("x1"), y=ax.y("y_ring0"), y2=alt.Y2("y_ring1")
    )
    label = base.mark_text(color=NECK, fontWeight="bold", fontSize=11).encode(
        x=ax.x("x_mid"), y=ax.y("y_label"), text=alt.TextValue("BOTTLENECK")
    )
    return [ring, label]


def _waits(frame: pl.DataFrame, ax: _Axes) -> list[alt.Chart]:
    waits = frame.filter(pl.col("has_wait")).with_columns(
        y_tri=pl.col("y_mid") - 6, y_text=pl.col("y_mid") + 18
    )
    base = alt.Chart(waits)
    tooltip = [
        alt.Tooltip("activity:N", title="Wait before"),
        alt.Tooltip("wait:N", title="Median wait"),
        alt.Tooltip("wait_before_s_n:Q", title="Waits", format=","),
        alt.Tooltip("queue_text:N", title="Waiting status"),
    ]
    tri = base.mark_point(
        shape="triangle-up",
        size=420,
        filled=True,
        color=WAIT_COLOR,
        stroke=WAIT_TEXT,
        strokeWidth=1,
    ).encode(x=ax.x("x_tri"), y=ax.y("y_tri"), tooltip=tooltip)
    letter = base.mark_text(fontWeight="bold", fontSize=10, dy=3).encode(
        x=ax.x("x_tri"), y=ax.y("y_tri"), text=alt.TextValue("I")
    )
    text = base.mark_text(fontSize=11, fontWeight="bold", color=WAIT_TEXT).encode(
        x=ax.x("x_tri"), y=ax.y("y_text"), text=alt.Text("wait:N"), tooltip=tooltip
    )
    return [tri, letter, text]


def _ladder(totals: dict[str, Any], top: float, ax: _Axes) -> list[alt.Chart]:
    """Waits up, process times down, left to right along the path; flat under the
    columns the path skips."""
    up, down = top + 28, top + 58
    points: list[dict[str, float]] = []
    ups: list[dict[str, Any]] = []
    downs: list[dict[str, Any]] = []
    for seg in totals["segments"]:
        x_gap = (seg["column"] - 1) * SLOT
        x0, x1 = x_gap + GAP, x_gap + GAP + BOX_W
        if seg["wait_s"] is not None:
            points.append({"x": x_gap, "y": up})
            ups.append({"x": x_gap + GAP / 2, "y": up - 9, "text": duration_text(seg["wait_s"])})
        points += [
            {"x": x0, "y": up},
            {"x": x0, "y": down},
            {"x": x1, "y": down},
            {"x": x1, "y": up},
        ]
        ct = duration_text(seg["process_s"]) if seg["process_s"] is not None else "?"
        downs.append({"x": (x0 + x1) / 2, "y": down + 12, "text": ct})
    if not points:
        return [alt.Chart(pl.DataFrame({"x": [0.0], "y": [up]})).mark_point(opacity=0)]
    path = pl.DataFrame(points).with_row_index("order")
    line = (
        alt.Chart(path)
        .mark_line(color="#333", strokeWidth=2, interpolate="linear")
        .encode(x=ax.x("x"), y=ax.y("y"), order=alt.Order("order:Q"))
    )
    layers = [line]
    if ups:
        layers.append(
            alt.Chart(pl.DataFrame(ups))
            .mark_text(fontSize=11, color=WAIT_TEXT, fontWeight="bold")
            .encode(x=ax.x("x"), y=ax.y("y"), text=alt.Text("text:N"))
        )
    layers.append(
        alt.Chart(pl.DataFrame(downs))
        .mark_text(fontSize=11, color=WORK_TEXT, fontWeight="bold")
        .encode(x=ax.x("x"), y=ax.y("y"), text=alt.Text("text:N"))
    )
    return layers


def ladder_figures(totals: dict[str, Any], like: float | None = None) -> dict[str, str]:
    """The ladder's totals as words: `lead`, `wait`, `process`, `efficiency_label` ('PCE'
    or 'Flow efficiency') and `efficiency`; '?' where no process time is known at all.
    The three durations read in one unit, that of `like` (default: the lead time)."""
    unit_of = totals["lead_s"] if like is None else like
    pce = totals["pce"]
    unknown = not totals["process_known"] and not totals["process_s"]
    if unknown:
        efficiency = "?"
    else:
        ratio = pce if pce is not None else (totals["flow_efficiency"] or 0.0)
        efficiency = f"{ratio * 100:.0f}%"
    return {
        "lead": duration_text(totals["lead_s"], unit_of) + (" + ?" if unknown else ""),
        "wait": duration_text(totals["wait_s"], unit_of),
        "process": "?" if unknown else duration_text(totals["process_s"], unit_of),
        "efficiency_label": "PCE" if pce is not None and not unknown else "Flow efficiency",
        "efficiency": efficiency,
    }


def totals_lines(totals: dict[str, Any]) -> list[str]:
    """The ladder's totals as the map writes them at the end of the ladder."""
    words = ladder_figures(totals)
    return [
        f"Lead time {words['lead']}",
        f"  waiting {words['wait']}",
        f"  process {words['process']}",
        f"{words['efficiency_label']} {words['efficiency']}",
    ]


def _totals(totals: dict[str, Any], x: float, top: float, ax: _Axes) -> alt.Chart:
    label = pl.DataFrame({"x": [x], "y": [top + 24], "text": ["\n".join(totals_lines(totals))]})
    return (
        alt.Chart(label)
        .mark_text(
            align="left",
            baseline="top",
            fontSize=12,
            fontWeight="bold",
            lineBreak="\n",
            lineHeight=16,
        )
        .encode(x=ax.x("x"), y=ax.y("y"), text=alt.Text("text:N"))
    )


def _most(vsm: pl.DataFrame, field: str) -> int:
    return max((int(v) for v in vsm[field].to_list()), default=0)


def map_size(vsm: pl.DataFrame) -> tuple[int, int]:
    """The map's width and height in pixels."""
    rows = max(_most(vsm, "branch"), 1)
    return int(_most(vsm, "column") * SLOT + TOTALS_W), int(HEAD + rows * ROW + LADDER_H)


def value_stream_map_chart(
    vsm: pl.DataFrame,
    totals: dict[str, Any],
    title: str = "",
    *,
    select: str | None = SELECTION,
    selected: str | None = None,
) -> AnyChart:
    """The whole map; `vsm` from metrics.vsm.value_stream (its boxes), `totals` from
    metrics.vsm.ladder.

    A click on a box selects its step: a point selection named `select` on `activity`
    (None: no selection, a still picture); `selected` is outlined to begin with."""
    frame = _frame(vsm)
    width, height = map_size(vsm)
    ax = _Axes(width, height)
    columns = _most(vsm, "column")
    ladder_top = height - LADDER_H
    neck = _bottleneck(frame, ax) if frame["is_bottleneck"].any() else []
    layers: list[Any] = [
        _column_labels(frame, ax),
        *neck,
        *_boxes(frame, ax, select, selected),
        *_waits(frame, ax),
        *_ladder(totals, ladder_top, ax),
        _totals(totals, columns * SLOT + 8, ladder_top, ax),
    ]
    # Everything in one constructor, one level of layers: each nested layer, and each
    # chained method (resolve_scale, properties, configure_*), copies and validates the
    # layers under it again.
    return alt.LayerChart(
        layer=layers,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
        width=width,
        height=height,
        title=alt.Title(title, anchor="start", fontSize=15) if title else "",
        config=alt.Config(view=alt.ViewConfig(stroke=None), axis=alt.AxisConfig(grid=False)),
    )
