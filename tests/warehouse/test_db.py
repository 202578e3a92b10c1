"""The warehouse: schema migrations, atomic imports, duplicates, undo and the catalog."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from warehouse import Warehouse, WarehouseError, resolve_db_path
from warehouse.db import when_ended
from warehouse.schema import LATEST_VERSION, MIGRATIONS


def _t(day: int, hour: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, tzinfo=UTC)


def _instances(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "offering": pl.String,
            "case_id": pl.String,
            "activity": pl.String,
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
            "resource": pl.String,
        },
        orient="row",
    ).with_columns(
        pl.lit("{}").alias("attributes"), pl.int_range(2, pl.len() + 2).alias("source_row")
    )


NO_REJECTS = pl.DataFrame(schema={"source_row": pl.Int64, "reason": pl.String, "raw": pl.String})


def _store(wh: Warehouse, frame: pl.DataFrame, sha: str = "x") -> tuple[int, int, int]:
    r = wh.store_import(
        file_name="f.csv",
        sha256=sha,
        format="csv",
        mapping={},
        options={},
        rows_read=frame.height,
        instances=frame,
        rejects=NO_REJECTS,
    )
    return r.import_id, r.stored, r.duplicates


def test_resolve_db_path_prefers_flag_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSM_DB", "/tmp/from-env.duckdb")
    assert resolve_db_path("/tmp/flag.duckdb") == Path("/tmp/flag.duckdb")
    assert resolve_db_path(None) == Path("/tmp/from-env.duckdb")
    monkeypatch.delenv("VSM_DB")
    assert resolve_db_path(None) == Path("data/warehouse.duckdb")


def test_new_warehouse_is_at_latest_schema(wh: Warehouse) -> None:
    assert wh.schema_version() == LATEST_VERSION
    tables = set(wh.read("SELECT table_name FROM information_schema.tables")["table_name"])
    assert {"events", "imports", "rejects", "activities", "schema_version", "settings"} <= tables


def test_a_version_1_warehouse_migrates_without_losing_data(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    old = Warehouse.open(path, migrate=False)
    old.migrate(target=1)
    assert old.schema_version() == 1
    with old.transaction() as cur:
        cur.execute(
            "INSERT INTO imports VALUES (1, 'old.csv', 'abc', 'csv', '{}', 1, 1, 0, 0, now())"
        ).complete()
        cur.execute(
            "INSERT INTO events VALUES (1, 'Shop', 'C1', 'Pack', NULL, "
            "TIMESTAMPTZ '2024-01-01 10:00:00+00', 'Ann', '{}', 1, 2)"
        ).complete()
        cur.execute(
            "INSERT INTO activities VALUES ('Shop', 'Pack', 'necessary', 12.5, TRUE, 1)"
        ).complete()
    old.close()

    with Warehouse.open(path) as wh:
        assert wh.schema_version() == LATEST_VERSION
        events = wh.events()
        assert events["case_id"].to_list() == ["C1"]
        assert events["end"][0] == datetime(2024, 1, 1, 10, tzinfo=UTC)
        cat = wh.catalog().row(0, named=True)
        assert cat["kind"] == "work" and cat["standard_minutes"] == 12.5 and cat["is_end_activity"]
        assert wh.imports()["undone_at"].to_list() == [None]


def test_a_newer_warehouse_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    Warehouse.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_version VALUES (999, 'future', now())").complete()
    con.close()
    with pytest.raises(WarehouseError, match="newer release"):
        Warehouse.open(path)


def test_timestamps_round_trip_as_utc_instants(wh: Warehouse) -> None:
    _store(wh, _instances([("S", "1", "a", _t(1, 8), _t(1, 9), None)]))
    events = wh.events()
    assert events.schema["start"] == pl.Datetime("us", "UTC")
    assert events["start"][0] == _t(1, 8) and events["end"][0] == _t(1, 9)


def test_events_head_is_each_offerings_first_events_in_source_order(wh: Warehouse) -> None:
    assert wh.events_head(3).height == 0 and wh.events_head(3).schema == wh.events().schema
    # Two imports interleave the offerings: the first three of each are not the first
    # six events stored, nor each offering's first three by time or case.
    _store(wh, _instances([("B", str(9 - k), "b", None, _t(20 - k), None) for k in range(4)]), "1")
    _store(wh, _instances([("A", f"c{k}", "a", None, _t(9 - k), "Ann") for k in range(5)]), "2")
    _store(wh, _instances([("B", "x", "late", None, _t(1), None)]), "3")
    events = wh.events()
    expected = pl.concat([events.filter(pl.col("offering") == o).head(3) for o in ("A", "B")]).sort(
        "event_id"
    )
    head = wh.events_head(3)
    assert head.equals(expected)
    assert head["case_id"].to_list() == ["9", "8", "7", "c0", "c1", "c2"]
    assert wh.events_head(10).height == 10 and wh.events_head(10).equals(events)


def test_overlapping_import_skips_events_already_stored(wh: Warehouse) -> None:
    first = _instances(
        [
            ("S", "1", "a", None, _t(1), "Ann"),
            ("S", "1", "b", _t(2), _t(3), None),
        ]
    )
    second = _instances(
        [
            ("S", "1", "a", None, _t(1), "Ann"),  # stored before: skipped
            ("S", "1", "b", _t(2), _t(3), None),  # stored before (null resource matches)
            ("S", "1", "c", None, _t(4), "Ann"),  # new
            ("S", "1", "a", None, _t(1), "Bob"),  # other resource: a different event
        ]
    )
    assert _store(wh, first, "one")[1:] == (2, 0)
    assert _store(wh, second, "two")[1:] == (2, 2)
    assert wh.event_count() == 4


def test_identical_rows_within_one_file_are_all_kept(wh: Warehouse) -> None:
    twice = _instances([("Lab", "7", "CRP", None, _t(1), None)] * 2)
    assert _store(wh, twice, "one")[1:] == (2, 0)
    # An export holding them three times adds exactly one more copy.
    assert _store(wh, _instances([("Lab", "7", "CRP", None, _t(1), None)] * 3), "two")[1:] == (1, 2)
    assert wh.event_count() == 3


def test_undo_removes_exactly_one_import(wh: Warehouse) -> None:
    one, _, _ = _store(wh, _instances([("S", "1", "a", None, _t(1), None)]), "one")
    two, _, _ = _store(wh, _instances([("S", "2", "z", None, _t(2), None)]), "two")
    assert wh.undo_import(two) == 1
    assert wh.events()["case_id"].to_list() == ["1"]
    assert wh.catalog()["activity"].to_list() == ["a"]  # the untouched 'z' row left with it
    hist = wh.imports()
    assert hist.filter(pl.col("id") == two)["undone_at"][0] is not None
    with pytest.raises(WarehouseError, match="already undone"):
        wh.undo_import(two)
    with pytest.raises(WarehouseError, match="no import #99"):
        wh.undo_import(99)
    assert one == 1


def test_failed_write_changes_nothing(wh: Warehouse) -> None:
    _store(wh, _instances([("S", "1", "a", None, _t(1), None)]), "one")
    bad = _instances([("S", "2", "b", None, _t(2), None)]).with_columns(
        pl.lit(None, pl.String).alias("case_id")
    )
    with pytest.raises(WarehouseError, match=r"could not be saved.*NOT NULL"):
        _store(wh, bad, "two")
    assert wh.event_count() == 1
    assert wh.imports().height == 1


def test_catalog_is_created_in_typical_order_and_editable(wh: Warehouse) -> None:
    _store(
        wh,
        _instances(
            [
                ("S", "1", "Quote", None, _t(1), None),
                ("S", "1", "Ship", None, _t(3), None),
                ("S", "2", "Quote", None, _t(2), None),
                ("S", "2", "Build", None, _t(3), None),
                ("S", "2", "Ship", None, _t(4), None),
            ]
        ),
    )
    cat = wh.catalog("S")
    assert cat["activity"].to_list() == ["Quote", "Build", "Ship"]
    assert set(cat["value_class"]) == {"unclassified"}
    edited = cat.with_columns(
        pl.when(pl.col("activity") == "Build")
        .then(pl.lit("value-adding"))
        .otherwise(pl.col("value_class"))
        .alias("value_class"),
        pl.when(pl.col("activity") == "Ship").then(True).otherwise(None).alias("is_end_activity"),
    )
    wh.save_catalog(edited)
    saved = wh.catalog("S")
    assert saved.filter(pl.col("activity") == "Build")["value_class"][0] == "value-adding"
    assert saved["is_end_activity"].to_list() == [None, None, True]
    with pytest.raises(WarehouseError, match="Unknown value class 'gold'"):
        wh.save_catalog(edited.with_columns(pl.lit("gold").alias("value_class")))


def test_concurrent_readers_and_a_writer(wh: Warehouse) -> None:
    _store(wh, _instances([("S", str(i), "a", None, _t(1), None) for i in range(100)]), "base")
    errors: list[BaseException] = []
    counts: list[int] = []

    def reader() -> None:
        try:
            for _ in range(20):
                counts.append(wh.events().height)
        except BaseException as exc:
            errors.append(exc)

    def writer() -> None:
        try:
            for k in range(5):
                _store(wh, _instances([("S", f"w{k}", "b", None, _t(2), None)]), f"w{k}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)] + [
        threading.Thread(target=writer)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert wh.event_count() == 105
    assert set(counts) <= set(range(100, 106))


def test_migrations_are_numbered_in_order() -> None:
    assert [m[0] for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_undoing_an_import_whose_events_a_later_one_skipped_is_refused(wh: Warehouse) -> None:
    """Undoing the first of two overlapping exports would lose events the second relies on."""
    first = _instances([("S", "1", "a", None, _t(1), None), ("S", "1", "b", None, _t(2), None)])
    second = _instances(
        [
            ("S", "1", "a", None, _t(1), None),
            ("S", "1", "b", None, _t(2), None),
            ("S", "1", "c", None, _t(3), None),
        ]
    )
    one, _, _ = _store(wh, first, "one")
    two, stored, skipped = _store(wh, second, "two")
    assert (stored, skipped) == (1, 2)
    with pytest.raises(WarehouseError, match=f"undo import #{two} first"):
        wh.undo_import(one)
    assert wh.event_count() == 3
    assert wh.undo_import(two) == 1
    assert wh.undo_import(one) == 2
    assert wh.event_count() == 0


def test_a_catalog_edit_changes_the_data_version(wh: Warehouse) -> None:
    _store(wh, _instances([("S", "1", "a", None, _t(1), None)]))
    before = wh.setting("catalog_version")
    wh.save_catalog(wh.catalog().with_columns(pl.lit("value-adding").alias("value_class")))
    after = wh.setting("catalog_version")
    assert after is not None and after != before
    assert wh.save_catalog(wh.catalog().with_columns(pl.lit("waste").alias("value_class"))) == 1
    assert wh.setting("catalog_version") not in (before, after)


def test_every_committed_change_is_counted_and_a_read_or_a_failed_one_is_not(
    wh: Warehouse,
) -> None:
    """`change_count` moves with every change, also one that leaves the data version as it
    is (an experiment recorded), on every view of the open file; a read, or a change
    rolled back, leaves it."""
    from warehouse.experiments import create_experiment, experiments

    _store(wh, _instances([("S", "1", "a", None, _t(1), None)]))
    count, version = wh.change_count(), wh.data_version()
    assert experiments(wh).height == 0 and wh.change_count() == count
    create_experiment(wh, name="Pull", offering="S", changed_at=_t(2))
    assert wh.change_count() == count + 1 and wh.data_version() == version
    other = wh.acting(wh.actor)
    assert other.change_count() == count + 1
    with pytest.raises(ValueError, match="no"), other.transaction() as cur:
        cur.execute("DELETE FROM experiments")
        raise ValueError("no")
    assert wh.change_count() == count + 1 and experiments(wh).height == 1


def test_a_catalog_saved_as_it_is_stored_changes_nothing(wh: Warehouse) -> None:
    """Saving the stored catalog again (the demo's, a bench's) writes and derives nothing;
    a save writes and derives only the rows and offerings that differ."""
    from warehouse import Actor, PermissionDenied

    rows = [("S", "1", "a", None, _t(1), None), ("S", "1", "b", None, _t(2), None)]
    _store(wh, _instances([*rows, ("T", "1", "a", None, _t(1), None)]))
    wh.save_catalog(wh.catalog())  # a person confirms how each status counts
    version, audited = wh.setting("catalog_version"), wh.audit().height
    derived_at = wh.read("SELECT offering, derived_at FROM derived_state ORDER BY 1")
    assert wh.save_catalog(wh.catalog()) == 0
    with pytest.raises(PermissionDenied, match="may not edit catalog"):
        wh.acting(Actor("vera@example.com", "viewer")).save_catalog(wh.catalog())
    assert wh.setting("catalog_version") == version
    assert wh.audit().height == audited
    one = wh.catalog().with_columns(
        pl.when((pl.col("offering") == "S") & (pl.col("activity") == "b"))
        .then(pl.lit("value-adding"))
        .otherwise(pl.col("value_class"))
        .alias("value_class")
    )
    assert wh.save_catalog(one) == 1
    assert wh.setting("catalog_version") != version
    assert wh.audit().row(0, named=True) | {"at": None, "id": None} == {
        "id": None,
        "at": None,
        "actor": wh.actor.name,
        "role": wh.actor.role,
        "action": "edit catalog",
        "target": "S",
        "detail": '{"activities": 1}',
    }
    again = wh.read("SELECT offering, derived_at FROM derived_state ORDER BY 1")
    assert again["offering"].to_list() == ["S", "T"]
    assert again["derived_at"][0] != derived_at["derived_at"][0]  # S derived again
    assert again["derived_at"][1] == derived_at["derived_at"][1]  # T untouched
    assert wh.catalog("S").filter(pl.col("activity") == "b")["value_class"][0] == "value-adding"
    with pytest.raises(WarehouseError, match="names 'a' of 'T' more than once"):
        wh.save_catalog(pl.concat([wh.catalog(), wh.catalog("T")]))


def test_every_change_checks_the_role_and_lands_in_the_audit_trail(tmp_path: Path) -> None:
    from warehouse import Actor, PermissionDenied

    with Warehouse.open(tmp_path / "a.duckdb") as wh:
        wh.set_setting("colour", "blue")
        viewer = wh.acting(Actor("vera@example.com", "viewer"))
        editor = wh.acting(Actor("ed@example.com", "editor"))
        with pytest.raises(PermissionDenied, match=r"vera@example.com \(viewer\) may not"):
            viewer.set_setting("colour", "red")
        editor.set_setting("colour", "green")
        with pytest.raises(PermissionDenied, match="needs the admin role"):
            editor.undo_import(1)
        editor.close()  # a view for one person closes nothing
        assert wh.setting("colour") == "green"
        trail = wh.audit().select("actor", "role", "action", "target").rows()
        assert trail == [
            ("ed@example.com", "editor", "change setting", "colour"),
            ("local user (no sign-in)", "admin", "change setting", "colour"),
        ]


def test_release_cache_drops_duckdbs_cached_blocks_and_keeps_its_limit(tmp_path: Path) -> None:
    """After a big read DuckDB keeps the file's blocks cached up to its limit; released,
    it keeps at most the floor, its limit is the one it had, and the data reads again."""
    path = tmp_path / "w.duckdb"
    with Warehouse.open(path, memory_limit="1GB") as wh:
        wh._con.execute("CREATE TABLE big AS SELECT range AS i, random() AS r FROM range(40000000)")
        wh._con.execute("CHECKPOINT")
    with Warehouse.open(path, memory_limit="1GB") as wh:
        used = "SELECT sum(memory_usage_bytes) FROM duckdb_memory()"
        limit = "SELECT current_setting('memory_limit')"
        total = wh.scalar("SELECT sum(r) FROM big")
        before, set_to = wh.scalar(used), wh.scalar(limit)
        assert before > 250_000_000  # 320 MB of blocks read, most of them kept
        assert wh.release_cache("1GB") is True
        assert wh.scalar(used) <= 16_000_000  # CACHE_FLOOR
        assert wh.scalar(limit) == set_to
        assert wh.scalar("SELECT sum(r) FROM big") == pytest.approx(total)


def test_what_waits_for_a_transaction_is_told_whether_it_committed(wh: Warehouse) -> None:
    """`when_ended` calls back once the transaction of the cursor ends: True after its
    commit, False after a rollback, never for a cursor of no transaction."""
    told: list[bool] = []
    with wh.transaction() as cur:
        assert when_ended(cur, told.append)
        assert told == []  # not before the transaction ends
    assert told == [True]
    with pytest.raises(RuntimeError), wh.transaction() as cur:
        assert when_ended(cur, told.append)
        raise RuntimeError("the change fails")
    assert told == [True, False]
    cur = wh._cursor()
    try:
        assert not when_ended(cur, told.append)
    finally:
        cur.close()
    assert told == [True, False]
