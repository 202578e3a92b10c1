"""The Cases and Case pages in AppTest: the list behind a figure is exactly its cases, a
row opens its case, a case tells where it is now, and a typed case id finds that case."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from metrics.case_detail import case_list
from metrics.derived import Derived, derive_all
from metrics.selection import Selection, select_cases
from pipelines.ingest import ingest
from tests.ui.apptest import no_exceptions, run_app
from tests.warehouse.test_open_items import LATER
from ui.cases_screen import MAX_CASE_WIDTH, WIDTHS, case_width, list_table
from ui.tables import CELL_PADDING, CHAR_PX, PAGE_WIDTH, ROW_PICKER
from warehouse import Warehouse

CASES = "app_pages/cases.py"
CASE = "app_pages/case.py"
CF = "Custom formulation"


@pytest.fixture(scope="module")
def demo(demo_db: Path) -> Derived:
    with Warehouse.open(demo_db) as wh:
        return derive_all(wh.events(), wh.catalog(), wh.open_items())


def _open(db: Path, page: str, params: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = run_app(db, None, monkeypatch)
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    no_exceptions(at)
    return at


def _table(at: AppTest) -> pl.DataFrame:
    return pl.from_pandas(next(df for df in at.dataframe if df.key == "cases_table").value)


def _frames(at: AppTest, column: str) -> list[object]:
    """The tables that have `column` (only widgets carry their key in AppTest)."""
    return [df.value for df in at.dataframe if column in df.value.columns]


def _expected(d: Derived, sel: Selection) -> list[str]:
    return sorted(select_cases(d.instances.lazy(), d.cases.lazy(), sel).collect()["case_id"])


def _params(at: AppTest) -> dict[str, str]:
    """The page's query parameters (AppTest holds a value or a list of them)."""
    return {k: v if isinstance(v, str) else v[-1] for k, v in at.query_params.items()}


def _links(at: AppTest) -> list[tuple[str, dict[str, list[str]]]]:
    return [(p.proto.label, parse_qs(p.proto.query_string)) for p in at.get("page_link")]


@pytest.mark.parametrize(
    "sel",
    [
        Selection(
            CF,
            completed=True,
            ended=(datetime(2026, 10, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
        ),
        Selection("Reverse engineering", step="Trial batch", rework=True),
        Selection(CF, open_at=datetime(2026, 6, 1, tzinfo=UTC), step="Sample approval"),
        Selection("Private label fulfillment", step="Label approval", to_step="Materials"),
    ],
)
def test_a_link_lists_exactly_the_cases_of_its_selection(
    demo_copy: Path, demo: Derived, sel: Selection, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(demo_copy, CASES, sel.to_params(), monkeypatch)
    ids = _expected(demo, sel)
    assert ids, "the selection should name some cases of the demo"
    table = _table(at)
    assert sorted(table["Case"]) == ids
    headline = next(m.value for m in at.markdown if "case" in m.value and "**" in m.value)
    assert headline.startswith(f"**{len(ids):,} cases**: the ")
    # The link is kept as it came, so the page can be shared; no picker replaces it.
    assert _params(at) == sel.to_params()
    assert not at.selectbox
    assert ("Every case of " + sel.offering, {"p_offering": [sel.offering]}) in _links(at)


def test_the_list_in_one_unit_with_no_raw_none(
    demo_copy: Path, demo: Derived, monkeypatch: pytest.MonkeyPatch
) -> None:
    sel = Selection(CF, open_at=datetime(2026, 10, 15, tzinfo=UTC))
    at = _open(demo_copy, CASES, sel.to_params(), monkeypatch)
    table = _table(at)
    assert table.columns == [
        "Case",
        "Started",
        "Ended",
        "Lead time or age (d)",
        "Waiting (d)",
        "Flow efficiency (%)",
        "Where it is now",
        "For (d)",
        "Steps done",
        "Rework",
    ]
    cases = demo.cases.filter(pl.col("case_id").is_in(table["Case"].to_list()))
    still_open = cases.filter(~pl.col("completed"))
    # Open cases: "open" instead of an end, their age to the offering's latest event.
    latest = demo.cases.filter(pl.col("offering") == CF)["last_end"].max()
    oldest = still_open.sort("first_start").row(0, named=True)
    row = table.filter(pl.col("Case") == oldest["case_id"]).row(0, named=True)
    assert row["Ended"] == "open"
    age = (latest - oldest["first_start"]).total_seconds() / 86400  # type: ignore[operator]
    assert row["Lead time or age (d)"] == round(age, 1)
    assert row["Where it is now"] == f"waiting after {oldest['current_step']}"
    # Completed cases: their lead time, the end as a date that sorts as text.
    done = cases.filter(pl.col("completed")).row(0, named=True)
    row = table.filter(pl.col("Case") == done["case_id"]).row(0, named=True)
    assert row["Ended"] == done["last_end"].strftime("%Y-%m-%d %H:%M")
    assert row["Lead time or age (d)"] == round(done["lead_time_s"] / 86400, 1)
    assert row["Where it is now"] == "completed" and row["For (d)"] is None
    assert "None" not in table.select(pl.col(pl.String)).to_pandas().to_string()
    # Longest first.
    assert table["Lead time or age (d)"].to_list() == sorted(
        table["Lead time or age (d)"].to_list(), reverse=True
    )
    assert any("sidebar's filters do not apply here" in c.value for c in at.caption)


def test_a_long_list_shows_its_longest_cases_with_the_columns_of_the_whole_list(
    demo_copy: Path, demo: Derived, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the rows shown are written out on a run; the CSV writes every row when asked.
    The rows shown have the whole list's columns, even where every one of them is
    completed and the time an open case has been where it is now would not apply."""
    sel = Selection(CF, open_at=datetime(2026, 10, 15, tzinfo=UTC))
    whole = _table(_open(demo_copy, CASES, sel.to_params(), monkeypatch))
    monkeypatch.setattr("ui.cases_screen.MAX_ROWS", 3)
    at = _open(demo_copy, CASES, sel.to_params(), monkeypatch)
    assert_frame_equal(_table(at), whole.head(3))
    assert any(
        f"Showing the 3 longest of the {whole.height:,} cases; the CSV holds all of them."
        == c.value
        for c in at.caption
    ), [c.value for c in at.caption]

    chosen = select_cases(demo.instances.lazy(), demo.cases.lazy(), sel)
    latest = demo.cases.filter(pl.col("offering") == CF)["last_end"].max()
    listed = case_list(chosen, latest, clock=demo.clock).collect()  # type: ignore[arg-type]
    listed = listed.sort("completed", descending=True)  # the completed ones first
    assert listed["completed"].head(2).all() and not listed["completed"].all()
    every = list_table(listed, "days")
    assert "For (d)" in every.columns
    assert_frame_equal(list_table(listed, "days", rows=2), every.head(2))


def test_without_a_link_a_picker_chooses_the_offering_and_open_or_completed(
    demo_copy: Path, demo: Derived, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(demo_copy, CASES, {}, monkeypatch)
    assert at.selectbox(key="cases_offering").value == CF
    assert sorted(_table(at)["Case"]) == _expected(demo, Selection(CF))
    at.selectbox(key="cases_offering").set_value("Reverse engineering").run()
    at.segmented_control(key="cases_set").set_value("Open").run()
    no_exceptions(at)
    sel = Selection("Reverse engineering", completed=False)
    assert sorted(_table(at)["Case"]) == _expected(demo, sel)
    assert _params(at)["p_done"] == "0"
    assert _params(at)["p_offering"] == "Reverse engineering"
    assert _table(at).columns[3] == "Age (d)"


@pytest.mark.parametrize(
    ("params", "warning"),
    [
        ({"p_offering": CF, "p_done": "yes"}, "could not be read"),
        ({"p_offering": CF, "p_started": "2026-01-01/2026-02-01"}, "could not be read"),
        ({"p_offering": "Nobody", "p_step": "Quote"}, "no offering named Nobody"),
    ],
)
def test_a_malformed_link_says_so_and_offers_the_picker(
    demo_copy: Path, params: dict[str, str], warning: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(demo_copy, CASES, params, monkeypatch)
    assert any(warning in w.value for w in at.warning)
    assert at.selectbox(key="cases_offering").value == CF
    assert _table(at).height == 1_196


def test_a_click_on_a_row_opens_that_case(
    demo_copy: Path, demo: Derived, monkeypatch: pytest.MonkeyPatch
) -> None:
    sel = Selection("Reverse engineering", step="Trial batch", rework=True)
    at = _open(demo_copy, CASES, sel.to_params(), monkeypatch)
    clicked = _table(at)["Case"][2]
    at.session_state["cases_table"] = {"selection": {"rows": [2], "columns": [], "cells": []}}
    at.run()
    no_exceptions(at)
    assert at.title[0].value == f"Case {clicked}"
    assert _params(at)["p_case"] == clicked
    assert _params(at)["p_offering"] == "Reverse engineering"


def test_a_completed_case_its_steps_and_the_cases_that_follow_its_path(
    demo_copy: Path, demo: Derived, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = demo.cases.filter((pl.col("offering") == CF) & (pl.col("case_id") == "CF-0100"))
    row = case.row(0, named=True)
    at = _open(demo_copy, CASE, {"p_offering": CF, "p_case": "CF-0100"}, monkeypatch)
    assert at.title[0].value == "Case CF-0100"
    headline = at.markdown[0].value
    assert headline.startswith(
        f"**Completed** on {row['last_end'].day} {row['last_end']:%b %Y %H:%M} UTC after "
        f"**{row['lead_time_s'] / 86400:.1f} d** (its lead time), in {row['n_instances']} steps."
    )
    steps = _frames(at, "Resource")[0]
    own = demo.instances.filter((pl.col("offering") == CF) & (pl.col("case_id") == "CF-0100"))
    assert steps["Step"].tolist() == own["activity"].to_list()
    assert steps["Resource"].tolist() == own["resource"].to_list()
    assert steps["Rework"].tolist() == own["is_rework"].to_list()
    attrs = _frames(at, "Attribute")[0]
    assert attrs["Attribute"].tolist() == ["customer", "order_size", "product_family"]
    same = select_cases(
        demo.instances.lazy(), demo.cases.lazy(), Selection(CF, variant=tuple(row["variant"]))
    ).collect()
    assert any(f"**{same.height - 1:,} other cases** of" in m.value for m in at.markdown)
    label = f"Open the {same.height:,} cases that follow these steps"
    link = dict(_links(at))[label]
    assert Selection.from_params({k: v[0] for k, v in link.items()}) == Selection(
        CF, variant=tuple(row["variant"])
    )
    assert ("Value stream map", {"p_offering": [CF]}) in _links(at)
    assert len(at.get("vega_lite_chart")) == 1


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    """A status history: T-1 and T-2 done, T-3 in In Progress, T-4 Blocked from the start."""
    db = tmp_path / "tickets.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, LATER, "tickets.csv")
    return db


@pytest.mark.parametrize(
    ("case_id", "headline", "steps"),
    [
        (
            "T-3",
            "**Open**: in “In Progress” since 6 Jun 2025 09:00 UTC (3.0 h). Started "
            "5 Jun 2025 11:00 UTC, **25.0 h** ago",
            ["To Do"],
        ),
        (
            "T-4",
            "**Open**: waiting in “Blocked” since 6 Jun 2025 10:00 UTC (2.0 h). Started "
            "6 Jun 2025 10:00 UTC, **2.0 h** ago",
            None,
        ),
        (
            "T-2",
            "**Completed** on 6 Jun 2025 12:00 UTC after **4.1 d** (its lead time), in 3 "
            "steps. It waited 3.0 d of that: flow efficiency 27%.",
            ["To Do", "In Progress", "Done"],
        ),
    ],
)
def test_where_a_status_history_case_is_now(
    tickets: Path, case_id: str, headline: str, steps: list[str] | None, monkeypatch
) -> None:
    at = _open(tickets, CASE, {"p_offering": "tickets", "p_case": case_id}, monkeypatch)
    assert at.markdown[0].value.startswith(headline)
    table = _frames(at, "Resource")
    if steps is None:
        assert not table
        assert any("no finished step yet" in i.value for i in at.info)
    else:
        assert table[0]["Step"].tolist() == steps  # type: ignore[index]
    if case_id == "T-3":
        metrics = {m.label: m.value for m in at.metric}
        # 22 h in To Do (waiting), then 3 h in progress up to the latest event.
        assert metrics == {
            "Age": "25.0 h",
            "Waiting so far": "22.0 h",
            "Flow efficiency so far": "12%",
            "Steps": "1",
        }


def test_an_id_without_its_offering_is_found_in_every_offering(
    tickets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(tickets, CASE, {"p_case": "T-2"}, monkeypatch)
    assert at.title[0].value == "Case T-2"
    assert _params(at)["p_offering"] == "tickets"


def test_an_unknown_case_offers_only_ids_that_contain_or_resemble_it(
    tickets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open(tickets, CASE, {"p_offering": "tickets", "p_case": "T-"}, monkeypatch)
    assert at.title[0].value == "Case not found"
    assert "There is no case T- in tickets." in at.error[0].value
    assert [label for label, _ in _links(at)] == [
        "T-1 (tickets)",
        "T-2 (tickets)",
        "T-3 (tickets)",
        "T-4 (tickets)",
    ]
    at = _open(tickets, CASE, {"p_offering": "tickets", "p_case": "ORD-9"}, monkeypatch)
    assert not _links(at)
    assert any("No case id contains ORD-9 or looks like it" in m.value for m in at.markdown)


def test_typing_a_case_id_in_the_sidebar_opens_it(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, "app_pages/waits.py", monkeypatch)
    at.text_input(key="case_search").input("0001").run()
    no_exceptions(at)
    assert at.title[0].value == "Waits"
    assert any("3 case ids contain “0001”" in c.value for c in at.sidebar.caption)
    assert [label for label, _ in _links(at)] == [
        "CF-0001 · Custom formulation",
        "PL-0001 · Private label fulfillment",
        "RE-0001 · Reverse engineering",
    ]
    at.text_input(key="case_search").input("pl-0002").run()
    no_exceptions(at)
    assert at.title[0].value == "Case PL-0002"
    assert _params(at)["p_offering"] == "Private label fulfillment"
    # The box is emptied, so the next page does not open the case again.
    assert at.text_input(key="case_search").value == ""
    at.text_input(key="case_search").input("zz-9").run()
    assert any("No case id contains “zz-9”" in c.value for c in at.sidebar.caption)


def test_both_pages_on_an_empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for page in (CASES, CASE):
        at = _open(tmp_path / "empty.duckdb", page, {}, monkeypatch)
        assert any("There is no data yet" in i.value for i in at.info)


def _column_config(at: AppTest, key: str) -> dict[str, dict[str, object]]:
    table = next(df for df in at.dataframe if df.key == key)
    return json.loads(table.proto.columns)  # type: ignore[no-any-return]


def test_every_column_of_the_list_fits_a_1440_px_window_and_says_what_it_is(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for done, duration in [(None, "Lead time or age (d)"), (True, "Lead time (d)")]:
        sel = Selection(CF, completed=done)
        at = _open(demo_copy, CASES, sel.to_params(), monkeypatch)
        shown = _table(at).columns
        config = _column_config(at, "cases_table")
        assert shown[3] == duration
        # Every column has a width, and with the row picker they fit the page at 1440 px.
        widths = [int(config[c]["width"]) for c in shown]  # type: ignore[call-overload]
        assert sum(widths) + ROW_PICKER <= PAGE_WIDTH
        # Short headers on screen, the full name in the column's help (the CSV keeps it).
        assert config["Steps done"]["label"] == "Steps"
        assert str(config["Steps done"]["help"]).startswith("**Steps done**")
        assert config["Flow efficiency (%)"]["label"] == "Flow eff. (%)"
        assert str(config[duration]["help"]).startswith(f"**{duration[:-4]}** (days)")
        assert "Rework" in shown and "Where it is now" in shown
        # The demo's ids (`CF-0001`, 7 characters) in the column's own width.
        longest = _table(at)["Case"].str.len_chars().max()
        assert (int(config["Case"]["width"]), longest) == (84, 7)
        assert longest * CHAR_PX + CELL_PADDING <= 84


def test_the_case_column_is_as_wide_as_its_longest_id_up_to_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = pl.Series(["CF-2025-210600", "CF-2025-9"])  # 14 characters: 14 × 7.6 + 18 px
    assert case_width(ids) == 125
    # On the page, "Where it is now" gives up what the case column takes.
    db = tmp_path / "long.duckdb"
    rows = [
        f"{case},Quote,2025-06-0{day} 09:00,2025-06-0{day} 10:00"
        for day, case in ((2, "CF-2025-210600"), (3, "CF-2025-9"))
    ]
    with Warehouse.open(db) as wh:
        ingest(wh, ("case,activity,start,end\n" + "\n".join(rows) + "\n").encode(), "o.csv")
        offering = wh.offerings()[0]
    at = _open(db, CASES, Selection(offering).to_params(), monkeypatch)
    config = _column_config(at, "cases_table")
    widths = {c: int(config[c]["width"]) for c in _table(at).columns}  # type: ignore[call-overload]
    assert widths["Case"] == 125
    assert sum(widths.values()) + ROW_PICKER == PAGE_WIDTH - 4
    assert case_width(pl.Series(["T-1", "T-22"])) == WIDTHS["Case"] == 84
    assert case_width(pl.Series(["octo-org/octo-repo#123456"])) == MAX_CASE_WIDTH == 150
    assert case_width(pl.Series([], dtype=pl.String)) == 84
