"""From a raw table and a column mapping to activity instances and explained rejects.

Every row either becomes (part of) an instance or is rejected with the reason a
person can act on: which row, which column, what was wrong. Lifecycle logs are
paired per METRICS.md: each `start` row is matched with the next `complete` row
of the same activity in the same case, first in first out (by instance id where
the log has one), which is what pm4py's `interval_lifecycle.to_interval` does.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import PurePath

import polars as pl

from model import REJECT_SCHEMA
from pipelines.errors import IngestError
from pipelines.mapping import Mapping
from pipelines.readers import RawTable
from pipelines.timestamps import ParsedTimestamps, parse_timestamps

ROW = "__source_row"


@dataclass
class Normalized:
    """An import's activity instances and rejects; for a status history also its open
    items (model.OPEN_ITEM_SCHEMA: the status each unfinished item is in now)."""

    instances: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int
    unpaired_starts: int = 0
    other_transitions: int = 0
    timestamp_formats: dict[str, str] = field(default_factory=dict)
    date_only: bool = False
    day_first: bool | None = None
    notes: list[str] = field(default_factory=list)
    open_items: pl.DataFrame | None = None


def offering_from_file_name(file_name: str) -> str:
    """The file's name without its extensions: 'orders_2025.csv.gz' → 'orders_2025'."""
    name = PurePath(file_name).name
    stem = re.sub(r"(\.(csv|tsv|txt|xlsx|xls|parquet|xes|json|gz|zip))+$", "", name, flags=re.I)
    return stem or name


def _text(column: str) -> pl.Expr:
    """A column as trimmed text, empty cells as null."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _check_columns(frame: pl.DataFrame, mapping: Mapping, file_name: str) -> None:
    missing = mapping.missing_required()
    if missing:
        found = ", ".join(repr(c) for c in frame.columns if c != ROW) or "none"
        raise IngestError(
            f"{file_name}: no column could be used as the {', '.join(missing)} "
            f"(columns found: {found}). Choose the columns by hand."
        )
    for role, column in mapping.to_dict().items():
        if role == "offering_name" or column is None:
            continue
        if column not in frame.columns:
            raise IngestError(f"{file_name}: the {role} column {column!r} is not in the file.")


def _attributes(frame: pl.DataFrame, used: set[str]) -> pl.Expr:
    """The source's other columns, kept as one JSON object per row."""
    rest = [c for c in frame.columns if c not in used and c != ROW]
    if not rest:
        return pl.lit("{}").alias("attributes")
    return (
        pl.struct([pl.col(c).cast(pl.String) for c in rest])
        .struct.json_encode()
        .alias("attributes")
    )


def _reason(mapping: Mapping) -> pl.Expr:
    """The first thing wrong with a row, or null when the row is good."""
    ts_col = f"column {mapping.end!r}"
    expr = (
        pl.when(pl.col("case_id").is_null())
        .then(pl.lit(f"no case id (column {mapping.case!r} is empty)"))
        .when(pl.col("activity").is_null())
        .then(pl.lit(f"no activity (column {mapping.activity!r} is empty)"))
    )
    if mapping.offering_column:
        expr = expr.when(pl.col("offering").is_null()).then(
            pl.lit(f"no offering (column {mapping.offering_column!r} is empty)")
        )
    expr = (
        expr.when(pl.col("__end_failed"))
        .then(pl.format("end time '{}' in {} is not a date and time", "__end_text", pl.lit(ts_col)))
        .when(pl.col("end").is_null())
        .then(pl.lit(f"no end time ({ts_col} is empty)"))
    )
    if mapping.start:
        expr = (
            expr.when(pl.col("__start_failed"))
            .then(
                pl.format(
                    "start time '{}' in column {} is not a date and time",
                    "__start_text",
                    pl.lit(repr(mapping.start)),
                )
            )
            .when(pl.col("start") > pl.col("end"))
            .then(
                pl.format(
                    "end ({}) is before start ({})",
                    pl.col("end").dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
                    pl.col("start").dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
                )
            )
        )
    return expr.otherwise(None)


def _parse_times(
    frame: pl.DataFrame, mapping: Mapping, timezone: str, day_first: bool | None
) -> tuple[ParsedTimestamps, ParsedTimestamps | None]:
    """The end and start columns parsed; the start reads numeric dates in the end's order.

    The two columns are parsed side by side (polars releases the GIL). The end's
    day/month order is only known once it is parsed, so without a given ``day_first``
    the start is parsed with the order left open, which is what it gets whenever the
    end has no order to pass on (ISO times, typed datetimes), and parsed again in the
    end's order otherwise.
    """
    assert mapping.end
    if not mapping.start:
        return parse_timestamps(frame[mapping.end], tz=timezone, day_first=day_first), None
    with ThreadPoolExecutor(max_workers=2) as pool:
        end_job = pool.submit(
            parse_timestamps, frame[mapping.end], tz=timezone, day_first=day_first
        )
        start_job = pool.submit(
            parse_timestamps, frame[mapping.start], tz=timezone, day_first=day_first
        )
        end = end_job.result()
        start = start_job.result()
    if day_first is None and end.day_first is not None:
        start = parse_timestamps(frame[mapping.start], tz=timezone, day_first=end.day_first)
    return end, start


def _pair_lifecycle(rows: pl.DataFrame, group: list[str]) -> tuple[pl.DataFrame, int, int]:
    """Pair start rows with complete rows, first in first out, per METRICS.md.

    A complete is matched exactly when the running count of unmatched completes
    does not grow at it: with D = completes − starts so far, unmatched completes
    so far are max(0, running max of D) (a queue that pops its oldest start). FIFO
    pops starts in order, so the m-th matched complete takes the m-th start.
    """
    is_start = pl.col("transition") == "start"
    is_complete = pl.col("transition") == "complete"
    other = rows.filter(~(is_start | is_complete)).height
    rows = rows.filter(is_start | is_complete).sort("__pos")
    rows = rows.with_columns(
        (is_complete.cast(pl.Int64).cum_sum() - is_start.cast(pl.Int64).cum_sum())
        .over(group)
        .alias("__d")
    ).with_columns(pl.col("__d").clip(lower_bound=0).cum_max().over(group).alias("__unmatched"))
    rows = rows.with_columns(
        (
            is_complete
            & (pl.col("__unmatched") == pl.col("__unmatched").shift(1, fill_value=0).over(group))
        ).alias("__matched")
    )
    starts = (
        rows.filter(is_start)
        .with_columns(pl.int_range(1, pl.len() + 1).over(group).alias("__k"))
        .select(
            [*group, "__k", pl.col("end").alias("__start_time"), pl.col(ROW).alias("__start_row")]
        )
    )
    completes = rows.filter(is_complete).with_columns(
        pl.when(pl.col("__matched"))
        .then(pl.col("__matched").cast(pl.Int64).cum_sum().over(group))
        .otherwise(None)
        .alias("__k")
    )
    paired = completes.join(starts, on=[*group, "__k"], how="left", nulls_equal=False)
    unpaired_starts = starts.height - paired["__start_time"].is_not_null().sum()
    paired = paired.with_columns(pl.col("__start_time").alias("start")).drop(
        "__d", "__unmatched", "__matched", "__k", "__start_time"
    )
    return paired.sort("__pos"), int(unpaired_starts), other


def normalize(
    raw: RawTable,
    mapping: Mapping,
    *,
    file_name: str,
    timezone: str = "UTC",
    day_first: bool | None = None,
) -> Normalized:
    """Apply a mapping to a raw table: instances, rejects with reasons, and what was detected."""
    frame = raw.frame
    if frame.height == 0:
        raise IngestError(f"{file_name}: the file has a header but no rows.")
    _check_columns(frame, mapping, file_name)
    assert mapping.case and mapping.activity and mapping.end

    end, start = _parse_times(frame, mapping, timezone, day_first)
    formats = {"end": end.description}
    if start is not None:
        formats["start"] = start.description
    if end.failed.sum() == frame.height:
        sample = frame[mapping.end].drop_nulls().cast(pl.String).head(1).to_list()
        raise IngestError(
            f"{file_name}: no value in the end time column {mapping.end!r} is a date and time "
            f"(first value: {sample[0] if sample else 'empty'!r}). Choose another column."
        )

    used = {
        c
        for c in (
            mapping.case,
            mapping.activity,
            mapping.end,
            mapping.start,
            mapping.resource,
            mapping.offering_column,
            mapping.lifecycle if not mapping.start else None,
            mapping.instance,
        )
        if c
    }
    offering = (
        _text(mapping.offering_column)
        if mapping.offering_column
        else pl.lit(mapping.offering_name or offering_from_file_name(file_name))
    )
    rows = frame.select(
        pl.col(ROW),
        offering.alias("offering"),
        _text(mapping.case).alias("case_id"),
        _text(mapping.activity).alias("activity"),
        (start.values if start is not None else pl.lit(None, pl.Datetime("us", "UTC"))).alias(
            "start"
        ),
        end.values.alias("end"),
        (_text(mapping.resource) if mapping.resource else pl.lit(None, pl.String)).alias(
            "resource"
        ),
        _attributes(frame, used),
        (
            _text(mapping.lifecycle).str.to_lowercase().fill_null("complete")
            if mapping.lifecycle and not mapping.start
            else pl.lit("complete")
        ).alias("transition"),
        (_text(mapping.instance).fill_null("") if mapping.instance else pl.lit("")).alias(
            "__instance"
        ),
        end.failed.alias("__end_failed"),
        # The text of a time is only quoted in the reason of a row that failed to parse.
        (_text(mapping.end) if end.failed.any() else pl.lit(None, pl.String)).alias("__end_text"),
        (start.failed if start is not None else pl.lit(False)).alias("__start_failed"),
        (
            _text(mapping.start)
            if mapping.start and start is not None and start.failed.any()
            else pl.lit(None, pl.String)
        ).alias("__start_text"),
    ).with_row_index("__pos")
    rows = rows.with_columns(_reason(mapping).alias("reason")).drop(
        "__end_failed", "__end_text", "__start_failed", "__start_text"
    )

    bad = rows.filter(pl.col("reason").is_not_null())
    raw_json = (
        frame.filter(pl.Series(rows["reason"].is_not_null())).select(
            pl.struct([pl.col(c).cast(pl.String) for c in frame.columns if c != ROW])
            .struct.json_encode()
            .alias("raw")
        )
        if bad.height
        else pl.DataFrame({"raw": []}, schema={"raw": pl.String})
    )
    rejects = pl.DataFrame(
        {"source_row": bad[ROW], "reason": bad["reason"], "raw": raw_json["raw"]},
        schema=REJECT_SCHEMA,
    )
    good = rows.filter(pl.col("reason").is_null())

    unpaired = other = 0
    if mapping.lifecycle and not mapping.start:
        good, unpaired, other = _pair_lifecycle(
            good, ["offering", "case_id", "activity", "__instance"]
        )
        backwards = good.filter(pl.col("start") > pl.col("end"))
        if backwards.height:
            rejects = pl.concat(
                [
                    rejects,
                    pl.DataFrame(
                        {
                            "source_row": backwards[ROW],
                            "reason": backwards.select(
                                pl.format(
                                    "completes ({}) before its start row {} ({})",
                                    pl.col("end").dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
                                    pl.col("__start_row"),
                                    pl.col("start").dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
                                )
                            ).to_series(),
                            "raw": [None] * backwards.height,
                        },
                        schema=REJECT_SCHEMA,
                    ),
                ]
            ).sort("source_row")
            good = good.filter(~(pl.col("start") > pl.col("end")).fill_null(False))

    instances = good.select(
        "offering",
        "case_id",
        "activity",
        "start",
        "end",
        "resource",
        "attributes",
        pl.col(ROW).cast(pl.Int64).alias("source_row"),
    )
    notes = []
    if unpaired:
        notes.append(
            f"{unpaired:,} start rows never completed: that work has not finished, so they "
            "are not activity instances (METRICS.md)."
        )
    if other:
        notes.append(
            f"{other:,} rows with other lifecycle transitions (schedule, assign, suspend, ...) "
            "are not activity instances."
        )
    if end.date_only:
        notes.append("The end times are dates without a time of day: durations are in whole days.")
    if raw.details.get("values kept as text"):
        notes.append(
            f"Values kept as text: {raw.details['values kept as text']}; a time among them "
            "is read from its text, or its row rejected."
        )
    if raw.details.get("stray quotes"):
        notes.append(f"Stray quotes in the file: {raw.details['stray quotes']}; check those rows.")
    if mapping.start and start is not None and start.values.null_count() == frame.height:
        notes.append(
            f"The start column {mapping.start!r} is empty: start times are unknown, so waits "
            "are elapsed times between completions and process times are unknown."
        )
    return Normalized(
        instances=instances,
        rejects=rejects,
        rows_read=frame.height,
        unpaired_starts=unpaired,
        other_transitions=other,
        timestamp_formats=formats,
        date_only=end.date_only,
        day_first=end.day_first,
        notes=notes,
    )
