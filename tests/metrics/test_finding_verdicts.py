"""Verdicts against the data: what a verdict was given on, what "changed markedly" means, and
which findings stay folded away."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest

from metrics.finding_verdicts import (
    Reviewed,
    changes_since,
    fingerprint,
    review,
    top_to_review,
)
from metrics.findings import Finding

H = 3600.0


def neck(at_stake_s: float = 100 * H, p50: float = 6 * H, waits: int = 30) -> Finding:
    return Finding(
        "neck",
        "bottleneck",
        "C",
        "Cases wait ...",
        {"wait_before_s_p50": p50, "waits": waits, "cases": 20, "wait_share": 0.7},
        at_stake_s,
    )


def test_a_fingerprint_is_the_time_at_stake_the_key_figure_and_its_n() -> None:
    assert fingerprint(neck()) == {"at_stake_s": 100 * H, "figure": 6 * H, "n": 30}
    loop = Finding(
        "loop", "rework_loop", "C", "...", {"case_share": 0.5, "cases": 10, "rounds": 12}, 50.0
    )
    assert fingerprint(loop) == {"at_stake_s": 50.0, "figure": 0.5, "n": 10}
    # A waste step without start times has no median process time; its key figure is the wait.
    waste = Finding(
        "w",
        "non_value_step",
        "D",
        "...",
        {"process_time_s_p50": None, "wait_before_s_p50": None, "instances": 5},
        0.0,
    )
    assert fingerprint(waste) == {"at_stake_s": 0.0, "figure": None, "n": 5}


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Exactly a quarter more is not "more than a quarter".
        (neck(at_stake_s=125 * H), []),
        (neck(at_stake_s=126 * H), ["time at stake 4.2 d → 5.2 d a week"]),
        (neck(at_stake_s=74 * H), ["time at stake 4.2 d → 3.1 d a week"]),
        (neck(p50=7.5 * H), []),
        (neck(p50=7.6 * H), ["median wait 6.0 h → 7.6 h"]),
        (neck(waits=59), []),
        (neck(waits=60), ["waits 30 → 60"]),
        (neck(waits=15), ["waits 30 → 15"]),
        (neck(waits=16), []),
        (
            neck(at_stake_s=200 * H, p50=12 * H, waits=60),
            [
                "time at stake 4.2 d → 8.3 d a week",
                "median wait 6.0 h → 12.0 h",
                "waits 30 → 60",
            ],
        ),
    ],
)
def test_changed_markedly_means_a_quarter_or_twice_the_n(now: Finding, expected: list[str]) -> None:
    assert changes_since("bottleneck", fingerprint(neck()), fingerprint(now)) == expected


def test_from_zero_any_move_is_marked_and_unknown_figures_never_are() -> None:
    zero = {"at_stake_s": 0.0, "figure": None, "n": None}
    assert changes_since("bottleneck", zero, {"at_stake_s": 60.0, "figure": 5.0, "n": 3}) == [
        "time at stake 0 min → 1 min a week"
    ]
    assert changes_since("bottleneck", {}, fingerprint(neck())) == []


def _verdicts(*rows: tuple[str, str, str, dict[str, float | int | None]]) -> pl.DataFrame:
    at = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    return pl.DataFrame(
        {
            "finding_id": [r[0] for r in rows],
            "verdict": [r[1] for r in rows],
            "note": [r[2] for r in rows],
            "decided_by": ["ann@example.com"] * len(rows),
            "decided_at": [at] * len(rows),
            "fingerprint": [json.dumps(r[3]) for r in rows],
        },
        schema={
            "finding_id": pl.String,
            "verdict": pl.String,
            "note": pl.String,
            "decided_by": pl.String,
            "decided_at": pl.Datetime("us", "UTC"),
            "fingerprint": pl.String,
        },
    )


def test_review_folds_dismissed_findings_until_their_data_moves() -> None:
    same = Finding("same", "bottleneck", "C", "...", neck().evidence, 100 * H)
    moved = Finding("moved", "bottleneck", "D", "...", neck(waits=90).evidence, 100 * H)
    fine = Finding("fine", "bottleneck", "E", "...", neck().evidence, 100 * H)
    new = Finding("new", "bottleneck", "F", "...", neck().evidence, 100 * H)
    given = fingerprint(neck())
    rows = review(
        [same, moved, fine, new],
        _verdicts(
            ("same", "dismissed", "a needed review", given),
            ("moved", "dismissed", "a needed review", given),
            ("fine", "confirmed", "", given),
            ("gone", "confirmed", "", given),
        ),
    )
    assert [(r.finding.id, r.verdict, r.folded, r.to_review, r.changes) for r in rows] == [
        ("same", "dismissed", True, False, ()),
        ("moved", "dismissed", False, True, ("waits 30 → 90",)),
        ("fine", "confirmed", False, False, ()),
        ("new", None, False, True, ()),
    ]
    assert rows[0].decided_by == "ann@example.com" and rows[0].note == "a needed review"
    top = top_to_review(rows)
    assert top is not None and top.finding.id == "moved"
    assert top_to_review([Reviewed(same, "confirmed")]) is None
