"""Readers: every format and encoding an export arrives in, and a clear error for the rest."""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.readers import SOURCE_ROW, ReadError, read_table

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"

CSV_TEXT = 'Case ID,Activity,Resource,Timestamp\nNA,Intake,Señora López,2025-01-01 10:00\nc2,"Review, final",,2025-01-02 11:00\n'


def _data(raw) -> list[tuple]:
    return raw.frame.drop(SOURCE_ROW).rows()


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [
        (CSV_TEXT.encode("utf-8"), "UTF-8"),
        (codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), "UTF-8 with BOM"),
        (CSV_TEXT.encode("utf-16"), "UTF-16"),
        (codecs.BOM_UTF16_BE + CSV_TEXT.encode("utf-16-be"), "UTF-16"),
        (CSV_TEXT.encode("cp1252"), "Windows-1252 (Latin-1)"),
    ],
    ids=["utf8", "utf8-bom", "utf16-le-bom", "utf16-be-bom", "cp1252"],
)
def test_csv_encodings_round_trip_accents(encoded: bytes, encoding: str) -> None:
    raw = read_table(encoded, "log.csv")
    assert raw.format == "csv"
    assert raw.details["encoding"] == encoding
    assert raw.frame.columns == [SOURCE_ROW, "Case ID", "Activity", "Resource", "Timestamp"]
    assert _data(raw) == [
        ("NA", "Intake", "Señora López", "2025-01-01 10:00"),
        ("c2", "Review, final", None, "2025-01-02 11:00"),
    ]
    assert raw.frame.get_column(SOURCE_ROW).to_list() == [2, 3]
    assert raw.frame.schema[SOURCE_ROW] == pl.Int64


@pytest.mark.parametrize(
    ("separator", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe"), (",", "comma")]
)
def test_delimiter_is_sniffed_despite_commas_in_quotes(separator: str, name: str) -> None:
    text = (
        f"case{separator}activity{separator}note\n"
        f'1{separator}A{separator}"x, y, z"\n2{separator}B{separator}"a; b | c"\n'
    )
    raw = read_table(text.encode(), "log.txt")
    assert raw.details["delimiter"] == name
    assert _data(raw) == [("1", "A", "x, y, z"), ("2", "B", "a; b | c")]


def test_tsv_extension_and_explicit_overrides() -> None:
    raw = read_table(b"a\tb\n1\t2\n", "log.tsv")
    assert raw.format == "tsv"
    assert _data(raw) == [("1", "2")]
    forced = read_table(
        "a;b\n1;é\n".encode("latin-1"), "log.csv", delimiter=";", encoding="latin-1"
    )
    assert _data(forced) == [("1", "é")]


def test_rfc4180_quotes_newlines_and_source_rows() -> None:
    text = 'case,note\n1,"line one\nline two"\n2,"she said ""hi"""\n\n3,""\n'
    raw = read_table(text.encode(), "log.csv")
    assert _data(raw) == [("1", "line one\nline two"), ("2", 'she said "hi"'), ("3", None)]
    # Spreadsheet rows: the blank record (row 4) is skipped but still counted.
    assert raw.frame.get_column(SOURCE_ROW).to_list() == [2, 3, 5]
    assert raw.details["blank rows skipped"] == "1"


def test_strings_stay_strings() -> None:
    raw = read_table(b"case,amount,flag\n007,1.50,NA\nNULL,1e3,\n", "log.csv")
    assert _data(raw) == [("007", "1.50", "NA"), ("NULL", "1e3", None)]
    assert all(dtype == pl.String for name, dtype in raw.frame.schema.items() if name != SOURCE_ROW)


def test_repeated_and_empty_headers_are_renamed() -> None:
    raw = read_table(b",Labels,Labels,Status,Labels\n0,a,b,Done,c\n", "jira.csv")
    assert raw.frame.columns == [
        SOURCE_ROW,
        "column_1",
        "Labels",
        "Labels (2)",
        "Status",
        "Labels (3)",
    ]
    assert _data(raw) == [("0", "a", "b", "Done", "c")]


def test_ragged_rows_keep_every_cell() -> None:
    raw = read_table(b"key,Labels\nP-1,a\nP-2,b,c\n", "jira.csv")
    assert raw.frame.columns == [SOURCE_ROW, "key", "Labels", "column_3"]
    assert _data(raw) == [("P-1", "a", None), ("P-2", "b", "c")]


def test_a_quote_inside_a_field_is_an_ordinary_character() -> None:
    # polars refuses the whole file ("expected 0 rows, actual 1 rows, in chunk ...");
    # Python's csv module and spreadsheets read C"1 as it stands.
    data = b'Case,Activity,Time\nC1,Quote,2025-01-01 10:00\nC"1,Quote,2025-01-01 11:00\n'
    raw = read_table(data, "log.csv")
    assert _data(raw) == [
        ("C1", "Quote", "2025-01-01 10:00"),
        ('C"1', "Quote", "2025-01-01 11:00"),
    ]
    assert raw.frame[SOURCE_ROW].to_list() == [2, 3]
    assert "stray quotes" not in raw.details


def test_a_quote_that_never_closes_is_named_and_the_rest_is_read() -> None:
    data = (
        b"Case,Activity,Time\n"
        b"C1,Quote,2025-01-01 10:00\n"
        b'C2,"Quote,2025-01-01 11:00\n'
        b"C2,Ship,2025-01-02 10:00\n"
        b'C3,"two\nlines",2025-01-03 10:00\n'
    )
    raw = read_table(data, "log.csv")
    assert _data(raw) == [
        ("C1", "Quote", "2025-01-01 10:00"),
        ("C2", '"Quote', "2025-01-01 11:00"),
        ("C2", "Ship", "2025-01-02 10:00"),
        ("C3", "two\nlines", "2025-01-03 10:00"),
    ]
    assert raw.details["stray quotes"] == (
        "row 3: a quote opens a cell and never closes; read with the quote as an ordinary character"
    )


def test_gzip_csv(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(CSV_TEXT.encode("utf-8")))
    raw = read_table(path, path.name)
    assert raw.details["compression"] == "gzip"
    assert _data(raw)[0] == ("NA", "Intake", "Señora López", "2025-01-01 10:00")


def test_unknown_extension_is_sniffed() -> None:
    assert read_table(CSV_TEXT.encode(), "export").format == "csv"
    assert read_table(XES.encode(), "export").format == "xes"


def _workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Log")
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write(0, 0, "Order log export, June 2025")
    sheet.write_row(2, 0, ["Case", "Activity", "Finished", "Serial", "Case"])
    sheet.write_row(3, 0, ["NA", "Pick"])
    sheet.write_datetime(3, 2, dt.datetime(2025, 6, 1, 9, 30), stamp)
    sheet.write_number(3, 3, 45658.5)
    sheet.write(3, 4, "x")
    sheet.write_row(4, 0, ["o2", "Pack"])
    sheet.write_datetime(4, 2, dt.datetime(2025, 6, 2, 10, 0), stamp)
    sheet.write_number(4, 3, 45659)
    other = book.add_worksheet("Resources")
    other.write_row(0, 0, ["name", "team"])
    other.write_row(1, 0, ["Ann", "Blue"])
    book.close()


def test_excel_title_row_types_and_sheets(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    _workbook(path)
    raw = read_table(path, path.name)
    assert raw.format == "xlsx"
    assert raw.sheets == ["Log", "Resources"]
    assert raw.details["sheet"] == "Log"
    assert raw.details["header row"] == "3"
    assert raw.frame.columns == [SOURCE_ROW, "Case", "Activity", "Finished", "Serial", "Case (2)"]
    assert raw.frame.get_column(SOURCE_ROW).to_list() == [4, 5]
    assert raw.frame.get_column("Finished").to_list() == [
        dt.datetime(2025, 6, 1, 9, 30),
        dt.datetime(2025, 6, 2, 10, 0),
    ]
    assert raw.frame.get_column("Serial").to_list() == [45658.5, 45659.0]
    assert raw.frame.get_column("Case").to_list() == ["NA", "o2"]


def test_excel_second_sheet_from_bytes(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    _workbook(path)
    raw = read_table(path.read_bytes(), "log.xlsx", sheet="Resources")
    assert _data(raw) == [("Ann", "Blue")]
    assert raw.frame.get_column(SOURCE_ROW).to_list() == [2]
    with pytest.raises(ReadError, match=r"no sheet named 'Missing'.*Log, Resources"):
        read_table(path, "log.xlsx", sheet="Missing")


def test_polars_written_excel(tmp_path: Path) -> None:
    path = tmp_path / "p.xlsx"
    pl.DataFrame({"case": ["a", "b"], "n": [1, 2]}).write_excel(path)
    raw = read_table(path, path.name)
    assert raw.frame.get_column("case").to_list() == ["a", "b"]
    assert raw.frame.get_column(SOURCE_ROW).to_list() == [2, 3]


def test_old_xls_is_refused_with_advice() -> None:
    with pytest.raises(ReadError, match=r"\.xls.*save it as \.xlsx"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls")


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    frame = pl.DataFrame(
        {"case": ["a", "b"], "end": [dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 2)]}
    )
    frame.write_parquet(path)
    raw = read_table(path, path.name)
    assert raw.format == "parquet"
    assert raw.frame.get_column(SOURCE_ROW).to_list() == [1, 2]
    assert raw.frame.drop(SOURCE_ROW).equals(frame)


XES = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <trace>
    <string key="concept:name" value="c2"/>
    <string key="region" value="North"/>
    <event>
      <string key="concept:name" value="Pick"/>
      <string key="lifecycle:transition" value="start"/>
      <date key="time:timestamp" value="2011-10-01T00:38:44.546+02:00"/>
      <string key="org:resource" value="Ann"/>
      <int key="qty" value="3"/>
    </event>
    <event>
      <string key="concept:name" value="Pick"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2011-10-01T01:00:00.000+02:00"/>
    </event>
  </trace>
  <trace>
    <string key="concept:name" value="c1"/>
    <event>
      <string key="concept:name" value="Pack"/>
      <string key="lifecycle:transition" value="complete"/>
      <date key="time:timestamp" value="2011-09-01T08:00:00Z"/>
    </event>
  </trace>
</log>
"""


def _check_xes(raw) -> None:
    frame = raw.frame
    assert raw.format == "xes"
    assert frame.columns[:6] == [
        SOURCE_ROW,
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "lifecycle:transition",
        "org:resource",
    ]
    assert set(frame.columns) == {
        SOURCE_ROW,
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "lifecycle:transition",
        "org:resource",
        "qty",
        "case:region",
    }
    assert frame.schema["time:timestamp"] == pl.Datetime("us", "UTC")
    assert frame.get_column(SOURCE_ROW).to_list() == [1, 2, 3]
    assert frame.get_column("case:concept:name").to_list() == ["c2", "c2", "c1"]
    assert frame.get_column("lifecycle:transition").to_list() == ["start", "complete", "complete"]
    assert frame.get_column("time:timestamp").to_list() == [
        dt.datetime(2011, 9, 30, 22, 38, 44, 546000, tzinfo=dt.UTC),
        dt.datetime(2011, 9, 30, 23, 0, tzinfo=dt.UTC),
        dt.datetime(2011, 9, 1, 8, 0, tzinfo=dt.UTC),
    ]
    assert frame.get_column("case:region").to_list() == ["North", "North", None]
    assert frame.get_column("qty").to_list() == [3, None, None]


def test_xes(tmp_path: Path) -> None:
    path = tmp_path / "log.xes"
    path.write_text(XES)
    _check_xes(read_table(path, path.name))


def test_xes_gz_from_bytes() -> None:
    _check_xes(read_table(gzip.compress(XES.encode()), "log.xes.gz"))


BAD_INPUTS = [
    (b"", "empty.csv", "empty.csv is empty"),
    (b"   \n\n", "blank.csv", "blank.csv is empty"),
    (b"case,activity,end\n", "header.csv", "header row but no data rows"),
    (bytes(range(256)) * 20, "garbage.csv", "garbage.csv is not a text table"),
    (bytes(range(256)) * 20, "garbage.bin", "garbage.bin is not a table"),
    (
        XES[: len(XES) // 2].encode(),
        "cut.xes",
        "cut.xes is not a readable XES log: the XML is broken",
    ),
    (b"<html><body>hello</body></html>", "page.xes", "no <log> element"),
    (gzip.compress(XES.encode(), mtime=0)[:60], "cut.xes.gz", "gzip"),
    (b"PK\x03\x04 not really a zip", "fake.xlsx", "fake.xlsx is not a readable Excel workbook"),
    (b"PAR1 nope", "fake.parquet", "fake.parquet is not a readable Parquet file"),
    (
        gzip.compress(b"a,b\n1,2\n", mtime=0)[:-9],
        "cut.csv.gz",
        "cut.csv.gz looks gzip-compressed but is damaged",
    ),
]


@pytest.mark.parametrize(
    ("content", "name", "message"), [pytest.param(*case, id=case[1]) for case in BAD_INPUTS]
)
def test_bad_input_raises_a_readable_error(content: bytes, name: str, message: str) -> None:
    with pytest.raises(ReadError, match=message.replace(".", r"\.").replace("(", r"\(")):
        read_table(content, name)


def test_missing_path_and_wrong_encoding(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"nowhere\.csv was not found"):
        read_table(tmp_path / "nowhere.csv", "nowhere.csv")
    with pytest.raises(ReadError, match="could not be read as ascii"):
        read_table("a\né\n".encode(), "x.csv", encoding="ascii")


def test_a_million_row_cp1252_csv_reads_whole() -> None:
    n = 1_000_000
    frame = pl.DataFrame(
        {"case": pl.int_range(n, eager=True).cast(pl.String), "activity": ["Café, au lait"] * n}
    )
    data = frame.write_csv().encode("cp1252")
    raw = read_table(data, "big.csv")
    assert raw.frame.height == n
    assert raw.frame.get_column("activity")[-1] == "Café, au lait"


REAL_COUNTS = {
    "running-example.xes": 42,
    "running-example.csv": 42,
    "roadtraffic100traces.xes": 390,
    "receipt.csv": 8577,
    "helpdesk.xes.gz": 21348,
    "sepsis.csv": 15214,
    "bpic2012.xes.gz": 262200,
    "BPI_Challenge_2012_W_Two_TS.xes.gz": 118604,
    "BPI_Challenge_2017_W_Two_TS_filtered.xes.gz": 127528,
    "BPIC15_1.csv.gz": 52217,
    "Production.xes.gz": 9906,
    "Production.csv": 4953,
    "ConsultaDataMining201618.xes.gz": 13740,
    "reviewing.xes": 3730,
    "interval_event_log.csv": 8109,
}


def _real(name: str) -> Path:
    if not REAL.is_dir():
        pytest.skip(f"../shared/data/real is absent (a user's own clone): {REAL}")
    return REAL / name


@pytest.mark.real
@pytest.mark.parametrize(("name", "rows"), sorted(REAL_COUNTS.items()))
def test_real_logs_raw_row_counts(name: str, rows: int) -> None:
    raw = read_table(_real(name), name)
    assert raw.frame.height == rows
    assert raw.frame.get_column(SOURCE_ROW).is_sorted()
    assert raw.frame.get_column(SOURCE_ROW)[0] == (1 if raw.format == "xes" else 2)


@pytest.mark.real
def test_real_bpic2012_offsets_are_honoured() -> None:
    raw = read_table(_real("bpic2012.xes.gz"), "bpic2012.xes.gz")
    first = raw.frame.row(0, named=True)
    assert first["time:timestamp"] == dt.datetime(2011, 9, 30, 22, 38, 44, 546000, tzinfo=dt.UTC)
    assert first["case:concept:name"] == "173688"
    assert first["lifecycle:transition"] == "COMPLETE"
    counts = raw.frame.get_column("lifecycle:transition").value_counts()
    assert dict(counts.rows()) == {"COMPLETE": 164506, "START": 71376, "SCHEDULE": 26318}


@pytest.mark.real
def test_real_sepsis_keeps_case_na_and_semicolons() -> None:
    raw = read_table(_real("sepsis.csv"), "sepsis.csv")
    assert raw.details["delimiter"] == "semicolon"
    assert raw.frame.filter(pl.col("Case ID") == "NA").height == 24
    assert raw.frame.get_column("Case ID").n_unique() == 1050


@pytest.mark.real
def test_real_running_example_csv_index_column_and_xes_agree() -> None:
    csv_raw = read_table(_real("running-example.csv"), "running-example.csv")
    assert csv_raw.frame.columns[1] == "column_1"
    xes_raw = read_table(_real("running-example.xes"), "running-example.xes")
    assert sorted(csv_raw.frame.get_column("concept:name").to_list()) == sorted(
        xes_raw.frame.get_column("concept:name").to_list()
    )
