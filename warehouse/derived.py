"""Every case's derivation, stored beside the events it comes from.

Deriving the cases (order, predecessor, waits, lead and process time, rework,
variant: `metrics.derived.derive_all`) is the costly start of every figure. The
warehouse keeps its result in two tables, `derived_instances` and `derived_cases`
(the frames' schemas, `metrics.derive.INSTANCE_SCHEMA` and
`metrics.cases.CASE_SCHEMA`), written in the same transaction as the change that
alters them: an import, an undo, a catalog edit, a calendar switched on or off.
Only the offerings the change touches are derived again: a case's figures never
depend on another offering (end activities and whether steps are classified are
read per offering).

Each offering is derived on its own, so `case_index` is numbered within its
offering; reading puts the offerings together in their sorted order and numbers
the cases as one derivation over every event would (the cases with steps first,
then the cases that are only an open item), so what a page reads equals
`derive_all` over the whole warehouse. A warehouse too big to hold is read as its
cases and a lazy scan of its steps instead (`load_stored`, `scan_instances`): each
query reads only the columns and offerings it uses.

`derived_state` says which offerings are derived and by which version of the
definitions (`DERIVATION_VERSION`, a digest of the code that derives). A
warehouse made by an older release, or whose offering was written by a process
that could not derive, has stale offerings: `load_derivation` derives them once,
stores them and reports its progress.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import polars as pl

from metrics import cases as _cases_module
from metrics import derive as _derive_module
from metrics import derived as _derived_module
from metrics import figures as page_figures
from metrics import working_time as _working_time_module
from metrics.cases import (
    CASE_SCHEMA,
    CASE_TABLE_COLUMNS,
    case_table,
    end_activities_from_counts,
    ending_counts,
    merge_ending_counts,
)
from metrics.derive import EVENT_COLUMNS, INSTANCE_SCHEMA, derive_instances
from metrics.derived import Derived, derive_all
from metrics.filters import CaseFilter
from metrics.health import HEALTH_SCHEMA, HEALTH_STEP_COLUMNS, default_health
from metrics.report import STEP_COLUMNS, report, report_of_figures
from metrics.summary import ENGINE
from metrics.variants import compact_variants, variant_text
from metrics.working_time import Calendar, Clock, calendar_problems, clock_for
from model import CATALOG_SCHEMA, OPEN_ITEM_STORED_SCHEMA, after, in_case_order, placed
from model import order as _order_module
from warehouse.apart import LOWEST, ApartFailed, run_apart
from warehouse.mapped import mapped
from warehouse.schema import row_key

if TYPE_CHECKING:
    from warehouse.db import Progress, Warehouse

log = logging.getLogger(__name__)


def _digest() -> str:
    """A digest of the code that derives: a release that changes a definition or a
    schema derives every offering again when it first opens an older warehouse."""
    h = hashlib.sha256()
    for module in (
        _derive_module,
        _cases_module,
        _derived_module,
        _working_time_module,
        _order_module,
    ):
        h.update(Path(str(module.__file__)).read_bytes())
    h.update(repr(sorted((k, str(v)) for k, v in INSTANCE_SCHEMA.items())).encode())
    h.update(repr(sorted((k, str(v)) for k, v in CASE_SCHEMA.items())).encode())
    return h.hexdigest()[:16]


DERIVATION_VERSION = f"1-{_digest()}"
"""The version of the stored derivation; rows of another version are derived again."""


def _report_digest() -> str:
    """This module (what `_store_report` reads and how), every module of metrics/ (the
    stored figures reach most of them) and polars (whose arithmetic gives their last
    digits)."""
    h = hashlib.sha256(f"{DERIVATION_VERSION} polars {pl.__version__}".encode())
    h.update(Path(__file__).read_bytes())
    for path in sorted(Path(str(page_figures.__file__)).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


REPORT_VERSION = f"1-{_report_digest()}"
"""The version of a stored report, health row and page figures: of the derivation, of
the code that computes and stores them, and of polars."""


def _read(
    cur: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> pl.DataFrame:
    from warehouse.db import _utc

    return _utc(cur.sql(sql, params=list(params) if params else None).pl())


def _tables(cur: duckdb.DuckDBPyConnection) -> int:
    return int(
        _read(
            cur,
            "SELECT count(*) AS n FROM information_schema.tables "
            "WHERE table_name IN ('derived_instances', 'derived_cases', 'derived_state')",
        )["n"][0]
    )


def prepare_tables(wh: Warehouse) -> None:
    """Create the derived tables, or start them again when they hold another version's
    rows (every offering is then stale), in a transaction of its own.

    Never inside the transaction that fills them: DuckDB 2.0.0 loses track of large
    inserts (over a row group, 122,880 rows) into a table created in the same
    transaction; a later DELETE leaves them in place and the counts double."""
    cur = wh._cursor()
    try:
        if _tables(cur) == 0:
            return  # not migrated yet (an old file opened without migrating)
        versions = _read(cur, "SELECT DISTINCT version FROM derived_state")["version"].to_list()
        if _tables(cur) == 3 and all(v == DERIVATION_VERSION for v in versions):
            return
    finally:
        cur.close()
    try:
        _start_tables(wh)
    except duckdb.Error as exc:  # a read-only file: the pages derive in memory instead
        log.warning("cannot prepare the derived tables of %s: %s", wh.path, exc)


def _start_tables(wh: Warehouse) -> None:
    with wh.transaction() as cur:
        cur.execute("DROP TABLE IF EXISTS derived_instances").complete()
        cur.execute("DROP TABLE IF EXISTS derived_cases").complete()
        cur.execute("DELETE FROM derived_state").complete()
        for kept in (
            "derived_reports",
            "derived_findings",
            "derived_finding_frames",
            "derived_figures",
        ):
            if has_table(cur, kept):
                cur.execute(f"DELETE FROM {kept}").complete()
        for name, schema in (
            ("derived_instances", INSTANCE_SCHEMA),
            ("derived_cases", CASE_SCHEMA),
        ):
            cur.register("empty_frame", pl.DataFrame(schema=schema))
            cur.execute(f"CREATE TABLE {name} AS SELECT * FROM empty_frame").complete()
            cur.unregister("empty_frame")


def has_table(cur: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        cur.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()[0][0]
    )


def _has_reports(cur: duckdb.DuckDBPyConnection) -> bool:
    return has_table(cur, "derived_reports")


def _calendars_in_force(
    cur: duckdb.DuckDBPyConnection, offerings: Sequence[str] | None = None
) -> dict[str, Calendar]:
    """The calendars that are on, by offering (of `offerings` when given); one a stricter
    release no longer accepts is left off rather than stopping every page."""
    frame = _read(
        cur,
        "SELECT offering, CAST(definition AS VARCHAR) AS definition FROM calendars WHERE is_on",
    )
    found = {o: json.loads(d) for o, d in frame.iter_rows() if offerings is None or o in offerings}
    return {o: Calendar.from_json(c) for o, c in found.items() if not calendar_problems(c)}


def working_calendars(wh: Warehouse) -> dict[str, Calendar]:
    """The calendars that are on, by offering: those offerings' durations count working
    time only."""
    cur = wh._cursor()
    try:
        return _calendars_in_force(cur)
    finally:
        cur.close()


PART_EVENTS = 1_000_000
"""An offering, and the cases an import or undo touches, are derived in parts of whole
cases of about this many events each, so an import's memory stays the same however
large the offering grows (deriving 20 million events at once took 22 GB; an import into
a ten-million-event warehouse peaked at 2.23 GB in parts of two million, 1.84 GB in
parts of one, in the same time)."""


_OF_OFFERING = "FROM events WHERE offering = ?"
"""The events of one offering (its one parameter), for `_bounds` and `_derived_in_parts`."""


def _bounds(
    cur: duckdb.DuckDBPyConnection, offering: str, of: str = _OF_OFFERING
) -> list[pl.Series]:
    """The offering's case ids with events (those of the events `of` selects, FROM ...
    WHERE with the offering its one parameter) in consecutive parts, in the order cases
    are numbered in (model.order), each part holding about PART_EVENTS events; one part
    (of every case) where they are no more."""
    per_case = _read(cur, f"SELECT case_id, count(*) AS n {of} GROUP BY case_id", [offering])
    if per_case["n"].sum() <= PART_EVENTS:
        return [per_case["case_id"]]
    ordered = in_case_order(per_case.lazy()).collect()
    parts = ordered.with_columns(part=(pl.col("n").cum_sum() - 1) // PART_EVENTS)
    return [part["case_id"] for part in parts.partition_by("part", maintain_order=True)]


def _events_of_part(
    cur: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None, ids: pl.Series, parts: int
) -> pl.DataFrame:
    """The events `query` selects of the cases `ids` (every event where there is one part
    alone), in the columns the derivation reads."""
    if parts == 1:
        return _read(cur, query, params).cast(EVENT_COLUMNS)  # type: ignore[arg-type]
    cur.register("_part_cases", pl.DataFrame({"case_id": ids}, schema={"case_id": pl.String}))
    try:
        of_part = f"SELECT * FROM ({query}) WHERE case_id IN (SELECT case_id FROM _part_cases)"
        return _read(cur, of_part, params).cast(EVENT_COLUMNS)  # type: ignore[arg-type]
    finally:
        cur.unregister("_part_cases")


def _store(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    # DuckDB reads the local name `derived_frame` (a replacement scan), where a view
    # registered inside a transaction keeps its frame alive until the transaction ends:
    # an import held every part it derived at once (21 GB to import five million events
    # into a warehouse of 35 million).
    derived_frame = frame  # noqa: F841
    cur.execute(f"INSERT INTO {table} SELECT * FROM derived_frame").complete()


_EVENT_COLUMN_LIST = ", ".join(f'"{c}"' for c in EVENT_COLUMNS)
"""Only the columns the derivation reads: the attributes are most of an event's bytes."""


def _derivation_inputs(cur: duckdb.DuckDBPyConnection, offering: str) -> tuple[pl.DataFrame, Clock]:
    """The offering's catalog and the clock its durations are read on (its calendar's, if
    one is on, over the span of its events and up to its open items' latest entry, as
    `metrics.derived.derive_all` reads it: a reading beyond the span would be cut short,
    and an import that moves the span would change a case it does not touch), as `cur`
    sees them."""
    from warehouse.db import catalog_query

    catalog = _read(cur, *catalog_query(offering)).cast(CATALOG_SCHEMA)  # type: ignore[arg-type]
    span = _read(
        cur,
        'SELECT min(least(start, "end")) AS first, greatest(max("end"), '
        "(SELECT max(entered) FROM open_items WHERE offering = $1)) AS last "
        "FROM events WHERE offering = $1",
        [offering],
    ).row(0)
    calendar = _calendars_in_force(cur, [offering]).get(offering)
    return catalog, clock_for({offering: calendar} if calendar else None, span[0], span[1])


def _derive_offering(cur: duckdb.DuckDBPyConnection, offering: str) -> tuple[int, int]:
    """Derive one offering from what `cur` sees (inside a write transaction: the change
    being made) and store it; returns (instances, cases).

    Each part of whole cases runs `metrics.derive.derive_instances`, numbered after the
    parts before it. Which steps end a case is a property of the whole offering, so the
    parts' ending counts are added up (`metrics.cases.merge_ending_counts`) before each
    part's cases are built (`metrics.cases.case_table`), as the Spark engine does. The
    cases that are only an open item are numbered after every case with steps, as one
    derivation of the whole offering numbers them: they go with the last part."""
    from warehouse.db import open_items_query

    catalog, clock = _derivation_inputs(cur, offering)
    items = _read(cur, *open_items_query([offering])).cast(
        OPEN_ITEM_STORED_SCHEMA  # type: ignore[arg-type]
    )
    parts: list[pl.Series] = []
    stepped: list[int] = []
    counts: list[pl.DataFrame] = []
    for ids, instances, n in _derived_in_parts(cur, offering, _OF_OFFERING, catalog, clock):
        _store(cur, "derived_instances", instances)
        counts.append(ending_counts(instances.lazy()).collect())
        parts.append(ids)
        stepped.append(n)
    merged = merge_ending_counts(pl.concat(counts).lazy())
    case_columns = ", ".join(f'"{c}"' for c in CASE_TABLE_COLUMNS)
    total_stepped, open_from, n_cases, n_instances = sum(stepped), 0, 0, 0
    with_events = pl.col("case_id").is_in(pl.concat(parts).implode())
    for i, (ids, n) in enumerate(zip(parts, stepped, strict=True)):
        stepped_from = sum(stepped[:i])
        # Only the columns the case table reads (the counts are the offering's).
        instances = _read(
            cur,
            f"SELECT {case_columns} FROM derived_instances WHERE offering = ? "
            "AND case_index >= ? AND case_index < ? ORDER BY case_index, seq",
            [offering, stepped_from, stepped_from + n],
        ).cast({c: INSTANCE_SCHEMA[c] for c in CASE_TABLE_COLUMNS})
        last = i == len(parts) - 1
        own_items = items.filter(pl.col("case_id").is_in(ids.implode()) | (last & ~with_events))
        cases = case_table(instances.lazy(), own_items.lazy(), clock=clock, counts=merged).collect(
            engine=ENGINE
        )
        only_open = pl.col("n_instances") == 0
        index = pl.col("case_index").cast(pl.Int64)
        cases = cases.with_columns(
            case_index=pl.when(only_open)
            .then(index - stepped_from - n + total_stepped + open_from)
            .otherwise(index)
            .cast(pl.UInt32)
        )
        _store(cur, "derived_cases", cases)
        open_from += cases.height - n
        n_cases += cases.height
        n_instances += instances.height
    return n_instances, n_cases


def rederive(
    cur: duckdb.DuckDBPyConnection,
    offerings: Sequence[str],
    touched: pl.DataFrame | None = None,
) -> None:
    """Derive these offerings again and store them, inside the caller's transaction.
    An offering with nothing left (its last import undone) leaves no rows. A warehouse
    without the tables (opened without migrating) is left to derive when read.

    `touched` (offering, case_id): the only cases whose events or open items the change
    added or removed, where the catalog changed only by activities no other case has
    (an import or an undo). An offering derived by this release's definitions then keeps
    its other cases as stored (`_rederive_cases`); one derived by an older release's is
    derived whole."""
    if _tables(cur) < 3:
        return
    # The findings kept for the old derivation (warehouse.kept_findings) go with it.
    kept = [t for t in ("derived_findings", "derived_finding_frames") if has_table(cur, t)]
    for offering in sorted(set(offerings)):
        counted = None
        if touched is not None and _derived_now(cur, offering):
            own = touched.filter(pl.col("offering") == offering)["case_id"].unique()
            if own.len() == 0:
                continue  # it held every event already (an overlapping export): unchanged
            counted = _rederive_cases(cur, offering, own)
        for table in ("derived_state", *kept):
            cur.execute(f"DELETE FROM {table} WHERE offering = ?", [offering]).complete()
        if counted is None:
            for table in ("derived_instances", "derived_cases"):
                cur.execute(f"DELETE FROM {table} WHERE offering = ?", [offering]).complete()
            counted = _derive_offering(cur, offering)
        n_instances, n_cases = counted
        if n_cases == 0:
            _store_report(cur, offering, 0)  # forgets the old one
            continue
        cur.execute(
            "INSERT INTO derived_state VALUES (?, ?, ?, ?, ?)",
            [offering, DERIVATION_VERSION, datetime.now(UTC), n_instances, n_cases],
        ).complete()
        _store_report(cur, offering, n_instances)


def _rederive_cases(
    cur: duckdb.DuckDBPyConnection, offering: str, case_ids: pl.Series
) -> tuple[int, int]:
    """Derive again the cases `case_ids` of the offering (one or more) and store them with
    its other cases as one derivation of the whole offering stores them; returns
    (instances, cases). They are derived in parts of whole cases of about PART_EVENTS
    events, as a whole offering is, and their steps held until they are stored (a
    quarter of a kilobyte a step).

    A case's steps and figures depend on its own events, the catalog and the clock; on
    the other cases only through which activities end a case and whether any step is
    classified (the offering-wide ending counts), read here off the stored steps. Where
    the touched cases change those, the other cases' figures that follow from them are
    set again in place (`_decided_again`)."""
    from warehouse.db import open_items_query

    first = min(case_ids.cast(pl.String).to_list(), key=placed)
    head = _cases_before(cur, offering, first)
    cur.register(
        "_touched_cases",
        pl.DataFrame(
            {"offering": offering, "case_id": case_ids},
            schema={"offering": pl.String, "case_id": pl.String},
        ),
    )
    try:
        mine = "case_id IN (SELECT case_id FROM _touched_cases)"
        # Their events, read straight from the table: the derivation orders them itself.
        theirs = f"FROM events WHERE offering = ? AND {mine}"
        counts = _read(
            cur,
            f"SELECT offering, activity, {mine} AS touched, count(*) AS occurrences, "
            "count(*) FILTER (WHERE is_last) AS last_of_case, "
            "max(catalog_is_end) AS catalog_is_end, bool_or(kind = 'done') AS done, "
            "bool_or(value_class <> 'unclassified') AS classified "
            "FROM derived_instances WHERE offering = ? GROUP BY ALL",
            [offering],
        )
        rest = _ending(counts.filter(~pl.col("touched")))
        catalog, clock = _derivation_inputs(cur, offering)
        stepped = [part for _, part, _ in _derived_in_parts(cur, offering, theirs, catalog, clock)]
        steps = pl.concat(stepped, rechunk=False)
        now = _ending(pl.concat([rest, ending_counts(steps.lazy()).collect()]))
        items = _read(cur, *open_items_query([offering], of_cases="_touched_cases")).cast(
            OPEN_ITEM_STORED_SCHEMA  # type: ignore[arg-type]
        )
        # Each part's cases with their open items; those that are only an open item go
        # with the last part, as a derivation of the whole offering puts them.
        with_events = pl.col("case_id").is_in(steps["case_id"].unique().implode())
        cases = pl.concat(
            case_table(
                part.lazy(),
                items.filter(
                    pl.col("case_id").is_in(part["case_id"].unique().implode())
                    | (pl.lit(i == len(stepped) - 1) & ~with_events)
                ).lazy(),
                clock=clock,
                counts=now.lazy(),
            ).collect(engine=ENGINE)
            for i, part in enumerate(stepped)
        )
        del stepped
        _store_from(cur, offering, head, mine, steps, cases)
        _decided_again(cur, offering, _ending(counts), now)
    finally:
        cur.unregister("_touched_cases")
    return _sizes(cur, offering)


def _derived_in_parts(
    cur: duckdb.DuckDBPyConnection, offering: str, theirs: str, catalog: pl.DataFrame, clock: Clock
) -> Iterator[tuple[pl.Series, pl.DataFrame, int]]:
    """The steps of the cases whose events `theirs` selects (FROM ... WHERE, the offering
    its one parameter), derived in parts of whole cases of about PART_EVENTS events
    (`_bounds`), one part at a time: its case ids, its steps (its cases numbered after
    those of the parts before) and how many cases with steps it holds."""
    parts = _bounds(cur, offering, theirs)
    numbered = 0
    for ids in parts:
        events = _events_of_part(
            cur, f"SELECT {_EVENT_COLUMN_LIST} {theirs}", [offering], ids, len(parts)
        )
        part = derive_instances(events.lazy(), catalog.lazy(), clock).collect(engine=ENGINE)
        del events
        n = int(part["case_index"].max() + 1) if part.height else 0  # type: ignore[operator]
        yield ids, part.with_columns(pl.col("case_index") + pl.lit(numbered, pl.UInt32)), n
        numbered += n


def _cases_before(cur: duckdb.DuckDBPyConnection, offering: str, first: str) -> int:
    """How many stored cases with steps come before the case id `first` in the order
    cases are numbered in (model.order). They are numbered 0 to that count less one, so a
    stored case comes from `first` on exactly where its `case_index` is that count or
    more (the cases that are only an open item are numbered after every one with
    steps)."""
    ids = _read(
        cur,
        "SELECT case_id FROM derived_cases WHERE offering = ? AND n_instances > 0",
        [offering],
    )
    return ids.height - ids.filter(after(first) | (pl.col("case_id") == first)).height


def _store_from(
    cur: duckdb.DuckDBPyConnection,
    offering: str,
    head: int,
    mine: str,
    steps: pl.DataFrame,
    cases: pl.DataFrame,
) -> None:
    """Store the touched cases' new `steps` and `cases` (those `mine` selects; `head` the
    number of stored cases with steps before the first of them, `_cases_before`) in place
    of their old rows. The stored cases numbered from `head` on (the cases with steps in
    the order cases are numbered in, then those that are only an open item) are numbered
    again and their rows stored again in order with the new ones, by DuckDB: where they
    fall into at most RUNS_MAX runs between the new ones, each run copied in one
    statement (`_store_in_runs`); else all of them and the new steps in one statement,
    sorted (`_store_sorted`). The steps of the cases before stay where they are, so the
    stored steps stay in their order."""
    later = f"case_index >= {int(head)}"
    stored = _read(
        cur,
        f"SELECT * FROM derived_cases WHERE offering = ? AND {later} AND NOT {mine}",
        [offering],
    ).cast(CASE_SCHEMA)  # type: ignore[arg-type]
    every = pl.concat([stored, cases])
    numbers = (
        in_case_order(every.lazy().select("case_id", "n_instances"), [pl.col("n_instances") == 0])
        .select("case_id", case_index=(pl.int_range(pl.len()) + head).cast(pl.UInt32))
        .collect()
    )
    of_offering = f"offering = ? AND {later}"
    runs = _runs(stored, cases, numbers)
    # The rows stored until now are told from those stored again by their row ids, which
    # the rows a change appends count on from.
    until = _read(
        cur, "SELECT max(rowid) AS last FROM derived_instances WHERE offering = ?", [offering]
    )["last"][0]
    if runs.height <= RUNS_MAX:
        _store_in_runs(cur, offering, until, runs, _numbered(steps, numbers))
    else:
        _store_sorted(cur, offering, head, until, stored, numbers, _numbered(steps, numbers))
    if until is not None:
        cur.execute(
            "DELETE FROM derived_instances WHERE offering = ? AND case_index >= ? AND rowid <= ?",
            [offering, head, until],
        ).complete()
    cur.execute(f"DELETE FROM derived_cases WHERE {of_offering}", [offering]).complete()
    _store(cur, "derived_cases", _numbered(every, numbers))


RUNS_MAX = 64
"""An import or undo copies the stored cases after the first touched one in place with
DuckDB (`_store_in_runs`) where they and the new cases fall into at most this many runs,
one statement each (the ten million stored steps of three offerings in 4.6 s), else
stores them and the new steps in one statement that sorts them (`_store_sorted`: the
4.9 million stored steps of an offering in 3.5 s against 3.0 s copied in one run, and
DuckDB's memory up to its limit while it sorts; docs/SCALE.md)."""


def _runs(stored: pl.DataFrame, cases: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    """The cases with steps numbered again (the `stored` ones not touched and the touched
    ones' new `cases`, as `numbers` numbers them), in runs in their new order: a run of
    stored cases whose numbers all move by one `shift` (`first` to `last` their stored
    numbers), or one of new cases (`shift` null; `first` to `last` their new numbers)."""
    with_steps = pl.col("n_instances") > 0
    old = pl.concat(
        [
            stored.filter(with_steps).select("case_id", old=pl.col("case_index").cast(pl.Int64)),
            cases.filter(with_steps).select("case_id", old=pl.lit(None, pl.Int64)),
        ]
    )
    numbered = (
        old.join(numbers, on="case_id")
        .sort("case_index")
        .with_columns(shift=pl.col("case_index").cast(pl.Int64) - pl.col("old"))
    )
    shift = pl.col("shift")
    return (
        numbered.with_columns(run=shift.ne_missing(shift.shift()).cum_sum())
        .group_by("run", maintain_order=True)
        .agg(
            shift.first(),
            first=pl.coalesce("old", "case_index").min(),
            last=pl.coalesce("old", "case_index").max(),
        )
        .drop("run")
    )


def _store_in_runs(
    cur: duckdb.DuckDBPyConnection,
    offering: str,
    until: int | None,
    runs: pl.DataFrame,
    steps: pl.DataFrame,
) -> None:
    """Store the offering's steps from the first run on again as `_runs` orders them:
    each run of stored cases copied by DuckDB from their stored rows (those up to row id
    `until`), numbered again (those rows are stored in their order, and a copy keeps
    it), each run of new cases from `steps` (numbered, in their order)."""
    for shift, first, last in runs.iter_rows():
        if shift is None:
            _store(
                cur, "derived_instances", steps.filter(pl.col("case_index").is_between(first, last))
            )
            continue
        cur.execute(
            "INSERT INTO derived_instances SELECT * REPLACE "
            "(CAST(case_index::BIGINT + ? AS UINTEGER) AS case_index) "
            "FROM derived_instances WHERE offering = ? AND case_index BETWEEN ? AND ? "
            "AND rowid <= ?",
            [shift, offering, first, last, until],
        ).complete()


def _store_sorted(
    cur: duckdb.DuckDBPyConnection,
    offering: str,
    head: int,
    until: int | None,
    stored: pl.DataFrame,
    numbers: pl.DataFrame,
    steps: pl.DataFrame,
) -> None:
    """Store the offering's steps from case `head` on again in one statement: the rows of
    the `stored` cases (those up to row id `until`) numbered again as `numbers` says and
    the new `steps` (numbered, in their order), sorted by case number and step by DuckDB
    (which spills to disk past its memory limit)."""
    # Read by their local names (replacement scans), as `_store` reads its frame.
    with_steps = stored.filter(pl.col("n_instances") > 0)
    old = with_steps.select("case_id", old=pl.col("case_index").cast(pl.UInt32))
    moved = old.join(numbers, on="case_id").drop("case_id")  # noqa: F841
    new_steps = steps  # noqa: F841
    cur.execute(
        "INSERT INTO derived_instances SELECT * FROM ("
        "SELECT d.* REPLACE (m.case_index AS case_index) FROM derived_instances d "
        "JOIN moved m ON d.case_index = m.old "
        "WHERE d.offering = ? AND d.case_index >= ? AND d.rowid <= ? "
        "UNION ALL BY NAME SELECT * FROM new_steps) ORDER BY case_index, seq",
        [offering, head, -1 if until is None else until],
    ).complete()


def _sizes(cur: duckdb.DuckDBPyConnection, offering: str) -> tuple[int, int]:
    """(instances, cases) of the offering's stored derivation."""
    sizes = _read(
        cur,
        "SELECT (SELECT count(*) FROM derived_instances WHERE offering = $1) AS i, "
        "(SELECT count(*) FROM derived_cases WHERE offering = $1) AS c",
        [offering],
    ).row(0)
    return int(sizes[0]), int(sizes[1])


def _derived_now(cur: duckdb.DuckDBPyConnection, offering: str) -> bool:
    """Whether the offering's stored derivation is of this release's definitions."""
    return bool(
        _read(
            cur,
            "SELECT count(*) AS n FROM derived_state WHERE offering = ? AND version = ?",
            [offering, DERIVATION_VERSION],
        )["n"][0]
    )


def _ending(counts: pl.DataFrame) -> pl.DataFrame:
    """The ending counts (metrics.cases.ENDING_COUNTS_SCHEMA) of rows counted per activity."""
    return merge_ending_counts(counts.lazy()).collect()


def _decided_again(
    cur: duckdb.DuckDBPyConnection, offering: str, before: pl.DataFrame, now: pl.DataFrame
) -> None:
    """Where the ending counts `before` and `now` (the offering's, without and with the
    change) decide differently, set again the stored cases' figures that follow from
    them, as `metrics.cases.case_table` sets them: whether a case is completed (its
    current step ends a case and it has no open item) for the cases whose current step's
    activity now ends a case or no longer does, and every case's PCE and its basis where
    the offering now classifies a step and did not, or the other way round. Row by row in
    place, the rows keep their order; the touched cases' rows, built with `now`, stay
    as they are."""

    def decided(counts: pl.DataFrame) -> pl.LazyFrame:
        return end_activities_from_counts(counts.lazy()).select("activity", "is_end_activity")

    # An activity counted on one side alone ends no case on the other.
    flipped = (  # also read by its local name in the statement below (a replacement scan)
        decided(before)
        .join(decided(now), on="activity", how="full", coalesce=True, suffix="_now")
        .with_columns(pl.col("is_end_activity", "is_end_activity_now").fill_null(False))
        .filter(pl.col("is_end_activity") != pl.col("is_end_activity_now"))
        .select("activity", ends="is_end_activity_now")
        .collect()
    )
    if flipped.height:
        shown = _open_cases(cur, offering)  # noqa: F841
        cur.execute(
            "UPDATE derived_cases SET completed = f.ends "
            "AND derived_cases.case_id NOT IN (SELECT case_id FROM shown) "
            "FROM flipped f WHERE derived_cases.offering = ? "
            "AND derived_cases.current_step = f.activity",
            [offering],
        ).complete()
    classified = bool(now["classified"].any())
    if classified != bool(before["classified"].any()):
        time = "value_adding_s" if classified else "process_time_s"
        cur.execute(
            f"UPDATE derived_cases SET pce = CASE WHEN lead_time_s > 0 THEN {time} / lead_time_s "
            "END, pce_basis = ? WHERE offering = ?",
            ["value-adding" if classified else "flow efficiency", offering],
        ).complete()


def _open_cases(cur: duckdb.DuckDBPyConnection, offering: str) -> pl.DataFrame:
    """The ids (`case_id`) of the offering's cases with an open item shown now: open, so
    not completed whatever their current step."""
    from warehouse.db import open_items_query

    if _read(cur, "SELECT count(*) AS n FROM open_items WHERE offering = ?", [offering])["n"][0]:
        return _read(cur, *open_items_query([offering])).select("case_id")
    return pl.DataFrame(schema={"case_id": pl.String})


def _numbered(frame: pl.DataFrame, numbers: pl.DataFrame) -> pl.DataFrame:
    """`frame`'s rows (steps or cases) numbered by case id as `numbers` says, in their
    order (a case's steps by `seq`), in the columns of their table."""
    steps = "seq" in frame.columns
    return (
        frame.drop("case_index", strict=False)
        .join(numbers, on="case_id", how="inner")
        .sort(["case_index", "seq"] if steps else ["case_index"])
        .select(list(INSTANCE_SCHEMA if steps else CASE_SCHEMA))
    )


REPORT_MAX_STEPS = 10_000_000
"""An offering of more steps gets no stored report or health row (the report command and
Stream health compute them when asked): computing them holds about 0.4 GB per million
steps at its peak, on top of what the import's own transaction holds."""


def _store_report(cur: duckdb.DuckDBPyConnection, offering: str, n_steps: int) -> None:
    """Store the offering's report, Stream health row and page figures from its stored
    derivation, inside the caller's transaction: the `report` command, Stream health's
    first view and the default views of seven more pages (`metrics.figures`) answer from
    them without reading a step.

    The report is `metrics.report.report` of every case in elapsed time: an offering
    with a calendar on is stored in working time, which the command does not count
    unless told, so it gets none. The health row is `metrics.health.default_health`, on
    the stored clock, as the page shows it; the figures are `metrics.figures.STORED` of
    every case, as the pages compute them of the stored steps. An offering of more than
    REPORT_MAX_STEPS steps costs an import too much: it gets none of them here (the app
    stores them later from its step file: `store_reports_from_step_files`). The steps are
    read into memory for them up to REPORT_HELD_MAX_STEPS, else written to a file that
    each figure scans."""
    if not _has_reports(cur):
        return
    _forget_report(cur, offering)
    if n_steps > REPORT_MAX_STEPS:
        return
    cases = _offering_cases(cur, offering)
    if cases.height == 0:
        return
    with_figures = has_table(cur, "derived_figures")
    columns = _report_columns(with_figures)
    elapsed = offering not in _calendars_in_force(cur, [offering])
    apart = _apart[0] is not None and n_steps >= _apart[0]
    if not apart and n_steps <= REPORT_HELD_MAX_STEPS:
        steps = _held_steps(cur, offering, columns)
        _write_report(
            cur,
            offering,
            _report_rows(steps, cases, offering, elapsed=elapsed, with_figures=with_figures),
        )
        return
    with _steps_on_disk(cur, offering, columns) as file:
        given = (file, columns, cases, offering, elapsed, with_figures)
        try:
            # The change waits for them, at the priority of its own work, and nothing else
            # is to be waited for meanwhile.
            rows = _computed(apart, _file_report_rows, *given, niceness=0)
        except ApartFailed as exc:
            # The change itself is stored: the pages compute these figures when asked
            # and the next page run stores them again (`_report_again`).
            log.warning("cannot compute the report of %s: %s", offering, exc)
            return
        _keep_as_step_file(cur, offering, columns, file)
    _write_report(cur, offering, rows)


def _keep_as_step_file(
    cur: duckdb.DuckDBPyConnection, offering: str, columns: Sequence[str], file: Path
) -> None:
    """Where the app keeps step files beside the warehouse already (their folder exists),
    make the file of every step column the figures were computed from the offering's step
    file of this derivation (named by the stamp `cur` sees, inside the change), which
    `write_step_files` would otherwise write again, the same rows, once the change is
    committed: five to ten seconds of the app's background at ten million steps. It is
    set aside in the folder (not as a step file) and takes its name only once the change
    is committed, so a step file never names a stamp that is not, and the step-file
    thread never removes one that is; a change rolled back removes it."""
    from warehouse.db import when_ended

    if list(columns) != list(INSTANCE_SCHEMA):
        return
    file_of = _database_file(cur)
    stamp = _stamps(cur).get(offering)
    folder = _steps_beside(file_of) if file_of is not None else None
    if stamp is None or folder is None or not folder.is_dir():
        return
    aside = folder / f".{uuid.uuid4().hex}{_ASIDE_SUFFIX}"
    try:
        file.replace(aside)
    except OSError as exc:  # another disk, say: the app writes the file after the change
        log.warning("cannot keep the step file of %s: %s", offering, exc)
        return
    final = _step_file(folder, offering, stamp)

    def ended(committed: bool) -> None:
        try:
            if committed:
                aside.replace(final)
        except OSError as exc:
            log.warning("cannot keep the step file of %s: %s", offering, exc)
        finally:
            aside.unlink(missing_ok=True)

    if not when_ended(cur, ended):
        aside.unlink(missing_ok=True)


_ASIDE_SUFFIX = ".kept"
"""The suffix of a step file an import sets aside until it commits (`_keep_as_step_file`):
not `.parquet`, so the step-file thread neither reads nor removes it."""


REPORT_HELD_MAX_STEPS = 1_000_000
"""An offering of at most this many steps whose report and figures are computed here has
its steps read into memory for them, not written to a Parquet file that each figure
then scans (`_steps_on_disk`): the three offerings of a million demo events (493,469
steps in the largest) took 3.0-3.3 s against 3.5-4.2 s, the two ways run in turn, and
the largest's figures peaked lower held (501-512 against 547-550 MiB, in a process of
their own started at 178 MiB: DuckDB's copy buffers are the difference)."""


def _held_steps(
    cur: duckdb.DuckDBPyConnection, offering: str, columns: Sequence[str]
) -> pl.LazyFrame:
    """`columns` of the offering's stored steps as `cur` sees them, held in memory, in
    their order (case, then step): as stored, sorted where a scan did not keep it."""
    listed = ", ".join(f'"{c}"' for c in columns)
    steps = _read(
        cur, f"SELECT {listed} FROM derived_instances WHERE offering = ?", [offering]
    ).cast({c: INSTANCE_SCHEMA[c] for c in columns})
    if not steps.select(pl.struct("case_index", "seq").is_sorted()).item():
        steps = steps.sort("case_index", "seq")
    return steps.lazy()


APART_MIN_STEPS = 1_000_000
"""With `compute_apart` on, the report and figures an import, undo, catalog edit or
upgrade stores are computed in a process of their own for an offering of at least this
many steps (about 0.4 GB held while they are computed); a smaller one's are computed
here, in less time than a process takes to start (0.7 s)."""

_apart: list[int | None] = [None]


def compute_apart(min_steps: int | None = APART_MIN_STEPS) -> None:
    """Have `_store_report` compute the figures of an offering of at least `min_steps`
    steps in a process of their own (warehouse.apart; None: none). The app turns it on
    (`VSM_APART_MIN_STEPS` moves the bound), so that a change to a warehouse of ten
    million events holds its derivation only, not the gigabyte more its figures need
    while they are computed. A command that runs once and ends keeps them in its
    process."""
    _apart[0] = min_steps


def apart_min_steps() -> int | None:
    """The bound `compute_apart` set (None: nothing is computed apart)."""
    return _apart[0]


def _forget_report(cur: duckdb.DuckDBPyConnection, offering: str) -> None:
    cur.execute("DELETE FROM derived_reports WHERE offering = ?", [offering]).complete()
    if has_table(cur, "derived_figures"):
        cur.execute("DELETE FROM derived_figures WHERE offering = ?", [offering]).complete()


def _offering_cases(cur: duckdb.DuckDBPyConnection, offering: str) -> pl.DataFrame:
    """The offering's stored cases as `cur` sees them, numbered as stored (from 0)."""
    return _in_order(
        _read(cur, "SELECT * FROM derived_cases WHERE offering = ?", [offering]).cast(
            CASE_SCHEMA  # type: ignore[arg-type]
        ),
        ["case_index"],
    )


def _report_columns(with_figures: bool) -> list[str]:
    """The step columns the stored report reads (every figure's too, `with_figures`)."""
    return [
        c for c in INSTANCE_SCHEMA if with_figures or c in STEP_COLUMNS or c in HEALTH_STEP_COLUMNS
    ]


@dataclass(frozen=True)
class _ReportRows:
    """What `_write_report` stores of one offering (see `_store_report`)."""

    report: str | None
    basis: str | None
    health: bytes
    figures: list[tuple[str, bytes, str | None]]


def _report_rows(
    steps: pl.LazyFrame,
    cases: pl.DataFrame,
    offering: str,
    *,
    elapsed: bool,
    with_figures: bool,
    between: Callable[[], None] = lambda: None,
) -> _ReportRows:
    """The report (None where the offering's clock is not `elapsed` time), health row and,
    `with_figures`, the page figures of the offering's stored `steps` and `cases`;
    `between` is called after each of them."""
    figures: str | None = None
    basis: str | None = None
    kept = []
    made: dict[str, Any] = {}
    if with_figures:
        for name, figure in page_figures.every_figure(steps, cases):
            between()
            kept.append((name, *page_figures.encode(figure)))
            if name in _REPORT_FIGURES:
                made[name] = figure
    if elapsed:
        if with_figures:
            # The report is the figures of every case put together, not computed again.
            n_steps = steps.select(pl.len()).collect().item()
            found, basis = report_of_figures(
                made["summary"], made["steps"], made["transitions"], offering, n_steps
            )
        else:
            found, basis = report(steps, cases.lazy(), offering, CaseFilter())
        figures = json.dumps(found, allow_nan=False)
        between()
    health = default_health(steps.select(HEALTH_STEP_COLUMNS), cases.lazy()).collect(engine=ENGINE)
    return _ReportRows(figures, basis, page_figures.to_parquet(health), kept)


_REPORT_FIGURES = ("summary", "steps", "transitions")
"""The page figures of every case the stored report is put together from
(metrics.report.report_of_figures)."""


def _write_report(cur: duckdb.DuckDBPyConnection, offering: str, rows: _ReportRows) -> None:
    cur.execute(
        "INSERT INTO derived_reports VALUES (?, ?, ?, ?, ?)",
        [offering, REPORT_VERSION, rows.report, rows.basis, rows.health],
    ).complete()
    _insert_figures(cur, offering, rows.figures)


def _insert_figures(
    cur: duckdb.DuckDBPyConnection, offering: str, figures: list[tuple[str, bytes, str | None]]
) -> None:
    for name, blob, rest in figures:
        cur.execute(
            "INSERT INTO derived_figures (figure_key, offering, name, figure, rest) "
            "VALUES (?, ?, ?, ?, ?)",
            [row_key(name, offering), offering, name, blob, rest],
        ).complete()


REPORT_AHEAD_MAX_STEPS = 30_000_000
"""The largest offering whose report and figures the app stores from its step file
(`store_reports_from_step_files`): 24.7 million steps held 7.9 GB at the peak."""

REPORT_BYTES_PER_STEP = 400
"""What computing an offering's report and figures from its step file holds at its peak,
per step, with a margin (24.7 million steps held 7.9 GB): an offering whose need is more than
`REPORT_MEMORY_SHARE` of the memory the system still has is left to the pages."""

REPORT_MEMORY_SHARE = 0.8

_CANNOT_COMPUTE = (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, MemoryError)
"""What computing one offering's step file or report can fail with (a panic of polars'
engine is no Exception): logged, and the next offering is done all the same."""


def _available_memory() -> int | None:
    """The bytes the system can still give without swapping (Linux's MemAvailable), or
    less where a container's memory limit leaves less; None where neither says."""
    found: list[int] = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            found += [int(ln.split()[1]) * 1024 for ln in meminfo if ln.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        pass
    for mount, controller, limit, used, stat, cache in CGROUP_MEMORY:
        for folder in _cgroup_folders(mount, controller):  # a limit, wherever it is set
            left = _left_in_group(folder / limit, folder / used, folder / stat, cache)
            if left is not None:
                found.append(left)
    return min(found) if found else None


def _left_in_group(limit: Path, used: Path, stat: Path, cache: str) -> int | None:
    """A control group's limit less what it uses, None where it sets no limit."""
    try:
        cap = limit.read_text(encoding="ascii").strip()
        if not cap.isdigit() or int(cap) >= 2**60:
            return None
        in_use = int(used.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    # What the group uses counts the file cache, which the kernel gives back when asked:
    # its inactive part is free for the taking (as the working set is counted).
    try:
        for line in stat.read_text(encoding="ascii").splitlines():
            key, _, value = line.partition(" ")
            if key == cache:
                in_use -= int(value)
    except (OSError, ValueError):
        pass
    return max(0, int(cap) - max(0, in_use))


def _cgroup_folders(mount: str, controller: str) -> list[Path]:
    """The folder of the process's own control group under `mount` (as /proc/self/cgroup
    names it for `controller`, "" for cgroup v2) and each one above it up to `mount`: a
    limit set on a parent (a systemd slice, a container's group) binds the process too.
    Only those that exist and can be read (inside a container the group is usually the
    mount itself); a group outside the mount's view ("/.." in its path) leaves the mount
    alone."""
    own = ""
    try:
        text = Path(PROC_CGROUP).read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        text = ""
    for line in text.splitlines():
        fields = line.split(":", 2)
        if len(fields) == 3 and (fields[1] == controller or controller in fields[1].split(",")):
            own = fields[2]
            break
    parts = [part for part in own.split("/") if part and part != "."]
    if ".." in parts:
        parts = []
    folders: list[Path] = []
    for folder in dict.fromkeys(Path(mount, *parts[:n]) for n in range(len(parts), -1, -1)):
        try:
            if folder.is_dir():
                folders.append(folder)
        except OSError:  # a folder the process may not look into sets no limit it can read
            continue
    return folders


PROC_CGROUP = "/proc/self/cgroup"

CGROUP_MEMORY = (
    ("/sys/fs/cgroup", "", "memory.max", "memory.current", "memory.stat", "inactive_file"),
    (
        "/sys/fs/cgroup/memory",
        "memory",
        "memory.limit_in_bytes",
        "memory.usage_in_bytes",
        "memory.stat",
        "total_inactive_file",
    ),
)
"""Per control-group hierarchy, cgroup v2 then v1: where it is mounted, its controller's
name in /proc/self/cgroup, and in each group's folder the files of the limit ("max" or a
huge number where there is none), of what is in use and of the statistics, and the name
of the reclaimable file cache in those."""


def _too_big_for_memory(offering: str, steps: int) -> bool:
    """Whether computing `offering`'s report from its `steps` would take more memory than
    the system has to spare now (logged: its pages compute their figures when asked)."""
    free = _available_memory()
    need = steps * REPORT_BYTES_PER_STEP
    if free is None or need <= REPORT_MEMORY_SHARE * free:
        return False
    log.warning(
        "not storing the report of %s now: its %d steps need about %.1f GB, and %.1f GB "
        "are available; its pages compute their figures when asked (tried again after the "
        "next change of the data or a restart)",
        offering,
        steps,
        need / 2**30,
        free / 2**30,
    )
    return True


def _from_step_files(
    wh: Warehouse,
    wanted: Callable[[duckdb.DuckDBPyConnection], list[tuple[str, str]]],
    columns: Sequence[str],
    between: Callable[[], None],
) -> Iterator[tuple[str, str, pl.DataFrame, bool, Path]]:
    """(offering, stamp, its cases, whether its clock is elapsed time, its step file) of
    each (offering, stamp) `wanted` finds whose step file of that derivation is written,
    whose figures fit in memory and which still has that derivation and a case;
    `between` is called before each."""
    folder = step_folder(wh)
    if folder is None:
        return
    cur = wh._cursor()
    try:
        if not _has_reports(cur):
            return
        todo = wanted(cur)
        sizes = dict(_read(cur, "SELECT offering, instances FROM derived_state").iter_rows())
    finally:
        cur.close()
    for offering, stamp in todo:
        file = _step_file(folder, offering, stamp)
        if not file.exists():
            continue
        between()
        if _too_big_for_memory(offering, int(sizes.get(offering) or 0)):
            continue
        cur = wh._cursor()
        try:
            cur.execute("BEGIN TRANSACTION").complete()
            current = _stamps(cur).get(offering) == stamp
            cases = _offering_cases(cur, offering) if current else None
            elapsed = offering not in _calendars_in_force(cur, [offering])
            cur.execute("COMMIT").complete()
        finally:
            cur.close()
        if cases is None or cases.height == 0:
            continue
        yield offering, stamp, cases, elapsed, file
        del cases  # this offering's cases are freed before the next one's are read


_T = TypeVar("_T")


def _computed(
    apart: bool,
    function: Callable[..., _T],
    *args: Any,
    between: Callable[[], None] | None = None,
    niceness: int = LOWEST,
) -> _T:
    """`function(*args)`, in a process of its own at `niceness` where `apart`
    (warehouse.apart, which calls `between` while it waits, the process stopped; None:
    nothing to wait for), else here (`function` calls it after each figure)."""
    if apart:
        return run_apart(function, *args, between=between, niceness=niceness)
    return function(*args, between=between or (lambda: None))


def _step_scan(file: Path, columns: Sequence[str]) -> pl.LazyFrame:
    """`columns` of a step file, in the types of the derivation."""
    return pl.scan_parquet(file).select(columns).cast({c: INSTANCE_SCHEMA[c] for c in columns})


def _file_report_rows(
    file: Path,
    columns: Sequence[str],
    cases: pl.DataFrame,
    offering: str,
    elapsed: bool,
    with_figures: bool,
    between: Callable[[], None] = lambda: None,
) -> _ReportRows:
    """`_report_rows` of an offering's step file (`columns` of it) and cases."""
    steps = _step_scan(file, columns)
    return _report_rows(
        steps, cases, offering, elapsed=elapsed, with_figures=with_figures, between=between
    )


def _view_figure_rows(
    file: Path,
    columns: Sequence[str],
    cases: pl.DataFrame,
    between: Callable[[], None] = lambda: None,
) -> list[tuple[str, bytes, str | None]]:
    """(name, frames, fields) of each figure of the stored views of an offering's step
    file (`columns` of it) and cases, encoded as stored; `between` after each."""
    steps = _step_scan(file, columns)
    kept = []
    for prefix in page_figures.STORED_VIEWS:
        for name, figure in page_figures.view_figures(prefix, steps, cases):
            kept.append((name, *page_figures.encode(figure)))
            between()
    return kept


def store_reports_from_step_files(
    wh: Warehouse,
    between: Callable[[], None] = lambda: None,
    told: Callable[[str], None] = lambda offering: None,
    apart: bool = False,
) -> list[str]:
    """Store the report, health row and page figures of each derived offering of more
    than REPORT_MAX_STEPS (and at most REPORT_AHEAD_MAX_STEPS) steps that has none of
    this release, computed from its step file (`write_step_files`) where one is written;
    returns the offerings stored.

    An import leaves such an offering without them (computing them would double its
    time): until they are stored, the pages say so and wait for them while the app's
    step-file thread is at work on them (ui.views.FiguresPending), and compute them
    when asked otherwise (a minute for Redesign at fifty million events). They are computed outside any transaction,
    from the file of one derivation and the cases read with its stamp; they are stored
    in a short transaction, only if that derivation is still the offering's: one an
    import replaced meanwhile keeps what the import stored. `between` is called before
    each offering and between the figures (the app waits there while a page computes);
    `told(offering)` as soon as an offering's are stored. An offering is skipped while
    the system has too little memory to spare for it (`REPORT_BYTES_PER_STEP`): a
    smaller machine keeps serving its pages rather than run out of memory. `apart`:
    each offering's are computed in a process of its own (warehouse.apart), so the
    caller never holds the memory they need.
    """
    cur = wh._cursor()
    try:
        with_figures = has_table(cur, "derived_figures")
    finally:
        cur.close()
    stored = []
    columns = _report_columns(with_figures)
    for offering, stamp, cases, elapsed, file in _from_step_files(
        wh, _unreported_big, columns, between
    ):
        given = (file, columns, cases, offering, elapsed, with_figures)
        try:
            rows = _computed(apart, _file_report_rows, *given, between=between)
        except (*_CANNOT_COMPUTE, ApartFailed) as exc:
            # The next offering is still stored; this one's pages compute when asked.
            log.warning("cannot compute the report of %s from its step file: %s", offering, exc)
            continue
        finally:
            del cases, given  # freed before the next offering's are read
        with wh.transaction() as cur:
            if (offering, stamp) not in _unreported_big(cur):
                continue
            _forget_report(cur, offering)
            _write_report(cur, offering, rows)
        stored.append(offering)
        told(offering)
    return stored


def store_view_figures(
    wh: Warehouse, between: Callable[[], None] = lambda: None, apart: bool = False
) -> list[str]:
    """Store the page figures of the views of `metrics.figures.STORED_VIEWS` (the
    "Completed cases only" toggle and the sidebar's relative time windows, with it and
    without) of each offering, computed from its step file (`write_step_files`), for each
    offering whose figures of every case are stored and whose step file is written;
    returns the offerings stored.

    Those are the filters people choose most; at ten million events a view's figures
    took the pages 1.5 to 7 s to compute and held a gigabyte more while they did.
    Like `store_reports_from_step_files` (whose `between` this is), they are computed
    outside any transaction from the file of one derivation, one view after the other,
    and stored in a short transaction only if that derivation is still the offering's
    and its figures of every case still stored; an import, undo or catalog edit of the
    offering forgets them with its other figures, and the pages compute the view when
    asked until they are stored again. `apart`: as `store_reports_from_step_files`'s."""
    stored = []
    columns = _report_columns(with_figures=True)
    for offering, stamp, cases, _, file in _from_step_files(wh, _without_views, columns, between):
        try:
            kept = _computed(apart, _view_figure_rows, file, columns, cases, between=between)
        except (*_CANNOT_COMPUTE, ApartFailed) as exc:
            log.warning("cannot compute the stored views' figures of %s: %s", offering, exc)
            continue
        finally:
            del cases
        with wh.transaction() as cur:
            if (offering, stamp) not in _without_views(cur):
                continue
            _insert_figures(cur, offering, kept)
        stored.append(offering)
    return stored


def _without_views(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(offering, stamp) of the derived offerings `store_view_figures` is for: with this
    release's figures of every case stored and a case, without the figures of any other
    view."""
    if not has_table(cur, "derived_figures"):
        return []
    found = _read(
        cur,
        "SELECT s.offering FROM derived_state s JOIN derived_reports r USING (offering) "
        "WHERE s.version = ? AND s.instances <= ? AND r.version = ? "
        "AND EXISTS (SELECT 1 FROM derived_figures f WHERE f.offering = s.offering "
        "AND f.name = ?) AND NOT EXISTS (SELECT 1 FROM derived_figures f "
        "WHERE f.offering = s.offering AND contains(f.name, ':')) AND EXISTS (SELECT 1 "
        "FROM derived_cases c WHERE c.offering = s.offering) "
        "ORDER BY s.offering",
        [
            DERIVATION_VERSION,
            REPORT_AHEAD_MAX_STEPS,
            REPORT_VERSION,
            next(iter(page_figures.STORED)),
        ],
    )["offering"].to_list()
    stamps = _stamps(cur)
    return [(o, stamps[o]) for o in found if o in stamps]


def _unreported_big(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(offering, stamp) of the derived offerings `store_reports_from_step_files` is for."""
    found = _read(
        cur,
        "SELECT offering FROM derived_state WHERE version = ? AND instances > ? "
        "AND instances <= ? AND offering NOT IN "
        "(SELECT offering FROM derived_reports WHERE version = ?) ORDER BY offering",
        [DERIVATION_VERSION, REPORT_MAX_STEPS, REPORT_AHEAD_MAX_STEPS, REPORT_VERSION],
    )["offering"].to_list()
    stamps = _stamps(cur)
    return [(o, stamps[o]) for o in found if o in stamps]  # an undo may remove one between


@contextmanager
def _steps_on_disk(
    cur: duckdb.DuckDBPyConnection, offering: str, columns: Sequence[str], where: str = "true"
) -> Iterator[Path]:
    """The offering's stored steps as `cur` sees them (inside the caller's transaction),
    `columns` of INSTANCE_SCHEMA in their order, in a Parquet file DuckDB writes beside
    the warehouse (removed after; `_step_scan` reads it): each figure computed of them
    reads only the columns it uses, where one frame of every column held them all while
    every figure was computed. Private label fulfillment's 16.8 million steps: see
    docs/SCALE.md."""
    path = _spill_folder(cur) / f".steps-{uuid.uuid4().hex}.parquet"
    try:
        _copy_steps(cur, offering, columns, path, where)
        yield path
    finally:
        path.unlink(missing_ok=True)


def _quoted(text: str) -> str:
    """`text` inside a SQL string literal (COPY takes no parameters)."""
    return text.replace("'", "''")


def _copy_steps(
    cur: duckdb.DuckDBPyConnection,
    offering: str,
    columns: Sequence[str],
    path: Path,
    where: str = "true",
) -> pl.LazyFrame:
    """Have DuckDB write `columns` of the offering's stored steps, as `cur` sees them (those
    `where` keeps, a SQL condition), to the Parquet file `path`, in their order (case,
    then step); a lazy scan of it."""
    listed = ", ".join(f'"{c}"' for c in columns)
    quoted = _quoted(offering)
    target = _quoted(str(path))
    schema = {c: INSTANCE_SCHEMA[c] for c in columns}
    # COPY takes no parameters: the offering is a quoted literal. The steps are stored in
    # their order, which a scan keeps; sorting them is the fallback (it held 6.8 GB for
    # 16.8 million steps).
    for order in ("", " ORDER BY case_index, seq"):
        cur.execute(
            f"COPY (SELECT {listed} FROM derived_instances WHERE offering = '{quoted}' "
            f"AND ({where}){order}) TO '{target}' (FORMAT parquet, COMPRESSION lz4)"
        ).complete()
        steps = pl.scan_parquet(path).cast(schema)  # type: ignore[arg-type]
        if order or steps.select(pl.struct("case_index", "seq").is_sorted()).collect().item():
            break
    return steps


STEP_FILES_SUFFIX = ".steps"
"""The folder beside a warehouse file (`<file>.steps`) of its step files."""


def step_folder(wh: Warehouse) -> Path | None:
    """Where the warehouse's step files are kept (None for a warehouse in memory)."""
    if str(wh.path) in ("", ":memory:"):
        return None
    return _steps_beside(wh.path)


def _steps_beside(file: Path) -> Path:
    """The step folder of the warehouse file `file`."""
    return file.with_name(file.name + STEP_FILES_SUFFIX)


def _stamps(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each derived offering's stamp, as `cur` sees them: when it was derived (new at every
    derivation) and by which version, as a step file's name carries it."""
    frame = _read(cur, "SELECT offering, epoch_us(derived_at) AS at, version FROM derived_state")
    return {o: f"{at}-{hashlib.sha1(v.encode()).hexdigest()[:8]}" for o, at, v in frame.iter_rows()}


def current_stamps(wh: Warehouse) -> dict[str, str]:
    cur = wh._cursor()
    try:
        return _stamps(cur)
    finally:
        cur.close()


def _step_file(folder: Path, offering: str, stamp: str) -> Path:
    return folder / f"{hashlib.sha1(offering.encode()).hexdigest()[:16]}-{stamp}.parquet"


def write_step_files(wh: Warehouse) -> int:
    """Write each derived offering's stored steps to a Parquet file of its own beside the
    warehouse (`step_folder`), named by the offering and its derivation's stamp, where
    none is written yet; remove the files of derivations that are gone. Returns how many
    it wrote.

    A warehouse too big to hold its steps is scanned by each query of a view that is not
    stored (a filter): polars reads such a file in less than half the time of the same
    query's scan of the table (`scan_instances` reads it when it exists). Each file is
    written in one read transaction with the stamp it is named by, so it is the
    derivation it says, whatever an import does meanwhile."""
    folder = step_folder(wh)
    if folder is None:
        return 0
    folder.mkdir(exist_ok=True)
    written = 0
    stamps = current_stamps(wh)
    for offering, stamp in stamps.items():
        final = _step_file(folder, offering, stamp)
        if final.exists():
            continue
        partial = folder / f".{uuid.uuid4().hex}.parquet"
        cur = wh._cursor()
        try:
            cur.execute("BEGIN TRANSACTION").complete()
            if _stamps(cur).get(offering) == stamp:
                _copy_steps(cur, offering, list(INSTANCE_SCHEMA), partial)
                partial.replace(final)
                written += 1
            cur.execute("COMMIT").complete()
        except (duckdb.Error, *_CANNOT_COMPUTE) as exc:  # the next offering's file is written
            log.warning("cannot write the step file of %s: %s", offering, exc)
        finally:
            partial.unlink(missing_ok=True)
            cur.close()
    # Listed before the stamps are read again: a file an import keeps takes its name
    # once its stamp is committed (`_keep_as_step_file`), so one listed here is current.
    listed = list(folder.glob("*.parquet"))
    current = {_step_file(folder, o, s).name for o, s in current_stamps(wh).items()}
    for old in listed:
        if old.name not in current:
            old.unlink(missing_ok=True)
    return written


def _spill_folder(cur: duckdb.DuckDBPyConnection) -> Path:
    """The folder of the warehouse's file (the system's temporary folder for a warehouse in
    memory): the steps a report reads are written there, on the warehouse's disk."""
    file = _database_file(cur)
    return file.resolve().parent if file is not None else Path(tempfile.gettempdir())


def _database_file(cur: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the warehouse `cur` reads (None for a warehouse in memory)."""
    found = _read(
        cur, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    )["path"]
    return Path(found[0]) if not found.is_empty() and found[0] else None


def _current_reports(cur: duckdb.DuckDBPyConnection, what: str, offerings: Sequence[str]) -> list:
    """(offering, `what`) of the stored rows of this release, of `offerings`."""
    if not _has_reports(cur):
        return []
    return cur.execute(
        f"SELECT offering, {what} FROM derived_reports r JOIN derived_state s USING (offering) "
        "WHERE list_contains(?, offering) AND r.version = ? AND s.version = ?",
        [list(offerings), REPORT_VERSION, DERIVATION_VERSION],
    ).fetchall()


def stored_report(wh: Warehouse, offering: str) -> tuple[dict[str, Any], str] | None:
    """(figures, PCE basis) of `metrics.report.report` over every case of `offering`, as
    stored at the last change, or None when there is none of this release (an offering
    with a calendar on or of more than REPORT_MAX_STEPS steps, a stale derivation, an
    old file opened without migrating)."""
    cur = wh._cursor()
    try:
        rows = _current_reports(cur, "report, pce_basis", [offering])
    finally:
        cur.close()
    if not rows or rows[0][1] is None:
        return None
    return json.loads(rows[0][1]), rows[0][2]


def stored_health(wh: Warehouse, offerings: Sequence[str]) -> pl.DataFrame | None:
    """`metrics.health.default_health` of `offerings` (HEALTH_SCHEMA, by offering) as
    stored at the last change, or None when one of them has none of this release."""
    rows, missing = stored_health_of(wh, offerings)
    return None if missing else rows


def stored_health_of(wh: Warehouse, offerings: Sequence[str]) -> tuple[pl.DataFrame, list[str]]:
    """(`stored_health` of those of `offerings` whose rows are stored, the others sorted):
    an offering of more than REPORT_MAX_STEPS steps has none until the app stores its
    report from its step file (`store_reports_from_step_files`)."""
    cur = wh._cursor()
    try:
        rows = _current_reports(cur, "health", offerings)
    finally:
        cur.close()
    missing = sorted(set(offerings) - {offering for offering, _ in rows})
    if not rows:
        return pl.DataFrame(schema=HEALTH_SCHEMA), missing
    frames = [pl.read_parquet(io.BytesIO(blob)) for _, blob in rows]
    return pl.concat(frames).sort("offering"), missing


def stored_figure(wh: Warehouse, offering: str, name: str) -> Any:
    """The figure `name` of `metrics.figures.STORED` over every case of `offering` (with
    the prefix of one of `metrics.figures.STORED_VIEWS` before it: over that view of its
    cases, or a window's `HEALTH` or `WINDOW_SCORECARD` rows, `store_view_figures`), as
    stored at the last change, or None when there is none of this release."""
    rows = _current_figures(wh, "figure, rest", offering, name)
    return page_figures.decode(name, rows[0][0], rows[0][1]) if rows else None


def has_stored_figure(wh: Warehouse, offering: str, name: str) -> bool:
    """Whether `stored_figure(wh, offering, name)` finds a figure, without reading it."""
    return bool(_current_figures(wh, "name", offering, name))


def _current_figures(wh: Warehouse, what: str, offering: str, name: str | None = None) -> list:
    """`what` (columns of `derived_figures`) of the stored figures of `offering` (only the
    one called `name`, if given) of this release's derivation and report."""
    cur = wh._cursor()
    try:
        if not has_table(cur, "derived_figures"):
            return []
        # One figure is found by its key alone, first: DuckDB then looks it up in the
        # key's index. Filtered within the join, it fetched the blobs of every figure
        # (at ten million events 46 MB and 0.08-0.10 s a figure, now 6 MB and 0.01 s).
        which = "offering = ?" if name is None else "figure_key = ?"
        return cur.execute(
            f"WITH f AS MATERIALIZED (SELECT offering, {what} FROM derived_figures "
            f"WHERE {which}) SELECT {what} FROM f "
            "JOIN derived_reports r USING (offering) JOIN derived_state s USING (offering) "
            "WHERE r.version = ? AND s.version = ?",
            [
                offering if name is None else row_key(name, offering),
                REPORT_VERSION,
                DERIVATION_VERSION,
            ],
        ).fetchall()
    finally:
        cur.close()


def stored_figure_names(wh: Warehouse, offering: str) -> set[str]:
    """The names of the figures `stored_figure` finds for `offering`: none for an offering
    of more than REPORT_MAX_STEPS steps, with a calendar on, or of an older release."""
    return {name for (name,) in _current_figures(wh, "name", offering) if ":" not in name}


def reported_ahead(wh: Warehouse) -> list[str]:
    """The offerings whose report the app is to store from their step files
    (`store_reports_from_step_files`: more than REPORT_MAX_STEPS steps and at most
    REPORT_AHEAD_MAX_STEPS, no report of this release), sorted."""
    cur = wh._cursor()
    try:
        if not _has_reports(cur) or _tables(cur) < 3:
            return []
        return sorted(offering for offering, _ in _unreported_big(cur))
    finally:
        cur.close()


def unreported_offerings(wh: Warehouse) -> list[str]:
    """The derived offerings without a report of this release (not those of more than
    REPORT_MAX_STEPS steps)."""
    cur = wh._cursor()
    try:
        if not _has_reports(cur) or _tables(cur) < 3:
            return []
        found = _read(
            cur,
            "SELECT offering FROM derived_state WHERE version = ? AND instances <= ? "
            "AND offering NOT IN (SELECT offering FROM derived_reports WHERE version = ?) "
            "ORDER BY offering",
            [DERIVATION_VERSION, REPORT_MAX_STEPS, REPORT_VERSION],
        )["offering"].to_list()
    finally:
        cur.close()
    return found


def stale_offerings(wh: Warehouse) -> list[str]:
    """The offerings whose stored derivation is missing or of another version (none in
    an old file opened without migrating, which has no stored derivation to serve)."""
    cur = wh._cursor()
    try:
        if _tables(cur) < 3:
            return []
    finally:
        cur.close()
    return wh.read(
        "SELECT offering FROM (SELECT DISTINCT offering FROM events "
        "UNION SELECT DISTINCT offering FROM open_items) "
        "WHERE offering NOT IN (SELECT offering FROM derived_state WHERE version = ?) "
        "ORDER BY offering",
        [DERIVATION_VERSION],
    )["offering"].to_list()


def derive_stale(wh: Warehouse, progress: Progress | None = None) -> list[str]:
    """Derive and store every stale offering, one transaction each; returns them.

    This changes nothing a person sees (the figures are those the events give), so it
    needs no role and is not in the audit trail."""
    stale = stale_offerings(wh)
    # Those whose report alone is of an older release are told after the derived ones.
    total = len(stale) + len(set(unreported_offerings(wh)) - set(stale))
    for i, offering in enumerate(stale):
        if progress is not None:
            progress(i, total, offering)
        with wh.transaction() as cur:
            rederive(cur, [offering])

    def told(done: int, offering: str) -> None:
        if progress is not None:
            progress(min(len(stale) + done, total), max(total, 1), offering)

    _report_again(wh, told)
    if progress is not None and total:
        progress(total, total, "")
    return stale


def _report_again(wh: Warehouse, told: Callable[[int, str], None] = lambda i, o: None) -> None:
    """Store the report and health row of every derived offering that has none of this
    release (a release that computes them otherwise), one transaction each, calling
    `told(i, offering)` before the i-th (from 0). A file that cannot be written keeps
    serving its stored derivation: the command and the page compute what is missing
    when asked."""
    for i, offering in enumerate(unreported_offerings(wh)):
        try:
            with wh.transaction() as cur:
                # Read again inside the transaction: an import may have come in between.
                current = cur.execute(
                    "SELECT s.instances FROM derived_state s WHERE s.offering = ? "
                    "AND s.version = ? AND s.offering NOT IN "
                    "(SELECT offering FROM derived_reports WHERE version = ?)",
                    [offering, DERIVATION_VERSION, REPORT_VERSION],
                ).fetchall()
                if current:
                    told(i, offering)
                    _store_report(cur, offering, int(current[0][0]))
        except (duckdb.Error, OSError) as exc:
            log.warning("cannot store the report of %s in %s: %s", offering, wh.path, exc)
            return


def _read_cases(
    wh: Warehouse, offerings: list[str], compact: bool = False
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The stored cases of `offerings` (sorted), numbered as one derivation of them all
    numbers its cases: those with steps by (offering, case id), then those that are only
    an open item; and by offering, the shift of its steps' `case_index` (each offering is
    stored numbered from 0, so each part only shifts). Where `compact`, their variants
    are `metrics.variants.COMPACT_VARIANT`, made one offering at a time (the text of one
    offering's variants held at once, not every offering's), and the cases are mapped
    from an unnamed file in the warehouse's folder (`warehouse.mapped`): what the app
    holds.

    One read per offering: its rows are stored in their order, which a scan keeps,
    where one ORDER BY over every offering takes twice as long."""

    def one(offering: str) -> pl.DataFrame:
        read = _in_order(
            wh.read("SELECT * FROM derived_cases WHERE offering = ?", [offering]).cast(
                CASE_SCHEMA  # type: ignore[arg-type]
            ),
            ["case_index"],
        )
        return mapped(compact_variants(read), folder) if compact else read

    # What the app holds is mapped from an unnamed file in the warehouse's folder.
    folder = None if step_folder(wh) is None else wh.path.resolve().parent
    parts = [one(o) for o in offerings]
    if len({part.schema["variant"] for part in parts}) > 1:
        # Some offering's variants stayed text (more step names than the compact type
        # numbers): all are held as text, as one frame holds one type.
        parts = [part.with_columns(variant_text()) for part in parts]
    # Each offering is stored numbered from 0, its cases with steps first (as
    # `_derive_offering` numbers them): its two runs of rows are slices, each numbered
    # anew and put in order without a sort (which held a copy of every case: 1.2 GB at
    # ten million events for 0.2 GB of cases).
    stepped = [int((c["n_instances"] > 0).sum()) for c in parts]
    with_steps, only_open, shifts = [], [], {}
    stepped_from, open_from = 0, sum(stepped)
    for offering, case, n in zip(offerings, parts, stepped, strict=True):
        shifts[offering] = stepped_from
        with_steps.append(case.slice(0, n).with_columns(_case_index_plus(stepped_from)))
        only_open.append(case.slice(n).with_columns(_case_index_plus(open_from - n)))
        open_from += case.height - n
        stepped_from += n
    if not parts:
        empty = pl.DataFrame(schema=CASE_SCHEMA)
        return (compact_variants(empty) if compact else empty), shifts
    return pl.concat([*with_steps, *only_open], rechunk=False), shifts


def _case_index_plus(shift: int) -> pl.Expr:
    """`case_index` moved by `shift` (an offering's own numbering into the warehouse's)."""
    return (pl.col("case_index").cast(pl.Int64) + shift).cast(pl.UInt32)


def _shifted(frame: pl.DataFrame, shift: int) -> pl.DataFrame:
    if "case_index" not in frame.columns or shift == 0:
        return frame
    return frame.with_columns(_case_index_plus(shift))


def _read_instances(wh: Warehouse, shifts: dict[str, int]) -> pl.DataFrame:
    """The stored steps of the offerings of `shifts`, numbered as their cases; no join,
    which would copy every column of every step."""
    parts = [
        _shifted(
            _in_order(
                wh.read("SELECT * FROM derived_instances WHERE offering = ?", [o]).cast(
                    INSTANCE_SCHEMA  # type: ignore[arg-type]
                ),
                ["case_index", "seq"],
            ),
            shift,
        )
        for o, shift in shifts.items()
    ]
    if not parts:
        return pl.DataFrame(schema=INSTANCE_SCHEMA)
    return pl.concat(parts, rechunk=False)


SCAN_BATCH_ROWS = 250_000
"""Rows of one batch a scan of the stored steps hands to polars."""


def _at(node: Any, *keys: str) -> Any:
    """node[keys[0]][keys[1]]..., or None where one is missing."""
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def _text_equalities(predicate: pl.Expr | None) -> list[tuple[str, str]]:
    """The (column, value) of the `pl.col(text column) == "value"` terms `predicate`
    requires (itself or a term of its `&`s): one case's steps are then read as DuckDB
    finds them, not by handing every step of the offering to polars. Any other term is
    left to polars alone; so is every term of an expression this cannot read."""
    if predicate is None:
        return []
    try:
        tree = json.loads(predicate.meta.serialize(format="json"))
    except (ValueError, pl.exceptions.PolarsError):
        return []
    found: list[tuple[str, str]] = []

    def text(node: Any) -> str | None:
        scalar = _at(node, "Literal", "Scalar")
        value = scalar.get("String") if isinstance(scalar, dict) else None
        return value if isinstance(value, str) else None

    def walk(node: Any) -> None:
        binary = _at(node, "BinaryExpr")
        if not isinstance(binary, dict):
            return
        if binary.get("op") == "And":
            walk(binary.get("left"))
            walk(binary.get("right"))
        elif binary.get("op") == "Eq":
            sides = [binary.get("left"), binary.get("right")]
            for column, literal in (sides, sides[::-1]):
                name, value = _at(column, "Column"), text(literal)
                if isinstance(name, str) and INSTANCE_SCHEMA.get(name) == pl.String and value:
                    found.append((name, value))
                    return

    walk(tree)
    return found


def _scan_offering(wh: Warehouse, offering: str, shift: int) -> pl.LazyFrame:
    """A lazy scan of one offering's stored steps (INSTANCE_SCHEMA, in stored order),
    numbered as `_read_cases` numbers their cases. Each collect reads only the columns
    the query uses, on a cursor of its own (sessions collect at the same time), in
    batches: what a query keeps is held, not the table."""
    from polars.io.plugins import register_io_source

    def source(
        with_columns: list[str] | None,
        predicate: pl.Expr | None,
        n_rows: int | None,
        batch_size: int | None,
    ) -> Iterator[pl.DataFrame]:
        wanted = list(with_columns) if with_columns is not None else list(INSTANCE_SCHEMA)
        read = list(wanted)
        if predicate is not None:
            read += [c for c in predicate.meta.root_names() if c not in read]
        read = [c for c in INSTANCE_SCHEMA if c in read] or ["case_index"]
        columns = ", ".join(f'"{c}"' for c in read)
        sql = f"SELECT {columns} FROM derived_instances WHERE offering = ?"
        params: list[object] = [offering]
        for column, value in _text_equalities(predicate):
            sql += f' AND "{column}" = ?'  # a narrowing only: polars filters again below
            params.append(value)
        if n_rows is not None and predicate is None:
            sql += f" LIMIT {int(n_rows)}"
        schema = {c: INSTANCE_SCHEMA[c] for c in read}
        left = n_rows
        cur = wh._cursor()
        try:
            reader = cur.sql(sql, params=params).to_arrow_reader(SCAN_BATCH_ROWS)
            for batch in reader:
                frame = _shifted(pl.DataFrame(pl.from_arrow(batch)).cast(schema), shift)  # type: ignore[arg-type]
                if predicate is not None:
                    frame = frame.filter(predicate)
                frame = frame.select(wanted)
                if left is not None:
                    frame = frame.head(left)
                    left -= frame.height
                yield frame
                if left is not None and left <= 0:
                    break
        finally:
            cur.close()

    return register_io_source(
        source,
        schema=INSTANCE_SCHEMA,
        is_pure=True,
        explain_name="stored steps",
        explain_detail=offering,
    )


def scan_instances(
    wh: Warehouse, shifts: dict[str, int], stamps: Mapping[str, str] | None = None
) -> pl.LazyFrame:
    """The stored steps of the offerings of `shifts` (as `_read_cases` gives them), as
    one lazy scan: equal, collected, to `_read_instances`. An offering whose step file of
    the derivation `stamps` names is written (`write_step_files`) is read from it."""
    folder = step_folder(wh) if stamps else None
    scans = []
    for offering, shift in shifts.items():
        stamp = (stamps or {}).get(offering)
        file = _step_file(folder, offering, stamp) if folder and stamp else None
        if file is not None and file.exists():
            scans.append(_shifted_scan(pl.scan_parquet(file), shift))
        else:
            scans.append(_scan_offering(wh, offering, shift))
    if not scans:
        return pl.LazyFrame(schema=INSTANCE_SCHEMA)
    return pl.concat(scans, how="vertical")


def _shifted_scan(steps: pl.LazyFrame, shift: int) -> pl.LazyFrame:
    steps = steps.select(list(INSTANCE_SCHEMA)).cast(INSTANCE_SCHEMA)  # type: ignore[arg-type]
    return steps if shift == 0 else steps.with_columns(_case_index_plus(shift))


def _in_order(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """`frame` as DuckDB ordered it, sorted again only if its string order differs."""
    return frame if frame.select(pl.struct(by).is_sorted()).item() else frame.sort(by)


@dataclass(frozen=True)
class Stored:
    """The stored derivation as the pages read it: every case in memory; every step in
    memory too (`in_memory`) when there are at most `in_memory_steps`, else scanned from
    the warehouse by each query (`instances_of`). `calendars` are the calendars that are
    on, by offering: those offerings' durations count working time (`clock` reads it)."""

    cases: pl.DataFrame
    instances: pl.LazyFrame
    now: datetime | None
    clock: Clock
    calendars: Mapping[str, Calendar]
    scan: Callable[[Sequence[str]], pl.LazyFrame] | None = None
    read_cases: Callable[[str, pl.Series], pl.DataFrame] | None = None

    @property
    def in_memory(self) -> bool:
        """Whether the steps are held in memory (else each query scans them)."""
        return self.scan is None

    def instances_of(self, offerings: Sequence[str] | None) -> pl.LazyFrame:
        """The steps of `offerings` (every offering's when None); a scan reads only theirs."""
        if offerings is None:
            return self.instances
        if self.scan is not None:
            return self.scan(sorted(offerings))
        return self.instances.filter(pl.col("offering").is_in(list(offerings)))

    def steps_reader(self, offering: str) -> Callable[[pl.Series], pl.LazyFrame] | None:
        """Where the steps are scanned, a reader of the offering's steps of some of its
        cases (their `case_index`) that has DuckDB find them, rather than handing every
        step of the offering to polars to keep a few (`metrics.compare.compare`'s
        `steps_of`); None where the steps are held."""
        read = self.read_cases
        if read is None:
            return None
        return lambda case_index: read(offering, case_index).lazy()


def prepare_derivation(wh: Warehouse, progress: Progress | None = None) -> bool:
    """Derive the stale offerings; False when the stored tables cannot serve (a file
    that cannot be written, or an old one opened without migrating)."""
    try:
        derive_stale(wh, progress)
    except (duckdb.Error, OSError) as exc:
        log.warning("cannot store the derived cases of %s: %s", wh.path, exc)
        return False
    cur = wh._cursor()
    try:
        return _tables(cur) >= 3
    finally:
        cur.close()


def _time(
    wh: Warehouse, cases: pl.DataFrame, offerings: Sequence[str] | None
) -> tuple[datetime | None, Clock, dict[str, Calendar]]:
    """(now, clock, calendars on) of `cases`: `now` is their latest end."""
    now = cases["last_end"].max() if cases.height else None
    first = cases["first_start"].min() if cases.height else None
    on = {o: c for o, c in working_calendars(wh).items() if offerings is None or o in offerings}
    return now, clock_for(on or None, first, now), on  # type: ignore[arg-type, return-value]


def _chosen(wh: Warehouse, offerings: Sequence[str] | None) -> list[str]:
    stored = wh.read("SELECT offering FROM derived_state")["offering"].to_list()
    return sorted(o for o in stored if offerings is None or o in offerings)


def load_derivation(
    wh: Warehouse,
    offerings: Sequence[str] | None = None,
    *,
    progress: Progress | None = None,
) -> Derived:
    """Every case of the warehouse (of `offerings` when given) as stored, stale offerings
    derived first; `now` is the latest end, `clock` reads the calendars that are on.

    A warehouse that cannot be written (a read-only file) derives its stale offerings
    in memory instead, every time."""
    s = load_stored(wh, offerings, in_memory_steps=None, progress=progress)
    return Derived(s.instances.collect(), s.cases, s.now, s.clock)


def load_stored(
    wh: Warehouse,
    offerings: Sequence[str] | None = None,
    *,
    in_memory_steps: int | None,
    progress: Progress | None = None,
    compact: bool = False,
) -> Stored:
    """`load_derivation`, but with the steps read into memory only when there are at most
    `in_memory_steps` of them (always when None): more are scanned by each query
    instead (while `wh` is open), so what is held does not grow with the warehouse.
    Where `compact`, the cases' variants are `metrics.variants.COMPACT_VARIANT` (what the
    app holds)."""
    if not prepare_derivation(wh, progress):
        d = _derive_in_memory(wh, offerings)
        on = {o: c for o, c in working_calendars(wh).items() if offerings is None or o in offerings}
        held = compact_variants(d.cases) if compact else d.cases
        return Stored(held, d.instances.lazy(), d.now, d.clock, on)
    cases, shifts = _read_cases(wh, _chosen(wh, offerings), compact)
    now, clock, on = _time(wh, cases, offerings)
    if in_memory_steps is None or int(cases["n_instances"].sum()) <= in_memory_steps:
        return Stored(cases, _read_instances(wh, shifts).lazy(), now, clock, on)

    stamps = current_stamps(wh)

    def scan(chosen: Sequence[str]) -> pl.LazyFrame:
        return scan_instances(wh, {o: shifts[o] for o in chosen if o in shifts}, stamps)

    def read_cases(offering: str, case_index: pl.Series) -> pl.DataFrame:
        return read_case_steps(wh, offering, shifts.get(offering, 0), case_index)

    return Stored(cases, scan_instances(wh, shifts, stamps), now, clock, on, scan, read_cases)


def read_case_steps(
    wh: Warehouse, offering: str, shift: int, case_index: pl.Series
) -> pl.DataFrame:
    """The stored steps of some of the offering's cases (`case_index` as `_read_cases`
    numbers them, `shift` the offering's), in their order (INSTANCE_SCHEMA): DuckDB
    finds them with a semi-join on the stored numbers."""
    wanted = (
        pl.DataFrame({"case_index": case_index.cast(pl.Int64) - shift})
        .filter(pl.col("case_index") >= 0)
        .unique()
        .cast({"case_index": pl.UInt32})
    )
    cur = wh._cursor()
    try:
        cur.register("_wanted_cases", wanted.to_arrow())
        frame = _read(
            cur,
            "SELECT * FROM derived_instances WHERE offering = ? "
            "AND case_index IN (SELECT case_index FROM _wanted_cases) "
            "ORDER BY case_index, seq",
            [offering],
        )
    finally:
        cur.unregister("_wanted_cases")
        cur.close()
    return _shifted(frame.cast(INSTANCE_SCHEMA), shift)  # type: ignore[arg-type]


def _derive_in_memory(wh: Warehouse, offerings: Sequence[str] | None) -> Derived:
    on = working_calendars(wh)
    return derive_all(
        wh.events(offerings),
        wh.catalog()
        if offerings is None
        else wh.catalog().filter(pl.col("offering").is_in(list(offerings))),
        wh.open_items(offerings),
        calendar=on or None,
    )
