"""The seven tool exports recorded from the real tools, checked by hand against their JSON.

The files are in ../shared/data/external/exports (see its SOURCES.md). For each, a few
items' status periods were worked out by reading the raw JSON (the entries are named in
the comments: ``issues[2]`` is the third issue of the Jira answer, ``actions[310]`` the
311th action of the Trello board, ``[3]`` the fourth entry of a GitHub list): when the
item entered each status, how long it stayed, whether that status is work, waiting or
done, and whether the item is still open. Times are UTC (Jira's -0500 and -0400 offsets
applied). Then the case counts, the open counts and the flow efficiency that follow,
the last cross-checked in DuckDB SQL over the stored events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from metrics.derived import Derived, derive_all
from metrics.flow import aging
from metrics.summary import case_summary
from pipelines.ingest import ingest
from warehouse import Warehouse

pytestmark = pytest.mark.real


def t(
    year: int, month: int, day: int, hour: int, minute: int, second: int, ms: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, ms * 1000, tzinfo=UTC)


@dataclass
class Imported:
    events: pl.DataFrame
    open_items: pl.DataFrame
    kinds: dict[str, str]
    derived: Derived
    sql_flow_efficiency: float | None
    notes: list[str]

    def periods(self, case: str) -> list[tuple[str, datetime | None, datetime, str]]:
        """(status, entered, left, kind) of each period of the item that ended."""
        rows = self.events.filter(pl.col("case_id") == case).sort("event_id")
        return [
            (a, s, e, self.kinds[a])
            for a, s, e in zip(rows["activity"], rows["start"], rows["end"], strict=True)
        ]

    def now_in(self, case: str) -> tuple[str, datetime | None, str] | None:
        """(status, entered, kind) of the status the item is in now, if it is open."""
        rows = self.open_items.filter(pl.col("case_id") == case)
        if rows.height == 0:
            return None
        status, entered = rows.row(0)[2:4]
        return status, entered, self.kinds[status]

    def case(self, case: str) -> dict:  # type: ignore[type-arg]
        return self.derived.cases.filter(pl.col("case_id") == case).row(0, named=True)

    def counts(self) -> tuple[int, int, int]:
        row = case_summary(self.derived.cases.lazy()).collect().row(0, named=True)
        return row["cases"], row["completed_cases"], row["open_cases"]

    def flow_efficiency(self) -> float | None:
        value: float | None = (
            case_summary(self.derived.cases.lazy()).collect()["flow_efficiency"].item()
        )
        return value


# Flow efficiency of the completed cases, computed in DuckDB from the stored rows: a case
# is completed when its last period (by start, end, source order) is of a done status and
# it has no open item; status periods never overlap, so process time is the sum of its
# work periods.
_SQL_FLOW_EFFICIENCY = """
WITH e AS (
    SELECT e.offering, e.case_id, e.start, e."end", e.event_id, a.kind
    FROM events e JOIN activities a USING (offering, activity)
),
ranked AS (
    SELECT offering, case_id, kind, row_number() OVER (
        PARTITION BY offering, case_id
        ORDER BY coalesce(start, "end") DESC, "end" DESC, event_id DESC) AS r
    FROM e
),
c AS (
    SELECT offering, case_id,
           (epoch_us(max("end")) - epoch_us(min(coalesce(start, "end")))) / 1e6 AS lead_s,
           sum(CASE WHEN kind = 'work' THEN (epoch_us("end") - epoch_us(start)) / 1e6
                    ELSE 0 END) AS process_s
    FROM e GROUP BY ALL
)
SELECT sum(process_s) / nullif(sum(lead_s), 0) AS fe
FROM c JOIN ranked USING (offering, case_id)
WHERE r = 1 AND kind = 'done' AND NOT EXISTS (
    SELECT 1 FROM open_items o WHERE o.offering = c.offering AND o.case_id = c.case_id)
"""


@pytest.fixture(scope="module")
def exports(external_dir: Path) -> Path:
    return external_dir / "exports"


def load(folder: Path, name: str, tmp: Path) -> Imported:
    with Warehouse.open(tmp / f"{name}.duckdb") as wh:
        report = ingest(wh, folder / name)
        catalog = wh.catalog()
        derived = derive_all(wh.events(), catalog, wh.open_items())
        return Imported(
            wh.events(),
            wh.open_items(),
            dict(zip(catalog["activity"], catalog["kind"], strict=True)),
            derived,
            wh.read(_SQL_FLOW_EFFICIENCY)["fe"].item(),
            report.notes,
        )


def test_jira_cloud_search_with_changelogs(exports: Path, tmp_path: Path) -> None:
    jira = load(exports, "jira_actionableagile_search.json", tmp_path)
    # issues[2] UT-28: created 2015-11-21T07:03:02.000-0500, then the status histories
    # Backlog→Dev Active 07:14:04.691-0500, Dev Active→Dev Done 2015-11-26T06:34:11.753-0500,
    # Dev Done→Test 2015-12-10T08:41:30.141-0500, Test→Done 08:41:56.792-0500.
    assert jira.periods("UT-28") == [
        ("Backlog", t(2015, 11, 21, 12, 3, 2), t(2015, 11, 21, 12, 14, 4, 691), "waiting"),
        ("Dev Active", t(2015, 11, 21, 12, 14, 4, 691), t(2015, 11, 26, 11, 34, 11, 753), "work"),
        # "Dev Done" is a queue in front of Test: 14 days 2 h 7 min of waiting.
        ("Dev Done", t(2015, 11, 26, 11, 34, 11, 753), t(2015, 12, 10, 13, 41, 30, 141), "waiting"),
        ("Test", t(2015, 12, 10, 13, 41, 30, 141), t(2015, 12, 10, 13, 41, 56, 792), "work"),
        ("Done", t(2015, 12, 10, 13, 41, 56, 792), t(2015, 12, 10, 13, 41, 56, 792), "done"),
    ]
    ut28 = jira.case("UT-28")
    # Lead 19 d 1:38:54.792; process = Dev Active 4 d 23:20:07.062 + Test 26.651 s.
    assert ut28["completed"] is True
    assert ut28["lead_time_s"] == pytest.approx(1_647_534.792)
    assert ut28["process_time_s"] == pytest.approx(429_633.713)
    assert ut28["flow_efficiency"] == pytest.approx(429_633.713 / 1_647_534.792)
    # issues[0] UT-26: Backlog→Dev Active 2015-11-21T07:14:01.643-0500, →Dev Done
    # 2015-11-26T06:34:28.549-0500, →Test 2016-03-29T07:19:29.805-0400; fields.status Test.
    assert [p[0] for p in jira.periods("UT-26")] == ["Backlog", "Dev Active", "Dev Done"]
    assert jira.now_in("UT-26") == ("Test", t(2016, 3, 29, 11, 19, 29, 805), "work")
    ut26 = jira.case("UT-26")
    assert (ut26["completed"], ut26["current_step"]) == (False, "Test")
    assert ut26["first_start"] == t(2015, 11, 21, 12, 3, 2)
    # issues[11] UT-37: back to Backlog after 8.338 s of analysis, then Analysis Active from
    # 2015-12-10T08:45:19.666-0500 to 2016-03-29T07:20:00.937-0400, in Analysis Done since.
    assert jira.periods("UT-37")[1:3] == [
        (
            "Analysis Active",
            t(2015, 11, 26, 11, 41, 0, 898),
            t(2015, 11, 26, 11, 41, 9, 236),
            "work",
        ),
        ("Backlog", t(2015, 11, 26, 11, 41, 9, 236), t(2015, 12, 10, 13, 45, 19, 666), "waiting"),
    ]
    assert jira.now_in("UT-37") == ("Analysis Done", t(2016, 3, 29, 11, 20, 0, 937), "waiting")
    # 25 issues; 17 end in Done, 8 are still in Test (UT-26, UT-49), Dev Active (UT-35,
    # UT-45, UT-50), Analysis Done (UT-37, UT-46) or Dev Done (UT-44).
    assert jira.counts() == (25, 17, 8)
    opened = jira.open_items.group_by("activity").len().sort("activity").rows()
    assert opened == [("Analysis Done", 2), ("Dev Active", 3), ("Dev Done", 1), ("Test", 2)]
    assert jira.flow_efficiency() == pytest.approx(jira.sql_flow_efficiency)
    assert jira.flow_efficiency() == pytest.approx(0.7547, abs=5e-5)
    # The oldest open issue is aged from its creation; the latest change is "now".
    oldest = aging(jira.derived.cases.lazy(), jira.derived.now).collect().row(0, named=True)
    assert jira.derived.now == t(2016, 3, 29, 11, 20, 13, 962)  # UT-50 → Dev Active
    assert oldest["age_s"] == pytest.approx(
        (t(2016, 3, 29, 11, 20, 13, 962) - t(2015, 11, 21, 12, 3, 2)).total_seconds()
    )


def test_github_issue_timeline_without_its_opening(exports: Path, tmp_path: Path) -> None:
    gh = load(exports, "github_issue28_timeline.json", tmp_path)
    # A timeline never holds the opening: Open starts at its first event, [0] "subscribed"
    # 2012-05-19T10:38:23Z (the issue's created_at, as the repository's events show), and
    # ends at [3] "closed" 2012-05-26T14:59:34Z. Assigned, commented, labeled "v1", locked
    # and the rest change no status.
    assert gh.periods("28") == [
        ("Open", t(2012, 5, 19, 10, 38, 23), t(2012, 5, 26, 14, 59, 34), "waiting"),
        ("Closed", t(2012, 5, 26, 14, 59, 34), t(2012, 5, 26, 14, 59, 34), "done"),
    ]
    assert gh.case("28")["lead_time_s"] == 7 * 86_400 + 4 * 3600 + 21 * 60 + 11
    assert gh.counts() == (1, 1, 0)
    assert gh.flow_efficiency() == 0.0 == gh.sql_flow_efficiency  # open issues wait
    assert any("first recorded event" in n for n in gh.notes)


@pytest.mark.parametrize("name", ["github_pr31_events.json", "github_pr31_timeline.json"])
def test_github_pull_request_31(exports: Path, tmp_path: Path, name: str) -> None:
    gh = load(exports, name, tmp_path)
    # Both: first non-commit event "subscribed" 2012-05-27T09:25:36Z ([0] of the events,
    # [3] of the timeline), "merged" and "closed" at 10:29:07Z. The timeline also starts
    # with three commits dated 07:33:23 to 09:07:47 (no status of their own), has a
    # "line-commented" item with no time at all, and two reviews in 2018, after the merge,
    # which do not reopen the pull request.
    assert gh.periods("31") == [
        ("PR submitted", t(2012, 5, 27, 9, 25, 36), t(2012, 5, 27, 10, 29, 7), "waiting"),
        ("Merged", t(2012, 5, 27, 10, 29, 7), t(2012, 5, 27, 10, 29, 7), "done"),
    ]
    assert gh.case("31")["lead_time_s"] == 3811
    assert gh.counts() == (1, 1, 0)
    assert gh.flow_efficiency() == 0.0 == gh.sql_flow_efficiency
    if name == "github_pr31_timeline.json":
        notes = " ".join(gh.notes)
        assert "1 timeline item has no time ('line-commented'): skipped." in notes
        assert "2 events came after the item was merged or closed" in notes


def test_github_repository_issue_events(exports: Path, tmp_path: Path) -> None:
    gh = load(exports, "github_repo_issues_events.json", tmp_path)
    # [5] "closed" 2012-05-25T17:32:31Z of issue 15, created 2012-03-13T06:24:05Z; its
    # "pull_request" object has null URLs: an issue, so "Open", not "PR submitted".
    assert gh.periods("15") == [
        ("Open", t(2012, 3, 13, 6, 24, 5), t(2012, 5, 25, 17, 32, 31), "waiting"),
        ("Closed", t(2012, 5, 25, 17, 32, 31), t(2012, 5, 25, 17, 32, 31), "done"),
    ]
    # [0] and [1]: issue 30 created 2012-05-27T05:40:15Z, state "open": an open case in
    # Open since then, with no period ended yet.
    assert gh.periods("30") == []
    assert gh.now_in("30") == ("Open", t(2012, 5, 27, 5, 40, 15), "waiting")
    assert gh.now_in("24") == ("Open", t(2012, 4, 30, 20, 1, 20), "waiting")
    assert gh.case("30")["current_step"] == "Open"
    # 10 issues: 6, 15, 23, 26, 28 and 29 closed; 24, 25, 27 and 30 open.
    assert gh.counts() == (10, 6, 4)
    assert sorted(gh.open_items["case_id"]) == ["24", "25", "27", "30"]
    assert gh.flow_efficiency() == 0.0 == gh.sql_flow_efficiency
    # Issue 24 is the oldest open one: 26 d 9:38:55 before the latest event (issue 30).
    oldest = aging(gh.derived.cases.lazy(), gh.derived.now).collect().row(0, named=True)
    assert (oldest["case_id"], oldest["age_s"]) == ("24", 26 * 86_400 + 9 * 3600 + 38 * 60 + 55)


def test_trello_spanish_board(exports: Path, tmp_path: Path) -> None:
    trello = load(exports, "trello_jsai_2021.json", tmp_path)
    # Card 602133aced335f63b7b61989: actions[310] createCard in COSAS POR HACER
    # 2021-02-08T12:50:52.390Z, [296] → HACIENDO 13:01:05.951Z, [98] → PRUEBAS
    # 2021-02-18T15:52:10.908Z, [1] → Finalizado 2021-02-25T13:23:34.253Z.
    card = "602133aced335f63b7b61989"
    assert trello.periods(card) == [
        (
            "COSAS POR HACER",
            t(2021, 2, 8, 12, 50, 52, 390),
            t(2021, 2, 8, 13, 1, 5, 951),
            "waiting",
        ),
        ("HACIENDO", t(2021, 2, 8, 13, 1, 5, 951), t(2021, 2, 18, 15, 52, 10, 908), "work"),
        ("PRUEBAS", t(2021, 2, 18, 15, 52, 10, 908), t(2021, 2, 25, 13, 23, 34, 253), "work"),
        ("Finalizado", t(2021, 2, 25, 13, 23, 34, 253), t(2021, 2, 25, 13, 23, 34, 253), "done"),
    ]
    row = trello.case(card)
    # Lead 17 d 0:32:41.863; process 10 d 2:51:04.957 + 6 d 21:31:23.345.
    assert row["lead_time_s"] == pytest.approx(1_470_761.863)
    assert row["flow_efficiency"] == pytest.approx(1_470_148.302 / 1_470_761.863)
    # Card 5e739792340eaf359acc8418 has one action, its archiving from COSAS POR HACER
    # 2020-12-14T13:20:12.715Z; its id says it was created 2020-03-19T16:02:26Z.
    assert trello.periods("5e739792340eaf359acc8418") == [
        ("COSAS POR HACER", t(2020, 3, 19, 16, 2, 26), t(2020, 12, 14, 13, 20, 12, 715), "waiting"),
        ("Archived", t(2020, 12, 14, 13, 20, 12, 715), t(2020, 12, 14, 13, 20, 12, 715), "done"),
    ]
    # Card 5fa945a678fbd8757342770f: only its archiving from TERMINADO (a done list),
    # 2020-11-17T13:39:16.295Z: it sat finished in TERMINADO since its creation.
    assert trello.periods("5fa945a678fbd8757342770f") == [
        ("TERMINADO", t(2020, 11, 9, 13, 35, 34), t(2020, 11, 9, 13, 35, 34), "done")
    ]
    # Card 5f57dab004c1df6b0fa3141e (created 2020-09-08T19:25:36Z by its id) is first seen
    # in [821] leaving COSAS POR HACER; it reached TERMINADO on 2020-12-14 ([707]), came
    # back to PRUEBAS on 2021-01-04 ([596]), was blocked from 2021-02-05 ([342]) and is in
    # PRUEBAS again since [140] 2021-02-15T13:44:09.467Z: open.
    periods = trello.periods("5f57dab004c1df6b0fa3141e")
    assert [(p[0], p[3]) for p in periods] == [
        ("COSAS POR HACER", "waiting"),
        ("HACIENDO", "work"),
        ("PRUEBAS", "work"),
        ("TERMINADO", "done"),
        ("PRUEBAS", "work"),
        ("BLOQUEO", "waiting"),
    ]
    assert periods[0][1] == t(2020, 9, 8, 19, 25, 36)
    assert periods[5][1:3] == (t(2021, 2, 5, 17, 3, 28, 129), t(2021, 2, 15, 13, 44, 9, 467))
    assert trello.now_in("5f57dab004c1df6b0fa3141e") == (
        "PRUEBAS",
        t(2021, 2, 15, 13, 44, 9, 467),
        "work",
    )
    # cards[0] 5e72914cf39e1103add76550 "AUTOMATIZACION" has no action in the export and is
    # open in CONVENCIONES - DESCRIPCION: there since its creation, 2020-03-18T21:23:24Z.
    assert trello.now_in("5e72914cf39e1103add76550") == (
        "CONVENCIONES - DESCRIPCION",
        t(2020, 3, 18, 21, 23, 24),
        "work",
    )
    # 169 cards are created, moved, archived or restored by the 1,000 actions, and 13 more
    # are open with no action: 182 cases. 33 cards are not archived and sit in a list that
    # is not done (8 HACIENDO, 7 COSAS POR HACER, 5 PRUEBAS, 2 Visto Bueno Approver,
    # 1 BLOQUEO, 10 CONVENCIONES - DESCRIPCION); the other 149 finished in the export.
    assert trello.counts() == (182, 149, 33)
    assert trello.kinds == {
        "COSAS POR HACER": "waiting",
        "HACIENDO": "work",
        "BLOQUEO": "waiting",
        "PRUEBAS": "work",
        "Visto Bueno Approver": "waiting",
        "CONVENCIONES - DESCRIPCION": "work",
        "TERMINADO": "done",
        "Finalizado": "done",
        "Archived": "done",
    }
    assert trello.flow_efficiency() == pytest.approx(trello.sql_flow_efficiency)
    assert trello.flow_efficiency() == pytest.approx(0.6977, abs=5e-5)


def test_trello_kanban_board(exports: Path, tmp_path: Path) -> None:
    trello = load(exports, "trello_kanban_2016.json", tmp_path)
    # actions[9] createCard "UCD" in Triage 2016-12-07T21:28:29.088Z: still there.
    assert trello.periods("58487efdfdedd23534be018c") == []
    assert trello.now_in("58487efdfdedd23534be018c") == (
        "Triage",
        t(2016, 12, 7, 21, 28, 29, 88),
        "waiting",
    )
    # actions[2] createCard "Jenkins" in Triage 2016-12-08T18:02:49.544Z, [1] → Backlog
    # 18:17:19.889Z, [0] → Refined 18:17:22.102Z: in Refined (waiting for Do it) since.
    assert trello.periods("5849a049e746caa1d3b70fb1") == [
        ("Triage", t(2016, 12, 8, 18, 2, 49, 544), t(2016, 12, 8, 18, 17, 19, 889), "waiting"),
        ("Backlog", t(2016, 12, 8, 18, 17, 19, 889), t(2016, 12, 8, 18, 17, 22, 102), "waiting"),
    ]
    assert trello.now_in("5849a049e746caa1d3b70fb1") == (
        "Refined",
        t(2016, 12, 8, 18, 17, 22, 102),
        "waiting",
    )
    # Both cards are open: in WIP, aging, none completed, so no flow efficiency.
    assert trello.counts() == (2, 0, 2)
    assert trello.flow_efficiency() is None and trello.sql_flow_efficiency is None
    ages = aging(trello.derived.cases.lazy(), trello.derived.now).collect()
    assert ages.select("current_step", "age_s").rows() == [
        (
            "Triage",
            (t(2016, 12, 8, 18, 17, 22, 102) - t(2016, 12, 7, 21, 28, 29, 88)).total_seconds(),
        ),
        (
            "Refined",
            (t(2016, 12, 8, 18, 17, 22, 102) - t(2016, 12, 8, 18, 2, 49, 544)).total_seconds(),
        ),
    ]
