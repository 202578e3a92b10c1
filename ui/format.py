"""How numbers are written on every page: durations, shares, counts, and their help texts."""

from __future__ import annotations

import math

from charts.style import format_duration as duration
from metrics.definitions import DEFINITIONS

__all__ = ["count", "duration", "explain", "pct_change", "share"]


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
