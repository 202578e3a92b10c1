"""Working time: a calendar of working hours, and the clock that counts only them.

A **calendar** gives a time zone, the working hours of each weekday (wall-clock
periods, e.g. 09:00 to 17:00) and holidays (whole local dates without work):

    {"timezone": "Europe/Amsterdam",
     "hours": {"mon": [["09:00", "17:00"]], ..., "sat": [], "sun": []},
     "holidays": ["2025-12-25"]}

**Working seconds between two instants** are the seconds of their overlap with
the working periods, read in the calendar's zone: an instant is working time
when its local wall-clock time lies in a working period of its local date and
that date is no holiday. Daylight-saving changes count as they happen: a
working period 00:00–24:00 on the Sunday clocks go forward lasts 23 hours, on
the Sunday they go back 25. Working seconds from a later to an earlier
instant are 0 (durations are never negative).

**The working clock** makes every duration of METRICS.md a working-time
duration without a second implementation of the definitions. It maps each
instant t to W(t) = working microseconds between a fixed origin and t: a
monotone (non-decreasing) function, so W(b) − W(a) is the working time between
a and b, the latest of some ends has the latest clock, and the union of
intervals on the clock is as long as their working time. The metrics order
cases and filter windows on the real timestamps, and take every duration as a
difference on a clock: `REAL_TIME` (W(t) = microseconds since 1970, the
ordinary durations) or a `WorkingClock` for a calendar.

A `WorkingClock` holds the calendar's working periods as real (UTC) intervals
over a span of dates, with the working time before each; W(t) is one binary
search and a few gathers per row, vectorised by polars. Instants after the
span read as its end (nothing counts after it), so a clock is built over the
instants it will see (`clock_for`).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import polars as pl

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The weekday keys of a calendar's "hours", Monday first."""

_KEYS = ("timezone", "hours", "holidays")
_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
# Far before any event (year 1), yet t − _SENTINEL never overflows Int64 for years up to 2200.
_SENTINEL = -62_135_596_800 * _US


class Clock(Protocol):
    """What the metrics take durations on: `us(instant)` is the clock reading in microseconds
    (Int64) of a Datetime expression; durations are differences of readings."""

    def us(self, instant: pl.Expr) -> pl.Expr: ...


class RealTime:
    """The ordinary clock: microseconds since 1970-01-01 UTC."""

    def us(self, instant: pl.Expr) -> pl.Expr:
        return instant.dt.epoch("us")

    def instant_at(self, readings: np.ndarray) -> np.ndarray:
        """The instants (datetime64[us], UTC) at which the clock reads `readings` (µs)."""
        return np.asarray(readings, dtype=np.int64).astype("datetime64[us]")

    def __repr__(self) -> str:
        return "REAL_TIME"


REAL_TIME = RealTime()
"""Durations in elapsed (absolute) time, the default of every metric."""


def seconds_between(clock: Clock, start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """`end − start` in seconds on `clock` (Float64; negative when `end` comes first)."""
    return (clock.us(end) - clock.us(start)).cast(pl.Float64) / _US


@dataclass(frozen=True)
class Calendar:
    """A validated calendar (see the module docstring); build it with `Calendar.from_json`.

    `hours[i]` are weekday i's working periods (Monday = 0) as (start, end)
    seconds after local midnight, sorted and disjoint, 0 ≤ start < end ≤ 86,400.
    """

    timezone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date]

    @classmethod
    def from_json(cls, obj: Any) -> Calendar:
        """The calendar of a JSON object; ValueError naming every problem (see `calendar_problems`)."""
        problems = calendar_problems(obj)
        if problems:
            raise ValueError("The calendar is not valid: " + " ".join(problems))
        hours = tuple(
            tuple(sorted((_parse_time(a), _parse_time(b)) for a, b in obj["hours"][day]))
            for day in WEEKDAYS
        )
        holidays = frozenset(date.fromisoformat(text) for text in obj.get("holidays", []))
        return cls(timezone=obj["timezone"], hours=hours, holidays=holidays)

    def to_json(self) -> dict[str, Any]:
        """The JSON form `from_json` reads."""
        return {
            "timezone": self.timezone,
            "hours": {
                day: [[_format_time(a), _format_time(b)] for a, b in periods]
                for day, periods in zip(WEEKDAYS, self.hours, strict=True)
            },
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def weekly_hours(self) -> float:
        """Working hours in a week without holidays (as written, ignoring clock changes)."""
        return sum(b - a for day in self.hours for a, b in day) / 3600


def _parse_time(text: str) -> int:
    match = _TIME.match(text)
    if match is None:
        raise ValueError(text)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes != 0):
        raise ValueError(text)
    return hours * 3600 + minutes * 60


def _format_time(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def calendar_problems(obj: Any) -> list[str]:
    """Every reason `obj` is not a calendar, in plain sentences (empty when it is one)."""
    if not isinstance(obj, Mapping):
        return [
            'A calendar is a JSON object with "timezone", "hours" and "holidays", '
            f"not {type(obj).__name__}."
        ]
    problems = [
        f'Unknown key {_json(key)}: a calendar has only "timezone", "hours" and "holidays".'
        for key in obj
        if key not in _KEYS
    ]
    zone = obj.get("timezone")
    if zone is None:
        problems.append('"timezone" is missing: give a time zone name such as "Europe/Amsterdam".')
    elif not isinstance(zone, str) or not _is_zone(zone):
        problems.append(
            f"{_json(zone)} is not a time zone name (such as "
            '"Europe/Amsterdam", "America/New_York" or "UTC").'
        )
    hours = obj.get("hours")
    if hours is None:
        problems.append(
            '"hours" is missing: give the working hours of each weekday, '
            'e.g. "mon": [["09:00", "17:00"]], and [] for a day without work.'
        )
    elif not isinstance(hours, Mapping):
        problems.append('"hours" must be an object with one entry per weekday (mon ... sun).')
    else:
        problems += _hours_problems(hours)
    holidays = obj.get("holidays", [])
    if not isinstance(holidays, list):
        problems.append('"holidays" must be a list of dates such as ["2025-12-25"].')
    else:
        for text in holidays:
            if not isinstance(text, str) or not _is_date(text):
                problems.append(f'"holidays": {_json(text)} is not a date (YYYY-MM-DD).')
    return problems


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def _hours_problems(hours: Mapping[str, Any]) -> list[str]:
    problems = [
        f'"hours" has {_json(key)}: weekdays are written mon, tue, wed, thu, fri, sat, sun.'
        for key in hours
        if key not in WEEKDAYS
    ]
    any_work = False
    for day in WEEKDAYS:
        if day not in hours:
            problems.append(f'"hours" has no "{day}": give [] for a day without working hours.')
            continue
        periods = hours[day]
        if not isinstance(periods, list):
            problems.append(
                f'"hours" → "{day}" must be a list of periods such as [["09:00", "17:00"]].'
            )
            continue
        parsed: list[tuple[int, int]] = []
        for period in periods:
            if (
                not isinstance(period, list)
                or len(period) != 2
                or not all(isinstance(t, str) for t in period)
            ):
                problems.append(
                    f'"hours" → "{day}": {_json(period)} is not a pair of times '
                    'like ["09:00", "17:00"].'
                )
                continue
            try:
                start, end = _parse_time(period[0]), _parse_time(period[1])
            except ValueError as exc:
                problems.append(
                    f'"hours" → "{day}": {_json(str(exc))} is not a time of day '
                    "(HH:MM, from 00:00 to 24:00)."
                )
                continue
            if start >= end:
                problems.append(
                    f'"hours" → "{day}": {period[0]} to {period[1]} does not end after it starts '
                    '(a shift past midnight is two periods: ["22:00", "24:00"] on one day '
                    'and ["00:00", "06:00"] on the next).'
                )
                continue
            parsed.append((start, end))
        parsed.sort()
        for (a1, b1), (a2, b2) in pairwise(parsed):
            if a2 < b1:
                problems.append(
                    f'"hours" → "{day}": {_format_time(a1)}–{_format_time(b1)} and '
                    f"{_format_time(a2)}–{_format_time(b2)} overlap."
                )
        any_work = any_work or bool(parsed)
    if not problems and not any_work:
        problems.append("No weekday has working hours: every duration would be zero.")
    return problems


def _instant_us(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _offset_us(zone: ZoneInfo, utc_us: int) -> int:
    offset = _from_us(utc_us).astimezone(zone).utcoffset()
    assert offset is not None
    return (offset.days * 86_400 + offset.seconds) * _US + offset.microseconds


def _offset_segments(zone: ZoneInfo, lo_us: int, hi_us: int) -> list[tuple[int, int, int]]:
    """The UTC-offset segments covering [lo_us, hi_us): (start, end, offset) in µs.

    Offsets are sampled every 6 hours and each change is located to the second
    by bisection (zone transitions fall on whole seconds).
    """
    step = 6 * 3600 * _US
    segments: list[tuple[int, int, int]] = []
    seg_start, current = lo_us, _offset_us(zone, lo_us)
    probe = lo_us
    while probe < hi_us:
        nxt = min(probe + step, hi_us)
        offset = _offset_us(zone, nxt)
        if offset != current:
            lo_s, hi_s = probe // _US, -(-nxt // _US)  # the change lies in (lo_s, hi_s]
            while hi_s - lo_s > 1:
                mid = (lo_s + hi_s) // 2
                if _offset_us(zone, mid * _US) == current:
                    lo_s = mid
                else:
                    hi_s = mid
            change = hi_s * _US
            segments.append((seg_start, change, current))
            seg_start, current = change, _offset_us(zone, change)
            probe = change
            continue
        probe = nxt
    segments.append((seg_start, hi_us, current))
    return segments


def _local_date(zone: ZoneInfo, utc_us: int) -> date:
    return _from_us(utc_us).astimezone(zone).date()


class WorkingClock:
    """The working clock of `calendar` over the local dates of [first, last] (instants).

    `us(instant)` reads it for a Datetime("us", "UTC") expression (null stays
    null); `instant_at(readings)` is its inverse (the earliest instant at which
    the clock reads at least that much), extending the span as needed.
    """

    def __init__(
        self, calendar: Calendar, first: datetime, last: datetime, max_buckets: int = 4_000_000
    ) -> None:
        self.calendar = calendar
        self._max_buckets = max_buckets
        zone = calendar.zone
        self._first_day = _local_date(zone, _instant_us(first)) - timedelta(days=1)
        self._last_day = self._first_day - timedelta(days=1)
        self._starts: list[int] = [_SENTINEL]
        self._ends: list[int] = [_SENTINEL]
        self._cum: list[int] = [0]
        self._extend(_local_date(zone, _instant_us(last)) + timedelta(days=1))

    @property
    def span(self) -> tuple[date, date]:
        """The first and last local dates whose working periods the clock holds."""
        return self._first_day, self._last_day

    @property
    def periods(self) -> int:
        """How many working periods (real intervals) the clock holds."""
        return len(self._starts) - 1

    def _extend(self, last_day: date) -> None:
        """Add the working periods of the local dates after the current span up to `last_day`."""
        if last_day <= self._last_day:
            return
        zone = ZoneInfo(self.calendar.timezone)
        day = self._last_day + timedelta(days=1)
        day_wall = (day - date(1970, 1, 1)).days * _DAY_US
        end_wall = ((last_day - date(1970, 1, 1)).days + 1) * _DAY_US
        # Offsets stay within ±26 h: pad the UTC range by two days on either side.
        segments = _offset_segments(zone, day_wall - 2 * _DAY_US, end_wall + 2 * _DAY_US)
        seg_starts = [s for s, _, _ in segments]
        cum = self._cum[-1] + (self._ends[-1] - self._starts[-1])
        while day <= last_day:
            if day not in self.calendar.holidays:
                for a, b in self.calendar.hours[day.weekday()]:
                    wall_lo, wall_hi = day_wall + a * _US, day_wall + b * _US
                    first_seg = max(
                        0, bisect.bisect_right(seg_starts, wall_lo - 26 * 3600 * _US) - 1
                    )
                    for seg_lo, seg_hi, offset in segments[first_seg:]:
                        if seg_lo >= wall_hi + 26 * 3600 * _US:
                            break
                        lo = max(wall_lo - offset, seg_lo)
                        hi = min(wall_hi - offset, seg_hi)
                        if hi > lo:
                            self._starts.append(lo)
                            self._ends.append(hi)
                            self._cum.append(cum)
                            cum += hi - lo
            day += timedelta(days=1)
            day_wall += _DAY_US
        self._last_day = last_day
        self._arrays()

    def _arrays(self) -> None:
        starts = np.asarray(self._starts, dtype=np.int64)
        ends = np.asarray(self._ends, dtype=np.int64)
        cum = np.asarray(self._cum, dtype=np.int64)
        # W(t) = min(t + offset[k], after[k]) for the last period k starting at or before t.
        self._offset = cum - starts
        self._after = cum + (ends - starts)
        self._starts_np = starts
        # Every period boundary is a multiple of `step` (whole minutes or hours in practice),
        # so k is constant over each step-long bucket: a table lookup instead of a search.
        boundaries = np.concatenate([starts[1:], ends[1:]])
        step = int(np.gcd.reduce(boundaries)) if boundaries.size else _DAY_US
        zone = ZoneInfo(self.calendar.timezone)
        span_lo = (
            _instant_us(datetime.combine(self._first_day, datetime.min.time(), zone)) - 2 * _DAY_US
        )
        span_hi = (
            _instant_us(
                datetime.combine(self._last_day + timedelta(days=1), datetime.min.time(), zone)
            )
            + 2 * _DAY_US
        )
        self._step, self._base = step, span_lo // step
        buckets = span_hi // step - self._base + 1
        self._buckets: np.ndarray | None = None
        if 0 < buckets <= self._max_buckets:
            edges = (self._base + np.arange(buckets, dtype=np.int64)) * step
            self._buckets = (np.searchsorted(starts, edges, side="right") - 1).astype(np.int32)

    def us(self, instant: pl.Expr) -> pl.Expr:
        t = instant.dt.epoch("us")
        offset, after = pl.lit(pl.Series(self._offset)), pl.lit(pl.Series(self._after))
        if self._buckets is None:
            return t.map_batches(self._read_numpy, return_dtype=pl.Int64)
        last = len(self._buckets) - 1
        k = pl.lit(pl.Series(self._buckets)).gather((t // self._step - self._base).clip(0, last))
        return pl.min_horizontal(t + offset.gather(k), after.gather(k)).cast(pl.Int64)

    def _read_numpy(self, instants: pl.Series) -> pl.Series:
        """The clock by binary search, for spans too long for a bucket table."""
        valid = instants.is_not_null().to_numpy()
        t = instants.fill_null(0).to_numpy()
        k = np.searchsorted(self._starts_np, t, side="right") - 1
        out = np.minimum(t + self._offset[k], self._after[k])
        return pl.Series(out).set(pl.Series(~valid), None)

    def reading(self, moment: datetime) -> int:
        """The clock's reading (µs) at one instant."""
        t = _instant_us(moment)
        i = bisect.bisect_right(self._starts, t) - 1
        return self._cum[i] + min(t - self._starts[i], self._ends[i] - self._starts[i])

    def instant_at(self, readings: np.ndarray) -> np.ndarray:
        """The earliest instants (datetime64[us], UTC) at which the clock reads `readings` (µs).

        A reading at the end of a working period is that end (17:00 Friday, not
        09:00 Monday). The span grows to cover readings after its end.
        """
        values = np.asarray(readings, dtype=np.int64)
        if values.size and self.calendar.weekly_hours > 0:
            weekly = int(self.calendar.weekly_hours * 3600 * _US)
            while int(values.max()) > self._cum[-1] + (self._ends[-1] - self._starts[-1]):
                missing = int(values.max()) - self._cum[-1]
                self._extend(self._last_day + timedelta(days=7 * (missing // weekly + 2)))
        cum = np.asarray(self._cum, dtype=np.int64)
        starts = np.asarray(self._starts, dtype=np.int64)
        ends = np.asarray(self._ends, dtype=np.int64)
        after = cum + (ends - starts)
        # Index 0 is the sentinel before every period: a reading of 0 is the first period's start.
        k = np.searchsorted(after, values, side="left").clip(1, len(after) - 1)
        out = starts[k] + np.maximum(values - cum[k], 0)
        return out.astype("datetime64[us]")

    def __repr__(self) -> str:
        return (
            f"WorkingClock({self.calendar.timezone}, {self._first_day}…{self._last_day}, "
            f"{self.periods} periods)"
        )


class OfferingClocks:
    """Per-offering clocks: rows of an offering in `clocks` read its clock, other rows real time.

    The frames it reads must have the `offering` column (instances and cases do).
    """

    def __init__(self, clocks: Mapping[str, WorkingClock]) -> None:
        self.clocks = dict(clocks)

    def us(self, instant: pl.Expr) -> pl.Expr:
        expr: Any = pl
        for offering, clock in self.clocks.items():
            expr = expr.when(pl.col("offering") == offering).then(clock.us(instant))
        return expr.otherwise(REAL_TIME.us(instant)) if self.clocks else REAL_TIME.us(instant)

    def __repr__(self) -> str:
        return f"OfferingClocks({sorted(self.clocks)})"


def clock_of(clock: Clock, offering: str) -> RealTime | WorkingClock:
    """The single clock `clock` reads for `offering`'s rows."""
    if isinstance(clock, OfferingClocks):
        return clock.clocks.get(offering, REAL_TIME)
    if isinstance(clock, RealTime | WorkingClock):
        return clock
    raise TypeError(f"not a clock of metrics.working_time: {clock!r}")


CalendarSpec = Calendar | Mapping[str, Calendar] | None
"""No calendar (elapsed time), one calendar for every offering, or one per offering."""


CLOCK_MARGIN = timedelta(days=366)
"""How far past the latest instant `clock_for` builds a clock, so that a "now" a little after
the data (or a date projected forward) still reads working time."""


def clock_for(calendar: CalendarSpec, first: datetime | None, last: datetime | None) -> Clock:
    """The clock for `calendar` over the instants [first, last] and a year beyond
    (REAL_TIME without a calendar)."""
    if calendar is None or first is None or last is None:
        return REAL_TIME
    until = last + CLOCK_MARGIN
    if isinstance(calendar, Calendar):
        return WorkingClock(calendar, first, until)
    return OfferingClocks({name: WorkingClock(c, first, until) for name, c in calendar.items()})


def working_seconds(start: pl.Series, end: pl.Series, calendar: Calendar) -> pl.Series:
    """Working seconds between `start[i]` and `end[i]` (0 when `end` is not after `start`;
    null where either is null), Datetime("us", "UTC") series of equal length."""
    frame = pl.DataFrame({"start": start, "end": end}).with_columns(
        pl.col("start", "end").cast(pl.Datetime("us", "UTC"))
    )
    instants = pl.concat([frame["start"], frame["end"]]).drop_nulls()
    if instants.is_empty():
        return pl.Series("working_s", [None] * frame.height, dtype=pl.Float64)
    clock = WorkingClock(calendar, instants.min(), instants.max())  # type: ignore[arg-type]
    return frame.select(
        working_s=seconds_between(clock, pl.col("start"), pl.col("end")).clip(lower_bound=0.0)
    )["working_s"]
