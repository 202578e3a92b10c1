"""The value stream map as one Altair chart: boxes, data boxes, wait triangles, timeline ladder.

Coordinates are in "slots": step i owns x ∈ [i·SLOT, (i+1)·SLOT); its wait triangle
sits in the first GAP of the slot and its process box fills the rest. The y axis
runs 0 (bottom) to 100 (top): the ladder at the bottom, data boxes in the middle,
process boxes on top. Layers are built one function each and composed once.
"""

from __future__ import annotations

import textwrap
from typing import Any

import altair as alt
import polars as pl

from charts.style import VALUE_CLASS_COLORS, AnyChart
from metrics.stats import duration_text

SLOT = 10.0
GAP = 3.4
PX_PER_SLOT = 132
TOTALS_SLOTS = 1.8  # room right of the last box for the ladder's totals
MIN_SLOTS = 7.0  # a short map keeps readable boxes instead of shrinking
BOX_TOP, BOX_BOTTOM = 92.0, 72.0
DATA_TOP, DATA_BOTTOM = 68.0, 44.0
LADDER_UP, LADDER_DOWN = 26.0, 12.0


def _frame(vsm: pl.DataFrame) -> pl.DataFrame:
    """Geometry and labels of every box, from metrics.vsm.vsm_steps."""
    n = vsm.height
    return (
        vsm.with_columns(
            i=pl.int_range(n, dtype=pl.Int64),
        )
        .with_columns(
            x_gap=pl.col("i") * SLOT,
            x0=pl.col("i") * SLOT + GAP,
            x1=(pl.col("i") + 1) * SLOT,
            x_tri=pl.col("i") * SLOT + GAP / 2,
            x_mid=pl.col("i") * SLOT + GAP + (SLOT - GAP) / 2,
            name=pl.col("activity").map_elements(
                lambda a: "\n".join(textwrap.wrap(a, 16)[:3]), return_dtype=pl.String
            ),
            # Without start times (and no standard minutes) a step's C/T is unknown, not zero.
            ct=pl.col("process_time_s_p50")
            .map_elements(duration_text, return_dtype=pl.String)
            .fill_null("?"),
            wait=pl.col("wait_before_s_p50").map_elements(duration_text, return_dtype=pl.String),
            value_class=pl.col("value_class").fill_null("unclassified"),
        )
        .with_columns(
            data=pl.format(
                "C/T {}\ninstances {}\n%C&A {}%",
                pl.col("ct"),
                pl.col("instances"),
                (pl.col("pct_c_and_a") * 100).round(0).cast(pl.Int64),
            ),
            has_wait=pl.col("wait_before_s_p50").is_not_null(),
        )
    )


_XS = alt.Scale(nice=False, zero=False)
_YS = alt.Scale(domain=[0, 100], nice=False)


def _x() -> alt.X:
    return alt.X("x0:Q", axis=None, scale=_XS)


def _y(value: float) -> alt.YDatum:
    return alt.YDatum(value, axis=None, scale=_YS)


def _class_color() -> alt.Color:
    return alt.Color(
        "value_class:N",
        title="Value class",
        scale=alt.Scale(domain=list(VALUE_CLASS_COLORS), range=list(VALUE_CLASS_COLORS.values())),
        legend=alt.Legend(orient="top", direction="horizontal", symbolOpacity=0.6),
    )


def _boxes(frame: pl.DataFrame) -> AnyChart:
    base = alt.Chart(frame)
    tooltip = [
        alt.Tooltip("activity:N", title="Step"),
        alt.Tooltip("value_class:N", title="Value class"),
        alt.Tooltip("ct:N", title="Median process time (C/T)"),
        alt.Tooltip("process_time_s_n:Q", title="…based on instances", format=","),
        alt.Tooltip("wait:N", title="Median wait before"),
        alt.Tooltip("wait_before_s_n:Q", title="…based on instances", format=","),
        alt.Tooltip("instances:Q", title="Instances", format=","),
        alt.Tooltip("cases:Q", title="Cases", format=","),
        alt.Tooltip("case_share:Q", title="Share of cases", format=".0%"),
        alt.Tooltip("pct_c_and_a:Q", title="%C&A (done right first time)", format=".0%"),
    ]
    box = base.mark_rect(opacity=0.22, stroke="black", strokeWidth=1).encode(
        x=_x(),
        x2="x1:Q",
        y=_y(BOX_BOTTOM),
        y2=alt.Y2Datum(BOX_TOP),
        color=_class_color(),
        tooltip=tooltip,
    )
    name = base.mark_text(fontWeight="bold", fontSize=12, lineBreak="\n").encode(
        x=alt.X("x_mid:Q", axis=None, scale=_XS),
        y=_y((BOX_TOP + BOX_BOTTOM) / 2),
        text="name:N",
        tooltip=tooltip,
    )
    data = base.mark_rect(fill="white", stroke="#555", strokeWidth=0.8).encode(
        x=_x(),
        x2="x1:Q",
        y=_y(DATA_BOTTOM),
        y2=alt.Y2Datum(DATA_TOP),
        tooltip=tooltip,
    )
    data_text = base.mark_text(fontSize=11, lineBreak="\n", align="left", dx=6).encode(
        x=alt.X("x0:Q", axis=None, scale=_XS),
        y=_y((DATA_TOP + DATA_BOTTOM) / 2),
        text="data:N",
        tooltip=tooltip,
    )
    return alt.layer(box, name, data, data_text)


def _bottleneck(frame: pl.DataFrame) -> AnyChart:
    neck = frame.filter(pl.col("is_bottleneck"))
    base = alt.Chart(neck)
    ring = base.mark_rect(fillOpacity=0, stroke="#d32f2f", strokeWidth=4).encode(
        x=_x(),
        x2="x1:Q",
        y=_y(BOX_BOTTOM - 0.5),
        y2=alt.Y2Datum(BOX_TOP + 0.5),
    )
    label = base.mark_text(color="#d32f2f", fontWeight="bold", fontSize=12).encode(
        x=alt.X("x_mid:Q", axis=None, scale=_XS),
        y=_y(BOX_TOP + 4),
        text=alt.value("BOTTLENECK"),
    )
    return alt.layer(ring, label)


def _waits(frame: pl.DataFrame) -> AnyChart:
    waits = frame.filter(pl.col("has_wait"))
    base = alt.Chart(waits)
    tooltip = [
        alt.Tooltip("activity:N", title="Wait before"),
        alt.Tooltip("wait:N", title="Median wait"),
        alt.Tooltip("wait_before_s_n:Q", title="Instances", format=","),
    ]
    tri = base.mark_point(
        shape="triangle-up", size=520, filled=True, color="#f9a825", stroke="#6d4c00", strokeWidth=1
    ).encode(
        x=alt.X("x_tri:Q", axis=None, scale=_XS),
        y=_y((BOX_TOP + BOX_BOTTOM) / 2 + 1),
        tooltip=tooltip,
    )
    letter = base.mark_text(fontWeight="bold", fontSize=11, dy=4).encode(
        x=alt.X("x_tri:Q", axis=None, scale=_XS),
        y=_y((BOX_TOP + BOX_BOTTOM) / 2 + 1),
        text=alt.value("I"),
    )
    text = base.mark_text(fontSize=11, fontWeight="bold", color="#6d4c00").encode(
        x=alt.X("x_tri:Q", axis=None, scale=_XS),
        y=_y(BOX_BOTTOM - 3),
        text="wait:N",
        tooltip=tooltip,
    )
    return alt.layer(tri, letter, text)


def _ladder(frame: pl.DataFrame) -> AnyChart:
    """Waits up, process times down, left to right, one path."""
    points: list[dict[str, Any]] = []
    for row in frame.iter_rows(named=True):
        if row["has_wait"]:
            points.append({"x": row["x_gap"], "y": LADDER_UP})
        points += [
            {"x": row["x0"], "y": LADDER_UP},
            {"x": row["x0"], "y": LADDER_DOWN},
            {"x": row["x1"], "y": LADDER_DOWN},
            {"x": row["x1"], "y": LADDER_UP},
        ]
    path = pl.DataFrame(points).with_row_index("order")
    line = (
        alt.Chart(path)
        .mark_line(color="#333", strokeWidth=2, interpolate="linear")
        .encode(
            x=alt.X("x:Q", axis=None, scale=_XS),
            y=alt.Y("y:Q", axis=None, scale=_YS),
            order="order:Q",
        )
    )
    base = alt.Chart(frame)
    up = (
        alt.Chart(frame.filter(pl.col("has_wait")))
        .mark_text(fontSize=11, color="#6d4c00", fontWeight="bold")
        .encode(
            x=alt.X("x_tri:Q", axis=None, scale=_XS),
            y=_y(LADDER_UP + 5),
            text="wait:N",
        )
    )
    down = base.mark_text(fontSize=11, color="#1b5e20", fontWeight="bold").encode(
        x=alt.X("x_mid:Q", axis=None, scale=_XS),
        y=_y(LADDER_DOWN - 5),
        text="ct:N",
    )
    return alt.layer(line, up, down)


def _totals(frame: pl.DataFrame, totals: dict[str, Any]) -> alt.Chart:
    x = frame.height * SLOT + 0.6
    pce = totals["pce"]
    efficiency = (
        f"PCE {pce * 100:.0f}%"
        if pce is not None
        else f"Flow efficiency {(totals['flow_efficiency'] or 0) * 100:.0f}%"
    )
    lines = [
        f"Lead time {duration_text(totals['lead_s'])}",
        f"  waiting {duration_text(totals['wait_s'])}",
        f"  process {duration_text(totals['process_s'])}",
        efficiency,
    ]
    label = pl.DataFrame({"x": [x], "text": ["\n".join(lines)]})
    return (
        alt.Chart(label)
        .mark_text(align="left", fontSize=12, fontWeight="bold", lineBreak="\n", lineHeight=16)
        .encode(
            x=alt.X("x:Q", axis=None, scale=_XS), y=_y((LADDER_UP + LADDER_DOWN) / 2), text="text:N"
        )
    )


SELECTED_COLOR = "#1565c0"


def _pick(frame: pl.DataFrame, select: str, selected: str | None) -> alt.Chart:
    """An invisible layer over each box and its data box that a click selects (the point
    selection `select`, on the step's name), outlining the selected one."""
    pick = alt.selection_point(
        name=select,
        fields=["activity"],
        on="click",
        toggle=False,
        clear=False,
        value=[{"activity": selected}] if selected is not None else alt.Undefined,
    )
    return (
        alt.Chart(frame)
        .mark_rect(fill="white", fillOpacity=0.01, cursor="pointer")
        .encode(
            x=_x(),
            x2="x1:Q",
            y=_y(DATA_BOTTOM),
            y2=alt.Y2Datum(BOX_TOP),
            stroke=alt.when(pick, empty=False)
            .then(alt.value(SELECTED_COLOR))
            .otherwise(alt.value("transparent")),
            strokeWidth=alt.when(pick, empty=False).then(alt.value(4)).otherwise(alt.value(0)),
            tooltip=[
                alt.Tooltip("activity:N", title="Click to change"),
                alt.Tooltip("ct:N", title="Median process time (C/T)"),
                alt.Tooltip("wait:N", title="Median wait before"),
                alt.Tooltip("cases:Q", title="Cases", format=","),
            ],
        )
        .add_params(pick)
    )


def value_stream_map_chart(
    vsm: pl.DataFrame,
    totals: dict[str, Any],
    title: str = "",
    *,
    select: str | None = None,
    selected: str | None = None,
) -> AnyChart:
    """The whole map; `vsm` from metrics.vsm.vsm_steps, `totals` from metrics.vsm.ladder.

    With `select`, a click on a box selects its step (a point selection of that name on
    `activity`, for `st.altair_chart(on_select=...)`); `selected` is outlined to begin with.
    """
    frame = _frame(vsm)
    # An invisible frame fixes the x domain to the slots, so short maps keep their proportions.
    slots = max(frame.height + TOTALS_SLOTS, MIN_SLOTS)
    width = int(PX_PER_SLOT * slots)
    extent = (
        alt.Chart(pl.DataFrame({"x": [0.0, slots * SLOT]}))
        .mark_point(opacity=0)
        .encode(x=alt.X("x:Q", axis=None, scale=_XS), y=_y(0))
    )
    layers: list[Any] = [
        extent,
        _boxes(frame),
        _waits(frame),
        _ladder(frame),
        _totals(frame, totals),
    ]
    if frame["is_bottleneck"].any():
        layers.insert(1, _bottleneck(frame))
    if select is not None:
        layers.append(_pick(frame, select, selected))
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(
            width=width,
            height=430,
            title=alt.Title(title, anchor="start", fontSize=15) if title else "",
        )
    )
    return chart.configure_view(stroke=None).configure_axis(grid=False)
