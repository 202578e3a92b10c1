"""How numbers are written on every page: durations, shares, counts, and their help texts.

Durations are written by `metrics.stats.duration_text` everywhere; a table puts all its
durations in one unit (`table_unit`), so "47.2 h" never stands beside "2.5 d".
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime

import polars as pl

from metrics.definitions import DEFINITIONS
from metrics.stats import duration_text
from metrics.working_time import Calendar
from model.units import SHORT, UNITS, unit_for

__all__ = [
    "count",
    "day_month",
    "day_text",
    "day_text_expr",
    "duration_text",
    "explain",
    "in_unit",
    "moment_text",
    "pct_change",
    "plain",
    "share",
    "table_unit",
    "time_basis_note",
    "unit_label",
]


_ANYWHERE = re.compile(r"([\\`*_\[\]<>$:~&@])")
"""Characters with a meaning wherever they stand: emphasis, code, links and images, HTML,
KaTeX, emoji and Streamlit's :colour[...] directives, strikethrough, entities, e-mail links."""
_AT_START = re.compile(r"^([#+\-=]|\d+(?=[.)]))")
"""What means something only at the start of a line: a heading, a list item, a rule."""
_AUTOLINK = re.compile(r"(?i)(@|\bwww(?=\.)|:(?=//|[\w+-]+:|material/))")
"""Where text becomes something else after Markdown's escapes are resolved, so a backslash
does not stop it but an invisible word joiner does: GitHub-flavoured Markdown's links (an
e-mail address, a www. or http:// address) and Streamlit's shortcodes (":material/delete:"
an icon, ":streamlit:" a logo, ":smile:" an emoji): a colon before "//", before "material/"
or before a word that ends in a colon."""
_JOINER = "\u2060"


def plain(text: object) -> str:
    """Any text (a name from a file, a person's name from the identity provider, a URL
    parameter, an error message naming them) made safe to put inside st.markdown,
    st.caption, st.info or a widget label: it shows as written, never as a link, an image,
    HTML, LaTeX, an emoji or a colour. Characters Markdown, Streamlit or KaTeX give a
    meaning are escaped with a backslash; line breaks become spaces, so a name can start no
    heading or list but at the very start, which is escaped too; an invisible word joiner
    (U+2060) after "@", "www" and "http:" keeps addresses from becoming links, and after the
    colon of a shortcode keeps ":material/delete:" from becoming an icon.
    """
    one_line = " ".join(str(text).split())
    unlinked = _AUTOLINK.sub(lambda m: m.group(1) + _JOINER, one_line)
    escaped = _ANYWHERE.sub(r"\\\1", unlinked)
    return _AT_START.sub(_escape_start, escaped)


def _escape_start(match: re.Match[str]) -> str:
    lead = match.group(1)
    return lead + "\\" if lead.isdigit() else "\\" + lead


def share(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.{digits}f}%"


def day_text(day: date) -> str:
    """'1 Aug 2026': the day as every page writes it (no leading zero)."""
    return f"{day.day} {day:%b %Y}"


def day_month(day: date) -> str:
    """'1 Aug': the first day of a range whose last day names the year."""
    return f"{day.day} {day:%b}"


def moment_text(moment: datetime) -> str:
    """'1 Aug 2026 14:05': a day and its time of day, to the minute."""
    return f"{day_text(moment)} {moment:%H:%M}"


def day_text_expr(column: str, with_time: bool = False) -> pl.Expr:
    """`day_text` (or `moment_text`) of every value of a date or datetime column."""
    return pl.col(column).dt.strftime("%-d %b %Y %H:%M" if with_time else "%-d %b %Y")


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
    """A seconds column in `unit`, rounded for reading to `digits` decimals; a value under
    one unit keeps two significant figures, so a 9-minute case in a table of days reads
    0.0062, not 0."""
    value = pl.col(column) / UNITS[unit]
    return pl.when(value.abs() < 1).then(value.round_sig_figs(2)).otherwise(value.round(digits))


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
    whose = "these cases" if len(offerings) == 1 else ", ".join(plain(o) for o in on)
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


def duration_delta(after: float | None, before: float | None) -> str | None:
    """A tile's change, '-1.0 d' / '+0.3 d', in the unit of its larger figure so the tile
    reads alike (an ASCII minus: Streamlit reads it to point the arrow down)."""
    if after is None or before is None:
        return None
    diff = after - before
    return ("-" if diff < 0 else "+") + duration_text(abs(diff), like=larger(after, before))


def larger(*values: float | None) -> float | None:
    """The value a tile's unit is picked for: its larger figure, so all of it reads alike."""
    known = [abs(v) for v in values if v is not None]
    return max(known) if known else None
