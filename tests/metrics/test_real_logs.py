"""Cross-checks against pm4py on every real log in ../shared/data/real and every event
log in ../shared/data/external/logs (other projects' files: BPI Challenge 2020, pm4py's
and bupaR's test logs; the ones SOURCES.md marks "must be refused" are not logs).

pm4py gets our instances as a pandas frame in source order, sorted stably by its
own convention: (case, start timestamp, timestamp) where the log has starts,
else (case, timestamp). That is our order inside a case (start, end, source
order), so directly-follows counts, variants, start/end activities and rework
agree exactly; ties are resolved by source order on both sides (sepsis has
4,447 same-timestamp events within cases).

Documented differences with METRICS.md, each shown by a test below:
- discover_performance_dfg computes start(b) − end(a) without the clamp at 0, so
  it reports negative waits where steps overlap; our unclamped gap equals it
  exactly, our wait is max(0, gap).
- get_all_case_durations ignores start timestamps: it is last end − first end
  (in its order); our lead time is max(end) − min(start).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

from metrics.cases import case_table
from metrics.derive import derive_instances
from metrics.steps import steps
from metrics.transitions import transitions
from metrics.variants import variants
from tests.metrics.frames import catalog

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REAL = SHARED / "real"
EXTERNAL = SHARED / "external" / "logs"
REFUSED = {"a32f0n50.xes.gz", "xes_20.xes", "ocel_example_log.csv", "ocel20_example.jsonocel"}
LOGS = sorted(p.name for p in REAL.iterdir() if p.name != "SOURCES.md") if REAL.is_dir() else []
EXTERNAL_LOGS = (
    sorted(f"external/{p.name}" for p in EXTERNAL.iterdir() if p.name not in REFUSED)
    if EXTERNAL.is_dir()
    else []
)
# Counts of SOURCES.md ("Activity instances after pairing").
EXPECTED = {
    "running-example.xes": (6, 42, 16),
    "running-example.csv": (6, 42, 16),
    "roadtraffic100traces.xes": (100, 390, 18),
    "receipt.csv": (1434, 8577, 99),
    "helpdesk.xes.gz": (4580, 21348, 55),
    "sepsis.csv": (1050, 15214, 115),
    "bpic2012.xes.gz": (13087, 164506, 101),
    "BPI_Challenge_2012_W_Two_TS.xes.gz": (8616, 59302, 17),
    "BPI_Challenge_2017_W_Two_TS_filtered.xes.gz": (8941, 63764, 27),
    "BPIC15_1.csv.gz": (1199, 52217, 4067),
    "Production.xes.gz": (225, 4953, 192),
    "Production.csv": (225, 4953, 192),
    "ConsultaDataMining201618.xes.gz": (954, 6870, 115),
    "reviewing.xes": (100, 2278, 44),
    "interval_event_log.csv": (1266, 8109, 14),
}
WITH_OVERLAP = "interval_event_log.csv"

pytestmark = pytest.mark.real
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is absent (a user's own clone)")
ALL_LOGS = LOGS + EXTERNAL_LOGS


def test_external_logs_are_here() -> None:
    """The parametrised checks below cover them; this says so when the folder is absent."""
    if not EXTERNAL.is_dir():
        pytest.skip(f"{EXTERNAL} is absent (a user's own clone)")
    assert len(EXTERNAL_LOGS) == 14


class Log:
    """One real log: our derived frames and pm4py's view of the same instances."""

    def __init__(self, name: str) -> None:
        from pipelines.ingest import load_instances

        path = (
            EXTERNAL / name.removeprefix("external/")
            if name.startswith("external/")
            else REAL / name
        )
        self.events = load_instances(path)
        self.instances = derive_instances(self.events.lazy(), catalog().lazy()).collect()
        self.cases = case_table(self.instances.lazy()).collect()
        self.has_start = self.events["start"].null_count() < self.events.height
        columns: dict[str, Any] = {
            "case:concept:name": pl.col("case_id"),
            "concept:name": pl.col("activity"),
            "time:timestamp": pl.col("end"),
        }
        keys = ["case:concept:name", "time:timestamp"]
        if self.has_start:
            # pm4py's to_interval gives a complete without start its own timestamp.
            columns["start_timestamp"] = pl.coalesce("start", "end")
            keys = ["case:concept:name", "start_timestamp", "time:timestamp"]
        frame = self.events.sort("event_id").select(**columns).to_pandas()
        self.pm4py_frame: pd.DataFrame = frame.sort_values(keys, kind="stable").reset_index(
            drop=True
        )


@pytest.fixture(scope="module")
def logs() -> Callable[[str], Log]:
    """Each log is read and derived once per module and test process (the big ones take seconds)."""
    cache: dict[str, Log] = {}

    def get(name: str) -> Log:
        if name not in cache:
            cache[name] = Log(name)
        return cache[name]

    return get


@pytest.fixture(scope="module")
def pm4py() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py as module
    return module


def _ours_dfg(log: Log) -> dict[tuple[str, str], int]:
    frame = transitions(log.instances.lazy()).collect()
    return {(r["from_activity"], r["to_activity"]): r["count"] for r in frame.iter_rows(named=True)}


@pytest.mark.parametrize("name", LOGS)
def test_counts_match_sources_md(name: str, logs: Callable[[str], Log]) -> None:
    log = logs(name)
    assert (log.cases.height, log.instances.height, len(_ours_dfg(log))) == EXPECTED[name]


@pytest.mark.parametrize("name", ALL_LOGS)
def test_dfg_start_and_end_activities(name: str, pm4py: Any, logs: Callable[[str], Log]) -> None:
    log = logs(name)
    dfg, start, end = pm4py.discover_dfg(log.pm4py_frame)
    assert _ours_dfg(log) == dict(dfg)
    firsts = log.instances.filter(pl.col("seq") == 1).group_by("activity").len()
    lasts = log.instances.filter(pl.col("is_last")).group_by("activity").len()
    assert dict(firsts.iter_rows()) == dict(start)
    assert dict(lasts.iter_rows()) == dict(end)


@pytest.mark.parametrize("name", ALL_LOGS)
def test_performance_dfg_mean_and_median(name: str, pm4py: Any, logs: Callable[[str], Log]) -> None:
    log = logs(name)
    perf, _, _ = pm4py.discover_performance_dfg(log.pm4py_frame)
    gap = (pl.col("start_or_end") - pl.col("prev_end")).dt.total_microseconds() / 1e6
    ours = (
        log.instances.filter(pl.col("prev_activity").is_not_null())
        .group_by("prev_activity", "activity")
        .agg(
            mean=gap.mean(),
            median=gap.median(),
            clamped_mean=pl.col("transition_wait_s").mean(),
            overlaps=(gap < 0).sum(),
        )
    )
    assert ours.height == len(perf)
    clamped = {
        (r["from_activity"], r["to_activity"]): r["wait_s_mean"]
        for r in transitions(log.instances.lazy()).collect().iter_rows(named=True)
    }
    for row in ours.iter_rows(named=True):
        edge = (row["prev_activity"], row["activity"])
        assert row["mean"] == pytest.approx(perf[edge]["mean"], rel=1e-6, abs=1e-6)
        assert row["median"] == pytest.approx(perf[edge]["median"], rel=1e-6, abs=1e-6)
        if row["overlaps"] == 0:
            # No overlap: our wait (clamped) is exactly pm4py's.
            assert clamped[edge] == pytest.approx(perf[edge]["mean"], rel=1e-6, abs=1e-6)


@needs_real
def test_pm4py_reports_negative_waits_on_overlap_we_clamp(
    pm4py: Any, logs: Callable[[str], Log]
) -> None:
    log = logs(WITH_OVERLAP)
    perf, _, _ = pm4py.discover_performance_dfg(log.pm4py_frame)
    negative = {edge: v for edge, v in perf.items() if v["min"] < 0}
    assert negative, "the log's overlapping steps give pm4py negative waits"
    ours = transitions(log.instances.lazy()).collect()
    assert ours["wait_s_p50"].min() >= 0
    for (a, b), values in negative.items():
        row = ours.filter((pl.col("from_activity") == a) & (pl.col("to_activity") == b))
        # Clamping raises the mean above pm4py's wherever some waits were negative.
        assert row["wait_s_mean"].item() > values["mean"]


@pytest.mark.parametrize("name", ALL_LOGS)
def test_case_durations(name: str, pm4py: Any, logs: Callable[[str], Log]) -> None:
    log = logs(name)
    theirs = sorted(pm4py.get_all_case_durations(log.pm4py_frame))
    if not log.has_start:
        assert sorted(log.cases["lead_time_s"].to_list()) == pytest.approx(theirs, rel=1e-9)
        return
    # pm4py ignores start timestamps: its duration is last end − first end in its
    # order. Ours is max(end) − min(start) (METRICS.md), never shorter.
    grouped = log.pm4py_frame.groupby("case:concept:name", sort=False)["time:timestamp"]
    pm4py_rule = sorted(((grouped.last() - grouped.first()).dt.total_seconds()).tolist())
    assert theirs == pytest.approx(pm4py_rule, rel=1e-9)
    assert log.cases["lead_time_s"].sum() >= sum(theirs)


@needs_real
@pytest.mark.parametrize(
    "name", [n for n in LOGS if n in ("interval_event_log.csv", "Production.xes.gz")]
)
def test_lead_time_differs_from_pm4py_where_starts_exist(
    name: str, pm4py: Any, logs: Callable[[str], Log]
) -> None:
    log = logs(name)
    theirs = sorted(pm4py.get_all_case_durations(log.pm4py_frame))
    ours = sorted(log.cases["lead_time_s"].to_list())
    assert ours != pytest.approx(theirs)
    # Ours is exactly max(end) − min(start) per case.
    frame = log.pm4py_frame.groupby("case:concept:name")
    expected = sorted(
        (frame["time:timestamp"].max() - frame["start_timestamp"].min()).dt.total_seconds().tolist()
    )
    assert ours == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", ALL_LOGS)
def test_variants(name: str, pm4py: Any, logs: Callable[[str], Log]) -> None:
    log = logs(name)
    theirs = {tuple(k): v for k, v in pm4py.get_variants(log.pm4py_frame).items()}
    ours = {
        tuple(r["variant"]): r["cases"]
        for r in variants(log.cases.lazy()).collect().iter_rows(named=True)
    }
    assert ours == theirs
    assert len(ours) == log.cases["variant"].n_unique()


@pytest.mark.parametrize("name", ALL_LOGS)
def test_rework_per_activity(name: str, pm4py: Any, logs: Callable[[str], Log]) -> None:
    log = logs(name)
    theirs = pm4py.get_rework_cases_per_activity(log.pm4py_frame)
    ours = {
        r["activity"]: r["rework_cases"]
        for r in steps(log.instances.lazy()).collect().iter_rows(named=True)
        if r["rework_cases"]
    }
    assert ours == theirs


@needs_real
def test_ties_follow_source_order(pm4py: Any, logs: Callable[[str], Log]) -> None:
    # sepsis draws Leucocytes, CRP and LacticAcid at the same instant: the
    # directly-follows graph depends on how ties are ordered. Both sides use the
    # order in the source; handing pm4py the same events in another order
    # (reversed, still sorted by timestamp) changes its graph, not ours.
    log = logs("sepsis.csv")
    frame = log.pm4py_frame
    ties = frame.duplicated(["case:concept:name", "time:timestamp"], keep=False).sum()
    assert ties > 4000
    reordered = frame.iloc[::-1].sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    dfg_reordered, _, _ = pm4py.discover_dfg(reordered)
    assert dict(dfg_reordered) != _ours_dfg(log)
    assert dict(pm4py.discover_dfg(frame)[0]) == _ours_dfg(log)
