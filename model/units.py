"""Durations: every duration of the model is a float number of seconds, and is shown in
one of three units chosen by one rule."""

MINUTE = 60.0
HOUR = 3_600.0
DAY = 86_400.0
WEEK = 7 * DAY

UNITS: dict[str, float] = {"minutes": MINUTE, "hours": HOUR, "days": DAY}
"""Seconds per unit, by the unit's name."""

SHORT: dict[str, str] = {"minutes": "min", "hours": "h", "days": "d"}
"""How a unit is written after a number."""


def unit_for(seconds: float | None) -> str:
    """The unit a duration of about `seconds` reads best in: minutes under an hour, hours
    under two days, else days. Every page, chart, table and report uses this rule."""
    if seconds is None or seconds != seconds or abs(seconds) < HOUR:
        return "minutes"
    if abs(seconds) < 48 * HOUR:
        return "hours"
    return "days"
