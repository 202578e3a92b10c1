"""Imports from the command line while the app runs: the app is the one writer.

DuckDB lets one process open a warehouse file for writing, and the app keeps it open for
its whole life, so that pages read from memory instead of reopening the file on every
query (docs/ARCHITECTURE.md, "Imports while people read", has the measurements). An
import from the command line or a scheduled job (:func:`submit`) therefore:

1. stores the import itself when no process holds the file;
2. hands it to the app when the app holds it: the prepared import is written into the
   inbox folder beside the warehouse (``<file>.inbox/``) under a temporary name, then
   renamed, so the app never sees half a job; the app's :class:`InboxWatcher` stores it
   with the same :meth:`Warehouse.store_import` the Data page uses, under the same write
   lock (so it is serialised with every Data-page import and undo), and writes a result
   file the command line waits for;
3. waits and tries again while another command-line import holds the file.

Nothing is lost or stored twice: a job is removed only after its result is written; a job
the app took but did not finish (the app was killed) is taken back by the command line or
queued again by the next app, and an import that had committed by then is recognised by
its content and options (:meth:`Warehouse.find_import`) and reported as already imported.

The app knows itself alive by a heartbeat file it rewrites every second; anyone who can
write the inbox folder can write the warehouse file itself, so the folder needs the same
protection as the file (README.md, "Deploying for a team").
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from warehouse.access import Actor
from warehouse.db import Progress, Warehouse, WarehouseBusy, WarehouseError
from warehouse.overlap import find_overlaps

log = logging.getLogger(__name__)

HEARTBEAT = "app.alive"
BEAT_S = 1.0
STALE_S = 6.0
"""The heartbeat is rewritten every BEAT_S; older than STALE_S, the app is gone."""
POLL_S = 0.2
RESULT_KEEP_S = 24 * 3600
"""A result no command line collected (it was killed while waiting) is removed after a day."""

_FRAMES = ("instances", "rejects", "open_items", "catalog_defaults")


def inbox_dir(db: Path) -> Path:
    return db.parent / f"{db.name}.inbox"


@dataclass
class ImportJob:
    """What :meth:`Warehouse.store_import` needs, prepared (read, mapped, validated) by
    whoever imports; ``options`` is the import's identity (same bytes + same options =
    same import)."""

    file_name: str
    sha256: str
    format: str
    mapping: dict[str, Any]
    options: dict[str, Any]
    rows_read: int
    instances: pl.DataFrame
    rejects: pl.DataFrame
    catalog_defaults: pl.DataFrame | None = None
    open_items: pl.DataFrame | None = None
    is_demo: bool = False
    statuses_confirmed: bool = False
    refuse_overlap: bool = False
    """Store nothing when the offering already holds the job's cases in another shape (the
    same log in another format or time zone: warehouse.overlap)."""
    account: str = field(default="")
    """Who handed the job over (the command line's actor name), named in the audit trail
    when the app stores it."""

    def store(self, wh: Warehouse, progress: Progress | None = None) -> JobResult:
        """Store the job (or find it already stored) as ``wh.actor``; ``progress`` is told
        how far the derivation of its offerings got (:meth:`Warehouse.store_import`)."""
        earlier = wh.find_import(self.sha256, json.dumps(self.options, sort_keys=True))
        if earlier is not None:
            return JobResult(
                import_id=None,
                stored=0,
                duplicates=self.instances.height,
                already_imported_as=earlier,
                imported_by=wh.actor.name,
            )
        if self.refuse_overlap:
            overlaps = find_overlaps(wh, self.instances)
            if overlaps:
                raise WarehouseError(
                    f"{self.file_name}: {overlaps[0].message()} Nothing was stored: read it in "
                    "another time zone (--timezone), import it as a new offering (--offering), "
                    "or import it anyway (--allow-overlap)."
                )
        result = wh.store_import(
            file_name=self.file_name,
            sha256=self.sha256,
            format=self.format,
            mapping=self.mapping,
            options=self.options,
            rows_read=self.rows_read,
            instances=self.instances,
            rejects=self.rejects,
            catalog_defaults=self.catalog_defaults,
            is_demo=self.is_demo,
            open_items=self.open_items,
            statuses_confirmed=self.statuses_confirmed,
            progress=progress,
        )
        return JobResult(
            import_id=result.import_id,
            stored=result.stored,
            duplicates=result.duplicates,
            already_imported_as=None,
            imported_by=wh.actor.name,
        )


@dataclass(frozen=True)
class JobResult:
    import_id: int | None
    stored: int
    duplicates: int
    already_imported_as: int | None
    imported_by: str
    via: str = "direct"
    """"direct": this process wrote the file; "app": the running app stored it."""


def _write_job(box: Path, job: ImportJob) -> str:
    box.mkdir(exist_ok=True)
    job_id = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"  # names sort in arrival order
    tmp = box / f".tmp-{job_id}"
    tmp.mkdir()
    meta = {
        k: v
        for k, v in asdict(job).items()
        if k not in _FRAMES  # frames go to Parquet: types and time zones survive
    }
    for name in _FRAMES:
        frame = getattr(job, name)
        if frame is not None:
            frame.write_parquet(tmp / f"{name}.parquet")
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    os.replace(tmp, box / f"{job_id}.job")
    return job_id


def _read_job(path: Path) -> ImportJob:
    meta: dict[str, Any] = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    for name in _FRAMES:
        file = path / f"{name}.parquet"
        meta[name] = pl.read_parquet(file) if file.exists() else None
    return ImportJob(**meta)


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def app_is_serving(db: Path) -> bool:
    """Whether an app holds this warehouse and takes its imports (a fresh heartbeat)."""
    try:
        age = time.time() - (inbox_dir(db) / HEARTBEAT).stat().st_mtime
    except FileNotFoundError:
        return False
    return age < STALE_S


class InboxWatcher:
    """The app's side: keeps the heartbeat fresh and stores every job handed over.

    Two daemon threads: the heartbeat runs on its own so a long import never makes the app
    look gone. Jobs are stored one at a time, in arrival order, as the command line's
    account (an admin: it can write the file itself).
    """

    def __init__(
        self, wh: Warehouse, around: Callable[[], AbstractContextManager[object]] = nullcontext
    ) -> None:
        """`around()` is entered while a job is stored (the app's background work waits
        meanwhile)."""
        self.wh = wh
        self._around = around
        self.box = inbox_dir(wh.path)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._beat, name="inbox-heartbeat", daemon=True),
            threading.Thread(target=self._work, name="inbox", daemon=True),
        ]

    def start(self) -> InboxWatcher:
        self.box.mkdir(exist_ok=True)
        # A job an earlier app took and did not finish goes back in the queue: if its
        # transaction had committed, find_import recognises it and nothing is stored twice.
        for claimed in self.box.glob("*.claimed"):
            try:
                os.replace(claimed, claimed.with_suffix(".job"))
            except OSError:
                continue  # the command line took it back a moment ago
        now = time.time()
        for old in [*self.box.glob("*.result"), *self.box.glob(".tmp-*")]:
            if now - old.stat().st_mtime > RESULT_KEEP_S:
                _remove(old) if old.is_dir() else old.unlink(missing_ok=True)
        self._write_heartbeat()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        (self.box / HEARTBEAT).unlink(missing_ok=True)

    def _write_heartbeat(self) -> None:
        tmp = self.box / f".{HEARTBEAT}.{os.getpid()}"
        tmp.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
        os.replace(tmp, self.box / HEARTBEAT)

    def _beat(self) -> None:
        while not self._stop.wait(BEAT_S):
            try:
                self._write_heartbeat()
            except OSError as exc:  # a full disk: the command line then waits for the file
                log.warning("inbox heartbeat not written: %s", exc)

    def _work(self) -> None:
        while not self._stop.is_set():
            for queued in sorted(self.box.glob("*.job")):
                self._take(queued)
            self._stop.wait(POLL_S)

    def _take(self, queued: Path) -> None:
        job_id = queued.name.removesuffix(".job")
        claimed = self.box / f"{job_id}.claimed"
        try:
            os.replace(queued, claimed)  # from here the command line can no longer withdraw it
        except OSError:
            return  # withdrawn a moment ago
        outcome: dict[str, Any]
        try:
            with self._around():  # reading the job's rows too
                job = _read_job(claimed)
                actor = Actor(job.account or "command line", "admin")
                outcome = asdict(job.store(self.wh.acting(actor)))
        except (WarehouseError, OSError, ValueError, pl.exceptions.PolarsError) as exc:
            outcome = {"error": str(exc).splitlines()[0]}
        tmp = self.box / f".tmp-{job_id}.result"
        tmp.write_text(json.dumps(outcome), encoding="utf-8")
        os.replace(tmp, self.box / f"{job_id}.result")
        _remove(claimed)


def _take_back(box: Path, name: str) -> bool:
    """Remove a job from the inbox unless the app took it first (renames are atomic)."""
    taken = box / f".withdrawn-{name}"
    try:
        os.replace(box / name, taken)
    except FileNotFoundError:
        return False
    _remove(taken)
    return True


def _wait_for(db: Path, job_id: str, deadline: float) -> JobResult | None:
    """The app's result; None when the job came back (the app is gone: store it here)."""
    box = inbox_dir(db)
    result = box / f"{job_id}.result"
    while not result.exists():
        gone = not app_is_serving(db)
        if gone or time.monotonic() > deadline:
            if _take_back(box, f"{job_id}.job"):
                if gone:
                    return None
                raise WarehouseError(
                    f"The app holding {db} did not take the import within the time allowed; "
                    "nothing was stored. Try again."
                )
            # Taken by an app that died while storing it: its transaction committed or
            # rolled back whole, and storing it again here is safe (find_import).
            if gone and _take_back(box, f"{job_id}.claimed"):
                return None
        time.sleep(POLL_S / 2)
    outcome = json.loads(result.read_text(encoding="utf-8"))
    result.unlink()
    if "error" in outcome:
        raise WarehouseError(outcome["error"])
    return JobResult(**{**outcome, "via": "app"})


def submit(
    db: Path,
    job: ImportJob,
    actor: Actor,
    *,
    timeout_s: float = 1800.0,
    on_wait: Callable[[str], None] | None = None,
    progress: Progress | None = None,
) -> JobResult:
    """Store ``job`` in the warehouse at ``db`` as ``actor``: directly, or through the app
    that holds the file, or after another command-line import has finished.

    ``on_wait`` is told, once, why the import waits; ``progress``, how far the derivation
    of the offerings it touches got, where it is stored here (:meth:`ImportJob.store`).
    Raises WarehouseError when the file cannot be used, or stayed busy for ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.05
    busy_since = 0.0
    told: set[str] = set()

    def say(why: str) -> None:
        if on_wait is not None and why not in told:
            told.add(why)
            on_wait(why)

    while True:
        try:
            wh = Warehouse.open(db)
        except WarehouseBusy as exc:
            if app_is_serving(db):
                job.account = job.account or actor.name
                job_id = _write_job(inbox_dir(db), job)
                say("the app holds the warehouse: the import was handed to it")
                handed = _wait_for(db, job_id, deadline)
                if handed is not None:
                    return handed
                continue  # the app went away: the file is free, or soon will be
            if time.monotonic() > deadline:
                raise WarehouseError(
                    f"{exc} It stayed busy for {timeout_s:.0f} s; nothing was stored."
                ) from exc
            # An app under load can miss a beat or two: only a file busy for longer with no
            # app behind it is another command line's import.
            busy_since = busy_since or time.monotonic()
            if time.monotonic() - busy_since >= STALE_S / 2:
                say("another process is writing the warehouse: waiting for it to finish")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
            continue
        try:
            result = job.store(wh.acting(actor), progress)
            _find_missing(wh)
            return result
        finally:
            wh.close()


def _find_missing(wh: Warehouse) -> None:
    """Look for the findings the import left without current ones and keep them, so the
    app's pages show them without looking (warehouse.kept_findings). The import is
    stored already: a failure here only leaves the app to look for them."""
    from warehouse.kept_findings import find_missing  # the findings' libraries, when needed

    try:
        find_missing(wh)
    except Exception:
        log.exception("the findings of %s were not looked for after the import", wh.path)
