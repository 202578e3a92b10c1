"""The files of the security review, each refused in one sentence or imported with what is
wrong in it said, never a traceback, a Rust panic or memory for one file alone.

Each goes through the command line (exit 2 and one line on stderr when nothing can be
imported), which is the Data page's flow: inspect, prepare, store.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
import zlib
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from model.limits import MAX_CELL_CHARS, MAX_EVENTS_PER_CASE, MAX_LINE_BYTES, MAX_UNPACKED_BYTES
from pipelines.ingest import prepare
from tests.cli_runner import run_cli
from warehouse import Warehouse


def _import(tmp_path: Path, name: str, data: bytes, *flags: str) -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_bytes(data)
    ran = run_cli("ingest", str(path), "--db", str(tmp_path / "w.duckdb"), *flags)
    return ran.returncode, ran.stdout, ran.stderr


def _refused(tmp_path: Path, name: str, data: bytes) -> str:
    code, out, err = _import(tmp_path, name, data)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "Traceback" not in err
    return err.strip()


def _workbook(cells: list[list[str]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(cells):
        sheet.write_row(r, 0, row)
    book.close()
    return out.getvalue()


def _with_part(book: bytes, part: str, replace: tuple[bytes, bytes]) -> bytes:
    """The workbook with one of its XML parts edited (what Excel would never write)."""
    src = zipfile.ZipFile(io.BytesIO(book))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data.replace(*replace) if item.filename == part else data)
    return out.getvalue()


ROWS = [["case", "activity", "end"], ["c1", "A", "2024-01-01 10:00"], ["c1", "B", "2024-01-02"]]


def test_a_workbook_cell_longer_than_excel_allows_is_refused(tmp_path: Path) -> None:
    long_cell = b"<t>" + b"B" * (7 * MAX_CELL_CHARS) + b"</t>"
    book = _with_part(_workbook(ROWS), "xl/sharedStrings.xml", (b"<t>B</t>", long_cell))
    assert len(book) < 100_000  # a small file: the cell packs to almost nothing
    message = _refused(tmp_path, "big-cell.xlsx", book)
    assert message == (
        "big-cell.xlsx holds a cell longer than 32,767 characters, Excel's own limit, in its "
        "part xl/sharedStrings.xml: it was not saved by Excel, and is refused."
    )


def test_a_workbook_declaring_a_huge_part_is_refused_before_it_is_unpacked(
    tmp_path: Path,
) -> None:
    book = bytearray(_workbook(ROWS))
    # The zip's central directory entry of the shared strings declares 3 GB unpacked (the
    # uncompressed size sits 24 bytes into an entry).
    entry = book.find(b"xl/sharedStrings.xml", book.find(b"PK\x01\x02"))
    header = book.rfind(b"PK\x01\x02", 0, entry)
    book[header + 24 : header + 28] = (3_000_000_000).to_bytes(4, "little")
    message = _refused(tmp_path, "bomb.xlsx", bytes(book))
    assert message.startswith("bomb.xlsx unpacks to more than 1 GB when unpacked")


@pytest.mark.slow
def test_a_gzip_bomb_is_refused_at_the_limit(tmp_path: Path) -> None:
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip framing
    chunk = b"case,activity,end\n" + b"0" * (1 << 24)
    parts = [packer.compress(chunk) for _ in range(MAX_UNPACKED_BYTES // len(chunk) + 2)]
    data = b"".join(parts) + packer.flush()
    assert len(data) < 5_000_000
    message = _refused(tmp_path, "bomb.csv.gz", data)
    assert message.startswith("bomb.csv.gz holds more than 1 GB when unpacked")


def test_a_csv_without_line_breaks_is_refused(tmp_path: Path) -> None:
    data = b"case,activity,end" + b"x" * (MAX_LINE_BYTES + 10)
    message = _refused(tmp_path, "one-line.csv", data)
    assert message.startswith(f"one-line.csv has a line of {MAX_LINE_BYTES + 27:,} bytes")


@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
@pytest.mark.parametrize("before", [0, 7, 499_993, 1_234_567])
def test_a_line_is_refused_from_one_byte_over_the_limit_wherever_it_stands(
    before: int, ending: bytes
) -> None:
    """Short lines first (`before` bytes of them, so the long line starts anywhere against
    the stretches the check looks through), then one of the limit and one a byte over."""
    from pipelines.readers import ReadError, _check_lines

    head = b"case,activity,end" + ending
    short = (b"c,a,1" + ending) * (before // (5 + len(ending)))
    at_limit = b"y" * MAX_LINE_BYTES + ending
    _check_lines(head + short + at_limit + b"c,a,1" + ending, "limit.csv")
    _check_lines(head + short + at_limit, "limit.csv")
    over = b"z" * (MAX_LINE_BYTES + 1)
    for tail in (ending + b"c,a,1" + ending, b""):
        with pytest.raises(ReadError, match=f"has a line of {MAX_LINE_BYTES + 1:,} bytes"):
            _check_lines(head + short + at_limit + over + tail, "long.csv")


def test_a_csv_with_thousands_of_columns_is_refused(tmp_path: Path) -> None:
    data = (",".join(f"c{i}" for i in range(5000)) + "\n" + ",".join("1" * 5000) + "\n").encode()
    assert _refused(tmp_path, "wide.csv", data).startswith("wide.csv has 5,000 columns")


def test_parquet_lists_maps_durations_and_binary_are_kept_as_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "case": ["c1", "c1"],
            "activity": ["A", "B"],
            "end": ["2024-01-01 10:00", "2024-01-02 10:00"],
            "tags": pa.array([["x", "y"], ["z"]]),
            "fields": pa.array([[("k", "v")], []], type=pa.map_(pa.string(), pa.string())),
            "took": pa.array([3_600_000_000, 300_000_000], type=pa.duration("us")),
            "blob": pa.array([b"\x00\x01", b"\xff\xfe"], type=pa.binary()),
            "nested": pa.array([{"a": 1}, {"a": 2}]),
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    code, stdout, _ = _import(tmp_path, "typed.parquet", out.getvalue(), "--json")
    assert code == 0 and json.loads(stdout)["stored"] == 2
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        first = json.loads(wh.events()["attributes"][0])
    assert first == {
        "tags": '["x","y"]',
        "fields": '{"k":"v"}',
        "took": "PT1H",
        "blob": "0001",  # not all text: the column is written as hex
        "nested": '{"a":1}',
    }


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_beyond_the_recursion_limit_is_refused(tmp_path: Path, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    data = (opening * 50_000 + "1" + closing * 50_000).encode()
    message = _refused(tmp_path, "deep.json", data)
    assert message.startswith("deep.json is a JSON document nested more deeply than any tool")


XES_HEAD = '<?xml version="1.0" encoding="UTF-8"?><log xes.version="1.0">'


def _event(activity: str, when: str, extra: str = "") -> str:
    return (
        f'<event><string key="concept:name" value="{activity}"/>'
        f'<date key="time:timestamp" value="{when}"/>{extra}</event>'
    )


def test_a_trace_inside_a_trace_is_refused_without_a_panic(tmp_path: Path) -> None:
    xes = (
        XES_HEAD
        + '<trace><string key="concept:name" value="c1"/>'
        + _event("A", "2024-01-01T10:00:00+00:00")
        + '<trace><string key="concept:name" value="c2"/>'
        + _event("B", "2024-01-02T10:00:00+00:00")
        + "</trace></trace></log>"
    )
    assert _refused(tmp_path, "nested.xes", xes.encode()) == (
        "nested.xes is not a readable XES log: a <trace> opens inside another <trace>, or an "
        "event stands outside any trace."
    )


def test_xes_values_that_are_not_their_declared_type_are_kept_as_text(tmp_path: Path) -> None:
    events = [
        _event(
            f"S{i}",
            f"2024-01-0{i + 1}T10:00:00+01:00",
            f'<int key="cost" value="{5 if i else "notanint"}"/>'
            f'<boolean key="urgent" value="{"true" if i else "maybe"}"/>',
        )
        for i in range(6)
    ]
    events.insert(3, _event("BAD", "soon"))
    events.insert(5, _event("FAR", "9999-12-31T10:00:00+00:00"))
    xes = (
        XES_HEAD
        + '<trace><string key="concept:name" value="c1"/>'
        + "".join(events)
        + "</trace></log>"
    )
    prepared = prepare(xes.encode(), "typed.xes")
    norm = prepared.normalized
    first = json.loads(norm.instances["attributes"][0])
    assert (first["cost"], first["urgent"]) == ("notanint", "maybe")
    assert json.loads(norm.instances["attributes"][1])["cost"] == "5"
    assert norm.rejects.select("source_row", "reason").to_dicts() == [
        {
            "source_row": 4,
            "reason": "end time 'soon' in column 'time:timestamp' is not a date and time",
        },
        {"source_row": 6, "reason": "end time 9999-12-31 10:00:00 UTC is outside 1900 to 2199"},
    ]
    assert any(
        "Values kept as text: cost: int 'notanint'" in note and "urgent: boolean 'maybe'" in note
        for note in norm.notes
    )


@pytest.mark.parametrize("value_first", [False, True])
def test_an_xes_value_its_type_cannot_hold_is_found_however_its_element_is_written(
    value_first: bool,
) -> None:
    """Elements written key first and holding values of their type are passed over at
    once; one bad value among a thousand good ones is still found, and so is one in an
    element written value first."""
    from pipelines.readers import _retype_bad_values

    def element(kind: str, key: str, value: str) -> str:
        if value_first:
            return f'<{kind} value="{value}" key="{key}"/>'
        return f'<{kind} key="{key}" value="{value}"/>'

    events = [
        element("date", "time:timestamp", f"2024-01-01T10:{i % 60:02d}:00.000+01:00")
        + element("int", "n", str(i))
        + element("float", "x", f"{i}.5e-3")
        + element("boolean", "b", "true")
        for i in range(1000)
    ]
    good = "".join(events)
    xml = f"<log>{good}</log>".encode()
    assert _retype_bad_values(xml) == (xml, {})
    for kind, key, bad in (
        ("date", "time:timestamp", "31/12/2024"),
        ("int", "n", "notanint"),
        ("float", "x", "1,5"),
        ("boolean", "b", "maybe"),
    ):
        middle = "".join(events[:500]) + element(kind, key, bad) + "".join(events[500:])
        with_bad = f"<log>{middle}</log>".encode()
        retyped, changed = _retype_bad_values(with_bad)
        assert changed == {key: [(kind, bad)]}
        assert retyped.count(b"<string") == 1
        assert element("string", key, bad).encode() in retyped


def test_rows_dated_outside_1900_to_2199_are_rejected_saying_which(tmp_path: Path) -> None:
    csv = (
        "case,activity,start,end\n"
        "c1,A,2024-01-01 09:00,2024-01-01 10:00\n"
        "c1,B,2024-01-01 11:00,9999-12-31 10:00\n"
        "c2,A,1850-01-01 09:00,2024-01-02 10:00\n"
        "c2,B,2024-01-03 09:00,2024-01-03 10:00\n"
    )
    code, stdout, _ = _import(tmp_path, "dates.csv", csv.encode(), "--json")
    report = json.loads(stdout)
    assert (code, report["stored"]) == (0, 2)
    assert report["rejects"] == [
        {"row": 3, "reason": "end time 9999-12-31 10:00:00 UTC is outside 1900 to 2199"},
        {"row": 4, "reason": "start time 1850-01-01 09:00:00 UTC is outside 1900 to 2199"},
    ]


def test_a_case_with_more_events_than_a_page_can_show_is_rejected_row_by_row(
    tmp_path: Path,
) -> None:
    n = MAX_EVENTS_PER_CASE + 1
    rows = "".join(f"same,step {i % 7},2024-01-01T10:00:{i % 60:02d}Z\n" for i in range(n))
    csv = "case,activity,end\nother,A,2024-01-01T09:00:00Z\n" + rows
    code, stdout, _ = _import(tmp_path, "constant-case.csv", csv.encode(), "--json")
    report = json.loads(stdout)
    assert (code, report["stored"], report["rejected"]) == (0, 1, n)
    assert report["rejects"][0]["reason"] == (
        f"case same has {n} activity instances; a case may have at most {MAX_EVENTS_PER_CASE:,}"
    )


def test_a_free_text_column_mapped_as_the_activity_is_refused(tmp_path: Path) -> None:
    csv = "case,comment,end\n" + "".join(
        f"c{i % 50},note number {i},2024-01-01T10:00:00Z\n" for i in range(5_001)
    )
    path = tmp_path / "comments.csv"
    path.write_text(csv)
    ran = run_cli(
        "ingest", str(path), "--db", str(tmp_path / "w.duckdb"), "--activity-column", "comment"
    )
    assert ran.returncode == 2
    assert ran.stderr.strip() == (
        "comments.csv: 'comments' has 5,001 distinct activities; the dashboard shows at most "
        "5,000 per offering. Is the activity column really the step (not a comment, a title or "
        "an id)? Choose another column."
    )


def test_gzip_compressed_csv_still_imports(tmp_path: Path) -> None:
    data = gzip.compress(b"case,activity,end\nc1,A,2024-01-01 10:00\nc1,B,2024-01-02 10:00\n")
    code, stdout, _ = _import(tmp_path, "orders.csv.gz", data, "--json")
    assert (code, json.loads(stdout)["stored"]) == (0, 2)


def test_parquet_decimals_become_numbers(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"case": ["c1"], "activity": ["A"], "end": ["2024-01-01 10:00"], "cost": ["12.50"]}
    ).with_columns(pl.col("cost").cast(pl.Decimal(10, 2)))
    out = io.BytesIO()
    frame.write_parquet(out)
    code, _, _ = _import(tmp_path, "money.parquet", out.getvalue())
    assert code == 0
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        assert json.loads(wh.events()["attributes"][0]) == {"cost": "12.5"}
