"""Linear and Asana CSV exports: one row per issue or task with its key dates.

Layouts in ../shared/EXPORT_FORMATS.md (c2, c3). Linear records when an issue
started and completed (or was canceled), so its dates make a short status history:
"Not started" (waiting) from Created, "In progress" (work) from Started, then
"Done" or "Canceled" (done). Asana's export has only Created At and Completed At
(its Start Date and Due Date are plans, not events), so those two are milestones.
"""

from __future__ import annotations

import polars as pl

from pipelines.formats.base import (
    Converted,
    FormatOptions,
    IngestError,
    Source,
    column_named,
)
from pipelines.formats.status_history import StatusColumns, convert_status_table
from pipelines.formats.wide import convert_wide
from pipelines.readers import SOURCE_ROW, RawTable

LINEAR_STAGES = [
    ("Created", "Not started"),
    ("Started", "In progress"),
    ("Completed", "Done"),
    ("Canceled", "Canceled"),
]
LINEAR_KINDS = {"Not started": "waiting", "In progress": "work", "Done": "done", "Canceled": "done"}


def _detect_linear(source: Source) -> str | None:
    if source.has_columns("ID", "Team", "Title", "Created", "Completed") and (
        source.has_columns("Started") or source.has_columns("Canceled")
    ):
        return "a Linear issue export (ID, Team, Title, Created, Started, Completed)"
    return None


def convert_linear(source: Source, options: FormatOptions) -> Converted:
    raw = source.raw
    if raw is None:
        raise IngestError(f"{source.file_name} is not a table.")
    columns = source.columns()
    case = options.case_column or column_named(columns, "ID", "Identifier", "UUID")
    if case is None:
        raise IngestError(f"{source.file_name} has no ID column.")
    assignee = column_named(columns, "Assignee")
    dates = {column_named(columns, c): status for c, status in LINEAR_STAGES}
    used = {case, *(c for c in dates if c), *([assignee] if assignee else [])}
    rest = [c for c in raw.frame.columns if c not in used and c != SOURCE_ROW]
    parts = []
    for order, (column, status) in enumerate(dates.items()):
        if column is None:
            continue
        parts.append(
            raw.frame.filter(pl.col(column).is_not_null()).select(
                pl.col(SOURCE_ROW),
                pl.col(case).alias("ID"),
                pl.col(column).cast(pl.String).alias("time"),
                pl.lit(status).alias("status"),
                (pl.col(assignee) if assignee else pl.lit(None, pl.String)).alias("Assignee"),
                pl.lit(order).alias("__order"),
                *[pl.col(c) for c in rest],
            )
        )
    long = pl.concat(parts, how="vertical_relaxed").sort(SOURCE_ROW, "__order")
    table = RawTable(long, raw.format, {**raw.details, "layout": "Linear issues"}, raw.sheets)
    converted = convert_status_table(
        source,
        FormatOptions(offering_name=options.offering_name),
        StatusColumns(case="ID", time="time", status="status", resource="Assignee"),
        kinds=LINEAR_KINDS,
        table=table,
        order="__order",
    )
    converted.rows_read = raw.frame.height
    converted.table = raw
    converted.used = FormatOptions(case_column=case, offering_name=options.offering_name)
    return converted


def _detect_asana(source: Source) -> str | None:
    if source.has_columns("Task ID", "Created At", "Completed At"):
        return "an Asana project export (Task ID, Created At, Completed At, Section/Column)"
    return None


def convert_asana(source: Source, options: FormatOptions) -> Converted:
    columns = source.columns()
    steps = [
        c for c in (column_named(columns, "Created At"), column_named(columns, "Completed At")) if c
    ]
    converted = convert_wide(
        source,
        options,
        case_default=column_named(columns, "Task ID"),
        resource_default=column_named(columns, "Assignee"),
        milestone_default=steps,
        kinds={steps[-1]: "done"} if steps else None,
    )
    converted.notes.insert(
        0,
        "Asana's export has only creation and completion dates (Start "
        "Date and Due Date are plans): lead time is known, the split into "
        "work and wait is not.",
    )
    return converted
