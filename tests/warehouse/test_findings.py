"""Verdicts on findings in the warehouse: who and when, changed or withdrawn, kept across
imports, and a dismissed finding back once the data behind it changes markedly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from metrics.derived import derive_all
from metrics.finding_verdicts import fingerprint, review
from metrics.findings import Finding, offering_findings
from pipelines.ingest import ingest
from warehouse import Actor, PermissionDenied, Warehouse, WarehouseError
from warehouse.findings import give_verdict, verdicts, withdraw_verdict

ANN = Actor("ann@example.com", "editor")
DAY0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def orders_csv(first: int, n: int, review_wait_h: float) -> bytes:
    """Orders `first` .. `first + n - 1`, one a day: Quote (1 h, Maya), a wait, Review (1 h,
    Lee), 2 h later Ship (1 h, Sam). Review's wait is the largest: the bottleneck."""
    rows = ["Order ID,Step,Started,Finished,Owner"]
    fmt = "%Y-%m-%d %H:%M"
    for k in range(first, first + n):
        t = DAY0 + timedelta(days=k)
        review = t + timedelta(hours=1 + review_wait_h)
        ship = review + timedelta(hours=3)
        for step, start, who in (
            ("Quote", t, "Maya"),
            ("Review", review, "Lee"),
            ("Ship", ship, "Sam"),
        ):
            end = start + timedelta(hours=1)
            rows.append(f"O-{k:03d},{step},{start:{fmt}},{end:{fmt}},{who}")
    return ("\n".join(rows) + "\n").encode()


def findings(wh: Warehouse) -> list[Finding]:
    d = derive_all(wh.events(), wh.catalog(), wh.open_items())
    return offering_findings(d.instances, d.cases, wh.events(), wh.catalog(), "Orders").findings


def bottleneck(wh: Warehouse) -> Finding:
    (found,) = [f for f in findings(wh) if f.kind == "bottleneck"]
    return found


def judge(wh: Warehouse, f: Finding, verdict: str, note: str = "") -> None:
    give_verdict(
        wh,
        finding_id=f.id,
        offering="Orders",
        kind=f.kind,
        step=f.step,
        headline=f.headline,
        verdict=verdict,
        fingerprint=fingerprint(f),
        note=note,
    )


def _import(wh: Warehouse, data: bytes, name: str) -> None:
    from pipelines.ingest import ImportOptions

    ingest(wh, data, name, ImportOptions(offering="Orders"))


def test_a_verdict_says_who_and_when_and_can_be_changed_or_withdrawn(wh: Warehouse) -> None:
    _import(wh, orders_csv(0, 30, 48), "orders-1.csv")
    f = bottleneck(wh)
    assert f.step == "Review"
    ann = wh.acting(ANN)
    before = datetime.now(UTC)
    judge(ann, f, "dismissed", "  Not waste: a needed review ")
    row = verdicts(wh, "Orders").row(0, named=True)
    assert (row["finding_id"], row["verdict"], row["note"], row["decided_by"]) == (
        f.id,
        "dismissed",
        "Not waste: a needed review",
        "ann@example.com",
    )
    assert row["decided_at"] >= before and (row["kind"], row["step"]) == ("bottleneck", "Review")
    assert row["headline"] == f.headline
    judge(ann, f, "confirmed")
    assert verdicts(wh).select("verdict", "note").rows() == [("confirmed", "")]
    audit = wh.audit().filter(wh.audit()["action"] == "verdict on finding")
    assert audit.height == 2
    assert set(audit["target"]) == {"Orders: bottleneck at Review"}
    assert set(audit["actor"]) == {"ann@example.com"}
    assert withdraw_verdict(ann, f.id) is True
    assert verdicts(wh).height == 0
    assert withdraw_verdict(ann, f.id) is False


def test_a_dismissal_needs_a_note_and_a_viewer_may_not_judge(wh: Warehouse) -> None:
    _import(wh, orders_csv(0, 30, 48), "orders-1.csv")
    f = bottleneck(wh)
    with pytest.raises(WarehouseError, match="Say why you dismiss it"):
        judge(wh, f, "dismissed", "   ")
    with pytest.raises(WarehouseError, match="Unknown verdict 'maybe'"):
        judge(wh, f, "maybe")
    with pytest.raises(PermissionDenied, match="needs the editor role"):
        judge(wh.acting(Actor("val@example.com", "viewer")), f, "confirmed")
    assert verdicts(wh).height == 0


def test_verdicts_survive_imports_and_dismissed_ones_return_when_the_data_moves(
    wh: Warehouse,
) -> None:
    _import(wh, orders_csv(0, 30, 48), "orders-1.csv")
    judge(wh, bottleneck(wh), "dismissed", "Not waste: a needed review")

    # The same file again stores nothing; five more orders like the others change little.
    _import(wh, orders_csv(0, 30, 48), "orders-1.csv")
    _import(wh, orders_csv(30, 5, 48), "orders-2.csv")
    (now,) = review([bottleneck(wh)], verdicts(wh, "Orders"))
    assert now.verdict == "dismissed" and now.note == "Not waste: a needed review"
    assert now.folded and now.changes == ()

    # Forty orders that wait five days before Review: the median wait and the time at stake
    # move far beyond a quarter, so the finding comes back to be looked at again.
    _import(wh, orders_csv(35, 40, 120), "orders-3.csv")
    (back,) = review([bottleneck(wh)], verdicts(wh, "Orders"))
    assert back.finding.id == now.finding.id
    assert back.verdict == "dismissed" and not back.folded and back.to_review
    # 30 waits of 48 h over 29 days and 53 hours (the last order's Ship ends 53 h after its
    # Quote began), then 75 waits (6,480 h) over 74 days and 125 hours; and 30 → 75 waits.
    assert back.changes == (
        "time at stake 13.5 d → 23.9 d a week",
        "median wait 2.0 d → 5.0 d",
        "waits 30 → 75",
    )

    # Undoing the import that moved the data folds it away again; the verdict stays.
    last = int(wh.imports()["id"].max())  # type: ignore[arg-type]
    wh.undo_import(last)
    (again,) = review([bottleneck(wh)], verdicts(wh, "Orders"))
    assert again.folded
