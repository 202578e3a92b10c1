"""Working time against pm4py's business hours on a real log (receipt.csv, a Dutch permit process).

pm4py's conventions, and how the comparison meets them:
- pm4py drops each timestamp's zone and counts wall-clock time, so it is given the
  local (Europe/Amsterdam) wall-clock times. Where no clock change falls inside
  working hours (09:00–17:00 here: clocks change at night) wall-clock and real
  working time are equal; where one does, they differ (tests/metrics/test_working_time.py).
- `pm4py.get_all_case_durations` takes business-hour slots but no holidays; its
  lower-level `case_statistics.get_cases_description` and `discover_performance_dfg`
  take a work calendar (any object with `is_working_day(date)`), which is how our
  holidays are given to it.
- Its case duration is last end − first end; receipt.csv has no start times, so
  that is our lead time (METRICS.md) too.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from metrics.derived import Derived, derive_all
from metrics.transitions import transitions
from metrics.working_time import Calendar
from tests.metrics.frames import catalog

pytestmark = pytest.mark.real

LUNCH_BREAK = {
    d: [["09:00", "12:30"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
}
CALENDAR: dict[str, Any] = {
    "timezone": "Europe/Amsterdam",
    "hours": LUNCH_BREAK | {"sat": [], "sun": []},
    # Easter Monday, King's Day, Ascension, Whit Monday, Christmas 2011.
    "holidays": ["2011-04-25", "2011-04-30", "2011-06-02", "2011-06-13", "2011-12-26"],
}


class _Holidays:
    def __init__(self, days: frozenset[date]) -> None:
        self.days = days

    def is_working_day(self, day: date) -> bool:
        return day not in self.days


@pytest.fixture(scope="module")
def receipt(real_dir: Path) -> pl.DataFrame:
    from pipelines.ingest import load_instances

    events = load_instances(real_dir / "receipt.csv")
    assert events["start"].null_count() == events.height
    return events


@pytest.fixture(scope="module")
def pm4py() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py as module
    return module


def _pm4py_frame(events: pl.DataFrame, zone: str) -> Any:
    local = pl.col("end").dt.convert_time_zone(zone).dt.replace_time_zone(None)
    frame = (
        events.sort("event_id")
        .select(
            **{
                "case:concept:name": pl.col("case_id"),
                "concept:name": "activity",
                "time:timestamp": local,
            }
        )
        .to_pandas()
    )
    return frame.sort_values(["case:concept:name", "time:timestamp"], kind="stable").reset_index(
        drop=True
    )


def _slots(calendar: Calendar) -> list[tuple[int, int]]:
    return [
        (i * 86_400 + a, i * 86_400 + b) for i, day in enumerate(calendar.hours) for a, b in day
    ]


def _leads(d: Derived) -> dict[str, float]:
    return dict(d.cases.select("case_id", "lead_time_s").iter_rows())


def test_lead_times_equal_pm4py_case_durations_in_business_hours(
    receipt: pl.DataFrame, pm4py: Any
) -> None:
    calendar = Calendar.from_json(CALENDAR | {"holidays": []})
    ours = sorted(_leads(derive_all(receipt, catalog(), calendar=calendar)).values())
    theirs = sorted(
        pm4py.get_all_case_durations(
            _pm4py_frame(receipt, calendar.timezone),
            business_hours=True,
            business_hour_slots=_slots(calendar),
        )
    )
    assert len(ours) == len(theirs) == 1434
    assert ours == pytest.approx(theirs, abs=1e-6)
    # Working time is a real cut: the median case spends far less working than elapsed time.
    elapsed = sorted(_leads(derive_all(receipt, catalog())).values())
    assert sum(ours) < 0.3 * sum(elapsed)


def test_lead_times_with_holidays_equal_pm4py_with_a_work_calendar(
    receipt: pl.DataFrame, pm4py: Any
) -> None:
    from pm4py.statistics.traces.generic.pandas import case_statistics

    calendar = Calendar.from_json(CALENDAR)
    ours = _leads(derive_all(receipt, catalog(), calendar=calendar))
    described = case_statistics.get_cases_description(
        _pm4py_frame(receipt, calendar.timezone),
        parameters={
            "business_hours": True,
            "business_hour_slots": _slots(calendar),
            "workcalendar": _Holidays(calendar.holidays),
        },
    )
    theirs = {case: row["caseDuration"] for case, row in described.items()}
    assert ours.keys() == theirs.keys()
    assert [ours[c] for c in sorted(ours)] == pytest.approx(
        [theirs[c] for c in sorted(ours)], abs=1e-6
    )
    # The holidays matter on this log: some cases lose working hours to them.
    without = _leads(
        derive_all(receipt, catalog(), calendar=Calendar.from_json(CALENDAR | {"holidays": []}))
    )
    assert sum(without.values()) - sum(ours.values()) > 100 * 3600


def test_transition_waits_equal_pm4py_performance_dfg_in_business_hours(
    receipt: pl.DataFrame, pm4py: Any
) -> None:
    calendar = Calendar.from_json(CALENDAR)
    perf, _, _ = pm4py.discover_performance_dfg(
        _pm4py_frame(receipt, calendar.timezone),
        business_hours=True,
        business_hour_slots=_slots(calendar),
        workcalendar=_Holidays(calendar.holidays),
    )
    ours = transitions(derive_all(receipt, catalog(), calendar=calendar).instances.lazy()).collect()
    assert ours.height == len(perf) == 99
    for row in ours.iter_rows(named=True):
        theirs = perf[(row["from_activity"], row["to_activity"])]
        assert row["wait_s_mean"] == pytest.approx(theirs["mean"], abs=1e-6)
        assert row["wait_s_p50"] == pytest.approx(theirs["median"], abs=1e-6)
