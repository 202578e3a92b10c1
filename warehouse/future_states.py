"""Future states: the stream a team agreed to run, per offering, every saved version kept.

A future state is stored as its JSON form (docs/REDESIGN.md: a name, the stages
in order, the optional steps). Saving under a name the offering already uses
adds a new version of that name; earlier versions stay, so an experiment that
named one keeps pointing at the stream it tried. Each version records when it
was saved and by whom (the warehouse's actor).

The warehouse checks only what it needs to store a version (an offering, a
name); what makes a future state valid is `metrics.conformance.future_state_problems`,
which the app and the command line apply before saving.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from warehouse.db import Warehouse, WarehouseError

FUTURE_STATE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "offering": pl.String(),
    "name": pl.String(),
    "version": pl.Int32(),
    "definition": pl.String(),
    "saved_at": pl.Datetime("us", "UTC"),
    "saved_by": pl.String(),
}
"""One row per saved version; `definition` is the future state's JSON text."""


@dataclass(frozen=True)
class StoredFutureState:
    """One saved version of a future state; `definition` is its JSON form as a dict."""

    id: int
    offering: str
    name: str
    version: int
    definition: dict[str, Any]
    saved_at: datetime
    saved_by: str

    @property
    def label(self) -> str:
        """'After the June redesign (version 2, 03 Jun 2026)'."""
        return f"{self.name} (version {self.version}, {self.saved_at:%d %b %Y})"


def _stored(row: dict[str, Any]) -> StoredFutureState:
    return StoredFutureState(**{**row, "definition": json.loads(row["definition"])})


def _frame(wh: Warehouse, where: str, params: list[Any] | None) -> pl.DataFrame:
    frame = wh.read(
        "SELECT id, offering, name, version, CAST(definition AS VARCHAR) AS definition, "
        f"saved_at, saved_by FROM future_states {where} "
        "ORDER BY offering, name, version DESC",
        params,
    )
    return frame.cast(FUTURE_STATE_SCHEMA)  # type: ignore[arg-type]


def future_states(wh: Warehouse, offering: str | None = None) -> pl.DataFrame:
    """Every saved version (of one offering), by name, the latest version first
    (FUTURE_STATE_SCHEMA)."""
    if offering is None:
        return _frame(wh, "", None)
    return _frame(wh, "WHERE offering = ?", [offering])


def versions(wh: Warehouse, offering: str) -> list[StoredFutureState]:
    """Every saved version of an offering's future states, the last saved first."""
    frame = future_states(wh, offering).sort("saved_at", "id", descending=True)
    return [_stored(row) for row in frame.iter_rows(named=True)]


def latest_future_states(wh: Warehouse, offering: str) -> list[StoredFutureState]:
    """The latest version of each of an offering's future states, the last saved first."""
    seen: set[str] = set()
    latest = []
    for stored in versions(wh, offering):
        if stored.name not in seen:
            seen.add(stored.name)
            latest.append(stored)
    return latest


def get_future_state(wh: Warehouse, future_state_id: int) -> StoredFutureState:
    frame = _frame(wh, "WHERE id = ?", [future_state_id])
    if frame.height == 0:
        raise WarehouseError(f"There is no saved future state #{future_state_id}.")
    return _stored(frame.row(0, named=True))


def save_future_state(
    wh: Warehouse, offering: str, definition: Mapping[str, Any]
) -> StoredFutureState:
    """Store `definition` (a valid future state's JSON form) as the next version of its
    name for `offering`; returns the stored version."""
    offering = str(offering or "").strip()
    if not offering:
        raise WarehouseError("A future state belongs to an offering: name one.")
    name = definition.get("name")
    if not isinstance(name, str) or not name.strip():
        raise WarehouseError("A future state needs a name.")
    document = {**definition, "name": name.strip()}
    now = datetime.now(UTC)
    with wh.write("save future state", f"{offering}: {document['name']}") as cur:
        rows = cur.execute(
            "SELECT (SELECT coalesce(max(id), 0) + 1 FROM future_states), "
            "(SELECT coalesce(max(version), 0) + 1 FROM future_states "
            "WHERE offering = ? AND name = ?)",
            [offering, document["name"]],
        ).fetchall()
        new_id, version = int(rows[0][0]), int(rows[0][1])
        cur.execute(
            "INSERT INTO future_states (id, offering, name, version, definition, saved_at, "
            "saved_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                new_id,
                offering,
                document["name"],
                version,
                json.dumps(document, ensure_ascii=False),
                now,
                wh.actor.name,
            ],
        ).complete()
    return get_future_state(wh, new_id)


def delete_future_state(wh: Warehouse, offering: str, name: str) -> int:
    """Delete every version of one of an offering's future states; returns how many
    versions went. Experiments that named one of them name none afterwards (they stay)."""
    with wh.write("delete future state", f"{offering}: {name}") as cur:
        ids = [
            int(row[0])
            for row in cur.execute(
                "SELECT id FROM future_states WHERE offering = ? AND name = ?", [offering, name]
            ).fetchall()
        ]
        if not ids:
            raise WarehouseError(f"{offering} has no future state named {name!r}.")
        cur.execute(
            "UPDATE experiments SET future_state_id = NULL WHERE list_contains(?, future_state_id)",
            [ids],
        ).complete()
        cur.execute("DELETE FROM future_states WHERE list_contains(?, id)", [ids]).complete()
    return len(ids)
