"""Everything about an activity instance that depends only on its own case.

A case's order, each instance's predecessor, the wait in front of it and its
share of the case's touch time never change when the user filters or regroups,
so they are derived here once per load of the warehouse; every page view is
then a few group-bys over this frame (see `cases`, `steps`, `transitions`).

Definitions implemented (../shared/METRICS.md):

- Order inside a case: (`start`, `end`, order in the source) with an unknown
  start taken as `end`; `event_id` is the order in the source.
- Wait before a step: `max(0, start − the latest end among the work instances
  before it in the case)`, for instances with a predecessor. Waiting-state
  instances (catalog `kind = 'waiting'`) are absent from step metrics, so they
  get no wait of their own and their end does not count as "latest end": their
  time shows up in front of the next work step.
- Transition wait: `max(0, start(b) − end(a))` for consecutive instances; with
  an unknown start this is `end(b) − end(a)`, the elapsed time.
- Rework: the same activity already occurred earlier in the case.
- Process time of an instance: `end − start`; with an unknown start the
  catalog's standard minutes, else unknown (null). Waiting-state instances add
  nothing (0).

Durations are differences of a clock's readings (metrics.working_time): the
elapsed-time clock by default, or a calendar's working clock, which counts only
working hours. The clock is monotone, so the running maxima, clamps and unions
below mean the same on either; the case order is always taken on the real
timestamps.

Cases are numbered in the order of their ids that model.order declares (by their
trailing numbers: `PRJ-9` before `PRJ-10`).

Speed: the main sort is one pass by (offering, case id in that order, start-or-end,
end, event_id) (`model.order.in_case_order`). Where that order is the ids' bytes' (ids
without digits, numbers padded to one width) it sorts on the ids themselves: the whole derivation
of ten million demo events took 5.5-6.6 s in source order (logs come grouped by case:
XES traces, most exports) and 14.6-15.1 s shuffled, against 6.7-8.7 s and 16.3-18.4 s
sorting on the ids' length first. Ids that count up without zeros are sorted on each
id's rank, joined to it: 5.3-6.3 s and 16.6-17.7 s, against 5.2-5.8 s and 15.9-16.0 s.
Per-case running maxima are taken as one global running maximum over an
`Int128` key `case_index · 2⁶⁴ + (end − case start in µs)`: cases are sorted
by index and the offset is never negative, so a case never sees an earlier
case's values. This avoids a window (`over`) per case, which is an order of
magnitude slower at 10 million rows.
"""

from __future__ import annotations

import polars as pl

from metrics.working_time import REAL_TIME, Clock
from model import CATALOG_SCHEMA, EVENT_SCHEMA, in_case_order

EVENT_COLUMNS: dict[str, pl.DataType] = {
    name: EVENT_SCHEMA[name]
    for name in ("offering", "case_id", "activity", "start", "end", "resource", "event_id")
}
"""The columns of the warehouse's events frame the metrics read."""

CATALOG_COLUMNS: dict[str, pl.DataType] = {
    name: CATALOG_SCHEMA[name]
    for name in (
        "offering",
        "activity",
        "value_class",
        "kind",
        "standard_minutes",
        "is_end_activity",
    )
}
"""The columns of the activity catalog the metrics read."""

INSTANCE_SCHEMA: dict[str, pl.DataType] = {
    "case_index": pl.UInt32(),
    "offering": pl.String(),
    "case_id": pl.String(),
    "activity": pl.String(),
    "resource": pl.String(),
    "event_id": pl.Int64(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "start_or_end": pl.Datetime("us", "UTC"),
    "kind": pl.String(),
    "value_class": pl.String(),
    "catalog_is_end": pl.Boolean(),
    "seq": pl.UInt32(),
    "is_last": pl.Boolean(),
    "prev_activity": pl.String(),
    "prev_end": pl.Datetime("us", "UTC"),
    "transition_wait_s": pl.Float64(),
    "gap_before_s": pl.Float64(),
    "wait_before_s": pl.Float64(),
    "is_rework": pl.Boolean(),
    "process_s": pl.Float64(),
    "touch_s": pl.Float64(),
    "value_adding_touch_s": pl.Float64(),
}
"""One row per activity instance, sorted by (case_index, seq).

`case_index` numbers the cases 0, 1, ... in this frame (stable only within one
derivation: join on it, never store it). `start_or_end` is the start, or the
end where the start is unknown. `seq` is the 1-based position in the case.
`prev_activity`/`prev_end` describe the directly preceding instance (null for
the first). `gap_before_s` is `start − the latest end among the work instances
before it`, unclamped: negative where the instance overlaps earlier work (the
what-if replay needs how far); `wait_before_s` = max(0, `gap_before_s`); both
null for the case's first instance and for waiting-state instances. `touch_s` is the part of this instance's time that no earlier work
instance of the case already covers (its share of the case's process time; the
standard time when the start is unknown; null when unknown);
`value_adding_touch_s` is the same over value-adding instances only.
"""

_US = 1_000_000
_SHIFT = 2**64


def _seconds(duration_us: pl.Expr) -> pl.Expr:
    return duration_us.cast(pl.Float64) / _US


def _running_max_before(offset_us: pl.Expr) -> pl.Expr:
    """The maximum of `offset_us` over the earlier rows of the same case (0 for the first).

    `offset_us` must be ≥ 0; the frame must be sorted by `case_index`.
    """
    base = pl.col("case_index").cast(pl.Int128) * pl.lit(_SHIFT, dtype=pl.Int128)
    running = (base + offset_us.cast(pl.Int128)).cum_max().shift(1)
    # On a case's first row `running` holds the previous case's key, below `base`.
    return (running - base).fill_null(0).clip(lower_bound=0).cast(pl.Int64)


def _touch(covered_until_us: pl.Expr, counts: pl.Expr) -> pl.Expr:
    """Seconds of [start, end] after `covered_until_us` (µs since case start) for counted rows."""
    start_us = pl.col("_c_start") - pl.col("_t0")
    end_us = pl.col("_c_end") - pl.col("_t0")
    uncovered = (end_us - pl.max_horizontal(start_us, covered_until_us)).clip(lower_bound=0)
    return (
        pl.when(~counts)
        .then(pl.lit(0.0))
        .when(pl.col("start").is_not_null())
        .then(uncovered.cast(pl.Float64) / _US)
        .otherwise(pl.col("standard_minutes") * 60.0)
    )


def derive_instances(
    events: pl.LazyFrame, catalog: pl.LazyFrame, clock: Clock | None = None
) -> pl.LazyFrame:
    """Order every case and derive each instance's case-dependent figures (INSTANCE_SCHEMA).

    The result is sorted by offering, then case (`model.in_case_order`), then order
    inside the case; `case_index` numbers the cases in that order.

    Every duration is a difference of readings of `clock` (metrics.working_time):
    elapsed time by default, working time with a calendar's clock. Cases are
    ordered on the real timestamps either way.

    `events` is the warehouse's events frame (ARCHITECTURE.md); only the
    columns of EVENT_COLUMNS are read. `catalog` is the activity catalog; an
    activity without a catalog row is work, unclassified, without standard
    time, and an end activity by the default rule only.
    """
    catalog_rows = catalog.select(
        [pl.col(name).cast(dtype) for name, dtype in CATALOG_COLUMNS.items()]
    ).unique(subset=["offering", "activity"], keep="first")
    work = pl.col("kind") != "waiting"
    value_adding = work & (pl.col("value_class") == "value-adding")
    # Never negative for valid rows (end ≥ start ≥ case start); clipped so that a
    # start after its end (rejected at import) cannot leak into the next case.
    since_t0 = (pl.col("_c_end") - pl.col("_t0")).clip(lower_bound=0)
    latest_work_end = _running_max_before(pl.when(work).then(since_t0).otherwise(0))
    latest_value_adding_end = _running_max_before(pl.when(value_adding).then(since_t0).otherwise(0))
    start_us = pl.col("_c_start_or_end") - pl.col("_t0")
    # A hash set over 10 million (case, activity) keys (`is_first_distinct`) is
    # twice as slow as sorting them: the keys are nearly sorted already.
    case_activity = pl.col("case_index").cast(pl.UInt64) * (2**32) + pl.col("_activity_code").cast(
        pl.UInt64
    )
    keys_sorted = case_activity.sort()
    first_of_activity = (
        (keys_sorted != keys_sorted.shift(1))
        .fill_null(True)
        .sort_by(pl.col("_row").sort_by(case_activity, maintain_order=True))
    )
    on = clock if clock is not None else REAL_TIME
    prepared = (
        events.select([pl.col(name).cast(dtype) for name, dtype in EVENT_COLUMNS.items()])
        .join(catalog_rows, on=["offering", "activity"], how="left")
        .with_columns(
            kind=pl.col("kind").fill_null("work"),
            value_class=pl.col("value_class").fill_null("unclassified"),
            start_or_end=pl.coalesce("start", "end"),
        )
    )
    return (
        in_case_order(
            prepared,
            before=["offering"],
            after=["start_or_end", "end", "event_id"],
            ids=events.select("case_id"),
        )
        .with_columns(
            _new_case=(
                (pl.col("case_id") != pl.col("case_id").shift(1))
                | (pl.col("offering") != pl.col("offering").shift(1))
            ).fill_null(True),
            _row=pl.int_range(pl.len(), dtype=pl.UInt32),
            _activity_code=pl.col("activity").cast(pl.Categorical).to_physical(),
            _c_start=on.us(pl.col("start")),
            _c_end=on.us(pl.col("end")),
        )
        .with_columns(_c_start_or_end=pl.coalesce("_c_start", "_c_end"))
        .with_columns(
            case_index=(pl.col("_new_case").cum_sum() - 1).cast(pl.UInt32),
            _t0=pl.when(pl.col("_new_case")).then(pl.col("_c_start_or_end")).forward_fill(),
            _row0=pl.when(pl.col("_new_case")).then(pl.col("_row")).forward_fill(),
            is_last=pl.col("_new_case").shift(-1).fill_null(True),
            prev_activity=pl.when(~pl.col("_new_case")).then(pl.col("activity").shift(1)),
            prev_end=pl.when(~pl.col("_new_case")).then(pl.col("end").shift(1)),
            _c_prev_end=pl.when(~pl.col("_new_case")).then(pl.col("_c_end").shift(1)),
        )
        .with_columns(
            seq=pl.col("_row") - pl.col("_row0") + 1,
            transition_wait_s=_seconds(pl.col("_c_start_or_end") - pl.col("_c_prev_end")).clip(
                lower_bound=0.0
            ),
            gap_before_s=pl.when(work & ~pl.col("_new_case")).then(
                (start_us - latest_work_end).cast(pl.Float64) / _US
            ),
        )
        .with_columns(
            wait_before_s=pl.col("gap_before_s").clip(lower_bound=0.0),
            is_rework=~first_of_activity,
            process_s=pl.when(~work)
            .then(pl.lit(0.0))
            .when(pl.col("start").is_not_null())
            .then(_seconds(pl.col("_c_end") - pl.col("_c_start")))
            .otherwise(pl.col("standard_minutes") * 60.0),
            touch_s=_touch(latest_work_end, work),
            value_adding_touch_s=_touch(latest_value_adding_end, value_adding),
            catalog_is_end=pl.col("is_end_activity"),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in INSTANCE_SCHEMA.items()])
    )
