"""The stored derivation equals a fresh one, whatever changes the warehouse went through.

Every change that alters a case's figures (an import, an overlapping import, an undo,
a catalog edit, a calendar switched on or off) derives the offerings it touches in its
own transaction (warehouse/derived.py). After any sequence of them, what the pages read
(`load_derivation`) must be exactly what `derive_all` gives over every stored event, and
no offering may be left for a page to derive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from metrics import figures
from metrics.derived import Derived, derive_all
from metrics.filters import CaseFilter, apply_filters, filter_cases
from metrics.health import DEFAULT_DAYS, default_health
from metrics.report import report
from metrics.vsm import ValueStream
from metrics.whatif import Projection
from metrics.working_time import Calendar
from model import OPEN_ITEM_SCHEMA
from pipelines.ingest import ImportOptions, ingest, ingest_prepared, prepare
from warehouse import Warehouse, WarehouseError
from warehouse import derived as derived_module
from warehouse.calendars import calendars_on, save_calendar
from warehouse.catalog import set_activity
from warehouse.derived import (
    DERIVATION_VERSION,
    current_stamps,
    load_derivation,
    load_stored,
    stale_offerings,
    store_reports_from_step_files,
    store_view_figures,
    stored_figure,
    stored_health,
    stored_report,
    write_step_files,
)
from warehouse.schema import LATEST_VERSION

CALENDAR = {
    "timezone": "Europe/Amsterdam",
    "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    | {"sat": [], "sun": []},
    "holidays": ["2025-06-09"],
}
STEPS = ["Quote", "Formulate", "Test", "Formulate", "Ship"]
T0 = datetime(2025, 6, 2, 8, tzinfo=UTC)


def _row(offering: str, case: int, step: int, minutes: int) -> str:
    start = T0 + timedelta(hours=case * 7 + step * 5, minutes=minutes)
    end = start + timedelta(minutes=30 + 17 * step)
    fmt = "%Y-%m-%d %H:%M:%S"
    return f"{offering},C{case},{STEPS[step]},{start:{fmt}},{end:{fmt}},P{case % 3}"


# Every event a generated file may hold: two offerings, six cases each, five steps.
POOL = [
    _row(o, c, s, m)
    for o, m in (("Custom formulation", 0), ("Private label", 11))
    for c in range(6)
    for s in range(len(STEPS))
]
BOARD = (
    b"Ticket,Changed at,From,To,Changed by\n"
    b"T-1,2025-06-02 09:00,,To Do,Maya\n"
    b"T-1,2025-06-02 13:00,To Do,In Progress,Sam\n"
    b"T-1,2025-06-04 15:00,In Progress,Done,Sam\n"
    b"T-2,2025-06-02 10:00,,To Do,Maya\n"
    b"T-2,2025-06-05 10:00,To Do,In Progress,Lee\n"
    b"T-3,2025-06-05 11:00,,To Do,Maya\n"
)


# The pool's cases under ids that count up across a digit, as a project's issues do:
# numbered PRJ-8, PRJ-9, PRJ-10, ... by their trailing numbers (model.order).
COUNTED = {f"C{c}": f"PRJ-{n}" for c, n in enumerate((8, 9, 10, 99, 100, 101))}
# Under ids of a year and a number counted from 1 each year: 2026-1 after 2025-100.
DATED = {
    f"C{c}": y
    for c, y in enumerate(("2025-9", "2025-10", "2025-99", "2025-100", "2026-1", "2026-2"))
}
IDS = (None, COUNTED, DATED)


def event_file(rows: list[int], ids: dict[str, str] | None = None) -> bytes:
    """The POOL rows `rows` as a CSV file; `ids` renames their cases."""
    lines = ["offering,case,activity,start,end,resource"]
    for i in rows:
        offering, case, rest = POOL[i].split(",", 2)
        lines.append(",".join([offering, (ids or {}).get(case, case), rest]))
    return ("\n".join(lines) + "\n").encode()


def fresh(wh: Warehouse) -> Derived:
    on = {o: Calendar.from_json(c) for o, c in calendars_on(wh).items()}
    return derive_all(wh.events(), wh.catalog(), wh.open_items(), calendar=on or None)


def assert_stored_is_fresh(wh: Warehouse, big_reported: bool = False) -> None:
    """`big_reported`: the offerings of more than REPORT_MAX_STEPS steps have theirs
    too (`store_reports_from_step_files` stored them)."""
    assert stale_offerings(wh) == [], "a change left an offering for the pages to derive"
    # Each offering's steps are stored in their order (case, then step), which the pages'
    # scans read them in without a sort.
    rows = wh.read("SELECT offering, case_index, seq FROM derived_instances")
    for own in rows.partition_by("offering", maintain_order=True):
        assert own.select(pl.struct("case_index", "seq").is_sorted()).item(), own["offering"][0]
    stored, again = load_derivation(wh), fresh(wh)
    assert_frame_equal(stored.instances, again.instances)
    assert_frame_equal(stored.cases, again.cases)
    assert stored.now == again.now
    # A warehouse too big to hold scans its stored steps instead: the same rows, per
    # offering too, however few columns a query reads.
    scanned = load_stored(wh, in_memory_steps=0)
    assert not scanned.in_memory or again.instances.height == 0
    assert_frame_equal(scanned.cases, again.cases)
    assert_frame_equal(scanned.instances.collect(), again.instances)
    for offering in again.cases["offering"].unique().to_list():
        own = again.instances.filter(pl.col("offering") == offering)
        assert_frame_equal(scanned.instances_of([offering]).collect(), own)
        assert_frame_equal(
            scanned.instances_of([offering]).select("case_index", "seq").collect(),
            own.select("case_index", "seq"),
        )
    # The report command answers from the report stored with each offering: the one a
    # fresh derivation of its events gives, in elapsed time (none with a calendar on).
    # Stream health's first view reads the row stored with it, on the stored clock.
    on = calendars_on(wh)
    health = default_health(again.instances.lazy(), again.cases.lazy()).collect()
    for offering in wh.offerings():
        alone = derive_all(wh.events([offering]), wh.catalog(offering), wh.open_items([offering]))
        expected = report(alone.instances.lazy(), alone.cases.lazy(), offering, CaseFilter())
        found = stored_report(wh, offering)
        if alone.instances.height > derived_module.REPORT_MAX_STEPS and not big_reported:
            assert found is None
            assert stored_health(wh, [offering]) is None
            assert all(stored_figure(wh, offering, name) is None for name in figures.STORED)
            continue
        assert_frame_equal(
            stored_health(wh, [offering]), health.filter(pl.col("offering") == offering)
        )
        # The value stream map and Waits pages read their default view's figures as
        # stored: those the page computes of the offering's every case.
        steps = again.instances.filter(pl.col("offering") == offering).lazy()
        cases = again.cases.filter(pl.col("offering") == offering)
        for name, compute in figures.STORED.items():
            assert_same_figure(stored_figure(wh, offering, name), compute(steps, cases))
        # Those of its completed cases alone and of each relative time window, where the
        # step-file thread stored them: those the pages compute of the view selected. (Each
        # read only where a figure of that name is stored: most are not, and a read that
        # finds nothing costs as much as one that finds it.)
        named = {n for (n,) in derived_module._current_figures(wh, "name", offering)}
        for prefix, view in figures.STORED_VIEWS.items():
            spec = dataclasses.replace(view, offerings=(offering,))
            own, chosen = apply_filters(steps, cases.lazy(), spec)
            for name in figures.view_figure_names(prefix):
                kept = kept_figure(wh, offering, named, prefix + name)
                if kept is not None:
                    assert_same_figure(kept, figures.STORED[name](own, chosen.collect()))
            days = view.window_days
            card = kept_figure(wh, offering, named, prefix + figures.WINDOW_SCORECARD)
            if days is not None and card is not None:
                assert_frame_equal(card, figures.window_scorecard(own, chosen.collect(), days))
            rows = kept_figure(wh, offering, named, prefix + figures.HEALTH)
            if days is not None and rows is not None:
                assert_frame_equal(rows, figures.window_health(steps, cases, days))
        if offering in on:
            assert found is None
        else:
            assert found == (json.loads(json.dumps(expected[0])), expected[1])


def kept_figure(wh: Warehouse, offering: str, named: set[str], name: str) -> Any:
    """`stored_figure`, read only where a figure is stored under `name` (among `named`)."""
    return stored_figure(wh, offering, name) if name in named else None


def assert_same_figure(stored: object, computed: object) -> None:
    if isinstance(computed, pl.DataFrame):
        assert isinstance(stored, pl.DataFrame)
        assert_frame_equal(stored, computed)
        return
    if isinstance(computed, ValueStream):
        assert isinstance(stored, ValueStream)
        assert_frame_equal(stored.boxes, computed.boxes)
        assert_frame_equal(stored.steps, computed.steps)
        same = dataclasses.replace(stored, boxes=computed.boxes, steps=computed.steps)
        assert same == computed
        return
    assert isinstance(stored, Projection) and isinstance(computed, Projection)
    for mine, theirs in (
        (stored.current, computed.current),
        (stored.projected, computed.projected),
    ):
        assert_frame_equal(mine.boxes, theirs.boxes)
        assert mine.totals == theirs.totals
    assert_frame_equal(stored.lead_times, computed.lead_times)
    assert (stored.figures, stored.steps) == (computed.figures, computed.steps)


rows = st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=25)
step = st.one_of(
    st.tuples(st.just("import"), rows, st.integers(0, len(IDS) - 1)),
    st.tuples(st.just("board"), st.booleans()),
    st.tuples(st.just("undo"), st.integers(0, 5)),
    st.tuples(
        st.just("catalog"),
        st.sampled_from(["Custom formulation", "Private label"]),
        st.sampled_from(STEPS),
        st.sampled_from(["value-adding", "necessary", "waste", "unclassified"]),
        st.sampled_from(["work", "waiting"]),
        st.sampled_from([None, True, False]),
    ),
    st.tuples(
        st.just("calendar"), st.sampled_from(["Custom formulation", "tickets"]), st.booleans()
    ),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize(
    ("part_events", "runs"),
    [
        (derived_module.PART_EVENTS, derived_module.RUNS_MAX),
        (derived_module.PART_EVENTS, 2),
        (derived_module.PART_EVENTS, 0),
        (4, 0),
    ],
)
@given(steps=st.lists(step, min_size=1, max_size=6))
def test_stored_cases_equal_a_fresh_derivation_after_any_changes(
    monkeypatch: pytest.MonkeyPatch, part_events: int, runs: int, steps: list[tuple]
) -> None:
    # An import or undo derives only the cases it touches. The stored cases after the
    # first of them are copied in their runs between the touched ones where there are at
    # most `runs` (with 0, never), else stored again with the new steps in one sorted
    # statement. With parts of 4 events, an offering and the cases an import or undo
    # touches are derived in parts of whole cases.
    monkeypatch.setattr(derived_module, "PART_EVENTS", part_events)
    monkeypatch.setattr(derived_module, "RUNS_MAX", runs)
    with Warehouse.open(":memory:") as wh:
        for n, (kind, *args) in enumerate(steps):
            if kind == "import":  # its cases renamed to COUNTED's or DATED's ids, or not
                ingest(wh, event_file(args[0], IDS[args[1]]), f"orders-{n}.csv")
            elif kind == "board":
                # The same board twice (or its first half alone) overlaps what is stored.
                data = BOARD if args[0] else BOARD[: BOARD.index(b"T-2,2025-06-05")]
                ingest(wh, data, "tickets.csv")
            elif kind == "undo":
                live = wh.imports().filter(pl.col("undone_at").is_null())["id"].to_list()
                # Refused after a later overlapping import: then nothing changed.
                with contextlib.suppress(WarehouseError):
                    if live:
                        wh.undo_import(live[args[0] % len(live)])
            elif kind == "catalog":
                offering, activity, value_class, status, ends = args
                if activity in wh.catalog(offering)["activity"].to_list():
                    set_activity(
                        wh, offering, activity, value_class=value_class, kind=status, ends_case=ends
                    )
            else:
                save_calendar(wh, args[0], CALENDAR, on=args[1])
            assert_stored_is_fresh(wh)


def _derived_cases(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The case ids of the events each derivation is given, from now on."""
    given: list[list[str]] = []
    derive = derived_module.derive_instances

    def recorded(events: pl.LazyFrame, *args: Any) -> pl.LazyFrame:
        given.append(sorted(events.select("case_id").unique().collect()["case_id"].to_list()))
        return derive(events, *args)

    monkeypatch.setattr(derived_module, "derive_instances", recorded)
    return given


def _case(c: int, steps: range = range(len(STEPS))) -> list[int]:
    """The POOL rows of case `c` of Custom formulation."""
    return [c * len(STEPS) + s for s in steps]


def test_an_import_or_undo_derives_only_the_cases_it_touches(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Those after them are stored again in parts of 1,000 steps: one part here.
    # C1 without its last step (Ship): Formulate ends it, Ship the three others.
    ingest(wh, event_file([*_case(0), *_case(1, range(4)), *_case(2), *_case(3)]), "a.csv")
    stored = wh.read("SELECT case_id, case_index FROM derived_cases ORDER BY case_index")
    assert stored.rows() == [("C0", 0), ("C1", 1), ("C2", 2), ("C3", 3)]
    given = _derived_cases(monkeypatch)
    new = ingest(wh, event_file([*_case(4), *_case(5)]), "b.csv")
    assert given == [["C4", "C5"]]
    assert_stored_is_fresh(wh)
    # A step of a case before them: that case alone, the ones after it numbered again.
    ingest(wh, event_file(_case(1, range(4, 5))), "c.csv")
    assert given[1:] == [["C1"]]
    assert_stored_is_fresh(wh)
    done = wh.read("SELECT case_id, completed FROM derived_cases ORDER BY case_index")
    assert done.rows() == [(f"C{c}", True) for c in range(6)]
    assert new.import_id is not None
    wh.undo_import(new.import_id)  # its events of C4 and C5 are gone with it
    assert given[2:] == [[]]
    assert_stored_is_fresh(wh)
    assert wh.read("SELECT count(*) AS n FROM derived_cases")["n"][0] == 4
    # The same events again touch no case: nothing is derived, and the derivation, its
    # step files and its report stay as they are.
    stamps = current_stamps(wh)
    assert ingest(wh, event_file(_case(1, range(4, 5))), "c-again.csv").stored == 0
    assert given[3:] == []
    assert current_stamps(wh) == stamps
    assert_stored_is_fresh(wh)


def test_a_new_case_whose_id_counts_on_from_the_stored_ones_is_numbered_after_them(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue keys, pull request numbers, order numbers without leading zeros: PRJ-10 comes
    # after PRJ-9 and PRJ-100 after PRJ-99, so the project's next issues are numbered
    # after the stored ones, which stay where they are. By the ids' bytes alone, PRJ-100
    # and PRJ-101 came between PRJ-10 and PRJ-8: three of the four stored cases after
    # them, numbered again.
    ingest(wh, event_file([*_case(0), *_case(1), *_case(2), *_case(3)], COUNTED), "a.csv")
    stored = wh.read("SELECT case_id, case_index FROM derived_cases ORDER BY case_index")
    assert stored.rows() == [("PRJ-8", 0), ("PRJ-9", 1), ("PRJ-10", 2), ("PRJ-99", 3)]
    given = _derived_cases(monkeypatch)
    ingest(wh, event_file([*_case(4), *_case(5)], COUNTED), "b.csv")
    assert given == [["PRJ-100", "PRJ-101"]]
    assert_stored_is_fresh(wh)
    numbered = wh.read("SELECT case_id FROM derived_cases ORDER BY case_index")["case_id"]
    assert numbered.to_list() == [COUNTED[f"C{c}"] for c in range(6)]


def test_a_new_year_s_first_cases_are_numbered_after_the_last_year_s(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Order numbers that start again from 1 each year: 2026-1 comes after 2025-100, as
    # its year's number is higher, so the new year's first orders are numbered after the
    # stored ones. With shorter ids first, 2026-1 came before 2025-10: three of the four
    # stored cases after it, numbered again.
    ingest(wh, event_file([*_case(0), *_case(1), *_case(2), *_case(3)], DATED), "a.csv")
    stored = wh.read("SELECT case_id, case_index FROM derived_cases ORDER BY case_index")
    assert stored.rows() == [("2025-9", 0), ("2025-10", 1), ("2025-99", 2), ("2025-100", 3)]
    given = _derived_cases(monkeypatch)
    ingest(wh, event_file([*_case(4), *_case(5)], DATED), "b.csv")
    assert given == [["2026-1", "2026-2"]]
    assert_stored_is_fresh(wh)
    numbered = wh.read("SELECT case_id FROM derived_cases ORDER BY case_index")["case_id"]
    assert numbered.to_list() == [DATED[f"C{c}"] for c in range(6)]


def test_new_cases_before_or_among_the_stored_ones_are_derived_alone(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A project renamed to a key that sorts first (AB- before PRJ-): its new issues come
    # before all four stored ones, which are numbered again and copied in one run after
    # them, so the new issues alone are derived.
    ingest(wh, event_file([*_case(0), *_case(1), *_case(2), *_case(3)], COUNTED), "a.csv")
    given = _derived_cases(monkeypatch)
    sorted_: list[int] = []
    store_sorted = derived_module._store_sorted
    monkeypatch.setattr(
        derived_module, "_store_sorted", lambda *a: sorted_.append(1) or store_sorted(*a)
    )
    ingest(wh, event_file([*_case(4), *_case(5)], {"C4": "AB-1", "C5": "AB-2"}), "b.csv")
    assert given == [["AB-1", "AB-2"]]
    assert sorted_ == []
    assert_stored_is_fresh(wh)
    numbered = wh.read("SELECT case_id FROM derived_cases ORDER BY case_index")["case_id"]
    assert numbered.to_list() == ["AB-1", "AB-2", "PRJ-8", "PRJ-9", "PRJ-10", "PRJ-99"]
    # New cases in three places among them (after AB-2, after PRJ-10, after PRJ-99):
    # the cases from the first on fall into five runs (new, stored, new, stored, new),
    # copied as such within a bound of six runs.
    monkeypatch.setattr(derived_module, "RUNS_MAX", 6)
    three = {"C0": "AB-3", "C1": "PRJ-50", "C2": "PRJ-100"}
    ingest(wh, event_file([*_case(0), *_case(1), *_case(2)], three), "c.csv")
    assert given[1:] == [["AB-3", "PRJ-100", "PRJ-50"]]
    assert sorted_ == []
    assert_stored_is_fresh(wh)
    # Four places make eight runs: beyond the bound the stored cases and the new ones are
    # stored again in one sorted statement, and still the new cases alone are derived (as
    # ids that do not count up, random numbers or hashes, fall among the stored ones).
    four = {"C0": "AB-4", "C1": "PRJ-20", "C2": "PRJ-70", "C3": "PRJ-101"}
    ingest(wh, event_file([*_case(0), *_case(1), *_case(2), *_case(3)], four), "d.csv")
    assert given[2:] == [["AB-4", "PRJ-101", "PRJ-20", "PRJ-70"]]
    assert sorted_ == [1]
    assert_stored_is_fresh(wh)
    numbered = wh.read("SELECT case_id FROM derived_cases ORDER BY case_index")["case_id"]
    assert numbered.to_list() == [
        *["AB-1", "AB-2", "AB-3", "AB-4", "PRJ-8", "PRJ-9", "PRJ-10", "PRJ-20"],
        *["PRJ-50", "PRJ-70", "PRJ-99", "PRJ-100", "PRJ-101"],
    ]


def test_the_cases_after_a_touched_one_are_stored_again_in_order_sorted(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(wh, event_file([*_case(0), *_case(1, range(4)), *_case(2), *_case(3)]), "a.csv")
    ingest(wh, BOARD, "tickets.csv")  # T-3 is only an open item: numbered after the others
    monkeypatch.setattr(derived_module, "PART_EVENTS", 6)
    monkeypatch.setattr(derived_module, "RUNS_MAX", 0)
    given = _derived_cases(monkeypatch)
    # C1's last step: C1's five events derived as one part, and C2 and C3's ten stored
    # steps stored again after its five in the statement that sorts them (no runs).
    ingest(wh, event_file(_case(1, range(4, 5))), "c.csv")
    assert given == [["C1"]]
    assert_stored_is_fresh(wh)
    steps = wh.read(
        "SELECT case_id, seq FROM derived_instances WHERE offering = 'Custom formulation'"
    )
    assert steps.rows() == [(f"C{c}", s) for c in range(4) for s in range(1, 6)]
    # A ticket's new status: T-2 alone, T-3 numbered after it as before.
    ingest(
        wh,
        b"Ticket,Changed at,From,To,Changed by\nT-2,2025-06-06 10:00,In Progress,Done,Lee\n",
        "t.csv",
    )
    assert given[1:] == [["T-2"]]
    assert_stored_is_fresh(wh)


def test_an_import_of_more_events_than_a_part_derives_its_cases_alone_in_parts(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three new orders of five events each, between three stored ones, in parts of six
    # events: each new order a part of its own, the stored ones not derived again (the
    # whole offering was, when the touched cases held more than a part).
    ingest(wh, event_file([*_case(0), *_case(2), *_case(4)]), "a.csv")
    monkeypatch.setattr(derived_module, "PART_EVENTS", 6)
    given = _derived_cases(monkeypatch)
    new = ingest(wh, event_file([*_case(1), *_case(3), *_case(5)]), "b.csv")
    assert given == [["C1"], ["C3"], ["C5"]]
    assert_stored_is_fresh(wh)
    numbered = wh.read("SELECT case_id FROM derived_cases ORDER BY case_index")["case_id"]
    assert numbered.to_list() == [f"C{c}" for c in range(6)]
    assert new.import_id is not None
    wh.undo_import(new.import_id)
    assert given[3:] == [[]]
    assert_stored_is_fresh(wh)


def test_a_board_sent_again_touches_only_the_tickets_whose_status_changed(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(wh, BOARD, "tickets.csv")
    given = _derived_cases(monkeypatch)
    # The export again, a day later: T-2's and T-3's open items are sent again as they
    # were, and T-3 has moved on. T-3 alone is derived again.
    later = BOARD + b"T-3,2025-06-06 09:00,To Do,In Progress,Sam\n"
    assert ingest(wh, later, "tickets.csv").stored == 1
    assert given == [["T-3"]]
    assert_stored_is_fresh(wh)
    # The same export once more changes nothing.
    ingest(wh, later, "tickets.csv")
    assert given[1:] == []
    assert_stored_is_fresh(wh)


def test_an_open_item_entered_long_after_every_event_is_read_on_the_calendars_clock(
    wh: Warehouse,
) -> None:
    """A working-time clock covers the offering's events and its open items' entries: an
    item entered more than a year after the last event (beyond the clock's margin) was
    cut short, until an import that moved the span changed a case it did not touch."""
    save_calendar(wh, "O", CALENDAR, on=True)

    def store(n: int, case: str, day: datetime, entered: datetime | None = None) -> None:
        row = {"offering": "O", "case_id": case, "activity": "X", "resource": "r"}
        item = {"activity": "Y", "entered": entered, "attributes": "{}", "source_row": 2}
        wh.store_import(
            file_name=f"f{n}.csv",
            sha256=f"s{n}",
            format="csv",
            mapping={},
            options={},
            rows_read=1,
            instances=pl.DataFrame(
                [row | {"start": day, "end": day + timedelta(hours=1)}]
            ).with_columns(attributes=pl.lit("{}"), source_row=pl.lit(1, pl.Int64)),
            rejects=pl.DataFrame(
                schema={"source_row": pl.Int64, "reason": pl.String, "raw": pl.String}
            ),
            open_items=None
            if entered is None
            else pl.DataFrame([row | item], schema=OPEN_ITEM_SCHEMA),
        )

    store(1, "A", datetime(2024, 1, 2, 10, tzinfo=UTC), datetime(2025, 6, 2, 12, tzinfo=UTC))
    assert_stored_is_fresh(wh)
    store(2, "B", datetime(2024, 12, 2, 10, tzinfo=UTC))  # B alone is derived again
    assert_stored_is_fresh(wh)


def test_an_import_that_changes_which_steps_end_a_case_derives_that_case_alone(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(wh, event_file(_case(0, range(2))), "a.csv")  # Quote, Formulate: Formulate ends it
    ingest(wh, event_file(_case(1, range(4))), "b.csv")  # Quote ... Formulate (2 of 3 last)
    assert load_derivation(wh).cases["completed"].to_list() == [True, True]
    given = _derived_cases(monkeypatch)
    # A case whose Formulate comes twice and is never last: Formulate no longer ends one
    # (2 of 5 occurrences last), so C0 and C1 are no longer completed; C4 ends at Ship.
    new = ingest(wh, event_file(_case(4)), "c.csv")
    assert given == [["C4"]]  # the others' completion set again from their stored rows
    assert_stored_is_fresh(wh)
    stored = wh.read("SELECT case_id, completed FROM derived_cases")  # in their stored order
    assert stored.rows() == [("C0", False), ("C1", False), ("C4", True)]
    # Undone: Formulate ends a case again.
    assert new.import_id is not None
    wh.undo_import(new.import_id)
    assert given[1:] == [[]]
    assert_stored_is_fresh(wh)
    stored = wh.read("SELECT case_id, completed FROM derived_cases")
    assert stored.rows() == [("C0", True), ("C1", True)]


def test_a_case_with_an_open_item_stays_open_when_its_status_comes_to_end_cases(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(wh, BOARD, "tickets.csv")  # T-2 is in In Progress now: an open item
    # Whether In Progress ends a case is left to the counts (a board's import says no).
    set_activity(wh, "tickets", "In Progress", ends_case=None)
    log = "offering,case,activity,start,end\n"
    # X1 ends at In Progress, no open item: In Progress is last in 1 of its 2 steps.
    ingest(
        wh,
        (
            log + "tickets,X1,To Do,2025-06-03 09:00,2025-06-03 10:00\n"
            "tickets,X1,In Progress,2025-06-03 10:00,2025-06-03 12:00\n"
        ).encode(),
        "x1.csv",
    )
    completed = "SELECT case_id, completed FROM derived_cases WHERE offering = 'tickets'"
    assert wh.read(completed).rows() == [
        ("T-1", True),
        ("T-2", False),
        ("X1", True),
        ("T-3", False),
    ]
    given = _derived_cases(monkeypatch)
    # X2 passes through In Progress to Review: In Progress ends 1 of 3, no longer a case.
    x2 = ingest(
        wh,
        (
            log + "tickets,X2,To Do,2025-06-04 09:00,2025-06-04 10:00\n"
            "tickets,X2,In Progress,2025-06-04 10:00,2025-06-04 12:00\n"
            "tickets,X2,Review,2025-06-04 12:00,2025-06-04 13:00\n"
        ).encode(),
        "x2.csv",
    )
    assert given == [["X2"]]
    assert_stored_is_fresh(wh)
    assert wh.read(completed).rows() == [
        ("T-1", True),
        ("T-2", False),
        ("X1", False),
        ("X2", True),
        ("T-3", False),
    ]
    # Undone, In Progress ends a case again: X1 is completed again, T-2 stays open.
    assert x2.import_id is not None
    wh.undo_import(x2.import_id)
    assert given[1:] == [[]]
    assert_stored_is_fresh(wh)
    assert wh.read(completed).rows() == [
        ("T-1", True),
        ("T-2", False),
        ("X1", True),
        ("T-3", False),
    ]


def test_an_undo_that_leaves_no_classified_step_sets_every_cases_pce_again(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = ingest(wh, event_file(_case(0, range(2))), "a.csv")  # Quote, Formulate
    ingest(wh, event_file(_case(1, range(1))), "b.csv")  # Quote
    set_activity(wh, "Custom formulation", "Formulate", value_class="value-adding")
    cases = load_derivation(wh).cases
    assert cases["pce_basis"].to_list() == ["value-adding"] * 2
    assert cases["pce"][1] == 0.0  # C1's Quote (30 minutes) adds no value
    given = _derived_cases(monkeypatch)
    assert a.import_id is not None
    wh.undo_import(a.import_id)  # C0, with the only classified steps, is gone
    assert given == [[]]
    assert_stored_is_fresh(wh)
    cases = load_derivation(wh).cases
    assert cases["pce_basis"].to_list() == ["flow efficiency"]
    assert cases["pce"].to_list() == [1.0]  # its one step is all its lead time
    # Imported again: a step is classified again, and C1's PCE is value-adding again.
    ingest(wh, event_file(_case(0, range(2))), "a2.csv")
    assert given[1:] == [["C0"]]
    assert_stored_is_fresh(wh)
    assert load_derivation(wh).cases["pce_basis"].to_list() == ["value-adding"] * 2


def test_an_import_that_fails_leaves_the_stored_cases_as_they_were(wh: Warehouse) -> None:
    ingest(wh, event_file(list(range(10))), "orders.csv")
    before = load_derivation(wh)
    # 4,997 new steps beside the 4 stored: 5,001 in the offering, refused by the warehouse
    # after the file passed its own bounds, and the whole import rolled back.
    crowded = "\n".join(
        [
            "offering,case,activity,end",
            *(f"Custom formulation,C0,Step {i},2025-06-03" for i in range(4_997)),
        ]
    )
    with pytest.raises(WarehouseError, match="would have 5,001 distinct activities"):
        ingest(wh, crowded.encode(), "crowded.csv")
    after = load_derivation(wh)
    assert_frame_equal(after.cases, before.cases)
    assert after.cases.height == 2  # C0 and C1 of Custom formulation


def test_a_catalog_edit_changes_the_stored_figures_in_its_own_transaction(
    wh: Warehouse,
) -> None:
    ingest(wh, event_file(list(range(10))), "orders.csv")
    assert set(load_derivation(wh).cases["pce_basis"]) == {"flow efficiency"}
    set_activity(wh, "Custom formulation", "Formulate", value_class="value-adding")
    cases = load_derivation(wh).cases
    assert set(cases["pce_basis"]) == {"value-adding"}
    # Only Formulate adds value: two instances of 30 + 17 and 30 + 51 minutes per case.
    assert cases["value_adding_s"].to_list() == [(47 + 81) * 60.0] * 2


def test_an_upgraded_warehouse_derives_each_offering_once_with_its_progress(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.duckdb"
    with Warehouse.open(path) as wh:
        ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
        ingest(wh, BOARD, "tickets.csv")
        expected = fresh(wh)
        # What an older release left: the same events, derived by other definitions.
        wh._con.execute("UPDATE derived_state SET version = '0-older'")
        wh._con.execute("UPDATE derived_cases SET lead_time_s = -1")
    with Warehouse.open(path) as wh:
        assert stale_offerings(wh) == ["Custom formulation", "Private label", "tickets"]
        told: list[tuple[int, int, str]] = []
        stored = load_derivation(wh, progress=lambda *a: told.append(a))
        assert told == [
            (0, 3, "Custom formulation"),
            (1, 3, "Private label"),
            (2, 3, "tickets"),
            (3, 3, ""),
        ]
        assert_frame_equal(stored.cases, expected.cases)
        assert_frame_equal(stored.instances, expected.instances)
        assert set(wh.read("SELECT version FROM derived_state")["version"]) == {DERIVATION_VERSION}
        told.clear()
        load_derivation(wh, progress=lambda *a: told.append(a))
        assert told == []  # derived once


def test_an_import_and_an_undo_tell_their_progress_through_the_offerings_they_touch(
    tmp_path: Path,
) -> None:
    """What the Data page's bar follows: each offering the import (or the undo) touches,
    before its cases and figures are worked out again, then the end; nothing for a file
    already imported."""
    told: list[tuple[int, int, str]] = []
    with Warehouse.open(tmp_path / "w.duckdb") as wh:
        first = prepare(event_file([0, 1, 2, len(POOL) - 1]), "orders.csv")
        ingest_prepared(wh, first, progress=lambda *a: told.append(a))
        assert told == [(0, 2, "Custom formulation"), (1, 2, "Private label"), (2, 2, "")]
        told.clear()
        ingest_prepared(wh, prepare(BOARD, "tickets.csv"), progress=lambda *a: told.append(a))
        assert told == [(0, 1, "tickets"), (1, 1, "")]
        told.clear()
        again = ingest_prepared(wh, first, progress=lambda *a: told.append(a))
        assert (again.already_imported_as, told) == (1, [])
        wh.undo_import(2, progress=lambda *a: told.append(a))
        assert told == [(0, 1, "tickets"), (1, 1, "")]
        assert wh.offerings() == ["Custom formulation", "Private label"]
        assert_frame_equal(load_stored(wh, in_memory_steps=10**9).cases, fresh(wh).cases)


def test_a_release_that_reports_otherwise_stores_the_reports_again_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.duckdb"
    with Warehouse.open(path) as wh:
        ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
        ingest(wh, BOARD, "tickets.csv")
        expected = {o: stored_report(wh, o) for o in wh.offerings()}
        health = stored_health(wh, wh.offerings())
        steps = stored_figure(wh, "tickets", "steps")
        assert isinstance(steps, pl.DataFrame) and steps["activity"].to_list() == [
            "In Progress",
            "Done",
        ]
        # An older release's reports and figures (its derivation is this one's).
        wh._con.execute("UPDATE derived_reports SET version = '0-older', report = '{}'")
        wh._con.execute("DELETE FROM derived_figures WHERE name = 'steps'")
        assert stored_report(wh, "tickets") is None
        assert stored_health(wh, ["tickets"]) is None
        assert stored_figure(wh, "tickets", "ranking") is None
    with Warehouse.open(path) as wh:
        assert stale_offerings(wh) == []
        load_stored(wh, in_memory_steps=0)
        assert {o: stored_report(wh, o) for o in wh.offerings()} == expected
        assert None not in expected.values()
        assert health is not None and health.height == 3
        assert_frame_equal(stored_health(wh, wh.offerings()), health)
        assert_frame_equal(stored_figure(wh, "tickets", "steps"), steps)


def _computed_apart(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Turn `compute_apart` on for offerings of any size; the offerings whose report is
    then computed in a process of their own, as they are."""
    monkeypatch.setattr(derived_module, "_apart", [1])
    run_apart = derived_module.run_apart
    seen: list[str] = []

    def recorded(function: Any, *args: Any, **given: Any) -> Any:
        seen.append(args[3])  # _file_report_rows(file, columns, cases, offering, ...)
        return run_apart(function, *args, **given)

    monkeypatch.setattr(derived_module, "run_apart", recorded)
    return seen


def test_a_release_that_reports_otherwise_computes_big_reports_apart_with_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the app, the reports a release stores again are computed in a process of their
    own (`compute_apart`), told offering by offering, and equal those computed here."""
    path = tmp_path / "old.duckdb"
    with Warehouse.open(path) as wh:
        ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
        ingest(wh, BOARD, "tickets.csv")
        expected = {o: stored_report(wh, o) for o in wh.offerings()}
        steps = stored_figure(wh, "Private label", "steps")
        wh._con.execute("UPDATE derived_reports SET version = '0-older', report = '{}'")
        wh._con.execute("DELETE FROM derived_figures")
    seen = _computed_apart(monkeypatch)
    with Warehouse.open(path) as wh:
        assert derived_module.unreported_offerings(wh) == sorted(expected)
        told: list[tuple[int, int, str]] = []
        load_stored(wh, in_memory_steps=0, progress=lambda *a: told.append(a))
        assert seen == ["Custom formulation", "Private label", "tickets"]
        assert told == [
            (0, 3, "Custom formulation"),
            (1, 3, "Private label"),
            (2, 3, "tickets"),
            (3, 3, ""),
        ]
        assert {o: stored_report(wh, o) for o in wh.offerings()} == expected
        assert_frame_equal(stored_figure(wh, "Private label", "steps"), steps)
        assert derived_module.unreported_offerings(wh) == []


def test_an_import_computes_a_big_offerings_report_apart_and_keeps_its_events_if_it_fails(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import's reports computed in a process of their own equal those computed here;
    where that process fails, the import is stored all the same, without the report,
    and the next load stores it."""
    first = ingest(wh, BOARD, "tickets.csv").import_id
    here = stored_report(wh, "tickets")
    health = stored_health(wh, ["tickets"])
    seen = _computed_apart(monkeypatch)
    assert first is not None
    wh.undo_import(first)
    assert stored_report(wh, "tickets") is None and seen == []
    ingest(wh, BOARD, "tickets.csv")
    assert seen == ["tickets"]
    assert stored_report(wh, "tickets") == here
    assert_frame_equal(stored_health(wh, ["tickets"]), health)

    def fails(function: Any, *args: Any, **given: Any) -> Any:
        raise derived_module.ApartFailed("_file_report_rows ended without a result (exit -9)")

    monkeypatch.setattr(derived_module, "run_apart", fails)
    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    assert set(wh.offerings()) == {"Custom formulation", "Private label", "tickets"}
    assert stored_report(wh, "Private label") is None
    assert stored_report(wh, "tickets") == here
    assert derived_module.unreported_offerings(wh) == ["Custom formulation", "Private label"]
    monkeypatch.setattr(derived_module, "_apart", [None])
    load_stored(wh, in_memory_steps=0)
    assert stored_report(wh, "Private label") is not None
    assert derived_module.unreported_offerings(wh) == []
    assert_stored_is_fresh(wh)


def test_a_file_that_cannot_store_the_reports_again_still_serves_its_derivation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.duckdb"
    with Warehouse.open(path) as wh:
        ingest(wh, BOARD, "tickets.csv")
        expected = fresh(wh)
        wh._con.execute("UPDATE derived_reports SET version = '0-older'")
    with Warehouse.open(path) as wh:

        @contextlib.contextmanager
        def refused() -> Iterator[None]:
            raise duckdb.IOException("Cannot open file: read-only file system")
            yield

        monkeypatch.setattr(wh, "transaction", refused)
        assert derived_module.prepare_derivation(wh)  # the stored derivation still serves
        assert_frame_equal(load_derivation(wh).cases, expected.cases)
        assert stored_report(wh, "tickets") is None  # the command computes it instead


def test_an_offering_of_more_steps_than_the_report_limit_gets_no_stored_report(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(wh, BOARD, "tickets.csv")  # 4 steps
    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 4)
    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    assert stored_report(wh, "tickets") is not None
    assert stored_report(wh, "Custom formulation") is None
    assert stored_health(wh, ["tickets"]) is not None
    assert stored_health(wh, ["tickets", "Custom formulation"]) is None
    assert_stored_is_fresh(wh)
    # Nor is it looked for again at each load.
    assert derived_module.unreported_offerings(wh) == []


def _view_figures_of(wh: Warehouse, offering: str) -> int:
    """How many figures `store_view_figures` computes for `offering` as derived now: those
    of each stored view with a case, and of each window, its Stream health rows (but
    those of the default 30 days, stored with the derivation) and Compare's scorecard of
    each window's view with a case."""
    cases = load_derivation(wh).cases.filter(pl.col("offering") == offering).lazy()
    viewed = [p for p, v in figures.STORED_VIEWS.items() if filter_cases(cases, v).collect().height]
    windows = [p for p in viewed if figures.STORED_VIEWS[p].window_days is not None]
    health = [d for d in figures.WINDOW_DAYS if d != DEFAULT_DAYS]
    return sum(len(figures.view_figure_names(p)) for p in viewed) + len(windows) + len(health)


def test_the_figures_of_the_stored_views_are_stored_from_the_step_files(
    wh: Warehouse,
) -> None:
    """The figures of each offering's completed cases alone (the "Completed cases only"
    view) and of its relative time windows are stored from its step file, equal to those
    the pages compute of that view; only for the derivation the file was written of,
    and forgotten when an import derives the offering again."""
    ingest(wh, event_file(list(range(0, len(POOL), 2))), "orders.csv")
    offerings = ["Custom formulation", "Private label"]
    assert sorted(wh.offerings()) == offerings
    # Those that stop at Formulate are open.
    set_activity(wh, "Private label", "Formulate", ends_case=False)
    assert store_view_figures(wh) == []  # no step file yet
    assert write_step_files(wh) == 2
    computed = sum(_view_figures_of(wh, o) for o in offerings)

    # An import derives Custom formulation again while its figures are computed: they
    # are of a derivation that is gone, so they are not stored.
    calls: list[str] = []

    def between() -> None:
        calls.append("between")
        if len(calls) == 3:  # all but the last of its events
            ingest(wh, event_file(list(range(1, len(POOL) // 2 - 1, 2))), "more.csv")

    assert store_view_figures(wh, between=between) == ["Private label"]
    # Before each offering and after each figure.
    assert len(calls) == 2 + computed
    # Every case lies in every window here: each view of both offerings has its figures.
    every_view = sum(len(figures.view_figure_names(p)) for p in figures.STORED_VIEWS)
    assert computed == 2 * (every_view + 2 * len(figures.WINDOW_DAYS) + 3)
    name = figures.COMPLETED + "value_stream"
    assert stored_figure(wh, "Custom formulation", name) is None
    assert isinstance(stored_figure(wh, "Private label", name), ValueStream)
    assert not derived_module.has_stored_figure(wh, "Custom formulation", "90d:map_conformance")
    assert derived_module.has_stored_figure(wh, "Private label", "90d:map_conformance")
    assert isinstance(stored_figure(wh, "Private label", "90d:unchanged"), Projection)
    assert stored_figure(wh, "Private label", "365d:health")["offering"].to_list() == [
        "Private label"
    ]
    assert store_view_figures(wh) == []  # its new step file is not written yet
    assert write_step_files(wh) == 1
    assert store_view_figures(wh) == ["Custom formulation"]
    assert store_view_figures(wh) == []  # once per derivation
    assert {n for n in derived_module.stored_figure_names(wh, "Private label")} == set(
        figures.STORED
    )  # the figures of every case, as before
    assert_stored_is_fresh(wh)
    # They differ from those of every case: open cases are left out.
    every = stored_figure(wh, "Private label", "top_variants")
    alone = stored_figure(wh, "Private label", figures.COMPLETED + "top_variants")
    assert 0 < alone["cases"].sum() < every["cases"].sum()

    ingest(wh, event_file(list(range(len(POOL)))), "all.csv")  # both derived again
    assert [stored_figure(wh, o, name) for o in offerings] == [None, None]
    assert write_step_files(wh) == 2
    # Computed in a process of their own (as the app does), they are the same.
    assert store_view_figures(wh, apart=True) == offerings
    assert_stored_is_fresh(wh)
    # The same events again change nothing: every figure stored stays.
    ingest(wh, event_file(list(range(len(POOL)))), "all-again.csv")
    assert all(isinstance(stored_figure(wh, o, name), ValueStream) for o in offerings)
    assert write_step_files(wh) == 0


def test_an_offering_too_big_for_an_import_gets_its_report_from_its_step_file(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report, health row and page figures an import leaves out for an offering of
    more than REPORT_MAX_STEPS steps are stored later from its step file, equal to those
    of a fresh derivation; only for the derivation the file was written of."""
    ingest(wh, BOARD, "tickets.csv")  # 4 steps
    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 4)
    ingest(wh, event_file(list(range(0, len(POOL), 2))), "orders.csv")
    big = ["Custom formulation", "Private label"]
    assert [stored_report(wh, o) for o in big] == [None, None]
    assert store_reports_from_step_files(wh) == []  # no step file yet
    assert write_step_files(wh) == 3

    # An import of more events derives Custom formulation again while its figures are
    # computed: they are of a derivation that is gone, so they are not stored.
    calls: list[str] = []

    def between() -> None:
        calls.append("between")
        if len(calls) == 3:  # all but the last of its events
            ingest(wh, event_file(list(range(1, len(POOL) // 2 - 1, 2))), "more.csv")

    assert store_reports_from_step_files(wh, between=between) == ["Private label"]
    # Before each offering, after its report and after each figure.
    assert len(calls) == 2 * (2 + len(figures.STORED))
    assert stored_report(wh, "Custom formulation") is None
    assert stored_health(wh, ["Private label"]) is not None
    assert store_reports_from_step_files(wh) == []  # its new step file is not written yet

    assert write_step_files(wh) == 1
    assert store_reports_from_step_files(wh) == ["Custom formulation"]
    assert store_reports_from_step_files(wh) == []  # once per derivation
    assert_stored_is_fresh(wh, big_reported=True)

    # Beyond the steps the app computes them for: left to the page that asks.
    ingest(wh, event_file(list(range(len(POOL)))), "all.csv")  # both derived again
    assert write_step_files(wh) == 2
    assert derived_module.current_stamps(wh).keys() == {*big, "tickets"}
    monkeypatch.setattr(derived_module, "REPORT_AHEAD_MAX_STEPS", 29)  # each has 30 steps
    assert store_reports_from_step_files(wh) == []
    assert [stored_report(wh, o) for o in big] == [None, None]
    monkeypatch.setattr(derived_module, "REPORT_AHEAD_MAX_STEPS", 30)
    # Nor while the system has too little memory to spare: 30 steps need 12,000 bytes.
    monkeypatch.setattr(derived_module, "_available_memory", lambda: 12_000)
    assert store_reports_from_step_files(wh) == []
    monkeypatch.setattr(derived_module, "_available_memory", lambda: 15_000)
    # Computed in a process of their own (as the app does), they are the same.
    assert store_reports_from_step_files(wh, apart=True) == big
    assert_stored_is_fresh(wh, big_reported=True)


def test_the_memory_the_system_can_spare_is_read_from_linux() -> None:
    """Where /proc/meminfo says (Linux, as on the machines here), MemAvailable in bytes:
    more than nothing and less than all the memory there is."""
    import os

    if not Path("/proc/meminfo").exists():
        pytest.skip("no /proc/meminfo on this system: the reports are computed regardless")
    free = derived_module._available_memory()
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert free is not None and 0 < free <= total


def test_a_containers_memory_limit_counts_where_it_leaves_less(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A control group's limit less what it uses (but its inactive file cache), when that
    is less than the system's MemAvailable; "max" (no limit) is not a limit."""
    limit, used = tmp_path / "memory.max", tmp_path / "memory.current"
    stat = tmp_path / "memory.stat"
    used.write_text("400000\n")
    membership = tmp_path / "cgroup"
    membership.write_text("0::/\n")
    monkeypatch.setattr(derived_module, "PROC_CGROUP", str(membership))
    monkeypatch.setattr(
        derived_module,
        "CGROUP_MEMORY",
        ((str(tmp_path), "", "memory.max", "memory.current", "memory.stat", "inactive_file"),),
    )
    limit.write_text("1000000\n")
    assert derived_module._available_memory() == 600_000  # no statistics: all of it used
    stat.write_text("anon 250000\nactive_file 50000\ninactive_file 100000\n")
    assert derived_module._available_memory() == 700_000  # the inactive cache is free
    limit.write_text("max\n")
    free = derived_module._available_memory()
    assert free is not None and free > 600_000  # the system's alone


def test_a_memory_limit_on_the_processs_own_group_or_a_parent_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a container the process's group is a folder below the mount (a systemd
    service in its slice, say, as /proc/self/cgroup names it): a limit set there, or on
    the slice above it, counts; the tightest one wins. cgroup v1 names its memory
    controller on its own line."""
    v2, v1 = tmp_path / "v2", tmp_path / "v1"
    service = v2 / "system.slice" / "vsm.service"
    service.mkdir(parents=True)
    for folder, cap, in_use in ((v2, "max", 5), (v2 / "system.slice", "900000", 100000)):
        (folder / "memory.max").write_text(f"{cap}\n")
        (folder / "memory.current").write_text(f"{in_use}\n")
    (service / "memory.max").write_text("max\n")
    (service / "memory.current").write_text("50000\n")
    membership = tmp_path / "cgroup"
    membership.write_text("0::/system.slice/vsm.service\n")
    monkeypatch.setattr(derived_module, "PROC_CGROUP", str(membership))
    v2_files = ("memory.max", "memory.current", "memory.stat", "inactive_file")
    monkeypatch.setattr(derived_module, "CGROUP_MEMORY", ((str(v2), "", *v2_files),))
    assert derived_module._available_memory() == 800_000  # the slice's limit binds
    (service / "memory.max").write_text("300000\n")
    assert derived_module._available_memory() == 250_000  # the service's own, tighter
    group = v1 / "app"
    group.mkdir(parents=True)
    (group / "memory.limit_in_bytes").write_text("500000\n")
    (group / "memory.usage_in_bytes").write_text("200000\n")
    (group / "memory.stat").write_text("cache 90000\ntotal_inactive_file 60000\n")
    membership.write_text("5:cpu,cpuacct:/other\n4:memory:/app\n0::/\n")
    v1_files = ("memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat")
    monkeypatch.setattr(
        derived_module,
        "CGROUP_MEMORY",
        ((str(v1), "memory", *v1_files, "total_inactive_file"),),
    )
    assert derived_module._available_memory() == 360_000
    # A line it cannot read hides none after it; a group outside the mount's view ("/.."
    # in its path) is not looked for below the mount: the mount's own limit alone.
    membership.write_text("garbage\n\n4:memory:/app\n")
    assert derived_module._available_memory() == 360_000
    (v1 / "memory.limit_in_bytes").write_text("2000000\n")
    (v1 / "memory.usage_in_bytes").write_text("500000\n")
    beside = tmp_path / "app"  # what "/../app" would reach from the mount
    beside.mkdir()
    (beside / "memory.limit_in_bytes").write_text("100000\n")
    (beside / "memory.usage_in_bytes").write_text("0\n")
    membership.write_text("4:memory:/../app\n")
    assert derived_module._available_memory() == 1_500_000


def test_a_warehouse_made_before_the_derived_tables_opens_and_derives(tmp_path: Path) -> None:
    path = tmp_path / "v12.duckdb"
    with Warehouse.open(path) as wh:
        ingest(wh, event_file(list(range(20))), "orders.csv", ImportOptions())
        expected = fresh(wh)
        for table in (
            "derived_instances",
            "derived_cases",
            "derived_state",
            "derived_reports",
            "derived_findings",
            "derived_figures",
            "derived_finding_frames",
        ):
            wh._con.execute(f"DROP TABLE {table}")
        wh._con.execute("DELETE FROM schema_version WHERE version >= 13")
    with Warehouse.open(path) as wh:
        assert wh.schema_version() == LATEST_VERSION
        assert stale_offerings(wh) == ["Custom formulation"]
        assert_frame_equal(load_derivation(wh).cases, expected.cases)


def test_an_offering_derived_in_parts_equals_one_derivation(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(derived_module, "PART_EVENTS", 7)
    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    ingest(wh, BOARD, "tickets.csv")
    save_calendar(wh, "Custom formulation", CALENDAR, on=True)
    set_activity(wh, "Private label", "Ship", ends_case=False)
    # 30 events of six cases in parts of about 7: five parts for each offering.
    assert len(derived_module._bounds(wh._cursor(), "Private label")) == 5
    assert_stored_is_fresh(wh)
    cases = load_derivation(wh).cases
    assert cases.filter(pl.col("offering") == "Private label")["completed"].sum() == 0


def test_one_offering_reads_as_its_own_derivation(wh: Warehouse) -> None:
    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    ingest(wh, BOARD, "tickets.csv")
    alone = load_derivation(wh, ["tickets"])
    own = derive_all(wh.events(["tickets"]), wh.catalog("tickets"), wh.open_items(["tickets"]))
    assert_frame_equal(alone.cases, own.cases)
    assert_frame_equal(alone.instances, own.instances)
    # T-3 never left To Do: a case of its own, numbered after the cases with steps.
    assert alone.cases.select("case_index", "case_id", "n_instances").rows() == [
        (0, "T-1", 3),
        (1, "T-2", 1),
        (2, "T-3", 0),
    ]


def test_a_scan_reads_one_cases_steps_as_memory_filters_them(wh: Warehouse) -> None:
    """A page that shows one case asks a scan for `case_id == x`: DuckDB finds its rows
    rather than handing every step to polars; whatever the filter, the rows are those
    the steps in memory give."""
    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    ingest(wh, BOARD, "tickets.csv")
    held, scanned = load_derivation(wh), load_stored(wh, in_memory_steps=0)
    assert not scanned.in_memory
    case, other = held.cases["case_id"][1], held.cases["case_id"][2]
    for predicate in (
        pl.col("case_id") == case,
        pl.lit(case) == pl.col("case_id"),
        (pl.col("case_id") == case) & (pl.col("activity") == "Test"),
        (pl.col("case_id") == case) | (pl.col("case_id") == other),
        (pl.col("case_id") == case) & (pl.col("seq") > 1),
        pl.col("case_id") == "no such case",
    ):
        for offerings in (None, ["Custom formulation"]):
            assert_frame_equal(
                scanned.instances_of(offerings).filter(predicate).collect(),
                held.instances.lazy()
                .filter(pl.col("offering").is_in(offerings or wh.offerings()))
                .filter(predicate)
                .collect(),
            )
    assert derived_module._text_equalities(
        (pl.col("case_id") == case) & (pl.col("seq") > 1) & (pl.lit("Test") == pl.col("activity"))
    ) == [("case_id", case), ("activity", "Test")]
    assert derived_module._text_equalities(pl.col("case_id") == case) == [("case_id", case)]
    # An or, a number, or a column that is not text: polars alone filters them.
    assert derived_module._text_equalities((pl.col("case_id") == case) | pl.col("is_rework")) == []
    assert derived_module._text_equalities(pl.col("seq") == 2) == []


def test_a_comparison_reads_its_windows_cases_steps_as_memory_gives_them(wh: Warehouse) -> None:
    """Where the steps are scanned, a before/after comparison has DuckDB read the steps of
    its windows' cases alone (`Stored.steps_reader`): it says exactly what the steps in
    memory say, for every offering and change date, and the reader gives a case's steps
    as memory holds them, whichever cases are asked for."""
    from metrics.compare import compare

    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    ingest(wh, BOARD, "tickets.csv")
    held, scanned = load_derivation(wh), load_stored(wh, in_memory_steps=0)
    assert not scanned.in_memory and held.instances.height > 0
    assert load_stored(wh, in_memory_steps=None).steps_reader("x") is None  # held: no reader
    compared = 0
    for offering in wh.offerings():
        own = held.cases.filter(pl.col("offering") == offering)
        start, end = own["first_start"].min(), own["last_end"].max()
        for share in (0.3, 0.5, 0.7):
            change = start + (end - start) * share
            memory = compare(held.instances.lazy(), held.cases.lazy(), offering, change, 7, 7)
            read = compare(
                scanned.instances,
                scanned.cases.lazy(),
                offering,
                change,
                7,
                7,
                steps_of=scanned.steps_reader(offering),
            )
            assert read.to_json() == memory.to_json()
            compared += memory.before.cases + memory.after.cases
        reader = scanned.steps_reader(offering)
        assert reader is not None
        indexes = own["case_index"]
        for asked in (indexes, indexes[::3], indexes[:1], indexes[:0], pl.Series([10**6])):
            assert_frame_equal(
                reader(asked.cast(pl.UInt32)).collect(),
                held.instances.filter(
                    (pl.col("offering") == offering) & pl.col("case_index").is_in(asked.implode())
                ),
            )
    assert compared > 0


def test_the_attribute_rows_are_the_distinct_attributes_of_each_case(wh: Warehouse) -> None:
    ingest(
        wh,
        b"offering,case,activity,start,end,resource,customer,rush\n"
        b"A,C1,Quote,2025-06-02 09:00,2025-06-02 10:00,Ann,Acme,yes\n"
        b"A,C1,Ship,2025-06-03 09:00,2025-06-03 10:00,Ann,Acme,yes\n"
        b"A,C1,Ship,2025-06-04 09:00,2025-06-04 10:00,Bob,Acme,yes\n"
        b"B,C1,Quote,2025-06-02 09:00,2025-06-02 10:00,Cy,Zeta,no\n",
        "attrs.csv",
    )
    rows = wh.attribute_rows()
    assert rows.columns == ["offering", "case_id", "resource", "attributes"]
    assert rows.select("offering", "case_id", "resource").rows() == [
        ("A", "C1", "Ann"),
        ("A", "C1", "Bob"),
        ("B", "C1", "Cy"),
    ]
    assert '"Acme"' in rows["attributes"][0] and '"Zeta"' in rows["attributes"][2]
    own = wh.attribute_rows(["A"], resource=False)
    assert own.columns == ["offering", "case_id", "attributes"]
    assert own.height == 1 and own["attributes"][0] == rows["attributes"][0]


def test_a_report_reads_its_steps_from_a_file_it_removes_after(wh: Warehouse) -> None:
    """The stored report and figures are computed of the offering's steps written to a
    Parquet file beside the warehouse (each figure reads the columns it uses): the file
    is gone once they are stored, and its rows are the stored steps in their order, even
    where the table holds them out of order."""
    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    folder = Path(wh.path).parent
    assert not list(folder.glob(".steps-*.parquet"))
    stored = load_derivation(wh, ["Private label"]).instances
    # The same steps stored last case first: the file is sorted again.
    cur = wh._cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        cur.execute(
            "CREATE TEMP TABLE reversed AS SELECT * FROM derived_instances "
            "WHERE offering = 'Private label' ORDER BY case_index DESC, seq DESC"
        )
        cur.execute("DELETE FROM derived_instances WHERE offering = 'Private label'")
        cur.execute("INSERT INTO derived_instances SELECT * FROM reversed")
        # Held in memory instead (an offering of few steps), they are sorted again too.
        held = derived_module._held_steps(cur, "Private label", ["case_index", "seq"])
        assert_frame_equal(held.collect(), stored.select("case_index", "seq"))
        with derived_module._steps_on_disk(cur, "Private label", ["case_index", "seq"]) as file:
            assert list(folder.glob(".steps-*.parquet")) == [file]
            # Read inside the transaction: its rows are the ones this cursor sees.
            steps = derived_module._step_scan(file, ["case_index", "seq"])
            assert_frame_equal(steps.collect(), stored.select("case_index", "seq"))
        assert not file.exists()
        cur.execute("ROLLBACK")
    finally:
        cur.close()
    assert_stored_is_fresh(wh)


def test_the_file_an_import_computed_its_figures_of_becomes_the_apps_step_file(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where an offering's figures are computed of its steps written to a file (too many
    steps to hold) and the app keeps step files already, that file becomes the step file
    of the new derivation once the change is committed: the app does not write the same
    rows again. Until then it is set aside under a name the step-file thread passes
    over; a change rolled back removes it. Where the app keeps none, nothing is left."""
    monkeypatch.setattr(derived_module, "REPORT_HELD_MAX_STEPS", 0)
    offerings = ["Custom formulation", "Private label", "tickets"]
    ingest(wh, event_file(list(range(0, len(POOL), 2))), "orders.csv")
    ingest(wh, BOARD, "tickets.csv")
    folder = derived_module.step_folder(wh)
    assert folder is not None and not folder.exists()
    assert not list(wh.path.parent.glob(".steps-*.parquet"))
    assert write_step_files(wh) == 3
    ingest(wh, event_file(list(range(1, len(POOL), 2))), "more.csv")
    assert not list(wh.path.parent.glob(".steps-*.parquet"))
    held = load_derivation(wh)
    scanned = load_stored(wh, in_memory_steps=0)
    assert [_sources(scanned.instances_of([o])) for o in offerings] == [(True, False)] * 3
    for o in offerings:
        assert_frame_equal(
            scanned.instances_of([o]).collect(),
            held.instances.filter(pl.col("offering") == o),
        )
    assert len(list(folder.glob("*.parquet"))) == 5  # the two derived again: new files
    assert write_step_files(wh) == 0  # nothing to write again; the two old files go
    assert sorted(p.name for p in folder.glob("*.parquet")) == sorted(
        derived_module._step_file(folder, o, s).name for o, s in current_stamps(wh).items()
    )
    assert_stored_is_fresh(wh)

    # A new case, its import failing after the figures: rolled back whole.
    stamps = current_stamps(wh)
    seen: list[tuple[int, int]] = []

    def fails(*args: Any) -> None:
        # Inside the change: its file is set aside, not yet a step file.
        seen.append((len(list(folder.glob("*.parquet"))), len(list(folder.glob(".*.kept")))))
        raise duckdb.IOException("the disk is full")

    monkeypatch.setattr(derived_module, "_write_report", fails)
    with pytest.raises(Exception, match="the disk is full"):
        ingest(wh, event_file(list(range(len(STEPS))), {"C0": "C7"}), "new.csv")
    assert seen == [(3, 1)]
    assert current_stamps(wh) == stamps
    assert len(list(folder.glob("*.parquet"))) == 3
    assert not list(folder.glob(".*.kept"))
    monkeypatch.undo()
    assert write_step_files(wh) == 0
    assert_stored_is_fresh(wh)


def _sources(steps: pl.LazyFrame) -> tuple[bool, bool]:
    """(reads a step file, scans the table) for a scan's plan."""
    plan = steps.explain()
    return "parquet" in plan.lower(), "stored steps" in plan


def test_step_files_serve_the_derivation_they_were_written_of(wh: Warehouse) -> None:
    """Where the steps are scanned, each offering's step file (written after its
    derivation) is read instead of the table, and gives the same rows; an import derives
    the offering again, whose steps are then scanned from the table until its new file is
    written, and the old file goes."""
    ingest(wh, event_file(list(range(0, len(POOL), 2))), "orders.csv")
    ingest(wh, BOARD, "tickets.csv")
    folder = derived_module.step_folder(wh)
    assert folder == wh.path.with_name("test.duckdb.steps")
    offerings = ["Custom formulation", "Private label", "tickets"]
    before = load_stored(wh, in_memory_steps=0)
    assert [_sources(before.instances_of([o])) for o in offerings] == [(False, True)] * 3
    assert write_step_files(wh) == 3
    assert len(list(folder.glob("*.parquet"))) == 3
    assert write_step_files(wh) == 0  # written once per derivation
    scanned, held = load_stored(wh, in_memory_steps=0), load_derivation(wh)
    assert [_sources(scanned.instances_of([o])) for o in offerings] == [(True, False)] * 3
    assert_frame_equal(scanned.instances.collect(), held.instances)
    for o in offerings:  # numbered as every offering's cases together
        assert_frame_equal(
            scanned.instances_of([o]).collect(),
            held.instances.filter(pl.col("offering") == o),
        )
    # More events of one offering: derived again, stamped anew.
    ingest(wh, event_file(list(range(1, len(POOL), 2))), "more.csv")
    again, held = load_stored(wh, in_memory_steps=0), load_derivation(wh)
    assert [_sources(again.instances_of([o])) for o in offerings] == [
        (False, True),
        (False, True),
        (True, False),
    ]
    assert_frame_equal(again.instances.collect(), held.instances)
    assert write_step_files(wh) == 2
    assert len(list(folder.glob("*.parquet"))) == 3  # the two old files are gone
    latest = load_stored(wh, in_memory_steps=0)
    assert [_sources(latest.instances_of([o])) for o in offerings] == [(True, False)] * 3
    assert_frame_equal(latest.instances.collect(), held.instances)
    assert_stored_is_fresh(wh)


def test_cases_read_as_slices_equal_those_numbered_row_by_row(wh: Warehouse) -> None:
    """Each offering's stored cases are read as two slices (those with steps, then those
    that are only an open item), renumbered without a sort: the derivation stores them
    in that order, and numbering every row and sorting gives the same frame."""
    ingest(wh, event_file(list(range(len(POOL)))), "orders.csv")
    ingest(wh, BOARD, "tickets.csv")  # T-3: only an open item
    offerings = ["Custom formulation", "Private label", "tickets"]
    cases, shifts = derived_module._read_cases(wh, offerings)
    parts = [
        wh.read("SELECT * FROM derived_cases WHERE offering = ?", [o])
        .cast(derived_module.CASE_SCHEMA)  # type: ignore[arg-type]
        .sort("case_index")
        for o in offerings
    ]
    stepped = [int((c["n_instances"] > 0).sum()) for c in parts]
    assert stepped == [6, 6, 2] and [c.height for c in parts] == [6, 6, 3]
    for part, n in zip(parts, stepped, strict=True):  # the order the read relies on
        assert (part["n_instances"].head(n) > 0).all() and (part["n_instances"][n:] == 0).all()
    # Numbered row by row: the cases with steps of every offering, then the open items.
    numbered, stepped_from, open_from = [], 0, sum(stepped)
    for part, n in zip(parts, stepped, strict=True):
        index = pl.col("case_index").cast(pl.Int64)
        numbered.append(
            part.with_columns(
                case_index=pl.when(pl.col("n_instances") > 0)
                .then(index + stepped_from)
                .otherwise(index - n + open_from)
                .cast(pl.UInt32)
            )
        )
        stepped_from, open_from = stepped_from + n, open_from + part.height - n
    assert_frame_equal(cases, pl.concat(numbered).sort("case_index"))
    assert shifts == {"Custom formulation": 0, "Private label": 6, "tickets": 12}
    assert cases["case_index"].to_list() == list(range(15))
    assert cases.filter(pl.col("n_instances") == 0)["case_id"].to_list() == ["T-3"]
