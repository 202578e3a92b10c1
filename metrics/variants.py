"""Variants: the distinct activity sequences and how the cases spread over them.

Definition (../shared/METRICS.md): a case's variant is the sequence of its
activities in case order. Each variant's cases and share count every case in
view; its lead-time percentiles use its completed cases only.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from metrics.stats import aggregate, conform, distribution, distribution_schema

VARIANT_SEPARATOR = " → "
NO_STEP_YET = "(no step finished yet)"
"""The label of the empty variant: open items still in their first status."""

STEP_NAMES = pl.Categories("vsm-step-names", physical=pl.UInt16)
"""The step names of the compact variants: each kept once, and numbered in 2 bytes (up to
65,535 names in a process's life)."""

COMPACT_VARIANT: pl.DataType = pl.List(pl.Categorical(STEP_NAMES))
"""`variant` as the app holds it (`compact_variants`): each step's name is kept once and
each step of a case is a 2-byte number, where as text each step takes 16 bytes or more
(at ten million events the cases held 426 MB with their variants as text, 175 MB with
them compact). Mapped from a file (`warehouse.mapped`) the numbers are the only part of
the cases copied into the app's own memory: 2 bytes a step instead of 4 with polars'
default categories. The figures read either type and give text (`variant_text`)."""


def compact_variants(cases: pl.DataFrame, compact: pl.DataType = COMPACT_VARIANT) -> pl.DataFrame:
    """`cases` (metrics.cases.CASE_SCHEMA) with `variant` as `compact`; as text where
    there are more step names than its categories can number."""
    try:
        return cases.with_columns(pl.col("variant").cast(compact))
    except pl.exceptions.ComputeError:  # more names than its categories number
        return cases.with_columns(variant_text())


VARIANT_KEY = "_variant_key"


def variant_text(column: str = "variant") -> pl.Expr:
    """`column`, a variant of either type (text or COMPACT_VARIANT), as a list of text."""
    return pl.col(column).cast(pl.List(pl.String()))


VARIANT_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "variant": pl.List(pl.String()),
    "variant_label": pl.String(),
    "length": pl.UInt32(),
    "cases": pl.UInt32(),
    "share": pl.Float64(),
    "completed_cases": pl.UInt32(),
    **distribution_schema("lead_time_s"),
}
"""One row per variant; `share` = its cases / the cases in view (per `by`). Items
still in their first status have the empty variant, labelled NO_STEP_YET."""


def variants(cases: pl.LazyFrame, by: Sequence[str] = ("offering",)) -> pl.LazyFrame:
    """Variants per `by` from a case table (VARIANT_SCHEMA), most frequent first.

    Ties in frequency are ordered by label, so the order is reproducible.
    """
    completed_lead = pl.col("lead_time_s").filter(pl.col("completed"))
    # polars 2.1 panics grouping a lazy frame of one row (a view of a single case) by a
    # list of Categorical: a compact variant is grouped by its steps' numbers instead.
    compact = cases.collect_schema()["variant"] == COMPACT_VARIANT
    key = pl.col("variant").list.eval(pl.element().to_physical()).alias(VARIANT_KEY)
    counted = aggregate(
        cases.with_columns(key) if compact else cases,
        [*by, VARIANT_KEY if compact else "variant"],
        [
            *([pl.col("variant").first()] if compact else []),
            pl.len().cast(pl.UInt32).alias("cases"),
            pl.col("completed").sum().cast(pl.UInt32).alias("completed_cases"),
            *distribution(completed_lead, "lead_time_s"),
        ],
    )
    total = pl.col("cases").sum()
    frame = counted.with_columns(
        share=pl.col("cases") / (total.over(by) if by else total),
        variant_label=pl.when(pl.col("variant").list.len() > 0)
        .then(variant_text().list.join(VARIANT_SEPARATOR))
        .otherwise(pl.lit(NO_STEP_YET)),
        length=pl.col("variant").list.len().cast(pl.UInt32),
    ).sort([*by, "cases", "variant_label"], descending=[*([False] * len(by)), True, False])
    schema = {name: pl.String() for name in by} | {
        k: v for k, v in VARIANT_SCHEMA.items() if k != "offering"
    }
    return conform(frame, schema)
