"""The Findings page in AppTest: the demo's cards, confirm and dismiss by widget key, the
folded dismissals, trying a change, the empty states, and the line on Stream health."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.ingest import ImportOptions, ingest
from tests.ui.apptest import no_exceptions, open_case_lists, run_app, shown
from warehouse import LOCAL, Warehouse
from warehouse.findings import give_verdict, verdicts
from warehouse.kept_findings import changes_of, kept_behind, kept_findings

PAGE = "app_pages/findings.py"
CF = "Custom formulation"
# The demo's Custom formulation: its most important finding, the fall of the wait before
# Sample approval at the recorded change; then the lead time; then the bottleneck.
SHIFT, LEAD, NECK = "07576a3b81e4b12b", "c00a55a6807784a4", "449ab5666db1509e"


def _text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "success", "warning", "info", "error"):
        parts += [shown(str(e.value)) for e in getattr(at, kind)]
    return "\n".join(parts)


def _cards(at: AppTest) -> list[str]:
    """The findings shown as cards, by id, in order."""
    return [b.key.removeprefix("fnd_try_") for b in at.button if b.key.startswith("fnd_try_")]


def test_the_demos_findings_as_cards(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Findings"
    assert at.selectbox(key="findings_offering").value == CF
    text = _text(at)
    assert (
        "**8 findings** in the **1,196 cases** of Custom formulation, most important first "
        "(by the time at stake per week): 8 to review, 0 confirmed, 0 dismissed."
    ) in text
    assert _cards(at)[:3] == [SHIFT, LEAD, NECK]
    assert len(_cards(at)) == 8
    assert len(at.get("vega_lite_chart")) == 8
    # Each card: the n it rests on, what is at stake, and its cases with a CSV.
    assert "**Rests on:** 1,527 waits before Sample approval in 1,153 cases." in text
    assert (
        "**297.9 d a week** at stake: all the waiting before Sample approval, summed over the "
        "cases, divided by the 52 weeks the data spans."
    ) in text
    labels = [e.label for e in at.expander]
    assert "The 1,153 cases behind this" in labels
    assert "The 1,378 waits behind this (1,040 cases)" in labels
    # The lists are closed, and drawn only when opened.
    assert len(at.dataframe) == 0 and len(at.get("download_button")) == 0
    open_case_lists(at)
    no_exceptions(at)
    # One table per card, in the cards' order: the bottleneck's is the third.
    assert [len(t.value) for t in at.dataframe] == [1378, 991, 1153, 1153, 1110, 286, 1163, 86]
    neck = at.dataframe[2].value
    assert len(neck) == 1153
    assert list(neck.columns) == [
        "Case",
        "Total wait before Sample approval (d)",
        "Started",
        "Completed",
        "Lead time (d)",
    ]
    assert len(at.get("download_button")) == 8


def test_a_long_table_of_cases_shows_the_largest_and_says_the_csv_holds_all(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.findings_screen

    monkeypatch.setattr(ui.findings_screen, "MAX_ROWS", 100)
    at = run_app(demo_copy, PAGE, monkeypatch)
    open_case_lists(at)
    no_exceptions(at)
    # Every table is cut to the 100 largest; the bottleneck's (the third) says so.
    assert [len(t.value) for t in at.dataframe] == [100, 100, 100, 100, 100, 100, 100, 86]
    neck = at.dataframe[2].value
    figure = neck.columns[1]
    assert figure.startswith("Total wait before Sample approval")
    assert list(neck[figure]) == sorted(neck[figure], reverse=True)
    assert (
        "Showing the 100 with the largest total wait before Sample approval of the 1,153; "
        "the CSV holds all of them."
    ) in _text(at)
    assert "of the 86;" not in _text(at)


def test_confirm_and_dismiss_by_widget_key(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.button(key=f"fnd_confirm_{NECK}").click().run()
    no_exceptions(at)
    assert any("Confirmed." in s.value for s in at.success)
    assert f":green[:material/verified: **Confirmed** by {LOCAL.name} on " in _text(at)
    assert not [b for b in at.button if b.key == f"fnd_confirm_{NECK}"]

    # Dismissing needs a note; without one nothing is stored and the card says why.
    at.button(key=f"fnd_dismiss_{SHIFT}").click().run()
    no_exceptions(at)
    assert any("Say why you dismiss it" in e.value for e in at.error)
    at.text_input(key=f"fnd_note_{SHIFT}").input("Not news: the change we made on purpose")
    at.button(key=f"fnd_dismiss_{SHIFT}").click().run()
    no_exceptions(at)
    assert SHIFT not in _cards(at) and len(_cards(at)) == 7
    folded = [e for e in at.expander if e.label.startswith("Dismissed (1)")]
    assert folded
    assert "“Not news: the change we made on purpose”" in _text(at)
    assert "7 to review" not in _text(at) and "1 confirmed, 1 dismissed" in _text(at)
    with Warehouse.open(demo_copy) as wh:
        stored = verdicts(wh).sort("finding_id").select("finding_id", "verdict", "note").rows()
    assert stored == [
        (SHIFT, "dismissed", "Not news: the change we made on purpose"),
        (NECK, "confirmed", ""),
    ]

    # Brought back from the fold, it is a card to review again.
    at.button(key=f"fnd_withdraw_{SHIFT}").click().run()
    no_exceptions(at)
    assert _cards(at)[0] == SHIFT
    with Warehouse.open(demo_copy) as wh:
        assert verdicts(wh)["finding_id"].to_list() == [NECK]


def test_try_a_change_opens_the_experiments_form_filled_in(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, PAGE, monkeypatch)
    at.button(key=f"fnd_try_{NECK}").click().run()
    no_exceptions(at)
    assert at.title[0].value == "Experiments"
    assert at.selectbox(key="try_offering").value == CF
    assert at.text_input(key="try_name").value == "Shorter wait before Sample approval"
    assert at.text_input(key="try_what").value.startswith(
        "Started from a finding: Cases wait a median 7.0 d before Sample approval"
    )


def test_an_offering_with_nothing_to_find(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "calm.duckdb"
    csv = "Order ID,Step,Started,Finished\n" + "".join(
        f"O-{k},Quote,2026-01-0{k} 09:00,2026-01-0{k} 10:00\n" for k in range(1, 6)
    )
    with Warehouse.open(db) as wh:
        ingest(wh, csv.encode(), "calm.csv", ImportOptions(offering="Quotes"))
    at = run_app(db, PAGE, monkeypatch)
    no_exceptions(at)
    (info,) = at.info
    assert info.value.startswith("**Nothing stands out in Quotes** (5 cases). Checked: the largest")


def test_the_page_on_an_empty_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(tmp_path / "empty.duckdb", PAGE, monkeypatch)
    no_exceptions(at)
    assert at.title[0].value == "Findings"
    assert at.info[0].value.startswith("**There is no data yet.**")


def test_stream_health_shows_each_offerings_top_finding_to_review(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, None, monkeypatch)
    no_exceptions(at)
    tops = [c.value for c in at.caption if c.value.startswith("**Top finding to review:**")]
    assert len(tops) == 3
    assert tops[0].startswith(
        "**Top finding to review:** Waits before Sample approval that began from the week of "
        "1 Jun 2026"
    )
    assert tops[2].startswith(
        "**Top finding to review:** Cases wait a median 4.9 d before Customer approval"
    )
    # Once judged, the next one comes up.
    at.switch_page(PAGE).run()
    at.button(key=f"fnd_confirm_{SHIFT}").click().run()
    at.switch_page("app_pages/health.py").run()
    no_exceptions(at)
    tops = [c.value for c in at.caption if c.value.startswith("**Top finding to review:**")]
    assert tops[0].startswith("**Top finding to review:** Cases started from the week of 25 May")


def test_a_dismissal_whose_data_moved_comes_back_marked(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Warehouse.open(demo_copy) as wh:
        # Dismissed when its time at stake was 3.5 days a week (now 385.6).
        give_verdict(
            wh,
            finding_id=LEAD,
            offering=CF,
            kind="lead_time_shift",
            step=None,
            headline="Cases started from the week of 25 May 2026 ...",
            verdict="dismissed",
            note="We know: the video approvals",
            fingerprint={"at_stake_s": 300_000.0, "figure": 2_694_238.0, "n": 346},
        )
        give_verdict(
            wh,
            finding_id="0123456789abcdef",
            offering=CF,
            kind="bottleneck",
            step="Quote",
            headline="Cases wait a median 3.0 d before Quote.",
            verdict="confirmed",
            fingerprint={"at_stake_s": 1.0, "figure": 1.0, "n": 1},
        )
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    assert _cards(at)[:3] == [SHIFT, LEAD, NECK]
    (changed,) = at.main.warning
    assert changed.value.startswith(
        "**The data changed since this was dismissed:** time at stake 3.5 d → 385.6 d a week. "
        f"It was dismissed by {LOCAL.name} on "
    )
    assert shown(changed.value).endswith(": “We know: the video approvals”.")
    labels = {b.key: b.label for b in at.button if b.key.endswith(LEAD)}
    assert labels[f"fnd_dismiss_{LEAD}"] == "Dismiss again"
    assert labels[f"fnd_withdraw_{LEAD}"] == "Withdraw the verdict"
    # A verdict on a finding the data no longer shows can still be read, and forgotten.
    assert "Verdicts on findings no longer found (1)" in [e.label for e in at.main.expander]
    assert "Cases wait a median 3.0 d before Quote." in _text(at)
    at.button(key="fnd_withdraw_0123456789abcdef").click().run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        assert verdicts(wh)["finding_id"].to_list() == [LEAD]


@pytest.mark.real
def test_a_long_list_shows_the_ten_most_important_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_dir: Path
) -> None:
    db = tmp_path / "production.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, real_dir / "Production.csv")
    at = run_app(db, PAGE, monkeypatch)
    no_exceptions(at)
    assert "**23 findings** in the **225 cases** of Production" in _text(at)
    assert len(_cards(at)) == 10
    at.toggle(key="fnd_show_all").set_value(True).run()
    no_exceptions(at)
    assert len(_cards(at)) == 23


def _latest_weeks(db: Path, offering: str, limit: int) -> tuple[date, set[str], int]:
    """(the first Monday, the case ids, their steps) of the offering's latest whole weeks
    of starts that fit in `limit` steps, counted here from the stored cases, week by week."""
    with Warehouse.open(db) as wh:
        rows = wh.read(
            "SELECT case_id, first_start, n_instances FROM derived_cases WHERE offering = ?",
            [offering],
        ).rows()
    by_day: dict[date, list[tuple[str, int]]] = {}
    for case_id, first_start, n in rows:
        day = first_start.astimezone(UTC).date()
        by_day.setdefault(day - timedelta(days=day.weekday()), []).append((case_id, n))
    chosen: set[str] = set()
    steps, first = 0, max(by_day)
    for day in sorted(by_day, reverse=True):
        more = sum(n for _, n in by_day[day])
        if steps + more > limit:
            break
        steps, first = steps + more, day
        chosen |= {c for c, _ in by_day[day]}
    return first, chosen, steps


def test_an_offering_with_more_steps_than_the_findings_look_through_shows_its_latest_cases(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the limit the findings look through the offering's latest whole weeks of
    starts that fit in it (all its steps would take the server's memory): the Findings
    page and the Stream health tile say since when, and nothing behind a card is older."""
    with Warehouse.open(demo_copy) as wh:
        counts = dict(
            wh.read(
                "SELECT offering, sum(n_instances)::BIGINT FROM derived_cases GROUP BY ALL"
            ).rows()
        )
    # Between the smallest and the largest offering: only the larger ones are cut.
    limit = sorted(counts.values())[0]
    first, chosen, steps = _latest_weeks(demo_copy, CF, limit)
    assert len(chosen) > 0 and steps <= limit < counts[CF]
    monkeypatch.setenv("VSM_FINDINGS_MAX_STEPS", str(limit))
    at = run_app(demo_copy, PAGE, monkeypatch)
    no_exceptions(at)
    text = _text(at)
    since = f"{first.day} {first:%b %Y}"
    assert (
        f"{CF} has {counts[CF]:,} steps: more than the {limit:,} the findings look through"
    ) in text
    assert f"**{len(chosen):,} cases started since {since}** ({steps:,} steps)" in text
    assert f"in the **{len(chosen):,} cases** of {CF} started since {since}, most" in text
    cards = _cards(at)
    assert cards
    # What lies behind each card (kept with the findings) is of those cases only.
    with Warehouse.open(demo_copy) as wh:
        changes = changes_of(wh, CF)
        kept = kept_findings(wh, CF, changes)
        assert kept is not None and [f.id for f in kept][: len(cards)] == cards
        for f in kept:
            behind = kept_behind(wh, CF, changes, f.id)
            assert behind is not None
            assert set(behind[0]["case_id"].to_list()) <= chosen
    at = run_app(demo_copy, "app_pages/health.py", monkeypatch)
    no_exceptions(at)
    assert len([b for b in at.get("page_link") if b.proto.label == "Findings"]) == 3
    lines = [c.value for c in at.caption if c.value.startswith("**Top finding to review")]
    assert len(lines) == 3
    assert sum("(in the cases started since " in line for line in lines) == 2
    assert f"**Top finding to review (in the cases started since {since}):**" in lines[0]
