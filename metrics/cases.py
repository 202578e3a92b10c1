"""Case metrics: one row per case, and the end activities that decide completion.

Definitions implemented (../shared/METRICS.md, "Case metrics"):

- Lead time = max(end) − min(start) over the case's instances (unknown starts
  taken as the end).
- Completed: the case's last instance is an end activity of its offering. End
  activities come from the catalog (`is_end_activity`) where set; an activity
  of kind 'done' (a change into a done status) ends its case; otherwise the
  default rule: at least half of the activity's occurrences are the last of
  their case and it is the last activity of at least 5% of the offering's cases.
- Process (touch) time = the length of the union of the case's [start, end]
  intervals, waiting-state instances excluded, so parallel work counts once.
  An instance without start adds the catalog's standard time (its position in
  the case is unknown, so it is added whole; the total is capped at the lead
  time so that process ≤ lead); without standard time the case's process time
  is unknown (null), never zero.
- Wait time = lead time − process time. Flow efficiency = process / lead time.
- PCE = value-adding process time / lead time (union of the value-adding
  instances' intervals). With no value classification in the offering, PCE is
  the flow efficiency and `pce_basis` says so.
- Rework: a case has rework when any (non-waiting) instance repeats an
  activity that already occurred earlier in the case.
- Variant: the sequence of activities of a case, in case order.

Lead time and the ratios are computed for every case; they mean a duration
"so far" for open cases, so aggregates use completed cases only (`summary`).
A lead time of 0 (one instantaneous instance) leaves the ratios undefined (null).
"""

from __future__ import annotations

import polars as pl

from metrics.stats import conform
from metrics.working_time import REAL_TIME, Clock, seconds_between
from model import in_case_order

END_ACTIVITY_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "activity": pl.String(),
    "occurrences": pl.UInt32(),
    "last_of_case": pl.UInt32(),
    "last_share": pl.Float64(),
    "case_share": pl.Float64(),
    "is_end_activity": pl.Boolean(),
    "basis": pl.String(),
}
"""Per activity: how often it ends a case, and whether it is an end activity.

`last_share` = occurrences that are the last of their case / occurrences;
`case_share` = cases it ends / the offering's cases; `basis` is 'catalog',
'done status' or 'default rule'.
"""

CASE_SCHEMA: dict[str, pl.DataType] = {
    "case_index": pl.UInt32(),
    "offering": pl.String(),
    "case_id": pl.String(),
    "first_start": pl.Datetime("us", "UTC"),
    "last_end": pl.Datetime("us", "UTC"),
    "lead_time_s": pl.Float64(),
    "process_time_s": pl.Float64(),
    "value_adding_s": pl.Float64(),
    "wait_time_s": pl.Float64(),
    "flow_efficiency": pl.Float64(),
    "pce": pl.Float64(),
    "pce_basis": pl.String(),
    "has_rework": pl.Boolean(),
    "variant": pl.List(pl.String()),
    "completed": pl.Boolean(),
    "current_step": pl.String(),
    "n_instances": pl.UInt32(),
}
"""One row per case. `current_step` is the status an open item is in now, else the
activity of the case's last instance; `pce_basis` is 'value-adding' or 'flow
efficiency' (no classification)."""

END_SHARE_OF_OCCURRENCES = 0.5
END_SHARE_OF_CASES = 0.05


ENDING_COUNTS_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "activity": pl.String(),
    "occurrences": pl.UInt32(),
    "last_of_case": pl.UInt32(),
    "catalog_is_end": pl.Boolean(),
    "done": pl.Boolean(),
    "classified": pl.Boolean(),
}
"""Per offering and activity, over some of the offering's cases: the counts that decide
which activities end a case and whether the offering classifies any step. They add up
over disjoint sets of cases (`merge_ending_counts`), so a job that holds only part of an
offering's cases (a Spark partition) can still reach the offering-wide answer."""


def ending_counts(instances: pl.LazyFrame) -> pl.LazyFrame:
    """ENDING_COUNTS_SCHEMA of `instances` (derive_instances' frame over whole cases)."""
    frame = instances.group_by("offering", "activity").agg(
        occurrences=pl.len().cast(pl.UInt32),
        last_of_case=pl.col("is_last").sum().cast(pl.UInt32),
        catalog_is_end=pl.col("catalog_is_end").first(),
        done=(pl.col("kind") == "done").any(),
        classified=(pl.col("value_class") != "unclassified").any(),
    )
    return conform(frame, ENDING_COUNTS_SCHEMA)


def merge_ending_counts(parts: pl.LazyFrame) -> pl.LazyFrame:
    """The ending counts of several disjoint sets of cases, added up (counts sum, flags
    any; the catalog's flag is the same in every part)."""
    frame = parts.group_by("offering", "activity").agg(
        occurrences=pl.col("occurrences").sum().cast(pl.UInt32),
        last_of_case=pl.col("last_of_case").sum().cast(pl.UInt32),
        catalog_is_end=pl.col("catalog_is_end").drop_nulls().first(),
        done=pl.col("done").any(),
        classified=pl.col("classified").any(),
    )
    return conform(frame, ENDING_COUNTS_SCHEMA)


def end_activities(instances: pl.LazyFrame) -> pl.LazyFrame:
    """Which activities end a case, per offering (END_ACTIVITY_SCHEMA).

    `instances` is `derive_instances`'s frame over every case of the offering
    (not a filtered view: completion is a property of the case).
    """
    return end_activities_from_counts(ending_counts(instances))


def end_activities_from_counts(counts: pl.LazyFrame) -> pl.LazyFrame:
    """`end_activities` from the offering-wide ending counts (ENDING_COUNTS_SCHEMA)."""
    default_rule = (pl.col("last_share") >= END_SHARE_OF_OCCURRENCES) & (
        pl.col("case_share") >= END_SHARE_OF_CASES
    )
    frame = (
        counts.with_columns(_cases=pl.col("last_of_case").sum().over("offering"))
        .with_columns(
            last_share=pl.col("last_of_case") / pl.col("occurrences"),
            case_share=pl.col("last_of_case") / pl.col("_cases"),
        )
        .with_columns(
            is_end_activity=pl.when(pl.col("catalog_is_end").is_not_null())
            .then(pl.col("catalog_is_end"))
            .when(pl.col("done"))
            .then(pl.lit(True))
            .otherwise(default_rule),
            basis=pl.when(pl.col("catalog_is_end").is_not_null())
            .then(pl.lit("catalog"))
            .when(pl.col("done"))
            .then(pl.lit("done status"))
            .otherwise(pl.lit("default rule")),
        )
        .sort("offering", "activity")
    )
    return conform(frame, END_ACTIVITY_SCHEMA)


def _total_or_unknown(column: str) -> pl.Expr:
    return pl.when(pl.col(column).null_count() == 0).then(pl.col(column).sum())


def _capped(column: str, cap: pl.Expr) -> pl.Expr:
    """`column`, at most `cap`; null stays null (`min_horizontal` alone would drop it)."""
    return pl.when(pl.col(column).is_not_null()).then(pl.min_horizontal(pl.col(column), cap))


CASE_TABLE_COLUMNS: list[str] = [
    "case_index",
    "offering",
    "case_id",
    "activity",
    "end",
    "start_or_end",
    "kind",
    "is_rework",
    "touch_s",
    "value_adding_touch_s",
]
"""The instance columns `case_table` reads when it is given the offering's ending counts:
a store that reads the instances back to build the cases reads only these."""


def case_table(
    instances: pl.LazyFrame,
    open_items: pl.LazyFrame | None = None,
    *,
    clock: Clock = REAL_TIME,
    counts: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per case with its case metrics (CASE_SCHEMA), ordered by `case_index`.

    The lead time is read on `clock`, the clock `instances` were derived with
    (metrics.working_time): elapsed time by default, working time with a calendar.

    `instances` is `derive_instances`'s frame over every case of the offering,
    in its order (case_index, seq), which this function relies on: a case's
    variant is read in row order and the cases are grouped as sorted slices.
    Filter the resulting table (metrics.filters), not the instances before it.

    `open_items` (model.OPEN_ITEM_SCHEMA: offering, case_id, activity, entered) are
    the statuses unfinished items of a status history are in now, periods that have
    not ended (METRICS.md: not instances). A case with one is open whatever its
    last instance, its `current_step` is that status and its first start and last
    end include the time the item entered it. An item that has not left its first
    status has no instance yet: it is a case of its own (numbered after the others)
    with no steps, an empty variant and no process time. Per case, the item entered
    last counts.

    `counts` (ENDING_COUNTS_SCHEMA) are the offering-wide ending counts when
    `instances` holds only some of the offering's cases (a partition of a distributed
    job): which activities end a case and whether the offering classifies any step are
    then read from them. By default they are counted over `instances`.
    """
    per_case = (
        # Sorted groups are contiguous slices: 2.5x faster at 10 million rows.
        instances.with_columns(pl.col("case_index").set_sorted())
        .group_by("case_index")
        .agg(
            offering=pl.col("offering").first(),
            case_id=pl.col("case_id").first(),
            first_start=pl.col("start_or_end").min(),
            last_end=pl.col("end").max(),
            _touch=_total_or_unknown("touch_s"),
            _value_adding=_total_or_unknown("value_adding_touch_s"),
            has_rework=(pl.col("is_rework") & (pl.col("kind") != "waiting")).any(),
            variant=pl.col("activity"),
            current_step=pl.col("activity").last(),
            n_instances=pl.len().cast(pl.UInt32),
        )
        .with_columns(_open=pl.lit(False))
    )
    if open_items is not None:
        per_case = _with_open_items(per_case, open_items)
    if counts is None:
        counts = ending_counts(instances)
    lead = pl.col("lead_time_s")
    ratio = pl.when(lead > 0)
    ends = end_activities_from_counts(counts).select(
        "offering", pl.col("activity").alias("current_step"), "is_end_activity"
    )
    classified = counts.group_by("offering").agg(_classified=pl.col("classified").any())
    frame = (
        per_case.with_columns(
            lead_time_s=seconds_between(clock, pl.col("first_start"), pl.col("last_end"))
        )
        .with_columns(
            process_time_s=_capped("_touch", lead),
            value_adding_s=_capped("_value_adding", lead),
        )
        .join(classified, on="offering", how="left")
        .with_columns(pl.col("_classified").fill_null(False))
        .with_columns(
            wait_time_s=lead - pl.col("process_time_s"),
            flow_efficiency=ratio.then(pl.col("process_time_s") / lead),
            pce=pl.when(~pl.col("_classified"))
            .then(ratio.then(pl.col("process_time_s") / lead))
            .otherwise(ratio.then(pl.col("value_adding_s") / lead)),
            pce_basis=pl.when(pl.col("_classified"))
            .then(pl.lit("value-adding"))
            .otherwise(pl.lit("flow efficiency")),
        )
        .join(ends, on=["offering", "current_step"], how="left")
        .with_columns(completed=pl.col("is_end_activity").fill_null(False) & ~pl.col("_open"))
        .sort("case_index")
    )
    return conform(frame, CASE_SCHEMA)


def _with_open_items(per_case: pl.LazyFrame, open_items: pl.LazyFrame) -> pl.LazyFrame:
    """`per_case` with each case's open item: current step, first start, last end, open;
    cases that have only an open item appended after the others."""
    key = ["offering", "case_id"]
    current = (
        open_items.select(
            pl.col("offering").cast(pl.String),
            pl.col("case_id").cast(pl.String),
            pl.col("activity").cast(pl.String).alias("_open_step"),
            pl.col("entered").cast(pl.Datetime("us", "UTC")).alias("_entered"),
        )
        .sort("_entered", nulls_last=False)
        .unique(key, keep="last", maintain_order=True)
    )
    with_steps = (
        per_case.join(current, on=key, how="left")
        .with_columns(
            current_step=pl.coalesce("_open_step", "current_step"),
            first_start=pl.min_horizontal("first_start", "_entered"),
            last_end=pl.max_horizontal("last_end", "_entered"),
            _open=pl.col("_open_step").is_not_null(),
        )
        .drop("_open_step", "_entered")
    )
    first_free = per_case.select(
        (pl.col("case_index").cast(pl.Int64).max().fill_null(-1) + 1).alias("_first_free")
    )
    only_open = (
        # Their ids' order read off the open items alone: the anti join's side would
        # aggregate every step once more to find it.
        in_case_order(
            current.join(per_case.select(key), on=key, how="anti"),
            before=["offering"],
            ids=current.select("case_id"),
        )
        .with_row_index("_i")
        .join(first_free, how="cross")
        .select(
            (pl.col("_first_free") + pl.col("_i")).cast(pl.UInt32).alias("case_index"),
            *key,
            pl.col("_entered").alias("first_start"),
            pl.col("_entered").alias("last_end"),
            _touch=pl.lit(0.0),
            _value_adding=pl.lit(0.0),
            has_rework=pl.lit(False),
            variant=pl.lit([], dtype=pl.List(pl.String)),
            current_step=pl.col("_open_step"),
            n_instances=pl.lit(0, dtype=pl.UInt32),
            _open=pl.lit(True),
        )
    )
    return pl.concat([with_steps, only_open], how="vertical_relaxed")
