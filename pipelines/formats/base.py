"""What every tool-export converter shares: its options, its input, its output.

A converter turns one export (a Monday.com activity log, a Jira changelog, a board
spreadsheet, ...) into the same frames :func:`pipelines.normalize.normalize` produces
(activity instances and explained rejects), plus the activity catalog's defaults for
the statuses or milestones it found, so the warehouse stores every format the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from model import CATALOG_DEFAULT_SCHEMA, INSTANCE_SCHEMA, OPEN_ITEM_SCHEMA, REJECT_SCHEMA
from pipelines.errors import IngestError
from pipelines.mapping import Mapping
from pipelines.readers import SOURCE_ROW, RawTable

__all__ = [
    "CATALOG_DEFAULT_SCHEMA",
    "INSTANCE_SCHEMA",
    "OPEN_ITEM_SCHEMA",
    "Converted",
    "Format",
    "FormatGuess",
    "FormatOptions",
    "IngestError",
    "Source",
    "column_named",
    "empty_rejects",
    "key",
]


@dataclass(frozen=True)
class FormatOptions:
    """The choices a person makes for a tool export; ``None`` = the format's default.

    ``follow``: which column (Monday.com) or field (Jira) to follow; ``"Group"`` follows
    moves between Monday groups. ``milestones``: the date columns of a wide sheet, in
    order. The ``*_column`` fields map a generic status history or a wide sheet.
    """

    follow: str | None = None
    milestones: tuple[str, ...] | None = None
    case_column: str | None = None
    time_column: str | None = None
    status_column: str | None = None
    previous_column: str | None = None
    resource_column: str | None = None
    field_column: str | None = None
    include_subitems: bool = False
    offering_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.milestones is not None:
            out["milestones"] = list(self.milestones)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FormatOptions:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in data.items() if k in known}
        if values.get("milestones") is not None:
            values["milestones"] = tuple(values["milestones"])
        return cls(**values)


_NOT_READ = object()


@dataclass
class Source:
    """One uploaded file: its bytes, its name, its table when it is one, reading options."""

    data: bytes
    file_name: str
    raw: RawTable | None = None
    timezone: str = "UTC"
    day_first: bool | None = None
    _parsed: Any = field(default=_NOT_READ, repr=False)

    def json(self) -> Any | None:
        """The parsed JSON document, or None when the file is not JSON."""
        if self._parsed is _NOT_READ:
            self._parsed = None
            head = self.data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
            if head.startswith((b"{", b"[")):
                try:
                    self._parsed = json.loads(self.data.decode("utf-8-sig"))
                except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                    self._parsed = None
        return self._parsed

    def columns(self) -> list[str]:
        """The table's column names (none for JSON)."""
        if self.raw is None:
            return []
        return [c for c in self.raw.frame.columns if c != SOURCE_ROW]

    def has_columns(self, *names: str) -> bool:
        """Whether the table has a column for each name (compared by :func:`key`)."""
        keys = {key(c) for c in self.columns()}
        return all(key(n) in keys for n in names)


@dataclass
class Converted:
    """A converter's output: what normalize() would give, plus catalog defaults.

    ``table`` is the flattened table the instances came from (for the preview and
    the import record); ``choices`` lists what the person can pick for each option
    (e.g. the columns a Monday log changes); ``used`` are the options actually applied.
    ``open_items`` (OPEN_ITEM_SCHEMA) are the statuses unfinished items are in now
    (status histories only; None for milestone sheets).
    """

    instances: pl.DataFrame
    rejects: pl.DataFrame
    rows_read: int
    catalog: pl.DataFrame
    table: RawTable
    mapping: Mapping
    used: FormatOptions
    notes: list[str] = field(default_factory=list)
    timestamp_formats: dict[str, str] = field(default_factory=dict)
    date_only: bool = False
    choices: dict[str, list[str]] = field(default_factory=dict)
    open_items: pl.DataFrame | None = None


@dataclass(frozen=True)
class Format:
    """A tool export the importer recognises and converts.

    ``detect`` returns why the file looks like this format, or None; ``options`` names
    the choices the Data page offers for it (``follow``, ``milestones``,
    ``status_columns``, ``case_column``, ``subitems``).
    """

    name: str
    label: str
    shape: str
    accepts: str
    detect: Callable[[Source], str | None]
    convert: Callable[[Source, FormatOptions], Converted]
    options: tuple[str, ...] = ()
    needs_table: bool = True


@dataclass(frozen=True)
class FormatGuess:
    name: str
    label: str
    reason: str


def key(name: str) -> str:
    """Compare names ignoring case, spaces, underscores, hyphens and dots."""
    return re.sub(r"[\s_\-.]+", "", str(name).lower())


def column_named(columns: list[str], *names: str) -> str | None:
    """The first of ``columns`` whose name matches one of ``names`` (best name first)."""
    keys = {key(c): c for c in reversed(columns)}
    for name in names:
        found = keys.get(key(name))
        if found is not None:
            return found
    return None


def empty_rejects() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECT_SCHEMA)


def table_from_records(
    records: list[dict[str, Any]], fmt: str, details: dict[str, str]
) -> RawTable:
    """A RawTable of flattened records; ``__source_row`` = the record's 1-based number."""
    if not records:
        raise IngestError("The file holds no changes to import.")
    frame = pl.DataFrame(records, infer_schema_length=None)
    frame = frame.with_columns(pl.col(c).cast(pl.String) for c in frame.columns)
    frame = frame.with_row_index(SOURCE_ROW, offset=1).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    return RawTable(frame, fmt, details, [])
