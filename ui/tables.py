"""How wide a table's columns are, so that a table shows every column at a 1440 px window
and a long name in a cell reads in full.

Streamlit's data grid cuts a cell's text at its column's edge and scrolls the table
sideways when its columns are wider than the page; it wraps a cell's text only when the
rows are taller than 64 px. These helpers size the columns and, where a name still does not
fit, make the rows tall enough for it to wrap.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

PAGE_WIDTH = 980
"""The main column's width in px at a 1440 px wide window with the sidebar open: a table
whose columns (and row picker) sum to at most this shows them all without scrolling."""

ROW_PICKER = 46
"""The width of the check box column of a table whose rows can be selected."""

CHAR_PX = 7.6
"""The width of an average character of the grid's 14 px font, with a margin: a text of
n characters fits in a column of n × CHAR_PX + CELL_PADDING px."""

CELL_PADDING = 18

LINE_PX = 21
"""The height of one wrapped line of a cell."""

MAX_LINES = 3


def lines_needed(text: str, width: int) -> int:
    """How many lines `text` takes in a column `width` px wide, wrapping between words (a
    word longer than a line is broken)."""
    room = max(int((width - CELL_PADDING) / CHAR_PX), 1)
    lines, used = 1, 0
    for word in text.split():
        need = used + 1 + len(word) if used else len(word)
        if need <= room:
            used = need
            continue
        if used:
            lines += 1
        lines += (len(word) - 1) // room
        used = (len(word) - 1) % room + 1
    return lines


def wrapping_row_height(frame: pl.DataFrame, widths: Mapping[str, int]) -> int | None:
    """None when every text of `frame`'s columns in `widths` fits on one line of its
    column; else a row height that lets the longest wrap onto up to MAX_LINES lines (the
    grid wraps text only in rows taller than 64 px)."""
    lines = 1
    for column, width in widths.items():
        if column in frame.columns and frame.schema[column] == pl.String:
            for text in frame[column].drop_nulls().unique().to_list():
                lines = max(lines, lines_needed(text, width))
    if lines == 1:
        return None
    return max(65, 12 + LINE_PX * min(lines, MAX_LINES))


GRID_ROW = 35
"""The grid's own row height in px."""

MAX_ROWS = 5_000
"""More rows than this and a table stops being something to read (and costs every visit
the time to send it): the CSV download has them all."""

MAX_PATH_ROWS = 200
"""MAX_ROWS of a table whose every row spells out a case's whole path (hundreds of
characters): 5,000 such rows were 1.6 MB sent with every run of the Future state page at
ten million events, 1,000 rows 0.4 MB."""

MAX_ROWS_SHOWN = 25


def table_height(rows: int, row_height: int | None) -> int:
    """st.dataframe's `height` showing all `rows` (of `row_height` px, or the grid's own)
    up to MAX_ROWS_SHOWN, then the table scrolls."""
    return 38 + (row_height or GRID_ROW) * min(max(rows, 1), MAX_ROWS_SHOWN)
