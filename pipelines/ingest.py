"""Import event logs into the warehouse: read, map, validate, store in one transaction.

    python -m pipelines.ingest FILE [FILE ...] --db PATH [--offering NAME | --offering-column COL]
        [--case-column COL] [--activity-column COL] [--end-column COL] [--start-column COL]
        [--resource-column COL] [--lifecycle-column COL] [--timezone TZ] [--day-first] [--json]

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

from pipelines.mapping import Mapping, detect_mapping
from pipelines.normalize import IngestError, Normalized, normalize
from pipelines.readers import RawTable, ReadError, read_table
from warehouse import Warehouse

__all__ = [
    "ImportOptions",
    "ImportReport",
    "IngestError",
    "Prepared",
    "ingest",
    "ingest_prepared",
    "load_instances",
    "prepare",
]


@dataclass
class ImportOptions:
    """How to read one file. A mapping of None means: detect it from the column names."""

    mapping: Mapping | None = None
    timezone: str = "UTC"
    day_first: bool | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None

    def identity(self, mapping: Mapping) -> dict[str, Any]:
        """What makes two imports of the same bytes the same import."""
        return {
            "mapping": mapping.to_dict(),
            "timezone": self.timezone,
            "day_first": self.day_first,
            "sheet": self.sheet,
        }


@dataclass
class Prepared:
    """A file read and mapped, ready to show as a preview and to store."""

    file_name: str
    sha256: str
    raw: RawTable
    mapping: Mapping
    options: ImportOptions
    normalized: Normalized


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
    """Read a file and apply (or detect) its mapping; raises IngestError when it cannot be used.

    `raw` is the same file already read with the same options (the Data page reads
    once, then re-applies the mapping as the user changes it).
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
    if raw is None:
        raw = read(data, file_name, options)
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


def ingest_prepared(wh: Warehouse, prepared: Prepared) -> ImportReport:
    """Store a prepared file; the same bytes read the same way twice store nothing new."""
    norm = prepared.normalized
    identity = prepared.options.identity(prepared.mapping)
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
        format=prepared.raw.format,
        notes=list(norm.notes),
        timestamp_formats=dict(norm.timestamp_formats),
    )
    earlier = wh.find_import(prepared.sha256, json.dumps(identity, sort_keys=True))
    if earlier is not None:
        report.already_imported_as = earlier
        report.duplicates = norm.instances.height
        return report
    if norm.instances.height == 0:
        first = norm.rejects["reason"].head(1).to_list()
        raise IngestError(
            f"{prepared.file_name}: none of its {norm.rows_read:,} rows could be imported"
            + (f"; the first was rejected because: {first[0]}" if first else "")
            + "."
        )
    result = wh.store_import(
        file_name=prepared.file_name,
        sha256=prepared.sha256,
        format=prepared.raw.format,
        mapping=prepared.mapping.to_dict(),
        options=identity,
        rows_read=norm.rows_read,
        instances=norm.instances,
        rejects=norm.rejects,
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
        description="Import event logs (CSV, TSV, Excel, Parquet, XES) into the warehouse.",
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
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    return p


def _options(args: argparse.Namespace, file: Path) -> ImportOptions:
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
        mapping=mapping, timezone=args.timezone, day_first=args.day_first, sheet=args.sheet
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    wh = Warehouse.open(args.db)
    reports: list[ImportReport] = []
    failures: list[str] = []
    try:
        for file in args.files:
            try:
                if not file.is_file():
                    raise IngestError(f"{file}: no such file.")
                reports.append(ingest(wh, file, file.name, _options(args, file)))
            except (IngestError, ReadError) as exc:
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


