"""Import event logs into the warehouse: read, map, validate, store in one transaction.

    python -m pipelines.ingest FILE [FILE ...] --db PATH [--offering NAME | --offering-column COL]
        [--case-column COL] [--activity-column COL] [--end-column COL] [--start-column COL]
        [--resource-column COL] [--lifecycle-column COL] [--timezone TZ] [--day-first] [--json]
        [--format NAME] [--follow COLUMN] [--milestones COL,COL,...]

Tool exports (monday.com, Jira, GitHub, Trello, Linear, Asana, milestone sheets) are
recognised from their layout; ``--format`` names one by hand (``generic`` = an event
log mapped column by column, ``auto`` = detect, the default).

Exit status: 0 when the file's events are in the warehouse (stored now, or already
there from an earlier import), 2 with a one-line reason on stderr when nothing
could be imported.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from pipelines import formats
from pipelines.formats import FORMATS, GENERIC, FormatGuess, FormatOptions
from pipelines.mapping import Mapping, detect_mapping
from pipelines.normalize import IngestError, Normalized, normalize
from pipelines.readers import RawTable, ReadError, read_table
from pipelines.refusals import refusal
from warehouse import Warehouse, WarehouseError

__all__ = [
    "ImportOptions",
    "ImportReport",
    "IngestError",
    "Prepared",
    "detect_format",
    "ingest",
    "ingest_prepared",
    "load_instances",
    "prepare",
]


@dataclass
class ImportOptions:
    """How to read one file. A mapping of None means: detect it from the column names.

    ``format`` names a tool export of ``pipelines.formats.FORMATS``, or ``"generic"``
    for an event log mapped column by column; None detects it (a given mapping means
    generic). ``format_options`` are that format's choices.
    """

    mapping: Mapping | None = None
    timezone: str = "UTC"
    day_first: bool | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    format: str | None = None
    format_options: FormatOptions = field(default_factory=FormatOptions)

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


def read(data: bytes, file_name: str, options: ImportOptions) -> RawTable:
    """Read a file's table, turning a reader's complaint into an IngestError."""
    try:
        return read_table(
            data,
            file_name,
            sheet=options.sheet,
            delimiter=options.delimiter,
            encoding=options.encoding,
        )
    except ReadError as exc:
        raise IngestError(str(exc)) from exc


def _bytes(source: str | Path | bytes) -> bytes:
    return source if isinstance(source, bytes) else Path(source).read_bytes()


def prepare(
    source: str | Path | bytes,
    file_name: str | None = None,
    options: ImportOptions | None = None,
    raw: RawTable | None = None,
) -> Prepared:
    """Read a file and apply (or detect) its format and mapping; raises IngestError when it
    cannot be used.

    `raw` is the same file already read with the same options (the Data page reads
    once, then re-applies the mapping as the user changes it). A tool export
    (options.format, or detected when neither format nor mapping is given) is
    converted by its format; anything else goes through the column mapping.
    """
    options = options or ImportOptions()
    if file_name is None:
        if isinstance(source, bytes):
            raise ValueError("file_name is required when source is bytes")
        file_name = Path(source).name
    try:
        zoneinfo.ZoneInfo(options.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise IngestError(
            f"Unknown time zone {options.timezone!r}: use an IANA name such as "
            "'UTC' or 'Europe/Amsterdam'."
        ) from exc
    data = _bytes(source)
    if refused := refusal(data, file_name, None):
        raise IngestError(refused)
    read_error: IngestError | None = None
    if raw is None and not formats.is_json(data):
        try:
            raw = read(data, file_name, options)
        except IngestError as exc:
            read_error = exc
    if raw is not None and (refused := refusal(data, file_name, raw)):
        raise IngestError(refused)
    guess: FormatGuess | None = None
    name = options.format
    if name in (None, "auto"):
        guess = detect_format(data, file_name, raw) if options.mapping is None else None
        name = guess.name if guess else GENERIC
    if name != GENERIC:
        return _prepare_format(data, file_name, options, raw, name, guess, read_error)
    if raw is None:
        raise read_error or IngestError(
            f"{file_name} is a JSON document, not a table: choose the tool it was exported "
            f"from ({', '.join(FORMATS)})."
        )
    mapping = options.mapping or detect_mapping(raw.frame)
    normalized = normalize(
        raw, mapping, file_name=file_name, timezone=options.timezone, day_first=options.day_first
    )
    return Prepared(
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        raw=raw,
        mapping=mapping,
        options=options,
        normalized=normalized,
    )


def detect_format(data: bytes, file_name: str, raw: RawTable | None) -> FormatGuess | None:
    """The tool export a file looks like (pipelines.formats.detect_format)."""
    return formats.detect_format(data, file_name, raw)


def _prepare_format(
    data: bytes,
    file_name: str,
    options: ImportOptions,
    raw: RawTable | None,
    name: str,
    guess: FormatGuess | None,
    read_error: IngestError | None,
) -> Prepared:
    if name not in FORMATS:
        raise IngestError(f"Unknown format {name!r}: use one of {GENERIC}, {', '.join(FORMATS)}.")
    fmt = FORMATS[name]
    if fmt.needs_table and raw is None:
        raise read_error or IngestError(
            f"{file_name} is not a table, so it cannot be a {fmt.label}."
        )
    try:
        converted = formats.convert(
            name,
            data,
            file_name,
            raw,
            options=options.format_options,
            timezone=options.timezone,
            day_first=options.day_first,
        )
    except IngestError as exc:
        message = str(exc)
        raise IngestError(message if file_name in message else f"{file_name}: {message}") from exc
    except (pl.exceptions.PolarsError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # A file that only looks like the format (or was chosen by hand) must not crash the
        # page: say which format did not fit and let the person choose another.
        raise IngestError(
            f"{file_name} could not be read as a {fmt.label} ({type(exc).__name__}: {exc}). "
            "Choose another format, or the generic event log."
        ) from exc
    normalized = Normalized(
        instances=converted.instances,
        rejects=converted.rejects,
        rows_read=converted.rows_read,
        timestamp_formats=converted.timestamp_formats,
        date_only=converted.date_only,
        notes=converted.notes,
        open_items=converted.open_items,
    )
    return Prepared(
        file_name=file_name,
        sha256=hashlib.sha256(data).hexdigest(),
        raw=converted.table,
        mapping=converted.mapping,
        options=options,
        normalized=normalized,
        format=name,
        guess=guess,
        catalog_defaults=converted.catalog,
        format_used=converted.used,
        choices=converted.choices,
    )


def ingest_prepared(wh: Warehouse, prepared: Prepared) -> ImportReport:
    """Store a prepared file; the same bytes read the same way twice store nothing new."""
    norm = prepared.normalized
    identity = prepared.options.identity(prepared.mapping, prepared.format, prepared.format_used)
    stored_format = prepared.raw.format if prepared.format == GENERIC else prepared.format
    report = ImportReport(
        import_id=None,
        file_name=prepared.file_name,
        rows_read=norm.rows_read,
        stored=0,
        duplicates=0,
        rejected=norm.rejects.height,
        rejects=[
            {"row": r, "reason": why}
            for r, why in zip(
                norm.rejects["source_row"].to_list(), norm.rejects["reason"].to_list(), strict=True
            )
        ],
        offerings=sorted(norm.instances["offering"].unique().to_list()),
        mapping=prepared.mapping.to_dict(),
        format=stored_format,
        notes=list(norm.notes),
        timestamp_formats=dict(norm.timestamp_formats),
    )
    earlier = wh.find_import(prepared.sha256, json.dumps(identity, sort_keys=True))
    if earlier is not None:
        report.already_imported_as = earlier
        report.duplicates = norm.instances.height
        return report
    if norm.instances.height == 0 and (norm.open_items is None or norm.open_items.height == 0):
        first = norm.rejects["reason"].head(1).to_list()
        raise IngestError(
            f"{prepared.file_name}: none of its {norm.rows_read:,} rows could be imported"
            + (f"; the first was rejected because: {first[0]}" if first else "")
            + "."
        )
    result = wh.store_import(
        file_name=prepared.file_name,
        sha256=prepared.sha256,
        format=stored_format,
        mapping=prepared.mapping.to_dict(),
        options=identity,
        rows_read=norm.rows_read,
        instances=norm.instances,
        rejects=norm.rejects,
        catalog_defaults=prepared.catalog_defaults,
        open_items=norm.open_items,
    )
    report.import_id = result.import_id
    report.stored = result.stored
    report.duplicates = result.duplicates
    return report


def ingest(
    wh: Warehouse,
    source: str | Path | bytes,
    file_name: str | None = None,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Read, map, validate and store one file."""
    return ingest_prepared(wh, prepare(source, file_name, options))


def load_instances(path: str | Path, **mapping_overrides: str | None) -> pl.DataFrame:
    """A log's activity instances as the events frame, without a warehouse (tests, benchmarks).

    event_id is the order in the source; import_id is 0.
    """
    raw = read_table(_bytes(path), Path(path).name)
    mapping = detect_mapping(raw.frame)
    if mapping_overrides:
        mapping = Mapping.from_dict({**mapping.to_dict(), **mapping_overrides})
    norm = normalize(raw, mapping, file_name=Path(path).name)
    return norm.instances.with_columns(
        pl.lit(0, pl.Int64).alias("import_id"),
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("event_id"),
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.ingest",
        description="Import event logs (CSV, TSV, Excel, Parquet, XES) and tool exports "
        "(monday.com, Jira, GitHub, Trello, Linear, Asana, milestone sheets) into the warehouse.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--db", help="warehouse file (default: $VSM_DB or data/warehouse.duckdb)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--offering", help="one offering name for every row of the file")
    group.add_argument("--offering-column", help="the column that names each row's offering")
    for role in ("case", "activity", "end", "start", "resource", "lifecycle"):
        p.add_argument(f"--{role}-column", help=f"the {role} column (default: detected)")
    p.add_argument("--sheet", help="Excel sheet to read (default: the first)")
    p.add_argument(
        "--timezone", default="UTC", help="zone of timestamps without an offset (default UTC)"
    )
    p.add_argument(
        "--day-first",
        action="store_true",
        default=None,
        help="read 03/04/2025 as 3 April (default: detected from the data)",
    )
    p.add_argument(
        "--format",
        choices=["auto", GENERIC, *FORMATS],
        default="auto",
        metavar="NAME",
        help=f"the file's layout: auto (detect, default), {GENERIC} (an event log), "
        + ", ".join(FORMATS),
    )
    p.add_argument("--follow", help="monday.com column or Jira field to follow (default Status)")
    p.add_argument(
        "--milestones",
        help="milestone sheets: the date columns that are steps, in order, comma-separated",
    )
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    return p


def _options(args: argparse.Namespace, file: Path) -> ImportOptions:
    if args.format not in ("auto", GENERIC) or args.follow or args.milestones:
        milestones = [m.strip() for m in args.milestones.split(",")] if args.milestones else None
        return ImportOptions(
            timezone=args.timezone,
            day_first=args.day_first,
            sheet=args.sheet,
            format=None if args.format == "auto" else args.format,
            format_options=FormatOptions(
                follow=args.follow,
                milestones=tuple(milestones) if milestones else None,
                case_column=args.case_column,
                resource_column=args.resource_column,
                offering_name=args.offering,
            ),
        )
    overrides = {
        "case": args.case_column,
        "activity": args.activity_column,
        "end": args.end_column,
        "start": args.start_column,
        "resource": args.resource_column,
        "lifecycle": args.lifecycle_column,
        "offering_column": args.offering_column,
        "offering_name": args.offering,
    }
    mapping: Mapping | None = None
    if any(v for v in overrides.values()):
        raw = read_table(file.read_bytes(), file.name, sheet=args.sheet)
        detected = detect_mapping(raw.frame).to_dict()
        if args.offering:
            detected["offering_column"] = None
        if args.offering_column:
            detected["offering_name"] = None
        mapping = Mapping.from_dict({**detected, **{k: v for k, v in overrides.items() if v}})
    return ImportOptions(
        mapping=mapping,
        timezone=args.timezone,
        day_first=args.day_first,
        sheet=args.sheet,
        format=GENERIC if args.format == GENERIC and mapping is None else None,
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        wh = Warehouse.open(args.db)
    except WarehouseError as exc:
        # Typically: the app has the file open for writing (DuckDB allows one writer).
        print(str(exc).splitlines()[0], file=sys.stderr)
        return 2
    reports: list[ImportReport] = []
    failures: list[str] = []
    try:
        for file in args.files:
            try:
                if not file.is_file():
                    raise IngestError(f"{file}: no such file.")
                reports.append(ingest(wh, file, file.name, _options(args, file)))
            except (IngestError, ReadError, WarehouseError) as exc:
                failures.append(str(exc))
    finally:
        wh.close()
    if args.json:
        payload: Any = [r.to_json() for r in reports]
        if len(args.files) == 1 and reports:
            payload = payload[0]
        print(json.dumps(payload, indent=2, default=str))
    else:
        for r in reports:
            print(r.summary())
            for note in r.notes:
                print(f"  note: {note}")
            for rej in r.rejects[:20]:
                print(f"  row {rej['row']}: {rej['reason']}")
            if r.rejected > 20:
                print(f"  ... and {r.rejected - 20:,} more rejected rows (see the Data page).")
    for msg in failures:
        print(msg.splitlines()[0], file=sys.stderr)
    return 0 if reports else 2


if __name__ == "__main__":
    sys.exit(main())
