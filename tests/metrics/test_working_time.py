"""Working time: calendars, working seconds across weekends, holidays and clock changes, and
every duration of the engine on the working clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.derived import derive_all
from metrics.flow import aging
from metrics.process_map import directly_follows
from metrics.transitions import transitions
from metrics.waits import waiting_now
from metrics.working_time import (
    REAL_TIME,
    Calendar,
    WorkingClock,
    calendar_problems,
    seconds_between,
    working_seconds,
)
from tests.metrics.frames import catalog

H = 3600.0
WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
AMSTERDAM: dict[str, Any] = {
    "timezone": "Europe/Amsterdam",
    "hours": WEEKDAYS_9_TO_5 | {"sat": [], "sun": []},
    "holidays": ["2025-12-25", "2025-12-26"],
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours_between(calendar: dict[str, Any], start: datetime, end: datetime) -> float:
    out = working_seconds(pl.Series([start]), pl.Series([end]), Calendar.from_json(calendar))
    return out[0] / H


def test_calendar_reads_and_writes_its_json() -> None:
    calendar = Calendar.from_json(
        AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"mon": [["13:00", "17:00"], ["8:30", "12:00"]]}}
    )
    assert calendar.hours[0] == ((8 * 3600 + 1800, 12 * 3600), (13 * 3600, 17 * 3600))
    assert calendar.holidays == {date(2025, 12, 25), date(2025, 12, 26)}
    assert calendar.weekly_hours == 4 * 8 + 7.5
    assert calendar.to_json()["hours"]["mon"] == [["08:30", "12:00"], ["13:00", "17:00"]]
    assert Calendar.from_json(calendar.to_json()) == calendar


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ([], 'A calendar is a JSON object with "timezone", "hours" and "holidays", not list.'),
        (AMSTERDAM | {"timezone": "Europe/Amsterdm"}, '"Europe/Amsterdm" is not a time zone name'),
        ({k: v for k, v in AMSTERDAM.items() if k != "timezone"}, '"timezone" is missing'),
        (AMSTERDAM | {"holiday": []}, 'Unknown key "holiday"'),
        (
            AMSTERDAM | {"hours": WEEKDAYS_9_TO_5 | {"sat": []}},
            '"hours" has no "sun": give [] for a day without working hours.',
        ),
        (
            AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"saturday": []}},
            '"hours" has "saturday": weekdays are written mon, tue',
        ),
        (
            AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"mon": [["09:00", "25:00"]]}},
            '"hours" → "mon": "25:00" is not a time of day (HH:MM, from 00:00 to 24:00).',
        ),
        (
            AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"mon": [["22:00", "06:00"]]}},
            '"hours" → "mon": 22:00 to 06:00 does not end after it starts (a shift past midnight',
        ),
        (
            AMSTERDAM
            | {"hours": AMSTERDAM["hours"] | {"tue": [["09:00", "13:00"], ["12:00", "17:00"]]}},
            '"hours" → "tue": 09:00–13:00 and 12:00–17:00 overlap.',
        ),
        (
            AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"wed": ["09:00"]}},
            '"hours" → "wed": "09:00" is not a pair of times like ["09:00", "17:00"].',
        ),
        (
            AMSTERDAM
            | {"hours": {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
            "No weekday has working hours: every duration would be zero.",
        ),
        (AMSTERDAM | {"holidays": ["2025-13-01"]}, '"holidays": "2025-13-01" is not a date'),
        (AMSTERDAM | {"holidays": "2025-12-25"}, '"holidays" must be a list of dates'),
    ],
)
def test_a_bad_calendar_says_what_is_wrong(calendar: Any, message: str) -> None:
    assert any(message in problem for problem in calendar_problems(calendar)), calendar_problems(
        calendar
    )
    with pytest.raises(ValueError, match="The calendar is not valid"):
        Calendar.from_json(calendar)


def test_a_good_calendar_has_no_problems() -> None:
    assert calendar_problems(AMSTERDAM) == []


def test_working_seconds_across_a_weekend() -> None:
    # Fri 7 Mar 2025 15:00 (CET, = 14:00 UTC) to Mon 10 Mar 11:00 CET: 2 h Friday, 2 h Monday.
    assert hours_between(AMSTERDAM, utc(2025, 3, 7, 14), utc(2025, 3, 10, 10)) == 4.0
    # A weekend alone holds no working time.
    assert hours_between(AMSTERDAM, utc(2025, 3, 7, 16), utc(2025, 3, 10, 8)) == 0.0


def test_working_seconds_across_a_holiday() -> None:
    # Wed 24 Dec 2025 10:00 CET to Mon 29 Dec 10:00: Wed 7 h, Christmas and Boxing Day off,
    # the weekend off, Monday 1 h.
    assert hours_between(AMSTERDAM, utc(2025, 12, 24, 9), utc(2025, 12, 29, 9)) == 8.0
    without_holidays = AMSTERDAM | {"holidays": []}
    assert hours_between(without_holidays, utc(2025, 12, 24, 9), utc(2025, 12, 29, 9)) == 24.0


def test_working_seconds_across_daylight_saving_changes() -> None:
    # Clocks go forward on Sun 30 Mar 2025: 09:00 is 08:00 UTC on Friday, 07:00 UTC on Monday.
    # Fri 08:00 UTC → Mon 08:00 UTC: the whole Friday (8 h) and Monday 09:00–10:00 CEST (1 h).
    assert hours_between(AMSTERDAM, utc(2025, 3, 28, 8), utc(2025, 3, 31, 8)) == 9.0
    # A working Sunday 00:00–24:00 lasts 23 h when clocks go forward, 25 h when they go back.
    sundays = AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"sun": [["00:00", "24:00"]]}}
    assert hours_between(sundays, utc(2025, 3, 29, 12), utc(2025, 3, 31, 0)) == 23.0
    assert hours_between(sundays, utc(2025, 10, 25, 12), utc(2025, 10, 27, 0)) == 25.0
    # The hour 02:00–03:00 on the night clocks go back happens twice, and both count.
    night = AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"sun": [["02:00", "03:00"]]}}
    assert hours_between(night, utc(2025, 10, 25), utc(2025, 10, 27)) == 2.0
    # ... and never happens when they go forward.
    assert hours_between(night, utc(2025, 3, 29), utc(2025, 3, 31)) == 0.0


def test_working_seconds_are_never_negative_and_null_stays_null() -> None:
    out = working_seconds(
        pl.Series([utc(2025, 3, 10, 10), None, utc(2025, 3, 10, 9)]),
        pl.Series([utc(2025, 3, 10, 9), utc(2025, 3, 10, 9), utc(2025, 3, 10, 9, 30)]),
        Calendar.from_json(AMSTERDAM),
    )
    assert out.to_list() == [0.0, None, 0.5 * H]


def test_a_lunch_break_is_not_working_time() -> None:
    lunch = {
        "timezone": "UTC",
        "hours": {d: [["09:00", "12:00"], ["13:00", "17:00"]] for d in AMSTERDAM["hours"]},
    }
    assert hours_between(lunch, utc(2025, 3, 10, 11), utc(2025, 3, 10, 14)) == 2.0


def _random_instants(n: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    base = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
    start = base + rng.integers(0, 2 * 365 * 86_400 * 10**6, n)
    end = start + rng.integers(-86_400 * 10**6, 40 * 86_400 * 10**6, n)
    return pl.DataFrame(
        {"start": start.astype("datetime64[us]"), "end": end.astype("datetime64[us]")}
    ).with_columns(pl.all().dt.replace_time_zone("UTC"))


def test_the_bucket_table_and_the_binary_search_read_the_same_clock() -> None:
    frame = _random_instants(20_000, seed=1)
    calendar = Calendar.from_json(
        AMSTERDAM
        | {"hours": AMSTERDAM["hours"] | {"mon": [["08:45", "12:10"], ["13:00", "17:30"]]}}
    )
    first, last = frame["start"].min(), frame["end"].max()
    table = WorkingClock(calendar, first, last)  # type: ignore[arg-type]
    search = WorkingClock(calendar, first, last, max_buckets=1)  # type: ignore[arg-type]
    both = frame.select(
        table=seconds_between(table, pl.col("start"), pl.col("end")),
        search=seconds_between(search, pl.col("start"), pl.col("end")),
    )
    assert both["table"].to_list() == both["search"].to_list()


def test_the_inverse_finds_the_earliest_instant_with_that_much_work_behind_it() -> None:
    calendar = Calendar.from_json(AMSTERDAM)
    clock = WorkingClock(calendar, utc(2025, 3, 3), utc(2025, 3, 10))
    friday_9 = clock.reading(utc(2025, 3, 7, 8))
    instants = clock.instant_at(
        np.array([friday_9 + 8 * 3600 * 10**6, friday_9 + 9 * 3600 * 10**6])
    )
    # 8 working hours after Friday 09:00 is Friday 17:00, not Monday 09:00; 9 is Monday 10:00 CET.
    assert instants.tolist() == [datetime(2025, 3, 7, 16), datetime(2025, 3, 10, 9)]
    assert clock.instant_at(np.array([friday_9 + 1])).tolist() == [datetime(2025, 3, 7, 8, 0, 0, 1)]
    # Far beyond its span the clock grows: from Wed 24 Dec 10:00 CET, 8 working hours later is
    # Mon 29 Dec 10:00 (Christmas, Boxing Day and the weekend skipped).
    dec_24 = WorkingClock(calendar, utc(2025, 12, 24), utc(2025, 12, 24)).reading(
        utc(2025, 12, 24, 9)
    )
    far = WorkingClock(calendar, utc(2025, 12, 1), utc(2025, 12, 24))
    assert far.span[1] < date(2025, 12, 29)
    target = far.reading(utc(2025, 12, 24, 9)) + 8 * 3600 * 10**6
    assert far.instant_at(np.array([target])).tolist() == [datetime(2025, 12, 29, 9)]
    assert dec_24 > 0


class _Holidays:
    """pm4py's work calendar interface: `is_working_day(date)`."""

    def __init__(self, days: frozenset[date]) -> None:
        self.days = days

    def is_working_day(self, day: date) -> bool:
        return day not in self.days


def pm4py_slots(calendar: Calendar) -> list[tuple[int, int]]:
    """pm4py's business-hour slots: seconds since Monday 00:00 (wall clock)."""
    return [
        (i * 86_400 + a, i * 86_400 + b) for i, day in enumerate(calendar.hours) for a, b in day
    ]


def local_naive(moment: datetime, zone: str) -> datetime:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
    length_h=st.floats(min_value=0, max_value=24 * 40),
)
def test_equals_pm4py_business_hours_where_no_clock_change_falls_in_working_hours(
    start: datetime, length_h: float
) -> None:
    from pm4py.util.business_hours import soj_time_business_hours_diff

    calendar = Calendar.from_json(
        AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"sat": [["10:00", "14:00"]]}}
    )
    a = start.replace(tzinfo=UTC)
    b = a + timedelta(hours=length_h)
    ours = working_seconds(pl.Series([a]), pl.Series([b]), calendar)[0]
    # pm4py drops the zone and counts wall-clock time: give it local wall-clock times.
    theirs = soj_time_business_hours_diff(
        local_naive(a, calendar.timezone),
        local_naive(b, calendar.timezone),
        pm4py_slots(calendar),
        _Holidays(calendar.holidays),
    )
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_pm4py_counts_wall_clock_time_where_a_clock_change_falls_in_working_hours() -> None:
    from pm4py.util.business_hours import soj_time_business_hours_diff

    # Working all Sunday: on 30 Mar 2025 that Sunday lasts 23 real hours.
    sundays = Calendar.from_json(
        AMSTERDAM | {"hours": AMSTERDAM["hours"] | {"sun": [["00:00", "24:00"]]}}
    )
    a, b = utc(2025, 3, 29, 12), utc(2025, 3, 31, 0)
    ours = working_seconds(pl.Series([a]), pl.Series([b]), sundays)[0]
    theirs = soj_time_business_hours_diff(
        local_naive(a, sundays.timezone), local_naive(b, sundays.timezone), pm4py_slots(sundays)
    )
    assert (ours / H, theirs / H) == (23.0, 24.0)


# The engine on the working clock: a literal case, every duration by hand.
# Calendar: UTC, Mon–Fri 09:00–17:00. Fri 7 Mar 2025 and Mon 10 Mar 2025.
UTC_9_TO_5 = Calendar.from_json({"timezone": "UTC", "hours": AMSTERDAM["hours"]})
FRI, MON = datetime(2025, 3, 7, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)


def _events(rows: list[tuple[str, str, datetime | None, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "offering": ["O"] * len(rows),
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "start": [r[2] for r in rows],
            "end": [r[3] for r in rows],
            "resource": [None] * len(rows),
            "attributes": ["{}"] * len(rows),
            "event_id": list(range(1, len(rows) + 1)),
        },
        schema_overrides={
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "resource": pl.String,
        },
    )


def h(day: datetime, hours: float) -> datetime:
    return day + timedelta(hours=hours)


LOG = _events(
    [
        # c1: A Fri 15:00–17:00, waits the weekend and Mon 09:00–10:00, B Mon 10:00–11:00, Ship.
        ("c1", "A", h(FRI, 15), h(FRI, 17)),
        ("c1", "B", h(MON, 10), h(MON, 11)),
        ("c1", "Ship", h(MON, 12), h(MON, 12)),
        # c2: open, A Fri 16:00–18:00 (one working hour), nothing since.
        ("c2", "A", h(FRI, 16), h(FRI, 18)),
        # c3: A with an unknown start (Fri 17:30), Ship Mon 09:30.
        ("c3", "A", None, h(FRI, 17.5)),
        ("c3", "Ship", h(MON, 9.5), h(MON, 9.5)),
    ]
)
CATALOG = catalog([{"activity": "Ship", "is_end_activity": True}])


def test_every_duration_counts_working_time_with_a_calendar() -> None:
    d = derive_all(LOG, CATALOG, calendar=UTC_9_TO_5)
    assert d.working_time
    inst = d.instances.select(
        "case_id", "activity", "wait_before_s", "transition_wait_s", "process_s"
    )
    assert inst.rows() == [
        ("c1", "A", None, None, 2 * H),
        ("c1", "B", 1 * H, 1 * H, 1 * H),
        ("c1", "Ship", 1 * H, 1 * H, 0.0),
        ("c2", "A", None, None, 1 * H),
        ("c3", "A", None, None, None),
        ("c3", "Ship", 0.5 * H, 0.5 * H, 0.0),
    ]
    cases = d.cases.select("case_id", "lead_time_s", "process_time_s", "wait_time_s", "completed")
    assert cases.rows() == [
        ("c1", 5 * H, 3 * H, 2 * H, True),
        ("c2", 1 * H, 1 * H, 0.0, False),
        ("c3", 0.5 * H, None, None, True),
    ]
    # Ages: c2 started Fri 16:00; now is the latest end, Mon 12:00: 1 h Friday + 3 h Monday.
    assert d.now == h(MON, 12)
    assert aging(d.cases.lazy(), d.now, d.clock).collect()["age_s"].to_list() == [4 * H]
    idle = waiting_now(d.cases.lazy(), h(MON, 12), clock=d.clock).collect()
    assert idle.select("case_id", "idle_s", "age_s").rows() == [("c2", 3 * H, 4 * H)]
    # The process map's arrows over a projection read the same clock: A → Ship in c1 waits
    # from Fri 17:00 to Mon 12:00 (3 working hours), in c3 from Fri 17:30 to Mon 09:30 (0.5 h).
    edges = directly_follows(d.instances.lazy(), d.cases.lazy(), ["A", "Ship"], d.clock).collect()
    a_ship = edges.filter((pl.col("from_activity") == "A") & (pl.col("to_activity") == "Ship"))
    assert a_ship["wait_s_sum"].item() == 3.5 * H
    into_ship = transitions(d.instances.lazy()).collect().filter(pl.col("to_activity") == "Ship")
    assert dict(into_ship.select("from_activity", "wait_s_sum").iter_rows()) == {
        "B": 1 * H,
        "A": 0.5 * H,
    }


def test_without_a_calendar_nothing_changes() -> None:
    plain = derive_all(LOG, CATALOG)
    assert plain.clock is REAL_TIME and not plain.working_time
    assert plain.cases["lead_time_s"].to_list() == [(3 * 24 - 3) * H, 2 * H, (2 * 24 + 16) * H]
    assert plain.cases.equals(derive_all(LOG, CATALOG, calendar=None).cases)


def test_one_calendar_per_offering_leaves_the_others_in_elapsed_time() -> None:
    two = pl.concat([LOG, LOG.with_columns(offering=pl.lit("P"), event_id=pl.col("event_id") + 10)])
    cat = pl.concat([CATALOG, CATALOG.with_columns(offering=pl.lit("P"))])
    d = derive_all(two, cat, calendar={"O": UTC_9_TO_5})
    lead = dict(
        d.cases.filter(pl.col("case_id") == "c1").select("offering", "lead_time_s").iter_rows()
    )
    assert lead == {"O": 5 * H, "P": (3 * 24 - 3) * H}
    ages = aging(d.cases.lazy(), d.now, d.clock).collect().select("offering", "age_s").rows()
    assert ages == [("O", 4 * H), ("P", (3 * 24 - 4) * H)]
