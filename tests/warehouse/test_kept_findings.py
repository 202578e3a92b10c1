"""Findings kept beside the stored derivation serve only the data they were found in.

Looking for an offering's findings reads every step; the list found is kept in the
warehouse (warehouse.kept_findings) so a restart need not look again. After any
sequence of imports, undos, catalog edits, calendars and recorded changes, a kept list
is either the one a fresh search of the same data gives, or none at all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from metrics.findings import (
    Finding,
    OfferingFindings,
    evidence_frame,
    finding_cases,
    offering_findings,
)
from pipelines.ingest import ImportOptions, import_job, ingest, prepare
from tests.warehouse.test_derived_tables import CALENDAR
from tests.warehouse.test_findings import orders_csv
from warehouse import Warehouse, WarehouseError
from warehouse import kept_findings as kept_module
from warehouse.access import Actor
from warehouse.calendars import save_calendar
from warehouse.catalog import set_activity
from warehouse.derived import load_derivation, stored_figure, stored_figure_names
from warehouse.experiments import create_experiment
from warehouse.inbox import submit
from warehouse.kept_findings import (
    as_dates,
    changes_of,
    derived_stamp,
    find_missing,
    keep_findings,
    kept_behind,
    kept_findings,
    kept_front,
)
from warehouse.schema import row_key

ADMIN = Actor("cli", "admin")
OPTIONS = ImportOptions(offering="Orders")


def fresh_search(wh: Warehouse, offering: str) -> OfferingFindings:
    """What the app finds in the data as it is now (its in-memory path)."""
    d = load_derivation(wh)
    return offering_findings(
        d.instances,
        d.cases,
        wh.attribute_rows([offering], resource=False),
        wh.catalog(),
        offering,
        changes=as_dates(changes_of(wh, offering)),
    )


def fresh(wh: Warehouse, offering: str) -> list[Finding]:
    return fresh_search(wh, offering).findings


def assert_kept_is_fresh_or_none(wh: Warehouse) -> int:
    """Every kept list equals a fresh search, and so does what is kept behind each of
    its findings (the Findings page's cases and chart); returns how many offerings have
    a kept list."""
    n = 0
    for offering in wh.offerings():
        changes = changes_of(wh, offering)
        kept = kept_findings(wh, offering, changes)
        if kept is not None:
            of = fresh_search(wh, offering)
            assert kept == of.findings, offering
            for f in kept:
                behind = kept_behind(wh, offering, changes, f.id)
                front = kept_front(wh, offering, changes, f.id)
                assert (front is None) == (behind is None), (offering, f.id)
                if behind is not None and front is not None:
                    cases = finding_cases(of, f)
                    assert_frame_equal(behind[0], cases)
                    assert_frame_equal(behind[1], evidence_frame(of, f))
                    # The card's front: its chart, and the rows and cases behind it.
                    assert_frame_equal(front.chart, behind[1])
                    assert (front.rows, front.cases) == (
                        cases.height,
                        cases["case_id"].n_unique(),
                    )
            n += 1
    return n


def _submitted(tmp_path: Path) -> Path:
    """A warehouse in `tmp_path` that 30 orders were imported into from the command line."""
    db = tmp_path / "w.duckdb"
    source = tmp_path / "orders.csv"
    source.write_bytes(orders_csv(0, 30, 30))
    submit(db, import_job(prepare(source, options=OPTIONS)), ADMIN)
    return db


def test_a_command_line_import_keeps_the_findings_it_leaves_behind(tmp_path: Path) -> None:
    db = _submitted(tmp_path)
    with Warehouse.open(db) as wh:
        kept = kept_findings(wh, "Orders", ())
        assert kept is not None
        assert kept == fresh(wh, "Orders")
        assert "bottleneck" in {f.kind for f in kept}
        # What lies behind each is kept with them, as the page would compute it.
        assert all(kept_behind(wh, "Orders", (), f.id) is not None for f in kept)
        assert assert_kept_is_fresh_or_none(wh) == 1
        cases, chart = kept_behind(wh, "Orders", (), kept[0].id) or (None, None)
        assert cases is not None and cases.height > 0 and chart is not None
        front = kept_front(wh, "Orders", (), kept[0].id)
        assert front is not None and front.cases == cases["case_id"].n_unique() > 0
        # Another recorded change: neither the list nor what lies behind it serves.
        other = (("2026-02-04T00:00:00+00:00", "x"),)
        assert kept_behind(wh, "Orders", other, kept[0].id) is None
        assert kept_front(wh, "Orders", other, kept[0].id) is None


def test_a_change_to_the_data_or_the_recorded_changes_is_not_served_old_findings(
    wh: Warehouse,
) -> None:
    ingest(wh, orders_csv(0, 30, 30), "a.csv", OPTIONS)
    assert find_missing(wh) == ["Orders"]
    assert find_missing(wh) == []  # kept: not looked for again
    before = kept_findings(wh, "Orders", ())
    assert before is not None and before == fresh(wh, "Orders")
    # New data: the old list names another derivation.
    ingest(wh, orders_csv(30, 30, 60), "b.csv", OPTIONS)
    assert kept_findings(wh, "Orders", ()) is None
    assert find_missing(wh) == ["Orders"]
    after = kept_findings(wh, "Orders", ())
    assert after == fresh(wh, "Orders") and after != before
    # A recorded change: the kept list was found without it.
    create_experiment(
        wh, name="Faster review", offering="Orders", changed_at=datetime(2026, 2, 4, tzinfo=UTC)
    )
    changes = changes_of(wh, "Orders")
    assert changes == (("2026-02-04T00:00:00+00:00", "Faster review"),)
    assert kept_findings(wh, "Orders", changes) is None
    assert find_missing(wh) == ["Orders"]
    assert kept_findings(wh, "Orders", changes) == fresh(wh, "Orders")


def test_findings_of_a_derivation_replaced_meanwhile_are_not_kept(wh: Warehouse) -> None:
    """The app reads the derivation's stamp before it looks: an import that lands while
    it looks makes what it found belong to old data."""
    ingest(wh, orders_csv(0, 30, 30), "a.csv", OPTIONS)
    stamp = derived_stamp(wh, "Orders")
    assert stamp is not None
    found = fresh(wh, "Orders")
    ingest(wh, orders_csv(30, 5, 30), "b.csv", OPTIONS)
    assert not keep_findings(wh, "Orders", stamp, (), found)
    assert kept_findings(wh, "Orders", ()) is None


def test_another_release_looks_again(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(wh, orders_csv(0, 30, 30), "a.csv", OPTIONS)
    find_missing(wh)
    monkeypatch.setattr(kept_module, "FINDINGS_VERSION", "another")
    assert kept_findings(wh, "Orders", ()) is None
    assert find_missing(wh) == ["Orders"]
    assert kept_findings(wh, "Orders", ()) == fresh(wh, "Orders")


def test_a_kept_list_names_the_limit_only_beyond_it(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the limit an offering is looked through whole, so its list serves any limit
    it is within (a command-line import and the app may run under different ones);
    beyond it the limit decides which cases were looked through: another looks again."""
    ingest(wh, orders_csv(0, 30, 30), "a.csv", OPTIONS)  # 90 steps
    assert find_missing(wh) == ["Orders"]
    kept = kept_findings(wh, "Orders", ())
    assert kept is not None
    monkeypatch.setenv("VSM_FINDINGS_MAX_STEPS", "1000")
    assert kept_findings(wh, "Orders", ()) == kept
    monkeypatch.setenv("VSM_FINDINGS_MAX_STEPS", "89")
    assert kept_findings(wh, "Orders", ()) is None
    stamp = derived_stamp(wh, "Orders")
    assert stamp is not None and keep_findings(wh, "Orders", stamp, (), kept[:1])
    assert kept_findings(wh, "Orders", ()) == kept[:1]
    monkeypatch.setenv("VSM_FINDINGS_MAX_STEPS", "88")
    assert kept_findings(wh, "Orders", ()) is None
    monkeypatch.delenv("VSM_FINDINGS_MAX_STEPS")
    assert kept_findings(wh, "Orders", ()) is None  # kept under 89 last


def test_an_offering_over_the_limit_is_not_looked_through(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(wh, orders_csv(0, 30, 30), "a.csv", OPTIONS)  # 90 steps
    assert find_missing(wh, max_steps=89) == []
    monkeypatch.setenv("VSM_FINDINGS_MAX_STEPS", "89")
    assert find_missing(wh) == []
    assert kept_findings(wh, "Orders", ()) is None
    assert find_missing(wh, max_steps=90) == ["Orders"]


def test_a_file_that_cannot_be_written_keeps_nothing_and_says_so(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(wh, orders_csv(0, 30, 30), "a.csv", OPTIONS)
    stamp = derived_stamp(wh, "Orders")
    assert stamp is not None

    @contextlib.contextmanager
    def refused() -> Iterator[None]:
        raise duckdb.IOException("Cannot open file: read-only file system")
        yield

    monkeypatch.setattr(wh, "transaction", refused)
    found = fresh(wh, "Orders")
    # What the module logs, whatever another test made of the logging configuration
    # (one that configures logging anew disables the loggers that existed).
    said: list[str] = []
    monkeypatch.setattr(kept_module.log, "warning", lambda msg, *args: said.append(msg % args))
    assert not keep_findings(wh, "Orders", stamp, (), found)
    assert kept_findings(wh, "Orders", ()) is None
    assert said and said[0].startswith("cannot keep the findings of Orders in ")
    assert "read-only file system" in said[0]


ORDERS = [orders_csv(k * 12, 12, 6 + 30 * k) for k in range(4)]
step = st.one_of(
    st.tuples(st.just("import"), st.integers(0, len(ORDERS) - 1)),
    st.tuples(st.just("undo"), st.integers(0, 5)),
    st.tuples(
        st.just("catalog"),
        st.sampled_from(["Quote", "Review", "Ship"]),
        st.sampled_from(["value-adding", "waste", "unclassified"]),
    ),
    st.tuples(st.just("calendar"), st.booleans()),
    st.tuples(st.just("change"), st.integers(0, 60)),
    st.tuples(st.just("find")),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=2, max_size=6))
def test_kept_findings_are_those_of_the_data_after_any_changes(steps: list[tuple]) -> None:
    with Warehouse.open(":memory:") as wh:
        ingest(wh, ORDERS[0], "orders-0.csv", OPTIONS)
        for n, (kind, *args) in enumerate(steps):
            if kind == "import":
                ingest(wh, ORDERS[args[0]], f"orders-{n}.csv", OPTIONS)
            elif kind == "undo":
                live = wh.imports().filter(pl.col("undone_at").is_null())["id"].to_list()
                with contextlib.suppress(WarehouseError):
                    if live:
                        wh.undo_import(live[args[0] % len(live)])
            elif kind == "catalog":
                if args[0] in wh.catalog("Orders")["activity"].to_list():
                    set_activity(wh, "Orders", args[0], value_class=args[1])
            elif kind == "calendar":
                save_calendar(wh, "Orders", CALENDAR, on=args[0])
            elif kind == "change":
                day = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(days=args[0])
                create_experiment(wh, name=f"Change {n}", offering="Orders", changed_at=day)
            else:
                find_missing(wh)
                assert assert_kept_is_fresh_or_none(wh) == len(wh.offerings())
            assert_kept_is_fresh_or_none(wh)


def test_a_warehouse_of_schema_18_keeps_its_figures_and_finding_frames(tmp_path: Path) -> None:
    """Migration 19 gives the stored figures and finding frames a key of one column: what
    was stored before it reads the same after."""
    db = _submitted(tmp_path)
    with Warehouse.open(db) as wh:
        kept = kept_findings(wh, "Orders", ())
        assert kept
        names = stored_figure_names(wh, "Orders")
        assert {"value_stream", "steps", "waits_by_step"} <= names
        figures = {name: repr(stored_figure(wh, "Orders", name)) for name in names}
        behind = {f.id: kept_behind(wh, "Orders", (), f.id) for f in kept}
        fronts = {f.id: kept_front(wh, "Orders", (), f.id) for f in kept}
        assert all(b is not None for b in behind.values())
        # The tables as schema 18 had them: keyed by two columns.
        for statement in (
            "CREATE TABLE old_figures AS SELECT offering, name, figure, rest FROM derived_figures",
            "DROP TABLE derived_figures",
            "CREATE TABLE derived_figures (offering VARCHAR NOT NULL, name VARCHAR NOT NULL, "
            "figure BLOB NOT NULL, rest VARCHAR, PRIMARY KEY (offering, name))",
            "INSERT INTO derived_figures SELECT * FROM old_figures",
            "DROP TABLE old_figures",
            "CREATE TABLE old_frames AS SELECT offering, finding_id, cases, chart, case_rows, "
            "case_count FROM derived_finding_frames",
            "DROP TABLE derived_finding_frames",
            "CREATE TABLE derived_finding_frames (offering VARCHAR NOT NULL, finding_id VARCHAR "
            "NOT NULL, cases BLOB NOT NULL, chart BLOB NOT NULL, case_rows BIGINT, "
            "case_count BIGINT, PRIMARY KEY (offering, finding_id))",
            "INSERT INTO derived_finding_frames SELECT * FROM old_frames",
            "DROP TABLE old_frames",
            "DELETE FROM schema_version WHERE version = 19",
        ):
            wh._con.execute(statement)
        assert wh.schema_version() == 18
    with Warehouse.open(db) as wh:
        assert wh.schema_version() == 19
        assert stored_figure_names(wh, "Orders") == names
        assert {n: repr(stored_figure(wh, "Orders", n)) for n in names} == figures
        for f in kept:
            after = kept_behind(wh, "Orders", (), f.id)
            assert after is not None
            assert_frame_equal(after[0], behind[f.id][0])
            assert_frame_equal(after[1], behind[f.id][1])
            front, before = kept_front(wh, "Orders", (), f.id), fronts[f.id]
            assert front is not None and before is not None
            assert (front.rows, front.cases) == (before.rows, before.cases)
            assert_frame_equal(front.chart, before.chart)
        keys = wh._con.execute("SELECT figure_key, offering, name FROM derived_figures").fetchall()
        assert all(key == row_key(name, offering) for key, offering, name in keys)
        # The blobs, Parquet files, are not compressed again: a row is read alone.
        wh._con.execute("CHECKPOINT")
        stored_as = [
            row
            for table in ("derived_figures", "derived_finding_frames")
            for row in wh._con.execute(
                "SELECT DISTINCT column_name, compression FROM pragma_storage_info(?) "
                "WHERE segment_type = 'BLOB'",
                [table],
            ).fetchall()
        ]
        assert sorted(stored_as) == [
            ("cases", "Uncompressed"),
            ("chart", "Uncompressed"),
            ("figure", "Uncompressed"),
        ]
        # Of another offering, or a name of none: nothing.
        assert stored_figure(wh, "Other", "steps") is None
        assert kept_behind(wh, "Other", (), kept[0].id) is None
