"""Status histories as activity instances (docs/EVENT_MODEL.md).

Boards record when an item changed status, not when work on a step started and
ended. Each period an item spends in a status is an instance of that status: it
starts when the item entered the status and ends at the next change. A change
into a done status is an instantaneous instance (start = end) that ends the case.
The status an unfinished item is in now has not ended, so it is not an instance
(like a lifecycle ``start`` that never completed): it is returned as an open item,
which keeps the case open with that status as its current step.

Rules for the awkward parts of real histories, all vectorised per item:

- A change into the status the item already has continues the period (monday.com
  logs a label set twice; Jira logs status and resolution together).
- A change from one done status into another (Resolved → Closed, Merged → Closed)
  does not end the case a second time: it ended at the first.
- When the first recorded change says which status the item came from, that
  earlier period is an instance with an unknown start (the export began later).
- The resource of a period is who moved the item out of the status (who finished
  that step); for a done status, who moved it in.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field

import polars as pl

from model import UTC_MICROS as UTC
from pipelines.formats.base import (
    CATALOG_DEFAULT_SCHEMA,
    INSTANCE_SCHEMA,
    OPEN_ITEM_SCHEMA,
    Converted,
    FormatOptions,
    IngestError,
    Source,
    column_named,
    key,
)
from pipelines.formats.status_words import classify_status, is_stage_done
from pipelines.mapping import Mapping
from pipelines.normalize import REJECT_SCHEMA, offering_from_file_name
from pipelines.readers import SOURCE_ROW, RawTable
from pipelines.timestamps import parse_timestamps


@dataclass(frozen=True)
class StatusColumns:
    """Which column of a flattened history plays which part.

    ``field`` names what changed in each row (Jira's ``field``, monday.com's
    ``Column``); with ``follow`` set, only rows whose field is ``follow`` are changes.
    """

    case: str
    time: str
    status: str
    previous: str | None = None
    resource: str | None = None
    field: str | None = None
    follow: str | None = None

    def used(self) -> set[str]:
        return {
            c
            for c in (self.case, self.time, self.status, self.previous, self.resource, self.field)
            if c
        }


@dataclass
class StatusResult:
    instances: pl.DataFrame
    rejects: pl.DataFrame
    catalog: pl.DataFrame
    open_items: pl.DataFrame
    notes: list[str] = field(default_factory=list)
    timestamp_formats: dict[str, str] = field(default_factory=dict)


def _text(column: str) -> pl.Expr:
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _key_expr(column: str) -> pl.Expr:
    """:func:`key` as an expression."""
    return pl.col(column).cast(pl.String).str.to_lowercase().str.replace_all(r"[\s_\-.]+", "")


def _attributes(frame: pl.DataFrame, used: set[str]) -> pl.Expr:
    rest = [
        c for c in frame.columns if c not in used and c != SOURCE_ROW and not c.startswith("__")
    ]
    if not rest:
        return pl.lit("{}")
    return pl.struct([pl.col(c).cast(pl.String) for c in rest]).struct.json_encode()


def plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def from_table(
    table: RawTable,
    columns: StatusColumns,
    *,
    offering: str,
    timezone: str = "UTC",
    day_first: bool | None = None,
    kinds: MappingABC[str, str] | None = None,
    blank_status: str | None = None,
    order: str | None = None,
) -> StatusResult:
    """Turn a flattened status history (one row per change) into activity instances.

    ``kinds`` overrides :func:`classify_status` for statuses a format names itself;
    ``blank_status`` names an emptied status (else a row without one is rejected);
    ``order`` is a column that orders changes at the same instant (default: file order).
    """
    frame = table.frame
    for role, column in (
        ("item", columns.case),
        ("time", columns.time),
        ("status", columns.status),
        ("previous status", columns.previous),
        ("user", columns.resource),
        ("field", columns.field),
    ):
        if column is not None and column not in frame.columns:
            raise IngestError(f"The {role} column {column!r} is not in the file.")
    notes: list[str] = []
    if columns.field and columns.follow:
        wanted = key(columns.follow)
        is_followed = _key_expr(columns.field) == wanted
        keep = frame.select(is_followed.fill_null(False)).to_series()
        skipped = frame.height - int(keep.sum())
        frame = frame.filter(keep)
        if skipped:
            notes.append(
                f"{plural(skipped, 'row changes', 'rows change')} something other than "
                f"{columns.follow!r} and {'is' if skipped == 1 else 'are'} not a status change."
            )
        if frame.height == 0:
            raise IngestError(
                f"No row of the file changes {columns.follow!r}: choose another column to follow."
            )
    parsed = parse_timestamps(frame[columns.time], tz=timezone, day_first=day_first)
    status = _text(columns.status)
    if blank_status is not None:
        status = status.fill_null(pl.lit(blank_status))
    rows = frame.select(
        pl.col(SOURCE_ROW).cast(pl.Int64),
        pl.lit(offering).alias("offering"),
        _text(columns.case).alias("case_id"),
        pl.lit(parsed.values).alias("time"),
        status.alias("status"),
        (_text(columns.previous) if columns.previous else pl.lit(None, pl.String)).alias(
            "previous"
        ),
        (_text(columns.resource) if columns.resource else pl.lit(None, pl.String)).alias(
            "resource"
        ),
        _attributes(frame, columns.used() | ({order} if order else set())).alias("attributes"),
        (pl.col(order) if order else pl.col(SOURCE_ROW)).cast(pl.Float64).alias("__order"),
        pl.lit(parsed.failed).alias("__failed"),
        _text(columns.time).alias("__time_text"),
    )
    reason = (
        pl.when(pl.col("case_id").is_null())
        .then(pl.lit(f"no item (column {columns.case!r} is empty)"))
        .when(pl.col("__failed"))
        .then(
            pl.format(
                f"time '{{}}' in column {columns.time!r} is not a date and time", "__time_text"
            )
        )
        .when(pl.col("time").is_null())
        .then(pl.lit(f"no time (column {columns.time!r} is empty)"))
        .when(pl.col("status").is_null())
        .then(pl.lit(f"no new status (column {columns.status!r} is empty)"))
        .otherwise(None)
    )
    rows = rows.with_columns(reason.alias("__reason"))
    bad = rows.filter(pl.col("__reason").is_not_null())
    rejects = pl.DataFrame(schema=REJECT_SCHEMA)
    if bad.height:
        raw_json = frame.filter(rows["__reason"].is_not_null()).select(
            pl.struct([pl.col(c).cast(pl.String) for c in frame.columns if c != SOURCE_ROW])
            .struct.json_encode()
            .alias("raw")
        )
        rejects = pl.DataFrame(
            {"source_row": bad[SOURCE_ROW], "reason": bad["__reason"], "raw": raw_json["raw"]},
            schema=REJECT_SCHEMA,
        )
    good = rows.filter(pl.col("__reason").is_null()).drop("__failed", "__time_text", "__reason")
    if good.height == 0:
        first = rejects["reason"].head(1).to_list()
        raise IngestError(
            "None of the file's changes could be read" + (f": {first[0]}." if first else ".")
        )
    instances, history_notes, catalog, open_items = changes_to_instances(good, kinds=kinds)
    return StatusResult(
        instances,
        rejects,
        catalog,
        open_items,
        notes + history_notes,
        {"change": parsed.description},
    )


def terminal_stage_statuses(rows: pl.DataFrame, kind_of: MappingABC[str, str]) -> set[str]:
    """ "X Done" statuses that are a board's last column: no status is done and no item
    ever leaves them (a "Dev Done" that items leave is a queue before the next stage).

    ``rows`` are changes sorted by item and time, a repeated status already dropped.
    """
    if any(k == "done" for k in kind_of.values()):
        return set()
    same_item = (pl.col("case_id") == pl.col("case_id").shift(-1)) & (
        pl.col("offering") == pl.col("offering").shift(-1)
    )
    left = set(rows["previous"].drop_nulls().to_list()) | set(
        rows.filter(same_item)["status"].to_list()
    )
    return {s for s in rows["status"].drop_nulls().unique() if is_stage_done(s) and s not in left}


def changes_to_instances(
    changes: pl.DataFrame, *, kinds: MappingABC[str, str] | None = None
) -> tuple[pl.DataFrame, list[str], pl.DataFrame, pl.DataFrame]:
    """Status periods from changes (offering, case_id, time, status, previous, resource,
    attributes, __source_row, __order): instances, notes, catalog defaults and open items.

    The open items (OPEN_ITEM_SCHEMA) are the periods that have not ended: the status
    each unfinished item is in now, entered at its last change, by who made it.
    """
    kinds = kinds or {}
    g = ["offering", "case_id"]
    rows = changes.sort([*g, "time", "__order"], maintain_order=True)
    statuses = rows["status"].unique().drop_nulls().to_list()
    previous = rows["previous"].unique().drop_nulls().to_list()
    kind_of = {s: kinds.get(s, classify_status(s)) for s in set(statuses) | set(previous)}

    n_before = rows.height
    rows = rows.filter((pl.col("status") != pl.col("status").shift(1).over(g)).fill_null(True))
    repeated = n_before - rows.height
    for status in terminal_stage_statuses(rows, kind_of):
        if status not in kinds:
            kind_of[status] = "done"
    kind = pl.col("status").replace_strict(kind_of, default="work", return_dtype=pl.String)
    rows = rows.with_columns(kind.alias("__kind"))
    after_done = (pl.col("__kind") == "done") & (pl.col("__kind").shift(1).over(g) == "done")
    n_before = rows.height
    rows = rows.filter(~after_done.fill_null(False))
    done_again = n_before - rows.height

    rows = rows.with_columns(
        pl.int_range(pl.len()).over(g).alias("__seq"),
        pl.col("status").shift(1).over(g).alias("__prior"),
        pl.col("time").shift(-1).over(g).alias("__next_time"),
        pl.col("resource").shift(-1).over(g).alias("__next_resource"),
        pl.col(SOURCE_ROW).shift(-1).over(g).alias("__next_row"),
    )
    mismatched = rows.filter(
        pl.col("previous").is_not_null()
        & pl.col("__prior").is_not_null()
        & (pl.col("previous").str.to_lowercase() != pl.col("__prior").str.to_lowercase())
    ).height
    first_from = rows.filter(
        (pl.col("__seq") == 0)
        & pl.col("previous").is_not_null()
        & (pl.col("previous").str.to_lowercase() != pl.col("status").str.to_lowercase())
    )
    initial = first_from.select(
        *g,
        pl.col("previous").alias("activity"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("start"),
        pl.col("time").alias("end"),
        "resource",
        "attributes",
        pl.col(SOURCE_ROW).alias("source_row"),
        pl.lit(-1, pl.Int64).alias("__seq"),
    )
    is_done = pl.col("__kind") == "done"
    periods = rows.filter(is_done | pl.col("__next_time").is_not_null()).select(
        *g,
        pl.col("status").alias("activity"),
        pl.col("time").alias("start"),
        pl.when(is_done).then(pl.col("time")).otherwise(pl.col("__next_time")).alias("end"),
        pl.when(is_done)
        .then(pl.col("resource"))
        .otherwise(pl.col("__next_resource"))
        .alias("resource"),
        "attributes",
        pl.when(is_done)
        .then(pl.col(SOURCE_ROW))
        .otherwise(pl.col("__next_row"))
        .alias("source_row"),
        pl.col("__seq").cast(pl.Int64),
    )
    instances = (
        pl.concat([initial, periods], how="vertical_relaxed")
        .sort([*g, "__seq"], maintain_order=True)
        .drop("__seq")
        .cast(INSTANCE_SCHEMA)  # type: ignore[arg-type]
        .select(list(INSTANCE_SCHEMA))
    )
    open_rows = rows.filter(~is_done & pl.col("__next_time").is_null())
    open_items = open_rows.select(
        *g,
        pl.col("status").alias("activity"),
        pl.col("time").alias("entered"),
        "resource",
        "attributes",
        pl.col(SOURCE_ROW).alias("source_row"),
    ).cast(OPEN_ITEM_SCHEMA)  # type: ignore[arg-type]
    born_done = rows.filter((pl.col("__seq") == 0) & is_done & pl.col("previous").is_null())
    notes = _notes(open_rows, initial, repeated, done_again, mismatched, instances, kind_of)
    if born_done.height:
        names = born_done["status"].value_counts(sort=True)["status"].to_list()
        notes.append(
            f"{plural(born_done.height, 'item was', 'items were')} created straight into a "
            f"done status ({_examples(names)}): finished work recorded after the fact, with "
            "a lead time of 0 and no steps to measure."
        )
    catalog = (
        pl.concat(
            [instances.select("offering", "activity"), open_items.select("offering", "activity")]
        )
        .unique(maintain_order=True)
        .with_columns(
            pl.col("activity")
            .replace_strict(kind_of, default="work", return_dtype=pl.String)
            .alias("kind")
        )
        .with_columns((pl.col("kind") == "done").alias("is_end_activity"))
        .cast(CATALOG_DEFAULT_SCHEMA)  # type: ignore[arg-type]
    )
    return instances, notes, catalog, open_items


def _examples(values: list[str], n: int = 3) -> str:
    shown = ", ".join(f"'{v}'" for v in values[:n])
    return shown + (", ..." if len(values) > n else "")


def _notes(
    open_rows: pl.DataFrame,
    initial: pl.DataFrame,
    repeated: int,
    done_again: int,
    mismatched: int,
    instances: pl.DataFrame,
    kind_of: dict[str, str],
) -> list[str]:
    notes = []
    if open_rows.height:
        current = open_rows["status"].value_counts(sort=True)["status"].to_list()
        notes.append(
            f"{plural(open_rows.height, 'item is', 'items are')} still in a status "
            f"({_examples(current)}): that period has not ended, so it is not an instance; "
            "each is an open case whose current step is that status (docs/EVENT_MODEL.md)."
        )
    if initial.height:
        notes.append(
            f"For {plural(initial.height, 'item', 'items')} the export starts after the item "
            f"entered its first status ({_examples(initial['activity'].unique().sort().to_list())}): "
            "that period's start is unknown."
        )
    if repeated:
        notes.append(
            f"{plural(repeated, 'change sets', 'changes set')} the status the item "
            "already had: the period simply continues."
        )
    if done_again:
        notes.append(
            f"{plural(done_again, 'change goes', 'changes go')} from one done status to "
            "another (e.g. Resolved → Closed): the case ended at the first."
        )
    if mismatched:
        notes.append(
            f"{plural(mismatched, 'change says', 'changes say')} the item came from a "
            "status other than the one recorded before it: the export misses some "
            "changes; periods follow the recorded order."
        )
    found = instances["activity"].unique().to_list()
    if found and not any(kind_of.get(a) == "done" for a in found):
        notes.append(
            "No status was recognised as done, so no case is completed yet: mark the "
            "done statuses in the Activity catalog (kind 'done')."
        )
    return notes


def guess_columns(columns: list[str]) -> StatusColumns | None:
    """Status-history roles from header names, or None when the header is not one."""
    case = column_named(
        columns,
        "item",
        "item id",
        "item name",
        "issue_key",
        "issue key",
        "key",
        "issue_id",
        "issue",
        "card_id",
        "card",
        "ticket",
        "case",
        "case id",
        "id",
        "pulse_id",
        "number",
    )
    time = column_named(
        columns,
        "time",
        "timestamp",
        "changed at",
        "changed",
        "date",
        "created",
        "created_date",
        "created at",
        "created_at",
        "updated",
        "datetime",
        "date time",
        "when",
    )
    status = column_named(
        columns,
        "to_status",
        "to status",
        "new status",
        "status to",
        "to_string",
        "tostring",
        "new value",
        "new_value",
        "to",
        "status",
        "list_after",
        "state",
    )
    if not (case and time and status):
        return None
    previous = column_named(
        columns,
        "from_status",
        "from status",
        "previous status",
        "old status",
        "status from",
        "from_string",
        "fromstring",
        "previous value",
        "previous_value",
        "old value",
        "from",
        "list_before",
    )
    resource = column_named(
        columns,
        "user",
        "author",
        "author_key",
        "changed by",
        "by",
        "actor",
        "member",
        "person",
        "who",
        "user name",
    )
    field_col = column_named(columns, "field", "column", "column title", "attribute")
    return StatusColumns(
        case=case, time=time, status=status, previous=previous, resource=resource, field=field_col
    )


def _detect(source: Source) -> str | None:
    columns = source.columns()
    guess = guess_columns(columns)
    if guess is None or guess.previous is None:
        return None
    return (
        f"one row per status change: item {guess.case!r}, time {guess.time!r}, "
        f"new status {guess.status!r}, previous {guess.previous!r}"
    )


def offering_for(source: Source, options: FormatOptions) -> str:
    return options.offering_name or offering_from_file_name(source.file_name)


def convert_status_table(
    source: Source,
    options: FormatOptions,
    guessed: StatusColumns,
    *,
    kinds: MappingABC[str, str] | None = None,
    blank_status: str | None = None,
    follow_default: str | None = None,
    table: RawTable | None = None,
    order: str | None = None,
) -> Converted:
    """Apply the person's column choices over ``guessed`` and convert."""
    table = table or source.raw
    if table is None:
        raise IngestError(f"{source.file_name} is not a table.")
    field_col = options.field_column or guessed.field
    follow = options.follow or guessed.follow or follow_default
    columns = StatusColumns(
        case=options.case_column or guessed.case,
        time=options.time_column or guessed.time,
        status=options.status_column or guessed.status,
        previous=options.previous_column or guessed.previous,
        resource=options.resource_column or guessed.resource,
        field=field_col,
        follow=follow if field_col else None,
    )
    offering = offering_for(source, options)
    result = from_table(
        table,
        columns,
        offering=offering,
        timezone=source.timezone,
        day_first=source.day_first,
        kinds=kinds,
        blank_status=blank_status,
        order=order,
    )
    choices: dict[str, list[str]] = {}
    if field_col:
        values = table.frame[field_col].drop_nulls().cast(pl.String).value_counts(sort=True)
        choices["follow"] = values[field_col].to_list()
    used = FormatOptions(
        follow=columns.follow,
        case_column=columns.case,
        time_column=columns.time,
        status_column=columns.status,
        previous_column=columns.previous,
        resource_column=columns.resource,
        field_column=columns.field,
        offering_name=options.offering_name,
    )
    return Converted(
        instances=result.instances,
        open_items=result.open_items,
        rejects=result.rejects,
        rows_read=table.frame.height,
        catalog=result.catalog,
        table=table,
        mapping=Mapping(
            case=columns.case,
            activity=columns.status,
            end=columns.time,
            resource=columns.resource,
            offering_name=offering,
        ),
        used=used,
        notes=result.notes,
        timestamp_formats=result.timestamp_formats,
        choices=choices,
    )


def convert(source: Source, options: FormatOptions) -> Converted:
    """The generic status history: one row per change, columns chosen by the person."""
    guessed = guess_columns(source.columns())
    if guessed is None:
        if not (options.case_column and options.time_column and options.status_column):
            raise IngestError(
                f"{source.file_name}: choose the item, time and new-status columns "
                "of the status history."
            )
        guessed = StatusColumns(options.case_column, options.time_column, options.status_column)
    return convert_status_table(source, options, guessed)


STATUS_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "status": pl.String(),
    "kind": pl.String(),
    "counts_as": pl.String(),
    "instances": pl.UInt32(),
    "hours": pl.Float64(),
    "share_of_time": pl.Float64(),
    "without_start": pl.UInt32(),
    "open_items": pl.UInt32(),
    "open_hours": pl.Float64(),
}
"""One row per status of an offering: how it counts and the time at stake.

`kind` is the proposed (or confirmed) kind and `counts_as` says in words what it does to
the figures. `instances` are the periods that ended in it, `hours` their total length
(periods with a known start), `share_of_time` those hours / the hours of every status
of the offering (what moves between process and wait time if the kind changes).
`without_start` counts periods whose start the export does not give. `open_items` are
the items in it now and `open_hours` their time in it so far, up to the latest time of
the offering's import (what aging shows)."""

COUNTS_AS = {
    "work": "work: process time",
    "waiting": "waiting: adds to wait, never to process time",
    "done": "done: ends the case",
}


def status_summary(
    instances: pl.DataFrame, catalog: pl.DataFrame, open_items: pl.DataFrame | None = None
) -> pl.DataFrame:
    """How each status of a status-history import counts, with the time at stake
    (STATUS_SUMMARY_SCHEMA), longest first within each offering.

    ``instances`` and ``open_items`` are a prepared import's (``Normalized.instances`` and
    ``.open_items``), ``catalog`` its proposed kinds (``catalog_defaults``) or the
    warehouse's catalog: any frame with offering, activity and kind. A status with no
    catalog row is work, as in the metrics.
    """
    key = ["offering", "status"]
    opened = (
        open_items
        if open_items is not None
        else pl.DataFrame(schema={"offering": pl.String, "activity": pl.String, "entered": UTC})
    )
    latest = (
        pl.concat(
            [
                instances.select("offering", pl.col("end").alias("at")),
                opened.select("offering", pl.col("entered").alias("at")),
            ]
        )
        .group_by("offering")
        .agg(pl.col("at").max().alias("_now"))
    )
    ended = instances.group_by("offering", pl.col("activity").alias("status")).agg(
        instances=pl.len().cast(pl.UInt32),
        hours=((pl.col("end") - pl.col("start")).dt.total_seconds(fractional=True) / 3600).sum(),
        without_start=pl.col("start").is_null().sum().cast(pl.UInt32),
    )
    current = (
        opened.join(latest, on="offering", how="left")
        .group_by("offering", pl.col("activity").alias("status"))
        .agg(
            open_items=pl.len().cast(pl.UInt32),
            open_hours=(
                (pl.col("_now") - pl.col("entered")).dt.total_seconds(fractional=True) / 3600
            ).sum(),
        )
    )
    kinds = catalog.select("offering", pl.col("activity").alias("status"), "kind").unique(
        key, keep="first"
    )
    frame = (
        ended.join(current, on=key, how="full", coalesce=True)
        .join(kinds, on=key, how="left")
        .with_columns(
            pl.col("kind").fill_null("work"),
            pl.col("instances", "without_start", "open_items").fill_null(0),
            pl.col("hours", "open_hours").fill_null(0.0),
        )
        .with_columns(
            counts_as=pl.col("kind").replace_strict(COUNTS_AS, default=None),
            share_of_time=pl.when(pl.col("hours").sum().over("offering") > 0).then(
                pl.col("hours") / pl.col("hours").sum().over("offering")
            ),
        )
        .sort(["offering", "hours", "open_hours", "status"], descending=[False, True, True, False])
    )
    return frame.select([pl.col(c).cast(t) for c, t in STATUS_SUMMARY_SCHEMA.items()])
