"""Timestamp parsing: every form an export writes, read to the right UTC instant."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipelines.mapping import detect_mapping
from pipelines.readers import read_table
from pipelines.timestamps import detect_day_first, parse_timestamps

UTC = dt.UTC
REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"


def utc(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


def parsed(values: list, **kwargs) -> list:
    result = parse_timestamps(pl.Series("t", values), **kwargs)
    assert result.values.dtype == pl.Datetime("us", "UTC")
    return result.values.to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-03T09:05:00Z", utc(2025, 6, 3, 9, 5)),
        ("2025-06-03T09:05:00+02:00", utc(2025, 6, 3, 7, 5)),
        ("2025-06-03T09:05:00.366-0600", utc(2025, 6, 3, 15, 5, 0, 366000)),
        ("2025-06-03 09:05:00.123456+02:00", utc(2025, 6, 3, 7, 5, 0, 123456)),
        ("2025-06-03 09:05:00.000", utc(2025, 6, 3, 9, 5)),
        ("2025-06-03T09:05:00", utc(2025, 6, 3, 9, 5)),
        ("2025-06-03 09:05", utc(2025, 6, 3, 9, 5)),
        ("2014/10/22 11:15:41.000", utc(2014, 10, 22, 11, 15, 41)),
        ("14/Jul/25 3:42 PM", utc(2025, 7, 14, 15, 42)),
        ("03/July/2025  04:00:18 PM", utc(2025, 7, 3, 16, 0, 18)),
        ("2021-05-12T23:01:42 UTC", utc(2021, 5, 12, 23, 1, 42)),
    ],
)
def test_single_forms_read_to_the_right_instant(text: str, expected: dt.datetime) -> None:
    assert parsed([text]) == [expected]


def test_mixed_offsets_in_one_column_like_receipt() -> None:
    values = [
        "2011-10-11 13:45:40.276000+02:00",
        "2011-12-11 13:45:40.276000+01:00",
        "2011-12-11T13:45:40Z",
    ]
    result = parse_timestamps(pl.Series(values))
    assert result.values.to_list() == [
        utc(2011, 10, 11, 11, 45, 40, 276000),
        utc(2011, 12, 11, 12, 45, 40, 276000),
        utc(2011, 12, 11, 13, 45, 40),
    ]
    assert "UTC offsets" in result.description
    assert not result.failed.any()


def test_naive_times_across_spring_dst_gap_in_amsterdam() -> None:
    result = parse_timestamps(
        pl.Series(["2025-03-30 01:30", "2025-03-30 03:30", "2025-03-30 02:30"]),
        tz="Europe/Amsterdam",
    )
    # 02:30 does not exist that night: the clock was not yet moved, so it is 03:30 CEST.
    assert result.values.to_list() == [
        utc(2025, 3, 30, 0, 30),
        utc(2025, 3, 30, 1, 30),
        utc(2025, 3, 30, 1, 30),
    ]
    assert "Europe/Amsterdam" in result.description
    assert "skipped-hour" in result.description
    assert not result.failed.any()


def test_naive_times_in_the_repeated_autumn_hour_take_the_earlier_instant() -> None:
    result = parse_timestamps(
        pl.Series(["2025-10-26 01:30", "2025-10-26 02:30", "2025-10-26 03:30"]),
        tz="Europe/Amsterdam",
    )
    assert result.values.to_list() == [
        utc(2025, 10, 25, 23, 30),
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 26, 2, 30),
    ]
    assert "1 repeated-hour" in result.description


def test_offsets_ignore_the_zone_argument() -> None:
    assert parsed(["2025-01-01T10:00:00+01:00"], tz="America/New_York") == [utc(2025, 1, 1, 9)]


def test_day_first_detected_from_a_day_above_12() -> None:
    result = parse_timestamps(pl.Series(["03/04/2025 14:00", "13/04/2025 09:00"]))
    assert result.values.to_list() == [utc(2025, 4, 3, 14), utc(2025, 4, 13, 9)]
    assert result.day_first is True
    assert "day-first" in result.description


def test_month_first_detected_from_a_second_field_above_12() -> None:
    result = parse_timestamps(pl.Series(["03/04/2025 14:00", "04/13/2025 09:00"]))
    assert result.values.to_list() == [utc(2025, 3, 4, 14), utc(2025, 4, 13, 9)]
    assert result.day_first is False


def test_ambiguous_dates_default_to_month_first_and_say_so() -> None:
    result = parse_timestamps(pl.Series(["03/04/2025 14:00"]))
    assert result.values.to_list() == [utc(2025, 3, 4, 14)]
    assert "ambiguous" in result.description


def test_explicit_day_first_overrides_detection() -> None:
    assert parsed(["03/04/2025 14:00"], day_first=True) == [utc(2025, 4, 3, 14)]
    assert parsed(["03/04/2025 14:00", "13/04/2025 09:00"], day_first=False)[0] == utc(
        2025, 3, 4, 14
    )


def test_detect_day_first() -> None:
    assert detect_day_first(pl.Series(["25/12/2024", "01/02/2025"])) is True
    assert detect_day_first(pl.Series(["12/25/2024", "01/02/2025"])) is False
    assert detect_day_first(pl.Series(["01/02/2025"])) is None
    assert detect_day_first(pl.Series(["2025-01-02"])) is None


def test_date_only_values() -> None:
    result = parse_timestamps(pl.Series(["2025-01-01", "2025-02-01"]), tz="Europe/Amsterdam")
    assert result.values.to_list() == [utc(2024, 12, 31, 23), utc(2025, 1, 31, 23)]
    assert result.date_only is True
    assert parse_timestamps(pl.Series(["2025-01-01 10:00"])).date_only is False


def test_epoch_seconds_and_milliseconds_by_magnitude() -> None:
    seconds = parse_timestamps(pl.Series(["1735732800", "1735732801"]))
    assert seconds.values.to_list() == [utc(2025, 1, 1, 12), utc(2025, 1, 1, 12, 0, 1)]
    assert seconds.description == "epoch seconds"
    millis = parse_timestamps(pl.Series([1735732800123]))
    assert millis.values.to_list() == [utc(2025, 1, 1, 12, 0, 0, 123000)]
    assert millis.description == "epoch milliseconds"


def test_excel_serial_dates() -> None:
    result = parse_timestamps(pl.Series([45658.5, 45659.0]))
    assert result.values.to_list() == [utc(2025, 1, 1, 12), utc(2025, 1, 2)]
    assert "Excel serial" in result.description
    as_text = parse_timestamps(pl.Series(["45658", "45659"]))
    assert as_text.values.to_list() == [utc(2025, 1, 1), utc(2025, 1, 2)]
    assert as_text.date_only is True


def test_typed_datetimes() -> None:
    naive = parse_timestamps(pl.Series([dt.datetime(2025, 7, 1, 12)]), tz="Europe/Amsterdam")
    assert naive.values.to_list() == [utc(2025, 7, 1, 10)]
    aware = pl.Series([dt.datetime(2025, 7, 1, 12)]).dt.replace_time_zone("America/New_York")
    assert parse_timestamps(aware).values.to_list() == [utc(2025, 7, 1, 16)]
    dates = parse_timestamps(pl.Series([dt.date(2025, 7, 1)]))
    assert dates.values.to_list() == [utc(2025, 7, 1)]
    assert dates.date_only is True


def test_empty_cells_are_null_but_not_failures() -> None:
    result = parse_timestamps(pl.Series(["2025-01-01 10:00", "", None, "not a date", "  "]))
    assert result.values.to_list() == [utc(2025, 1, 1, 10), None, None, None, None]
    assert result.failed.to_list() == [False, False, False, True, False]


def test_a_column_of_words_fails_without_crashing() -> None:
    result = parse_timestamps(pl.Series(["soon", "later"]))
    assert result.failed.to_list() == [True, True]
    assert result.description == "no recognisable timestamps"


def test_a_million_naive_values_parse_without_failures() -> None:
    base = pl.datetime_range(
        dt.datetime(2020, 1, 1), dt.datetime(2022, 1, 1), "1m", eager=True
    ).head(1_000_000)
    text = base.dt.strftime("%Y/%m/%d %H:%M:%S%.3f")
    result = parse_timestamps(text, tz="Europe/Amsterdam")
    assert not result.failed.any()


@pytest.mark.real
@pytest.mark.parametrize(
    "name",
    [
        "sepsis.csv",
        "receipt.csv",
        "Production.csv",
        "interval_event_log.csv",
        "BPIC15_1.csv.gz",
        "running-example.csv",
        "running-example.xes",
        "bpic2012.xes.gz",
        "reviewing.xes",
        "roadtraffic100traces.xes",
        "helpdesk.xes.gz",
    ],
)
def test_real_logs_timestamps_parse_without_failures(name: str) -> None:
    if not REAL.is_dir():
        pytest.skip(f"../shared/data/real is absent (a user's own clone): {REAL}")
    raw = read_table(REAL / name, name)
    time_columns = [
        c
        for c in ("time:timestamp", "start_timestamp", "Complete Timestamp", "Start Timestamp")
        if c in raw.frame.columns
    ]
    assert time_columns
    for column in time_columns:
        result = parse_timestamps(raw.frame.get_column(column))
        assert int(result.failed.sum()) == 0, (column, result.description)
        if name != "BPIC15_1.csv.gz" or column != "start_timestamp":
            assert result.values.null_count() == 0
    mapping = detect_mapping(raw.frame)
    assert mapping.end in time_columns


@pytest.mark.real
def test_real_receipt_mixed_offsets_and_sepsis_naive() -> None:
    if not REAL.is_dir():
        pytest.skip(f"../shared/data/real is absent (a user's own clone): {REAL}")
    receipt = read_table(REAL / "receipt.csv", "receipt.csv").frame
    values = parse_timestamps(receipt.get_column("time:timestamp")).values
    assert values.min() == utc(2010, 10, 2, 7, 20, 39, 266000)
    sepsis = read_table(REAL / "sepsis.csv", "sepsis.csv").frame
    first = parse_timestamps(sepsis.get_column("Complete Timestamp").head(1))
    assert first.values.to_list() == [utc(2014, 10, 22, 11, 15, 41)]
