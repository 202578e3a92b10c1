"""A selection names exactly the cases behind a figure, and survives a trip through a link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from metrics.selection import PARAMS, Selection, select_cases
from metrics.variants import compact_variants
from tests.metrics.frames import at, cases_of, derive, events

# Offering O, hours after T0. Close ends a case (always last); B never does.
LOG_O = [
    ("a", "A", 0, 1),
    ("a", "B", 2, 3),
    ("a", "Close", 4, 5),  # completed, hours 0–5
    ("b", "A", 24, 25),
    ("b", "B", 26, 27),
    ("b", "A", 28, 29),
    ("b", "B", 30, 31),
    ("b", "Close", 32, 33),  # completed, hours 24–33, repeats A and B
    ("c", "A", 48, 49),
    ("c", "C", 50, 51),
    ("c", "Close", 52, 53),  # completed, hours 48–53
    ("d", "A", 72, 73),
    ("d", "B", 74, 75),  # open since hour 72
    ("e", "B", 96, 97),  # open since hour 96
    ("f", "A", 10, 11),
    ("f", "Close", 30, 31),  # completed, hours 10–31
]
# Another offering with a case of the same id: a selection never reaches across.
LOG_P = [("a", "A", 0, 1), ("a", "B", 1, 2), ("a", "Close", 2, 3)]


@pytest.fixture(scope="module", params=["text", "compact"])
def derived(request: pytest.FixtureRequest) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The cases as a report derives them, or as the app holds them (compact variants):
    every selection is the same of either."""
    instances = derive(pl.concat([events(LOG_O, "O"), events(LOG_P, "P")]))
    cases = cases_of(instances)
    return instances, (compact_variants(cases) if request.param == "compact" else cases)


def _ids(derived: tuple[pl.DataFrame, pl.DataFrame], **conditions: Any) -> list[str]:
    instances, cases = derived
    offering = conditions.pop("offering", "O")
    out = select_cases(instances.lazy(), cases.lazy(), Selection(offering, **conditions))
    frame = out.collect()
    assert frame["offering"].unique().to_list() in ([offering], [])
    return frame["case_id"].to_list()


def _span(lo: float, hi: float) -> tuple[datetime, datetime]:
    a, b = at(lo), at(hi)
    assert a is not None and b is not None
    return a, b


@pytest.mark.parametrize(
    ("conditions", "ids"),
    [
        ({}, ["a", "b", "c", "d", "e", "f"]),
        ({"offering": "P"}, ["a"]),
        ({"offering": "nobody"}, []),
        ({"completed": True}, ["a", "b", "c", "f"]),
        ({"completed": False}, ["d", "e"]),
        # Half-open spans: b starts exactly at hour 24, f ends exactly at hour 31.
        ({"started": _span(0, 24)}, ["a", "f"]),
        ({"started": _span(24, 97)}, ["b", "c", "d", "e"]),
        ({"ended": _span(5, 31)}, ["a"]),
        ({"ended": _span(5, 33.5)}, ["a", "b", "f"]),
        # An open case has not ended, whatever its last step's time.
        ({"ended": _span(70, 100)}, []),
        # In progress: started by then, not completed before (WIP's rule).
        ({"open_at": at(30)}, ["b", "f"]),
        ({"open_at": at(31)}, ["b"]),
        ({"open_at": at(72)}, ["d"]),
        ({"open_at": at(200)}, ["d", "e"]),
        ({"step": "C"}, ["c"]),
        ({"step": "B"}, ["a", "b", "d", "e"]),
        ({"step": "Nowhere"}, []),
        ({"step": "A", "to_step": "B"}, ["a", "b", "d"]),
        ({"step": "B", "to_step": "A"}, ["b"]),
        ({"step": "A", "to_step": "Close"}, ["f"]),
        ({"step": "C", "to_step": "A"}, []),
        ({"variant": ("A", "B", "Close")}, ["a"]),
        ({"variant": ("B",)}, ["e"]),
        ({"variant": ("A", "B")}, ["d"]),
        ({"variant": ("A",)}, []),
        ({"variant": ()}, []),
        ({"rework": True}, ["b"]),
        ({"rework": False}, ["a", "c", "d", "e", "f"]),
        ({"step": "A", "rework": True}, ["b"]),
        ({"step": "C", "rework": True}, []),
        # Did the step, exactly once.
        ({"step": "A", "rework": False}, ["a", "c", "d", "f"]),
        ({"step": "B", "rework": False}, ["a", "d", "e"]),
        ({"case_ids": ("e", "a", "zzz")}, ["a", "e"]),
        ({"case_ids": ()}, []),
    ],
)
def test_each_condition(derived, conditions, ids) -> None:
    assert _ids(derived, **conditions) == ids


@pytest.mark.parametrize(
    ("conditions", "ids"),
    [
        ({"completed": True, "step": "B"}, ["a", "b"]),
        ({"completed": False, "step": "A"}, ["d"]),
        ({"started": _span(0, 50), "rework": False}, ["a", "c", "f"]),
        ({"completed": True, "ended": _span(0, 40), "step": "A", "to_step": "B"}, ["a", "b"]),
        ({"open_at": at(30), "step": "B"}, ["b"]),
        ({"open_at": at(30), "completed": True}, ["b", "f"]),
        ({"variant": ("A", "B"), "completed": False}, ["d"]),
        ({"variant": ("A", "B"), "completed": True}, []),
        ({"case_ids": ("a", "b", "d"), "rework": False, "step": "B"}, ["a", "d"]),
        ({"offering": "P", "case_ids": ("a",), "completed": True, "step": "B"}, ["a"]),
        (
            {
                "completed": True,
                "started": _span(0, 30),
                "ended": _span(0, 40),
                "step": "A",
                "rework": False,
                "case_ids": ("a", "b", "f"),
            },
            ["a", "f"],
        ),
    ],
)
def test_conditions_combine(derived, conditions, ids) -> None:
    assert _ids(derived, **conditions) == ids


def test_a_time_in_another_zone_is_the_same_instant(derived) -> None:
    plus_two = timezone(timedelta(hours=2))
    lo, hi = _span(0, 24)
    moved = (lo.astimezone(plus_two), hi.astimezone(plus_two))
    assert _ids(derived, started=moved) == ["a", "f"]
    assert Selection("O", started=moved).started == (lo, hi)


FULL = Selection(
    "Custom formulation",
    completed=True,
    started=(datetime(2026, 10, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
    ended=(datetime(2026, 10, 2, 9, 30, tzinfo=UTC), datetime(2026, 11, 1, 0, 0, 1, tzinfo=UTC)),
    open_at=datetime(2026, 10, 31, 15, 0, 48, 462154, tzinfo=UTC),
    step="Sample approval",
    to_step="Production & QC",
    variant=("Quote", "Sample approval", "Production & QC"),
    case_ids=("CF-0001", "CF 0002/x&y=z", "cf-0003"),
)


@pytest.mark.parametrize(
    "sel",
    [
        Selection("O"),
        FULL,
        Selection("R&D / Labs?", completed=False, rework=False),
        Selection("O", step="Quote", rework=True),
        Selection("O", rework=False),
        Selection("O", variant=()),
        Selection("O", case_ids=()),
    ],
)
def test_params_round_trip(sel: Selection) -> None:
    params = sel.to_params()
    assert set(params) <= set(PARAMS)
    assert all(isinstance(v, str) for v in params.values())
    assert Selection.from_params(params) == sel
    # A link carries other parameters too (the sidebar's filters): they are ignored.
    assert Selection.from_params({**params, "period": "90d", "offering": "X"}) == sel


def test_params_are_plain_and_minimal() -> None:
    assert Selection("O").to_params() == {"p_offering": "O"}
    assert Selection("O", completed=False, step="B", rework=True).to_params() == {
        "p_offering": "O",
        "p_done": "0",
        "p_step": "B",
        "p_rework": "1",
    }
    assert Selection("O", started=_span(0, 24)).to_params()["p_started"] == (
        "2024-01-01T00:00:00+00:00/2024-01-02T00:00:00+00:00"
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"p_done": "1"},
        {"p_offering": ""},
        {"p_offering": "O", "p_done": "yes"},
        {"p_offering": "O", "p_rework": "true"},
        {"p_offering": "O", "p_started": "2024-01-01T00:00:00+00:00"},
        {"p_offering": "O", "p_started": "2024-01-01T00:00:00+00:00/"},
        {"p_offering": "O", "p_started": "yesterday/today"},
        # Without a zone the instant is unknown.
        {"p_offering": "O", "p_ended": "2024-01-01T00:00:00/2024-01-02T00:00:00"},
        {"p_offering": "O", "p_open_at": "2024-01-01"},
        {"p_offering": "O", "p_open_at": "2024-13-01T00:00:00+00:00"},
        # A span that ends before it starts.
        {"p_offering": "O", "p_started": "2024-01-02T00:00:00+00:00/2024-01-01T00:00:00+00:00"},
        # An arrow needs its first step.
        {"p_offering": "O", "p_to_step": "B"},
        # An arrow that is rework has no meaning here.
        {"p_offering": "O", "p_step": "A", "p_to_step": "B", "p_rework": "1"},
        # Open cases have not ended.
        {
            "p_offering": "O",
            "p_done": "0",
            "p_ended": "2024-01-01T00:00:00+00:00/2024-01-02T00:00:00+00:00",
        },
    ],
)
def test_malformed_params_give_none(params: dict[str, str]) -> None:
    assert Selection.from_params(params) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"offering": ""}, "offering"),
        ({"offering": "O", "to_step": "B"}, "to_step"),
        ({"offering": "O", "step": ""}, "step"),
        ({"offering": "O", "open_at": datetime(2024, 1, 1)}, "time zone"),
        ({"offering": "O", "started": (at(5), at(1))}, "ends before"),
        ({"offering": "O", "completed": False, "ended": _span(0, 1)}, "open cases"),
    ],
)
def test_contradictions_are_refused_where_they_are_made(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        Selection(**kwargs)


@pytest.mark.parametrize(
    ("sel", "text"),
    [
        (Selection("O"), "cases of O"),
        (Selection("O", completed=False), "open cases of O"),
        (
            Selection(
                "Custom formulation",
                completed=True,
                ended=(datetime(2026, 10, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
                step="Quote",
            ),
            "completed cases of Custom formulation that ended 2 to 31 Oct 2026 and went "
            "through Quote",
        ),
        (
            Selection(
                "O", started=(datetime(2026, 9, 5, tzinfo=UTC), datetime(2026, 9, 6, tzinfo=UTC))
            ),
            "cases of O that started on 5 Sep 2026",
        ),
        (
            Selection(
                "O", started=(datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC))
            ),
            "cases of O that started 1 Dec 2025 to 31 Jan 2026",
        ),
        (
            Selection(
                "O",
                started=(
                    datetime(2026, 9, 5, 8, 0, tzinfo=UTC),
                    datetime(2026, 9, 5, 17, 30, tzinfo=UTC),
                ),
            ),
            "cases of O that started 5 Sep 2026 08:00 to 5 Sep 2026 17:30 UTC",
        ),
        (
            Selection("O", open_at=datetime(2026, 10, 31, 15, 0, tzinfo=UTC), step="Quote"),
            "cases of O that were in progress at 31 Oct 2026 15:00 UTC and went through Quote",
        ),
        (
            Selection("O", step="A", to_step="B", rework=None, completed=True),
            "completed cases of O where A was directly followed by B",
        ),
        (Selection("O", step="A", rework=True), "cases of O that did A more than once"),
        (Selection("O", step="A", rework=False), "cases of O that did A exactly once"),
        (Selection("O", rework=True), "cases of O that repeated a step"),
        (Selection("O", rework=False), "cases of O that repeated no step"),
        (
            Selection("O", variant=("A", "B"), rework=False, completed=False),
            "open cases of O that repeated no step and whose steps were A → B",
        ),
        (Selection("O", variant=()), "cases of O that have no step yet"),
        (
            Selection("O", case_ids=("a", "b"), started=_span(0, 24), step="A"),
            "cases of O, 2 named ones, that started on 1 Jan 2024 and went through A",
        ),
        (
            Selection("O", started=_span(0, 24), ended=_span(0, 48), step="A", rework=True),
            "cases of O that started on 1 Jan 2024, ended 1 to 2 Jan 2024 and did A more than once",
        ),
    ],
)
def test_describe_in_plain_words(sel: Selection, text: str) -> None:
    assert sel.describe() == text


def test_the_cases_behind_the_demo_figures(demo_db) -> None:
    """A step's case count, its rework cases, an arrow's and a variant's: the list behind
    each has exactly that many cases (the same rule as the figure)."""
    from metrics.derived import derive_all
    from metrics.steps import steps
    from metrics.transitions import transitions
    from metrics.variants import variants
    from warehouse import Warehouse

    with Warehouse.open(demo_db) as wh:
        d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    instances, cases = d.instances.lazy(), d.cases.lazy()

    def count(sel: Selection) -> int:
        return select_cases(instances, cases, sel).collect().height

    offering = "Custom formulation"
    own = d.instances.filter(pl.col("offering") == offering)
    for row in steps(own.lazy()).collect().iter_rows(named=True):
        assert count(Selection(offering, step=row["activity"])) == row["cases"]
        assert count(Selection(offering, step=row["activity"], rework=True)) == row["rework_cases"]
        assert count(Selection(offering, step=row["activity"], rework=False)) == (
            row["cases"] - row["rework_cases"]
        )
    top = variants(d.cases.filter(pl.col("offering") == offering).lazy()).collect().head(5)
    for row in top.iter_rows(named=True):
        assert count(Selection(offering, variant=tuple(row["variant"]))) == row["cases"]
    arrows = transitions(own.lazy()).collect().sort("count", descending=True).head(5)
    for row in arrows.iter_rows(named=True):
        sel = Selection(offering, step=row["from_activity"], to_step=row["to_activity"])
        with_arrow = own.filter(
            (pl.col("prev_activity") == row["from_activity"])
            & (pl.col("activity") == row["to_activity"])
        )
        assert count(sel) == with_arrow["case_id"].n_unique() > 0


def test_first_and_last_step_name_the_process_maps_start_and_end_arrows(
    derived: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    from metrics.process_map import END, START, directly_follows

    instances, cases = derived
    own = cases.filter(pl.col("offering") == "O")
    own_instances = instances.filter(pl.col("offering") == "O")
    edges = directly_follows(own_instances.lazy(), own.lazy()).collect()
    ends = edges.filter((pl.col("from_activity") == START) | (pl.col("to_activity") == END))
    assert ends.height >= 3
    for row in ends.iter_rows(named=True):
        if row["from_activity"] == START:
            sel = Selection("O", first_step=row["to_activity"])
        else:
            sel = Selection("O", completed=True, last_step=row["from_activity"])
        found = select_cases(instances.lazy(), cases.lazy(), sel).collect()
        assert found.height == row["cases"], row
        assert Selection.from_params(sel.to_params()) == sel
    assert _ids(derived, first_step="B") == ["e"]
    assert _ids(derived, last_step="B") == ["d", "e"]
