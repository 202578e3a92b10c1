"""The bounds of model.limits applied to a prepared import, before anything is stored.

Every reader and tool format ends in the same activity instances and open items; the
bounds are applied there once: rows with a time outside the sane range and the rows of
a case with more instances than a page can show are rejected, each saying why; an
offering with more distinct steps than the pages can draw refuses the file.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from model import REJECT_SCHEMA
from model.limits import (
    EARLIEST_TIME,
    LATEST_TIME,
    MAX_ACTIVITIES_PER_OFFERING,
    MAX_EVENTS_PER_CASE,
    time_range_text,
)
from pipelines.errors import IngestError
from pipelines.normalize import Normalized


def _outside(column: str) -> pl.Expr:
    return (pl.col(column) < EARLIEST_TIME) | (pl.col(column) >= LATEST_TIME)


def _time_reason(columns: tuple[str, ...]) -> pl.Expr:
    """Why a row's time is refused, or null (the first offending column)."""
    reason = pl.lit(None, pl.String)
    for column in reversed(columns):
        reason = (
            pl.when(_outside(column).fill_null(False))
            .then(
                pl.format(
                    "{} time {} is outside {}",
                    pl.lit(column),
                    pl.col(column).dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    pl.lit(time_range_text()),
                )
            )
            .otherwise(reason)
        )
    return reason


def _rejected(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("source_row").cast(pl.Int64),
        pl.col("__reason").alias("reason"),
        pl.lit(None, pl.String).alias("raw"),
    ).cast(REJECT_SCHEMA)  # type: ignore[arg-type]


def apply_bounds(norm: Normalized, file_name: str) -> Normalized:
    """``norm`` within model.limits: out-of-range times and overlong cases rejected (with
    their rows), or IngestError when an offering has too many distinct steps."""
    instances = norm.instances.with_columns(_time_reason(("start", "end")).alias("__reason"))
    long_cases = (
        instances.filter(pl.col("__reason").is_null())
        .group_by("offering", "case_id")
        .len()
        .filter(pl.col("len") > MAX_EVENTS_PER_CASE)
    )
    if long_cases.height:
        instances = (
            instances.join(long_cases, on=["offering", "case_id"], how="left")
            .with_columns(
                pl.when(pl.col("__reason").is_null() & pl.col("len").is_not_null())
                .then(
                    pl.format(
                        "case {} has {} activity instances; a case may have at most {}",
                        pl.col("case_id"),
                        pl.col("len"),
                        pl.lit(f"{MAX_EVENTS_PER_CASE:,}"),
                    )
                )
                .otherwise(pl.col("__reason"))
                .alias("__reason")
            )
            .drop("len")
        )
    bad = [instances.filter(pl.col("__reason").is_not_null())]
    kept = instances.filter(pl.col("__reason").is_null()).drop("__reason")
    open_items = norm.open_items
    if open_items is not None and open_items.height:
        marked = open_items.with_columns(_time_reason(("entered",)).alias("__reason"))
        bad.append(marked.filter(pl.col("__reason").is_not_null()))
        open_items = marked.filter(pl.col("__reason").is_null()).drop("__reason")
    refused = [_rejected(frame) for frame in bad if frame.height]
    steps = (
        pl.concat(
            [kept.select("offering", "activity")]
            + ([open_items.select("offering", "activity")] if open_items is not None else [])
        )
        .group_by("offering")
        .agg(pl.col("activity").n_unique().alias("n"))
        .filter(pl.col("n") > MAX_ACTIVITIES_PER_OFFERING)
    )
    if steps.height:
        offering, n = steps.row(0)
        raise IngestError(
            f"{file_name}: {offering!r} has {n:,} distinct activities; the dashboard shows at "
            f"most {MAX_ACTIVITIES_PER_OFFERING:,} per offering. Is the activity column really "
            "the step (not a comment, a title or an id)? Choose another column."
        )
    if not refused:
        return norm
    rejects = pl.concat([norm.rejects.cast(REJECT_SCHEMA), *refused]).sort(  # type: ignore[arg-type]
        "source_row", nulls_last=True
    )
    return replace(norm, instances=kept, rejects=rejects, open_items=open_items)
