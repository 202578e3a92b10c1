"""How numbers are written on every page: durations, shares, counts, and their help texts.

Durations are written by `metrics.stats.duration_text` everywhere; a table puts all its
durations in one unit (`table_unit`), so "47.2 h" never stands beside "2.5 d".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

import polars as pl

from metrics.definitions import DEFINITIONS
from metrics.stats import duration_text
from metrics.working_time import Calendar
from model.units import SHORT, UNITS, unit_for

__all__ = [
    "count",
    "duration_text",
    "explain",
    "in_unit",
    "md",
    "pct_change",
    "share",
    "table_unit",
    "time_basis_note",
    "unit_label",
]


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>$~=:])")


def md(text: object) -> str:
    """Any name (offering, case, activity, resource) made safe to put inside Markdown: no
    link, image, emphasis, LaTeX or HTML can come out of it, it reads as written."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text)).replace("\n", " ")


def share(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.{digits}f}%"


def count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def explain(metric: str, n: int | None = None, unit: str = "cases", extra: str = "") -> str:
    """The definition of a metric (METRICS.md) and the number of cases behind it."""
    text = DEFINITIONS.get(metric, "")
    if n is not None:
        text += f"\n\nBased on {n:,} {unit}."
    if extra:
        text += f"\n\n{extra}"
    return text.strip()


def pct_change(now: float | None, before: float | None) -> str | None:
    """'+12%' / '-8%' from `before` to `now`; None when either is unknown."""
    if now is None or before is None or before == 0 or math.isnan(now) or math.isnan(before):
        return None
    return f"{(now - before) / abs(before) * 100:+.0f}%"


def table_unit(frame: pl.DataFrame, columns: Sequence[str]) -> str:
    """One unit for every duration column of a table: the one the largest median reads in."""
    medians = [frame[c].drop_nulls().median() for c in columns if c in frame.columns]
    known = [float(m) for m in medians if isinstance(m, int | float) and math.isfinite(m)]
    return unit_for(max(known) if known else None)


def in_unit(column: str, unit: str, digits: int = 1) -> pl.Expr:
    """A seconds column in `unit`, rounded for reading."""
    return (pl.col(column) / UNITS[unit]).round(digits)


def unit_label(label: str, unit: str) -> str:
    """'Median wait (h)'."""
    return f"{label} ({SHORT[unit]})"


def _working_day_hours(calendar: Calendar) -> float | None:
    """The hours of a typical working day: the week's hours over the days that have some."""
    days = sum(1 for periods in calendar.hours if periods)
    return calendar.weekly_hours / days if days else None


def time_basis_note(calendars: Mapping[str, Calendar], offerings: Sequence[str]) -> str:
    """What the durations of `offerings` count: "" in elapsed time, else a sentence saying
    which offerings count working time and how long a day of it is.

    `calendars` are the calendars that are on (ui.views.Derived.calendars)."""
    on = [o for o in offerings if o in calendars]
    if not on:
        return ""
    whose = "these cases" if len(offerings) == 1 else ", ".join(on)
    text = (
        f"**Working time:** durations of {whose} count working hours only (the calendar on "
        "the Data page's Working time tab is on), so 1 d is 24 working hours"
    )
    lengths = {_working_day_hours(calendars[o]) for o in on} - {None}
    if len(lengths) == 1:
        hours = lengths.pop()
        assert hours is not None
        text += f", about {24 / hours:.1f} working days of {hours:g} h"
    if len(on) < len(offerings):
        text += "; the other offerings count elapsed time"
    return text + "."
