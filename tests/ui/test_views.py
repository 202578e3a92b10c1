"""The pages' cached views: each the cases its filter selects, sharing frames when it keeps
all; the same whether the steps are held in memory or scanned from the warehouse."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from metrics.filters import CaseFilter, apply_filters
from metrics.findings import finding_cases
from metrics.variants import COMPACT_VARIANT, compact_variants
from tests.conftest import mapped_files
from ui.findings_screen import findings_for
from ui.views import derived, view
from warehouse import Warehouse
from warehouse.derived import STEP_FILES_SUFFIX, load_derivation


def _unnamed(folder: Path) -> list[str]:
    """The unnamed files of `folder` mapped into this process (warehouse.mapped)."""
    return [f for f in mapped_files(folder) if f.endswith("(deleted)")]


@pytest.mark.parametrize("held", ["memory", "scan"])
@pytest.mark.parametrize(
    ("spec", "cases"),
    [
        (CaseFilter(), 2791),
        (CaseFilter(completed_only=True), 2555),
        (CaseFilter(offerings=("Reverse engineering",)), 598),
        (CaseFilter(offerings=("Reverse engineering",), completed_only=True), 543),
    ],
)
def test_a_view_is_what_its_filter_selects(
    demo_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: CaseFilter,
    cases: int,
    held: str,
) -> None:
    db = tmp_path / "views.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0" if held == "scan" else "10_000_000")
    with Warehouse.open(db) as wh:
        stored = load_derivation(wh)
    d = derived()
    assert d.in_memory == (held == "memory")
    # The app holds the variants compact; they are the same steps.
    assert d.cases.schema["variant"] == COMPACT_VARIANT
    assert_frame_equal(d.cases, compact_variants(stored.cases))
    assert d.cases["variant"].to_list() == stored.cases["variant"].to_list()
    # ... held in an unnamed file of the warehouse's folder, mapped (warehouse.mapped).
    assert len(_unnamed(tmp_path)) == 3  # one per offering, none with a name in the folder:
    beside = {db.name + end for end in ("", ".wal", ".inbox", STEP_FILES_SUFFIX)}
    assert {p.name for p in tmp_path.iterdir()} <= beside
    assert_frame_equal(d.instances.collect(), stored.instances)
    instances, selected = view(spec)
    expected_instances, expected_cases = apply_filters(
        stored.instances.lazy(), stored.cases.lazy(), spec
    )
    assert_frame_equal(selected, compact_variants(expected_cases.collect()))
    assert_frame_equal(instances.collect(), expected_instances.collect())
    # A query of one column that is not the case's number reads the same rows.
    assert_frame_equal(
        instances.select("seq").collect(), expected_instances.select("seq").collect()
    )
    assert selected.height == cases
    if held == "memory":
        # A view that keeps every case holds no copy of the steps.
        assert (instances is d.instances) == (cases == d.cases.height)
    else:
        # A scanned view reads only its offerings' steps, and only the columns asked for:
        # each from the table, or from its step file once the background thread has
        # written it (either may be the case when the plan is drawn).
        plan = instances.select("activity").explain()
        scans = plan.count("stored steps") + plan.count(STEP_FILES_SUFFIX + "/")
        assert scans == (len(spec.offerings) if spec.offerings else 3)
        counted = instances.group_by("offering").agg(pl.len()).collect()
        assert int(counted["len"].sum()) == int(selected["n_instances"].sum())


@pytest.mark.parametrize("held", ["memory", "scan"])
def test_a_figure_of_each_offering_alone_is_computed_one_offering_at_a_time(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held: str
) -> None:
    """Compare's scorecard of a view of several offerings that is not stored is computed
    offering by offering, each with its own steps only, and equals the scorecard of the
    whole view computed at once."""
    import metrics.figures
    from tests.ui.conftest import step_thread_done
    from ui.views import view_figure

    db = tmp_path / "views.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0" if held == "scan" else "10_000_000")
    # The completed cases of the last 200 days: a view whose figures are not stored (a
    # filter that dropped no completed case would read those of "completed cases only").
    spec = CaseFilter(
        offerings=("Custom formulation", "Reverse engineering"),
        completed_only=True,
        window_days=200,
    )
    instances, cases = view(spec)
    step_thread_done()  # its figures of the completed cases are not counted here
    whole = metrics.figures.scorecard(instances, cases)
    seen: list[tuple[list[str], list[str]]] = []
    real = metrics.figures._scorecard

    def watched(steps: pl.LazyFrame, of: pl.LazyFrame, **kwargs: object) -> pl.LazyFrame:
        offerings = steps.select(pl.col("offering").unique()).collect()["offering"]
        seen.append((sorted(offerings), sorted(of.collect()["offering"].unique())))
        return real(steps, of, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(metrics.figures, "_scorecard", watched)
    card = view_figure(spec, metrics.figures.scorecard)
    assert seen == [(["Custom formulation"],) * 2, (["Reverse engineering"],) * 2]
    assert_frame_equal(card, whole)
    assert card["offering"].to_list() == ["Custom formulation", "Reverse engineering"]
    per_offering = cases.group_by("offering").agg(pl.col("completed").sum()).sort("offering")
    assert card["completed_in_period"].to_list() == per_offering["completed"].to_list()
    assert 0 < cases.height < 1082 + 543  # fewer than every completed case of the two
    # Each offering's rows are the figure of its own view, which a page of that offering
    # alone then reads: computed once.
    alone = view_figure(
        dataclasses.replace(spec, offerings=("Reverse engineering",)), metrics.figures.scorecard
    )
    assert len(seen) == 2
    assert_frame_equal(alone, card.filter(pl.col("offering") == "Reverse engineering"))


def test_a_pages_figures_are_read_as_stored_or_computed_once_per_view_and_data_version(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The value stream map, Waits, Process map, Flow, Future state, Redesign and Compare
    pages read the figures of their default view (every case of the offerings in view)
    as stored with the derivation. Any other view computes them once: clicking in the
    page runs it again, and computes nothing again for the same view, only for another
    view or new data."""
    import metrics.figures
    from pipelines.ingest import ImportOptions, ingest
    from tests.ui.apptest import no_exceptions, run_app
    from ui.resources import open_warehouse

    calls: list[str] = []
    watched = {
        "_value_stream",
        "wait_ecdf",
        "directly_follows",
        "_steps",
        "activity_ranking",
        "projection",
        "_scorecard",
        "case_conformance",
    }

    def counted(name: str) -> None:
        real = getattr(metrics.figures, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            if name in watched:
                calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(metrics.figures, name, wrapper)

    for name in watched:
        counted(name)
    for page in (
        "app_pages/process_map.py",
        "app_pages/flow.py",
        "app_pages/future_state.py",
        "app_pages/redesign.py",
        "app_pages/compare.py",
    ):
        no_exceptions(run_app(demo_copy, page, monkeypatch))
    assert calls == []
    watched -= {
        "directly_follows",
        "_steps",
        "activity_ranking",
        "projection",
        "_scorecard",
        "case_conformance",
    }
    at = run_app(demo_copy, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    stored_text = [str(m.value) for m in at.markdown]
    assert calls == []
    assert "1,196 cases" in stored_text[0]  # the map's headline, of the stored figures
    # Completed cases only: another view, computed once.
    at.sidebar.toggle[0].set_value(True).run()
    map_text = [str(m.value) for m in at.markdown]
    at.run()
    no_exceptions(at)
    assert calls == ["_value_stream"]
    assert [str(m.value) for m in at.markdown] == map_text  # the same map, read again
    assert map_text != stored_text
    at.switch_page("app_pages/waits.py").run()
    no_exceptions(at)
    assert not at.sidebar.toggle[0].value and calls == ["_value_stream"]
    at.sidebar.toggle[0].set_value(True).run()
    at.run()
    no_exceptions(at)
    assert calls == ["_value_stream", "wait_ecdf"]
    # Redesign replays the completed cases alone: "completed cases only" is the same view
    # to it, its projection read as stored (metrics.figures.OF_COMPLETED_CASES).
    watched.add("projection")
    at.switch_page("app_pages/redesign.py").run()
    at.sidebar.toggle[0].set_value(True).run()
    no_exceptions(at)
    assert at.sidebar.toggle[0].value
    assert calls == ["_value_stream", "wait_ecdf"]
    watched.discard("projection")
    at.switch_page("app_pages/waits.py").run()
    at.sidebar.toggle[0].set_value(True).run()
    no_exceptions(at)
    assert calls == ["_value_stream", "wait_ecdf"]  # the same view again: nothing computed
    # New data (stored by the app's own connection, as every change is): the import
    # stores the touched offering's figures, the other view computes its own again and
    # the default view reads the stored ones.
    calls.clear()
    csv = "case,activity,start,end\nN-1,Quote,2026-10-01 09:00,2026-10-01 10:00\n"
    ingest(
        open_warehouse(str(demo_copy)),
        csv.encode(),
        "one.csv",
        ImportOptions(offering="Custom formulation"),
    )
    # The map and its waits (the Future state's first draft is checked on that map).
    stored = ["_value_stream", "wait_ecdf"]
    assert calls == stored
    at.run()
    no_exceptions(at)
    assert calls == [*stored, "wait_ecdf"]
    at.sidebar.toggle[0].set_value(False).run()
    no_exceptions(at)
    at.switch_page("app_pages/vsm.py").run()
    no_exceptions(at)
    assert calls == [*stored, "wait_ecdf"]
    assert "1,197 cases" in at.markdown[0].value


def test_the_offerings_and_each_ones_now_are_read_once_per_derivation(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page asks for the offerings and many for an offering's "now" (its latest
    event): read from the cases once, then kept with them."""
    from datetime import datetime

    from ui.views import offerings_of

    monkeypatch.setenv("VSM_DB", str(demo_copy))
    d = derived()
    latest = d.cases.group_by("offering").agg(pl.col("last_end").max()).sort("offering")
    assert (
        offerings_of(d)
        == latest["offering"].to_list()
        == [
            "Custom formulation",
            "Private label fulfillment",
            "Reverse engineering",
        ]
    )
    for offering, at in latest.iter_rows():
        assert isinstance(at, datetime)
        assert d.now_of(offering) == at
        assert (
            d.now_of(offering) == d.cases.filter(pl.col("offering") == offering)["last_end"].max()
        )
    assert d.now_of("No such offering") is None
    # Kept: a second ask reads no case.
    reverse = latest["last_end"][2]
    with monkeypatch.context() as m:
        m.setattr(pl.DataFrame, "group_by", None)
        m.setattr(pl.DataFrame, "get_column", None)
        assert offerings_of(d)[0] == "Custom formulation"
        assert d.now_of("Reverse engineering") == reverse


def test_the_stored_views_read_what_the_step_file_thread_stored(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the steps are scanned, the step-file thread stores each offering's figures of
    its completed cases alone and of its relative time windows
    (warehouse.derived.store_view_figures): "Completed cases only" and "Last 90 days"
    then read them, one offering's or Compare's rows of each, computing nothing, and
    they are the figures those views compute."""
    import metrics.figures
    from metrics.periods import period_bounds
    from tests.ui.conftest import step_thread_done
    from tests.warehouse.test_derived_tables import assert_same_figure
    from ui.compare_screen import _windowed
    from ui.views import stored_rows, view_figure

    db = tmp_path / "views.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    one = CaseFilter(offerings=("Reverse engineering",), completed_only=True)
    both = CaseFilter(offerings=("Custom formulation", "Reverse engineering"), completed_only=True)
    window = CaseFilter(offerings=("Reverse engineering",), window_days=90)
    window_done = dataclasses.replace(window, completed_only=True)
    expected = {
        name: metrics.figures.STORED[name](*view(one)) for name in metrics.figures.OF_COMPLETED_VIEW
    }
    in_window = {
        name: metrics.figures.STORED[name](*view(window))
        for name in ("value_stream", "summary", "arrows", "unchanged", "slowest", "map_conformance")
    }
    done_in_window = metrics.figures.summary(*view(window_done))
    card = metrics.figures.scorecard(*view(both))
    assert card["completed_in_period"].to_list() == [1082, 543]
    window_card = metrics.figures.scorecard(*view(dataclasses.replace(both, window_days=90)))
    # Stream health's rows over the last 90 days (of every case, the period before it
    # included) and Compare's scorecard of that window.
    health_90 = metrics.figures.window_health(*view(CaseFilter(offerings=both.offerings)), 90)
    in_90 = dataclasses.replace(both, completed_only=False, window_days=90)
    steps_90, cases_90 = view(in_90)
    card_90 = _windowed(steps_90, cases_90, period_bounds(cases_90.lazy(), days=90).collect())
    assert card_90["offering"].to_list() == list(both.offerings)
    step_thread_done()
    computed: list[str] = []
    for name in ("_value_stream", "_steps", "_scorecard", "directly_follows", "wait_ecdf"):
        real = getattr(metrics.figures, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            computed.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(metrics.figures, name, counted)
    for name, figure in expected.items():
        assert_same_figure(view_figure(one, metrics.figures.STORED[name]), figure)
    assert_frame_equal(view_figure(both, metrics.figures.scorecard), card)
    # The last 90 days, with open cases and without; the figures of completed cases
    # alone (the slowest, the Redesign's projection) are those of the window's.
    for name, figure in in_window.items():
        assert_same_figure(view_figure(window, metrics.figures.STORED[name]), figure)
        if name in metrics.figures.OF_COMPLETED_CASES:
            assert_same_figure(view_figure(window_done, metrics.figures.STORED[name]), figure)
    assert_frame_equal(view_figure(window_done, metrics.figures.summary), done_in_window)
    assert_frame_equal(
        view_figure(dataclasses.replace(both, window_days=90), metrics.figures.scorecard),
        window_card,
    )
    assert_frame_equal(stored_rows(both.offerings, "90d:health"), health_90)
    assert_frame_equal(stored_rows(both.offerings, "90d:window_scorecard"), card_90)
    assert stored_rows(both.offerings, "30d:health") is None  # stored with the derivation
    assert computed == []
    # Every case of the offering is another stored figure: the map of more cases.
    every = view_figure(CaseFilter(offerings=("Reverse engineering",)), metrics.figures.summary)
    assert every["cases"].item() > expected["summary"]["cases"].item()
    assert every["cases"].item() > in_window["summary"]["cases"].item()
    assert in_window["summary"]["cases"].item() > done_in_window["cases"].item() > 0
    # Another window mode is not stored: it is computed.
    started = dataclasses.replace(window, window_mode="started")
    view_figure(started, metrics.figures.summary)
    view_figure(started, metrics.figures.steps)
    assert computed == ["_steps"]


def test_a_filter_that_drops_no_case_reads_the_figures_of_the_plainer_view(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filter that keeps every case of its offering (the last ten years of a year's
    data, cases started in them) is the view of every case: its figures are read as
    stored, nothing computed. One that keeps exactly the completed cases shares the
    figures of "completed cases only", computed once for both, and a figure of completed
    cases alone is then that of every case; one that drops a case computes its own."""
    import metrics.figures
    from ui.views import view_figure

    monkeypatch.setenv("VSM_DB", str(demo_copy))
    offering = ("Reverse engineering",)
    every = CaseFilter(offerings=offering)
    done = CaseFilter(offerings=offering, completed_only=True)
    decade = CaseFilter(offerings=offering, window_days=3650, window_mode="started")
    decade_done = dataclasses.replace(decade, completed_only=True)
    last_90 = CaseFilter(offerings=offering, window_days=90, window_mode="started")
    assert [view(f)[1].height for f in (every, decade, done, decade_done)] == [598, 598, 543, 543]
    assert view(last_90)[1].height < 598
    computed: list[int] = []
    real = metrics.figures.case_summary

    def counted(cases: pl.LazyFrame) -> pl.LazyFrame:
        computed.append(cases.select(pl.len()).collect().item())
        return real(cases)

    monkeypatch.setattr(metrics.figures, "case_summary", counted)
    stored = view_figure(every, metrics.figures.summary)
    assert_frame_equal(view_figure(decade, metrics.figures.summary), stored)
    assert stored["cases"].item() == 598
    assert computed == []
    assert_frame_equal(
        view_figure(done, metrics.figures.summary),
        view_figure(decade_done, metrics.figures.summary),
    )
    assert computed == [543]
    assert view_figure(last_90, metrics.figures.summary)["cases"].item() == computed[-1] < 543
    assert len(computed) == 2
    # The cases completed in the last ten years: every completed case, and no open one.
    # The slowest completed cases are those of every case, as stored; the summary that of
    # "completed cases only", computed above.
    finished = dataclasses.replace(decade, window_mode="completed")
    assert view(finished)[1].height == 543
    slow: list[int] = []
    real_slowest = metrics.figures.slowest_cases

    def slowest(steps: pl.LazyFrame, cases: pl.LazyFrame, n: int) -> pl.LazyFrame:
        slow.append(n)
        return real_slowest(steps, cases, n=n)

    monkeypatch.setattr(metrics.figures, "slowest_cases", slowest)
    assert_frame_equal(
        view_figure(finished, metrics.figures.slowest),
        view_figure(every, metrics.figures.slowest),
    )
    assert_frame_equal(
        view_figure(finished, metrics.figures.summary), view_figure(done, metrics.figures.summary)
    )
    assert slow == [] and len(computed) == 2
    assert view_figure(last_90, metrics.figures.slowest).height > 0
    assert slow == [metrics.figures.SLOWEST]


def test_an_offerings_findings_hold_their_cases_mapped(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The findings keep the cases they were found in, to show what lies behind each
    card: mapped from a file where they are big (71–86 MB an offering at fifty million
    events), like the derived cases."""
    db = tmp_path / "findings.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.setattr("warehouse.mapped.MAP_MIN_BYTES", 0)  # every frame counts as big
    d = derived()
    before = len(_unnamed(tmp_path))
    of = findings_for("Reverse engineering")
    assert len(_unnamed(tmp_path)) == before + 1
    own = d.cases.filter(pl.col("offering") == "Reverse engineering")
    assert of.cases.height == own.height == 598
    assert_frame_equal(of.cases.with_columns(pl.col("variant").cast(own["variant"].dtype)), own)
    assert of.findings  # found in those cases, and read behind each card from them
    assert finding_cases(of, of.findings[0]).height > 0


def test_recorded_experiments_and_verdicts_are_read_once_per_change(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stream health and Findings read the recorded experiments and verdicts once per
    change of the file, not once per offering and run; a change recorded shows at once."""
    from datetime import UTC, datetime

    from tests.ui.apptest import no_exceptions, run_app
    from ui import resources
    from warehouse.experiments import create_experiment

    at = run_app(demo_copy, "app_pages/health.py", monkeypatch)
    no_exceptions(at)
    reads: list[str] = []
    for name in ("experiments", "verdicts"):
        real = getattr(resources, name)

        def counted(wh: Warehouse, _real: Any = real, _name: str = name) -> pl.DataFrame:
            reads.append(_name)
            return _real(wh)

        monkeypatch.setattr(resources, name, counted)
    at.run()
    at.switch_page("app_pages/findings.py").run()
    no_exceptions(at)
    assert reads == []
    create_experiment(
        resources.open_warehouse(str(demo_copy)),
        name="Kanban board",
        offering="Custom formulation",
        changed_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    at.switch_page("app_pages/experiments.py").run()
    no_exceptions(at)
    assert reads == ["experiments", "verdicts"]
    listed = next(df.value for df in at.dataframe if "Experiment" in df.value.columns)
    assert "Kanban board" in listed["Experiment"].to_list() and len(listed) == 3


def test_the_open_cases_and_comparisons_the_pages_keep_are_mapped_and_shared(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Waits lists and dates of an offering's open cases, and an experiment's cases
    compared, a row per case each, are kept mapped from a file where they are big (the
    open cases and their dates 5-14 MB an offering at fifty million events), shared by
    every session as they are (not a copy per page run), and equal to what they are
    made of."""
    from datetime import UTC, datetime

    from metrics.compare import compare
    from metrics.forecast import likely_done_by
    from metrics.waits import waiting_now
    from ui import experiments_screen, forecasts, waits_screen
    from ui.resources import data_version, open_warehouse

    db = tmp_path / "kept.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("VSM_DB", str(db))
    monkeypatch.setattr("warehouse.mapped.MAP_MIN_BYTES", 0)  # every frame counts as big
    d = derived()
    path, version = str(db), data_version(open_warehouse(str(db)))
    offering = "Reverse engineering"
    own = d.cases.filter(pl.col("offering") == offering)
    assert d.now is not None

    before = len(_unnamed(tmp_path))
    likely = forecasts._likely(path, version, offering)
    assert len(_unnamed(tmp_path)) == before + 1
    assert forecasts._likely(path, version, offering) is likely
    expected = likely_done_by(own.lazy(), d.now, d.clock)
    assert likely.height == expected.height == int((~own["completed"]).sum()) > 0
    assert likely["likely_done_p85"].to_list() == expected["likely_done_p85"].dt.date().to_list()

    spec = CaseFilter(offerings=(offering,))
    view(spec)  # the view's cases, which it reads, are held (and mapped) already
    before = len(_unnamed(tmp_path))
    waiting = waits_screen._waiting(path, version, spec, d.now)
    assert len(_unnamed(tmp_path)) == before + 1
    assert waits_screen._waiting(path, version, spec, d.now) is waiting
    assert_frame_equal(waiting, waiting_now(own.lazy(), d.now).collect())

    change = datetime(2026, 3, 2, tzinfo=UTC)
    before = len(_unnamed(tmp_path))
    found = experiments_screen._comparison(path, version, offering, change.isoformat(), 28, 28)
    assert found is not None
    assert len(_unnamed(tmp_path)) == before + 2  # its points and its cases compared
    assert (
        experiments_screen._comparison(path, version, offering, change.isoformat(), 28, 28) is found
    )
    fresh = compare(d.instances.lazy(), d.cases.lazy(), offering, change, 28, 28)
    assert found.compared.height == fresh.compared.height > 0
    assert_frame_equal(found.compared, fresh.compared)
    assert_frame_equal(found.points, fresh.points)
    assert found.verdict == fresh.verdict


@pytest.mark.parametrize("held", ["scan", "memory"])
def test_a_view_chosen_on_one_page_has_the_other_pages_figures_computed_ahead(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch, held: str
) -> None:
    """A view no figure is stored for (here one variant) is computed from the stored
    steps on the page a person chooses it on; on a warehouse whose steps are scanned, the
    figures the other pages draw of it are then computed in the background, so the next
    page opened with it (here Waits, not opened before) computes nothing. Where the steps
    are held, each page computes its own (a fraction of a second)."""
    import threading

    import metrics.figures
    from tests.ui.apptest import no_exceptions, run_app
    from ui import compare_screen, views
    from ui.views import VIEW_AHEAD_THREAD

    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0" if held == "scan" else "10000000")
    # The figures asked of one offering so far in this process: none (an earlier test's
    # Compare of one offering would have the thread compute its histogram of the variant).
    monkeypatch.setattr(views, "_ALONE", {})
    at = run_app(demo_copy, "app_pages/vsm.py", monkeypatch)
    no_exceptions(at)
    calls: list[str] = []
    figures = ("_value_stream", "wait_ecdf", "waits_by_weekday_hour", "step_waits", "_scorecard")
    compared = ("lead_time_histogram", "weekly_throughput")
    for module, names in ((metrics.figures, figures), (compare_screen, compared)):
        for name in names:
            real = getattr(module, name)

            def counted(
                *args: object, _real: Any = real, _name: str = name, **kw: object
            ) -> object:
                calls.append(_name)
                return _real(*args, **kw)

            monkeypatch.setattr(module, name, counted)
    variants = next(m for m in at.multiselect if m.key == "f_variants")
    variants.set_value([variants.options[0]]).run()
    no_exceptions(at)
    assert "→" in variants.options[0] and calls[:1] == ["_value_stream"]
    for thread in threading.enumerate():
        if thread.name == VIEW_AHEAD_THREAD:
            thread.join(timeout=120)
    ahead = sorted(calls[1:])
    at.switch_page("app_pages/waits.py").run()
    no_exceptions(at)
    assert next(m for m in at.multiselect if m.key == "f_variants").value == [variants.options[0]]
    on_waits = sorted(calls[1 + len(ahead) :])
    # Compare, with every offering in the sidebar, shows the variant's cases side by
    # side: its lead-time histogram and weekly completions are computed ahead as well, and
    # its scorecard is the one-offering view's (computed once).
    at.switch_page("app_pages/compare.py").run()
    no_exceptions(at)
    on_compare = sorted(calls[1 + len(ahead) + len(on_waits) :])
    assert list(at.dataframe[0].value["Offering"]) == ["Custom formulation"]
    if held == "scan":
        assert ahead == [
            "_scorecard",
            "lead_time_histogram",
            "step_waits",
            "wait_ecdf",
            "waits_by_weekday_hour",
            "weekly_throughput",
        ]
        assert on_waits == on_compare == []
    else:
        assert ahead == []
        assert on_waits == ["step_waits", "wait_ecdf", "waits_by_weekday_hour"]
        assert on_compare == ["_scorecard", "lead_time_histogram", "weekly_throughput"]
