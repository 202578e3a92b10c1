"""People's verdicts on findings, and whether the data moved since each was given.

The data proposes findings (metrics.findings); a person confirms one ("real,
worth acting on") or dismisses it with a note ("not waste: a needed review"),
because an algorithm cannot tell a needed review from waste. A verdict is kept
by the finding's id, which rests on what the finding is about and never on its
figures, so it sticks across imports. With it goes a **fingerprint** of the
evidence it was given on: the time at stake, the finding's key figure
(KEY_FIGURES) and the n that figure rests on.

A dismissed finding stays folded away until the data behind it **changes
markedly**, which means any of:

- the time at stake per week moved by more than MARKED_CHANGE (a quarter) of
  its value at the verdict, up or down;
- the key figure moved by more than MARKED_CHANGE of its value at the verdict;
- the n the finding rests on at least doubled, or fell to half or less.

Then it comes back, marked as changed since it was dismissed. Confirmed
findings say the same when their data moved, so a person can look again.
The rules are in docs/FINDINGS.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import polars as pl

from metrics.findings import Finding
from metrics.stats import duration_text

MARKED_CHANGE = 0.25
"""A figure moved markedly when it moved by more than this share of its value at the verdict."""
MARKED_N_FACTOR = 2.0
"""The n moved markedly when it grew or shrank by at least this factor."""

FigureType = Literal["duration", "share", "ratio"]

KEY_FIGURES: dict[str, tuple[str, FigureType, str, str, str]] = {
    "bottleneck": ("wait_before_s_p50", "duration", "median wait", "waits", "waits"),
    "rework_loop": ("case_share", "share", "share of cases going back", "cases", "cases"),
    "non_value_step": (
        "wait_before_s_p50",
        "duration",
        "median wait before it",
        "instances",
        "instances",
    ),
    "slower_than_standard": (
        "process_time_s_p50",
        "duration",
        "median process time",
        "measured_instances",
        "measured instances",
    ),
    "high_variance": ("ratio", "ratio", "p95 ÷ median", "n", "values"),
    "lead_time_shift": (
        "after_median_s",
        "duration",
        "median lead time since the date",
        "after_cases",
        "cases since the date",
    ),
    "step_wait_shift": (
        "after_median_s",
        "duration",
        "median wait since the date",
        "after_waits",
        "waits since the date",
    ),
    "attribute_effect": ("median_ratio", "ratio", "ratio of the medians", "cases", "cases"),
    "handoff": (
        "wait_before_s_p50_handoff",
        "duration",
        "median wait after a hand-over",
        "handoffs",
        "hand-overs",
    ),
}
"""Per kind: (the evidence key of its key figure, what sort of figure it is, its words,
the evidence key of the n it rests on, the n's words)."""


def fingerprint(finding: Finding) -> dict[str, Any]:
    """What a verdict was given on: `{"at_stake_s", "figure", "n"}` (JSON-ready; null where
    the finding has no such figure)."""
    figure_key, _, _, n_key, _ = KEY_FIGURES[finding.kind]
    figure = finding.evidence.get(figure_key)
    n = finding.evidence.get(n_key)
    return {
        "at_stake_s": _number(finding.at_stake_s),
        "figure": _number(figure),
        "n": int(n) if isinstance(n, int | float) and math.isfinite(n) else None,
    }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _moved(before: float | None, now: float | None) -> bool:
    """Moved by more than MARKED_CHANGE of `before` (from 0, any move counts)."""
    if before is None or now is None:
        return False
    if before == 0:
        return now != 0
    return abs(now - before) > MARKED_CHANGE * abs(before)


def _figure_text(value: float, sort: FigureType, like: float) -> str:
    if sort == "duration":
        return duration_text(value, like)
    if sort == "share":
        return f"{value:.0%}"
    return f"{value:.1f}×"


def changes_since(kind: str, before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What moved markedly between two fingerprints of a finding of `kind`, in words; empty
    when nothing did (see the module docstring)."""
    _, sort, figure_words, _, n_words = KEY_FIGURES[kind]
    out = []
    if _moved(before.get("at_stake_s"), now.get("at_stake_s")):
        was, is_now = before["at_stake_s"], now["at_stake_s"]
        like = max(was, is_now)
        out.append(
            f"time at stake {duration_text(was, like)} → {duration_text(is_now, like)} a week"
        )
    if _moved(before.get("figure"), now.get("figure")):
        was, is_now = before["figure"], now["figure"]
        like = max(was, is_now)
        out.append(
            f"{figure_words} {_figure_text(was, sort, like)} → {_figure_text(is_now, sort, like)}"
        )
    if _n_moved(before.get("n"), now.get("n")):
        out.append(f"{n_words} {before['n']:,} → {now['n']:,}")
    return out


def _n_moved(before: int | None, now: int | None) -> bool:
    """Grew or shrank by at least MARKED_N_FACTOR."""
    if before is None or now is None or before <= 0:
        return False
    return now >= MARKED_N_FACTOR * before or now * MARKED_N_FACTOR <= before


@dataclass(frozen=True)
class Reviewed:
    """A finding with the verdict given on it, if any."""

    finding: Finding
    verdict: str | None
    """'confirmed', 'dismissed', or None (nobody has judged it yet)."""
    note: str = ""
    decided_by: str | None = None
    decided_at: datetime | None = None
    changes: tuple[str, ...] = ()
    """What moved markedly since the verdict (`changes_since`), in words."""

    @property
    def folded(self) -> bool:
        """Dismissed, and the data behind it has not changed markedly since."""
        return self.verdict == "dismissed" and not self.changes

    @property
    def to_review(self) -> bool:
        """Nobody has judged it yet, or it was dismissed and its data changed markedly."""
        return self.verdict is None or (self.verdict == "dismissed" and bool(self.changes))


VERDICT_COLUMNS = ("finding_id", "verdict", "note", "decided_by", "decided_at", "fingerprint")
"""The columns `review` reads of a verdicts frame (warehouse.findings.verdicts)."""


def review(findings: Sequence[Finding], verdicts: pl.DataFrame) -> list[Reviewed]:
    """Each finding with its verdict (in the findings' order). `verdicts` has VERDICT_COLUMNS,
    `fingerprint` as JSON text; verdicts on findings not among `findings` are ignored."""
    by_id = {
        row["finding_id"]: row for row in verdicts.select(VERDICT_COLUMNS).iter_rows(named=True)
    }
    out = []
    for f in findings:
        row = by_id.get(f.id)
        if row is None:
            out.append(Reviewed(f, None))
            continue
        given = json.loads(row["fingerprint"]) if row["fingerprint"] else {}
        out.append(
            Reviewed(
                f,
                row["verdict"],
                row["note"] or "",
                row["decided_by"],
                row["decided_at"],
                tuple(changes_since(f.kind, given, fingerprint(f))),
            )
        )
    return out


def top_to_review(reviewed: Sequence[Reviewed]) -> Reviewed | None:
    """The most important finding still to review (none confirmed, none folded away)."""
    return next((r for r in reviewed if r.to_review), None)
