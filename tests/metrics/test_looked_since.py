"""The findings of an offering beyond the steps a server lets them look through: its
latest cases, whole days of starts (metrics.findings.looked_since), and what that
leaves the findings (offering_findings(since=...))."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from metrics.derived import derive_all
from metrics.findings import OfferingFindings, looked_since, offering_findings
from tests.metrics.findings_logs import START, Plants, synthetic_log

DAY = timedelta(days=1)
D1 = datetime(2026, 1, 1, tzinfo=UTC)


def _cases(rows: list[tuple[str, datetime, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "offering": pl.String(),
            "first_start": pl.Datetime("us", "UTC"),
            "n_instances": pl.UInt32(),
        },
        orient="row",
    )


CASES = _cases(
    [
        ("A", D1 + timedelta(hours=9), 3),
        ("A", D1 + timedelta(hours=17), 2),  # day 1: 5 steps
        ("A", D1 + DAY + timedelta(hours=23, minutes=59), 3),  # day 2: 3 steps
        ("A", D1 + 2 * DAY, 2),
        ("A", D1 + 2 * DAY + timedelta(hours=8), 2),  # day 3: 4 steps
        ("B", D1 + 2 * DAY, 100),  # another offering's steps do not count
    ]
)


@pytest.mark.parametrize(
    ("max_steps", "since"),
    [
        (12, None),  # every step fits: every case
        (50, None),
        (11, D1 + DAY),  # days 3 and 2 (7 steps); day 1 would make 12
        (7, D1 + DAY),
        (6, D1 + 2 * DAY),  # day 3 alone (4 steps)
        (4, D1 + 2 * DAY),
        (3, D1 + 2 * DAY),  # even the latest day is beyond: still that day, whole
    ],
)
def test_whole_days_of_the_latest_starts_that_fit(max_steps: int, since: datetime | None) -> None:
    assert looked_since(CASES, "A", max_steps) == since


def test_an_offering_without_cases_is_looked_through_whole() -> None:
    assert looked_since(CASES, "C", 1) is None


LEAD_AT = START + timedelta(days=7 * 20 + 3)


def _found_since(weeks_before: int) -> tuple[OfferingFindings, pl.DataFrame, datetime]:
    """The findings of a synthetic log whose lead times fall by 40% at LEAD_AT, looked
    through since `weeks_before` weeks before that day, on the step budget that gives."""
    frame, cat = synthetic_log(1, Plants(lead_shift_at=LEAD_AT, lead_factor=0.6))
    d = derive_all(frame, cat)
    day = datetime.combine((LEAD_AT - timedelta(weeks=weeks_before)).date(), datetime.min.time())
    day = day.replace(tzinfo=UTC)
    budget = int(d.cases.filter(pl.col("first_start") >= day)["n_instances"].sum())
    assert looked_since(d.cases, "Synthetic", budget) == day
    assert looked_since(d.cases, "Synthetic", budget - 1) == day + DAY
    of = offering_findings(
        d.instances,
        d.cases,
        frame,
        cat,
        "Synthetic",
        changes=[(LEAD_AT.date(), "Triage")],
        since=day,
    )
    return of, d.cases, day


def test_the_latest_cases_still_show_a_change_they_span() -> None:
    of, cases, day = _found_since(10)
    started = cases.filter(pl.col("first_start") >= day)
    assert of.since == day
    assert of.cases.height == started.height < cases.height
    assert of.cases["first_start"].min() >= day
    # The end of the data is still the offering's, whatever cases are looked through.
    assert of.data_end == cases["last_end"].max()
    (lead,) = [f for f in of.findings if f.kind == "lead_time_shift"]
    assert lead.evidence["direction"] == "fall"
    assert lead.evidence["recorded_change"]["title"] == "Triage"
    assert abs((datetime.fromisoformat(lead.evidence["date"]).date() - LEAD_AT.date()).days) <= 7


def test_latest_cases_that_start_after_a_change_do_not_show_it() -> None:
    of, _, day = _found_since(-3)  # three weeks after the fall
    assert day > LEAD_AT
    assert of.cases.height > 300
    assert [f for f in of.findings if f.kind == "lead_time_shift"] == []
