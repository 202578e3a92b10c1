"""Read an uploaded or local file into a :class:`RawTable`, whatever its format.

Readers do no interpretation beyond what the format itself says: CSV cells stay strings
(so a case id ``NA`` or ``007`` survives), Excel, Parquet and XES keep the types their
format records. Every row carries ``__source_row``, the row number a person would look
for in the original file, so every later warning can point at it. Anything unreadable
raises :class:`ReadError` with one sentence a user can act on.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from model.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_LINE_BYTES, MAX_UNPACKED_BYTES
from pipelines.errors import ReadError

SOURCE_ROW = "__source_row"

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PARQUET_MAGIC = b"PAR1"
_DELIMITERS = [",", ";", "\t", "|"]
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_HEADER_SCAN_ROWS = 50

_XES_STANDARD = [
    "case:concept:name",
    "concept:name",
    "time:timestamp",
    "lifecycle:transition",
    "org:resource",
    "concept:instance",
]


@dataclass
class RawTable:
    """A file's table before any column mapping (contract in docs/ARCHITECTURE.md)."""

    frame: pl.DataFrame
    format: str
    details: dict[str, str] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)


def read_table(
    source: str | Path | bytes,
    file_name: str,
    *,
    sheet: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> RawTable:
    """Read ``source`` (a path, or the bytes of an upload) named ``file_name``.

    The format comes from the file name's extension; with an unknown or missing one the
    content is sniffed. ``sheet`` picks an Excel sheet (default the first), ``delimiter``
    and ``encoding`` override CSV detection.
    """
    data = _load_bytes(source, file_name)
    if not data.strip():
        raise ReadError(f"{file_name} is empty.")
    kind = _format_from_name(file_name) or _sniff_format(data, file_name)
    if kind == "xls":
        raise ReadError(
            f"{file_name} is an old Excel 97-2003 .xls workbook, which is not "
            "supported: open it in Excel or LibreOffice and save it as .xlsx or .csv."
        )
    if kind in ("csv", "tsv"):
        return _read_csv(data, file_name, kind, delimiter, encoding)
    if kind == "xlsx":
        table = _read_xlsx(data, file_name, sheet)
    elif kind == "parquet":
        table = _read_parquet(data, file_name)
    elif kind == "xes":
        table = _read_xes(data, file_name)
    else:
        raise ReadError(f"{file_name}: unsupported file type.")
    table.frame = _plain_columns(table.frame, file_name)
    return table


_PLAIN = (pl.String, pl.Boolean, pl.Date, pl.Datetime)


def _plain_columns(frame: pl.DataFrame, file_name: str) -> pl.DataFrame:
    """Every column as text, a number, a boolean, a date or a time.

    Typed formats can hold what no later step reads (and what crashed the import): lists,
    maps and structs become their JSON text, durations ISO 8601 text ("PT1H"), binary
    the text it encodes (or its hex when it is not text), decimals floats.
    """
    fixes = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, _PLAIN) or (dtype.is_numeric() and not isinstance(dtype, pl.Decimal)):
            continue
        column = pl.col(name)
        if dtype.is_nested():  # lists, arrays, structs, maps
            fixed = (
                pl.struct(column.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
            )
        elif isinstance(dtype, pl.Duration):
            fixed = column.dt.to_string("iso")
        elif isinstance(dtype, pl.Decimal):
            fixed = column.cast(pl.Float64)
        elif dtype == pl.Binary:
            try:
                frame.select(column.cast(pl.String))
                fixed = column.cast(pl.String)
            except pl.exceptions.PolarsError:
                fixed = column.bin.encode("hex")
        else:
            fixed = column.cast(pl.String)
        fixes.append(fixed.alias(name))
    if not fixes:
        return frame
    try:
        return frame.with_columns(fixes)
    except pl.exceptions.PolarsError as exc:
        raise ReadError(
            f"{file_name} holds a column type the dashboard cannot read ({exc}): "
            "save the table with plain text, number and date columns."
        ) from exc


def _load_bytes(source: str | Path | bytes, file_name: str) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    try:
        return Path(source).read_bytes()
    except FileNotFoundError as exc:
        raise ReadError(f"{file_name} was not found ({source}).") from exc
    except OSError as exc:
        raise ReadError(f"{file_name} could not be opened: {exc.strerror}.") from exc


def _format_from_name(file_name: str) -> str | None:
    name = file_name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    return {
        ".csv": "csv",
        ".txt": "csv",
        ".tsv": "tsv",
        ".tab": "tsv",
        ".xlsx": "xlsx",
        ".xlsm": "xlsx",
        ".xls": "xls",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".xes": "xes",
    }.get(suffix)


def _too_big(file_name: str, what: str) -> ReadError:
    return ReadError(
        f"{file_name} {what} more than {MAX_UNPACKED_BYTES / 1e9:.0f} GB when unpacked, "
        "more than one import may take: split it into smaller files."
    )


def _gunzip(data: bytes, file_name: str) -> bytes:
    """The unpacked bytes, refusing a file that unpacks beyond MAX_UNPACKED_BYTES."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacking:
            while chunk := unpacking.read(1 << 24):
                out.write(chunk)
                if out.tell() > MAX_UNPACKED_BYTES:
                    raise _too_big(file_name, "holds")
    except (OSError, EOFError, zlib.error) as exc:
        raise ReadError(
            f"{file_name} looks gzip-compressed but is damaged or truncated ({exc})."
        ) from exc
    return out.getvalue()


def _check_lines(data: bytes, file_name: str) -> None:
    """Refuse a text table with a line longer than MAX_LINE_BYTES (a file without line
    breaks, a binary file named .csv) before a parser holds it as one huge row.

    Every line is short enough where each stretch of half that many bytes, one after the
    other, holds a line break: a longer line would fill one of them. That is checked
    first (under a millisecond for a 137 MB CSV, against 0.4 s for the length of every
    line), and the longest line measured only where it fails."""
    half = MAX_LINE_BYTES // 2
    if all(
        data.find(b"\n", at, at + half) >= 0 or data.find(b"\r", at, at + half) >= 0
        for at in range(0, len(data) - half + 1, half)
    ):
        return
    marks = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero((marks == 10) | (marks == 13))
    edges = np.concatenate(([-1], breaks, [len(data)]))
    longest = int(np.diff(edges).max()) - 1
    if longest > MAX_LINE_BYTES:
        raise ReadError(
            f"{file_name} has a line of {longest:,} bytes, and a table's row is at most "
            f"{MAX_LINE_BYTES:,}: it is not a table of one row per line (check that it was "
            "saved as CSV)."
        )


def _check_columns(header: str, separator: str, file_name: str) -> None:
    if header.count(separator) + 1 > MAX_COLUMNS:
        raise ReadError(
            f"{file_name} has {header.count(separator) + 1:,} columns; a table may have at most "
            f"{MAX_COLUMNS:,}. Check the delimiter, or keep only the columns you need."
        )


def _sniff_format(data: bytes, file_name: str) -> str:
    """Guess the format from the content when the extension does not say."""
    head = data[:4096]
    if head.startswith(_GZIP_MAGIC):
        try:
            head = gzip.GzipFile(fileobj=io.BytesIO(data)).read(4096)
        except (OSError, EOFError, zlib.error):
            return "csv"
        if b"<log" in head or b"<?xml" in head:
            return "xes"
        return "csv"
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        return "xls"
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    text = head.lstrip(codecs.BOM_UTF8).lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<log"):
        return "xes"
    if _is_binary(head):
        raise ReadError(
            f"{file_name} is not a table: its content is binary, and its name does "
            "not say which format it is (expected .csv, .tsv, .xlsx, .parquet or .xes)."
        )
    return "csv"


def _is_binary(head: bytes) -> bool:
    """Binary content: NUL bytes (outside UTF-16 text) or many control characters."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > max(2, len(head) // 100)


def _decode(data: bytes, file_name: str, encoding: str | None) -> tuple[str, str]:
    """Decode to text: BOMs first, then UTF-8, then Windows-1252 (which maps every byte)."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ReadError(f"{file_name} could not be read as {encoding}: {exc}.") from exc
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[len(codecs.BOM_UTF8) :], "utf-8", file_name), "UTF-8 with BOM"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return _strict(data, "utf-16", file_name), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise ReadError(
            f"{file_name} is not a readable text table: it contains binary data "
            "(or an unmarked UTF-16 encoding). Save it as CSV in UTF-8."
        )
    return data.decode("cp1252", errors="replace"), "Windows-1252 (Latin-1)"


def _strict(data: bytes, encoding: str, file_name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"{file_name} says it is {encoding} but byte {exc.start} is not valid "
            f"{encoding}: the file is damaged or mislabelled."
        ) from exc


def _sniff_delimiter(text: str) -> str:
    """Pick the delimiter that splits the first lines into the same, largest field count.

    Counting through the csv module (not raw characters) keeps commas inside quoted
    fields from voting.
    """
    lines = text[:65536].splitlines()[:30]
    if len(lines) > 1 and not text[:65536].endswith(("\n", "\r")):
        lines = lines[:-1]
    sample = "\n".join(lines)
    best, best_score = ",", (-1, -1)
    for candidate in _DELIMITERS:
        counts = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=candidate) if row]
        if not counts:
            continue
        header = counts[0]
        consistent = sum(1 for c in counts if c == header)
        score = (consistent if header > 1 else 0, header)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _unique_names(raw: list[str | None]) -> list[str]:
    """File headers made unique: empty ones become ``column_<n>``, repeats ``Name (2)``."""
    names: list[str] = []
    seen: set[str] = set()
    for position, value in enumerate(raw, start=1):
        base = (value or "").strip() or f"column_{position}"
        name, k = base, 1
        while name in seen or name == SOURCE_ROW:
            k += 1
            name = f"{base} ({k})"
        seen.add(name)
        names.append(name)
    return names


def _read_csv_leniently(text: str, separator: str) -> tuple[pl.DataFrame, str]:
    """Every record of the text as strings, read by Python's csv module.

    A quote inside an unquoted field is an ordinary character there. A field that opens
    a quote and never closes it would swallow the rest of the file into one cell: such
    a record (more than one line, fewer cells than the header) is read again from its
    own line with its quotes as ordinary characters, and the rows it concerns are
    returned in words for the import details.
    """
    lines = text.splitlines(keepends=True)
    rows: list[list[str]] = []
    unclosed: list[int] = []
    start = 0
    while start < len(lines):
        reader = csv.reader(lines[start:], delimiter=separator)
        line_start = 0
        restart = None
        for row in reader:
            spans = reader.line_num - line_start
            if spans > 1 and rows and len(row) < len(rows[0]):
                unclosed.append(len(rows) + 1)
                rows.append(
                    next(
                        csv.reader(
                            [lines[start + line_start]], quoting=csv.QUOTE_NONE, delimiter=separator
                        )
                    )
                )
                restart = start + line_start + 1
                break
            line_start = reader.line_num
            rows.append(row)
        if restart is None:
            break
        start = restart
    width = max((len(r) for r in rows), default=0)
    columns = {f"column_{i}": [r[i] if i < len(r) else None for r in rows] for i in range(width)}
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    stray = ""
    if unclosed:
        shown = ", ".join(str(n) for n in unclosed[:5]) + (", ..." if len(unclosed) > 5 else "")
        stray = (
            f"row {shown}: a quote opens a cell and never closes; read with the quote as an "
            "ordinary character"
        )
    return frame, stray


def _max_fields(text: str, separator: str) -> int:
    return max((len(row) for row in csv.reader(io.StringIO(text), delimiter=separator)), default=0)


def _read_csv(
    data: bytes, file_name: str, kind: str, delimiter: str | None, encoding: str | None
) -> RawTable:
    details: dict[str, str] = {}
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(data, file_name)
        details["compression"] = "gzip"
        if not data.strip():
            raise ReadError(f"{file_name} is empty.")
    if _is_binary(data[:4096]):
        raise ReadError(f"{file_name} is not a text table: its content is binary data.")
    _check_lines(data, file_name)
    text, used_encoding = _decode(data, file_name, encoding)
    details["encoding"] = used_encoding
    separator = delimiter or ("\t" if kind == "tsv" else _sniff_delimiter(text))
    _check_columns(text[: MAX_LINE_BYTES + 1].split("\n", 1)[0], separator, file_name)
    details["delimiter"] = _DELIMITER_NAMES.get(separator, separator)
    # polars reads UTF-8 only; other encodings are transcoded in memory once.
    if used_encoding == "UTF-8":
        utf8 = data
    elif used_encoding == "UTF-8 with BOM":
        utf8 = data[len(codecs.BOM_UTF8) :]
    else:
        utf8 = text.encode("utf-8")
    options: dict[str, Any] = {
        "has_header": False,
        "separator": separator,
        "infer_schema": False,
        "null_values": None,
        "quote_char": '"',
        "raise_if_empty": False,
    }
    try:
        frame = pl.read_csv(io.BytesIO(utf8), **options)
    except pl.exceptions.ComputeError as exc:
        try:
            if "more fields" not in str(exc):
                raise
            # Ragged rows (Jira adds cells beyond its header for multi-valued fields): size
            # the table to the widest row so no cell is lost.
            width = _max_fields(text, separator)
            schema = {f"column_{i}": pl.String for i in range(width)}
            frame = pl.read_csv(
                io.BytesIO(utf8), schema=schema, missing_columns="insert", **options
            )
        except pl.exceptions.ComputeError:
            # A quote inside a field (C"1) or one that never closes: polars gives up on
            # the whole file; Python's csv module reads such rows as spreadsheets do.
            frame, stray = _read_csv_leniently(text, separator)
            if stray:
                details["stray quotes"] = stray
    if frame.height == 0:
        raise ReadError(f"{file_name} is empty.")
    header = [None if v is None else str(v) for v in frame.row(0)]
    names = _unique_names(header)
    body = frame.slice(1).rename(dict(zip(frame.columns, names, strict=True)))
    body = body.with_columns(pl.col(pl.String).replace("", None))
    # Header is spreadsheet row 1, so data row i (0-based) is row i + 2.
    body = body.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    body = _drop_blank_rows(body, details)
    if body.height == 0:
        raise ReadError(f"{file_name} has a header row but no data rows.")
    if body.width == 2 and len(text.splitlines()) > 1 and delimiter is None:
        details["note"] = "only one column found: check the delimiter"
    kind = "tsv" if separator == "\t" else "csv"
    return RawTable(body.select(SOURCE_ROW, *names), kind, details, [])


def _drop_blank_rows(frame: pl.DataFrame, details: dict[str, str]) -> pl.DataFrame:
    data_columns = [c for c in frame.columns if c != SOURCE_ROW]
    if not data_columns:
        return frame
    blank = pl.all_horizontal(pl.col(c).is_null() for c in data_columns)
    n_blank = int(frame.select(blank.sum()).item())
    if n_blank:
        details["blank rows skipped"] = str(n_blank)
        frame = frame.filter(~blank)
    return frame


_TEXT_RUN = MAX_CELL_CHARS * 6
"""The longest run of XML between two tags a cell of MAX_CELL_CHARS characters can make
(a character takes up to four bytes in UTF-8, an escaped one up to six)."""


def _check_workbook(data: bytes, file_name: str) -> None:
    """Refuse a workbook that unpacks beyond MAX_UNPACKED_BYTES or holds a cell longer than
    Excel allows, before the Excel reader holds it in memory.

    The sizes a zip says of its parts are checked first (a 2 MB workbook declaring a 2 GB
    part is refused at once); the parts are then unpacked in pieces, counting, so a part
    that lies about its size is stopped too, at the first overlong cell.
    """
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = [i for i in book.infolist() if i.filename.endswith(".xml")]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadError(f"{file_name} is not a readable Excel workbook ({exc}).") from exc
    if sum(i.file_size for i in parts) > MAX_UNPACKED_BYTES:
        raise _too_big(file_name, "unpacks to")
    unpacked = 0
    try:
        for part in parts:
            run = 0
            with book.open(part) as stream:
                while chunk := stream.read(1 << 22):
                    unpacked += len(chunk)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise _too_big(file_name, "unpacks to")
                    tags = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == ord("<"))
                    if tags.size == 0:
                        run += len(chunk)
                        longest = run
                    else:
                        inner = int(np.diff(tags).max()) if tags.size > 1 else 0
                        longest = max(run + int(tags[0]), inner)
                        run = len(chunk) - int(tags[-1])
                    if longest > _TEXT_RUN:
                        raise ReadError(
                            f"{file_name} holds a cell longer than {MAX_CELL_CHARS:,} characters, "
                            "Excel's own limit, in its part "
                            f"{part.filename}: it was not saved by Excel, and is refused."
                        )
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise ReadError(f"{file_name} is not a readable Excel workbook ({exc}).") from exc


def _read_xlsx(data: bytes, file_name: str, sheet: str | None) -> RawTable:
    import fastexcel

    _check_workbook(data, file_name)
    try:
        reader = fastexcel.read_excel(data)
    except Exception as exc:
        raise ReadError(f"{file_name} is not a readable Excel workbook ({exc}).") from exc
    sheets = list(reader.sheet_names)
    if not sheets:
        raise ReadError(f"{file_name} has no sheets.")
    if sheet is not None and sheet not in sheets:
        raise ReadError(
            f"{file_name} has no sheet named {sheet!r}; its sheets are {', '.join(sheets)}."
        )
    chosen = sheet if sheet is not None else sheets[0]
    # fastexcel's header_row=None with skip_rows=0 keeps leading empty rows, so row i of
    # this preview is sheet row i + 1.
    preview = reader.load_sheet(
        chosen, header_row=None, skip_rows=0, n_rows=_HEADER_SCAN_ROWS, dtypes="string"
    ).to_polars()
    header_index = _find_header_row(preview)
    if header_index is None:
        raise ReadError(f"{file_name}: sheet {chosen!r} is empty.")
    try:
        frame = reader.load_sheet(
            chosen, header_row=header_index, schema_sample_rows=None
        ).to_polars()
    except Exception as exc:
        raise ReadError(f"{file_name}: sheet {chosen!r} could not be read ({exc}).") from exc
    header_cells = preview.row(header_index)
    raw_names: list[str | None] = [None if v is None else str(v) for v in header_cells]
    if len(raw_names) != frame.width:
        raw_names = [None if c.startswith("__UNNAMED__") else c for c in frame.columns]
    names = _unique_names(raw_names)
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    first_data_row = header_index + 2
    frame = frame.with_row_index(SOURCE_ROW, offset=first_data_row).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    details = {"sheet": chosen, "header row": str(header_index + 1)}
    frame = _drop_blank_rows(frame.with_columns(pl.col(pl.String).replace("", None)), details)
    if frame.height == 0:
        raise ReadError(f"{file_name}: sheet {chosen!r} has a header row but no data rows.")
    return RawTable(frame.select(SOURCE_ROW, *names), "xlsx", details, sheets)


def _find_header_row(preview: pl.DataFrame) -> int | None:
    """The header is the first row filled at least half as wide as the widest row.

    This skips a title line (one cell) or a blank line above the real header.
    """
    if preview.height == 0:
        return None
    filled = preview.select(
        pl.sum_horizontal(
            pl.col(c).is_not_null() & (pl.col(c).str.strip_chars() != "") for c in preview.columns
        ).alias("n")
    ).get_column("n")
    widest = int(filled.max() or 0)  # type: ignore[arg-type]
    if widest == 0:
        return None
    threshold = max(1, min(2, widest), (widest + 1) // 2)
    for index, n in enumerate(filled.to_list()):
        if n >= threshold:
            return index
    return None


def _read_parquet(data: bytes, file_name: str) -> RawTable:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:
        raise ReadError(f"{file_name} is not a readable Parquet file ({exc}).") from exc
    if frame.height == 0:
        raise ReadError(f"{file_name} has no rows.")
    names = _unique_names(list(frame.columns))
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    frame = frame.with_row_index(SOURCE_ROW, offset=1).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    return RawTable(frame.select(SOURCE_ROW, *names), "parquet", {}, [])


def _read_xes(data: bytes, file_name: str) -> RawTable:
    """Read XES with rustxes (fast, Rust); fall back to pm4py's parser if rustxes fails.

    rustxes returns timestamps as naive UTC (offsets in the file applied) and columns in
    no fixed order; both are normalised here. It reports a broken file by panicking, which
    Python sees as a ``BaseException``, so that is what is caught.
    """
    compressed = data.startswith(_GZIP_MAGIC)
    details = {"compression": "gzip"} if compressed else {}
    # rustxes returns whatever it parsed before a cut, silently: check the end first.
    xml = _gunzip(data, file_name) if compressed else data
    if b"</log>" not in xml[-4096:]:
        problem = (
            "it has no <log> element (is it really an XES file?)"
            if b"<log" not in xml
            else "the XML is broken: it ends before </log> (the file was probably cut short)"
        )
        raise ReadError(f"{file_name} is not a readable XES log: {problem}.")
    xml, retyped = _retype_bad_values(xml)
    fd, path = tempfile.mkstemp(suffix=".xes")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(xml)
        frame, parser = _xes_frame(path, file_name, False, xml)
    finally:
        os.unlink(path)
    details["parser"] = parser
    if frame.height == 0:
        raise ReadError(f"{file_name} is a valid XES log but contains no events.")
    if retyped:
        details["values kept as text"] = _retyped_text(retyped)
        frame = _untype(frame, retyped)
    return RawTable(_tidy_xes(frame), "xes", details, [])


_VALID = {
    "int": rb"[+-]?\d+",
    "float": rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?i:inf|infinity|nan)",
    "boolean": rb"true|false",
    "date": rb"(?:19|20|21)\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?",
}
"""What rustxes reads of each XES type; anything else it turns into 0, false or a panic
(a date it cannot parse, or one outside the nanosecond range, years 1678 to 2261). Dates
outside 1900-2199 go through as text, to be rejected with their row (model.limits)."""
_BAD = {
    kind: re.compile(
        rb"<" + kind.encode() + rb'(\s[^>]*?\bvalue=")(?!(?:' + valid + rb')")([^"]*)("[^>]*/>)'
    )
    for kind, valid in _VALID.items()
}
_KEY = re.compile(rb'\bkey="([^"]*)"')
_WRITTEN_AS_USUAL = {
    kind: re.compile(rb"<" + kind.encode() + rb' key="[^"]*" value="(?:' + valid + rb')"')
    for kind, valid in _VALID.items()
}
"""An element of each type as XES writers put it (its key, then a value its type holds):
where every element of a type is, none needs the slower look for a bad value (a million
events' dates and types looked through in 1.0 s instead of 1.7 s)."""


def _retype_bad_values(xml: bytes) -> tuple[bytes, dict[str, list[tuple[str, str]]]]:
    """The XML with every typed value its type cannot hold (an int "notanint", a boolean
    "maybe", a date "31/12/2024") declared a string, so it is kept as the text it is.

    Returns, by key, the (type, value) pairs changed. Only self-closing elements are
    rewritten; they are what XES writers produce.
    """
    changed: dict[str, list[tuple[str, str]]] = {}
    for kind, pattern in _BAD.items():
        elements = xml.count(b"<" + kind.encode())
        if elements == 0:
            continue
        if sum(1 for _ in _WRITTEN_AS_USUAL[kind].finditer(xml)) == elements:
            continue  # each one holds a value of its type
        if not pattern.search(xml):
            continue

        def to_string(match: re.Match[bytes], kind: str = kind) -> bytes:
            found = _KEY.search(match.group(1) + match.group(3))
            key = found.group(1).decode("utf-8", "replace") if found else "?"
            changed.setdefault(key, []).append((kind, match.group(2).decode("utf-8", "replace")))
            return b"<string" + match.group(1) + match.group(2) + match.group(3)

        xml = pattern.sub(to_string, xml)
    return xml, changed


def _retyped_text(retyped: dict[str, list[tuple[str, str]]]) -> str:
    parts = []
    for key, values in retyped.items():
        kind, value = values[0]
        more = f" and {len(values) - 1:,} more" if len(values) > 1 else ""
        parts.append(f"{key}: {kind} {value!r}{more}")
    return "; ".join(parts) + " (not of the type the file declares)"


def _untype(frame: pl.DataFrame, retyped: dict[str, list[tuple[str, str]]]) -> pl.DataFrame:
    """A column that mixes declared types comes back from rustxes as text holding the
    strings in JSON quotes and the rest as written: the quotes are taken off, and a time
    written by rustxes (UTC, no zone) gets its zone back."""
    fixes = []
    for key, values in retyped.items():
        name = key if key in frame.columns else f"case:{key}"
        if name not in frame.columns or frame.schema[name] != pl.String:
            continue
        if not frame[name].str.starts_with('"').any():
            continue  # every value was retyped: a plain text column
        quoted = pl.col(name).str.starts_with('"') & pl.col(name).str.ends_with('"')
        plain = pl.col(name)
        if values[0][0] == "date":
            plain = plain.str.replace(" ", "T") + pl.lit("Z")
        fixes.append(
            pl.when(quoted)
            .then(pl.col(name).str.slice(1).str.strip_suffix('"'))
            .otherwise(plain)
            .alias(name)
        )
    return frame.with_columns(fixes) if fixes else frame


def _xes_frame(
    path: str, file_name: str, compressed: bool, data: bytes
) -> tuple[pl.DataFrame, str]:
    import rustxes

    try:
        frame, _ = rustxes.import_xes(path)
        return frame, "rustxes"
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        rust_error = str(exc)
    problem = _describe_xes_problem(rust_error, data, compressed)
    if problem is not None:
        raise ReadError(f"{file_name} is not a readable XES log: {problem}.")
    try:
        import pm4py

        pandas_frame = pm4py.read_xes(path, return_legacy_log_object=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # pm4py reads with rustxes too: its panics are not Exceptions
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReadError(f"{file_name} is not a readable XES log ({first}).") from None
    frame = pl.from_pandas(pandas_frame)
    for column, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            frame = frame.with_columns(
                pl.col(column).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            )
    return frame, "pm4py"


def _describe_xes_problem(rust_error: str, data: bytes, compressed: bool) -> str | None:
    """Say in words why an XES file is unreadable, or None when pm4py may yet read it."""
    if compressed:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return "the gzip compression is damaged or the file was cut short"
    if "NoTopLevelLog" in rust_error:
        return "it has no <log> element (is it really an XES file?)"
    if "MissingLastTrace" in rust_error:
        return "a <trace> opens inside another <trace>, or an event stands outside any trace"
    if "XMLParsingError" in rust_error or "Syntax" in rust_error:
        if b"</log>" not in data[-4096:]:
            return "the XML is broken: it ends before </log> (the file was probably cut short)"
        return f"the XML is broken ({rust_error.split('Err` value: ')[-1]})"
    return None


def _tidy_xes(frame: pl.DataFrame) -> pl.DataFrame:
    """Standard XES keys first, then event attributes, then trace attributes, sorted.

    The event order (traces and events in document order) is kept as read; rustxes and
    pm4py agree on it for every log in ../shared/data/real.
    """
    if isinstance(frame.schema.get("time:timestamp"), pl.Datetime):
        frame = frame.with_columns(
            pl.col("time:timestamp").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        )
    for column, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is None:
            frame = frame.with_columns(
                pl.col(column).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
            )
    standard = [c for c in _XES_STANDARD if c in frame.columns]
    rest = [c for c in frame.columns if c not in standard and c != SOURCE_ROW]
    events = sorted(c for c in rest if not c.startswith("case:"))
    traces = sorted(c for c in rest if c.startswith("case:"))
    frame = frame.with_row_index(SOURCE_ROW, offset=1).with_columns(
        pl.col(SOURCE_ROW).cast(pl.Int64)
    )
    return frame.select(SOURCE_ROW, *standard, *events, *traces)
