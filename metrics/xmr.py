"""Process behaviour chart (XmR, individuals and moving range): limits and Wheeler's signals.

Definitions implemented (../shared/METRICS.md, "Statistics"):

- Points are values in their order (lead times in completion order); the
  moving range of a point is |value − previous value|.
- Limits come from the baseline points only: centre = their mean, average
  moving range = the mean of the moving ranges between consecutive baseline
  points, natural process limits = centre ± 2.66 × average moving range, and
  the moving range chart's upper range limit = 3.268 × average moving range.
  They are then drawn across every point, so later points are judged against
  how the process behaved before.

Signals are Wheeler's three detection rules (Understanding Variation), and only
those: the more rules a chart applies, the more false alarms it raises.

1. A point beyond a natural process limit (strictly outside).
2. Three of four successive points nearer the same limit than the centre line,
   that is beyond the midpoint between the centre and that limit (a point
   exactly on the midpoint is as near one as the other, and does not count).
   The points of such a window that are beyond the midpoint are the signal.
3. Eight or more successive points on the same side of the centre line (a
   point exactly on the line breaks a run); every point of the run is a signal.

The rules read the points in order whether they are baseline points or not, so
a run or a 3-of-4 window can straddle the end of the baseline. On the moving
range chart, a range above the upper range limit is the first rule's signal.

The lower limit can be negative for skewed durations; it is kept as computed
(the chart clips it to 0) so the figures agree with any textbook calculation.
"""

from __future__ import annotations

import polars as pl

from metrics.stats import conform

XMR_SCALING = 2.66
RANGE_SCALING = 3.268
NEAR_LIMIT_POINTS = 3
NEAR_LIMIT_WINDOW = 4
RUN_LENGTH = 8

XMR_SCHEMA: dict[str, pl.DataType] = {
    "seq": pl.UInt32(),
    "value": pl.Float64(),
    "is_baseline": pl.Boolean(),
    "moving_range": pl.Float64(),
    "centre": pl.Float64(),
    "average_moving_range": pl.Float64(),
    "lower_limit": pl.Float64(),
    "upper_limit": pl.Float64(),
    "range_upper_limit": pl.Float64(),
    "beyond_limits": pl.Boolean(),
    "three_of_four": pl.Boolean(),
    "in_run": pl.Boolean(),
    "signal": pl.Boolean(),
    "range_beyond_limit": pl.Boolean(),
}
"""One row per point, in order (`seq` from 1), with the limits repeated on every row.

`beyond_limits`, `three_of_four` and `in_run` are rules 1, 2 and 3 on the individuals;
`signal` = any of them. `range_beyond_limit` is rule 1 on the moving range (its range
above `range_upper_limit`). Limits are null with fewer than two baseline points (no
moving range to average), and then only rule 3 can fire."""

XMR_RULES: tuple[tuple[str, str], ...] = (
    ("beyond_limits", "Rule 1: beyond a limit"),
    ("three_of_four", "Rule 2: 3 of 4 nearer a limit than the centre"),
    ("in_run", "Rule 3: 8 in a row on one side of the centre"),
)
"""Each rule's column and its name on the page, in rule order."""


def _near_limit(flag: pl.Expr) -> pl.Expr:
    """Points of `flag` inside some window of NEAR_LIMIT_WINDOW successive points of which at
    least NEAR_LIMIT_POINTS are flagged."""
    fired = flag.cast(pl.UInt32).rolling_sum(NEAR_LIMIT_WINDOW) >= NEAR_LIMIT_POINTS
    # A window is marked at its last point; a point belongs to the windows ending at it or
    # at one of the next NEAR_LIMIT_WINDOW - 1 points.
    in_fired_window = pl.any_horizontal(
        fired.shift(-k).fill_null(False) for k in range(NEAR_LIMIT_WINDOW)
    )
    return flag & in_fired_window


def xmr(points: pl.LazyFrame, value: str = "value", baseline: str = "is_baseline") -> pl.LazyFrame:
    """Limits and signals of `points` (XMR_SCHEMA), in the frame's row order.

    `points` holds one row per point in chart order, a numeric `value` column and
    a boolean `baseline` column (the points the limits are computed from). Other
    columns are dropped; join them back on `seq` (the 1-based row number).
    """
    x = pl.col("value")
    is_base = pl.col("is_baseline")
    moving_range = (x - x.shift(1)).abs()
    base_pairs = is_base & is_base.shift(1).fill_null(False)
    centre = x.filter(is_base).mean()
    mr_bar = pl.col("moving_range").filter(base_pairs).mean()
    side = (x - pl.col("centre")).sign()
    run_id = (side != side.shift(1)).fill_null(True).cum_sum()
    half_way = XMR_SCALING / 2 * pl.col("average_moving_range")
    frame = (
        points.select(
            value=pl.col(value).cast(pl.Float64),
            is_baseline=pl.col(baseline).cast(pl.Boolean).fill_null(False),
        )
        .with_columns(seq=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32), moving_range=moving_range)
        .with_columns(
            centre=centre,
            average_moving_range=pl.when(base_pairs.sum() > 0).then(mr_bar),
        )
        .with_columns(
            lower_limit=pl.col("centre") - XMR_SCALING * pl.col("average_moving_range"),
            upper_limit=pl.col("centre") + XMR_SCALING * pl.col("average_moving_range"),
            range_upper_limit=RANGE_SCALING * pl.col("average_moving_range"),
            _above_half=(x > pl.col("centre") + half_way).fill_null(False),
            _below_half=(x < pl.col("centre") - half_way).fill_null(False),
            _side=side,
            _run=run_id,
        )
        .with_columns(
            beyond_limits=((x > pl.col("upper_limit")) | (x < pl.col("lower_limit"))).fill_null(
                False
            ),
            three_of_four=_near_limit(pl.col("_above_half")) | _near_limit(pl.col("_below_half")),
            in_run=((pl.col("_side") != 0) & (pl.len().over("_run") >= RUN_LENGTH)).fill_null(
                False
            ),
            range_beyond_limit=(pl.col("moving_range") > pl.col("range_upper_limit")).fill_null(
                False
            ),
        )
        .with_columns(signal=pl.col("beyond_limits") | pl.col("three_of_four") | pl.col("in_run"))
    )
    return conform(frame, XMR_SCHEMA)
