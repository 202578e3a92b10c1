"""The order cases are numbered in (model.order): the same in polars and in Python."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from model import after, in_case_order, placed

# Letters, ASCII digits, separators, and characters beyond ASCII (an Arabic-Indic digit
# is not a number here: only 0-9 are).
case_ids = st.text(alphabet="019Aa-/# éЖ٣", max_size=8)


def test_ids_that_count_up_keep_their_numbers_order() -> None:
    ids = [
        "PRJ-100",
        "PRJ-99",
        "PRJ-9",
        "2026-1",
        "2025-999",
        "2025-10",
        "9-CF-0001",
        "0-CF-000001",
        "CF-1",
        "CF-01",
        "1000",
        "999",
        "A1",
        "",
    ]
    ordered = in_case_order(pl.LazyFrame({"case_id": ids})).collect()["case_id"].to_list()
    assert ordered == [
        "",
        "999",
        "1000",
        "0-CF-000001",
        "2025-10",
        "2025-999",
        "2026-1",
        "9-CF-0001",
        "A1",
        "CF-01",
        "CF-1",
        "PRJ-9",
        "PRJ-99",
        "PRJ-100",
    ]
    assert ordered == sorted(ids, key=placed)


def test_the_order_sorts_every_row_by_its_case_between_other_keys() -> None:
    frame = pl.LazyFrame(
        {
            "offering": ["b", "a", "a", "a", "a"],
            "case_id": ["x1", "x10", "x2", "x10", "x2"],
            "seq": [1, 2, 2, 1, 1],
        }
    )
    rows = in_case_order(frame, before=["offering"], after=["seq"]).collect().rows()
    assert rows == [
        ("a", "x2", 1),
        ("a", "x2", 2),
        ("a", "x10", 1),
        ("a", "x10", 2),
        ("b", "x1", 1),
    ]
    # Ids of one width are in their bytes' order: sorted on them, the same rows.
    padded = frame.with_columns(pl.col("case_id").str.replace(r"^x(\d)$", "x0$1"))
    rows = in_case_order(padded, before=["offering"], after=["seq"]).collect().rows()
    assert rows == [
        ("a", "x02", 1),
        ("a", "x02", 2),
        ("a", "x10", 1),
        ("a", "x10", 2),
        ("b", "x01", 1),
    ]


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(case_ids, min_size=1, max_size=30, unique=True), pivot=case_ids)
def test_polars_and_python_agree_on_the_order(ids: list[str], pivot: str) -> None:
    frame = pl.DataFrame({"case_id": ids}, schema={"case_id": pl.String})
    assert in_case_order(frame.lazy()).collect()["case_id"].to_list() == sorted(ids, key=placed)
    later = frame.filter(after(pivot))["case_id"].to_list()
    assert sorted(later) == sorted(i for i in ids if placed(i) > placed(pivot))
