"""The demo generator tells the story the dashboard's pages are built to show.

The per-case figures are computed here directly with polars, following
METRICS.md, so these tests do not depend on the metrics package:

- case order: (start, end); every demo instance has a start.
- process time = length of the union of the case's [start, end] intervals:
  walking the instances in case order, each adds
  max(0, end − max(start, latest end so far)).
- wait before an instance = max(0, start − latest end among earlier instances);
  summed over a case it equals lead time − process time.
- lead time = last end − first start; completed = contains "Invoice".
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.demo_data import (
    CHANGE_1_AT,
    CHANGE_2_AT,
    DEMO_NOW,
    END_ACTIVITY,
    EVENT_COLUMNS,
    DemoData,
    _case_order,
    generate_demo,
    generate_events,
)

CF = "Custom formulation"
PL = "Private label fulfillment"
RE = "Reverse engineering"
WINDOW = timedelta(days=60)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo()


@pytest.fixture(scope="module")
def instances(demo: DemoData) -> pl.DataFrame:
    """Events with the latest end before each instance, its wait and its share of process time."""
    zero = pl.duration(microseconds=0)
    latest = pl.col("end").cum_max().shift(1).over("offering", "case_id")
    return (
        demo.events.with_columns(latest_end_before=latest)
        .with_columns(
            wait_before=pl.max_horizontal(pl.col("start") - pl.col("latest_end_before"), zero),
            union_part=pl.max_horizontal(
                pl.col("end") - pl.max_horizontal("start", "latest_end_before"), zero
            ),
        )
        .with_columns(pl.col("wait_before").fill_null(zero))
    )


@pytest.fixture(scope="module")
def cases(instances: pl.DataFrame) -> pl.DataFrame:
    return (
        instances.group_by("offering", "case_id")
        .agg(
            first_start=pl.col("start").min(),
            last_end=pl.col("end").max(),
            completed=(pl.col("activity") == END_ACTIVITY).any(),
            process=pl.col("union_part").sum(),
            wait=pl.col("wait_before").sum(),
            sample_approvals=(pl.col("activity") == "Sample approval").sum(),
        )
        .with_columns(lead=pl.col("last_end") - pl.col("first_start"))
    )


def _window(cases: pl.DataFrame, offering: str, at: datetime, side: str) -> pl.DataFrame:
    """Completed cases of `offering` whose first start is in the 60 days before/after `at`."""
    lo, hi = (at - WINDOW, at) if side == "before" else (at, at + WINDOW)
    return cases.filter(
        pl.col("offering") == offering,
        pl.col("completed"),
        pl.col("first_start") >= lo,
        pl.col("first_start") < hi,
    )


def _instant(value: object) -> datetime:
    assert isinstance(value, datetime)
    return value


def _seconds(durations: pl.Series) -> float:
    total = durations.dt.total_seconds().sum()
    assert isinstance(total, int)
    return float(total)


def _median_lead_days(frame: pl.DataFrame) -> float:
    value = frame["lead"].dt.total_seconds().median()
    assert isinstance(value, float)
    return value / 86_400


def _wait_before_by_step(instances: pl.DataFrame, window: pl.DataFrame) -> dict[str, float]:
    """Total wait before each step over the window's cases, in days."""
    totals = (
        instances.join(window.select("offering", "case_id"), on=["offering", "case_id"])
        .group_by("activity")
        .agg(pl.col("wait_before").dt.total_seconds().sum() / 86_400)
    )
    return dict(totals.iter_rows())


def test_same_seed_gives_the_identical_data_and_another_seed_does_not() -> None:
    first, again, other = generate_demo(7), generate_demo(7), generate_demo(8)
    assert_frame_equal(first.events, again.events)
    assert_frame_equal(first.catalog, again.catalog)
    assert first.events.height != other.events.height or not first.events.equals(other.events)
    assert first.events["start"].to_list()[:50] != other.events["start"].to_list()[:50]


def test_events_have_the_declared_schema_and_case_order(demo: DemoData) -> None:
    ev = demo.events
    assert ev.schema == pl.Schema(
        {
            "offering": pl.String(),
            "case_id": pl.String(),
            "activity": pl.String(),
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "resource": pl.String(),
            "customer": pl.String(),
            "product_family": pl.String(),
            "order_size": pl.String(),
        }
    )
    assert ev.columns == list(EVENT_COLUMNS)
    assert ev.null_count().sum_horizontal().item() == 0
    assert ev.equals(ev.sort("offering", "case_id", "start", "end"))
    assert (ev["end"] > ev["start"]).all()
    assert _instant(ev["end"].max()) <= DEMO_NOW
    assert demo.now == DEMO_NOW
    assert set(ev["order_size"].unique()) == {"small", "medium", "large"}


def test_rows_tied_on_start_are_put_in_case_order_by_end() -> None:
    """The fallback for the (practically never seen) tie that slot order gets wrong."""
    case_idx = np.array([0, 0, 0, 1, 1])
    start = np.array([5, 3, 3, 1, 2])
    end = np.array([6, 4, 3, 2, 3])
    assert list(np.arange(5)[_case_order(case_idx, start, end)]) == [2, 1, 0, 3, 4]
    assert list(np.arange(5)[_case_order(case_idx, np.sort(start), end)]) == [0, 1, 2, 3, 4]


def test_catalog_classifies_every_activity_with_invoice_as_the_one_end(demo: DemoData) -> None:
    cat = demo.catalog
    assert cat.schema == pl.Schema(
        {
            "offering": pl.String,
            "activity": pl.String,
            "value_class": pl.String,
            "kind": pl.String,
            "standard_minutes": pl.Float64,
            "is_end_activity": pl.Boolean,
            "display_order": pl.Int32,
        }
    )
    used = demo.events.select("offering", "activity").unique()
    assert used.join(cat, on=["offering", "activity"], how="anti").height == 0
    assert cat.filter("is_end_activity")["activity"].to_list() == [END_ACTIVITY] * 3
    assert set(cat["value_class"]) == {"value-adding", "necessary", "waste"}
    assert set(cat["kind"]) == {"work"}
    assert cat.filter(pl.col("activity") == "Production")["value_class"].unique().to_list() == [
        "value-adding"
    ]
    assert (
        cat.group_by("offering")
        .agg(pl.col("display_order").n_unique() == pl.len())["display_order"]
        .all()
    )


def test_three_offerings_with_the_expected_case_counts(cases: pl.DataFrame) -> None:
    counts = dict(cases.group_by("offering").len().iter_rows())
    assert 1_100 <= counts[CF] <= 1_200
    assert 900 <= counts[PL] <= 1_000
    assert 540 <= counts[RE] <= 600
    for offering, prefix in ((CF, "CF"), (PL, "PL"), (RE, "RE")):
        ids = sorted(cases.filter(pl.col("offering") == offering)["case_id"])
        assert all(re.fullmatch(rf"{prefix}-\d{{4}}", i) for i in ids)
        assert ids[0] == f"{prefix}-0001"
        assert ids[-1] == f"{prefix}-{counts[offering]:04d}"


def test_arrivals_span_the_year_before_now(cases: pl.DataFrame) -> None:
    first = cases["first_start"]
    assert DEMO_NOW - timedelta(days=366) <= _instant(first.min()) <= DEMO_NOW - timedelta(days=360)
    assert _instant(first.max()) >= DEMO_NOW - timedelta(days=3)


def test_every_case_starts_with_a_sales_inquiry(demo: DemoData) -> None:
    firsts = demo.events.group_by("offering", "case_id").agg(pl.col("activity").first())
    assert firsts["activity"].unique().to_list() == ["Sales inquiry"]


def test_invoice_only_ends_completed_cases_and_recent_cases_are_open(
    demo: DemoData, cases: pl.DataFrame
) -> None:
    per_case = demo.events.group_by("offering", "case_id").agg(
        invoices=(pl.col("activity") == END_ACTIVITY).sum(),
        last=pl.col("activity").last(),
    )
    assert per_case["invoices"].max() == 1
    assert (per_case.filter(pl.col("invoices") == 1)["last"] == END_ACTIVITY).all()
    open_cases = cases.filter(~pl.col("completed"))
    per_offering = dict(open_cases.group_by("offering").len().iter_rows())
    assert per_offering[CF] >= 50
    assert per_offering[PL] >= 30
    assert per_offering[RE] >= 20
    # Open because they are recent, not because the data cut them off.
    assert _instant(open_cases["first_start"].min()) >= DEMO_NOW - timedelta(days=90)
    share_completed = cases["completed"].mean()
    assert isinstance(share_completed, float)
    assert 0.88 <= share_completed <= 0.95


def test_waiting_is_about_five_times_the_process_time(cases: pl.DataFrame) -> None:
    done = cases.filter("completed")
    assert (done["wait"] + done["process"] == done["lead"]).all()
    ratio = _seconds(done["wait"]) / _seconds(done["process"])
    assert 4 <= ratio <= 6
    by_offering = done.group_by("offering").agg(
        pl.col("wait").dt.total_seconds().sum() / pl.col("process").dt.total_seconds().sum()
    )
    assert by_offering["wait"].is_between(4, 6).all()


def test_lead_times_are_weeks(cases: pl.DataFrame) -> None:
    done = cases.filter("completed")
    medians = dict(
        done.group_by("offering")
        .agg(pl.col("lead").dt.total_seconds().median() / 86_400)
        .iter_rows()
    )
    assert 21 <= medians[PL] <= 35
    assert 21 <= medians[RE] <= 35
    assert 28 <= medians[CF] <= 56


def test_rejected_samples_loop_back_to_formulation(demo: DemoData, cases: pl.DataFrame) -> None:
    cf = cases.filter(pl.col("offering") == CF, pl.col("completed"))
    rejected_share = (cf["sample_approvals"] > 1).mean()
    assert isinstance(rejected_share, float)
    assert 0.18 <= rejected_share <= 0.32
    after_approval = (
        demo.events.filter(pl.col("offering") == CF)
        .with_columns(next_activity=pl.col("activity").shift(-1).over("case_id"))
        .filter(pl.col("activity") == "Sample approval", pl.col("next_activity").is_not_null())
    )
    assert set(after_approval["next_activity"]) == {"Formulation", "Raw materials ordered"}
    repeats = (
        demo.events.group_by("offering", "case_id", "activity").len().filter(pl.col("len") > 1)
    )
    assert set(repeats.filter(pl.col("offering") == PL)["activity"]) == {
        "Label design",
        "Label approval",
    }
    assert {"Production", "QC release"} <= set(repeats.filter(pl.col("offering") == CF)["activity"])


def test_only_the_purchasing_pair_overlaps(instances: pl.DataFrame) -> None:
    """Packaging is ordered while raw materials are being ordered; nothing else overlaps."""
    overlapping = instances.filter(pl.col("start") < pl.col("latest_end_before"))
    assert set(overlapping["activity"]) == {"Packaging ordered"}
    cf = instances.filter(pl.col("offering") == CF)
    reached_pair = cf.filter(pl.col("activity") == "Packaging ordered")["case_id"].n_unique()
    share = overlapping["case_id"].n_unique() / reached_pair
    assert 0.6 <= share <= 0.8


def test_change_1_video_approval_cuts_lead_time(
    instances: pl.DataFrame, cases: pl.DataFrame
) -> None:
    before = _window(cases, CF, CHANGE_1_AT, "before")
    after = _window(cases, CF, CHANGE_1_AT, "after")
    assert before.height >= 150
    assert after.height >= 150
    assert _median_lead_days(after) <= 0.8 * _median_lead_days(before)
    waits_before = _wait_before_by_step(instances, before)
    waits_after = _wait_before_by_step(instances, after)
    per_case_before = waits_before["Sample approval"] / before.height
    per_case_after = waits_after["Sample approval"] / after.height
    assert per_case_after <= 0.3 * per_case_before
    rework_before = (before["sample_approvals"] > 1).mean()
    rework_after = (after["sample_approvals"] > 1).mean()
    assert isinstance(rework_before, float)
    assert isinstance(rework_after, float)
    assert abs(rework_after - rework_before) < 0.08


def test_change_2_moves_the_bottleneck_but_not_the_lead_time(
    instances: pl.DataFrame, cases: pl.DataFrame
) -> None:
    before = _window(cases, PL, CHANGE_2_AT, "before")
    after = _window(cases, PL, CHANGE_2_AT, "after")
    assert before.height >= 100
    assert after.height >= 100
    waits_before = sorted(_wait_before_by_step(instances, before).items(), key=lambda kv: -kv[1])
    waits_after = sorted(_wait_before_by_step(instances, after).items(), key=lambda kv: -kv[1])
    assert waits_before[0][0] == "Label approval"
    assert waits_before[0][1] >= 2 * waits_before[1][1]
    assert waits_after[0][0] == "Materials"
    assert waits_after[0][1] >= 2 * waits_after[1][1]
    lead_before, lead_after = _median_lead_days(before), _median_lead_days(after)
    assert abs(lead_after / lead_before - 1) < 0.10


def test_the_second_designer_appears_only_after_change_2(demo: DemoData) -> None:
    dana = demo.events.filter(pl.col("resource") == "Dana (Design)")
    assert set(dana["activity"]) == {"Label design"}
    assert dana.height >= 100
    assert _instant(dana["start"].min()) >= CHANGE_2_AT


def test_both_windows_have_twenty_completed_cases_even_over_14_days(
    cases: pl.DataFrame,
) -> None:
    for offering, at in ((CF, CHANGE_1_AT), (PL, CHANGE_2_AT)):
        done = cases.filter(pl.col("offering") == offering, pl.col("completed"))
        before = done.filter(pl.col("first_start").is_between(at - timedelta(days=14), at, "left"))
        after = done.filter(pl.col("first_start").is_between(at, at + timedelta(days=14), "left"))
        assert before.height >= 20
        assert after.height >= 20


def test_changes_are_exported_with_their_expected_verdicts(demo: DemoData) -> None:
    assert [(c.offering, c.changed_at, c.expected_verdict) for c in demo.changes] == [
        (CF, CHANGE_1_AT, "faster"),
        (PL, CHANGE_2_AT, "waiting moved"),
    ]
    assert demo.changes[0].description == "Sample approval by video call instead of courier"
    assert demo.changes[1].description == "Second label designer added"
    assert all(c.changed_at.utcoffset() == timedelta(0) for c in demo.changes)


def test_a_later_now_moves_the_whole_story(demo: DemoData) -> None:
    later = DEMO_NOW + timedelta(days=28)
    moved = generate_demo(now=later)
    assert moved.now == later
    assert _instant(moved.events["end"].max()) <= later
    assert [c.changed_at for c in moved.changes] == [
        CHANGE_1_AT + timedelta(days=28),
        CHANGE_2_AT + timedelta(days=28),
    ]
    assert moved.events.height == pytest.approx(demo.events.height, rel=0.02)


def test_scale_grows_the_case_count() -> None:
    small = generate_demo(scale=0.1).events
    counts = dict(small.group_by("offering").agg(pl.col("case_id").n_unique()).iter_rows())
    assert 110 <= counts[CF] <= 120
    assert 90 <= counts[PL] <= 100
    with pytest.raises(ValueError, match="scale"):
        generate_demo(scale=0)


def test_generate_events_hits_the_requested_size() -> None:
    events = generate_events(100_000)
    assert 95_000 <= events.height <= 105_000
    assert events.columns == generate_demo(scale=0.1).events.columns
    cf_cases = events.filter(pl.col("offering") == CF)["case_id"].n_unique()
    assert 3_400 <= cf_cases <= 3_800
