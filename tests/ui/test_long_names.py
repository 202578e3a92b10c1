"""A long step name (the real receipt log's "T06 Determine necessity of stop advice")
reads in full in the tables that name bottlenecks, and those tables fit a 1440 px page."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tests.ui.apptest import no_exceptions, run_app
from ui.tables import PAGE_WIDTH, lines_needed, wrapping_row_height


def test_a_name_wraps_between_words_onto_as_many_lines_as_it_needs() -> None:
    # 140 px holds 16 characters of the grid's font.
    assert lines_needed("Production", 140) == 1
    assert lines_needed("T06 Determine necessity of stop advice", 140) == 3
    assert lines_needed("T06 Determine necessity of stop advice (13%)", 234) == 2
    # A word longer than a line is broken.
    assert lines_needed("x" * 40, 140) == 3


def test_rows_grow_only_when_a_name_does_not_fit() -> None:
    short = pl.DataFrame({"Bottleneck": ["Production", "Materials"], "n": [1, 2]})
    assert wrapping_row_height(short, {"Bottleneck": 140}) is None
    long = short.vstack(
        pl.DataFrame({"Bottleneck": ["T06 Determine necessity of stop advice"], "n": [3]})
    )
    # Three lines, in rows taller than the 64 px under which the grid does not wrap.
    assert wrapping_row_height(long, {"Bottleneck": 140}) == 75


def _table(at: object, first: str) -> tuple[pl.DataFrame, dict[str, dict[str, object]], int]:
    """The table whose second column is `first` (only widgets carry their key in AppTest)."""
    shown = next(df for df in at.dataframe if list(df.value.columns[1:2]) == [first])  # type: ignore[attr-defined]
    return pl.from_pandas(shown.value), json.loads(shown.proto.columns), shown.proto.row_height


@pytest.mark.parametrize(
    ("page", "second", "bottleneck"),
    [
        ("app_pages/health.py", "Completed between", "T02 Check confirmation of receipt"),
        ("app_pages/compare.py", "Cases in view", "T06 Determine necessity of stop advice"),
    ],
)
def test_the_bottleneck_of_receipt_wraps_in_a_table_that_fits_the_page(
    mixed_copy: Path, monkeypatch: pytest.MonkeyPatch, page: str, second: str, bottleneck: str
) -> None:
    at = run_app(mixed_copy, page, monkeypatch)
    no_exceptions(at)
    frame, config, row_height = _table(at, second)
    names = frame["Bottleneck"].to_list()
    assert any(name.startswith(bottleneck) for name in names), names
    widths = {c: int(config[c]["width"]) for c in frame.columns}  # type: ignore[call-overload]
    assert sum(widths.values()) <= PAGE_WIDTH
    needed = max(lines_needed(name, widths["Bottleneck"]) for name in names)
    assert needed > 1
    # The grid wraps text only in rows taller than 64 px; these hold every line needed.
    assert row_height > 64 and row_height >= 12 + 21 * needed
