"""Milestone spreadsheets ("wide" form): one row per case, one date column per step.

The person picks the date columns and their order; each filled cell becomes a step
completed at that date (an instance with an unknown start: METRICS.md counts waits
between completions as elapsed time and leaves process time unknown unless the
catalog gives a standard time). The last chosen column ends the case. Cells that
hold dates without a time of day are read as dates, and the import says that
durations are then in whole days.
"""

from __future__ import annotations

import re

import polars as pl

from pipelines.formats.base import (
    CATALOG_DEFAULT_SCHEMA,
    INSTANCE_SCHEMA,
    Converted,
    FormatOptions,
    IngestError,
    Source,
    column_named,
)
from pipelines.formats.status_history import classify_status, offering_for
from pipelines.mapping import Mapping, detect_mapping
from pipelines.normalize import REJECT_SCHEMA
from pipelines.readers import SOURCE_ROW, RawTable
from pipelines.timestamps import ParsedTimestamps, is_timestamp_like, parse_timestamps

_PLANNED = re.compile(r"(?i)\b(due|deadline|target|planned|plan|estimate[sd]?|eta|expected)\b")
DATE_ONLY_NOTE = (
    "The dates have no time of day: durations are in whole days (a step "
    "finished on a date counts from midnight)."
)


def date_columns(frame: pl.DataFrame) -> list[str]:
    """The columns whose filled cells read as dates or timestamps, in file order."""
    out = []
    for name in frame.columns:
        if name == SOURCE_ROW:
            continue
        values = frame[name]
        if values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
            out.append(name)
        elif values.dtype == pl.String and values.drop_nulls().len() > 0:
            sample = values.drop_nulls().head(500)
            if is_timestamp_like(sample, min_share=0.6):
                out.append(name)
    return out


def default_milestones(frame: pl.DataFrame) -> list[str]:
    """Every date column except planned dates (Due date, Deadline, Target ...)."""
    found = date_columns(frame)
    actual = [c for c in found if not _PLANNED.search(c)]
    return actual or found


def _is_midnight(parsed: ParsedTimestamps, tz: str) -> bool:
    present = parsed.values.drop_nulls()
    if present.len() == 0:
        return False
    local = present.dt.convert_time_zone(tz)
    return bool(
        (local.dt.hour() == 0).all()
        and (local.dt.minute() == 0).all()
        and (local.dt.second() == 0).all()
    )


def milestone_instances(
    table: RawTable,
    *,
    case_column: str,
    milestones: list[str],
    offering: str,
    resource_column: str | None = None,
    timezone: str = "UTC",
    day_first: bool | None = None,
    kinds: dict[str, str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str], dict[str, str], bool]:
    """Instances, rejects, catalog defaults, notes, formats and date-only flag."""
    frame = table.frame
    if not milestones:
        raise IngestError("Choose at least one date column: each becomes a step.")
    for column in [case_column, *milestones, *([resource_column] if resource_column else [])]:
        if column not in frame.columns:
            raise IngestError(f"The column {column!r} is not in the file.")
    used = {case_column, *milestones, *([resource_column] if resource_column else [])}
    rest = [c for c in frame.columns if c not in used and c != SOURCE_ROW]
    attributes = (
        pl.struct([pl.col(c).cast(pl.String) for c in rest]).struct.json_encode()
        if rest
        else pl.lit("{}")
    )
    case = pl.col(case_column).cast(pl.String).str.strip_chars()
    base = frame.select(
        pl.col(SOURCE_ROW).cast(pl.Int64),
        pl.when(case == "").then(None).otherwise(case).alias("case_id"),
        (
            pl.col(resource_column).cast(pl.String) if resource_column else pl.lit(None, pl.String)
        ).alias("resource"),
        attributes.alias("attributes"),
    )
    no_case = base.filter(pl.col("case_id").is_null())
    reject_parts = [
        pl.DataFrame(
            {
                "source_row": no_case[SOURCE_ROW],
                "reason": [f"no case id (column {case_column!r} is empty)"] * no_case.height,
                "raw": [None] * no_case.height,
            },
            schema=REJECT_SCHEMA,
        )
    ]
    parts = []
    formats: dict[str, str] = {}
    all_dates = True
    for position, column in enumerate(milestones):
        parsed = parse_timestamps(frame[column], tz=timezone, day_first=day_first)
        formats[column] = parsed.description
        all_dates = all_dates and (parsed.date_only or _is_midnight(parsed, timezone))
        cells = base.with_columns(
            pl.lit(parsed.values).alias("end"),
            pl.lit(parsed.failed).alias("__failed"),
            pl.col(SOURCE_ROW).alias("__row"),
            pl.lit(frame[column].cast(pl.String)).alias("__text"),
        ).filter(pl.col("case_id").is_not_null())
        failed = cells.filter(pl.col("__failed"))
        reject_parts.append(
            failed.select(
                pl.col(SOURCE_ROW).alias("source_row"),
                pl.format(f"date '{{}}' in column {column!r} is not a date", "__text").alias(
                    "reason"
                ),
                pl.lit(None, pl.String).alias("raw"),
            )
        )
        parts.append(
            cells.filter(pl.col("end").is_not_null()).select(
                pl.lit(offering).alias("offering"),
                "case_id",
                pl.lit(column).alias("activity"),
                pl.lit(None, pl.Datetime("us", "UTC")).alias("start"),
                "end",
                "resource",
                "attributes",
                pl.col(SOURCE_ROW).alias("source_row"),
                pl.lit(position).alias("__position"),
            )
        )
    rejects = (
        pl.concat(reject_parts, how="vertical_relaxed")
        .cast(REJECT_SCHEMA)  # type: ignore[arg-type]
        .sort("source_row", maintain_order=True)
    )
    long = pl.concat(parts, how="vertical_relaxed").sort(["source_row", "__position"])
    if long.height == 0:
        raise IngestError("None of the chosen date columns holds a date: choose other columns.")
    notes = []
    backwards = (
        long.with_columns(
            (pl.col("end") < pl.col("end").cum_max().over("offering", "case_id")).alias("__back")
        )
        .filter("__back")["case_id"]
        .n_unique()
    )
    if backwards:
        notes.append(
            f"{backwards:,} cases have a later step dated before an earlier one: steps "
            "are ordered by their dates, so these cases follow another path."
        )
    empty = base.filter(pl.col("case_id").is_not_null()).height - long["case_id"].n_unique()
    if empty > 0:
        notes.append(
            f"{empty:,} rows have none of the chosen dates: those cases have not "
            "started any step and are left out."
        )
    if all_dates:
        notes.append(DATE_ONLY_NOTE)
    instances = long.drop("__position").cast(INSTANCE_SCHEMA).select(list(INSTANCE_SCHEMA))  # type: ignore[arg-type]
    kinds = kinds or {}
    last = milestones[-1]
    catalog = pl.DataFrame(
        {
            "offering": [offering] * len(milestones),
            "activity": milestones,
            "kind": [
                kinds.get(m, "done" if m == last and classify_status(m) == "done" else "work")
                for m in milestones
            ],
            "is_end_activity": [m == last for m in milestones],
        },
        schema=CATALOG_DEFAULT_SCHEMA,
    )
    return instances, rejects, catalog, notes, formats, all_dates


def guess_case_column(frame: pl.DataFrame, dates: list[str]) -> str | None:
    """The case id column: the detected one, else an id-like name, else the first non-date."""
    detected = detect_mapping(frame).case
    if detected and detected not in dates:
        return detected
    columns = [c for c in frame.columns if c != SOURCE_ROW and c not in dates]
    named = column_named(columns, "id", "key", "item id", "name", "title", "case")
    return named or (columns[0] if columns else None)


def convert_wide(
    source: Source,
    options: FormatOptions,
    *,
    table: RawTable | None = None,
    case_default: str | None = None,
    resource_default: str | None = None,
    milestone_default: list[str] | None = None,
    kinds: dict[str, str] | None = None,
) -> Converted:
    """Convert a wide table with the person's choices over the format's defaults."""
    table = table or source.raw
    if table is None:
        raise IngestError(f"{source.file_name} is not a table.")
    frame = table.frame
    dates = date_columns(frame)
    case_column = options.case_column or case_default or guess_case_column(frame, dates)
    if case_column is None:
        raise IngestError(f"{source.file_name}: choose the column that identifies each case.")
    milestones = (
        list(options.milestones)
        if options.milestones is not None
        else (milestone_default if milestone_default is not None else default_milestones(frame))
    )
    resource = options.resource_column or resource_default
    offering = offering_for(source, options)
    instances, rejects, catalog, notes, formats, date_only = milestone_instances(
        table,
        case_column=case_column,
        milestones=milestones,
        offering=offering,
        resource_column=resource,
        timezone=source.timezone,
        day_first=source.day_first,
        kinds=kinds,
    )
    return Converted(
        instances=instances,
        rejects=rejects,
        rows_read=frame.height,
        catalog=catalog,
        table=table,
        mapping=Mapping(
            case=case_column,
            activity=None,
            end=", ".join(milestones),
            resource=resource,
            offering_name=offering,
        ),
        used=FormatOptions(
            milestones=tuple(milestones),
            case_column=case_column,
            resource_column=resource,
            offering_name=options.offering_name,
            include_subitems=options.include_subitems,
        ),
        notes=notes,
        timestamp_formats=formats,
        date_only=date_only,
        choices={"milestones": dates, "case_column": [c for c in frame.columns if c != SOURCE_ROW]},
    )


def _detect(source: Source) -> str | None:
    raw = source.raw
    if raw is None or raw.format == "xes":
        return None
    mapping = detect_mapping(raw.frame)
    if mapping.activity is not None:
        return None
    dates = date_columns(raw.frame)
    if len(dates) < 2:
        return None
    # One row per case: the case column (or the first column that is no date) barely
    # repeats; an event log whose activity column has an unusual name repeats its cases.
    case = mapping.case or next((c for c in source.columns() if c not in dates), None)
    if case is None or raw.frame[case].n_unique() < 0.9 * raw.frame.height:
        return None
    return (
        f"one row per case with {len(dates)} date columns "
        f"({', '.join(dates[:4])}{', ...' if len(dates) > 4 else ''}) and no activity column"
    )


def convert(source: Source, options: FormatOptions) -> Converted:
    return convert_wide(source, options)
