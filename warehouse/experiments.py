"""Experiment records: a change made to one offering, when it took effect, and what became of it.

The method the experiments page supports: choose one bottleneck, change it for
a couple of weeks, measure, then keep or revert the change. A record holds what
a person knows about the change (name, what changed, the hypothesis), the
instant it took effect, the windows to compare (`before_days` before the change
and `after_days` after it; equal windows of 14 days by default) and its status:
running, kept or reverted. The comparison itself is computed from the events
every time (metrics.compare), never stored, so it follows every import.

    python -m warehouse.experiments --db PATH list [--json] | add ... | edit ID ... | delete ID

(the `experiments` command of cli/: cli/experiments.py).

Instants without a zone are taken as UTC, as everywhere in the warehouse.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import polars as pl

from warehouse.db import Warehouse, WarehouseError

STATUSES = ("running", "kept", "reverted")
DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 365

EXPERIMENT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "name": pl.String(),
    "offering": pl.String(),
    "changed_at": pl.Datetime("us", "UTC"),
    "what_changed": pl.String(),
    "hypothesis": pl.String(),
    "before_days": pl.Int32(),
    "after_days": pl.Int32(),
    "status": pl.String(),
    "is_demo": pl.Boolean(),
    "created_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"),
    "future_state_id": pl.Int64(),
}
"""One row per experiment; `changed_at` is the instant the change took effect (UTC);
`future_state_id` the saved future-state version it tries (warehouse.future_states), or null."""

EDITABLE = (
    "name",
    "offering",
    "changed_at",
    "what_changed",
    "hypothesis",
    "before_days",
    "after_days",
    "status",
    "future_state_id",
)


@dataclass(frozen=True)
class Experiment:
    id: int
    name: str
    offering: str
    changed_at: datetime
    what_changed: str
    hypothesis: str
    before_days: int
    after_days: int
    status: str
    is_demo: bool
    created_at: datetime
    updated_at: datetime
    future_state_id: int | None = None


class DemoChangeLike(Protocol):
    """What `record_demo_experiments` reads of pipelines.demo_data.DemoChange."""

    @property
    def name(self) -> str: ...
    @property
    def offering(self) -> str: ...
    @property
    def changed_at(self) -> datetime: ...
    @property
    def description(self) -> str: ...
    @property
    def hypothesis(self) -> str: ...


def as_utc(instant: datetime) -> datetime:
    """The instant in UTC; a naive datetime is taken to be UTC already."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated, normalised field values; raises WarehouseError with a plain reason."""
    out = dict(fields)
    for key in ("name", "offering"):
        if key in out:
            out[key] = str(out[key] or "").strip()
            if not out[key]:
                raise WarehouseError(
                    f"An experiment needs a{'n' if key == 'offering' else ''} {key}."
                )
    for key in ("what_changed", "hypothesis"):
        if key in out:
            out[key] = str(out[key] or "").strip()
    for key in ("before_days", "after_days"):
        if key in out:
            days = int(out[key])
            if not 1 <= days <= MAX_WINDOW_DAYS:
                raise WarehouseError(
                    f"The {key.split('_')[0]} window must be 1 to {MAX_WINDOW_DAYS} days, not {days}."
                )
            out[key] = days
    if "status" in out and out["status"] not in STATUSES:
        raise WarehouseError(f"Unknown status {out['status']!r}: use one of {', '.join(STATUSES)}.")
    if out.get("future_state_id") is not None:
        out["future_state_id"] = int(out["future_state_id"])
    if "changed_at" in out:
        if not isinstance(out["changed_at"], datetime):
            raise WarehouseError("The change instant must be a date and time.")
        out["changed_at"] = as_utc(out["changed_at"])
    return out


def _check_future_state(wh: Warehouse, future_state_id: int | None, offering: str) -> None:
    """An experiment tries a future state of its own offering."""
    if future_state_id is None:
        return
    owner = wh.scalar("SELECT offering FROM future_states WHERE id = ?", [future_state_id])
    if owner is None:
        raise WarehouseError(f"There is no saved future state #{future_state_id}.")
    if owner != offering:
        raise WarehouseError(
            f"Future state #{future_state_id} belongs to {owner}, not to {offering}: an "
            "experiment tries a future state of its own offering."
        )


def experiments(wh: Warehouse, offering: str | None = None) -> pl.DataFrame:
    """Every experiment (of one offering), the latest change first (EXPERIMENT_SCHEMA)."""
    where, params = ("WHERE offering = ?", [offering]) if offering else ("", None)
    frame = wh.read(
        f"SELECT {', '.join(EXPERIMENT_SCHEMA)} FROM experiments {where} "
        "ORDER BY changed_at DESC, id DESC",
        params,
    )
    return frame.cast(EXPERIMENT_SCHEMA)  # type: ignore[arg-type]


def get_experiment(wh: Warehouse, experiment_id: int) -> Experiment:
    frame = wh.read(
        f"SELECT {', '.join(EXPERIMENT_SCHEMA)} FROM experiments WHERE id = ?", [experiment_id]
    )
    if frame.height == 0:
        raise WarehouseError(f"There is no experiment #{experiment_id}.")
    return Experiment(**frame.cast(EXPERIMENT_SCHEMA).row(0, named=True))  # type: ignore[arg-type]


def create_experiment(
    wh: Warehouse,
    *,
    name: str,
    offering: str,
    changed_at: datetime,
    what_changed: str = "",
    hypothesis: str = "",
    before_days: int = DEFAULT_WINDOW_DAYS,
    after_days: int = DEFAULT_WINDOW_DAYS,
    status: str = "running",
    is_demo: bool = False,
    future_state_id: int | None = None,
) -> int:
    """Store a new experiment; returns its id. `future_state_id` names the saved
    future-state version the change tries (warehouse.future_states)."""
    fields = _checked(
        {
            "name": name,
            "offering": offering,
            "changed_at": changed_at,
            "what_changed": what_changed,
            "hypothesis": hypothesis,
            "before_days": before_days,
            "after_days": after_days,
            "status": status,
            "future_state_id": future_state_id,
        }
    )
    _check_future_state(wh, fields["future_state_id"], fields["offering"])
    now = datetime.now(UTC)
    detail: dict[str, Any] = {"offering": fields["offering"]}
    with wh.write("record experiment", str(fields["name"]), detail) as cur:
        # A counter, not max(id) + 1: an old shared link to a deleted experiment must not
        # open a different one.
        rows = cur.execute(
            "UPDATE id_counters SET last_id = greatest(last_id, "
            "(SELECT coalesce(max(id), 0) FROM experiments)) + 1 "
            "WHERE name = 'experiment' RETURNING last_id"
        ).fetchall()
        new_id = int(rows[0][0])
        detail["experiment"] = new_id  # the audit row is written after this block
        cur.execute(
            "INSERT INTO experiments (id, name, offering, changed_at, what_changed, hypothesis, "
            "before_days, after_days, status, future_state_id, is_demo, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [new_id, *(fields[k] for k in EDITABLE), is_demo, now, now],
        ).complete()
    return new_id


def update_experiment(wh: Warehouse, experiment_id: int, **changes: Any) -> Experiment:
    """Change some fields of an experiment (any of name, offering, changed_at, what_changed,
    hypothesis, before_days, after_days, status, future_state_id); returns the updated record."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise WarehouseError(f"An experiment has no field {sorted(unknown)[0]!r}.")
    fields = _checked(changes)
    current = get_experiment(wh, experiment_id)
    if "future_state_id" in fields or "offering" in fields:
        _check_future_state(
            wh,
            fields.get("future_state_id", current.future_state_id),
            fields.get("offering", current.offering),
        )
    if fields:
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with wh.write("edit experiment", f"experiment #{experiment_id}", fields) as cur:
            cur.execute(
                f"UPDATE experiments SET {assignments}, updated_at = ? WHERE id = ?",
                [*fields.values(), datetime.now(UTC), experiment_id],
            ).complete()
    return get_experiment(wh, experiment_id)


def delete_experiment(wh: Warehouse, experiment_id: int) -> None:
    get_experiment(wh, experiment_id)
    with wh.write("delete experiment", f"experiment #{experiment_id}") as cur:
        cur.execute("DELETE FROM experiments WHERE id = ?", [experiment_id]).complete()


def record_demo_experiments(wh: Warehouse, changes: Iterable[DemoChangeLike]) -> list[int]:
    """Record the demo's baked-in changes as experiments (once: loading the demo again adds none).

    They are marked `is_demo`, so removing the demo can remove them too
    (`delete_demo_experiments`). Status "running": the demo leaves the keep-or-revert
    decision to the person trying the page.
    """
    existing = {
        (row["offering"], row["name"], row["changed_at"])
        for row in experiments(wh).iter_rows(named=True)
    }
    ids = []
    for change in changes:
        key = (change.offering, change.name, as_utc(change.changed_at))
        if key in existing:
            continue
        ids.append(
            create_experiment(
                wh,
                name=change.name,
                offering=change.offering,
                changed_at=change.changed_at,
                what_changed=change.description,
                hypothesis=change.hypothesis,
                is_demo=True,
            )
        )
    return ids


def delete_demo_experiments(wh: Warehouse) -> int:
    """Remove the experiments `record_demo_experiments` stored; returns how many."""
    with wh.write("remove demo", "the demo's experiments") as cur:
        rows = cur.execute("SELECT count(*) FROM experiments WHERE is_demo").fetchall()
        cur.execute("DELETE FROM experiments WHERE is_demo").complete()
    return int(rows[0][0])


if __name__ == "__main__":  # python -m warehouse.experiments: the `experiments` command of cli/
    import sys

    from cli import run_command

    sys.exit(run_command("experiments"))
