"""case_table and end_activities: lead, process, wait, efficiency, PCE, rework, completion."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from metrics.cases import CASE_SCHEMA, END_ACTIVITY_SCHEMA, case_table, end_activities
from tests.metrics.frames import T0, H, at, cases_of, catalog, derive, events

FIGURES = [
    "case_id",
    "lead_time_s",
    "process_time_s",
    "wait_time_s",
    "flow_efficiency",
    "has_rework",
    "completed",
    "current_step",
    "n_instances",
]


def figures(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={c: CASE_SCHEMA[c] for c in FIGURES}, orient="row")


def test_schema_is_declared() -> None:
    assert cases_of(derive(events([("c", "A", 0, 1)]))).schema == pl.Schema(CASE_SCHEMA)


def test_parallel_work_counts_once() -> None:
    out = cases_of(
        derive(events([("c", "A", 0, 2), ("c", "B", 1, 4), ("c", "C", 2, 3), ("c", "D", 6, 7)]))
    )
    assert_frame_equal(
        out.select(FIGURES),
        figures([("c", 7 * H, 5 * H, 2 * H, 5 / 7, False, True, "D", 4)]),
    )
    assert out["first_start"].to_list() == [T0]
    assert out["last_end"].to_list() == [at(7)]
    assert out["variant"].to_list() == [["A", "B", "C", "D"]]


def test_one_event_cases() -> None:
    out = cases_of(derive(events([("s", "A", 0, 1), ("z", "A", None, 2)])))
    assert_frame_equal(
        out.sort("case_id").select(FIGURES),
        figures(
            [
                ("s", H, H, 0.0, 1.0, False, True, "A", 1),
                # Instantaneous and without a start: lead time 0, process time unknown,
                # the ratios undefined.
                ("z", 0.0, None, None, None, False, True, "A", 1),
            ]
        ),
    )


def test_missing_start_makes_process_time_unknown_not_zero() -> None:
    out = cases_of(derive(events([("m", "A", 0, 1), ("m", "B", None, 3)])))
    assert out.select("lead_time_s", "process_time_s", "wait_time_s", "flow_efficiency", "pce").row(
        0
    ) == (3 * H, None, None, None, None)


def test_standard_minutes_fill_in_process_time() -> None:
    cat = catalog([{"activity": "B", "standard_minutes": 30.0}])
    out = cases_of(derive(events([("m", "A", 0, 1), ("m", "B", None, 3)]), cat))
    assert out.select("lead_time_s", "process_time_s", "wait_time_s").row(0) == (
        3 * H,
        1.5 * H,
        1.5 * H,
    )


def test_standard_time_is_capped_at_lead_time() -> None:
    cat = catalog([{"activity": "A", "standard_minutes": 600.0}])
    out = cases_of(derive(events([("m", "A", None, 1), ("m", "A", None, 2)]), cat))
    assert out.select("lead_time_s", "process_time_s", "wait_time_s").row(0) == (H, H, 0.0)


def test_rework_loop() -> None:
    out = cases_of(
        derive(
            events(
                [
                    ("r", "A", 0, 1),
                    ("r", "B", 2, 3),
                    ("r", "A", 4, 5),
                    ("r", "C", 6, 7),
                    ("n", "A", 0, 1),
                    ("n", "C", 2, 3),
                ]
            )
        )
    )
    assert out.sort("case_id").select("case_id", "has_rework").rows() == [("n", False), ("r", True)]


def test_pce_from_value_classes() -> None:
    cat = catalog(
        [
            {"activity": "A", "value_class": "value-adding"},
            {"activity": "B", "value_class": "necessary"},
        ]
    )
    out = cases_of(derive(events([("p", "A", 0, 1), ("p", "B", 2, 4)]), cat))
    assert out.select("value_adding_s", "pce", "pce_basis", "flow_efficiency").row(0) == (
        H,
        0.25,
        "value-adding",
        0.75,
    )


def test_pce_falls_back_to_flow_efficiency_without_classification() -> None:
    out = cases_of(derive(events([("p", "A", 0, 1), ("p", "B", 2, 4)])))
    assert out.select("pce", "pce_basis", "flow_efficiency").row(0) == (
        0.75,
        "flow efficiency",
        0.75,
    )


def test_waiting_states() -> None:
    cat = catalog(
        [
            {"activity": "To Do", "kind": "waiting"},
            {"activity": "Stuck", "kind": "waiting"},
            {"activity": "Done", "kind": "done"},
        ]
    )
    out = cases_of(
        derive(
            events(
                [
                    ("w", "To Do", 0, 5),
                    ("w", "Work", 5, 8),
                    ("w", "Stuck", 8, 10),
                    ("w", "Work", 10, 11),
                    ("w", "Done", 11, 11),
                ]
            ),
            cat,
        )
    )
    # A repeated work status is rework; the lead time includes the waiting states.
    assert_frame_equal(
        out.select(FIGURES),
        figures([("w", 11 * H, 4 * H, 7 * H, 4 / 11, True, True, "Done", 5)]),
    )


def _open_and_completed() -> pl.DataFrame:
    # "Close" ends 3 of 4 cases and is always last: an end activity. "B" occurs in
    # every case but is last only once (1/4 < half of its occurrences): not one.
    return events(
        [
            ("1", "A", 0, 1),
            ("1", "B", 1, 2),
            ("1", "Close", 2, 3),
            ("2", "A", 0, 1),
            ("2", "B", 1, 2),
            ("2", "Close", 2, 3),
            ("3", "A", 0, 1),
            ("3", "B", 1, 2),
            ("3", "Close", 2, 3),
            ("4", "A", 0, 1),
            ("4", "B", 1, 2),
        ]
    )


def test_end_activities_default_rule() -> None:
    out = end_activities(derive(_open_and_completed()).lazy()).collect()
    expected = pl.DataFrame(
        [
            ("O", "A", 4, 0, 0.0, 0.0, False, "default rule"),
            ("O", "B", 4, 1, 0.25, 0.25, False, "default rule"),
            ("O", "Close", 3, 3, 1.0, 0.75, True, "default rule"),
        ],
        schema=END_ACTIVITY_SCHEMA,
        orient="row",
    )
    assert_frame_equal(out, expected)


def test_open_cases_are_not_completed() -> None:
    out = cases_of(derive(_open_and_completed()))
    assert out.sort("case_id").select("case_id", "completed", "current_step").rows() == [
        ("1", True, "Close"),
        ("2", True, "Close"),
        ("3", True, "Close"),
        ("4", False, "B"),
    ]


def test_default_rule_needs_five_percent_of_cases() -> None:
    # "Cancel" is always last but ends only 1 case in 21 (< 5%): not an end activity.
    rows = [(str(i), "A", 0, 1) for i in range(20)] + [(str(i), "Close", 1, 2) for i in range(20)]
    rows += [("x", "A", 0, 1), ("x", "Cancel", 1, 2)]
    ends = end_activities(derive(events(rows)).lazy()).collect()
    assert ends.filter(pl.col("activity") == "Cancel")["is_end_activity"].to_list() == [False]
    assert ends.filter(pl.col("activity") == "Close")["is_end_activity"].to_list() == [True]


def test_catalog_overrides_the_default_rule() -> None:
    cat = catalog(
        [
            {"activity": "B", "is_end_activity": True},
            {"activity": "Close", "is_end_activity": False},
        ]
    )
    out = cases_of(derive(_open_and_completed(), cat))
    assert out.sort("case_id")["completed"].to_list() == [False, False, False, True]
    ends = end_activities(derive(_open_and_completed(), cat).lazy()).collect()
    assert ends["basis"].to_list() == ["default rule", "catalog", "catalog"]


def open_items(rows: list[tuple[str, str, float | None]], offering: str = "O") -> pl.DataFrame:
    """Open items from (case_id, status, entered hour or None)."""
    return pl.DataFrame(
        {
            "offering": [offering] * len(rows),
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "entered": [at(r[2]) for r in rows],
        },
        schema={
            "offering": pl.String,
            "case_id": pl.String,
            "activity": pl.String,
            "entered": pl.Datetime("us", "UTC"),
        },
    )


def test_open_items_make_open_cases_with_their_current_status() -> None:
    cat = catalog(
        [{"activity": "Backlog", "kind": "waiting"}, {"activity": "Done", "kind": "done"}]
    )
    instances = derive(
        events(
            [
                ("a", "Backlog", 0, 2),
                ("a", "Doing", 2, 5),
                ("a", "Done", 5, 5),
                ("b", "Backlog", 1, 3),
                ("b", "Doing", 3, 4),
            ]
        ),
        cat,
    )
    # b is in Review since hour 4 (its Doing ended then); c never left Backlog, entered at 6.
    out = case_table(instances.lazy(), open_items([("b", "Review", 4), ("c", "Backlog", 6)]).lazy())
    out = out.collect()
    assert_frame_equal(
        out.select(FIGURES),
        figures(
            [
                ("a", 5 * H, 3 * H, 2 * H, 3 / 5, False, True, "Done", 3),
                # Open whatever its last instance: the current step is the open status.
                ("b", 3 * H, H, 2 * H, 1 / 3, False, False, "Review", 2),
                # No step finished yet: no instance, no process time, no ratio.
                ("c", 0.0, 0.0, 0.0, None, False, False, "Backlog", 0),
            ]
        ),
    )
    assert out["case_index"].to_list() == [0, 1, 2]
    assert out["first_start"].to_list() == [T0, at(1), at(6)]
    assert out["last_end"].to_list() == [at(5), at(4), at(6)]
    assert out["variant"].to_list() == [["Backlog", "Doing", "Done"], ["Backlog", "Doing"], []]


def test_an_open_item_keeps_a_case_open_after_a_done_status_and_the_latest_one_counts() -> None:
    cat = catalog([{"activity": "Done", "kind": "done"}])
    instances = derive(events([("a", "Doing", 0, 2), ("a", "Done", 2, 2)]), cat)
    # Reopened at hour 3; an item entered twice (two exports) counts once, the latest.
    items = open_items([("a", "Doing", 1), ("a", "Doing", 3)])
    out = case_table(instances.lazy(), items.lazy()).collect()
    assert out.select("completed", "current_step", "last_end").rows() == [(False, "Doing", at(3))]


def test_without_open_items_nothing_changes() -> None:
    instances = derive(events([("a", "Doing", 0, 2), ("b", "Doing", 1, 2)]))
    assert_frame_equal(
        case_table(instances.lazy(), open_items([]).lazy()).collect(), cases_of(instances)
    )


def test_the_case_columns_and_the_offerings_counts_give_the_same_cases() -> None:
    """A store reads back only CASE_TABLE_COLUMNS of a part's instances and hands the
    offering's ending counts in: the cases are those of every column, counted in place.
    The demo has rework, waiting states, classified steps and catalog end activities."""
    from metrics.cases import CASE_TABLE_COLUMNS, ending_counts
    from metrics.derive import derive_instances
    from pipelines.demo_data import generate_demo

    demo = generate_demo(scale=0.05)
    events = demo.events.with_row_index("event_id").with_columns(pl.col("event_id").cast(pl.Int64))
    instances = derive_instances(events.lazy(), demo.catalog.lazy()).collect()
    whole = case_table(instances.lazy()).collect()
    assert whole.height > 100 and whole["has_rework"].any() and whole["completed"].any()
    assert (whole["pce_basis"] == "value-adding").any()
    assert set(CASE_TABLE_COLUMNS) < set(instances.columns)
    pruned = case_table(
        instances.select(CASE_TABLE_COLUMNS).lazy(), counts=ending_counts(instances.lazy())
    ).collect()
    assert_frame_equal(pruned, whole)
