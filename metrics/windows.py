"""The before and after windows of a change: which cases fall in each, and their figures.

Definitions implemented (../shared/METRICS.md, "Statistics", before / after):

- The cases are split by their first start: the *before* window is [change −
  before_days, change), the *after* window [change, change + after_days), cut
  at the end of the data (its latest timestamp). Only completed cases are
  compared; each window's share of cases still open is reported.
- Throughput per week: cases completed during each window (by completion date,
  as METRICS.md defines throughput) / the window's weeks.
- Rework share per window: completed cases with rework / completed cases, the
  same cases as the times (an open case may still go round a loop).
- Per step, the wait before it in each window's completed cases (per instance,
  rework repeats included); the step with the largest total wait is the
  window's bottleneck.

Every query here takes frames of one offering: `metrics.compare.compare`
filters to the offering once, at its entry. The queries are LazyFrame in,
LazyFrame out; `WindowFigures` is one window's row, typed, for the page and the
verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import polars as pl

from metrics.cases import CASE_SCHEMA
from metrics.stats import conform
from metrics.steps import bottleneck
from metrics.xmr import xmr
from model import UTC_MICROS, WEEK

Side = Literal["before", "after"]
SIDES: tuple[Side, ...] = ("before", "after")

WINDOW_CASE_SCHEMA: dict[str, pl.DataType] = {"window": pl.String(), **CASE_SCHEMA}
"""The cases that started in either window; `window` is 'before' or 'after'."""

WINDOW_FIGURES_SCHEMA: dict[str, pl.DataType] = {
    "window": pl.String(),
    "cases": pl.UInt32(),
    "completed": pl.UInt32(),
    "open_share": pl.Float64(),
    "lead_time_s_p50": pl.Float64(),
    "lead_time_s_p85": pl.Float64(),
    "wait_time_s_p50": pl.Float64(),
    "wait_time_s_p85": pl.Float64(),
    "process_time_s_p50": pl.Float64(),
    "process_time_s_p85": pl.Float64(),
    "rework_cases": pl.UInt32(),
    "rework_case_share": pl.Float64(),
    "completions": pl.UInt32(),
    "throughput_per_week": pl.Float64(),
}
"""One row per window ('before', 'after'). `completions` are the cases completed
during the window (whenever they started); `throughput_per_week` is that over the
window's weeks (the after window cut at the end of the data)."""

STEP_WAIT_SCHEMA: dict[str, pl.DataType] = {
    "activity": pl.String(),
    "typical_position": pl.Float64(),
    "before_instances": pl.UInt32(),
    "after_instances": pl.UInt32(),
    "before_total_s": pl.Float64(),
    "after_total_s": pl.Float64(),
    "before_per_case_s": pl.Float64(),
    "after_per_case_s": pl.Float64(),
}
"""Per step: the wait before it in each window's completed cases (steps nothing ever
waits in front of, such as the first step, are left out). `*_instances` count the
instances with a wait (those with a predecessor); `*_per_case_s` is the total / the
window's completed cases, so the steps' per-case waits add up to the window's mean
wait time per case. Steps in their usual order. The waits' medians come with their
tests (metrics.verdict.step_waits), from `step_wait_values`."""

STEP_WAIT_VALUES_SCHEMA: dict[str, pl.DataType] = {
    "window": pl.String(),
    "activity": pl.String(),
    "wait_before_s": pl.Float64(),
}
"""Every wait before a step in the windows' completed cases, one row per instance."""

FOLLOW_UP_SCHEMA: dict[str, pl.DataType] = {
    "window": pl.String(),
    "case_id": pl.String(),
    "capped_lead_time_s": pl.Float64(),
    "done_within": pl.Boolean(),
}


@dataclass(frozen=True)
class Windows:
    """The change instant, the two windows around it and the end of the data (all UTC)."""

    change: datetime
    before_days: int
    after_days: int
    data_end: datetime

    @property
    def before_start(self) -> datetime:
        return self.change - timedelta(days=self.before_days)

    @property
    def after_end(self) -> datetime:
        return self.change + timedelta(days=self.after_days)

    @property
    def observed_after_end(self) -> datetime:
        """The after window as far as the data reaches."""
        return max(self.change, min(self.after_end, self.data_end))


@dataclass(frozen=True)
class Percentiles:
    """p50 and p85 of a duration over a window's completed cases, in seconds."""

    p50: float | None
    p85: float | None


@dataclass(frozen=True)
class WindowFigures:
    """One window's figures (a row of WINDOW_FIGURES_SCHEMA) and its bottleneck."""

    window: Side
    start: datetime
    end: datetime
    """The window's span as chosen; the after window's data may end earlier."""
    cases: int
    completed: int
    open_share: float | None
    lead_time_s: Percentiles
    wait_time_s: Percentiles
    process_time_s: Percentiles
    rework_cases: int
    rework_case_share: float | None
    completions: int
    throughput_per_week: float | None
    bottleneck: str | None
    """The step with the largest total wait before it, over the window's completed cases."""

    @property
    def open_cases(self) -> int:
        return self.cases - self.completed


def window_figures_of(
    figures: pl.DataFrame, bottlenecks: pl.DataFrame, w: Windows
) -> tuple[WindowFigures, WindowFigures]:
    """(before, after) from `window_figures` and `window_bottlenecks`, collected."""
    necks = dict(
        zip(bottlenecks["window"].to_list(), bottlenecks["activity"].to_list(), strict=True)
    )
    rows: dict[str, dict[str, Any]] = {row["window"]: row for row in figures.iter_rows(named=True)}
    spans = {"before": (w.before_start, w.change), "after": (w.change, w.after_end)}

    def typed(side: Side) -> WindowFigures:
        row = rows[side]
        return WindowFigures(
            window=side,
            start=spans[side][0],
            end=spans[side][1],
            cases=row["cases"],
            completed=row["completed"],
            open_share=row["open_share"],
            lead_time_s=Percentiles(row["lead_time_s_p50"], row["lead_time_s_p85"]),
            wait_time_s=Percentiles(row["wait_time_s_p50"], row["wait_time_s_p85"]),
            process_time_s=Percentiles(row["process_time_s_p50"], row["process_time_s_p85"]),
            rework_cases=row["rework_cases"],
            rework_case_share=row["rework_case_share"],
            completions=row["completions"],
            throughput_per_week=row["throughput_per_week"],
            bottleneck=necks.get(side),
        )

    return typed("before"), typed("after")


def _window_label(w: Windows) -> pl.Expr:
    return (
        pl.when(pl.col("first_start") < pl.lit(w.change, dtype=UTC_MICROS))
        .then(pl.lit("before"))
        .otherwise(pl.lit("after"))
    )


def split_cases(cases: pl.LazyFrame, w: Windows) -> pl.LazyFrame:
    """The cases that started in either window, labelled (WINDOW_CASE_SCHEMA)."""
    start = pl.col("first_start")
    frame = cases.filter(
        start >= pl.lit(w.before_start, dtype=UTC_MICROS),
        start < pl.lit(w.after_end, dtype=UTC_MICROS),
    ).with_columns(window=_window_label(w))
    return conform(frame, WINDOW_CASE_SCHEMA)


def window_figures(split: pl.LazyFrame, cases: pl.LazyFrame, w: Windows) -> pl.LazyFrame:
    """Counts, percentiles, rework and throughput per window (WINDOW_FIGURES_SCHEMA).

    `split` is `split_cases`'s output; `cases` every case (for completions by date).
    """
    done = pl.col("completed")

    def pct(column: str, q: float) -> pl.Expr:
        return pl.col(column).filter(done).quantile(q, interpolation="linear")

    figures = split.group_by("window").agg(
        cases=pl.len().cast(pl.UInt32),
        completed=done.sum().cast(pl.UInt32),
        open_share=(~done).mean(),
        lead_time_s_p50=pct("lead_time_s", 0.5),
        lead_time_s_p85=pct("lead_time_s", 0.85),
        wait_time_s_p50=pct("wait_time_s", 0.5),
        wait_time_s_p85=pct("wait_time_s", 0.85),
        process_time_s_p50=pct("process_time_s", 0.5),
        process_time_s_p85=pct("process_time_s", 0.85),
        rework_cases=(pl.col("has_rework") & done).sum().cast(pl.UInt32),
        rework_case_share=pl.col("has_rework").filter(done).mean(),
    )
    end = pl.col("last_end")
    periods = pl.LazyFrame(
        {
            "window": list(SIDES),
            "_from": [w.before_start, w.change],
            "_to": [w.change, w.observed_after_end],
        },
        schema={"window": pl.String(), "_from": UTC_MICROS, "_to": UTC_MICROS},
    )
    completions = (
        periods.join(cases.filter(done).select("last_end"), how="cross")
        .group_by("window", "_from", "_to")
        .agg(completions=((end >= pl.col("_from")) & (end < pl.col("_to"))).sum().cast(pl.UInt32))
    )
    weeks = (pl.col("_to") - pl.col("_from")).dt.total_seconds() / WEEK
    frame = (
        periods.join(completions, on=["window", "_from", "_to"], how="left")
        .join(figures, on="window", how="left")
        .with_columns(
            cases=pl.col("cases").fill_null(0),
            completed=pl.col("completed").fill_null(0),
            rework_cases=pl.col("rework_cases").fill_null(0),
            completions=pl.col("completions").fill_null(0),
            throughput_per_week=pl.when(weeks > 0).then(pl.col("completions").fill_null(0) / weeks),
        )
    )
    return conform(frame, WINDOW_FIGURES_SCHEMA)


def window_instances(instances: pl.LazyFrame, split: pl.LazyFrame) -> pl.LazyFrame:
    """The instances of the windows' completed cases, with the `window` column."""
    labels = split.filter(pl.col("completed")).select("case_index", "window")
    return instances.join(labels, on="case_index", how="inner", maintain_order="left")


def step_wait_shift(per_window_steps: pl.LazyFrame, split: pl.LazyFrame) -> pl.LazyFrame:
    """Where waiting fell and where it grew: the wait before each step per window (STEP_WAIT_SCHEMA).

    `per_window_steps` is `metrics.steps.steps(window_instances(...), by=("window",))`.
    """
    completed = split.group_by("window").agg(_completed=pl.col("completed").sum())

    def side(name: str) -> pl.LazyFrame:
        return (
            per_window_steps.filter(pl.col("window") == name)
            .join(completed, on="window", how="left")
            .select(
                "activity",
                pl.col("typical_position").alias(f"_{name}_position"),
                pl.col("wait_before_s_n").alias(f"{name}_instances"),
                pl.col("wait_before_s_sum").alias(f"{name}_total_s"),
                (pl.col("wait_before_s_sum") / pl.col("_completed")).alias(f"{name}_per_case_s"),
            )
        )

    frame = (
        side("before")
        .join(side("after"), on="activity", how="full", coalesce=True)
        .with_columns(
            typical_position=pl.coalesce("_before_position", "_after_position"),
            before_instances=pl.col("before_instances").fill_null(0),
            after_instances=pl.col("after_instances").fill_null(0),
            before_total_s=pl.col("before_total_s").fill_null(0.0),
            after_total_s=pl.col("after_total_s").fill_null(0.0),
        )
        .filter((pl.col("before_instances") > 0) | (pl.col("after_instances") > 0))
        .sort("typical_position", "activity")
    )
    return conform(frame, STEP_WAIT_SCHEMA)


def step_wait_values(window_inst: pl.LazyFrame) -> pl.LazyFrame:
    """Every wait before a step, per instance (STEP_WAIT_VALUES_SCHEMA): what the step tests compare.

    The same instances `metrics.steps.steps` counts in `wait_before_s_n`:
    waiting-state instances are queues, not steps, and the first step of a
    case has no wait.
    """
    frame = window_inst.filter(pl.col("kind") != "waiting", pl.col("wait_before_s").is_not_null())
    return conform(frame, STEP_WAIT_VALUES_SCHEMA)


def window_bottlenecks(per_window_steps: pl.LazyFrame) -> pl.LazyFrame:
    """The bottleneck of each window (metrics.steps.BOTTLENECK_SCHEMA with `window`)."""
    return bottleneck(per_window_steps, by=("window",))


def follow_up_cases(split: pl.LazyFrame, w: Windows, horizon_s: float) -> pl.LazyFrame:
    """The equal-follow-up sample: cases started at least `horizon_s` before the data's end.

    Each case's lead time capped at the horizon (an open case counts as the
    horizon: it has been open at least that long), and whether it was done
    within it (FOLLOW_UP_SCHEMA).
    """
    latest_start = w.data_end - timedelta(seconds=horizon_s)
    within = pl.col("completed") & (pl.col("lead_time_s") <= horizon_s)
    frame = split.filter(
        pl.col("first_start") <= pl.lit(latest_start, dtype=UTC_MICROS)
    ).with_columns(
        capped_lead_time_s=pl.when(within).then(pl.col("lead_time_s")).otherwise(pl.lit(horizon_s)),
        done_within=within,
    )
    return conform(frame, FOLLOW_UP_SCHEMA)


def lead_time_points(cases: pl.LazyFrame, w: Windows) -> pl.LazyFrame:
    """Completed cases for the process behaviour chart, in completion order, with limits and signals.

    The chart runs in completion order, so its baseline is split in completion
    order too: the cases completed in the before window's span [change −
    before_days, change) are the baseline the limits come from (metrics.xmr),
    and the chart goes on with every case completed after the change until the
    last case started in the after window has completed. Picking cases by start
    window and then ordering them by completion would not do: within a start
    window the fast cases finish first, which draws a rising trend of its own.
    `window` says when each case started ('before' the change or 'after' it).
    """
    change = pl.lit(w.change, dtype=UTC_MICROS)
    done = cases.filter(pl.col("completed"))
    last_after = done.filter(
        pl.col("first_start") >= change,
        pl.col("first_start") < pl.lit(w.after_end, dtype=UTC_MICROS),
    ).select(pl.col("last_end").max().alias("_until"))
    ordered = (
        done.join(last_after, how="cross")
        .filter(
            pl.col("last_end") >= pl.lit(w.before_start, dtype=UTC_MICROS),
            pl.col("last_end") <= pl.coalesce("_until", change),
        )
        .sort("last_end", "case_id")
        .select(
            window=_window_label(w),
            case_id="case_id",
            first_start="first_start",
            last_end="last_end",
            lead_time_s="lead_time_s",
            is_baseline=pl.col("last_end") < change,
        )
    )
    chart = xmr(ordered, "lead_time_s", "is_baseline")
    return pl.concat([ordered.drop("is_baseline"), chart], how="horizontal")
