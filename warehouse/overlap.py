"""The same cases imported twice in different shapes: say so before anything is stored.

Re-importing a file, or a newer export that overlaps an older one, is harmless: the
events already stored are skipped as duplicates. But the same log in another format
(a Parquet file whose zone-less times were read as UTC after the XES with its offsets),
or read in another time zone, matches none of the stored events: every case would be
stored a second time under the same offering and every figure would go wrong without a
word. An import whose cases the offering already holds, but whose events miss most of
the stored ones, is such a case; when its steps are all shifted by one offset, that
offset is named ("times 1 h apart: a time-zone difference?").
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from model.units import SHORT, UNITS, unit_for
from warehouse.db import Warehouse

_KEY = ["offering", "case_id", "activity", "start", "end", "resource"]
MISMATCH_SHARE = 0.5
"""A stored case is mismatched when more than this share of its events is not in the file."""
OFFSET_SHARE = 0.8
"""One time offset explains the mismatch when this share of the matched steps shows it."""


@dataclass(frozen=True)
class Overlap:
    """Cases of the file that `offering` already holds, with events the file does not have."""

    offering: str
    file_cases: int
    existing_cases: int
    mismatched_cases: int
    offset_s: float | None

    def message(self) -> str:
        where = (
            f"{self.mismatched_cases:,} of these {self.file_cases:,} cases already exist in "
            f"'{self.offering}'"
        )
        if self.offset_s is not None:
            later = "later" if self.offset_s > 0 else "earlier"
            return (
                f"{where} with every time {_duration(abs(self.offset_s))} {later} in this "
                "file: a time-zone difference? Importing would store those cases twice."
            )
        return (
            f"{where} with other steps or times: the same log in another format, or another "
            "export of it? Importing would store those cases twice."
        )


def _duration(seconds: float) -> str:
    unit = unit_for(seconds)
    return f"{seconds / UNITS[unit]:.{0 if unit == 'minutes' else 1}f} {SHORT[unit]}"


def _occurrence(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("case_id", "end").with_columns(
        k=pl.int_range(pl.len()).over("offering", "case_id", "activity")
    )


def find_overlaps(wh: Warehouse, instances: pl.DataFrame) -> list[Overlap]:
    """The offerings whose stored cases an import's `instances` repeat in another shape
    (see the module docstring)."""
    out: list[Overlap] = []
    for (offering,), mine in instances.group_by("offering", maintain_order=True):
        case_ids = mine["case_id"].unique().to_list()
        stored = wh.events([str(offering)], case_ids)
        if stored.height == 0:
            continue
        stored = stored.select(_KEY)
        missing = stored.join(mine.select(_KEY), on=_KEY, how="anti", nulls_equal=True)
        per_case = (
            stored.group_by("case_id")
            .len("stored")
            .join(missing.group_by("case_id").len("missing"), on="case_id", how="left")
            .with_columns(pl.col("missing").fill_null(0))
        )
        mismatched = per_case.filter(pl.col("missing") > MISMATCH_SHARE * pl.col("stored"))
        if mismatched.height == 0:
            continue
        paired = _occurrence(mine.select(_KEY)).join(
            _occurrence(stored), on=["offering", "case_id", "activity", "k"], suffix="_stored"
        )
        offset = None
        if paired.height:
            shifts = (
                (paired["end"] - paired["end_stored"]).dt.total_seconds().value_counts(sort=True)
            )
            top, count = shifts.row(0)
            if top != 0 and count >= OFFSET_SHARE * paired.height:
                offset = float(top)
        out.append(
            Overlap(
                offering=str(offering),
                file_cases=len(case_ids),
                existing_cases=per_case.height,
                mismatched_cases=mismatched.height,
                offset_s=offset,
            )
        )
    return out
