"""Verdicts on findings: a person confirms a finding or dismisses it with a note.

Findings are computed from the events every time (metrics.findings), never
stored; the verdicts people give on them are. A verdict is kept by the
finding's id, which rests on what the finding is about and never on its
figures, so it survives new imports and undos. With it go who gave it
(the actor's name) and when, the finding's kind, step and headline as they
were (so a verdict on a finding the data no longer shows can still be read),
and the fingerprint of the evidence it was given on
(metrics.finding_verdicts.fingerprint), against which "the data changed
markedly since" is judged. A verdict can be changed (give another) or
withdrawn.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import polars as pl

from warehouse.db import Warehouse, WarehouseError

VERDICTS = ("confirmed", "dismissed")

VERDICT_SCHEMA: dict[str, pl.DataType] = {
    "finding_id": pl.String(),
    "offering": pl.String(),
    "kind": pl.String(),
    "step": pl.String(),
    "headline": pl.String(),
    "verdict": pl.String(),
    "note": pl.String(),
    "fingerprint": pl.String(),
    "decided_by": pl.String(),
    "decided_at": pl.Datetime("us", "UTC"),
}
"""One row per finding judged; `fingerprint` is JSON text."""


def verdicts(wh: Warehouse, offering: str | None = None) -> pl.DataFrame:
    """The verdicts (of one offering), the latest first (VERDICT_SCHEMA)."""
    where, params = ("WHERE offering = ?", [offering]) if offering else ("", None)
    frame = wh.read(
        "SELECT finding_id, offering, kind, step, headline, verdict, note, "
        "CAST(fingerprint AS VARCHAR) AS fingerprint, decided_by, decided_at "
        f"FROM finding_verdicts {where} ORDER BY decided_at DESC, finding_id",
        params,
    )
    return frame.cast(VERDICT_SCHEMA)  # type: ignore[arg-type]


def _target(offering: str, kind: str, step: str | None) -> str:
    return f"{offering}: {kind.replace('_', ' ')}{f' at {step}' if step else ''}"


def give_verdict(
    wh: Warehouse,
    *,
    finding_id: str,
    offering: str,
    kind: str,
    step: str | None,
    headline: str,
    verdict: str,
    fingerprint: dict[str, Any],
    note: str = "",
) -> None:
    """Confirm or dismiss a finding, for `wh.actor`; replaces an earlier verdict on it.

    A dismissal needs a note: the reason is what the next person reads ("not waste: a
    needed review").
    """
    if verdict not in VERDICTS:
        raise WarehouseError(f"Unknown verdict {verdict!r}: use one of {', '.join(VERDICTS)}.")
    note = (note or "").strip()
    if verdict == "dismissed" and not note:
        raise WarehouseError(
            "Say why you dismiss it in the note (for example: not waste, a needed review)."
        )
    detail = {"finding_id": finding_id, "verdict": verdict, "note": note}
    with wh.write("verdict on finding", _target(offering, kind, step), detail) as cur:
        cur.execute("DELETE FROM finding_verdicts WHERE finding_id = ?", [finding_id]).complete()
        cur.execute(
            "INSERT INTO finding_verdicts (finding_id, offering, kind, step, headline, verdict, "
            "note, fingerprint, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                finding_id,
                offering,
                kind,
                step,
                headline,
                verdict,
                note,
                json.dumps(fingerprint, allow_nan=False),
                wh.actor.name,
                datetime.now(UTC),
            ],
        ).complete()


def withdraw_verdict(wh: Warehouse, finding_id: str) -> bool:
    """Take back the verdict on a finding (it is to be reviewed again); False when there was none."""
    found = wh.read(
        "SELECT offering, kind, step FROM finding_verdicts WHERE finding_id = ?", [finding_id]
    )
    if found.height == 0:
        return False
    offering, kind, step = found.row(0)
    target = _target(offering, kind, step)
    with wh.write("verdict on finding", target, {"finding_id": finding_id, "verdict": None}) as cur:
        cur.execute("DELETE FROM finding_verdicts WHERE finding_id = ?", [finding_id]).complete()
    return True
