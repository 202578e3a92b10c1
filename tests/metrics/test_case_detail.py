"""The list of a figure's cases and one case in full, on literal logs worked by hand."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from metrics.case_detail import (
    case_attributes,
    case_list,
    case_steps,
    event_attributes,
)
from metrics.cases import case_table
from tests.metrics.frames import H, at, catalog, derive, events

LOG = events(
    [
        ("done", "A", 0, 2),
        ("done", "B", 10, 12),
        ("done", "Close", 20, 21),
        ("idle", "A", 0, 1),
        ("working", "A", 5, 6),
        ("queued", "A", 7, 8),
        ("nostart", "A", None, 3),
        ("nostart", "Close", 4, 5),
        ("other", "Close", 0, 1),
    ]
)
ENDS = [{"activity": "A", "is_end_activity": False}, {"activity": "Close", "is_end_activity": True}]
CATALOG = catalog([*ENDS, {"activity": "Queue", "kind": "waiting"}, {"activity": "Review"}])
# Statuses unfinished items are in now: Review (work) since hour 10, Queue (waiting).
OPEN_ITEMS = pl.DataFrame(
    {
        "offering": ["O", "O", "O"],
        "case_id": ["working", "queued", "new"],
        "activity": ["Review", "Queue", "Queue"],
        "entered": [at(10), at(8), at(30)],
    },
    schema={
        "offering": pl.String,
        "case_id": pl.String,
        "activity": pl.String,
        "entered": pl.Datetime("us", "UTC"),
    },
)
NOW = at(31)


def test_each_case_as_a_leader_reads_it() -> None:
    instances = derive(LOG, CATALOG)
    cases = case_table(instances.lazy(), OPEN_ITEMS.lazy()).collect()
    listed = (
        case_list(cases.lazy(), NOW, OPEN_ITEMS.lazy(), CATALOG.lazy())  # type: ignore[arg-type]
        .collect()
        .select(
            "case_id",
            "completed",
            "ended",
            "duration_s",
            "process_s",
            "wait_s",
            "state",
            "step",
            "step_kind",
            "since",
            "idle_s",
            "n_instances",
        )
    )
    # In the order the cases are numbered in (model.order: ids without digits by their
    # bytes), then the case that is only an open item.
    expected = pl.DataFrame(
        [
            # Completed: lead 21 h, work 2 + 2 + 1 h, the rest waiting.
            (
                "done",
                True,
                at(21),
                21 * H,
                5 * H,
                16 * H,
                "completed",
                "Close",
                "work",
                at(21),
                None,
                3,
            ),
            # Open after A since hour 1: 31 h old, 1 h of work, idle 30 h.
            (
                "idle",
                False,
                None,
                31 * H,
                1 * H,
                30 * H,
                "after step",
                "A",
                "work",
                at(1),
                30 * H,
                1,
            ),
            # No start time and no standard time: its work time is unknown, never zero.
            (
                "nostart",
                True,
                at(5),
                2 * H,
                None,
                None,
                "completed",
                "Close",
                "work",
                at(5),
                None,
                2,
            ),
            # One step, all work.
            ("other", True, at(1), 1 * H, 1 * H, 0.0, "completed", "Close", "work", at(1), None, 1),
            # In Review (work) since hour 10: those 21 h are work under way, not waiting.
            (
                "queued",
                False,
                None,
                24 * H,
                1 * H,
                23 * H,
                "in status",
                "Queue",
                "waiting",
                at(8),
                23 * H,
                1,
            ),
            (
                "working",
                False,
                None,
                26 * H,
                22 * H,
                4 * H,
                "in status",
                "Review",
                "work",
                at(10),
                21 * H,
                1,
            ),
            # Never left its first status: a case with no step yet.
            (
                "new",
                False,
                None,
                1 * H,
                0.0,
                1 * H,
                "in status",
                "Queue",
                "waiting",
                at(30),
                1 * H,
                0,
            ),
        ],
        schema=listed.schema,
        orient="row",
    )
    assert_frame_equal(listed, expected)
    flow = case_list(cases.lazy(), NOW, OPEN_ITEMS.lazy(), CATALOG.lazy()).collect()  # type: ignore[arg-type]
    assert dict(zip(flow["case_id"], flow["flow_efficiency"], strict=True)) == {
        "done": 5 / 21,
        "idle": 1 / 31,
        "nostart": None,
        "other": 1.0,
        "queued": 1 / 24,
        "working": 22 / 26,
        "new": 0.0,
    }


def test_without_open_items_or_catalog_an_open_case_waits_after_its_latest_step() -> None:
    instances = derive(LOG, catalog(ENDS))
    cases = case_table(instances.lazy()).collect().filter(pl.col("case_id") == "working")
    row = case_list(cases.lazy(), NOW).collect().row(0, named=True)  # type: ignore[arg-type]
    assert (row["state"], row["step"], row["since"], row["idle_s"]) == (
        "after step",
        "A",
        at(6),
        25 * H,
    )
    assert (row["duration_s"], row["process_s"], row["wait_s"]) == (26 * H, 1 * H, 25 * H)


def test_the_steps_of_one_case_of_one_offering() -> None:
    both = pl.concat(
        [
            events([("c1", "A", 0, 1), ("c1", "B", 3, 5), ("c1", "A", 6, 7)], "O"),
            events([("c1", "X", 0, 1)], "P"),
        ]
    ).with_columns(
        resource=pl.Series(["ann", "bob", None, "zoe"]), event_id=pl.Series([1, 2, 3, 4])
    )
    steps = case_steps(derive(both).lazy(), "O", "c1").collect()
    assert steps.select(
        "seq",
        "label",
        "resource",
        "event_id",
        "wait_from",
        "wait_before_s",
        "process_s",
        "is_rework",
    ).rows() == [
        (1, "1. A", "ann", 1, None, None, 1 * H, False),
        (2, "2. B", "bob", 2, at(1), 2 * H, 2 * H, False),
        (3, "3. A", None, 3, at(5), 1 * H, 1 * H, True),
    ]
    assert case_steps(derive(both).lazy(), "P", "nope").collect().height == 0


def test_attributes_that_hold_for_the_case_and_those_that_change_per_step() -> None:
    frame = events([("c1", "A", 0, 1), ("c1", "B", 2, 3), ("c1", "C", 4, 5)]).with_columns(
        attributes=pl.Series(
            [
                '{"customer": "Acme", "size": 3, "owner": "ann", "note": null}',
                '{"customer": "Acme", "size": 3, "owner": "bob", "tags": ["x", "y"]}',
                '{"customer": "Acme", "owner": "ann"}',
            ]
        )
    )
    attrs = event_attributes(frame)
    assert attrs.rows() == [
        (1, "customer", "Acme"),
        (1, "size", "3"),
        (1, "owner", "ann"),
        (2, "customer", "Acme"),
        (2, "size", "3"),
        (2, "owner", "bob"),
        (2, "tags", '["x", "y"]'),
        (3, "customer", "Acme"),
        (3, "owner", "ann"),
    ]
    steps = case_steps(derive(frame).lazy(), "O", "c1")
    constant, changing = case_attributes(steps, attrs.lazy())
    assert constant.collect().rows() == [
        ("customer", "Acme", 3),
        ("size", "3", 2),
        ("tags", '["x", "y"]', 1),
    ]
    assert changing.collect().rows() == [
        (1, "A", "owner", "ann"),
        (2, "B", "owner", "bob"),
        (3, "C", "owner", "ann"),
    ]


def test_attribute_text_that_is_not_an_object_is_left_out() -> None:
    frame = events([("c1", "A", 0, 1), ("c1", "B", 2, 3), ("c1", "C", 4, 5)]).with_columns(
        attributes=pl.Series(["not json", "[1, 2]", None])
    )
    assert event_attributes(frame).height == 0
