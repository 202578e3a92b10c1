"""Files that are not event logs a value stream can be built from, refused in one line.

A value stream follows one kind of case through its steps in time. An object-centric
log (OCEL 1.0 or 2.0, as JSON, XML, SQLite or CSV) has events that belong to several
objects at once; an XES log without timestamps, or whose events carry only nested
attributes, says nothing about when which step happened. Reading such a file as a
table would give a confident wrong map or a cryptic column error, so :func:`refusal`
says what the file is, why it cannot be a value stream and what to do instead.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from pipelines.readers import SOURCE_ROW, RawTable

_SQLITE_MAGIC = b"SQLite format 3\x00"
_FLATTEN = (
    "a value stream follows one kind of case, and each of these events belongs to "
    "several objects at once; flatten it on one object type first (e.g. "
    "pm4py.ocel_flattening(ocel, {example})) and import the result."
)


def refusal(data: bytes, file_name: str, raw: RawTable | None) -> str | None:
    """Why the file cannot be a value stream, in one line, or None when it may be one.

    ``raw`` is the file read as a table (None for JSON or a file no reader takes).
    """
    doc = _json(data)
    if doc is _TOO_DEEP:
        return (
            f"{file_name} is a JSON document nested more deeply than any tool exports "
            "(hundreds of levels of objects or arrays inside each other): it is refused."
        )
    for found in (_ocel_sqlite(data), _ocel_json(doc), _ocel_xml(data)):
        if found:
            return f"{file_name} is {found}"
    if raw is not None:
        found = _ocel_csv(raw) or _xes_without_times(raw)
        if found:
            return f"{file_name} is {found}"
    return None


def _types_text(types: list[str]) -> tuple[str, str]:
    shown = ", ".join(types[:4]) + (", ..." if len(types) > 4 else "")
    return shown, json.dumps(types[0] if types else "order")


def _ocel_sqlite(data: bytes) -> str | None:
    if not data.startswith(_SQLITE_MAGIC):
        return None
    if b"event_object" in data and b"object_map_type" in data:
        return "an object-centric event log (OCEL 2.0 SQLite): " + _FLATTEN.format(
            example='"order"'
        )
    return (
        "a SQLite database, not a table: export the table of events (case, activity, "
        "time) as CSV and import that."
    )


_TOO_DEEP = object()
"""What :func:`_json` returns for a document nested beyond Python's recursion limit."""


def _json(data: bytes) -> Any:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith((b"{", b"[")):
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    except RecursionError:
        return _TOO_DEEP


def _ocel_json(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    if {"objectTypes", "eventTypes", "objects", "events"} <= set(doc):
        types = [str(t.get("name")) for t in doc["objectTypes"] if isinstance(t, dict)]
        shown, example = _types_text(types)
        return (
            f"an object-centric event log (OCEL 2.0 JSON: {len(doc['events']):,} events "
            f"on {len(doc['objects']):,} objects of {len(types)} types: {shown}): "
            + _FLATTEN.format(example=example)
        )
    if "ocel:events" in doc and "ocel:objects" in doc:
        return "an object-centric event log (OCEL 1.0 JSON): " + _FLATTEN.format(example='"order"')
    return None


def _ocel_xml(data: bytes) -> str | None:
    head = data[:65536]
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return None
    if b"<object-types" in head or b"<event-types" in head:
        types = re.findall(rb'<object-type\s+name="([^"]+)"', head)
        shown, example = _types_text([t.decode("utf-8", "replace") for t in types])
        return (
            "an object-centric event log (OCEL 2.0 XML"
            + (f", object types {shown}" if types else "")
            + "): "
            + _FLATTEN.format(example=example)
        )
    if b'key="ocel:' in head:
        return "an object-centric event log (OCEL 1.0 XML): " + _FLATTEN.format(example='"order"')
    return None


def _ocel_csv(raw: RawTable) -> str | None:
    columns = [c for c in raw.frame.columns if c != SOURCE_ROW]
    types = [c.removeprefix("ocel:type:") for c in columns if c.startswith("ocel:type:")]
    if not ({"ocel:eid", "ocel:activity"} <= set(columns) or types):
        return None
    shown, example = _types_text(types)
    return (
        f"an object-centric event log (OCEL 1.0 CSV, {raw.frame.height:,} events"
        + (f", object types {shown}" if types else "")
        + "): "
        + _FLATTEN.format(example=example)
    )


def _xes_without_times(raw: RawTable) -> str | None:
    if raw.format != "xes":
        return None
    frame = raw.frame
    if any(isinstance(t, pl.Datetime) or t == pl.Date for t in frame.schema.values()):
        return None
    if "time:timestamp" in frame.columns:
        return None  # times the file mistyped, kept as text (pipelines.readers)
    columns = [c for c in frame.columns if c != SOURCE_ROW]
    if "concept:name" not in columns:
        shown = ", ".join(repr(c) for c in columns[:4]) + (", ..." if len(columns) > 4 else "")
        return (
            f"an XES log whose events carry only other, nested attributes ({shown}): no "
            "activity name and no time, so nothing says which step happened when. Export "
            "a log whose events have concept:name and time:timestamp."
        )
    return (
        f"an XES log without timestamps: none of its {frame.height:,} events says when it "
        "happened (no time:timestamp), and a value stream is made of those times. Export "
        "the log with its event times."
    )
