"""The cases the app holds, kept in an unnamed file mapped into memory: the same rows,
no file left behind, and held in the process's memory where no file can be written."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from metrics.variants import COMPACT_VARIANT, compact_variants
from warehouse.mapped import mapped


def _maps_in(folder: Path) -> list[str]:
    """The files of `folder` mapped into this process, as /proc/self/maps names them."""
    prefix = str(folder.resolve()) + "/"
    return [
        line.split(maxsplit=5)[5].strip()
        for line in Path("/proc/self/maps").read_text().splitlines()
        if len(line.split(maxsplit=5)) == 6 and line.split(maxsplit=5)[5].startswith(prefix)
    ]


def _cases() -> pl.DataFrame:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    return compact_variants(
        pl.DataFrame(
            {
                "case_index": pl.Series([0, 1, 2], dtype=pl.UInt32),
                "offering": ["Custom formulation", "Custom formulation", "Reverse engineering"],
                "case_id": ["CF-1", "CF-2", "RE-1"],
                "first_start": [at, at, None],
                "lead_time_s": [3600.0, None, 7200.5],
                "variant": [["Quote", "Formulation", "Quote"], [], ["Teardown"]],
                "completed": [True, False, True],
            }
        )
    )


def test_mapped_cases_are_the_same_rows_in_a_file_that_has_no_name(tmp_path: Path) -> None:
    cases = _cases()
    held = mapped(cases, tmp_path)
    assert held.schema["variant"] == COMPACT_VARIANT
    assert_frame_equal(held, cases)
    assert held["variant"].to_list() == [["Quote", "Formulation", "Quote"], [], ["Teardown"]]
    # The file is mapped while the frame lives, but has no name in the folder: nothing is
    # left behind, even by a process that is killed.
    assert list(tmp_path.iterdir()) == []
    files = _maps_in(tmp_path)
    assert files and all(f.endswith("(deleted)") for f in files)
    # The figures read it as they read a frame in memory.
    assert held.filter(pl.col("completed"))["lead_time_s"].sum() == 10800.5
    assert held.filter(pl.col("variant").list.len() == 3)["case_id"].to_list() == ["CF-1"]
    del held
    gc.collect()
    assert _maps_in(tmp_path) == []  # let go with the last frame that maps it


def test_cases_are_held_in_memory_where_no_file_can_be_written(tmp_path: Path) -> None:
    cases = _cases()
    missing = tmp_path / "gone"
    for folder in (None, missing):
        held = mapped(cases, folder)
        assert_frame_equal(held, cases)
        assert _maps_in(tmp_path) == []
    assert not missing.exists()
