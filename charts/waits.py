"""Waits charts: per-step wait distributions, their ECDF, a weekday × hour heatmap, a case timeline.

Each function takes a frame of metrics.waits and returns one chart. Durations
are drawn in one unit per chart (minutes, hours or days, `unit_for`), and on a
log scale waits shorter than a minute are drawn at one minute, since a log
axis has no zero.
"""

from __future__ import annotations

from datetime import datetime

import altair as alt
import polars as pl

from charts.style import VALUE_CLASS_COLORS, AnyChart
from metrics.stats import duration_text
from model.units import DAY, UNITS

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WAIT_COLOR = "#f9a825"
BOTTLENECK_COLOR = "#d32f2f"
MARKERS = {"median (p50)": "#212121", "p85": "#ef6c00", "p95": "#c62828"}
STEP_PALETTE = (
    "#4e79a7",
    "#a0cbe8",
    "#f28e2b",
    "#ffbe7d",
    "#59a14f",
    "#8cd17d",
    "#b6992d",
    "#f1ce63",
    "#499894",
    "#86bcb6",
    "#79706e",
    "#bab0ac",
    "#d37295",
    "#fabfd2",
    "#b07aa1",
    "#d4a6c8",
    "#9d7660",
    "#d7b5a6",
)
"""Tableau's 20 colours without its two reds: red is the bottleneck's alone, in the
legend as on the line, so no other step reads as the bottleneck."""
FLOOR_MINUTES = 1.0


def _in_unit(column: str, unit: str, log: bool) -> pl.Expr:
    value = pl.col(column) / UNITS[unit]
    if log:
        value = value.clip(lower_bound=FLOOR_MINUTES * 60 / UNITS[unit])
    return value


def _scale(log: bool, upper: float | None = None) -> alt.Scale:
    if log:
        return alt.Scale(type="log")
    if upper is not None:
        return alt.Scale(domain=[0, upper], nice=False)
    return alt.Scale(zero=True)


FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
"""Fill the page's width but keep the height asked for (Streamlit's default 'fit'
squeezes the plot to make room for legends)."""


def step_wait_boxes_chart(
    step_waits: pl.DataFrame, unit: str = "days", log: bool = False
) -> AnyChart:
    """One row per step: box p25–p75, whisker p5–p95, markers at p50, p85, p95 (metrics.waits.step_waits)."""
    order = step_waits["activity"].to_list()
    frame = step_waits.with_columns(
        *[
            _in_unit(f"wait_s_{p}", unit, log).alias(p)
            for p in ("p5", "p25", "p50", "p75", "p85", "p95")
        ],
        part=pl.when(pl.col("is_bottleneck")).then(pl.lit("bottleneck")).otherwise(pl.lit("step")),
    )
    y = alt.Y("activity:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    tooltip = [
        alt.Tooltip("activity:N", title="Wait before"),
        alt.Tooltip("waits:Q", title="Waits (instances)", format=","),
        alt.Tooltip("p50:Q", title=f"Median ({unit})", format=".1f"),
        alt.Tooltip("p85:Q", title=f"p85 ({unit})", format=".1f"),
        alt.Tooltip("p95:Q", title=f"p95 ({unit})", format=".1f"),
        alt.Tooltip("wait_share:Q", title="Share of all waiting", format=".0%"),
    ]
    x_title = f"Wait before the step ({unit}{', log scale' if log else ''})"
    base = alt.Chart(frame)
    whisker = base.mark_rule(color="#9e9e9e", strokeWidth=1.5).encode(
        x=alt.X("p5:Q", title=x_title, scale=_scale(log)), x2=alt.X2("p95"), y=y, tooltip=tooltip
    )
    box = base.mark_bar(size=14, cornerRadius=2, opacity=0.55).encode(
        x=alt.X("p25:Q", scale=_scale(log)),
        x2=alt.X2("p75"),
        y=y,
        color=alt.Color(
            "part:N",
            scale=alt.Scale(domain=["step", "bottleneck"], range=["#90caf9", BOTTLENECK_COLOR]),
            legend=alt.Legend(title="Box: middle half of the waits", orient="top"),
        ),
        tooltip=tooltip,
    )
    markers = frame.unpivot(
        index=["activity", "waits", "wait_share"],
        on=["p50", "p85", "p95"],
        variable_name="marker",
        value_name="value",
    ).with_columns(
        pl.col("marker").replace({"p50": "median (p50)"}),
    )
    marks = (
        alt.Chart(markers)
        .mark_tick(thickness=3, size=20)
        .encode(
            x=alt.X("value:Q", scale=_scale(log)),
            y=y,
            color=alt.Color(
                "marker:N",
                scale=alt.Scale(domain=list(MARKERS), range=list(MARKERS.values())),
                legend=alt.Legend(title="Marks", orient="top"),
            ),
            tooltip=[
                alt.Tooltip("activity:N", title="Wait before"),
                alt.Tooltip("marker:N", title="Percentile"),
                alt.Tooltip("value:Q", title=unit.capitalize(), format=".1f"),
                alt.Tooltip("waits:Q", title="Waits (instances)", format=","),
            ],
        )
    )
    return (
        alt.layer(whisker, box, marks)
        .resolve_scale(color="independent")
        .properties(height=max(120, 30 * len(order)), autosize=FIT_WIDTH)
    )


def wait_ecdf_chart(
    ecdf: pl.DataFrame,
    unit: str = "days",
    log: bool = False,
    highlight: str | None = None,
    order: list[str] | None = None,
) -> AnyChart:
    """Share of waits at most x, one line per step (metrics.waits.wait_ecdf).

    `highlight` (the bottleneck) is drawn thick and red on top; `order` orders
    the legend (the steps' flow order). On a linear scale the axis ends at the
    longest p95 of the steps, so a few extreme waits do not squash every line
    against the left edge.
    """
    p95 = ecdf.filter(pl.col("share") >= 0.95).group_by("activity").agg(pl.col("wait_s").min())
    upper = None if log or p95.height == 0 else float(p95["wait_s"].max()) / UNITS[unit]  # type: ignore[arg-type]
    frame = ecdf.with_columns(
        _in_unit("wait_s", unit, log).alias("wait"),
        pl.format("{} ({} waits)", pl.col("activity"), pl.col("waits")).alias("step"),
    )
    names = dict(frame.select("activity", "step").unique().iter_rows())
    steps = [a for a in (order or sorted(names)) if a in names]
    domain = [names[a] for a in steps]
    others = iter(STEP_PALETTE * (len(steps) // len(STEP_PALETTE) + 1))
    colors = [BOTTLENECK_COLOR if a == highlight else next(others) for a in steps]
    x = alt.X(
        "wait:Q",
        title=f"Wait before the step ({unit}{', log scale' if log else ''})",
        scale=_scale(log, upper),
    )
    y = alt.Y("share:Q", title="Share of the waits at most this long", axis=alt.Axis(format="%"))
    tooltip = [
        alt.Tooltip("activity:N", title="Step"),
        alt.Tooltip("share:Q", title="Share of waits", format=".0%"),
        alt.Tooltip("wait:Q", title=f"…at most ({unit})", format=".1f"),
        alt.Tooltip("waits:Q", title="Waits (instances)", format=","),
    ]
    pick = alt.selection_point(fields=["step"], bind="legend")
    lines = (
        alt.Chart(frame)
        .mark_line(interpolate="step-after", clip=True, strokeWidth=1.6)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "step:N",
                title="Step (click to pick)",
                scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(orient="right", labelLimit=260, offset=36),
            ),
            opacity=alt.OpacityValue(0.12, condition={"param": pick.name, "value": 1.0}),
            tooltip=tooltip,
        )
        .add_params(pick)
    )
    bold = (
        alt.Chart(frame.filter(pl.col("activity") == (highlight or "")))
        .mark_line(interpolate="step-after", clip=True, strokeWidth=4, color=BOTTLENECK_COLOR)
        .encode(x=x, y=y, tooltip=tooltip)
    )
    guides = pl.DataFrame({"share": [0.5, 0.85, 0.95], "label": ["p50", "p85", "p95"]})
    rules = (
        alt.Chart(guides).mark_rule(strokeDash=[4, 4], color="#9e9e9e").encode(y=alt.Y("share:Q"))
    )
    # Beyond the plot's right edge, where no line runs: at the left edge every step's line
    # rises through 50-95% and would be written over.
    labels = (
        alt.Chart(guides)
        .mark_text(align="left", baseline="middle", dx=4, color="#757575")
        .encode(y=alt.Y("share:Q"), x=alt.XValue("width"), text=alt.Text("label:N"))
    )
    return alt.layer(rules, labels, lines, bold).properties(height=340, autosize=FIT_WIDTH)


def wait_heatmap_chart(by_hour: pl.DataFrame, unit: str = "days", min_waits: int = 5) -> AnyChart:
    """Median wait by weekday and hour the waiting step started (metrics.waits.waits_by_weekday_hour).

    Cells with fewer than `min_waits` waits are drawn faint: their median says little.
    """
    frame = by_hour.with_columns(
        pl.col("weekday")
        .cast(pl.Int64)
        .map_elements(lambda d: WEEKDAYS[d - 1], return_dtype=pl.String)
        .alias("day"),
        (pl.col("wait_s_p50") / UNITS[unit]).alias("median"),
        (pl.col("wait_s_sum") / UNITS[unit]).alias("total"),
        (pl.col("waits") >= min_waits).alias("enough"),
    )
    return (
        alt.Chart(frame)
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X(
                "hour:O",
                title="Hour the step started (UTC)",
                scale=alt.Scale(domain=list(range(24))),
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("day:N", title=None, sort=WEEKDAYS, scale=alt.Scale(domain=WEEKDAYS)),
            color=alt.Color(
                "median:Q",
                title=f"Median wait ({unit})",
                scale=alt.Scale(scheme="orangered"),
                legend=alt.Legend(orient="top", gradientLength=220),
            ),
            opacity=alt.OpacityValue(0.3, condition={"test": "datum.enough", "value": 1.0}),
            tooltip=[
                alt.Tooltip("day:N", title="Weekday"),
                alt.Tooltip("hour:O", title="Hour (UTC)"),
                alt.Tooltip("waits:Q", title="Steps started", format=","),
                alt.Tooltip("median:Q", title=f"Median wait before them ({unit})", format=".1f"),
                alt.Tooltip("total:Q", title=f"Total wait before them ({unit})", format=",.0f"),
            ],
        )
        .properties(height=230, autosize=FIT_WIDTH)
    )


WAITING_STATUS_COLOR = "#ffcc80"
OPEN_WAIT_COLOR = "#ffe082"
OPEN_WORK_COLOR = "#90caf9"
MAX_INSTANCE_ROWS = 40
"""More instances than this and the timeline draws one row per step, not per instance."""


LABEL_CHAR_PX = 6
"""An axis label's average character width (Vega's 10 px font) with a margin."""
MAX_LABEL_PX = 480
"""The widest a row name may be: at a 1440 px window it leaves the bars half the chart."""


def _label_limit(labels: list[str]) -> int:
    """Room for the longest row name in full (a step such as "now: waiting after T06
    Determine necessity of stop advice"), up to MAX_LABEL_PX."""
    longest = max((len(label) for label in labels), default=0)
    return min(max(260, LABEL_CHAR_PX * longest), MAX_LABEL_PX)


def case_timeline_chart(
    timeline: pl.DataFrame,
    title: str = "",
    open_period: pl.DataFrame | None = None,
    now: datetime | None = None,
) -> AnyChart:
    """A Gantt of one case (metrics.waits.case_timeline): its steps coloured by value
    class, the waits in front of them, and waiting statuses in a paler amber (their time
    is also the wait before the next work step, drawn on that step's row).

    `open_period` (columns `label`, `activity`, `from`, `to`, `waiting`) is the open
    case's current stretch, up to now: the status it is in, or the wait after its latest
    step; `now` draws a rule at that instant. A case of more than MAX_INSTANCE_ROWS
    instances gets one row per step (its repeats side by side) so the chart stays
    readable.
    """
    per_step = timeline.height > MAX_INSTANCE_ROWS
    row = "activity" if per_step else "label"
    waits = timeline.filter(pl.col("wait_before_s") > 0).select(
        pl.col(row).alias("row"),
        "activity",
        pl.col("wait_from").alias("from"),
        pl.col("start").alias("to"),
        pl.lit("waiting").alias("part"),
    )
    work = timeline.select(
        pl.col(row).alias("row"),
        "activity",
        pl.col("start").alias("from"),
        pl.col("end").alias("to"),
        pl.when(pl.col("kind") == "waiting")
        .then(pl.lit("waiting status"))
        .otherwise(pl.col("value_class").fill_null("unclassified"))
        .alias("part"),
    )
    parts = [waits, work]
    order = timeline[row].unique(maintain_order=True).to_list()
    if open_period is not None and open_period.height:
        parts.append(
            open_period.select(
                pl.col("label").alias("row"),
                "activity",
                pl.col("from").cast(waits.schema["from"]),
                pl.col("to").cast(waits.schema["from"]),
                pl.when(pl.col("waiting"))
                .then(pl.lit("still waiting"))
                .otherwise(pl.lit("under way"))
                .alias("part"),
            )
        )
        order += open_period["label"].to_list()
    bars = pl.concat(parts).with_columns(
        seconds=(pl.col("to") - pl.col("from")).dt.total_seconds(fractional=True)
    )
    bars = bars.with_columns(
        duration=pl.Series([duration_text(s) for s in bars["seconds"]], dtype=pl.String)
    )
    palette = {
        "waiting": WAIT_COLOR,
        "waiting status": WAITING_STATUS_COLOR,
        **VALUE_CLASS_COLORS,
        "still waiting": OPEN_WAIT_COLOR,
        "under way": OPEN_WORK_COLOR,
    }
    # The legend names only what this case has.
    present = set(bars["part"].to_list())
    domain = [part for part in palette if part in present]
    colors = [palette[part] for part in domain]
    y = alt.Y("row:N", title=None, sort=order, axis=alt.Axis(labelLimit=_label_limit(order)))
    # One date format along the axis: Vega's default mixes "Wed 05", "Nov 09" and
    # "December" on one axis. Hours show only when the case is shorter than two days.
    span_s = bars.select((pl.col("to").max() - pl.col("from").min()).dt.total_seconds()).item()
    long_case = span_s is not None and span_s >= 2 * DAY
    time_axis = alt.Axis(format="%-d %b" if long_case else "%-d %b %H:%M", labelOverlap=True)
    gantt = (
        alt.Chart(bars)
        .mark_bar(size=16, cornerRadius=2)
        .encode(
            x=alt.X("from:T", title="Time (UTC)", axis=time_axis),
            x2=alt.X2("to"),
            y=y,
            color=alt.Color(
                "part:N",
                title="Time spent",
                scale=alt.Scale(domain=domain, range=colors),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("activity:N", title="Step"),
                alt.Tooltip("part:N", title="What"),
                alt.Tooltip("from:T", title="From", format="%a %-d %b %Y %H:%M"),
                alt.Tooltip("to:T", title="To", format="%a %-d %b %Y %H:%M"),
                alt.Tooltip("duration:N", title="How long"),
            ],
        )
    )
    ends = (
        alt.Chart(
            timeline.filter(
                ~pl.col("start_known") | (pl.col("start") == pl.col("end"))
            ).with_columns(pl.col(row).alias("row"))
        )
        .mark_point(shape="diamond", filled=True, size=70, color="#424242")
        .encode(
            x=alt.X("end:T"),
            y=y,
            tooltip=[
                alt.Tooltip("activity:N", title="Step (no start time or no duration)"),
                alt.Tooltip("end:T", title="Ended", format="%a %-d %b %Y %H:%M"),
            ],
        )
    )
    layers: list[AnyChart] = [gantt, ends]
    if now is not None:
        moment = pl.DataFrame({"now": [now], "label": ["now"]})
        layers.append(
            alt.Chart(moment)
            .mark_rule(color="#424242", strokeDash=[4, 3])
            .encode(x=alt.X("now:T"), tooltip=[alt.Tooltip("now:T", format="%-d %b %Y %H:%M")])
        )
    return alt.layer(*layers).properties(
        height=max(140, 24 * len(order)),
        autosize=FIT_WIDTH,
        title=alt.Title(title, anchor="start") if title else "",
    )
