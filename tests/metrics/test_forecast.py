"""Forecasts: Monte Carlo over daily throughput, checked on a constant and a Poisson stream,
and the per-item "likely done by"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from scipy import stats

from metrics.derived import derive_all
from metrics.forecast import daily_throughput, forecast_days, forecast_items, likely_done_by
from metrics.working_time import Calendar
from tests.metrics.frames import T0, H, cases_of, catalog, derive, events

END = catalog([{"activity": "Ship", "is_end_activity": True}])


def steady_stream(days: int, per_day: int) -> pl.DataFrame:
    """`per_day` cases completed every day for `days` days (Make 01:00–02:00, Ship 03:00)."""
    rows: list[tuple[str, str, float | None, float]] = []
    for day in range(days):
        for i in range(per_day):
            rows += [(f"d{day}-{i}", "Make", day * 24 + 1, day * 24 + 2)]
            rows += [(f"d{day}-{i}", "Ship", day * 24 + 3, day * 24 + 3)]
    return cases_of(derive(events(rows), END))


def test_five_a_day_do_fifty_items_on_the_tenth_day_at_every_percentile() -> None:
    cases = steady_stream(days=90, per_day=5)
    out = forecast_items(cases.lazy(), items=50, offering="O")
    latest = date(2024, 1, 1) + timedelta(days=89)
    tenth = (latest + timedelta(days=10)).isoformat()
    assert out["done_by"] == {"p50": tenth, "p85": tenth, "p95": tenth}
    assert out["throughput_per_day"] == {"mean": 5.0}
    assert (out["history_days"], out["history"]["completed_cases"]) == (90, 450)
    assert (out["items"], out["runs"], out["offering"]) == (50, 10_000, "O")
    # 51 items need an 11th day.
    eleventh = (latest + timedelta(days=11)).isoformat()
    assert forecast_items(cases.lazy(), items=51)["done_by"]["p50"] == eleventh
    assert forecast_days(cases.lazy(), days=7)["items_done"] == {"p50": 35, "p85": 35, "p95": 35}


def poisson_cases(rate: float, days: int) -> pl.DataFrame:
    """A history whose daily completions follow Poisson(rate) as closely as `days` days allow:
    count k on round(days · P(k)) days."""
    counts = np.concatenate(
        [np.full(round(days * stats.poisson.pmf(k, rate)), k) for k in range(int(rate * 6) + 10)]
    )
    day_of_case = np.repeat(np.arange(counts.size), counts)
    end = [T0 + timedelta(days=int(d), hours=12) for d in day_of_case]
    return pl.DataFrame(
        {
            "offering": "O",
            # Every case started on day 0, so the history starts there, zero days included.
            "first_start": T0,
            "last_end": end,
            "completed": True,
        },
        schema_overrides={
            "first_start": pl.Datetime("us", "UTC"),
            "last_end": pl.Datetime("us", "UTC"),
        },
    )


@pytest.mark.parametrize(("rate", "items"), [(4.0, 200), (0.7, 30), (12.0, 60)])
def test_on_poisson_throughput_the_dates_match_the_analytic_ones_within_a_day(
    rate: float, items: int
) -> None:
    cases = poisson_cases(rate, days=3000)
    history = daily_throughput(cases.lazy(), history_days=5000)
    out = forecast_items(cases.lazy(), items=items, history_days=5000, seed=7)
    last_day: date = history["day"][-1]
    for p in (50, 85, 95):
        # N items by day k ⇔ a Poisson(k · rate) count reaches N.
        analytic = next(
            k for k in range(1, 10_000) if stats.poisson.sf(items - 1, k * rate) >= p / 100
        )
        ours = (date.fromisoformat(out["done_by"][f"p{p}"]) - last_day).days
        assert abs(ours - analytic) <= 1, (p, ours, analytic)


@pytest.mark.parametrize(("rate", "days"), [(4.0, 30), (0.7, 60)])
def test_on_poisson_throughput_items_done_match_the_analytic_ones(rate: float, days: int) -> None:
    cases = poisson_cases(rate, days=3000)
    out = forecast_days(cases.lazy(), days=days, history_days=5000, seed=3)
    for p in (50, 85, 95):
        # At least x with p probability: the largest x with P(Poisson(days · rate) ≥ x) ≥ p.
        analytic = max(x for x in range(0, 2000) if stats.poisson.sf(x - 1, days * rate) >= p / 100)
        assert abs(out["items_done"][f"p{p}"] - analytic) <= max(1, 0.02 * analytic), p
    assert out["items_done"]["p95"] <= out["items_done"]["p85"] <= out["items_done"]["p50"]


def test_the_same_seed_gives_the_same_answer() -> None:
    cases = poisson_cases(3.0, days=200)
    first = forecast_items(cases.lazy(), items=100, seed=11)
    assert forecast_items(cases.lazy(), items=100, seed=11) == first
    assert forecast_days(cases.lazy(), days=20, seed=5) == forecast_days(
        cases.lazy(), days=20, seed=5
    )


def test_the_history_counts_days_without_completions_but_not_days_before_the_stream() -> None:
    rows = [
        ("a", "Make", 1, 2),
        ("a", "Ship", 3, 3),  # 1 Jan
        ("b", "Make", 24 * 9 + 1, 24 * 9 + 2),
        ("b", "Ship", 24 * 9 + 3, 24 * 9 + 3),  # 10 Jan
        ("c", "Make", 24 * 9 + 5, 24 * 9 + 6),  # open, latest event 10 Jan
    ]
    cases = cases_of(derive(events(rows), END))
    history = daily_throughput(cases.lazy(), history_days=90)
    assert history["completed_cases"].to_list() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert history["day"][0] == date(2024, 1, 1)
    assert daily_throughput(cases.lazy(), history_days=3)["completed_cases"].to_list() == [0, 0, 1]
    out = forecast_items(cases.lazy(), items=1, history_days=90)
    assert (out["history_days"], out["throughput_per_day"]["mean"]) == (10, 0.2)


def test_no_completions_no_forecast() -> None:
    cases = cases_of(
        derive(
            events([("a", "Make", 1, 2)]), catalog([{"activity": "Make", "is_end_activity": False}])
        )
    )
    out = forecast_items(cases.lazy(), items=5)
    assert out["done_by"] == {"p50": None, "p85": None, "p95": None}
    assert forecast_days(cases.lazy(), days=5)["items_done"] == {"p50": 0, "p85": 0, "p95": 0}
    with pytest.raises(ValueError, match="items must be at least 1"):
        forecast_items(cases.lazy(), items=0)


def test_likely_done_by_conditions_on_the_item_s_age() -> None:
    # Completed lead times 2, 4, 6, 8, 10 h; an open case 3 h old at the latest event.
    rows: list[tuple[str, str, float | None, float]] = []
    for i, lead in enumerate([2, 4, 6, 8, 10]):
        rows += [(f"c{i}", "Make", 0, lead - 1), (f"c{i}", "Ship", lead, lead)]
    rows += [("open", "Make", 7, 8)]  # first start 7 h; the latest event is 10 h: 3 h old
    cases = cases_of(derive(events(rows), END))
    now = T0 + timedelta(hours=10)
    # Four finished cases took longer than 3 h: fewer than five, no estimate.
    out = likely_done_by(cases.lazy(), now)
    assert out.select("case_id", "age_s", "basis_cases", "likely_done_p50").rows() == [
        ("open", 3 * H, 4, None)
    ]
    # With three enough: p50 of 4, 6, 8, 10 h is 7 h, p85 9.1 h, p95 9.7 h after its start.
    out = likely_done_by(cases.lazy(), now, min_cases=3)
    start = T0 + timedelta(hours=7)
    assert out.row(0, named=True)["likely_done_p50"] == start + timedelta(hours=7)
    assert out.row(0, named=True)["likely_done_p85"] == start + timedelta(hours=9.1)
    assert out.row(0, named=True)["likely_done_p95"] == start + timedelta(hours=9.7)


def test_likely_done_by_in_working_time() -> None:
    calendar = Calendar.from_json(
        {
            "timezone": "UTC",
            "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
            | {"sat": [], "sun": []},
        }
    )
    tue = datetime(2025, 3, 4, tzinfo=UTC)
    fri, mon = datetime(2025, 3, 7, tzinfo=UTC), datetime(2025, 3, 10, tzinfo=UTC)
    rows = []
    for i, lead in enumerate([3, 4, 5]):  # working hours, all on Tuesday
        rows += [
            (f"c{i}", "Make", tue + timedelta(hours=9), tue + timedelta(hours=9 + lead - 0.5)),
            (f"c{i}", "Ship", tue + timedelta(hours=9 + lead), tue + timedelta(hours=9 + lead)),
        ]
    # Open since Fri 16:00; the latest event is Mon 10:00: 2 working hours old.
    rows += [("open", "Make", fri + timedelta(hours=16), mon + timedelta(hours=10))]
    frame = pl.DataFrame(
        {
            "offering": "O",
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "start": [r[2] for r in rows],
            "end": [r[3] for r in rows],
            "resource": None,
            "attributes": "{}",
            "event_id": range(len(rows)),
        },
        schema_overrides={"resource": pl.String, "event_id": pl.Int64},
    )
    d = derive_all(frame, END, calendar=calendar)
    out = likely_done_by(d.cases.lazy(), d.now, d.clock, min_cases=3)  # type: ignore[arg-type]
    row = out.row(0, named=True)
    assert (row["age_s"], row["basis_cases"]) == (2 * H, 3)
    # p50 of 3, 4, 5 working hours is 4: Friday 16:00 + 4 working hours = Monday 12:00.
    assert row["likely_done_p50"] == mon + timedelta(hours=12)
    # p95 is 4.9 working hours: Monday 12:54.
    assert row["likely_done_p95"] == mon + timedelta(hours=12, minutes=54)
