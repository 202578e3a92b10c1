"""monday.com: the activity log (API JSON or the UI's Excel/CSV export) and the board export.

Layouts in ../shared/EXPORT_FORMATS.md (a1, a3, a4). The activity log is a status
history: the person picks the column to follow (Status by default) or moves between
groups. The board export holds only each item's current values, so its date columns
are the steps (milestones, see wide.py); its sheet is not a flat table (board title,
per-group title, header, footer and subitem rows), so it is re-read here row by row.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from pipelines.formats.base import (
    Converted,
    FormatOptions,
    IngestError,
    Source,
    column_named,
    key,
    table_from_records,
)
from pipelines.formats.status_history import StatusColumns, convert_status_table
from pipelines.formats.status_words import NO_STATUS
from pipelines.formats.wide import convert_wide, date_columns, default_milestones
from pipelines.readers import SOURCE_ROW, RawTable

GROUP = "Group"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ZIP_MAGIC = b"PK\x03\x04"
_ITEM_EVENTS = {
    "create_pulse",
    "update_column_value",
    "move_pulse_to_group",
    "archive_pulse",
    "delete_pulse",
    "restore_pulse",
}
_TERMINAL = {"archive_pulse": "Archived", "delete_pulse": "Deleted"}


def _find_logs(doc: Any) -> list[dict[str, Any]] | None:
    """The activity-log entries inside a GraphQL answer, a boards list or a bare list."""
    if isinstance(doc, list):
        if doc and all(isinstance(e, dict) for e in doc):
            if all("event" in e and "created_at" in e for e in doc[:50]):
                return doc
            found: list[dict[str, Any]] = []
            for entry in doc:
                logs = _find_logs(entry)
                if logs:
                    found.extend(logs)
            return found or None
        return None
    if isinstance(doc, dict):
        for name in ("activity_logs", "data", "boards", "logs", "items"):
            if name in doc:
                logs = _find_logs(doc[name])
                if logs:
                    return logs
    return None


def _data(entry: dict[str, Any]) -> dict[str, Any]:
    value = entry.get("data")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def value_text(value: Any) -> str | None:
    """A column value as the text a person sees: a status label, a date, a name."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "{[":
            try:
                return value_text(json.loads(stripped))
            except json.JSONDecodeError:
                pass
        return stripped or None
    if isinstance(value, dict):
        label = value.get("label")
        if isinstance(label, dict):
            return value_text(label.get("text"))
        if isinstance(label, str):
            return label or None
        if "date" in value:
            date = value_text(value.get("date"))
            time = value_text(value.get("time"))
            return f"{date} {time}" if date and time else date
        for name in ("text", "name", "title", "value"):
            if name in value:
                return value_text(value[name])
        if "personsAndTeams" in value:
            return ", ".join(str(p.get("id")) for p in value["personsAndTeams"] or [])
        return json.dumps(value, sort_keys=True)
    if isinstance(value, list):
        parts = [value_text(v) for v in value]
        return ", ".join(p for p in parts if p) or None
    return str(value)


def _time(created_at: Any) -> str | None:
    """monday.com's created_at is Unix time in units of 100 ns (17 digits)."""
    text = str(created_at).strip() if created_at is not None else ""
    if text.isdigit() and len(text) >= 16:
        return (_EPOCH + timedelta(microseconds=int(text) // 10)).isoformat()
    return text or None


def _group_title(value: Any) -> str | None:
    if isinstance(value, dict):
        return value_text(value.get("title") or value.get("name") or value.get("id"))
    return value_text(value)


def _is_log_entry(entry: dict[str, Any]) -> bool:
    """What makes a monday.com activity-log entry itself: a 17-digit ``created_at`` (100 ns
    units) and a ``data`` object naming a board, item or column (other tools' event lists
    also have ``event`` and ``created_at``, with ISO dates)."""
    created = str(entry.get("created_at") or "").strip()
    if not (created.isdigit() and 16 <= len(created) <= 18):
        return False
    data = _data(entry)
    return any(k in data for k in ("pulse_id", "item_id", "board_id", "column_id"))


def _api_logs(source: Source) -> list[dict[str, Any]] | None:
    logs: list[dict[str, Any]] | None = None
    doc = source.json()
    if doc is not None:
        logs = _find_logs(doc)
    elif source.raw is not None and source.has_columns("event", "created_at", "data"):
        logs = source.raw.frame.drop(SOURCE_ROW).to_dicts()
    if not logs:
        return None
    sample = logs[:100]
    return logs if sum(_is_log_entry(e) for e in sample) >= 0.8 * len(sample) else None


def _records(
    logs: list[dict[str, Any]], follow: str
) -> tuple[list[dict[str, Any]], list[str], int]:
    """One record per change of the followed column (plus creations and archives)."""
    following_groups = key(follow) == key(GROUP)
    titles: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    other = 0
    for position, entry in enumerate(logs, start=1):
        event = str(entry.get("event") or "")
        data = _data(entry)
        if event == "update_column_value":
            title = value_text(data.get("column_title")) or value_text(data.get("column_id")) or ""
            titles[title] = titles.get(title, 0) + 1
        if event not in _ITEM_EVENTS or (entry.get("entity") not in (None, "", "pulse")):
            other += 1
            continue
        record = {
            "item": value_text(data.get("pulse_id") or data.get("item_id")),
            "item_name": value_text(data.get("pulse_name") or data.get("item_name")),
            "created_at": str(entry.get("created_at")),
            "time": _time(entry.get("created_at")),
            "event": event,
            "column": None,
            "status": None,
            "previous": None,
            "user": value_text(entry.get("user_name") or entry.get("user_id")),
            "board_id": value_text(data.get("board_id")),
            "log_id": value_text(entry.get("id")),
            "__position": position,
        }
        if event == "update_column_value":
            title = value_text(data.get("column_title")) or ""
            column_id = value_text(data.get("column_id")) or ""
            if following_groups or key(follow) not in (key(title), key(column_id)):
                other += 1
                continue
            record.update(
                column=title,
                status=value_text(data.get("value")) or NO_STATUS,
                previous=value_text(data.get("previous_value")) or NO_STATUS,
            )
        elif event == "move_pulse_to_group":
            if not following_groups:
                other += 1
                continue
            record.update(
                column=GROUP,
                status=_group_title(data.get("dest_group") or data.get("dest_group_title")),
                previous=_group_title(data.get("source_group") or data.get("source_group_title")),
            )
        elif event == "create_pulse":
            record.update(
                column="(created)",
                status=_group_title(data.get("group_title") or data.get("group_name"))
                if following_groups
                else None,
            )
            record["__group_id"] = value_text(data.get("group_id"))
        elif event in _TERMINAL:
            record.update(column="(item)", status=_TERMINAL[event])
        else:
            other += 1
            continue
        records.append(record)
    _fill_creations(records, following_groups)
    choices = [*sorted(titles, key=lambda t: -titles[t]), GROUP]
    return records, choices, other


def _fill_creations(records: list[dict[str, Any]], following_groups: bool) -> None:
    """An item is created into the status (or group) its first change says it came from."""
    by_item: dict[str | None, list[dict[str, Any]]] = {}
    for record in records:
        by_item.setdefault(record["item"], []).append(record)
    for changes in by_item.values():
        changes.sort(key=lambda r: (r["time"] or "", -r["__position"]))
        for i, record in enumerate(changes):
            if record["event"] != "create_pulse" or record["status"]:
                continue
            later = next((r for r in changes[i + 1 :] if r["event"] != "create_pulse"), None)
            came_from = later["previous"] if later else None
            if following_groups:
                record["status"] = came_from or record.pop("__group_id", None) or NO_STATUS
            else:
                record["status"] = came_from or NO_STATUS
        for record in changes:
            record.pop("__group_id", None)


def _default_follow(choices: list[str]) -> str:
    for choice in choices:
        if key(choice) == "status":
            return choice
    return choices[0] if choices and choices[0] != GROUP else "Status"


def _detect_api(source: Source) -> str | None:
    logs = _api_logs(source)
    if not logs:
        return None
    return (
        f"{len(logs):,} activity-log entries with event, data (pulse_id, column_id) and "
        "created_at in 100 ns units"
    )


def _export_columns(columns: list[str]) -> StatusColumns | None:
    item = column_named(columns, "item id", "pulse id", "item", "item name", "pulse", "name")
    time = column_named(
        columns, "date", "created at", "time", "date time", "timestamp", "changed at"
    )
    column = column_named(columns, "column", "column title", "column name", "field")
    new = column_named(columns, "new value", "value", "to", "new")
    if not (item and time and column and new):
        return None
    return StatusColumns(
        case=item,
        time=time,
        status=new,
        previous=column_named(columns, "previous value", "old value", "from", "previous"),
        resource=column_named(columns, "user", "user name", "by", "person", "changed by"),
        field=column,
    )


def _detect_activity(source: Source) -> str | None:
    api = _detect_api(source)
    if api:
        return api
    guessed = _export_columns(source.columns())
    if guessed is None or guessed.previous is None:
        return None
    return (
        f"one row per change with {guessed.case!r}, {guessed.field!r}, "
        f"{guessed.previous!r} and {guessed.status!r} columns"
    )


def convert_activity(source: Source, options: FormatOptions) -> Converted:
    """The activity log, following one column (Status by default) or group moves."""
    logs = _api_logs(source)
    if logs is None:
        guessed = _export_columns(source.columns())
        if guessed is None:
            raise IngestError(
                f"{source.file_name} does not look like a monday.com activity log: "
                "choose another format."
            )
        converted = convert_status_table(
            source, options, guessed, blank_status=NO_STATUS, follow_default="Status"
        )
        if GROUP not in converted.choices.get("follow", []):
            converted.choices.setdefault("follow", []).append(GROUP)
        return converted
    _, titles, _ = _records(logs, "Status")
    follow = options.follow or _default_follow(titles)
    records, choices, other = _records(logs, follow)
    if not records:
        raise IngestError(
            f"{source.file_name}: no item in the activity log changes {follow!r}. "
            f"Columns it changes: {', '.join(c for c in choices if c != GROUP) or 'none'}."
        )
    ordered = sorted(records, key=lambda r: r["__position"])
    newest_first = len(ordered) > 1 and (ordered[0]["time"] or "") > (ordered[-1]["time"] or "")
    for record in ordered:
        position = record.pop("__position")
        record["__order"] = -position if newest_first else position
    kind = source.raw.format if source.json() is None and source.raw is not None else "json"
    table = table_from_records(
        ordered, kind, {"layout": "monday.com activity log", "following": follow}
    )
    table = RawTable(
        table.frame.with_columns(pl.col("__order").cast(pl.Int64)), table.format, table.details, []
    )
    converted = convert_status_table(
        source,
        FormatOptions(follow=None, offering_name=options.offering_name),
        StatusColumns(
            case="item", time="time", status="status", previous="previous", resource="user"
        ),
        blank_status=NO_STATUS,
        table=table,
        order="__order",
    )
    converted.choices["follow"] = choices
    converted.used = FormatOptions(follow=follow, offering_name=options.offering_name)
    converted.rows_read = len(logs)
    if other:
        converted.notes.insert(
            0,
            f"{other:,} log entries change something other than {follow!r} "
            "(names, other columns, board settings): not status changes.",
        )
    return converted


def _board_rows(source: Source) -> tuple[list[list[str | None]], str] | None:
    """The first sheet of a board export, every cell as text, or None if it is not one."""
    if not source.data.startswith(_ZIP_MAGIC):
        return None
    import fastexcel

    try:
        reader = fastexcel.read_excel(source.data)
        sheet = reader.sheet_names[0]
        frame = reader.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string").to_polars()
    except Exception:
        return None
    rows = [
        [None if v is None or str(v).strip() == "" else str(v).strip() for v in row]
        for row in frame.iter_rows()
    ]
    if not any(_is_header(r) for r in rows[:60]):
        return None
    return rows, sheet


def _is_header(row: list[str | None]) -> bool:
    return (
        bool(row)
        and key(row[0] or "") == "name"
        and any(c and key(c).startswith("itemid") for c in row)
    )


def _names(row: list[str | None], start: int) -> list[str | None]:
    seen: dict[str, int] = {}
    out: list[str | None] = []
    for cell in row[start:]:
        if cell is None:
            out.append(None)
            continue
        seen[cell] = seen.get(cell, 0) + 1
        out.append(cell if seen[cell] == 1 else f"{cell} ({seen[cell]})")
    return out


def _board_items(
    rows: list[list[str | None]], include_subitems: bool
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Item (and subitem) records from the sheet: group titles, headers, footers skipped."""
    items: list[dict[str, Any]] = []
    counts = {"groups": 0, "items": 0, "subitems": 0, "footer rows": 0}
    header: list[str | None] | None = None
    sub_header: list[str | None] | None = None
    pending_group: str | None = None
    group: str | None = None
    parent: str | None = None
    for number, row in enumerate(rows, start=1):
        filled = [i for i, c in enumerate(row) if c is not None]
        if not filled:
            sub_header = None
            continue
        first = row[0]
        if _is_header(row):
            header, sub_header, group = _names(row, 0), None, pending_group
            counts["groups"] += 1
            continue
        if key(first or "") == "subitems" and len(row) > 1 and key(row[1] or "") == "name":
            sub_header = _names(row, 1)
            continue
        if filled == [0]:
            pending_group = first
            header = None if header is None else header
            continue
        if header is None:
            continue
        if first is not None:
            record: dict[str, Any] = {
                n: v for n, v in zip(header, row, strict=False) if n is not None
            }
            if not any(
                record.get(n) for n in header if n and key(n).startswith("itemid")
            ) and not record.get("Name"):
                continue
            record.update({GROUP: group, "Parent item": None, SOURCE_ROW: number})
            parent = record.get("Name")
            items.append(record)
            counts["items"] += 1
            sub_header = None
            continue
        id_col = next(
            (i for i, n in enumerate(sub_header or []) if n and key(n).startswith("itemid")), None
        )
        if sub_header is not None and id_col is not None and row[1 + id_col] is not None:
            counts["subitems"] += 1
            if include_subitems:
                record = {n: v for n, v in zip(sub_header, row[1:], strict=False) if n is not None}
                record.update({GROUP: group, "Parent item": parent, SOURCE_ROW: number})
                items.append(record)
            continue
        counts["footer rows"] += 1
    return items, counts


def _detect_board(source: Source) -> str | None:
    if source.raw is not None and source.raw.format != "xlsx":
        return None
    if source.raw is not None and not any(
        key(c).startswith("itemid(auto") for c in source.columns()
    ):
        return None
    parsed = _board_rows(source)
    if parsed is None:
        return None
    _, counts = _board_items(parsed[0], False)
    return (
        f"an exported board: {counts['groups']} groups, {counts['items']} items"
        + (f", {counts['subitems']} subitems" if counts["subitems"] else "")
        + " (title, group, header and footer rows)"
    )


def convert_board(source: Source, options: FormatOptions) -> Converted:
    """The board's items as cases; the chosen date columns are their steps."""
    parsed = _board_rows(source)
    if parsed is None:
        raise IngestError(
            f"{source.file_name} is not a monday.com board export (no 'Name ... "
            "Item ID (auto generated)' header row)."
        )
    rows, sheet = parsed
    items, counts = _board_items(rows, options.include_subitems)
    if not items:
        raise IngestError(f"{source.file_name}: the board export holds no items.")
    columns = list(dict.fromkeys(k for item in items for k in item if k != SOURCE_ROW))
    frame = pl.DataFrame(
        [{c: item.get(c) for c in [SOURCE_ROW, *columns]} for item in items],
        schema={SOURCE_ROW: pl.Int64, **dict.fromkeys(columns, pl.String)},
    )
    table = RawTable(
        frame,
        "xlsx",
        {
            "sheet": sheet,
            "layout": "monday.com board export",
            **{k: str(v) for k, v in counts.items() if v},
        },
        [sheet],
    )
    id_column = next((c for c in columns if key(c).startswith("itemid")), None)
    people = column_named(columns, "Person", "Owner", "People", "Assignee")
    dates = date_columns(frame)
    converted = convert_wide(
        source,
        options,
        table=table,
        case_default=id_column or "Name",
        resource_default=people,
        milestone_default=[c for c in default_milestones(frame) if c in dates],
    )
    converted.notes.insert(
        0,
        "A board export holds each item's current values only, not when "
        "its status changed: the chosen date columns are the steps. For "
        "status timing, export the board's activity log.",
    )
    if counts["subitems"] and not options.include_subitems:
        converted.notes.append(
            f"{counts['subitems']:,} subitems are left out (include them as "
            "cases of their own with the subitems option)."
        )
    converted.rows_read = counts["items"] + counts["subitems"]
    return converted
