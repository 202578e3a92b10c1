"""The one place that connects to DuckDB.

Streamlit serves each browser session on its own thread and DuckDB connections
are not thread-safe, so every read runs on a fresh cursor of one shared
connection, and every write runs under one lock inside one transaction: an
import either lands whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from model import (
    CATALOG_DEFAULT_SCHEMA,
    CATALOG_SCHEMA,
    EVENT_SCHEMA,
    KINDS,
    OPEN_ITEM_SCHEMA,
    OPEN_ITEM_STORED_SCHEMA,
    VALUE_CLASSES,
)
from model.limits import (
    EARLIEST_TIME,
    LATEST_TIME,
    MAX_ACTIVITIES_PER_OFFERING,
    MAX_EVENTS_PER_CASE,
    time_range_text,
)
from warehouse.access import LOCAL, NEEDS, Actor, Role, as_role
from warehouse.schema import LATEST_VERSION, MIGRATIONS

DEFAULT_DB = Path("data") / "warehouse.duckdb"

CASE_MATCH_SCHEMA: dict[str, pl.DataType] = {
    "offering": pl.String(),
    "case_id": pl.String(),
    "exact": pl.Boolean(),
    "total": pl.Int64(),
}
"""A case found by its id (Warehouse.find_case_ids): `exact` when the id is the text typed
(ignoring case), `total` how many cases matched in all (the rows may stop before)."""


class WarehouseError(Exception):
    """A warehouse that cannot be opened or a write that was refused."""


class PermissionDenied(WarehouseError):
    """The person acting has no role that allows this change."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse file (DuckDB lets one process open it for
    writing): the app, or a command-line import writing directly."""


class CatalogConflict(WarehouseError):
    """Someone else saved catalog rows since the person saving loaded them."""


DUCKDB_MEMORY_SHARE = 0.3
"""DuckDB's share of the machine's memory (its default is 80%): an import derives its
offerings in polars beside DuckDB's own work, and at tens of millions of events the two
together must fit. DuckDB spills what does not fit to a temporary folder."""


CACHE_FLOOR = "16MB"
"""What DuckDB may keep for an instant while `Warehouse.release_cache` drops its cache:
room for a query at work then, which reads a few blocks at a time. The app drops it only
while no page, import or work ahead of the pages runs (`ui.resources`), and a release
that would take a query's memory fails and drops nothing; at 128 MB, the blocks a walk
of the pages had read stayed in the app's own memory (109 MB at ten million events)."""


def _memory_limit() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "4GB"
    return f"{max(1, int(total * DUCKDB_MEMORY_SHARE / 2**20))}MB"


def _checked_size(text: str) -> str:
    """A DuckDB memory size such as "1GB" or "512MB"."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", text.strip()):
        raise ValueError(f"not a memory size such as 1GB or 512MB: {text!r}")
    return text.strip()


def _is_lock_error(exc: BaseException) -> bool:
    return "lock" in str(exc).lower() and "conflicting" in str(exc).lower()


DATA_VERSION_SQL = (
    "SELECT (SELECT coalesce(max(id), 0) FROM imports) AS last_import, "
    "(SELECT count(undone_at) FROM imports) AS undone, "
    "(SELECT coalesce(max(value), '') FROM settings WHERE key = 'catalog_version') "
    "AS catalog, "
    "(SELECT coalesce(max(epoch_us(saved_at)), 0) FROM calendars) AS calendars"
)
"""What `Warehouse.data_version` reads: one row that changes with every import, undo,
catalog edit and saved calendar."""


def resolve_db_path(arg: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse file: `--db` when given, else `$VSM_DB`, else data/warehouse.duckdb."""
    if arg:
        return Path(arg)
    env = os.environ.get("VSM_DB")
    return Path(env) if env else DEFAULT_DB


@dataclass(frozen=True)
class StoreResult:
    import_id: int
    stored: int
    duplicates: int
    open_items: int = 0


def _utc(frame: pl.DataFrame) -> pl.DataFrame:
    """DuckDB hands TIMESTAMPTZ back in the session's zone; the project speaks UTC."""
    fixes = [
        pl.col(name).dt.convert_time_zone("UTC")
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC")
    ]
    return frame.with_columns(fixes) if fixes else frame


def _catalog_defaults(frame: pl.DataFrame | None, confirmed: bool) -> pl.DataFrame:
    """An import's proposed kinds and end flags, checked, one row per activity, and whether
    a person confirmed them before the import."""
    if frame is None or frame.height == 0:
        return pl.DataFrame(schema=CATALOG_DEFAULT_SCHEMA).with_columns(confirmed=pl.lit(confirmed))
    rows = frame.select(
        [pl.col(c) if c in frame.columns else pl.lit(None).alias(c) for c in CATALOG_DEFAULT_SCHEMA]
    ).cast(CATALOG_DEFAULT_SCHEMA)  # type: ignore[arg-type]
    bad = rows.filter(pl.col("kind").is_not_null() & ~pl.col("kind").is_in(list(KINDS)))
    if bad.height:
        raise WarehouseError(
            f"Unknown kind {bad['kind'][0]!r} for {bad['activity'][0]!r}: "
            f"use one of {', '.join(KINDS)}."
        )
    return rows.unique(["offering", "activity"], keep="first", maintain_order=True).with_columns(
        confirmed=pl.lit(confirmed)
    )


_UNUSED = (
    "NOT EXISTS (SELECT 1 FROM events e WHERE e.offering = a.offering "
    "AND e.activity = a.activity) AND NOT EXISTS (SELECT 1 FROM open_items o "
    "WHERE o.offering = a.offering AND o.activity = a.activity)"
)
"""A catalog row (alias ``a``) that no event and no open item uses."""


def _check_times(frame: pl.DataFrame, columns: Sequence[str], file_name: str) -> None:
    """Refuse an import holding a time outside the sane range (model.limits): the import
    flow rejects such rows first, saying which; this guards every other way in."""
    for column in columns:
        outside = frame.filter(
            (pl.col(column) < EARLIEST_TIME) | (pl.col(column) >= LATEST_TIME)
        ).head(1)
        if outside.height:
            raise WarehouseError(
                f"{file_name}: row {outside['source_row'][0]} has the {column} time "
                f"{outside[column][0]:%Y-%m-%d}, outside {time_range_text()}: nothing was stored."
            )


def _check_bounds(cur: duckdb.DuckDBPyConnection, import_id: int, file_name: str) -> None:
    """Refuse (roll back) an import that leaves an offering with more distinct steps, or a
    case with more instances, than a page can show (model.limits)."""
    crowded = cur.execute(
        "SELECT offering, count(*) FROM activities WHERE offering IN "
        "(SELECT DISTINCT offering FROM events WHERE import_id = ?) "
        "GROUP BY offering HAVING count(*) > ? LIMIT 1",
        [import_id, MAX_ACTIVITIES_PER_OFFERING],
    ).fetchall()
    if crowded:
        offering, n = crowded[0]
        raise WarehouseError(
            f"{file_name}: the offering {offering!r} would have {n:,} distinct activities; "
            f"the dashboard shows at most {MAX_ACTIVITIES_PER_OFFERING:,} per offering. "
            "Is the activity column really the step (not a comment or an id)? Nothing was stored."
        )
    long = cur.execute(
        "SELECT e.offering, e.case_id, count(*) FROM events e "
        "SEMI JOIN (SELECT DISTINCT offering, case_id FROM events WHERE import_id = ?) t "
        "ON e.offering = t.offering AND e.case_id = t.case_id "
        "GROUP BY ALL HAVING count(*) > ? LIMIT 1",
        [import_id, MAX_EVENTS_PER_CASE],
    ).fetchall()
    if long:
        offering, case_id, n = long[0]
        raise WarehouseError(
            f"{file_name}: case {case_id!r} of {offering!r} would hold {n:,} activity "
            f"instances; a case may hold at most {MAX_EVENTS_PER_CASE:,}. Is the case column "
            "really the case (not a constant)? Nothing was stored."
        )


Progress = Callable[[int, int, str], None]
"""Told (done, total, offering) before each offering a change works out again is derived,
and (total, total, "") at the end."""

_ENDINGS: dict[int, list[Callable[[bool], None]]] = {}
"""What is to be done when each open `Warehouse.transaction` ends, by its cursor's id."""


def when_ended(cur: duckdb.DuckDBPyConnection, then: Callable[[bool], None]) -> bool:
    """Have `then(committed)` called once the `Warehouse.transaction` of `cur` has
    committed (True) or rolled back (False). False, and nothing registered, where `cur`
    is not such a transaction's."""
    waiting = _ENDINGS.get(id(cur))
    if waiting is None:
        return False
    waiting.append(then)
    return True


def _one(cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """The first value of the first row, or None."""
    rows = cur.execute(sql, list(params) if params else None).fetchall()
    return rows[0][0] if rows else None


def events_query(
    offerings: Sequence[str] | None = None, cases: Sequence[str] | None = None
) -> tuple[str, list[Any] | None]:
    """The query of `Warehouse.events` (for reading on a transaction's cursor too)."""
    conditions, params = [], []
    if offerings is not None:
        conditions.append("list_contains(?, offering)")
        params.append(list(offerings))
    if cases is not None:
        conditions.append("list_contains(?, case_id)")
        params.append(list(cases))
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return (
        'SELECT offering, case_id, activity, start, "end", resource, '
        "CAST(attributes AS VARCHAR) AS attributes, source_row, import_id, event_id "
        f"FROM events {where} ORDER BY event_id",
        params or None,
    )


def open_items_query(
    offerings: Sequence[str] | None = None, of_cases: str | None = None
) -> tuple[str, list[Any] | None]:
    """The query of `Warehouse.open_items`; `of_cases`: only the items of the cases
    (offering, case_id) of this table."""
    where, params = "", None
    if offerings is not None:
        where, params = "WHERE list_contains(?, offering)", [list(offerings)]
    if of_cases is not None:
        where += " AND " if where else "WHERE "
        where += (
            f"EXISTS (SELECT 1 FROM {of_cases} c "
            "WHERE c.offering = open_items.offering AND c.case_id = open_items.case_id)"
        )
    return (
        f"""
        WITH ranked AS (
            SELECT *, row_number() OVER (
                PARTITION BY offering, case_id
                ORDER BY entered DESC NULLS LAST, import_id DESC) AS rank
            FROM open_items {where}
        )
        SELECT offering, case_id, activity, entered, resource,
               CAST(attributes AS VARCHAR) AS attributes, source_row, import_id
        FROM ranked r
        WHERE rank = 1 AND NOT EXISTS (
            SELECT 1 FROM events e
            WHERE e.offering = r.offering AND e.case_id = r.case_id AND (
                e."end" > r.entered
                OR (e.activity = r.activity AND e.start = r.entered)
                OR (r.entered IS NULL AND e.import_id <> r.import_id)))
        ORDER BY offering, case_id
        """,
        params,
    )


def _shown_items(cur: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The open item shown now (`open_items_query`) of each case of the registered
    `open_batch`, as a case's derivation reads it: (offering, case_id, activity,
    entered)."""
    sql, params = open_items_query(of_cases="open_batch")
    return cur.sql(f"SELECT offering, case_id, activity, entered FROM ({sql})", params=params).pl()


def _changed_cases(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """(offering, case_id) of the cases whose row differs between `before` and `after`
    (one row per case at most in each): an overlapping export sends every open item
    again, and an item shown as it was changes no case."""
    on = before.columns
    return pl.concat(
        [
            before.join(after, on=on, how="anti", nulls_equal=True),
            after.join(before, on=on, how="anti", nulls_equal=True),
        ]
    ).select("offering", "case_id")


def _differing(cur: duckdb.DuckDBPyConnection, rows: pl.DataFrame) -> pl.DataFrame:
    """Those catalog `rows` (CATALOG_SCHEMA, one per activity) that differ from the ones
    `cur` sees stored, or whose stored kind no person has confirmed yet (a save confirms
    it). DuckDB's EXCEPT counts two blanks as equal."""
    columns = ", ".join(CATALOG_SCHEMA)
    cur.register("catalog_given", rows)
    try:
        return cur.sql(
            f"SELECT {columns} FROM catalog_given EXCEPT SELECT {columns} FROM ("
            "SELECT * REPLACE (coalesce(kind, 'work') AS kind) FROM activities "
            "WHERE NOT coalesce(auto_kind, false))"
        ).pl()
    finally:
        cur.unregister("catalog_given")


def catalog_query(offering: str | None = None) -> tuple[str, list[Any] | None]:
    """The query of `Warehouse.catalog`."""
    where, params = ("WHERE offering = ?", [offering]) if offering else ("", None)
    return (
        "SELECT offering, activity, value_class, coalesce(kind, 'work') AS kind, "
        "standard_minutes, is_end_activity, display_order FROM activities "
        f"{where} ORDER BY offering, display_order NULLS LAST, activity",
        params,
    )


class _Version:
    """The data version last read, shared by every view of one open file (`acting`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._value: str | None = None

    def get(self) -> tuple[int, str | None]:
        with self._lock:
            return self._generation, self._value

    def keep(self, generation: int, value: str) -> str:
        """Keep `value`, read at `generation`, unless a change committed since."""
        with self._lock:
            if generation == self._generation:
                self._value = value
        return value

    def changed(self) -> None:
        with self._lock:
            self._generation += 1
            self._value = None


class Warehouse:
    """A DuckDB event warehouse file, migrated to the latest schema on open.

    Every change goes through :meth:`write`, which checks the role of the person acting
    (``actor``; LOCAL, an admin, unless the app signs people in) and records the change
    in the audit trail in the same transaction. :meth:`acting` gives a view of the same
    open file for another person: the app shares one connection between sessions.
    """

    def __init__(
        self,
        path: Path,
        con: duckdb.DuckDBPyConnection,
        *,
        actor: Actor = LOCAL,
        write_lock: threading.RLock | None = None,
        owns_connection: bool = True,
        version: _Version | None = None,
    ) -> None:
        self.path = path
        self.actor = actor
        self._con = con
        self._write_lock = write_lock or threading.RLock()
        self._owns_connection = owns_connection
        self._version = version or _Version()

    def acting(self, actor: Actor) -> Warehouse:
        """The same warehouse, with `actor` making the changes (closing it closes nothing)."""
        return Warehouse(
            self.path,
            self._con,
            actor=actor,
            write_lock=self._write_lock,
            owns_connection=False,
            version=self._version,
        )

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        migrate: bool = True,
        memory_limit: str | None = None,
    ) -> Warehouse:
        """Open (creating and migrating) the warehouse file; `memory_limit` caps DuckDB's
        memory (default `DUCKDB_MEMORY_SHARE` of the machine's), which spills the rest."""
        db_path = resolve_db_path(path)
        if str(db_path) != ":memory:":
            try:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = exc.strerror or str(exc)
                if isinstance(exc, FileExistsError):
                    why = "a file of that name is in the way"
                raise WarehouseError(
                    f"Cannot open the warehouse {db_path}: its folder cannot be created ({why})."
                ) from exc
        try:
            con = duckdb.connect(str(db_path), config={"memory_limit": _memory_limit()})
            if memory_limit is not None:
                # A setting, not the connection's config: DuckDB refuses a second
                # connection to the file in this process with another config.
                con.execute(f"SET memory_limit = '{_checked_size(memory_limit)}'")
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            if _is_lock_error(exc):
                raise WarehouseBusy(
                    f"The warehouse {db_path} is open in another process (the app, or an "
                    f"import from the command line): {first}"
                ) from exc
            raise WarehouseError(f"Cannot open the warehouse {db_path}: {first}") from exc
        wh = cls(db_path, con)
        if migrate:
            try:
                wh.migrate()
                from warehouse.derived import prepare_tables

                prepare_tables(wh)
            except WarehouseError:
                con.close()
                raise
        return wh

    def release_cache(self, limit: str) -> bool:
        """Have DuckDB drop the blocks of the file it keeps cached, up to its memory limit,
        after a big read (0.8 GB of the app's 1.8 at ten million events, once the pages'
        first reads are done): its limit is set to CACHE_FLOOR for an instant, then to
        `limit`, the one it had. A query reads those blocks again from the file, which
        the system caches. False where DuckDB could not drop them (the queries at work
        hold more than the floor): nothing is dropped."""
        cur = self._cursor()
        try:
            try:
                cur.execute(f"SET memory_limit = '{CACHE_FLOOR}'").complete()
                return True
            except duckdb.Error:
                return False
            finally:
                cur.execute(f"SET memory_limit = '{_checked_size(limit)}'").complete()
        finally:
            cur.close()

    def close(self) -> None:
        if self._owns_connection:
            self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._con.cursor()
        cur.execute("SET TimeZone = 'UTC'").complete()
        return cur

    def read(self, sql: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        """Run one query on its own cursor and return it as a polars frame."""
        cur = self._cursor()
        try:
            return _utc(cur.sql(sql, params=list(params) if params else None).pl())
        finally:
            cur.close()

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        cur = self._cursor()
        try:
            return _one(cur, sql, params)
        finally:
            cur.close()

    def copy_to(
        self,
        sql: str,
        folder: Path,
        params: dict[str, Any] | None = None,
        *,
        partition_by: str | None = None,
    ) -> None:
        """Write the rows of one query as Parquet under `folder` (one sub-folder per value
        of `partition_by`, the column kept in the files too)."""
        options = "FORMAT parquet"
        if partition_by:
            options += f', PARTITION_BY ("{partition_by}"), WRITE_PARTITION_COLUMNS true'
        target = str(folder).replace("'", "''")
        cur = self._cursor()
        try:
            cur.execute(f"COPY ({sql}) TO '{target}' ({options})", params).complete()
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One serialised write transaction: committed whole or rolled back whole."""
        with self._write_lock:
            cur = self._cursor()
            cur.execute("BEGIN TRANSACTION").complete()
            _ENDINGS[id(cur)] = []
            committed = False
            try:
                yield cur
                cur.execute("COMMIT").complete()
                committed = True
                self._version.changed()
            except BaseException:
                # A failed COMMIT has already rolled the transaction back.
                with contextlib.suppress(duckdb.Error):
                    cur.execute("ROLLBACK").complete()
                raise
            finally:
                try:
                    for then in _ENDINGS.pop(id(cur)):
                        then(committed)
                finally:
                    cur.close()

    @contextmanager
    def write(
        self, action: str, target: str = "", detail: dict[str, Any] | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """One change by `self.actor`: refused unless their role allows `action`
        (warehouse.access.NEEDS), recorded in the audit trail with the change, all in
        one transaction. `target` names what changed ("import #3", "Quote")."""
        self._allowed(action)
        try:
            with self._audited(action, target, detail) as cur:
                yield cur
        except duckdb.Error as exc:
            # A full disk, a folder made read-only under a running app: one sentence, and the
            # transaction is rolled back whole.
            raise WarehouseError(
                f"The change could not be saved ({str(exc).splitlines()[0]})."
            ) from exc

    def _allowed(self, action: str) -> None:
        """Refuses `action` unless `self.actor`'s role allows it."""
        if not self.actor.may(action):
            raise PermissionDenied(
                f"{self.actor.name} ({self.actor.role}) may not {action}: "
                f"that needs the {NEEDS[action]} role. Ask an admin."
            )

    @contextmanager
    def _audited(
        self, action: str, target: str, detail: dict[str, Any] | None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.transaction() as cur:
            yield cur
            cur.execute(
                "INSERT INTO audit (id, at_time, actor, role, action, target, detail) "
                "SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, ? FROM audit",
                [
                    datetime.now(UTC),
                    self.actor.name,
                    self.actor.role,
                    action,
                    target,
                    json.dumps(detail or {}, default=str),
                ],
            ).complete()

    def audit(self, limit: int = 500) -> pl.DataFrame:
        """The latest changes, newest first: when, who (and their role), what, on what."""
        return self.read(
            "SELECT id, at_time AS at, actor, role, action, target, "
            "CAST(detail AS VARCHAR) AS detail "
            "FROM audit ORDER BY id DESC LIMIT ?",
            [limit],
        )

    def schema_version(self) -> int:
        exists = self.scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        )
        if not exists:
            return 0
        return int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_version"))

    def migrate(self, target: int = LATEST_VERSION) -> int:
        """Apply every migration newer than the file's version, up to `target`."""
        current = self.schema_version()
        if current > LATEST_VERSION:
            raise WarehouseError(
                f"{self.path} was made by a newer release (schema {current}, this one knows "
                f"{LATEST_VERSION}): upgrade the dashboard to open it."
            )
        pending = [m for m in MIGRATIONS if current < m[0] <= target]
        if not pending:
            return current
        try:
            self._apply(current, pending)
        except duckdb.Error as exc:
            raise WarehouseError(
                f"Cannot update the warehouse {self.path} to schema {pending[-1][0]}: "
                f"{str(exc).splitlines()[0]}"
            ) from exc
        return pending[-1][0]

    def _apply(self, current: int, pending: list[tuple[int, str, str]]) -> None:
        with self.transaction() as cur:
            if current == 0:
                cur.execute(
                    "CREATE TABLE schema_version (version INTEGER NOT NULL, "
                    "description VARCHAR, applied_at TIMESTAMPTZ NOT NULL)"
                ).complete()
            for version, description, sql in pending:
                for statement in (s.strip() for s in sql.split(";")):
                    if statement:
                        cur.execute(statement).complete()
                cur.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)",
                    [version, description, datetime.now(UTC)],
                ).complete()

    def offerings(self) -> list[str]:
        """Every offering with an event or an open item (a board where nothing moved yet)."""
        frame = self.read(
            "SELECT offering FROM events UNION SELECT offering FROM open_items ORDER BY offering"
        )
        return frame["offering"].to_list()

    def events(
        self, offerings: Sequence[str] | None = None, cases: Sequence[str] | None = None
    ) -> pl.DataFrame:
        """Every stored activity instance (ARCHITECTURE.md's events frame), in source order;
        only those of `offerings` and of the case ids `cases`, when given."""
        return self.read(*events_query(offerings, cases)).cast(EVENT_SCHEMA)  # type: ignore[arg-type]

    def attribute_rows(
        self, offerings: Sequence[str] | None = None, *, resource: bool = True
    ) -> pl.DataFrame:
        """The distinct (offering, case_id, resource, attributes) of the events (of
        `offerings`), the JSON attributes as text; without the resource when not asked:
        what the attribute filters and a case's attributes are read from, without
        reading every event's other columns."""
        columns = "offering, case_id, " + ("resource, " if resource else "")
        where, params = "", None
        if offerings is not None:
            where, params = "WHERE list_contains(?, offering)", [list(offerings)]
        frame = self.read(
            f"SELECT DISTINCT {columns}CAST(attributes AS VARCHAR) AS attributes "
            f"FROM events {where} ORDER BY ALL",
            params,
        )
        return frame.cast({c: pl.String() for c in frame.columns})

    def events_head(self, per_offering: int) -> pl.DataFrame:
        """The first `per_offering` events of each offering (in source order): a sample
        to find the attribute names in without reading every event. One query per
        offering, each keeping its first rows as it scans: a window numbering the rows
        of every offering sorted every event first (at fifty million events 1.7 s and
        0.96 GB at its peak, against 0.2 s and 0.27 GB; docs/SCALE.md)."""
        sql, _ = events_query()
        one = sql.replace(" ORDER BY event_id", " WHERE offering = ? ORDER BY event_id LIMIT ?")
        parts = [self.read(one, [o, per_offering]) for o in self.offerings()]
        if not parts:
            return pl.DataFrame(schema=EVENT_SCHEMA)
        return pl.concat(parts).sort("event_id").cast(EVENT_SCHEMA)  # type: ignore[arg-type]

    def has_resources(self) -> bool:
        """Whether any stored event names who did it."""
        return bool(self.scalar("SELECT EXISTS (SELECT 1 FROM events WHERE resource IS NOT NULL)"))

    def open_items(self, offerings: Sequence[str] | None = None) -> pl.DataFrame:
        """The status each unfinished item is in now (OPEN_ITEM_STORED_SCHEMA), one per case.

        Every import keeps the open items it found, so undoing an import brings back what
        the earlier ones said. Reading resolves them: per case, the one its item entered
        last (a newer export of the same board) is current, and none is when the case's
        stored instances show the period ended: an instance that ends after the item
        entered that status, or that status itself starting then (the period, now closed);
        an item whose entry time is unknown gives way to any instance of another import.
        """
        return self.read(*open_items_query(offerings)).cast(
            OPEN_ITEM_STORED_SCHEMA  # type: ignore[arg-type]
        )

    def time_span(self) -> tuple[datetime, datetime] | None:
        """The first start (or end) and the last end of every stored event and open item."""
        row = self.read(
            'SELECT min(a) AS a, max(b) AS b FROM (SELECT min(coalesce(start, "end")) AS a, '
            'max("end") AS b FROM events UNION ALL SELECT min(entered), max(entered) '
            "FROM open_items)"
        ).row(0)
        return None if row[0] is None else (row[0], row[1])

    def event_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM events"))

    def find_case_ids(self, text: str, limit: int = 20) -> pl.DataFrame:
        """The cases, of any offering, whose id contains `text` ignoring case
        (CASE_MATCH_SCHEMA): ids equal to it first (`exact`), then those starting with it,
        then shorter ids; at most `limit` rows, each carrying `total`, how many matched.

        Cases are those with an event or an open item (a board item that never moved)."""
        needle = text.strip().lower()
        if not needle:
            return pl.DataFrame(schema=CASE_MATCH_SCHEMA)
        frame = self.read(
            """
            WITH hits AS (
                SELECT DISTINCT offering, case_id FROM events
                WHERE contains(lower(case_id), $1)
                UNION
                SELECT offering, case_id FROM open_items
                WHERE contains(lower(case_id), $1)
            )
            SELECT offering, case_id, lower(case_id) = $1 AS exact,
                   count(*) OVER () AS total
            FROM hits
            ORDER BY exact DESC, starts_with(lower(case_id), $1) DESC,
                     length(case_id), case_id, offering
            LIMIT $2
            """,
            [needle, limit],
        )
        return frame.cast(CASE_MATCH_SCHEMA)  # type: ignore[arg-type]

    def closest_case_ids(
        self, text: str, offering: str | None = None, limit: int = 5
    ) -> list[tuple[str, str]]:
        """(offering, case id) of the cases whose ids are most like `text` (Jaro–Winkler
        similarity of the lower-cased ids, at least 0.8), of `offering` when given: the
        suggestions for a mistyped id."""
        frame = self.read(
            """
            WITH ids AS (
                SELECT DISTINCT offering, case_id FROM events WHERE $3 IS NULL OR offering = $3
                UNION SELECT offering, case_id FROM open_items WHERE $3 IS NULL OR offering = $3
            )
            SELECT offering, case_id, jaro_winkler_similarity(lower(case_id), $1) AS score
            FROM ids WHERE score >= 0.8
            ORDER BY score DESC, case_id, offering LIMIT $2
            """,
            [text.strip().lower(), limit, offering],
        )
        return list(frame.select("offering", "case_id").iter_rows())

    def catalog(self, offering: str | None = None) -> pl.DataFrame:
        """The activity catalog: value class, kind, standard minutes, end activity, order."""
        return self.read(*catalog_query(offering)).cast(CATALOG_SCHEMA)  # type: ignore[arg-type]

    def save_catalog(self, catalog: pl.DataFrame) -> int:
        """Upsert catalog rows (matched on offering and activity); returns the rows written.

        Only rows that differ from the stored ones (or whose kind a person had not
        confirmed yet) are written, and only their offerings derived again: saving a
        catalog as it is stored changes nothing, not even the data version, where it
        would otherwise derive every offering again (88 s at ten million events)."""
        bad = catalog.filter(~pl.col("value_class").is_in(list(VALUE_CLASSES)))
        if bad.height:
            raise WarehouseError(
                f"Unknown value class {bad['value_class'][0]!r} for {bad['activity'][0]!r}: "
                f"use one of {', '.join(VALUE_CLASSES)}."
            )
        if "kind" in catalog.columns:
            bad = catalog.filter(~pl.col("kind").is_in(list(KINDS)))
            if bad.height:
                raise WarehouseError(
                    f"Unknown kind {bad['kind'][0]!r} for {bad['activity'][0]!r}: "
                    f"use one of {', '.join(KINDS)}."
                )
        rows = (
            catalog.select(
                [
                    pl.col(c) if c in catalog.columns else pl.lit(None).alias(c)
                    for c in CATALOG_SCHEMA
                ]
            )
            .with_columns(pl.col("kind").fill_null("work"))
            .cast(CATALOG_SCHEMA)  # type: ignore[arg-type]
        )
        twice = rows.filter(pl.struct("offering", "activity").is_duplicated())
        if twice.height:
            raise WarehouseError(
                f"The catalog names {twice['activity'][0]!r} of {twice['offering'][0]!r} "
                "more than once: keep one row per activity."
            )
        self._allowed("edit catalog")  # a viewer is refused even a save that changes nothing
        cur = self._cursor()
        try:
            changed = _differing(cur, rows)
        finally:
            cur.close()
        if changed.height == 0:
            return 0
        detail = {"activities": changed.height}
        offerings = ", ".join(sorted(set(changed["offering"].to_list())))
        with self.write("edit catalog", offerings, detail) as cur:
            # Again as the transaction sees the catalog: an edit that landed since the check
            # is written over only where these rows differ from it.
            changed = _differing(cur, rows)
            detail["activities"] = changed.height
            cur.register("catalog_rows", changed)
            cur.execute(
                "INSERT OR REPLACE INTO activities "
                "(offering, activity, value_class, kind, standard_minutes, is_end_activity, "
                "display_order, auto_kind) SELECT offering, activity, value_class, kind, "
                "standard_minutes, is_end_activity, display_order, false FROM catalog_rows"
            ).complete()
            cur.unregister("catalog_rows")
            self.bump_catalog_version(cur)
            self.rederive(cur, changed["offering"].unique().to_list())
        return changed.height

    def save_catalog_edits(self, offering: str, seen: pl.DataFrame, edited: pl.DataFrame) -> int:
        """Save what a person changed in one offering's catalog; returns the rows changed.

        ``seen`` holds the rows as the person loaded them, ``edited`` the same rows after
        their edits (CATALOG_SCHEMA columns; ``offering`` may be left out). Rows are matched
        on the activity, never on their position, and only rows that differ are written.
        A row someone else saved since it was loaded (or that an undo removed) refuses the
        whole save with CatalogConflict: writing over it would undo their edit unseen.
        """
        columns = [c for c in CATALOG_SCHEMA if c != "offering"]

        def rows(frame: pl.DataFrame) -> pl.DataFrame:
            return (
                frame.select([pl.col(c) for c in columns])
                .with_columns(pl.col("kind").fill_null("work"))
                .cast({c: CATALOG_SCHEMA[c] for c in columns})
            )

        before, after = rows(seen), rows(edited)
        if before["activity"].n_unique() != before.height or set(
            after["activity"].to_list()
        ) != set(before["activity"].to_list()):
            raise WarehouseError("The edited catalog does not hold the rows that were loaded.")
        values = [c for c in columns if c != "activity"]
        joined = after.join(before, on="activity", suffix="__seen")
        changed = joined.filter(
            pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}__seen")) for c in values)
        )
        if changed.height == 0:
            return 0
        names = changed["activity"].to_list()
        target = f"{offering}: " + ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        with self.write("edit catalog", target, {"activities": names}) as cur:
            current = rows(
                _utc(
                    cur.sql(
                        f"SELECT {', '.join(columns)} FROM activities "
                        "WHERE offering = ? AND list_contains(?, activity)",
                        params=[offering, names],
                    ).pl()
                )
            )
            still = current.join(
                changed.select("activity", *[f"{c}__seen" for c in values]), on="activity"
            ).filter(pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}__seen")) for c in values))
            moved = sorted(set(names) - set(still["activity"].to_list()))
            if moved:
                raise CatalogConflict(
                    "Someone else saved the catalog of "
                    f"{offering} since you opened it ({', '.join(moved[:3])}"
                    f"{', ...' if len(moved) > 3 else ''}): reload to see their changes, "
                    "then make yours again. Nothing was saved."
                )
            cur.register(
                "catalog_rows",
                changed.select(pl.lit(offering).alias("offering"), *columns).cast(
                    CATALOG_SCHEMA  # type: ignore[arg-type]
                ),
            )
            cur.execute(
                "UPDATE activities a SET value_class = r.value_class, kind = r.kind, "
                "standard_minutes = r.standard_minutes, is_end_activity = r.is_end_activity, "
                "display_order = r.display_order, auto_kind = false FROM catalog_rows r "
                "WHERE a.offering = r.offering AND a.activity = r.activity"
            ).complete()
            cur.unregister("catalog_rows")
            self.bump_catalog_version(cur)
            self.rederive(cur, [offering])
        return changed.height

    @staticmethod
    def rederive(
        cur: duckdb.DuckDBPyConnection,
        offerings: Sequence[str],
        touched: pl.DataFrame | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Store these offerings' derived cases again (warehouse/derived.py), inside the
        transaction of the change that alters them; `touched` (offering, case_id): the
        only cases an import or undo changed; `progress` (done, total, offering) is told
        before each offering and (total, total, "") at the end."""
        from warehouse.derived import rederive

        chosen = sorted(set(offerings))
        for done, offering in enumerate(chosen):
            if progress is not None:
                progress(done, len(chosen), offering)
            rederive(cur, [offering], touched)
        if progress is not None and chosen:
            progress(len(chosen), len(chosen), "")

    @staticmethod
    def bump_catalog_version(cur: duckdb.DuckDBPyConnection) -> None:
        """The pages cache their figures by data version; a catalog edit changes PCE,
        waits and completion, and what the pages say about the catalog, so it changes the
        version too."""
        cur.execute(
            "INSERT OR REPLACE INTO settings VALUES ('catalog_version', "
            "CAST(epoch_ns(now()) AS VARCHAR) || '-' || CAST(random() AS VARCHAR))"
        ).complete()

    def unconfirmed_statuses(self, offerings: Sequence[str] | None = None) -> pl.DataFrame:
        """Statuses whose kind an import guessed from the name and no person has checked:
        (offering, activity, kind), by offering and display order."""
        where, params = "", None
        if offerings is not None:
            where, params = "AND list_contains(?, offering)", [list(offerings)]
        return self.read(
            "SELECT offering, activity, coalesce(kind, 'work') AS kind FROM activities "
            f"WHERE auto_kind {where} ORDER BY offering, display_order NULLS LAST, activity",
            params,
        )

    def confirm_statuses(self, offering: str) -> int:
        """A person checked how each status of `offering` counts; returns how many."""
        with self.write("edit catalog", offering, {"confirmed statuses": True}) as cur:
            n = int(
                _one(
                    cur,
                    "SELECT count(*) FROM activities WHERE offering = ? AND auto_kind",
                    [offering],
                )
            )
            cur.execute(
                "UPDATE activities SET auto_kind = false WHERE offering = ?", [offering]
            ).complete()
            self.bump_catalog_version(cur)
        return n

    def stored_roles(self) -> pl.DataFrame:
        """The roles set on the Data page: email, role, changed_at, changed_by."""
        return self.read("SELECT email, role, changed_at, changed_by FROM roles ORDER BY email")

    def role_map(self) -> dict[str, Role]:
        """The roles set on the Data page, by lower-cased e-mail."""
        frame = self.read("SELECT email, role FROM roles")
        return {
            e: r
            for e, r in zip(
                frame["email"].to_list(),
                (as_role(v) for v in frame["role"].to_list()),
                strict=True,
            )
            if r is not None
        }

    def set_role(self, email: str, role: str | None) -> None:
        """Give an address a role (None: forget the Data page's role for it)."""
        address = email.strip().lower()
        chosen = None if role is None else as_role(role)
        with self.write("edit roles", address, {"role": chosen or "(removed)"}) as cur:
            # Checked once the role to make the change is: a viewer hears that first.
            if "@" not in address or any(ch.isspace() for ch in address) or len(address) > 254:
                raise WarehouseError(f"{email!r} is not an e-mail address.")
            if address == self.actor.name.strip().lower():
                raise WarehouseError("You cannot change your own role: ask another admin.")
            if role is not None and chosen is None:
                raise WarehouseError(f"{role!r} is not a role: use viewer, editor or admin.")
            cur.execute("DELETE FROM roles WHERE email = ?", [address]).complete()
            if chosen is not None:
                cur.execute(
                    "INSERT INTO roles VALUES (?, ?, ?, ?)",
                    [address, chosen, datetime.now(UTC), self.actor.name],
                ).complete()

    def imports(self) -> pl.DataFrame:
        """The import history, newest first."""
        return self.read(
            "SELECT id, file_name, format, rows_read, stored, duplicates, rejected, "
            "imported_at, undone_at, CAST(offerings AS VARCHAR) AS offerings, "
            "CAST(mapping AS VARCHAR) AS mapping, CAST(options AS VARCHAR) AS options, sha256, "
            "is_demo, imported_by FROM imports ORDER BY id DESC"
        )

    def demo_imports(self) -> list[int]:
        """The demo data's imports that are still stored, oldest first."""
        frame = self.read("SELECT id FROM imports WHERE is_demo AND undone_at IS NULL ORDER BY id")
        return [int(i) for i in frame["id"].to_list()]

    def has_demo(self) -> bool:
        """Whether the warehouse still holds demo data."""
        return bool(self.demo_imports())

    def import_contents(self, import_ids: Sequence[int]) -> tuple[int, int, list[str]]:
        """What these imports stored and still hold: (events, cases, offerings): what an undo
        would remove, for the person to confirm."""
        frame = self.read(
            "SELECT count(*) AS events, count(DISTINCT (offering, case_id)) AS cases, "
            "list(DISTINCT offering ORDER BY offering) AS offerings "
            "FROM events WHERE list_contains(?, import_id)",
            [list(import_ids)],
        )
        row = frame.row(0, named=True)
        return int(row["events"]), int(row["cases"]), list(row["offerings"] or [])

    def demo_offerings(self) -> list[str]:
        """The offerings the demo's stored imports brought in."""
        frame = self.read(
            "SELECT DISTINCT CAST(o.value AS VARCHAR) AS offering "
            "FROM imports i, json_each(i.offerings) o "
            "WHERE i.is_demo AND i.undone_at IS NULL ORDER BY 1"
        )
        return [json.loads(v) for v in frame["offering"].to_list()]

    def data_version(self) -> str:
        """Changes whenever what the pages show could change: an import, an undo, a catalog
        edit, a working-time calendar saved. The pages cache their figures by it.

        Read once per change: this connection is the only writer of the file (DuckDB
        lets one process open it for writing), and every change commits through
        :meth:`transaction`, which forgets the version read before it."""
        generation, known = self._version.get()
        if known is not None:
            return known
        row = self.read(DATA_VERSION_SQL).row(0)
        return self._version.keep(generation, "-".join(str(v) for v in row))

    def change_count(self) -> int:
        """How many changes this open file has committed since it was opened (every one,
        also those that leave :meth:`data_version` as it is, such as an experiment
        recorded or a finding reviewed): a cache of what any change may move is keyed by
        it. This connection is the only writer of the file (see :meth:`data_version`)."""
        return self._version.get()[0]

    def rejects(self, import_id: int) -> pl.DataFrame:
        return self.read(
            "SELECT source_row AS row, reason, CAST(raw AS VARCHAR) AS raw FROM rejects "
            "WHERE import_id = ? ORDER BY source_row",
            [import_id],
        )

    def find_import(self, sha256: str, options_json: str) -> int | None:
        """An earlier, not undone import of the same bytes read the same way."""
        found = self.scalar(
            "SELECT min(id) FROM imports WHERE sha256 = ? AND undone_at IS NULL "
            "AND CAST(options AS VARCHAR) = ?",
            [sha256, options_json],
        )
        return None if found is None else int(found)

    def setting(self, key: str) -> str | None:
        value = self.scalar("SELECT value FROM settings WHERE key = ?", [key])
        return None if value is None else str(value)

    def set_setting(self, key: str, value: str | None) -> None:
        with self.write("change setting", key) as cur:
            cur.execute("DELETE FROM settings WHERE key = ?", [key]).complete()
            if value is not None:
                cur.execute("INSERT INTO settings VALUES (?, ?)", [key, value]).complete()

    def store_import(
        self,
        *,
        file_name: str,
        sha256: str,
        format: str,
        mapping: dict[str, Any],
        options: dict[str, Any],
        rows_read: int,
        instances: pl.DataFrame,
        rejects: pl.DataFrame,
        catalog_defaults: pl.DataFrame | None = None,
        is_demo: bool = False,
        open_items: pl.DataFrame | None = None,
        statuses_confirmed: bool = False,
        progress: Progress | None = None,
    ) -> StoreResult:
        """Store one import in one transaction.

        An instance identical in offering, case, activity, start, end and resource to
        one stored by an earlier import is a duplicate (an overlapping export). Rows
        repeated inside this file are kept, as METRICS.md asks: when the file holds an
        event k times and the warehouse already holds it j times, k − j copies land.

        ``catalog_defaults`` (offering, activity, kind, is_end_activity) are what a tool
        export says about its statuses ("Stuck" is waiting, "Done" ends the case): they
        apply to activities new to the catalog only, so a person's edits are never
        overwritten.

        ``open_items`` (OPEN_ITEM_SCHEMA) are the statuses the export's unfinished items
        are in now. All are kept with this import (undo removes them); which one is a
        case's current status is resolved when reading (:meth:`open_items`), so a
        re-import or an overlapping, newer export never shows one twice and a status
        that later instances or a newer export superseded does not linger.

        ``progress`` (done, total, offering) is told before each offering the import
        touches is derived again, with its report and figures, and (total, total, "")
        once they all are: most of a big warehouse's import.
        """
        opened = (
            pl.DataFrame(schema=OPEN_ITEM_SCHEMA)
            if open_items is None
            else open_items.select([pl.col(c).cast(t) for c, t in OPEN_ITEM_SCHEMA.items()])
        )
        batch = instances.select(
            [
                pl.col(c).cast(EVENT_SCHEMA[c])
                for c in ("offering", "case_id", "activity", "start", "end", "resource")
            ]
            + [pl.col("attributes").cast(pl.String), pl.col("source_row").cast(pl.Int64)]
        ).with_row_index("batch_pos")
        _check_times(batch, ("start", "end"), file_name)
        _check_times(opened, ("entered",), file_name)
        detail = {"rows_read": rows_read, "instances": batch.height, "rejected": rejects.height}
        with self.write("import", file_name, detail) as cur:
            import_id = int(_one(cur, "SELECT coalesce(max(id), 0) + 1 FROM imports"))
            next_event = int(_one(cur, "SELECT coalesce(max(event_id), 0) + 1 FROM events"))
            cur.register("batch", batch)
            cur.register("open_batch", opened)
            shown = _shown_items(cur) if opened.height else None
            # Only cases the warehouse already holds can contain duplicates; a fresh
            # export (the common case) goes straight in without the window below.
            cur.execute(
                """
                CREATE TEMP TABLE stored AS
                SELECT e.offering, e.case_id, e.activity, e.start, e."end", e.resource,
                       count(*) AS n
                FROM events e
                SEMI JOIN (SELECT DISTINCT offering, case_id FROM batch) t
                  ON e.offering = t.offering AND e.case_id = t.case_id
                GROUP BY ALL
                """
            ).complete()
            overlap = int(_one(cur, "SELECT count(*) FROM stored"))
            source = "batch"
            if overlap:
                source = "keep"
                cur.execute(
                    """
                    CREATE TEMP TABLE keep AS
                    WITH numbered AS (
                        SELECT b.*, row_number() OVER (
                            PARTITION BY offering, case_id, activity, start, "end", resource
                            ORDER BY batch_pos) AS copy_no
                        FROM batch b
                        SEMI JOIN (SELECT DISTINCT offering, case_id FROM stored) t
                          ON b.offering = t.offering AND b.case_id = t.case_id
                    )
                    SELECT numbered.* EXCLUDE (copy_no)
                    FROM numbered LEFT JOIN stored
                      ON numbered.offering = stored.offering
                     AND numbered.case_id = stored.case_id
                     AND numbered.activity = stored.activity
                     AND numbered."end" = stored."end"
                     AND numbered.start IS NOT DISTINCT FROM stored.start
                     AND numbered.resource IS NOT DISTINCT FROM stored.resource
                    WHERE numbered.copy_no > coalesce(stored.n, 0)
                    UNION ALL
                    SELECT b.* FROM batch b
                    ANTI JOIN (SELECT DISTINCT offering, case_id FROM stored) t
                      ON b.offering = t.offering AND b.case_id = t.case_id
                    """
                ).complete()
            stored = int(_one(cur, f"SELECT count(*) FROM {source}"))
            # Event ids follow the order in the source; gaps (skipped duplicates) are harmless.
            cur.execute(
                f"""
                INSERT INTO events (event_id, offering, case_id, activity, start, "end",
                                    resource, attributes, import_id, source_row)
                SELECT ? + batch_pos, offering, case_id, activity, start, "end", resource,
                       attributes, ?, source_row
                FROM {source}
                """,
                [next_event, import_id],
            ).complete()
            # The cases this import adds events to, and below those whose open item shown
            # changes: only they are derived again where the offering's other cases can
            # be kept (warehouse.derived).
            touched = cur.sql(f"SELECT DISTINCT offering, case_id FROM {source}").pl()
            cur.execute("DROP TABLE stored").complete()
            if overlap:
                cur.execute("DROP TABLE keep").complete()
            cur.execute(
                "INSERT INTO open_items (offering, case_id, activity, entered, resource, "
                "attributes, import_id, source_row) SELECT offering, case_id, activity, entered, "
                "resource, attributes, ?, source_row FROM open_batch",
                [import_id],
            ).complete()
            if shown is not None:
                touched = pl.concat([touched, _changed_cases(shown, _shown_items(cur))])
            offerings = (
                cur.sql(
                    "SELECT offering FROM batch UNION SELECT offering FROM open_batch ORDER BY 1"
                )
                .pl()["offering"]
                .to_list()
            )
            cur.register(
                "catalog_defaults", _catalog_defaults(catalog_defaults, statuses_confirmed)
            )
            self._extend_catalog(cur)
            cur.unregister("catalog_defaults")
            _check_bounds(cur, import_id, file_name)
            self.rederive(cur, offerings, touched, progress)
            cur.unregister("open_batch")
            cur.unregister("batch")
            if rejects.height:
                rows = rejects.select(
                    pl.lit(import_id, pl.Int64).alias("import_id"),
                    pl.col("source_row").cast(pl.Int64),
                    pl.col("reason").cast(pl.String),
                    pl.col("raw").cast(pl.String),
                )
                cur.register("reject_rows", rows)
                cur.execute("INSERT INTO rejects SELECT * FROM reject_rows").complete()
                cur.unregister("reject_rows")
            cur.execute(
                "INSERT INTO imports (id, file_name, sha256, format, mapping, rows_read, stored, "
                "duplicates, rejected, imported_at, options, offerings, is_demo, imported_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    import_id,
                    file_name,
                    sha256,
                    format,
                    json.dumps(mapping),
                    rows_read,
                    stored,
                    batch.height - stored,
                    rejects.height,
                    datetime.now(UTC),
                    json.dumps(options, sort_keys=True),
                    json.dumps(offerings),
                    is_demo,
                    self.actor.name,
                ],
            ).complete()
        return StoreResult(
            import_id=import_id,
            stored=stored,
            duplicates=batch.height - stored,
            open_items=opened.height,
        )

    @staticmethod
    def _extend_catalog(cur: duckdb.DuckDBPyConnection) -> None:
        """New activities of the batch and its open items join the catalog unclassified,
        in their usual order.

        The usual order is the median position of the activity in its cases within
        this batch (an open item comes after its case's instances): cheap, and right
        for the first import of an offering, which is the one that fills its catalog.
        Their kind and end flag come from the import's defaults (the registered
        ``catalog_defaults``), else 'work' and the default rule. A kind an import guessed
        from a status's name is marked ``auto_kind`` until a person confirms it (the
        import's ``confirmed`` column says they did before importing).
        """
        cur.execute(
            """
            INSERT INTO activities (offering, activity, value_class, kind, standard_minutes,
                                    is_end_activity, display_order, auto_kind)
            WITH new_acts AS (
                SELECT DISTINCT offering, activity
                FROM (SELECT offering, activity FROM batch
                      UNION ALL SELECT offering, activity FROM open_batch) b
                WHERE NOT EXISTS (SELECT 1 FROM activities a
                                  WHERE a.offering = b.offering AND a.activity = b.activity)
            ),
            positions AS (
                SELECT offering, activity,
                       row_number() OVER (PARTITION BY offering, case_id
                                          ORDER BY coalesce(start, "end"), "end", batch_pos) AS pos
                FROM batch WHERE offering IN (SELECT offering FROM new_acts)
                UNION ALL
                SELECT o.offering, o.activity, coalesce(c.n, 0) + 1 AS pos
                FROM open_batch o
                LEFT JOIN (SELECT offering, case_id, count(*) AS n FROM batch GROUP BY ALL) c
                  USING (offering, case_id)
                WHERE o.offering IN (SELECT offering FROM new_acts)
            ),
            typical AS (
                SELECT offering, activity, median(pos) AS med, count(*) AS n
                FROM positions GROUP BY ALL
            ),
            base AS (
                SELECT offering, coalesce(max(display_order), 0) AS top
                FROM activities GROUP BY offering
            )
            SELECT n.offering, n.activity, 'unclassified', coalesce(d.kind, 'work'), NULL,
                   d.is_end_activity,
                   coalesce(b.top, 0) + row_number() OVER (
                       PARTITION BY n.offering ORDER BY t.med, t.n DESC, n.activity),
                   d.kind IS NOT NULL AND NOT coalesce(d.confirmed, false)
            FROM new_acts n
            JOIN typical t USING (offering, activity)
            LEFT JOIN base b USING (offering)
            LEFT JOIN catalog_defaults d USING (offering, activity)
            """
        ).complete()

    def drop_unused_catalog(self, offerings: Sequence[str], action: str = "remove demo") -> int:
        """Forget the catalog rows of these offerings' activities that no event uses any more."""
        with self.write(action, ", ".join(offerings)) as cur:
            removed = int(
                _one(
                    cur,
                    "SELECT count(*) FROM activities a WHERE list_contains(?, a.offering) AND "
                    f"{_UNUSED}",
                    [list(offerings)],
                )
            )
            cur.execute(
                f"DELETE FROM activities a WHERE list_contains(?, a.offering) AND {_UNUSED}",
                [list(offerings)],
            ).complete()
        return removed

    def undo_import(self, import_id: int, progress: Progress | None = None) -> int:
        """Remove what one import stored; its history row stays, marked undone. ``progress``
        is told how far the derivation of the offerings it touched got (`store_import`)."""
        with self.write("undo import", f"import #{import_id}") as cur:
            rows = cur.execute("SELECT undone_at FROM imports WHERE id = ?", [import_id]).fetchall()
            if not rows:
                raise WarehouseError(f"There is no import #{import_id}.")
            if rows[0][0] is not None:
                raise WarehouseError(f"Import #{import_id} was already undone.")
            # A later import skipped the events this one had already stored; removing them
            # now would lose them from that import too. Undo the later one first.
            later = cur.execute(
                "SELECT l.id FROM imports l, imports x WHERE x.id = ? AND l.id > x.id "
                "AND l.undone_at IS NULL AND l.duplicates > 0 AND EXISTS ("
                "SELECT 1 FROM json_each(l.offerings) lo, json_each(x.offerings) xo "
                "WHERE lo.value = xo.value) ORDER BY l.id DESC",
                [import_id],
            ).fetchall()
            if later:
                raise WarehouseError(
                    f"Import #{later[0][0]} skipped events that import #{import_id} had stored "
                    f"(an overlapping export): undo import #{later[0][0]} first, or its data "
                    "would be lost too."
                )
            removed = int(_one(cur, "SELECT count(*) FROM events WHERE import_id = ?", [import_id]))
            touched = cur.sql(
                "SELECT DISTINCT offering, case_id FROM events WHERE import_id = $1 "
                "UNION SELECT offering, case_id FROM open_items WHERE import_id = $1",
                params=[import_id],
            ).pl()
            cur.execute("DELETE FROM events WHERE import_id = ?", [import_id]).complete()
            cur.execute("DELETE FROM open_items WHERE import_id = ?", [import_id]).complete()
            cur.execute(
                "UPDATE imports SET undone_at = ? WHERE id = ?", [datetime.now(UTC), import_id]
            ).complete()
            cur.execute(
                f"DELETE FROM activities a WHERE {_UNUSED} "
                "AND a.value_class = 'unclassified' AND a.standard_minutes IS NULL "
                "AND a.is_end_activity IS NULL AND coalesce(a.kind, 'work') = 'work'"
            ).complete()
            self.rederive(cur, touched["offering"].unique().to_list(), touched, progress)
        return removed
