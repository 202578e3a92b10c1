"""Turn a column of timestamps, in whatever form an export wrote them, into UTC instants.

Every metric is computed on absolute UTC time (../shared/METRICS.md), but exports write
time in many ways: ISO 8601 with or without offsets, day-first or month-first dates,
Jira's ``14/Jul/25 3:42 PM``, epoch numbers, Excel serial dates, or typed datetimes.
This module detects the form from the data itself, parses the whole column with polars'
vectorised parser (formats tried in order and coalesced, never a Python loop per row),
and reports in plain words what it detected so the user can check it.

Naive (zone-less) times are wall-clock times of ``tz``. Across a DST change some wall-clock
times happen twice (autumn) or never (spring): the earlier instant is taken for the first
and the time is shifted forward by one hour for the second, and the description says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

UTC_DTYPE = pl.Datetime("us", "UTC")

_EXCEL_EPOCH = pl.datetime(1899, 12, 30, time_unit="us")
_US_PER_DAY = 86_400_000_000

_DMY_PREFIX = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\b"
_NUMERIC = r"^\s*[+-]?\d+(\.\d*)?\s*$"

_SAMPLE_SIZE = 2_000


@dataclass
class ParsedTimestamps:
    """The result of :func:`parse_timestamps`.

    ``failed`` flags non-empty inputs that could not be read, so the import report can
    show the user the offending rows instead of silently dropping them.
    """

    values: pl.Series
    failed: pl.Series
    description: str
    day_first: bool | None
    date_only: bool


@dataclass(frozen=True)
class _Format:
    """One strptime format the parser may try, with the words used to describe it."""

    pattern: str
    label: str
    aware: bool
    date_only: bool
    ambiguous_order: bool = False


def _time_parts() -> list[tuple[str, str]]:
    # Without fractions first: polars has a fast path for fixed-width formats that
    # "%.f" disables (about 5x slower on a million values); "%.f" catches the rest.
    return [
        (" %H:%M:%S", "HH:MM:SS"),
        (" %H:%M:%S%.f", "HH:MM:SS"),
        (" %H:%M", "HH:MM"),
        (" %I:%M:%S %p", "h:MM:SS AM/PM"),
        (" %I:%M %p", "h:MM AM/PM"),
    ]


def _formats(day_first: bool) -> list[_Format]:
    """Candidate formats, most specific and most common first.

    Day/month order is decided once for the column (``day_first``), so only one of the
    two orders is ever tried: a value must never be read one way in one row and the
    other way in the next.
    """
    out: list[_Format] = []
    iso_dates = [("%Y-%m-%dT", "ISO 8601"), ("%Y-%m-%d", "ISO 8601"), ("%Y/%m/%d", "yyyy/mm/dd")]
    for date, label in iso_dates:
        sep_free = date.rstrip("T")
        for time, time_label in _time_parts()[:3]:
            time_fmt = time.lstrip() if date.endswith("T") else time
            out.append(_Format(date + time_fmt + "%z", f"{label} with UTC offsets", True, False))
            out.append(_Format(date + time_fmt, f"{label} {time_label}", False, False))
        if not date.endswith("T"):
            out.append(_Format(sep_free, f"{label} dates", False, True))
    if day_first:
        numeric = [
            ("%d/%m/%Y", "dd/mm/yyyy"),
            ("%d-%m-%Y", "dd-mm-yyyy"),
            ("%d.%m.%Y", "dd.mm.yyyy"),
            ("%d/%m/%y", "dd/mm/yy"),
            ("%d.%m.%y", "dd.mm.yy"),
        ]
        prefix = "day-first "
    else:
        numeric = [
            ("%m/%d/%Y", "mm/dd/yyyy"),
            ("%m-%d-%Y", "mm-dd-yyyy"),
            ("%m.%d.%Y", "mm.dd.yyyy"),
            ("%m/%d/%y", "mm/dd/yy"),
            ("%m.%d.%y", "mm.dd.yy"),
        ]
        prefix = "month-first "
    named = [
        ("%d/%b/%y", "dd/Mon/yy (Jira)"),
        ("%d/%b/%Y", "dd/Mon/yyyy"),
        ("%d-%b-%Y", "dd-Mon-yyyy"),
        ("%d-%b-%y", "dd-Mon-yy"),
        ("%d %b %Y", "dd Mon yyyy"),
        ("%d/%B/%Y", "dd/Month/yyyy"),
        ("%d %B %Y", "dd Month yyyy"),
        ("%b %d, %Y", "Mon dd, yyyy"),
        ("%B %d, %Y", "Month dd, yyyy"),
    ]
    for date, label in numeric:
        for time, time_label in _time_parts():
            out.append(
                _Format(
                    date + time + "%z",
                    f"{prefix}{label} {time_label} with UTC offsets",
                    True,
                    False,
                    True,
                )
            )
            out.append(_Format(date + time, f"{prefix}{label} {time_label}", False, False, True))
        out.append(_Format(date, f"{prefix}{label} dates", False, True, True))
    for date, label in named:
        for time, time_label in _time_parts():
            out.append(_Format(date + time, f"{label} {time_label}", False, False))
        out.append(_Format(date, f"{label} dates", False, True))
    return out


def detect_day_first(values: pl.Series) -> bool | None:
    """Whether numeric dates like ``03/04/2025`` are day-first, judged from the data.

    A first field above 12 can only be a day, a second field above 12 can only be a day.
    Returns ``None`` when the data does not tell (no such dates, every value ambiguous, or
    contradictory evidence), leaving the choice to the caller.
    """
    if values.dtype != pl.String:
        return None
    # Dates repeat far more than timestamps: judge the distinct leading dates only.
    parts = values.str.strip_chars().str.slice(0, 10).unique().str.extract_groups(_DMY_PREFIX)
    first = parts.struct.field("1").cast(pl.Int32, strict=False)
    second = parts.struct.field("2").cast(pl.Int32, strict=False)
    day_first_evidence = bool((first > 12).any())
    month_first_evidence = bool((second > 12).any())
    if day_first_evidence == month_first_evidence:
        return None
    return day_first_evidence


def _localize(naive: pl.Series, tz: str) -> tuple[pl.Series, int, int]:
    """Read naive wall-clock times in ``tz`` and return UTC, with DST repair counts.

    Ambiguous times (the repeated autumn hour) take the earlier instant. Non-existent
    times (the skipped spring hour) are shifted forward one hour, which is what a clock
    that was not yet moved forward meant.
    """
    naive = naive.cast(pl.Datetime("us"))
    if tz == "UTC":
        return naive.dt.replace_time_zone("UTC"), 0, 0
    earliest = naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    # A wall-clock time is ambiguous when the same reading recurs one hour later.
    recurs = (
        pl.select(pl.lit(earliest) + pl.duration(hours=1)).to_series().dt.replace_time_zone(None)
        == naive
    )
    n_ambiguous = int(recurs.sum())
    gap = earliest.is_null() & naive.is_not_null()
    n_gap = int(gap.sum())
    if n_gap:
        repaired = naive.dt.offset_by("1h").dt.replace_time_zone(
            tz, ambiguous="earliest", non_existent="null"
        )
        earliest = earliest.zip_with(~gap, repaired)
    return earliest.dt.convert_time_zone("UTC"), n_ambiguous, n_gap


def _dst_note(n_ambiguous: int, n_gap: int) -> str:
    notes = []
    if n_ambiguous:
        notes.append(f"{n_ambiguous} repeated-hour (DST end) times taken as the earlier instant")
    if n_gap:
        notes.append(f"{n_gap} skipped-hour (DST start) times shifted forward 1 h")
    return ("; " + "; ".join(notes)) if notes else ""


def _result(
    values: pl.Series,
    non_empty: pl.Series,
    description: str,
    day_first: bool | None,
    date_only: bool,
) -> ParsedTimestamps:
    values = values.cast(UTC_DTYPE).rename("timestamp")
    failed = (non_empty & values.is_null()).rename("failed")
    return ParsedTimestamps(values, failed, description, day_first, date_only)


def _from_datetime(values: pl.Series, tz: str) -> ParsedTimestamps:
    non_empty = values.is_not_null()
    dtype = values.dtype
    if dtype == pl.Date:
        utc, n_amb, n_gap = _localize(values.cast(pl.Datetime("us")), tz)
        return _result(
            utc, non_empty, f"dates, read as midnight in {tz}{_dst_note(n_amb, n_gap)}", None, True
        )
    assert isinstance(dtype, pl.Datetime)
    if dtype.time_zone is not None:
        return _result(
            values.dt.convert_time_zone("UTC"),
            non_empty,
            f"typed datetimes in {dtype.time_zone}",
            None,
            False,
        )
    utc, n_amb, n_gap = _localize(values, tz)
    midnight = bool((values.drop_nulls().dt.time() == dt.time(0)).all())
    return _result(
        utc,
        non_empty,
        f"typed datetimes without zone, read in {tz}{_dst_note(n_amb, n_gap)}",
        None,
        midnight and non_empty.any(),
    )


def _from_numbers(numbers: pl.Series, non_empty: pl.Series, tz: str) -> ParsedTimestamps:
    """Epoch seconds/milliseconds/microseconds or Excel serial dates, told apart by size.

    Excel serials 20000–80000 are 1954–2119; epoch seconds from 1e8 (1973) to 1e11, then
    milliseconds, then microseconds. Anything else is not a timestamp we can vouch for.
    """
    x = numbers.cast(pl.Float64)
    present = x.drop_nulls()
    n = len(present)
    lo = float(present.min()) if n else 0.0  # type: ignore[arg-type]
    hi = float(present.max()) if n else 0.0  # type: ignore[arg-type]
    whole = bool((present == present.floor()).all()) if n else False
    none = pl.Series("timestamp", [None] * len(x), dtype=UTC_DTYPE)
    if n == 0:
        return _result(none, non_empty, "no timestamps", None, False)
    if lo >= 19000101 and hi <= 21001231 and whole:
        text = x.cast(pl.Int64).cast(pl.String)
        naive = text.str.to_datetime("%Y%m%d", strict=False, time_unit="us")
        utc, n_amb, n_gap = _localize(naive, tz)
        return _result(
            utc, non_empty, f"yyyymmdd dates, read in {tz}{_dst_note(n_amb, n_gap)}", None, True
        )
    if lo >= 20_000 and hi <= 80_000:
        micros = (x * _US_PER_DAY).round(0).cast(pl.Int64)
        naive = pl.select(_EXCEL_EPOCH + pl.duration(microseconds=pl.lit(micros))).to_series()
        naive = naive.dt.round("1ms")
        utc, n_amb, n_gap = _localize(naive, tz)
        kind = "Excel serial dates" if whole else "Excel serial date-times"
        return _result(
            utc, non_empty, f"{kind}, read in {tz}{_dst_note(n_amb, n_gap)}", None, whole
        )
    for low, high, unit, label in (
        (1e8, 1e11, 1_000_000, "epoch seconds"),
        (1e11, 1e14, 1_000, "epoch milliseconds"),
        (1e14, 1e17, 1, "epoch microseconds"),
    ):
        if low <= abs(lo) and abs(hi) < high:
            micros = (x * unit).round(0).cast(pl.Int64)
            utc = micros.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
            return _result(utc, non_empty, label, None, False)
    return _result(none, non_empty, "numbers that do not look like timestamps", None, False)


def _normalise(text: pl.Series) -> pl.Series:
    """Rewrite the spellings strptime cannot take into ones it can.

    Each rewrite runs only when some value needs it, so a clean column pays nothing:
    ``Z``/``UTC`` suffixes become ``+00:00``; runs of spaces (monday.com writes two) become
    one; a space before the offset goes away.
    """
    # The checks are end-anchored or literal searches (fast in the regex engine); each
    # asks exactly whether its rewrite would change some value.
    if bool(text.str.contains("  ", literal=True).any()):
        text = text.str.replace_all(r"\s+", " ")
    if bool(text.str.contains(r"(?i)(Z|UTC|GMT)$").any()):
        text = text.str.replace(r"(?i)\s*(Z|UTC|GMT)$", "+00:00")
    if bool(text.str.contains(r"\d [+-]\d{2}:?\d{2}$").any()):
        text = text.str.replace(r"(\d) ([+-]\d{2}:?\d{2})$", "${1}${2}")
    return text


def _parse_with(text: pl.Series, fmt: _Format, tz: str, *, cache: bool = True) -> pl.Series:
    if fmt.aware:
        return text.str.to_datetime(
            fmt.pattern, strict=False, time_unit="us", time_zone="UTC", cache=cache
        )
    return text.str.to_datetime(fmt.pattern, strict=False, time_unit="us", cache=cache)


def _null_datetimes(n: int, dtype: pl.DataType) -> pl.Series:
    """``n`` nulls of ``dtype``, without building a Python list."""
    return pl.Series("", [], dtype=dtype).extend_constant(None, n)


def _first_full_hit(sample: pl.Series, day_first: bool | None, tz: str) -> _Format | None:
    """The format that heads :func:`_rank`'s order, when one reads every sampled value.

    The ranking sorts by hits, ties in list order, so the first format in list order that
    reads the whole sample is the first one ranked. Formats whose day/month order is
    ambiguous depend on ``day_first``; while it is unknown (``None``) the scan stops at the
    first of them, since the formats before it are the same for either order.
    """
    for fmt in _formats(bool(day_first)):
        if fmt.ambiguous_order and day_first is None:
            return None
        if int(_parse_with(sample, fmt, tz).null_count()) == 0:
            return fmt
    return None


def _rank(sample: pl.Series, formats: Iterable[_Format], tz: str) -> list[tuple[_Format, int]]:
    hits = [(fmt, int(_parse_with(sample, fmt, tz).is_not_null().sum())) for fmt in formats]
    return sorted((h for h in hits if h[1] > 0), key=lambda h: -h[1])


def _from_strings(raw: pl.Series, tz: str, day_first: bool | None) -> ParsedTimestamps:
    text = raw.cast(pl.String)
    text = text.str.strip_chars()
    if bool((text == "").any()):
        text = (
            pl.DataFrame({"t": text})
            .select(pl.when(pl.col("t") != "").then(pl.col("t")))
            .to_series()
        )
    non_empty = text.is_not_null()
    present = text.drop_nulls()
    if len(present) == 0:
        return _result(_null_datetimes(len(text), UTC_DTYPE), non_empty, "empty", day_first, False)
    # A sampled value that is not a number settles it without scanning the column.
    if bool(present.head(_SAMPLE_SIZE).str.contains(_NUMERIC).all()) and bool(
        present.str.contains(_NUMERIC).all()
    ):
        return _from_numbers(text.cast(pl.Float64, strict=False), non_empty, tz)

    text = _normalise(text)
    sample = (
        text.drop_nulls().head(50 * _SAMPLE_SIZE).unique(maintain_order=True).head(_SAMPLE_SIZE)
    )

    n = len(text)
    aware = _null_datetimes(n, UTC_DTYPE)
    naive = _null_datetimes(n, pl.Datetime("us"))
    todo = non_empty.clone()
    used: list[_Format] = []
    tried: set[_Format] = set()

    def apply(fmt: _Format) -> None:
        # Each format only sees the values no earlier format could read, so a clean
        # column is parsed once and a mixed one costs little more.
        nonlocal todo, aware, naive
        tried.add(fmt)
        if not bool(todo.any()):
            return
        if not used and bool(todo.all()):
            # The first format on a column with no gaps: parse in place, no gather/scatter.
            # One million distinct instants gain nothing from polars' parse cache.
            parsed = _parse_with(text, fmt, tz, cache=False)
            ok = parsed.is_not_null()
            if not bool(ok.any()):
                return
            used.append(fmt)
            if fmt.aware:
                aware = parsed
            else:
                naive = parsed
            todo = ~ok
            return
        positions = todo.arg_true()
        parsed = _parse_with(text.gather(positions), fmt, tz)
        ok = parsed.is_not_null()
        if not bool(ok.any()):
            return
        used.append(fmt)
        hit_positions = positions.filter(ok)
        target = aware if fmt.aware else naive
        target.scatter(hit_positions, parsed.filter(ok))
        todo.scatter(hit_positions, False)

    # The common case: one format reads the whole sample, and then usually the whole
    # column. It is the format the full ranking would try first, so trying it before
    # ranking (and before judging the day/month order, which it does not involve)
    # changes nothing; the rest is only worked out when values are left over.
    first = _first_full_hit(sample, day_first, tz)
    if first is not None:
        apply(first)
    detected: bool | None = None
    used_day_first = bool(day_first)
    if first is None or bool(todo.any()):
        detected = detect_day_first(text)
        used_day_first = day_first if day_first is not None else bool(detected)
        formats = _formats(used_day_first)
        for fmt, _ in _rank(sample, formats, tz):
            if fmt not in tried:
                apply(fmt)
        if bool(todo.any()):
            for fmt in formats:
                if fmt not in tried:
                    apply(fmt)

    n_amb = n_gap = 0
    if any(not f.aware for f in used):
        localized, n_amb, n_gap = _localize(naive, tz)
        values = aware.fill_null(localized)
    else:
        # Nothing was read as a naive time: there is nothing to localise.
        values = aware

    date_only = bool(used) and all(f.date_only for f in used)
    any_order = any(f.ambiguous_order for f in used)
    labels = list(dict.fromkeys(f.label for f in used))
    if not labels:
        description = "no recognisable timestamps"
    else:
        description = ", ".join(labels)
        if all(not f.aware for f in used):
            description += f", read in {tz}"
        elif any(not f.aware for f in used):
            description += f"; values without offset read in {tz}"
        description += _dst_note(n_amb, n_gap)
        if any_order and day_first is None and detected is None:
            description += " (day/month order ambiguous: month-first assumed)"
    return _result(values, non_empty, description, used_day_first if any_order else None, date_only)


def parse_timestamps(
    values: pl.Series, *, tz: str = "UTC", day_first: bool | None = None
) -> ParsedTimestamps:
    """Parse a column of timestamps to ``Datetime("us", "UTC")``.

    ``tz`` is the IANA zone in which zone-less values are read. ``day_first`` forces the
    order of numeric dates; left ``None`` it is detected from the data (month-first when
    the data cannot tell). Values that cannot be read become null and are flagged in
    ``failed``; empty cells are null and not flagged.
    """
    dtype = values.dtype
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        return _from_datetime(values, tz)
    if dtype.is_numeric():
        return _from_numbers(values, values.is_not_null(), tz)
    if dtype == pl.Null:
        return _from_strings(values.cast(pl.String), tz, day_first)
    return _from_strings(values.cast(pl.String), tz, day_first)


def is_timestamp_like(values: pl.Series, *, min_share: float = 0.8) -> bool:
    """Whether most non-empty values read as timestamps; used by mapping as a tie-breaker.

    Plain numbers only count when the column's name speaks of time, because ids and
    amounts also fall in the epoch and Excel-serial ranges.
    """
    sample = values.drop_nulls().head(500)
    if len(sample) == 0:
        return False
    if sample.dtype == pl.Date or isinstance(sample.dtype, pl.Datetime):
        return True
    parsed = parse_timestamps(sample)
    if int(parsed.values.is_not_null().sum()) < min_share * len(sample):
        return False
    numeric = (
        "epoch" in parsed.description
        or "serial" in parsed.description
        or ("yyyymmdd" in parsed.description)
    )
    return (
        not numeric
        or re.search(r"(?i)time|date|epoch|_at$|created|updated", values.name) is not None
    )
