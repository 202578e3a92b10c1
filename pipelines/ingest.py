"""Import event logs and tool exports into the warehouse: inspect, prepare, store.

One flow serves the Data page and the command line:

1. :func:`inspect` reads an upload once: its table (when it is one), its sheets, the tool
   format it looks like and the column mapping its names suggest.
2. :func:`prepare` applies the person's choices (:class:`ImportOptions`) to that
   inspection: a tool export is converted by its format, an event log is mapped column
   by column, normalised and validated; nothing is stored yet (the preview).
3. :func:`ingest_prepared` stores it in one transaction.

Naming the offering, a time zone or a sheet never changes which format a file is read
as: only a format chosen by hand, or column roles given by hand, do.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from pipelines import formats
from pipelines.bounds import apply_bounds
from pipelines.errors import FormatError, IngestError
from pipelines.formats import FORMATS, GENERIC, FormatGuess, FormatOptions
from pipelines.mapping import Mapping, detect_mapping
from pipelines.normalize import Normalized, normalize
from pipelines.readers import RawTable, read_table
from pipelines.refusals import refusal
from warehouse import Warehouse
from warehouse.db import Progress
from warehouse.inbox import ImportJob, JobResult

__all__ = [
    "ImportOptions",
    "ImportReport",
    "IngestError",
    "Prepared",
    "Upload",
    "import_job",
    "ingest",
    "ingest_prepared",
    "inspect",
    "load_instances",
    "prepare",
]


@dataclass(frozen=True)
class Upload:
    """One file as read once: what the Data page shows before the person chooses anything.

    ``raw`` is the file as a table (None for a JSON document, or when ``read_error`` says
    why it could not be read as one); ``guess`` the tool format it looks like (None: an
    event log); ``mapping`` the column roles its names suggest (for an event log);
    ``refusal`` one line saying why the file can never be a value stream (an
    object-centric log, a log without times: pipelines.refusals), else None.
    """

    data: bytes = field(repr=False)
    file_name: str
    sha256: str
    sheet: str | None
    raw: RawTable | None
    read_error: IngestError | None
    sheets: list[str]
    guess: FormatGuess | None
    mapping: Mapping | None
    refusal: str | None = None


def inspect(
    data: bytes,
    file_name: str,
    sheet: str | None = None,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Upload:
    """Read ``data`` once and say what it looks like; never raises for a bad file."""
    raw: RawTable | None = None
    read_error: IngestError | None = None
    refused = refusal(data, file_name, None)
    if not refused and not formats.is_json(data):
        try:
            raw = read_table(data, file_name, sheet=sheet, delimiter=delimiter, encoding=encoding)
        except IngestError as exc:
            read_error = exc
    if raw is not None and not refused:
        refused = refusal(data, file_name, raw)
    guess = None if refused else formats.detect_format(data, file_name, raw)
    return Upload(
        data=data,
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        sheet=sheet,
        raw=raw,
        read_error=read_error,
        sheets=raw.sheets if raw is not None else [],
        guess=guess,
        mapping=detect_mapping(raw.frame) if raw is not None and guess is None else None,
        refusal=refused,
    )


@dataclass(frozen=True)
class ImportOptions:
    """How to read one file; every field's default means "detect it".

    ``format``: a tool export of ``pipelines.formats.FORMATS``, ``"generic"`` for an
    event log mapped column by column, None (or ``"auto"``) to detect. ``mapping``: every
    column role chosen by hand (the Data page's form); ``columns``: some roles chosen by
    hand (role → column, the command line's ``--case-column`` ...), the others detected.
    Either makes the file a generic event log unless a format is named. ``offering``: one
    offering name for the whole file (an event log without an offering column, or a tool
    export); it never changes how the file is read.
    """

    mapping: Mapping | None = None
    columns: dict[str, str] = field(default_factory=dict)
    offering: str | None = None
    timezone: str = "UTC"
    day_first: bool | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    format: str | None = None
    format_options: FormatOptions = field(default_factory=FormatOptions)

    def format_name(self, upload: Upload) -> str:
        """The format this file is read as: the one named, else generic when column roles
        were given by hand, else the one detected."""
        if self.format not in (None, "auto"):
            return str(self.format)
        if self.mapping is not None or self.columns:
            return GENERIC
        return upload.guess.name if upload.guess else GENERIC

    def identity(
        self, mapping: Mapping, format_name: str = GENERIC, used: FormatOptions | None = None
    ) -> dict[str, Any]:
        """What makes two imports of the same bytes the same import."""
        out: dict[str, Any] = {
            "mapping": mapping.to_dict(),
            "timezone": self.timezone,
            "day_first": self.day_first,
            "sheet": self.sheet,
        }
        if format_name != GENERIC:
            out["format"] = format_name
            out["format_options"] = (used or self.format_options).to_dict()
        return out


@dataclass
class Prepared:
    """A file read and mapped, ready to show as a preview and to store."""

    file_name: str
    sha256: str
    raw: RawTable
    mapping: Mapping
    options: ImportOptions
    normalized: Normalized
    format: str = GENERIC
    guess: FormatGuess | None = None
    catalog_defaults: pl.DataFrame | None = None
    format_used: FormatOptions | None = None
    choices: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ImportReport:
    import_id: int | None
    file_name: str
    rows_read: int
    stored: int
    duplicates: int
    rejected: int
    rejects: list[dict[str, Any]]
    offerings: list[str]
    mapping: dict[str, str | None]
    format: str
    already_imported_as: int | None = None
    notes: list[str] = field(default_factory=list)
    timestamp_formats: dict[str, str] = field(default_factory=dict)
    imported_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The shape the command line prints with --json (the issue's contract)."""
        return {
            "import_id": self.import_id,
            "rows_read": self.rows_read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejects": self.rejects,
            "offerings": self.offerings,
            "mapping": self.mapping,
            "file_name": self.file_name,
            "format": self.format,
            "already_imported_as": self.already_imported_as,
            "notes": self.notes,
            "imported_by": self.imported_by,
        }

    def summary(self) -> str:
        if self.already_imported_as is not None:
            return (
                f"{self.file_name}: already imported as import #{self.already_imported_as}; "
                "nothing new stored."
            )
        parts = [f"{self.stored:,} events stored"]
        if self.duplicates:
            parts.append(f"{self.duplicates:,} already in the warehouse (skipped)")
        if self.rejected:
            parts.append(f"{self.rejected:,} rows rejected")
        where = ", ".join(self.offerings)
        return f"{self.file_name}: " + ", ".join(parts) + (f" ({where})" if where else "") + "."


def _source_bytes(source: str | Path | bytes) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def prepare(
    source: Upload | str | Path | bytes,
    file_name: str | None = None,
    options: ImportOptions | None = None,
) -> Prepared:
    """Apply ``options`` to a file; raises IngestError when it cannot be used.

    ``source`` is an :func:`inspect` result (the Data page inspects once, then prepares
    again as the person changes a choice), or a path or bytes (inspected here).
    """
    options = options or ImportOptions()
    try:
        zoneinfo.ZoneInfo(options.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise IngestError(
            f"Unknown time zone {options.timezone!r}: use an IANA name such as "
            "'UTC' or 'Europe/Amsterdam'."
        ) from exc
    upload = _upload(source, file_name, options)
    if upload.refusal:
        raise IngestError(upload.refusal)
    name = options.format_name(upload)
    if name != GENERIC:
        return _prepare_format(upload, options, name)
    if upload.raw is None:
        raise upload.read_error or IngestError(
            f"{upload.file_name} is a JSON document, not a table: choose the tool it was "
            f"exported from ({', '.join(FORMATS)})."
        )
    mapping = _mapping(upload, options)
    normalized = normalize(
        upload.raw,
        mapping,
        file_name=upload.file_name,
        timezone=options.timezone,
        day_first=options.day_first,
    )
    normalized = apply_bounds(normalized, upload.file_name)
    return Prepared(
        file_name=upload.file_name,
        sha256=upload.sha256,
        raw=upload.raw,
        mapping=mapping,
        options=options,
        normalized=normalized,
        guess=upload.guess,
    )


def _upload(
    source: Upload | str | Path | bytes, file_name: str | None, options: ImportOptions
) -> Upload:
    if isinstance(source, Upload):
        if source.sheet == options.sheet or options.sheet is None:
            return source
        return inspect(source.data, source.file_name, options.sheet)
    if file_name is None:
        if isinstance(source, bytes):
            raise ValueError("file_name is required when source is bytes")
        file_name = Path(source).name
    return inspect(
        _source_bytes(source),
        file_name,
        options.sheet,
        delimiter=options.delimiter,
        encoding=options.encoding,
    )


def _mapping(upload: Upload, options: ImportOptions) -> Mapping:
    """The column mapping: chosen whole, or detected with the roles given by hand on top;
    ``options.offering`` names the offering where no column does."""
    assert upload.raw is not None
    if options.mapping is not None:
        mapping = options.mapping
    else:
        detected = (upload.mapping or detect_mapping(upload.raw.frame)).to_dict()
        if options.columns.get("offering_column"):
            detected["offering_name"] = None
        mapping = Mapping.from_dict({**detected, **options.columns})
    if options.offering and not options.columns.get("offering_column"):
        mapping = replace(mapping, offering_column=None, offering_name=options.offering)
    return mapping


def _prepare_format(upload: Upload, options: ImportOptions, name: str) -> Prepared:
    if name not in FORMATS:
        raise IngestError(f"Unknown format {name!r}: use one of {GENERIC}, {', '.join(FORMATS)}.")
    fmt = FORMATS[name]
    file_name = upload.file_name
    if fmt.needs_table and upload.raw is None:
        raise upload.read_error or FormatError(
            f"{file_name} is not a table, so it cannot be a {fmt.label}."
        )
    format_options = options.format_options
    if options.offering:
        format_options = replace(format_options, offering_name=options.offering)
    try:
        converted = formats.convert(
            name,
            upload.data,
            file_name,
            upload.raw,
            options=format_options,
            timezone=options.timezone,
            day_first=options.day_first,
        )
    except IngestError as exc:
        message = str(exc)
        raise type(exc)(message if file_name in message else f"{file_name}: {message}") from exc
    except (
        pl.exceptions.PolarsError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
    ) as exc:
        # A file that only looks like the format (or was chosen by hand) must not crash the
        # page: say which format did not fit and let the person choose another.
        raise FormatError(
            f"{file_name} could not be read as a {fmt.label} ({type(exc).__name__}: {exc}). "
            "Choose another format, or the generic event log."
        ) from exc
    normalized = apply_bounds(
        Normalized(
            instances=converted.instances,
            rejects=converted.rejects,
            rows_read=converted.rows_read,
            timestamp_formats=converted.timestamp_formats,
            date_only=converted.date_only,
            notes=converted.notes,
            open_items=converted.open_items,
        ),
        file_name,
    )
    return Prepared(
        file_name=file_name,
        sha256=upload.sha256,
        raw=converted.table,
        mapping=converted.mapping,
        options=options,
        normalized=normalized,
        format=name,
        guess=upload.guess,
        catalog_defaults=converted.catalog,
        format_used=converted.used,
        choices=converted.choices,
    )


def import_job(
    prepared: Prepared,
    *,
    is_demo: bool = False,
    statuses_confirmed: bool = False,
    refuse_overlap: bool = False,
) -> ImportJob:
    """What storing a prepared file takes; raises IngestError when none of its rows can be
    stored. The Data page stores it at once; the command line may hand it to the app
    (warehouse.inbox). ``refuse_overlap``: store nothing when the offering already holds
    the file's cases in another shape (warehouse.overlap). ``statuses_confirmed``: a person checked how each status counts
    before importing; otherwise the kinds guessed from status names stay marked until
    someone does."""
    norm = prepared.normalized
    if norm.instances.height == 0 and (norm.open_items is None or norm.open_items.height == 0):
        first = norm.rejects["reason"].head(1).to_list()
        raise IngestError(
            f"{prepared.file_name}: none of its {norm.rows_read:,} rows could be imported"
            + (f"; the first was rejected because: {first[0]}" if first else "")
            + "."
        )
    identity = prepared.options.identity(prepared.mapping, prepared.format, prepared.format_used)
    return ImportJob(
        file_name=prepared.file_name,
        sha256=prepared.sha256,
        format=_stored_format(prepared),
        mapping=prepared.mapping.to_dict(),
        options=identity,
        rows_read=norm.rows_read,
        instances=norm.instances,
        rejects=norm.rejects,
        catalog_defaults=prepared.catalog_defaults,
        is_demo=is_demo,
        open_items=norm.open_items,
        statuses_confirmed=statuses_confirmed,
        refuse_overlap=refuse_overlap,
    )


def _stored_format(prepared: Prepared) -> str:
    return prepared.raw.format if prepared.format == GENERIC else prepared.format


def import_report(prepared: Prepared, result: JobResult) -> ImportReport:
    """The report of a prepared file once stored (or found already stored)."""
    norm = prepared.normalized
    return ImportReport(
        import_id=result.import_id,
        file_name=prepared.file_name,
        rows_read=norm.rows_read,
        stored=result.stored,
        duplicates=result.duplicates,
        rejected=norm.rejects.height,
        rejects=[
            {"row": r, "reason": why}
            for r, why in zip(
                norm.rejects["source_row"].to_list(), norm.rejects["reason"].to_list(), strict=True
            )
        ],
        offerings=sorted(norm.instances["offering"].unique().to_list()),
        mapping=prepared.mapping.to_dict(),
        format=_stored_format(prepared),
        already_imported_as=result.already_imported_as,
        notes=list(norm.notes),
        timestamp_formats=dict(norm.timestamp_formats),
        imported_by=result.imported_by,
    )


def ingest_prepared(
    wh: Warehouse,
    prepared: Prepared,
    *,
    is_demo: bool = False,
    statuses_confirmed: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Store a prepared file as ``wh.actor``; the same bytes read the same way twice store
    nothing new.

    ``is_demo`` marks the import as the demo data's (the app says so, and removes it);
    ``progress`` (done, total, offering) is told before each offering the import touches
    is derived again, and (total, total, "") at the end."""
    job = import_job(prepared, is_demo=is_demo, statuses_confirmed=statuses_confirmed)
    return import_report(prepared, job.store(wh, progress))


def updating_text(done: int, total: int, offering: str) -> str:
    """What is being updated while an import or undo works out again the `offering`
    (written as it is to be shown) it touched, the `done` + 1-th of `total` (in a big
    warehouse, most of its time): "Updating " + this."""
    return f"{offering}: its cases and the figures the pages show ({done + 1} of {total})..."


def ingest(
    wh: Warehouse,
    source: str | Path | bytes,
    file_name: str | None = None,
    options: ImportOptions | None = None,
    *,
    is_demo: bool = False,
) -> ImportReport:
    """Read, map, validate and store one file."""
    return ingest_prepared(wh, prepare(source, file_name, options), is_demo=is_demo)


def load_instances(path: str | Path, **mapping_overrides: str | None) -> pl.DataFrame:
    """A log's activity instances as the events frame, without a warehouse (tests, benchmarks).

    event_id is the order in the source; import_id is 0.
    """
    raw = read_table(_source_bytes(path), Path(path).name)
    mapping = detect_mapping(raw.frame)
    if mapping_overrides:
        mapping = Mapping.from_dict({**mapping.to_dict(), **mapping_overrides})
    norm = normalize(raw, mapping, file_name=Path(path).name)
    return norm.instances.with_columns(
        pl.lit(0, pl.Int64).alias("import_id"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("event_id"),
    )


if __name__ == "__main__":  # python -m pipelines.ingest: the `ingest` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("ingest"))
