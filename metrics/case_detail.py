"""The cases behind a figure, one row each, and one case in full: its steps, where it is
now, its attributes.

Definitions implemented (../shared/METRICS.md, "Case metrics" and "Flow over time"):

- A completed case's lead time, wait time and flow efficiency are those of the case
  table (`metrics.cases`).
- An open case has no lead time; its **age** = now − its first start (aging), where now
  is the latest timestamp of its offering, passed in. Its waiting and flow efficiency
  are **so far**: process time so far / age, and age − process time so far. Process
  time so far is the case table's (its finished work steps) plus, for an item that is
  in a work status now, the time since it entered it: that period has not ended, so it
  is no instance, but it is work under way, not waiting.
- **Where it is now**: a completed case is done, since its last end. An open item of a
  status history is *in* its current status since it entered it (`in status`); any
  other open case has finished its latest step and waits for the next one since that
  step ended (`after step`).
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from metrics.stats import conform
from metrics.waits import TIMELINE_SCHEMA, case_timeline
from metrics.working_time import REAL_TIME, Clock, seconds_between
from model import UTC_MICROS

CASE_LIST_SCHEMA: dict[str, pl.DataType] = {
    "case_index": pl.UInt32(),
    "offering": pl.String(),
    "case_id": pl.String(),
    "completed": pl.Boolean(),
    "first_start": UTC_MICROS,
    "ended": UTC_MICROS,
    "duration_s": pl.Float64(),
    "process_s": pl.Float64(),
    "wait_s": pl.Float64(),
    "flow_efficiency": pl.Float64(),
    "state": pl.String(),
    "step": pl.String(),
    "step_kind": pl.String(),
    "since": UTC_MICROS,
    "idle_s": pl.Float64(),
    "n_instances": pl.UInt32(),
    "has_rework": pl.Boolean(),
}
"""One row per case, in the order given. `ended` is the last end of a completed case
(null while open); `duration_s` its lead time, or an open case's age; `process_s`,
`wait_s` and `flow_efficiency` over that duration (so far, for an open case; null when
the process time is unknown). `state` is 'completed', 'in status' or 'after step',
`step` the status it is in or its latest step, `step_kind` that step's kind (work,
waiting, done), `since` when it got there (null when unknown), `idle_s` = now − since
for an open case."""

CASE_STEP_SCHEMA: dict[str, pl.DataType] = {
    **TIMELINE_SCHEMA,
    "resource": pl.String(),
    "event_id": pl.Int64(),
}
"""One case's instances in case order (metrics.waits.TIMELINE_SCHEMA) with who did
each and its event id (to find its attributes)."""

ATTRIBUTE_VALUE_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.Int64(),
    "attribute": pl.String(),
    "value": pl.String(),
}
"""The events' attributes, one row per (event, attribute); values as text."""

CASE_ATTRIBUTE_SCHEMA: dict[str, pl.DataType] = {
    "attribute": pl.String(),
    "value": pl.String(),
    "steps": pl.UInt32(),
}
"""An attribute with one value throughout a case, and on how many of its steps it is
recorded."""


def case_list(
    cases: pl.LazyFrame,
    now: datetime,
    open_items: pl.LazyFrame | None = None,
    catalog: pl.LazyFrame | None = None,
    *,
    clock: Clock = REAL_TIME,
) -> pl.LazyFrame:
    """The cases of `cases` (metrics.cases.CASE_SCHEMA) as a list to read (CASE_LIST_SCHEMA).

    `now` is the latest timestamp of the cases' offering (the "now" of ages and idle
    times); `open_items` the warehouse's current open items (model.OPEN_ITEM_SCHEMA:
    which status each unfinished item is in, since when); `catalog` the activity catalog
    (for the kind of that status; without a row, work). Durations are read on `clock`,
    the clock the cases were derived with.
    """
    key = ["offering", "case_id"]
    moment = pl.lit(now, dtype=UTC_MICROS)
    if open_items is None:
        items = pl.LazyFrame(schema={"offering": pl.String, "case_id": pl.String})
        items = items.with_columns(
            _status=pl.lit(None, pl.String), _entered=pl.lit(None, UTC_MICROS)
        )
    else:
        items = (
            open_items.select(
                *key,
                pl.col("activity").alias("_status"),
                pl.col("entered").cast(UTC_MICROS).alias("_entered"),
            )
            .sort("_entered", nulls_last=False)
            .unique(key, keep="last", maintain_order=True)
        )
    kinds = (
        catalog.select(
            "offering", pl.col("activity").alias("step"), pl.col("kind").alias("step_kind")
        ).unique(["offering", "step"], keep="first")
        if catalog is not None
        else pl.LazyFrame(schema={"offering": pl.String, "step": pl.String, "step_kind": pl.String})
    )
    done = pl.col("completed")
    in_status = ~done & pl.col("_status").is_not_null()
    age = seconds_between(clock, pl.col("first_start"), moment)
    working_now = in_status & (pl.col("step_kind") == "work")
    under_way = seconds_between(clock, pl.col("since"), moment).clip(lower_bound=0)
    frame = (
        cases.join(items, on=key, how="left", maintain_order="left")
        .with_columns(
            state=pl.when(done)
            .then(pl.lit("completed"))
            .when(in_status)
            .then(pl.lit("in status"))
            .otherwise(pl.lit("after step")),
            step=pl.when(in_status).then(pl.col("_status")).otherwise(pl.col("current_step")),
            since=pl.when(in_status).then(pl.col("_entered")).otherwise(pl.col("last_end")),
            ended=pl.when(done).then(pl.col("last_end")),
            duration_s=pl.when(done).then(pl.col("lead_time_s")).otherwise(age),
        )
        .join(kinds, on=["offering", "step"], how="left", maintain_order="left")
        .with_columns(pl.col("step_kind").fill_null("work"))
        .with_columns(
            process_s=pl.when(working_now)
            .then(pl.col("process_time_s") + under_way.fill_null(0.0))
            .otherwise(pl.col("process_time_s")),
            idle_s=pl.when(~done).then(
                seconds_between(clock, pl.col("since"), moment).clip(lower_bound=0)
            ),
        )
        .with_columns(
            # Unknown stays unknown: min_horizontal alone would put the duration there.
            process_s=pl.when(pl.col("process_s").is_not_null()).then(
                pl.min_horizontal("process_s", "duration_s")
            ),
        )
        .with_columns(
            wait_s=pl.col("duration_s") - pl.col("process_s"),
            flow_efficiency=pl.when(pl.col("duration_s") > 0).then(
                pl.col("process_s") / pl.col("duration_s")
            ),
        )
    )
    return conform(frame, CASE_LIST_SCHEMA)


def case_steps(instances: pl.LazyFrame, offering: str, case_id: str) -> pl.LazyFrame:
    """The steps of one case of `offering` and the waits between them (CASE_STEP_SCHEMA)."""
    own = instances.filter((pl.col("offering") == offering) & (pl.col("case_id") == case_id))
    frame = case_timeline(own, case_id).join(
        own.select("seq", "resource", "event_id"), on="seq", how="left", maintain_order="left"
    )
    return conform(frame, CASE_STEP_SCHEMA)


def event_attributes(events: pl.DataFrame) -> pl.DataFrame:
    """The JSON `attributes` of a few events (one case's), one row per (event, attribute)
    (ATTRIBUTE_VALUE_SCHEMA), in event and key order.

    Strings are kept as they are; numbers, booleans, lists and objects as their JSON
    text; JSON nulls and text that is not a JSON object are left out. Parsed row by row:
    meant for one case, not a whole log.
    """
    rows: list[tuple[int, str, str]] = []
    for event_id, text in events.select("event_id", "attributes").iter_rows():
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            continue
        if not isinstance(parsed, dict):
            continue
        for name, value in parsed.items():
            if value is None:
                continue
            rows.append(
                (event_id, str(name), value if isinstance(value, str) else json.dumps(value))
            )
    return pl.DataFrame(rows, schema=ATTRIBUTE_VALUE_SCHEMA, orient="row")


def case_attributes(
    steps: pl.LazyFrame, attributes: pl.LazyFrame
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """A case's attributes: those with one value throughout (CASE_ATTRIBUTE_SCHEMA, by
    name), and the values of those that change from step to step as (`seq`, `activity`,
    `attribute`, `value`) rows in step order.

    `steps` is `case_steps`' frame, `attributes` the `event_attributes` of its events.
    """
    on_steps = steps.select("seq", "activity", "event_id").join(
        attributes, on="event_id", how="inner"
    )
    spread = on_steps.group_by("attribute").agg(
        values=pl.col("value").n_unique(),
        value=pl.col("value").first(),
        steps=pl.col("seq").n_unique().cast(pl.UInt32),
    )
    constant = conform(
        spread.filter(pl.col("values") == 1).sort("attribute"), CASE_ATTRIBUTE_SCHEMA
    )
    changing = on_steps.join(
        spread.filter(pl.col("values") > 1).select("attribute"), on="attribute", how="semi"
    )
    return constant, changing.select("seq", "activity", "attribute", "value").sort(
        "seq", "attribute"
    )
