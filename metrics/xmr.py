"""Process behaviour chart (XmR, individuals and moving range): limits and signals.

Definitions implemented (../shared/METRICS.md, "Statistics"):

- Points are values in their order (lead times in completion order); the
  moving range of a point is |value − previous value|.
- Limits come from the baseline points only: centre = their mean, average
  moving range = the mean of the moving ranges between consecutive baseline
  points, natural process limits = centre ± 2.66 × average moving range.
  They are then drawn across every point, so later points are judged against
  how the process behaved before.
- Signals (Wheeler's first two detection rules): a point beyond a limit, and
  eight or more consecutive points on the same side of the centre line (a
  point exactly on the line breaks a run). Every point of such a run is a
  signal, so the chart highlights the whole run.

The lower limit can be negative for skewed durations; it is kept as computed
(the chart clips it to 0) so the figures agree with any textbook calculation.
"""

from __future__ import annotations

import polars as pl

from metrics.stats import conform

XMR_SCALING = 2.66
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
    "beyond_limits": pl.Boolean(),
    "in_run": pl.Boolean(),
    "signal": pl.Boolean(),
}
"""One row per point, in order (`seq` from 1), with the limits repeated on every row.

`in_run` marks points of a run of RUN_LENGTH or more on one side of the centre;
`signal` = beyond_limits or in_run. Limits are null with fewer than two baseline
points (no moving range to average)."""


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
            _side=side,
            _run=run_id,
        )
        .with_columns(
            beyond_limits=((x > pl.col("upper_limit")) | (x < pl.col("lower_limit"))).fill_null(
                False
            ),
            in_run=((pl.col("_side") != 0) & (pl.len().over("_run") >= RUN_LENGTH)).fill_null(
                False
            ),
        )
        .with_columns(signal=pl.col("beyond_limits") | pl.col("in_run"))
    )
    return conform(frame, XMR_SCHEMA)
