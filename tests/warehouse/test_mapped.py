"""The cases the app holds, kept in an unnamed file mapped into memory: the same rows,
no file left behind, and held in the process's memory where no file can be written."""

from __future__ import annotations

import gc
import logging
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.variants import COMPACT_VARIANT, compact_variants
from tests.conftest import mapped_files
from warehouse import mapped as mapping
from warehouse.mapped import MAP_MIN_BYTES, held, mapped


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
    files = mapped_files(tmp_path)
    assert files and all(f.endswith("(deleted)") for f in files)
    # The figures read it as they read a frame in memory.
    assert held.filter(pl.col("completed"))["lead_time_s"].sum() == 10800.5
    assert held.filter(pl.col("variant").list.len() == 3)["case_id"].to_list() == ["CF-1"]
    del held
    gc.collect()
    assert mapped_files(tmp_path) == []  # let go with the last frame that maps it


def test_cases_are_held_in_memory_where_no_file_can_be_written(tmp_path: Path) -> None:
    cases = _cases()
    missing = tmp_path / "gone"
    for folder in (None, missing):
        held = mapped(cases, folder)
        assert_frame_equal(held, cases)
        assert mapped_files(tmp_path) == []
    assert not missing.exists()


def test_nor_where_the_disk_would_keep_too_little_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cases = _cases()
    monkeypatch.setattr(mapping, "MIN_FREE_BYTES", 2**62)  # more than any disk has free
    # Whatever level another test left the loggers at.
    with caplog.at_level(logging.WARNING, logger="warehouse.mapped"):
        held = mapped(cases, tmp_path)
    assert_frame_equal(held, cases)
    assert mapped_files(tmp_path) == [] and list(tmp_path.iterdir()) == []
    assert "GiB free, 4294967296 GiB to keep" in caplog.text  # why, in the server's log


def _big(rows: int = 600_000) -> pl.DataFrame:
    """A per-case figure of more than MAP_MIN_BYTES (16 bytes and a short text a row)."""
    return pl.DataFrame(
        {
            "case_id": [f"C-{i}" for i in range(rows)],
            "lead_time_s": pl.Series(range(rows), dtype=pl.Float64) * 1.5,
            "conforms": pl.Series([i % 3 == 0 for i in range(rows)]),
        }
    )


def test_a_big_frame_a_cache_holds_is_mapped_and_a_small_one_is_left_as_it_is(
    tmp_path: Path,
) -> None:
    big, small = _big(), _big(1_000)
    assert big.estimated_size() >= MAP_MIN_BYTES > small.estimated_size()
    kept = held(big, tmp_path)
    assert kept is not big
    assert_frame_equal(kept, big)
    assert len(mapped_files(tmp_path)) == 1
    assert (
        kept.filter(pl.col("conforms"))["lead_time_s"].sum()
        == big.filter(pl.col("conforms"))["lead_time_s"].sum()
    )
    assert held(small, tmp_path) is small
    assert held(big, None) is big  # a warehouse in memory: nothing is mapped
    assert held("a figure that is no frame", tmp_path) == "a figure that is no frame"
    del kept
    gc.collect()
    assert mapped_files(tmp_path) == []


@dataclass(frozen=True)
class _Figure:
    lead_times: pl.DataFrame
    boxes: pl.DataFrame
    steps: tuple[str, ...]


def test_the_big_frames_of_a_dataclass_are_mapped_and_its_other_fields_kept(
    tmp_path: Path,
) -> None:
    boxes = pl.DataFrame({"activity": ["Quote", "Ship"]})
    figure = _Figure(_big(), boxes, ("Quote", "Ship"))
    kept = held(figure, tmp_path)
    assert kept is not figure and kept.boxes is boxes and kept.steps == ("Quote", "Ship")
    assert_frame_equal(kept.lead_times, figure.lead_times)
    assert len(mapped_files(tmp_path)) == 1
    small = _Figure(boxes, boxes, ())
    assert held(small, tmp_path) is small


def test_a_frame_the_file_cannot_hold_as_it_is_stays_in_memory(tmp_path: Path) -> None:
    rows = 400_000
    objects = _big(rows).with_columns(pl.Series("o", [object()] * rows, dtype=pl.Object))
    assert held(objects, tmp_path) is objects  # Python objects: no file can hold them
    levels = pl.Enum(["open", "done"])
    enums = _big(rows).with_columns(
        pl.Series("state", ["open", "done"] * (rows // 2), dtype=levels)
    )
    kept = held(enums, tmp_path)
    assert kept.schema == enums.schema  # mapped, or left as it is where Arrow gives another
    assert_frame_equal(kept, enums)


_OWN_MEMORY_OF_MAPPED_VARIANTS = """
import ctypes, gc, sys
from pathlib import Path
import numpy as np
import polars as pl
from metrics.variants import COMPACT_VARIANT
from warehouse.mapped import mapped

def own():
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(l.split()[1]) for l in status if l.startswith("RssAnon:")) * 1024

cases, steps = 2_000_000, 12
names = pl.Series([f"Step {i}" for i in range(30)]).cast(COMPACT_VARIANT.inner)
numbers = np.random.default_rng(7).integers(0, 30, cases * steps)
frame = pl.DataFrame({"n": pl.Series(numbers, dtype=pl.UInt32)}).select(
    variant=pl.col("n").cast(pl.UInt16).reshape((cases, steps)).arr.to_list()
).select(pl.col("variant").list.eval(pl.element().cat.to(COMPACT_VARIANT.inner)))
first = frame["variant"][0].to_list()
before = own()
held = mapped(frame, Path(sys.argv[1]))
grown = own() - before
assert held.schema == frame.schema and held["variant"][0].to_list() == first
del frame
gc.collect()
assert held["variant"][0].to_list() == first  # its categories kept by the mapped frame
print(grown)
"""


def test_categorical_values_stay_the_files_pages_not_the_process_own_memory(
    tmp_path: Path,
) -> None:
    """Written as categories, the variants' 48 MB of step numbers (2 bytes a step) were
    numbered again into the process's own memory as polars read the file back."""
    run = subprocess.run(
        [sys.executable, "-c", _OWN_MEMORY_OF_MAPPED_VARIANTS, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stderr
    grown = int(run.stdout.split()[-1])
    assert grown < 12 * 2**20  # 48 MB when numbered again
