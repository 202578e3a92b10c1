"""The headline figures of a view as one plain dict: the report CLI's JSON and the dashboard's tiles.

Aggregates across cases (../shared/METRICS.md): lead, process and wait time,
flow efficiency and PCE use completed cases only (process and wait time, flow
efficiency and PCE only those whose process time is known); rework share,
variants, step and transition figures use every case and instance in view.
The aggregate flow efficiency of a set of cases is total process time / total
lead time (not the mean of the cases' ratios), and likewise for PCE.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from metrics.stats import aggregate, conform, distribution, distribution_schema, json_number
from metrics.steps import bottleneck, steps
from metrics.transitions import transitions

ENGINE: Any = "in-memory"
"""The polars engine the collecting callers use: at 10 million rows the in-memory
engine sorts and groups several times faster here than the default."""

STREAMING: Any = "streaming"
"""The engine of the few queries measured faster with it on this project's 2-core machine
(the value stream map's pairs of steps and queues, the replay's steps and blocks, each
case's conformance: for the 4.7 million steps of a 10-million-event view's completed
cases half the time or less, conformance 1.8-2.0 s instead of 2.4-2.8 s at a lower
peak), for the same result."""

CASE_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "cases": pl.UInt32(),
    "completed_cases": pl.UInt32(),
    "open_cases": pl.UInt32(),
    **distribution_schema("lead_time_s"),
    **distribution_schema("process_time_s", with_count=True),
    **distribution_schema("wait_time_s"),
    "flow_efficiency": pl.Float64(),
    "pce": pl.Float64(),
    "pce_basis": pl.String(),
    "rework_case_share": pl.Float64(),
    "variants": pl.UInt32(),
}
"""Figures across the cases in view (per `by`). `process_time_s_n` is the number
of completed cases whose process time is known (the others have starts missing
and no standard time). `pce_basis` is 'value-adding', 'flow efficiency' (no
classification) or 'mixed' (offerings of both kinds pooled)."""


def _ratio_of_totals(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    known = numerator.is_not_null()
    total = denominator.filter(known).sum()
    return pl.when(total > 0).then(numerator.filter(known).sum() / total)


def case_summary(cases: pl.LazyFrame, by: Sequence[str] = ()) -> pl.LazyFrame:
    """Aggregate case figures per `by` (default: one row for the whole view), CASE_SUMMARY_SCHEMA."""
    done = pl.col("completed")
    lead = pl.col("lead_time_s").filter(done)
    process = pl.col("process_time_s").filter(done)
    wait = pl.col("wait_time_s").filter(done)
    classified = pl.col("pce_basis") == "value-adding"
    pce_numerator = (
        pl.when(classified).then(pl.col("value_adding_s")).otherwise(pl.col("process_time_s"))
    )
    frame = aggregate(
        cases,
        by,
        [
            pl.len().cast(pl.UInt32).alias("cases"),
            done.sum().cast(pl.UInt32).alias("completed_cases"),
            (~done).sum().cast(pl.UInt32).alias("open_cases"),
            *distribution(lead, "lead_time_s"),
            *distribution(process, "process_time_s", with_count=True),
            *distribution(wait, "wait_time_s"),
            _ratio_of_totals(process, lead).alias("flow_efficiency"),
            _ratio_of_totals(pce_numerator.filter(done), lead).alias("pce"),
            pl.when(classified.all())
            .then(pl.lit("value-adding"))
            .when(classified.any())
            .then(pl.lit("mixed"))
            .otherwise(pl.lit("flow efficiency"))
            .alias("pce_basis"),
            pl.col("has_rework").mean().alias("rework_case_share"),
            pl.col("variant").n_unique().cast(pl.UInt32).alias("variants"),
        ],
    )
    schema = {name: pl.String() for name in by} | CASE_SUMMARY_SCHEMA
    return conform(frame, schema)


def _figure(value: Any) -> Any:
    """A figure of the report, to 12 significant digits: a sum's last bits depend on how
    the rows were split while adding (polars' chunks, Spark's partitions), and the report
    prints the same digits whichever engine computed it."""
    value = json_number(value)
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _pick(row: dict[str, Any], prefix: str, names: Sequence[str]) -> dict[str, Any]:
    return {name: _figure(row[f"{prefix}_{name}"]) for name in names}


_PCT = ("p50", "p85", "p95", "mean")


def summary(instances: pl.LazyFrame, cases: pl.LazyFrame) -> dict[str, Any]:
    """The view's headline figures in the report's JSON shape (see metrics.report).

    `instances` and `cases` are one view (`metrics.filters.apply_filters`).
    Steps and transitions pool the offerings in view by activity.
    """
    step_frame = steps(instances, by=())
    head, step_rows, transition_rows, neck, offerings, n_instances = pl.collect_all(
        [
            case_summary(cases),
            step_frame,
            transitions(instances, by=()),
            bottleneck(step_frame, by=()),
            cases.select(pl.col("offering").unique().sort()),
            instances.select(pl.len()),
        ],
        engine=ENGINE,
    )
    return assemble_summary(
        head, step_rows, transition_rows, neck, offerings["offering"].to_list(), n_instances.item()
    )


def assemble_summary(
    head: pl.DataFrame,
    step_rows: pl.DataFrame,
    transition_rows: pl.DataFrame,
    neck: pl.DataFrame,
    offerings: Sequence[str],
    n_instances: int,
) -> dict[str, Any]:
    """`summary`'s dict from its parts, however they were computed: `case_summary` of the
    view's cases, `steps` and `transitions` pooled (`by=()`), their `bottleneck`, the
    offerings in view and the number of instances (a distributed job computes the parts
    where the data is and assembles them here)."""
    row = head.row(0, named=True)
    names = sorted(offerings)
    return {
        "offering": names[0] if len(names) == 1 else ", ".join(names) if names else None,
        "cases": row["cases"],
        "completed_cases": row["completed_cases"],
        "open_cases": row["open_cases"],
        "instances": n_instances,
        "lead_time_s": _pick(row, "lead_time_s", _PCT),
        "process_time_s": _pick(row, "process_time_s", _PCT),
        "wait_time_s": _pick(row, "wait_time_s", _PCT),
        "flow_efficiency": _figure(row["flow_efficiency"]),
        "pce": _figure(row["pce"]),
        "rework_case_share": _figure(row["rework_case_share"]),
        "bottleneck": neck["activity"][0] if neck.height else None,
        "variants": row["variants"],
        "steps": [
            {
                "activity": step["activity"],
                "instances": step["instances"],
                "cases": step["cases"],
                "rework_share": _figure(step["rework_share"]),
                "process_time_s": _pick(step, "process_time_s", _PCT),
                "wait_before_s": _pick(step, "wait_before_s", (*_PCT, "sum")),
            }
            for step in step_rows.iter_rows(named=True)
        ],
        "transitions": [
            {
                "from": edge["from_activity"],
                "to": edge["to_activity"],
                "count": edge["count"],
                "wait_s": _pick(edge, "wait_s", ("mean", "p50")),
            }
            for edge in transition_rows.iter_rows(named=True)
        ],
    }
