"""Each offering's findings, kept beside its stored derivation.

Looking for an offering's findings (`metrics.findings.find`) reads every step of it
and takes seconds per million steps, with about 1 GB of memory per million at its
peak. Their result is a short list, so it is kept in `derived_findings`: a
server that restarts, or a second server on the same file, shows them without
looking again. A kept list serves only the data it was found in, so each row names

- the stored derivation it was found in (`derived_state.derived_at`, new at every
  import, undo, catalog edit or calendar switched on or off for the offering),
- the offering's recorded changes (a finding at a recorded date names the change),
- the code that finds them (`FINDINGS_VERSION`) and the most steps they look through
  (`findings_limit`: beyond it, an offering's latest cases only).

An import from the command line looks for the findings of the offerings it leaves
without current ones (`find_missing`), and keeps with them what lies behind each
(its cases and its chart's frame, `derived_finding_frames`), so the Findings page
draws its cards without reading a step; the app keeps what its own search finds.
Reviews (confirmed, dismissed) are stored elsewhere (warehouse.findings), by finding id.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from metrics.figures import to_parquet
from metrics.findings import Finding, evidence_frame, finding_cases, offering_findings
from model.limits import env_count
from warehouse.apart import ApartFailed, run_apart
from warehouse.db import WarehouseError
from warehouse.derived import DERIVATION_VERSION, has_table, load_stored
from warehouse.experiments import experiments
from warehouse.schema import row_key

if TYPE_CHECKING:
    from warehouse.db import Warehouse

log = logging.getLogger(__name__)

FINDINGS_MAX_STEPS = 5_000_000
"""The most steps of one offering the findings look through (`VSM_FINDINGS_MAX_STEPS`
sets another): they hold the offering's steps and compute on all of them, about 1 GB of
memory per million steps at their peak, and one server's memory is every person's."""


def findings_limit() -> int:
    """FINDINGS_MAX_STEPS, or `VSM_FINDINGS_MAX_STEPS` when set to a whole number. An
    offering of more steps has its findings looked for in its latest cases only
    (`metrics.findings.looked_since`)."""
    return env_count("VSM_FINDINGS_MAX_STEPS", FINDINGS_MAX_STEPS)


def _findings_digest() -> str:
    """Every module of metrics/ (the findings reach most of them), this one and the
    libraries whose arithmetic decides a borderline finding."""
    import numpy
    import scipy

    h = hashlib.sha256(
        f"{DERIVATION_VERSION} polars {pl.__version__} numpy {numpy.__version__} "
        f"scipy {scipy.__version__}".encode()
    )
    h.update(Path(__file__).read_bytes())
    folder = Path(str(import_module("metrics").__file__)).parent
    for path in sorted(folder.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


FINDINGS_VERSION = f"1-{_findings_digest()}"
"""The version of a kept list: another release looks for the findings again."""


def _version(steps: int) -> str:
    """What a kept list of an offering of `steps` steps was found with: the release, and
    for an offering beyond the limit, the limit, which decides which of its cases were
    looked through (another limit looks again; an offering within it is looked through
    whole under any limit, so its list serves them all)."""
    limit = findings_limit()
    return FINDINGS_VERSION if steps <= limit else f"{FINDINGS_VERSION} limit {limit}"


Changes = tuple[tuple[str, str], ...]
"""An offering's recorded changes as (ISO instant, name), in the order recorded."""


def changes_of(wh: Warehouse, offering: str) -> Changes:
    """The offering's recorded experiments as (ISO instant, name)."""
    return changes_in(experiments(wh, offering))


def changes_in(recorded: pl.DataFrame) -> Changes:
    """Experiments as `warehouse.experiments.experiments` reads them (of one offering), as
    (ISO instant, name)."""
    return tuple(
        (row["changed_at"].isoformat(), row["name"])
        for row in recorded.select("changed_at", "name").iter_rows(named=True)
    )


def as_dates(changes: Changes) -> list[tuple[datetime, str]]:
    """`changes` as `metrics.findings.find` takes them."""
    return [(datetime.fromisoformat(iso), name) for iso, name in changes]


def derived_stamp(wh: Warehouse, offering: str) -> datetime | None:
    """When the offering's stored derivation of this release was made (None when it has
    none): the findings kept with it serve only it."""
    cur = wh._cursor()
    try:
        if not has_table(cur, "derived_findings"):
            return None
        rows = cur.execute(
            "SELECT derived_at FROM derived_state WHERE offering = ? AND version = ?",
            [offering, DERIVATION_VERSION],
        ).fetchall()
    finally:
        cur.close()
    return rows[0][0] if rows else None


_CURRENT = (
    "JOIN derived_state s USING (offering) "
    "WHERE f.version = CASE WHEN s.instances <= ? THEN ? ELSE ? END AND f.changes = ? "
    "AND f.derived_at = s.derived_at AND s.version = ?"
)
"""Of `derived_findings f`: the rows kept for the current derivation, release (and limit,
`_version`) and the given recorded changes (`_current(changes)` are its parameters)."""


def _one_frame(columns: str) -> str:
    """`b`: `columns` of one kept finding's frames, found by their key alone (`row_key`),
    which DuckDB looks up in the key's index; filtered within the join, it fetched the
    frames of every kept finding (114 MB at ten million events, for one finding's)."""
    return (
        f"WITH b AS MATERIALIZED (SELECT offering, {columns} FROM derived_finding_frames "
        "WHERE frame_key = ?)"
    )


def _current(changes: Changes) -> list[object]:
    limit = findings_limit()
    within, beyond = _version(limit), _version(limit + 1)
    return [limit, within, beyond, json.dumps(changes), DERIVATION_VERSION]


def kept_findings(wh: Warehouse, offering: str, changes: Changes) -> list[Finding] | None:
    """The offering's findings as kept for its current stored derivation and these
    recorded changes, or None when none are (never looked for, or since changed)."""
    cur = wh._cursor()
    try:
        if not has_table(cur, "derived_findings"):
            return None
        rows = cur.execute(
            f"SELECT f.findings FROM derived_findings f {_CURRENT} AND f.offering = ?",
            [*_current(changes), offering],
        ).fetchall()
    finally:
        cur.close()
    if not rows:
        return None
    return [Finding(**item) for item in json.loads(rows[0][0])]


Behind = tuple[pl.DataFrame, pl.DataFrame]
"""What lies behind a finding: (`metrics.findings.finding_cases`, `evidence_frame`)."""


def cases_in(cases: pl.DataFrame) -> int:
    """How many cases a finding's `finding_cases` frame holds (a row is a case, or for a
    shift in a step's waits, one wait)."""
    return int(cases["case_id"].n_unique()) if cases.height else 0


@dataclass(frozen=True)
class Front:
    """What a finding's card shows before its list of cases is opened: its chart's
    frame, and how many rows and cases lie behind it."""

    chart: pl.DataFrame
    rows: int
    cases: int


def kept_front(wh: Warehouse, offering: str, changes: Changes, finding_id: str) -> Front | None:
    """The front of one of the offering's kept findings, read without its cases; None
    when it was not kept with them (or kept before their counts were)."""
    cur = wh._cursor()
    try:
        if not has_table(cur, "derived_finding_frames"):
            return None
        rows = cur.execute(
            f"{_one_frame('chart, case_rows, case_count')} "
            "SELECT b.chart, b.case_rows, b.case_count FROM b "
            f"JOIN derived_findings f USING (offering) {_CURRENT} "
            "AND b.case_count IS NOT NULL",
            [row_key(finding_id, offering), *_current(changes)],
        ).fetchall()
    finally:
        cur.close()
    if not rows:
        return None
    chart, n_rows, n_cases = rows[0]
    return Front(pl.read_parquet(io.BytesIO(chart)), int(n_rows), int(n_cases))


def kept_behind(wh: Warehouse, offering: str, changes: Changes, finding_id: str) -> Behind | None:
    """What lies behind one of the offering's kept findings (see `kept_findings`), or
    None when it was not kept with them."""
    cur = wh._cursor()
    try:
        if not has_table(cur, "derived_finding_frames"):
            return None
        rows = cur.execute(
            f"{_one_frame('cases, chart')} SELECT b.cases, b.chart FROM b "
            f"JOIN derived_findings f USING (offering) {_CURRENT}",
            [row_key(finding_id, offering), *_current(changes)],
        ).fetchall()
    finally:
        cur.close()
    if not rows:
        return None
    return pl.read_parquet(io.BytesIO(rows[0][0])), pl.read_parquet(io.BytesIO(rows[0][1]))


def keep_findings(
    wh: Warehouse,
    offering: str,
    stamp: datetime,
    changes: Changes,
    found: Sequence[Finding],
    behind: Mapping[str, Behind] | None = None,
) -> bool:
    """Keep the findings found in the offering's derivation of `stamp` with these recorded
    changes, and what lies behind those of `behind` (by finding id); a derivation made
    since (an import in between) keeps nothing. False when nothing was kept: a newer
    derivation, or a file that cannot be written (the app then looks again after a
    restart, as before)."""
    try:
        with wh.transaction() as cur:
            if not has_table(cur, "derived_findings"):
                return False
            current = cur.execute(
                "SELECT instances FROM derived_state "
                "WHERE offering = ? AND version = ? AND derived_at = ?",
                [offering, DERIVATION_VERSION, stamp],
            ).fetchall()
            if not current:
                return False
            steps = int(current[0][0])
            cur.execute("DELETE FROM derived_findings WHERE offering = ?", [offering]).complete()
            with_frames = has_table(cur, "derived_finding_frames")
            if with_frames:
                cur.execute(
                    "DELETE FROM derived_finding_frames WHERE offering = ?", [offering]
                ).complete()
            cur.execute(
                "INSERT INTO derived_findings VALUES (?, ?, ?, ?, ?)",
                [
                    offering,
                    _version(steps),
                    stamp,
                    json.dumps(changes),
                    json.dumps([asdict(f) for f in found]),
                ],
            ).complete()
            for finding_id, (cases, chart) in (behind or {}).items() if with_frames else ():
                cur.execute(
                    "INSERT INTO derived_finding_frames "
                    "(frame_key, offering, finding_id, cases, chart, case_rows, case_count) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        row_key(finding_id, offering),
                        offering,
                        finding_id,
                        to_parquet(cases),
                        to_parquet(chart),
                        cases.height,
                        cases_in(cases),
                    ],
                ).complete()
    except (duckdb.Error, OSError, WarehouseError) as exc:
        log.warning("cannot keep the findings of %s in %s: %s", offering, wh.path, exc)
        return False
    return True


def find_in_store(
    wh: Warehouse, offering: str, changes: Changes
) -> tuple[list[Finding], dict[str, Behind]]:
    """Look for the offering's findings in its stored derivation (every case, steps
    scanned rather than held), and what lies behind each (its steps read once for all)."""
    stored = load_stored(wh, [offering], in_memory_steps=0)
    return found_in(
        stored.instances_of([offering]),
        stored.cases,
        wh.attribute_rows([offering], resource=False),
        wh.catalog(),
        offering,
        changes,
    )


def found_in(
    steps: pl.LazyFrame,
    cases: pl.DataFrame,
    events: pl.DataFrame,
    catalog: pl.DataFrame,
    offering: str,
    changes: Changes,
    since: datetime | None = None,
) -> tuple[list[Finding], dict[str, Behind]]:
    """The offering's findings in its scanned `steps` and `cases` (`events`: its
    attribute rows; `since`: only the cases started since, `looked_since`), and what
    lies behind each (the steps read once for all)."""
    of = offering_findings(
        steps,
        cases,
        events,
        catalog,
        offering,
        changes=as_dates(changes),
        hold=False,
        since=since,
    ).read_once()
    behind = {f.id: (finding_cases(of, f), evidence_frame(of, f)) for f in of.findings}
    return of.findings, behind


def readable_apart(steps: pl.LazyFrame) -> bool:
    """Whether a process of its own can read `steps` (`found_apart`): a scan of a step
    file can, a scan of the warehouse itself (a reader of this process's connection)
    cannot."""
    try:
        pickle.dumps(steps)
    except Exception:
        return False
    return True


def found_apart(
    steps: pl.LazyFrame,
    cases: pl.DataFrame,
    events: pl.DataFrame,
    catalog: pl.DataFrame,
    offering: str,
    changes: Changes,
    since: datetime | None = None,
) -> tuple[list[Finding], dict[str, Behind]] | None:
    """`found_in` computed in a process of its own at the lowest priority (warehouse.apart),
    so that the app never holds the search's memory (up to 1 GB per million steps: 2.3-3.3
    GB in the app after a release at ten million events). None where it cannot be: steps
    read from the warehouse rather than from a step file (another process cannot read the
    file the app holds) or a search that failed there (logged)."""
    if not readable_apart(steps):
        return None
    own = cases.filter(pl.col("offering") == offering)
    try:
        return run_apart(found_in, steps, own, events, catalog, offering, changes, since)
    except ApartFailed as exc:
        log.warning(
            "cannot look for the findings of %s in a process of their own: %s", offering, exc
        )
        return None


def find_missing(wh: Warehouse, max_steps: int | None = None) -> list[str]:
    """Look for and keep the findings of every derived offering that has no current
    ones, one offering at a time (not those of more than `max_steps` steps,
    `findings_limit()` by default); returns the offerings whose findings were kept."""
    limit = findings_limit() if max_steps is None else max_steps
    cur = wh._cursor()
    try:
        if not has_table(cur, "derived_findings"):
            return []
        derived = cur.execute(
            "SELECT offering FROM derived_state WHERE version = ? AND instances BETWEEN 1 AND ? "
            "ORDER BY offering",
            [DERIVATION_VERSION, limit],
        ).fetchall()
    finally:
        cur.close()
    kept = []
    for (offering,) in derived:
        changes = changes_of(wh, offering)
        stamp = derived_stamp(wh, offering)
        if stamp is None or kept_findings(wh, offering, changes) is not None:
            continue
        found, behind = find_in_store(wh, offering, changes)
        if keep_findings(wh, offering, stamp, changes, found, behind):
            kept.append(offering)
    return kept
