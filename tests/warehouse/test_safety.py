"""What the warehouse refuses on its own: catalog saves over someone else's, times outside
the sane range, more steps or longer cases than a page can show, a reused experiment id,
a file it cannot open; and a failed write that tells in one sentence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from model.limits import MAX_ACTIVITIES_PER_OFFERING, MAX_EVENTS_PER_CASE
from warehouse import Warehouse, WarehouseError
from warehouse.db import CatalogConflict
from warehouse.experiments import create_experiment, delete_experiment, get_experiment
from warehouse.schema import MIGRATIONS

NO_REJECTS = pl.DataFrame(schema={"source_row": pl.Int64, "reason": pl.String, "raw": pl.String})


def _instances(rows: list[tuple[str, str, str, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "offering": pl.String,
            "case_id": pl.String,
            "activity": pl.String,
            "end": pl.Datetime("us", "UTC"),
        },
        orient="row",
    ).with_columns(
        pl.lit(None, pl.Datetime("us", "UTC")).alias("start"),
        pl.lit(None, pl.String).alias("resource"),
        pl.lit("{}").alias("attributes"),
        pl.int_range(2, pl.len() + 2).alias("source_row"),
    )


def _store(wh: Warehouse, frame: pl.DataFrame, sha: str = "x") -> int:
    return wh.store_import(
        file_name="f.csv",
        sha256=sha,
        format="csv",
        mapping={},
        options={},
        rows_read=frame.height,
        instances=frame,
        rejects=NO_REJECTS,
    ).import_id


def _day(d: int) -> datetime:
    return datetime(2025, 6, d, tzinfo=UTC)


@pytest.fixture
def stocked(wh: Warehouse) -> Warehouse:
    _store(
        wh,
        _instances(
            [
                ("S", "1", "Sales inquiry", _day(1)),
                ("S", "1", "Quote", _day(2)),
                ("S", "1", "Order confirmed", _day(3)),
                ("S", "1", "Formulation", _day(4)),
            ]
        ),
    )
    return wh


def test_catalog_edits_are_matched_on_the_activity_not_the_row(stocked: Warehouse) -> None:
    seen = stocked.catalog("S")
    # The edited table comes back in another order: rows are matched by activity.
    edited = (
        seen.with_columns(
            pl.when(pl.col("activity") == "Sales inquiry")
            .then(99)
            .otherwise(pl.col("display_order"))
            .alias("display_order")
        )
        .reverse()
        .drop("offering")
    )
    assert stocked.save_catalog_edits("S", seen, edited) == 1
    orders = dict(stocked.catalog("S").select("activity", "display_order").iter_rows())
    assert orders == {"Quote": 2, "Order confirmed": 3, "Formulation": 4, "Sales inquiry": 99}
    trail = stocked.audit().row(0, named=True)
    assert (trail["action"], trail["target"]) == ("edit catalog", "S: Sales inquiry")


def test_a_save_that_changes_nothing_writes_nothing(stocked: Warehouse) -> None:
    seen = stocked.catalog("S")
    changes = stocked.audit().height
    assert stocked.save_catalog_edits("S", seen, seen) == 0
    assert stocked.audit().height == changes


def test_a_save_over_a_row_someone_else_saved_is_refused_whole(stocked: Warehouse) -> None:
    seen = stocked.catalog("S")
    theirs = seen.with_columns(
        pl.when(pl.col("activity") == "Quote")
        .then(pl.lit(30.0))
        .otherwise(pl.col("standard_minutes"))
        .alias("standard_minutes")
    )
    stocked.save_catalog_edits("S", seen, theirs)
    mine = seen.with_columns(
        pl.when(pl.col("activity").is_in(["Quote", "Formulation"]))
        .then(pl.lit("waste"))
        .otherwise(pl.col("value_class"))
        .alias("value_class")
    )
    with pytest.raises(CatalogConflict, match=r"Someone else saved the catalog of S .*\(Quote\)"):
        stocked.save_catalog_edits("S", seen, mine)
    now = {r["activity"]: r for r in stocked.catalog("S").iter_rows(named=True)}
    assert now["Quote"]["standard_minutes"] == 30.0
    assert now["Formulation"]["value_class"] == "unclassified"  # nothing of the refused save


def test_a_save_of_rows_an_undo_removed_is_refused(wh: Warehouse) -> None:
    first = _store(wh, _instances([("S", "1", "A", _day(1))]), "a")
    _store(wh, _instances([("S", "2", "B", _day(2))]), "b")
    seen = wh.catalog("S")
    wh.undo_import(first)
    edited = seen.with_columns(pl.lit("waste").alias("value_class"))
    with pytest.raises(CatalogConflict, match=r"\(A\)"):
        wh.save_catalog_edits("S", seen, edited)


@pytest.mark.parametrize(
    "when", [datetime(9999, 12, 31, tzinfo=UTC), datetime(1850, 1, 1, tzinfo=UTC)]
)
def test_a_time_outside_the_sane_range_is_refused(wh: Warehouse, when: datetime) -> None:
    with pytest.raises(
        WarehouseError, match=rf"row 3 has the end time {when:%Y-%m-%d}, outside 1900 to 2199"
    ):
        _store(wh, _instances([("S", "1", "A", _day(1)), ("S", "1", "B", when)]))
    assert wh.event_count() == 0


def test_an_offering_with_more_steps_than_the_pages_show_is_refused(wh: Warehouse) -> None:
    n = MAX_ACTIVITIES_PER_OFFERING + 1
    crowded = _instances([("S", str(i), f"step {i}", _day(1)) for i in range(n)])
    with pytest.raises(WarehouseError, match=f"would have {n:,} distinct activities"):
        _store(wh, crowded)
    assert (wh.event_count(), wh.catalog().height, wh.imports().height) == (0, 0, 0)


def test_a_case_longer_than_a_page_can_show_is_refused_across_imports(wh: Warehouse) -> None:
    half = MAX_EVENTS_PER_CASE // 2 + 1
    _store(wh, _instances([("S", "1", "A", _day(1))] * half), "a")
    with pytest.raises(WarehouseError, match=f"case '1' of 'S' would hold {2 * half:,}"):
        _store(wh, _instances([("S", "1", "B", _day(2))] * half), "b")
    assert wh.event_count() == half


def test_an_experiment_id_is_never_given_twice(wh: Warehouse) -> None:
    first = create_experiment(wh, name="a", offering="S", changed_at=_day(1))
    second = create_experiment(wh, name="b", offering="S", changed_at=_day(2))
    delete_experiment(wh, second)
    third = create_experiment(wh, name="c", offering="S", changed_at=_day(3))
    assert (first, second, third) == (1, 2, 3)
    with pytest.raises(WarehouseError, match="no experiment #2"):
        get_experiment(wh, 2)


def test_an_older_warehouse_that_already_reused_ids_goes_on_after_the_highest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.duckdb"
    with Warehouse.open(path, migrate=False) as old:
        old.migrate(target=6)  # before the counter: ids were max(id) + 1
        for n, action in [(1, "record"), (2, "record"), (3, "record"), (3, "delete")]:
            with old.write(f"{action} experiment", f"experiment #{n}") as cur:
                if action == "record":
                    cur.execute(
                        "INSERT INTO experiments (id, name, offering, changed_at, created_at, "
                        "updated_at) VALUES (?, ?, 'S', ?, ?, ?)",
                        [n, f"e{n}", _day(n), _day(n), _day(n)],
                    ).complete()
                else:
                    cur.execute("DELETE FROM experiments WHERE id = ?", [n]).complete()
    with Warehouse.open(path) as wh:
        assert wh.schema_version() == MIGRATIONS[-1][0]
        assert create_experiment(wh, name="d", offering="S", changed_at=_day(4)) == 4


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/sys/vsm-test/warehouse.duckdb", "its folder cannot be created"),
        ("/sys/warehouse.duckdb", "Cannot open the warehouse"),
    ],
)
def test_a_warehouse_under_a_read_only_folder_is_one_sentence(path: str, why: str) -> None:
    with pytest.raises(WarehouseError, match=why) as refused:
        Warehouse.open(path)
    assert "\n" not in str(refused.value)


def test_a_warehouse_under_a_file_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("")
    with pytest.raises(WarehouseError, match="a file of that name is in the way"):
        Warehouse.open(tmp_path / "plain-file" / "warehouse.duckdb")


def test_a_write_that_fails_in_the_database_is_one_sentence_and_changes_nothing(
    wh: Warehouse,
) -> None:
    with (
        pytest.raises(WarehouseError, match="could not be saved") as failed,
        wh.write("change setting", "x") as cur,
    ):
        cur.execute("INSERT INTO settings VALUES ('a', 'b')").complete()
        cur.execute("INSERT INTO settings VALUES ('a', 'c')").complete()
    assert isinstance(failed.value.__cause__, duckdb.Error)
    assert wh.setting("a") is None
    assert wh.audit().height == 0
