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

WEEK = timedelta(days=7)
W1 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
W2, W3 = W1 + WEEK, W1 + 2 * WEEK


def _cases(rows: list[tuple[str, datetime | None, int]]) -> pl.DataFrame:
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
        ("A", W1 + timedelta(days=1, hours=9), 3),
        ("A", W1 + timedelta(days=6, hours=17), 2),  # week 1: 5 steps
        ("A", W2 + timedelta(days=6, hours=23, minutes=59), 3),  # week 2: 3 steps
        ("A", W3, 2),
        ("A", W3 + timedelta(hours=8), 2),  # week 3: 4 steps
        ("A", None, 0),  # an item that entered no status it left: no start, no step
        ("B", W3, 100),  # another offering's steps do not count
    ]
)


@pytest.mark.parametrize(
    ("max_steps", "since"),
    [
        (12, None),  # every step fits: every case
        (50, None),
        (11, W2),  # weeks 3 and 2 (7 steps); week 1 would make 12
        (7, W2),
        (6, W3),  # week 3 alone (4 steps)
        (4, W3),
        # Even the latest week is beyond: the latest starts that fit, then the latest case.
        (3, W3 + timedelta(hours=8)),
        (2, W3 + timedelta(hours=8)),
        (1, W3 + timedelta(hours=8)),
    ],
)
def test_whole_weeks_of_the_latest_starts_that_fit(max_steps: int, since: datetime | None) -> None:
    assert looked_since(CASES, "A", max_steps) == since


def test_the_latest_starts_that_fit_within_a_week() -> None:
    cases = _cases([("A", W3 + timedelta(hours=h), 1) for h in range(10)])
    assert looked_since(cases, "A", 4) == W3 + timedelta(hours=6)


def test_an_offering_without_cases_is_looked_through_whole() -> None:
    assert looked_since(CASES, "C", 1) is None


LEAD_AT = START + timedelta(days=7 * 20 + 3)


def _found_since(weeks_before: int) -> tuple[OfferingFindings, pl.DataFrame, datetime]:
    """The findings of a synthetic log whose lead times fall by 40% at LEAD_AT, looked
    through since the Monday `weeks_before` weeks before that day's week, on the step
    budget that gives."""
    frame, cat = synthetic_log(1, Plants(lead_shift_at=LEAD_AT, lead_factor=0.6))
    d = derive_all(frame, cat)
    # The Monday of the week `weeks_before` weeks before LEAD_AT (START is a Monday).
    day = START + WEEK * ((LEAD_AT - START).days // 7 - weeks_before)
    budget = int(d.cases.filter(pl.col("first_start") >= day)["n_instances"].sum())
    assert looked_since(d.cases, "Synthetic", budget) == day
    assert looked_since(d.cases, "Synthetic", budget - 1) == day + WEEK
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
