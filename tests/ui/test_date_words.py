"""Every page writes a day the same way: "1 Aug 2026", never "01 Aug 2026"."""

from datetime import UTC, date, datetime

import polars as pl

from ui.format import day_month, day_text, day_text_expr, moment_text


def test_a_day_is_written_without_a_leading_zero() -> None:
    assert day_text(date(2026, 8, 1)) == "1 Aug 2026"
    assert day_text(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "31 Dec 2026"
    assert day_month(date(2026, 8, 1)) == "1 Aug"
    assert moment_text(datetime(2026, 8, 1, 9, 5, tzinfo=UTC)) == "1 Aug 2026 09:05"


def test_a_table_column_reads_as_the_sentences_do() -> None:
    moments = [datetime(2026, 8, 1, 9, 5, tzinfo=UTC), datetime(2011, 10, 25, 13, 24, tzinfo=UTC)]
    frame = pl.DataFrame({"at": moments})
    shown = frame.select(
        day_text_expr("at").alias("day"), day_text_expr("at", with_time=True).alias("moment")
    )
    assert shown.to_dict(as_series=False) == {
        "day": ["1 Aug 2026", "25 Oct 2011"],
        "moment": ["1 Aug 2026 09:05", "25 Oct 2011 13:24"],
    }
