"""End-to-end imports: mapping, validation, lifecycle pairing, atomicity and idempotence."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest import ImportOptions, IngestError, ingest, prepare
from pipelines.mapping import Mapping
from warehouse import Warehouse


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ORDERS = """Order ID,Step,Started,Finished,Owner,Offering,Priority
O-1,Quote,2025-06-02 09:00,2025-06-02 10:00,Maya,Custom formulation,high
O-1,Formulation,2025-06-03 09:00,2025-06-04 17:00,Lab,Custom formulation,high
O-2,Quote,2025-06-02 11:00,2025-06-02 11:30,Maya,Private label,low
,Quote,2025-06-02 11:00,2025-06-02 11:30,Maya,Private label,low
O-3,,2025-06-02 11:00,2025-06-02 11:30,Maya,Private label,low
O-4,Quote,2025-06-02 11:00,tomorrow,Maya,Private label,low
O-5,Quote,2025-06-05 11:00,2025-06-02 11:30,Maya,Private label,low
"""


def test_detected_mapping_stores_good_rows_and_explains_each_reject(
    wh: Warehouse, tmp_path: Path
) -> None:
    report = ingest(wh, _csv(tmp_path, "orders.csv", ORDERS))
    assert report.mapping["case"] == "Order ID"
    assert report.mapping["activity"] == "Step"
    assert report.mapping["start"] == "Started" and report.mapping["end"] == "Finished"
    assert report.mapping["offering_column"] == "Offering"
    assert (report.rows_read, report.stored, report.duplicates, report.rejected) == (7, 3, 0, 4)
    reasons = {r["row"]: r["reason"] for r in report.rejects}
    assert reasons[5].startswith("no case id") and "'Order ID'" in reasons[5]
    assert reasons[6].startswith("no activity") and "'Step'" in reasons[6]
    assert "'tomorrow'" in reasons[7] and "'Finished'" in reasons[7]
    assert reasons[8].startswith("end (2025-06-02 11:30:00 UTC) is before start")
    assert sorted(report.offerings) == ["Custom formulation", "Private label"]

    events = wh.events()
    assert events["case_id"].to_list() == ["O-1", "O-1", "O-2"]
    assert events["source_row"].to_list() == [2, 3, 4]
    assert events["start"][1] == datetime(2025, 6, 3, 9, tzinfo=UTC)
    assert '"Priority":"high"' in events["attributes"][0]
    stored_rejects = wh.rejects(report.import_id)
    assert stored_rejects["row"].to_list() == [5, 6, 7, 8]
    assert '"Owner":"Maya"' in stored_rejects["raw"][0]


def test_same_file_twice_stores_nothing_new_and_says_so(wh: Warehouse, tmp_path: Path) -> None:
    path = _csv(tmp_path, "orders.csv", ORDERS)
    first = ingest(wh, path)
    again = ingest(wh, path)
    assert again.already_imported_as == first.import_id
    assert again.stored == 0 and again.import_id is None
    assert "already imported as import #1" in again.summary()
    assert wh.event_count() == 3 and wh.imports().height == 1


def test_overlapping_export_adds_only_new_events(wh: Warehouse, tmp_path: Path) -> None:
    header = "Case ID,Activity,Timestamp\n"
    ingest(
        wh,
        _csv(tmp_path, "june.csv", header + "A,x,2025-06-01 10:00\nA,y,2025-06-02 10:00\n"),
        options=ImportOptions(
            mapping=Mapping(
                case="Case ID", activity="Activity", end="Timestamp", offering_name="Shop"
            )
        ),
    )
    later = ingest(
        wh,
        _csv(
            tmp_path,
            "june-july.csv",
            header + "A,x,2025-06-01 10:00\nA,y,2025-06-02 10:00\nA,z,2025-07-01 10:00\n",
        ),
        options=ImportOptions(
            mapping=Mapping(
                case="Case ID", activity="Activity", end="Timestamp", offering_name="Shop"
            )
        ),
    )
    assert (later.stored, later.duplicates) == (1, 2)
    assert wh.events()["activity"].to_list() == ["x", "y", "z"]


def test_undo_then_reimport_restores_the_same_events(wh: Warehouse, tmp_path: Path) -> None:
    path = _csv(tmp_path, "orders.csv", ORDERS)
    first = ingest(wh, path)
    wh.undo_import(first.import_id)
    assert wh.event_count() == 0
    second = ingest(wh, path)
    assert second.already_imported_as is None and second.stored == 3


def test_offering_defaults_to_the_file_name(wh: Warehouse, tmp_path: Path) -> None:
    report = ingest(
        wh,
        _csv(tmp_path, "support tickets.csv", "Case,Activity,Time\n1,Open,2025-01-01T10:00:00Z\n"),
    )
    assert report.offerings == ["support tickets"]


def test_one_offering_name_for_the_whole_file(wh: Warehouse, tmp_path: Path) -> None:
    path = _csv(tmp_path, "x.csv", "Case,Activity,Time\n1,Open,2025-01-01T10:00:00Z\n")
    report = ingest(
        wh,
        path,
        options=ImportOptions(
            mapping=Mapping(case="Case", activity="Activity", end="Time", offering_name="Helpdesk")
        ),
    )
    assert report.offerings == ["Helpdesk"]


LIFECYCLE = """case,activity,lifecycle,timestamp,resource
1,Review,start,2025-01-01T09:00:00Z,Ann
1,Review,start,2025-01-01T09:30:00Z,Bob
1,Review,complete,2025-01-01T10:00:00Z,Ann
1,Review,complete,2025-01-01T11:00:00Z,Bob
1,Review,complete,2025-01-01T12:00:00Z,Cy
1,Approve,schedule,2025-01-01T12:30:00Z,
1,Approve,start,2025-01-01T13:00:00Z,Dee
1,Ship,COMPLETE,2025-01-02T08:00:00Z,Eve
"""


def test_lifecycle_rows_are_paired_first_in_first_out(wh: Warehouse, tmp_path: Path) -> None:
    report = ingest(wh, _csv(tmp_path, "life.csv", LIFECYCLE))
    assert report.mapping["lifecycle"] == "lifecycle"
    events = wh.events().sort("event_id")
    assert events["activity"].to_list() == ["Review", "Review", "Review", "Ship"]
    starts = events["start"].to_list()
    assert starts[0] == datetime(2025, 1, 1, 9, tzinfo=UTC)
    assert starts[1] == datetime(2025, 1, 1, 9, 30, tzinfo=UTC)
    assert starts[2] is None and starts[3] is None  # complete with no start: unknown start
    assert events["source_row"].to_list() == [4, 5, 6, 9]  # the complete row's position
    assert report.stored == 4 and report.rejected == 0
    assert any("1 start rows never completed" in n for n in report.notes)
    assert any("1 rows with other lifecycle transitions" in n for n in report.notes)


def test_a_start_column_wins_over_a_lifecycle_column(wh: Warehouse, tmp_path: Path) -> None:
    text = "case,activity,start,end,lifecycle:transition\n1,a,2025-01-01 09:00,2025-01-01 10:00,start\n1,b,2025-01-01 11:00,2025-01-01 12:00,complete\n"
    report = ingest(wh, _csv(tmp_path, "both.csv", text))
    assert report.mapping["start"] == "start" and report.stored == 2


def test_naive_timestamps_are_read_in_the_chosen_zone_across_dst(
    wh: Warehouse, tmp_path: Path
) -> None:
    text = "case,activity,timestamp\n1,a,2025-03-30 01:30:00\n1,b,2025-03-30 03:30:00\n"
    ingest(wh, _csv(tmp_path, "dst.csv", text), options=ImportOptions(timezone="Europe/Amsterdam"))
    ends = wh.events()["end"].to_list()
    assert ends == [
        datetime(2025, 3, 30, 0, 30, tzinfo=UTC),
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
    ]


def test_mixed_offsets_in_one_file(wh: Warehouse, tmp_path: Path) -> None:
    text = "case,activity,timestamp\n1,a,2011-10-29 10:00:00+02:00\n1,b,2011-10-31 10:00:00+01:00\n"
    ingest(wh, _csv(tmp_path, "offsets.csv", text))
    ends = wh.events()["end"].to_list()
    assert ends == [datetime(2011, 10, 29, 8, tzinfo=UTC), datetime(2011, 10, 31, 9, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty"),
        ("garbage.csv", bytes(range(256)) * 40, ""),
        ("nocols.csv", b"foo,bar\n1,2\n3,4\n", "case"),
        ("broken.xes", b"<?xml version='1.0'?><log><trace><event>", ""),
        ("notimes.csv", b"case,activity,timestamp\n1,a,soon\n2,b,later\n", "timestamp"),
    ],
)
def test_files_that_cannot_be_imported_change_nothing(
    wh: Warehouse, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    ingest(wh, _csv(tmp_path, "ok.csv", "case,activity,timestamp\n1,a,2025-01-01T00:00:00Z\n"))
    before = (wh.event_count(), wh.imports().height)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError) as exc:
        ingest(wh, path)
    assert message.lower() in str(exc.value).lower()
    assert name in str(exc.value)
    assert (wh.event_count(), wh.imports().height) == before


def test_every_row_rejected_is_an_error_that_stores_nothing(wh: Warehouse, tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "bad.csv",
        "case,activity,timestamp\n,a,2025-01-01T00:00:00Z\n1,,2025-01-01T00:00:00Z\n",
    )
    with pytest.raises(IngestError, match="none of its 2 rows could be imported"):
        ingest(wh, path)
    assert wh.event_count() == 0


def test_unknown_time_zone_is_a_clear_error(tmp_path: Path) -> None:
    path = _csv(tmp_path, "x.csv", "case,activity,timestamp\n1,a,2025-01-01 00:00\n")
    with pytest.raises(IngestError, match="Unknown time zone 'Mars/Olympus'"):
        prepare(path, options=ImportOptions(timezone="Mars/Olympus"))


def test_gzipped_csv_and_latin1(wh: Warehouse, tmp_path: Path) -> None:
    text = "case;activity;timestamp\n1;Señal recibida;2025-01-01 10:00\n"
    (tmp_path / "log.csv.gz").write_bytes(gzip.compress(text.encode("latin-1")))
    report = ingest(wh, tmp_path / "log.csv.gz")
    assert report.stored == 1 and report.offerings == ["log"]
    assert wh.events()["activity"].to_list() == ["Señal recibida"]


def test_parquet_with_typed_columns(wh: Warehouse, tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "case:concept:name": ["1", "1"],
            "concept:name": ["a", "b"],
            "time:timestamp": [datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)],
            "amount": [10.5, 20.0],
        }
    )
    frame.write_parquet(tmp_path / "log.parquet")
    report = ingest(wh, tmp_path / "log.parquet")
    assert report.stored == 2
    assert '"amount":"10.5"' in wh.events()["attributes"][0]
