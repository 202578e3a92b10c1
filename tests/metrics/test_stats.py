"""The one JSON serialisation of results: dataclasses field by field, JSON-safe values."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

from metrics.stats import JSON_INLINE, JSON_SKIP, duration_text, json_ready


@dataclass(frozen=True)
class Span:
    start: datetime
    days: int


@dataclass(frozen=True)
class Result:
    name: str
    span: Span = field(metadata=JSON_INLINE)
    interval: tuple[float, float] | None
    p: float
    parts: tuple[Span, ...]
    frame: object = field(metadata=JSON_SKIP)


def test_json_ready_writes_dataclasses_as_plain_json() -> None:
    start = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
    result = Result(
        name="x",
        span=Span(start, 14),
        interval=(-2.5, math.inf),
        p=math.nan,
        parts=(Span(start, 1),),
        frame=object(),
    )
    out = json_ready(result)
    assert out == {
        "name": "x",
        "start": "2026-06-01T08:30:00+00:00",
        "days": 14,
        "interval": [-2.5, None],
        "p": None,
        "parts": [{"start": "2026-06-01T08:30:00+00:00", "days": 1}],
    }
    assert json.loads(json.dumps(out, allow_nan=False)) == out


def test_a_duration_is_written_in_its_unit_with_thousands_separated() -> None:
    """The time at stake of a big warehouse's finding sums over hundreds of thousands of
    cases: it reads '116,117.6 d', not '116117.6 d'."""
    day = 86_400.0
    assert duration_text(42 * 60) == "42 min"
    assert duration_text(5.3 * 3600) == "5.3 h"
    assert duration_text(12.4 * day) == "12.4 d"
    assert duration_text(116_117.6 * day) == "116,117.6 d"
    assert duration_text(None) == "–"
