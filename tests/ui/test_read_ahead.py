"""What the server reads ahead of its first visitor (ui.serve, ui.views.warm): what the
pages would read, so they read nothing of it again; nothing where an upgrade must
derive first, which the first visit shows with its progress bar."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from pipelines.ingest import ingest
from ui import resources, serve, views
from ui.resources import open_warehouse
from warehouse import Warehouse

ORDERS = (
    b"case_id,activity,start,end,offering\n"
    b"N-1,Quote,2026-03-02 09:00,2026-03-02 10:00,Custom formulation\n"
    b"N-1,Ship,2026-03-05 09:00,2026-03-05 11:00,Custom formulation\n"
)


def _refuse(*_: Any, **__: Any) -> Any:
    raise AssertionError("read again what the server had read ahead")


def test_the_pages_find_ready_what_the_server_read_ahead(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VSM_DB", str(demo_copy))
    wh = open_warehouse(str(demo_copy))
    expected = views.Facts(wh.event_count(), tuple(wh.offerings()), wh.time_span(), wh.has_demo())
    assert expected.events > 10_000 and len(expected.offerings) == 3 and expected.demo

    assert serve.warm() is True

    with monkeypatch.context() as m:
        for name in ("event_count", "offerings", "time_span", "has_demo", "events_head"):
            m.setattr(Warehouse, name, _refuse)
        m.setattr(views, "load_stored", _refuse)
        m.setattr(views, "variants", _refuse)
        assert views.warehouse_facts() == expected
        d = views.derived()
        assert d.cases.height == 2791
        choices = views.filter_choices()
        assert len(choices.variants()) == 30
        assert "resource" in choices.attributes()

    # An import changes what the sidebar says at once.
    ingest(wh, ORDERS, "more.csv")
    after = views.warehouse_facts()
    assert after.events == expected.events + 2
    assert after.offerings == expected.offerings and after.demo


def test_a_warehouse_an_upgrade_must_derive_is_left_to_the_first_visit(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Warehouse.open(demo_copy) as wh:
        wh._con.execute("UPDATE derived_state SET version = '0-older'")
    monkeypatch.setenv("VSM_DB", str(demo_copy))
    monkeypatch.setattr(views, "load_stored", _refuse)
    assert views.warm() is False
    assert serve.warm() is False


def test_the_pages_find_their_figures_forecasts_and_comparisons_ready(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from metrics import figures
    from metrics.filters import CaseFilter
    from metrics.selection import Selection
    from ui import (
        cases_screen,
        compare_screen,
        findings_screen,
        flow_screen,
        forecasts,
        health_screen,
        waits_screen,
    )
    from ui import experiments_screen as page
    from warehouse.experiments import DEFAULT_WINDOW_DAYS, experiments
    from warehouse.kept_findings import changes_of, findings_limit, kept_findings

    monkeypatch.setenv("VSM_DB", str(demo_copy))
    wh = open_warehouse(str(demo_copy))
    records = experiments(wh)
    assert records.height == 2
    assert serve.warm() is True
    d = views.derived()
    offerings = sorted(d.cases["offering"].unique().to_list())
    first = offerings[0]
    assert first == "Custom formulation"
    is_open = (d.cases["offering"] == first) & ~d.cases["completed"]
    n_open = int(is_open.sum())
    assert n_open > 20
    n_cases = int((d.cases["offering"] == first).sum())
    # Findings are kept once looked for (as a visit to Stream health does); the server
    # reads the kept ones ahead, and never looks for any itself.
    path, version = str(demo_copy), wh.data_version()
    assert not any(kept_findings(wh, o, changes_of(wh, o)) for o in offerings)
    for o in offerings[1:]:
        findings_screen._findings(path, version, o, changes_of(wh, o), findings_limit())
    findings_screen._findings.clear()
    kept = [o for o in offerings if kept_findings(wh, o, changes_of(wh, o)) is not None]
    assert n_cases == 1196 and kept == offerings[1:] and wh.data_version() == version
    latest = int(wh.imports()["id"][0])
    demo = tuple(wh.demo_imports())
    held = wh.import_contents([latest]), wh.import_contents(list(demo))
    assert held[1][0] == wh.event_count() > 0
    # Every stored figure of the first offering and the scorecard of all three; Stream
    # health's trend; the first offering's open cases dated (and every offering's
    # forecast); the findings kept of each offering; the first offering's open cases
    # listed as the Waits page lists them; Compare's periods, lead-time histogram and
    # weekly completions; the Cases page's list of the first offering; the Flow page's
    # three figures (days in progress with Little's law, weekly arrivals, main path); the
    # two recorded experiments and "Try a change now"'s; what the latest import and the
    # demo hold, as the Data page's undo and removal say.
    assert serve.read_ahead() == (
        len(figures.STORED) + 1 + 1 + n_open + len(kept) + n_open + 3 + n_cases + 3 + 3 + 2
    )

    with monkeypatch.context() as m:
        m.setattr(views, "stored_figure", _refuse)
        m.setattr(views, "_view", _refuse)
        m.setattr(page, "compare", _refuse)
        m.setattr(forecasts, "likely_done_by", _refuse)
        m.setattr(waits_screen, "waiting_now", _refuse)
        for name in ("lead_time_histogram", "weekly_throughput"):
            m.setattr(compare_screen, name, _refuse)
        m.setattr(health_screen, "period_bounds", _refuse)  # the pages' periods (periods_at)
        m.setattr(Warehouse, "import_contents", _refuse)
        m.setattr(health_screen, "lead_time_trend", _refuse)
        m.setattr(forecasts, "forecast_items", _refuse)
        for name in ("kept_offering_findings", "offering_findings", "found_apart"):
            m.setattr(findings_screen, name, _refuse)
        m.setattr(cases_screen, "case_list", _refuse)
        for name in ("wip_daily", "flow_per_period", "littles_law", "main_path"):
            m.setattr(flow_screen, name, _refuse)
        one, every = CaseFilter(offerings=(first,)), CaseFilter(offerings=tuple(offerings))
        trend = health_screen._trend(path, version, every)
        assert trend["completed"].sum() == int(d.cases["completed"].sum())
        for o in offerings:
            forecast = forecasts._forecast(path, version, o)
            assert forecast is not None and forecast["items"] > 0
        for o in kept:
            found = findings_screen._findings(path, version, o, changes_of(wh, o), findings_limit())
            assert found.offering == o and found.findings
        listed = cases_screen._listed(path, version, Selection(first), d)
        assert listed.height == n_cases and listed["duration_s"].is_sorted(
            descending=True, nulls_last=True
        )
        wip, little = views.view_figure(one, flow_screen.in_progress)
        assert wip.height > 300 and wip["wip"].max() > 0
        weeks = views.view_figure(one, flow_screen.weekly_flow)
        assert weeks["started_cases"].sum() == n_cases
        assert little.height == 1
        assert views.view_figure(one, flow_screen.path_of).height > 3
        assert resources.import_contents(path, version, (latest,)) == held[0]
        assert resources.import_contents(path, version, demo) == held[1]
        stream = views.view_figure(one, figures.value_stream)
        assert stream.cases == int((d.cases["offering"] == first).sum())
        waits = views.view_figure(one, figures.waits_by_step)
        # Every work step but the first, which nothing comes before.
        assert waits.height == 12 and set(waits["activity"]) < set(stream.steps["activity"])
        card = views.view_figure(every, figures.scorecard)
        bounds = compare_screen._bounds(path, version, every)
        assert bounds["offering"].sort().to_list() == offerings
        hist, width = views.view_figure(every, compare_screen.histogram)
        assert width > 0 and hist["cases"].sum() == int(d.cases["completed"].sum())
        weekly = compare_screen._weekly(path, version, every)
        assert weekly["completed_cases"].sum() == int(d.cases["completed"].sum())
        assert card["offering"].to_list() == offerings
        assert card["cases"].sum() == d.cases.height
        table = d.cases.filter(is_open).select(pl.col("case_id").alias("Case"))
        dated = forecasts.with_likely_done(table, first)
        now = d.now_of(first)
        assert now is not None
        waiting = waits_screen._waiting(path, version, one, now)
        assert waiting["case_id"].sort().to_list() == table["Case"].sort().to_list()
        assert waiting["idle_s"].is_sorted(descending=True) and waiting["idle_s"].min() >= 0
        assert dated.height == n_open and dated[forecasts.LIKELY_DONE].null_count() < n_open
        verdicts = [
            page.comparison(r["offering"], r["changed_at"], r["before_days"], r["after_days"])
            for r in records.iter_rows(named=True)
        ]
        tried = page.comparison(
            first,
            page._instant(page._default_day(d), time(0, 0)),
            DEFAULT_WINDOW_DAYS,
            DEFAULT_WINDOW_DAYS,
        )
    assert [c.verdict if c else None for c in verdicts] == ["waiting moved", "faster"]
    assert tried is not None and tried.before.completed + tried.after.completed > 0


def test_figures_that_are_not_stored_are_left_to_the_page_that_asks(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An offering beyond the steps a report is stored for (or with a calendar on) has no
    stored figures: the server does not compute them ahead, nor Compare's scorecard,
    whose rows need every offering's."""
    from metrics import figures
    from warehouse.derived import stored_figure_names

    monkeypatch.setenv("VSM_DB", str(demo_copy))
    with Warehouse.open(demo_copy) as wh:
        assert stored_figure_names(wh, "Custom formulation") == set(figures.STORED)
        wh._con.execute("DELETE FROM derived_figures WHERE offering = 'Custom formulation'")
        assert stored_figure_names(wh, "Custom formulation") == set()
        assert stored_figure_names(wh, "Reverse engineering") == set(figures.STORED)
    assert serve.warm() is True
    monkeypatch.setattr(views, "_view", _refuse)
    assert views.figures_ahead() == 0


def _steps_written() -> None:
    """Wait for the thread writing step files, if one is at work."""
    import threading

    for thread in threading.enumerate():
        if thread.name == views.STEP_THREAD:
            thread.join(timeout=120)


def test_a_scanned_warehouse_writes_its_step_files_once_its_cases_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the steps are scanned, reading the derivation starts writing each offering's
    step file in the background, which a filtered view's figures then read; steps held in
    memory need none."""
    from tests.ui.apptest import no_exceptions, run_app

    for limit, files in (("10000000", 0), ("0", 3)):
        db = tmp_path / limit / "w.duckdb"
        db.parent.mkdir()
        with Warehouse.open(db) as wh:
            ingest(wh, ORDERS, "orders.csv")
            ingest(wh, ORDERS.replace(b"Custom formulation", b"Private label"), "more.csv")
            ingest(wh, ORDERS.replace(b"Custom formulation", b"Reverse engineering"), "re.csv")
        monkeypatch.setenv("VSM_IN_MEMORY_STEPS", limit)
        at = run_app(db, "app_pages/vsm.py", monkeypatch)
        no_exceptions(at)
        _steps_written()
        folder = db.with_name("w.duckdb.steps")
        assert len(list(folder.glob("*.parquet"))) == files
        if files:
            assert not views.derived().in_memory
            steps = views.derived().instances_of(["Private label"])
            assert "parquet" in steps.explain().lower()
            assert steps.select("case_id", "activity").collect().rows() == [
                ("N-1", "Quote"),
                ("N-1", "Ship"),
            ]


def test_the_step_file_thread_stores_the_reports_an_import_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An offering of more steps than an import stores a report for gets its report,
    health row and page figures from the thread that writes its step file; Stream
    health says so meanwhile (it does not compute them from every step), and reads the
    stored rows once they are stored."""
    from metrics import figures
    from tests.ui.apptest import no_exceptions, run_app
    from warehouse import derived as derived_module
    from warehouse.derived import stored_figure_names, stored_report

    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 1)  # each offering has 2
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, ORDERS, "orders.csv")
        ingest(wh, ORDERS.replace(b"Custom formulation", b"Private label"), "more.csv")
        assert stored_report(wh, "Custom formulation") is None
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    before = views._reported.n
    gate = resources.on_request()
    gate.__enter__()  # a page computing a figure: the thread waits for it
    try:
        at = run_app(db, "app_pages/health.py", monkeypatch)
        no_exceptions(at)
        assert views.default_health_rows(["Custom formulation"]) is None
        assert views.storing_ahead()
        pending = [c.value for c in at.caption if "being computed in the background" in c.value]
        assert len(pending) == 2
        assert pending[0].startswith(
            "**Its figures are being computed in the background.** Custom formulation has 2 "
            "steps: more than an import computes figures for"
        )
        assert len(at.metric) == 0  # nothing computed by the page meanwhile
        waiting = [c.value for c in at.caption if c.value.startswith("Waiting for the figures")]
        assert waiting == [
            "Waiting for the figures of Custom formulation, Private label: this page fills "
            "them in when they are stored."
        ]
        for thread in __import__("threading").enumerate():
            if thread.name == views.STEP_THREAD:
                thread.join(timeout=2)
                assert thread.is_alive()  # still waiting
        assert views._reported.n == before
    finally:
        gate.__exit__(None, None, None)
    _steps_written()
    assert not views.storing_ahead()
    assert views._reported.n == before + 2
    wh = open_warehouse(str(db))
    for offering in ("Custom formulation", "Private label"):
        assert stored_report(wh, offering) is not None
        assert stored_figure_names(wh, offering) == set(figures.STORED)
    rows = views.default_health_rows(["Custom formulation", "Private label"])
    assert rows is not None and rows["offering"].to_list() == [
        "Custom formulation",
        "Private label",
    ]
    at.run()  # what the page's wait does once they are stored
    no_exceptions(at)
    assert not [c.value for c in at.caption if "being computed" in c.value]
    assert [m.label for m in at.metric][:6] == [
        "In progress",
        "Completed",
        "Median lead time",
        "p85 lead time",
        "Flow efficiency",  # no step of ORDERS is classified value-adding
        "Rework",
    ]
    assert len(at.metric) == 12


def test_stream_health_computes_what_the_step_file_thread_leaves_to_the_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An offering beyond the steps the thread stores a report for
    (REPORT_AHEAD_MAX_STEPS) gets none from it: Stream health computes its rows, even
    while the thread is at work, rather than wait for rows that will not come."""
    from tests.ui.apptest import no_exceptions, run_app
    from warehouse import derived as derived_module

    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 1)
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, ORDERS, "orders.csv")
        ingest(wh, ORDERS.replace(b"Custom formulation", b"Private label"), "more.csv")
        assert derived_module.reported_ahead(wh) == ["Custom formulation", "Private label"]
        monkeypatch.setattr(derived_module, "REPORT_AHEAD_MAX_STEPS", 1)
        assert derived_module.reported_ahead(wh) == []
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    gate = resources.on_request()
    gate.__enter__()  # the thread waits: at work all along the page's run
    try:
        at = run_app(db, "app_pages/health.py", monkeypatch)
        no_exceptions(at)
        assert views.storing_ahead()
        assert not [c.value for c in at.caption if "being computed" in c.value]
        assert len(at.metric) == 12
    finally:
        gate.__exit__(None, None, None)
    _steps_written()


def test_stream_health_computes_a_report_the_thread_gave_up_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the thread is past the reports (one it could not compute, here none stored)
    and at work on the views' figures, Stream health no longer waits for the report:
    it computes the rows, rather than wait for the whole pass."""
    import threading

    from tests.ui.apptest import no_exceptions, run_app
    from warehouse import derived as derived_module

    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 1)
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, ORDERS, "orders.csv")
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    at_views, go_on = threading.Event(), threading.Event()
    monkeypatch.setattr(views, "store_reports_from_step_files", lambda w, **_: [])

    def views_figures(w: Any, **_: Any) -> None:
        at_views.set()
        go_on.wait(60)

    monkeypatch.setattr(views, "store_view_figures", views_figures)
    try:
        views.derived_at(str(db), resources.data_version(resources.open_warehouse(str(db))))
        assert at_views.wait(60)
        assert not views.storing_ahead()
        at = run_app(db, "app_pages/health.py", monkeypatch)
        no_exceptions(at)
        assert not [c.value for c in at.caption if "being computed" in c.value]
        assert len(at.metric) == 6
    finally:
        go_on.set()
    _steps_written()


def _two_big_offerings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    """The app's warehouse with two offerings of 2 steps each, both more than an import
    stores a report for (REPORT_MAX_STEPS set to 1)."""
    from warehouse import derived as derived_module

    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 1)
    wh = open_warehouse(str(tmp_path / "w.duckdb"))
    ingest(wh, ORDERS, "orders.csv")
    ingest(wh, ORDERS.replace(b"Custom formulation", b"Private label"), "more.csv")
    return wh


def _on_each_report(monkeypatch: pytest.MonkeyPatch, before: Any, finished: list[str]) -> None:
    """`before(offering)` as the thread starts computing an offering's report from its
    step file (in a process of its own, as the app does), and the offering added to
    `finished` once computed."""
    from warehouse import derived as derived_module

    real = derived_module.run_apart

    def watched(function: Any, *args: Any, **given: Any) -> Any:
        if function is not derived_module._file_report_rows:
            return real(function, *args, **given)
        offering = args[3]
        before(offering)
        rows = real(function, *args, **given)
        finished.append(offering)
        return rows

    monkeypatch.setattr(derived_module, "run_apart", watched)


def test_a_pass_of_the_step_file_thread_gives_way_to_a_newer_derivation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import while the thread computes a report of the derivation before it: that
    pass stops at the next figure, and the thread writes the new derivation's files and
    stores its reports (the stale pass would have finished a report it cannot store, and
    the other offering's, before the new files were written)."""
    from metrics import figures
    from warehouse.derived import stored_figure_names, stored_report

    wh = _two_big_offerings(tmp_path, monkeypatch)
    finished: list[str] = []

    def counted(offering: str) -> None:
        if not finished:  # an import comes while the first report is computed
            later = ORDERS.replace(b"N-1", b"N-2").replace(b"Ship,", b"Pack,")
            ingest(wh, later, "later.csv")  # Custom formulation derived again
            assert views.steps_ahead(wh) is None  # the thread at work takes it next
            finished.append("")

    _on_each_report(monkeypatch, counted, finished)
    assert views.steps_ahead(wh) is not None
    _steps_written()
    assert finished == ["", "Custom formulation", "Private label"]
    for offering, cases in (("Custom formulation", 2), ("Private label", 1)):
        kept = stored_report(wh, offering)
        assert kept is not None and kept[0]["cases"] == cases
        assert stored_figure_names(wh, offering) == set(figures.STORED)


def test_a_warehouse_asked_for_as_the_step_file_thread_ends_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thread finds no more work and ends under the lock a request takes: a request
    that comes while it is ending (still alive) starts another thread, not dropped."""
    import threading

    written: list[object] = []
    monkeypatch.setattr(views, "write_step_files", lambda w: written.append(w) or 0)
    monkeypatch.setattr(views, "store_reports_from_step_files", lambda w, **_: [])
    monkeypatch.setattr(views, "store_view_figures", lambda w, **_: [])
    monkeypatch.setattr(views, "current_stamps", lambda w: {})
    monkeypatch.setattr(views, "release_duckdb_cache", lambda w: True)
    ending = threading.Event()
    exits = [0]

    class SlowToEnd:
        """`views._ahead`, the thread lingering once it has let go of it to end."""

        def __init__(self) -> None:
            self.lock = threading.Lock()

        def __enter__(self) -> None:
            self.lock.acquire()

        def __exit__(self, *_: object) -> None:
            self.lock.release()
            if threading.current_thread().name == views.STEP_THREAD:
                exits[0] += 1
                if exits[0] == 2:  # the first let go after taking the work, this to end
                    ending.set()
                    threading.Event().wait(0.5)

    monkeypatch.setattr(views, "_ahead", SlowToEnd())
    first, second = object(), object()
    thread = views.steps_ahead(first)  # type: ignore[arg-type]
    assert thread is not None
    assert ending.wait(10) and thread.is_alive()
    assert views.steps_ahead(second) is not None  # type: ignore[arg-type]
    _steps_written()
    thread.join(timeout=10)
    _steps_written()
    assert written == [first, second]


def test_the_same_derivation_asked_for_again_does_not_stop_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's cache reading the same derivation anew asks for its files again: the
    pass at work goes on (computing each report once), and no second pass follows."""

    wh = _two_big_offerings(tmp_path, monkeypatch)
    finished: list[str] = []

    def counted(offering: str) -> None:
        if not finished:
            assert views.steps_ahead(wh) is None  # asked again, nothing changed

    _on_each_report(monkeypatch, counted, finished)
    passes: list[object] = []
    real_write = views.write_step_files

    def write(w: Any) -> int:
        passes.append(w)
        return real_write(w)

    monkeypatch.setattr(views, "write_step_files", write)
    assert views.steps_ahead(wh) is not None
    _steps_written()
    assert finished == ["Custom formulation", "Private label"]
    assert passes == [wh]  # and no second pass


def test_a_panic_in_the_step_file_thread_is_logged_and_the_next_request_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A panic of polars' engine is not an Exception: the pass ends, logged, and the
    thread goes on to the next request (or a new one starts), never stuck."""
    calls: list[object] = []

    def write(w: object) -> int:
        calls.append(w)
        if len(calls) == 1:
            raise pl.exceptions.PanicException("the engine gave up")
        return 0

    monkeypatch.setattr(views, "write_step_files", write)
    monkeypatch.setattr(views, "store_reports_from_step_files", lambda w, **_: [])
    monkeypatch.setattr(views, "store_view_figures", lambda w, **_: [])
    monkeypatch.setattr(views, "current_stamps", lambda w: {})
    released: list[object] = []
    monkeypatch.setattr(views, "release_duckdb_cache", released.append)
    from types import SimpleNamespace

    one, two = SimpleNamespace(path="first"), SimpleNamespace(path="second")
    first = views.steps_ahead(one)  # type: ignore[arg-type]
    assert first is not None
    first.join(timeout=30)
    assert views._writing == [False]
    second = views.steps_ahead(two)  # type: ignore[arg-type]
    assert second is not None
    second.join(timeout=30)
    assert calls == [one, two] and views._writing == [False]
    # DuckDB's cache is dropped after the step files of a pass that ends well, and at
    # its end.
    assert released == [two, two]


def test_a_request_that_comes_while_the_pass_checks_an_earlier_one_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pass finds the same derivation asked for again and reads the stamps to be
    sure; an import and its request come meanwhile (the warehouse asked for is the same
    object): that request is not dropped with the earlier one, and its reports are
    stored."""
    from warehouse.derived import stored_report

    wh = _two_big_offerings(tmp_path, monkeypatch)
    real_stamps = views.current_stamps
    asked: list[str] = []

    def rows(offering: str) -> None:
        if not asked:
            asked.append("again")
            assert views.steps_ahead(wh) is None  # the same derivation asked for again

    def stamps(w: Any) -> dict[str, str]:
        found = real_stamps(w)
        if asked == ["again"]:  # the pass reads them to check that request
            asked.append("import")
            later = ORDERS.replace(b"N-1", b"N-2").replace(b"Ship,", b"Pack,")
            ingest(wh, later, "later.csv")
            assert views.steps_ahead(wh) is None
        return found

    _on_each_report(monkeypatch, rows, [])
    monkeypatch.setattr(views, "current_stamps", stamps)
    assert views.steps_ahead(wh) is not None
    _steps_written()
    assert asked == ["again", "import"]
    kept = stored_report(wh, "Custom formulation")
    assert kept is not None and kept[0]["cases"] == 2  # the derivation after the import


def test_a_visit_while_the_start_stores_a_releases_reports_shows_how_far_it_got(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reports of an older release are stored once: a visit that comes while the
    server's start is at it waits for it, showing its progress, and stores nothing
    again."""
    import threading
    from time import monotonic, sleep

    from warehouse import derived as derived_module

    with Warehouse.open(demo_copy) as wh:
        wh._con.execute("UPDATE derived_reports SET version = '0-older'")
    shown: list[tuple[float, str]] = []

    class Bar:
        def progress(self, value: float, text: str) -> None:
            shown.append((value, text))

        def empty(self) -> None:
            shown.append((-1.0, ""))

    monkeypatch.setattr(views.st, "progress", lambda value, text: Bar())
    stored: list[str] = []
    real = derived_module._store_report

    def counted(cur: Any, offering: str, n_steps: int) -> None:
        stored.append(offering)
        real(cur, offering, n_steps)

    monkeypatch.setattr(derived_module, "_store_report", counted)
    held, go = threading.Event(), threading.Event()

    def the_start() -> None:  # what `warm` does, paused after telling the first offering
        with views._preparing:
            views._noted(0, 3, "Custom formulation")
            held.set()
            go.wait(10)
            derived_module.prepare_derivation(open_warehouse(str(demo_copy)))

    start = threading.Thread(target=the_start)
    start.start()
    held.wait(10)
    visit = threading.Thread(target=views._derive_stale, args=(str(demo_copy),))
    visit.start()
    deadline = monotonic() + 20  # it looks every half second; a loaded machine is slow
    while not shown and monotonic() < deadline:
        sleep(0.05)
    assert visit.is_alive()  # waiting for the start's work
    assert (0.0, "Preparing the streams after an upgrade: Custom formulation (1 of 3)...") in shown
    go.set()
    start.join(60)
    visit.join(60)
    assert sorted(stored) == [
        "Custom formulation",
        "Private label fulfillment",
        "Reverse engineering",
    ]
    assert shown[-1] == (-1.0, "")  # the bar is gone
    assert derived_module.unreported_offerings(open_warehouse(str(demo_copy))) == []


def test_duckdbs_cache_of_storing_a_releases_reports_is_dropped_before_the_cases_are_read(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Storing an older release's reports copies each offering's steps through DuckDB,
    which keeps them cached: the start drops that cache before it reads the cases beside
    it (at ten million events the app held 2.03 GB for an instant otherwise), without
    waiting for pages, since the first visit waits for this."""
    with Warehouse.open(demo_copy) as wh:
        wh._con.execute("UPDATE derived_reports SET version = '0-older'")
    monkeypatch.setenv("VSM_DB", str(demo_copy))
    order: list[str] = []
    real_release, real_load = views.release_duckdb_cache, views.load_stored

    def release(wh: Warehouse, idle: bool = True) -> bool:
        order.append(f"dropped, idle {idle}")
        return real_release(wh, idle)

    def load(*args: Any, **kwargs: Any) -> Any:
        order.append("cases read")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(views, "release_duckdb_cache", release)
    monkeypatch.setattr(views, "load_stored", load)
    assert views.warm(str(demo_copy)) is True
    assert order == ["dropped, idle False", "cases read"]
    wh = open_warehouse(str(demo_copy))
    assert views.unreported_offerings(wh) == []


PENDING_PAGES = [
    "app_pages/vsm.py",
    "app_pages/waits.py",
    "app_pages/process_map.py",
    "app_pages/flow.py",
    "app_pages/future_state.py",
    "app_pages/redesign.py",
    "app_pages/compare.py",
]


# The pages whose test also has the figures computed on request and compares them with
# the stored ones; the others check the box and that the stored figures are read.
FULL_CYCLE = {"app_pages/vsm.py", "app_pages/compare.py"}


def _pending_notes(at: Any) -> list[str]:
    return [m.value for m in at.markdown if "being computed in the background" in m.value]


@pytest.mark.parametrize("page", PENDING_PAGES)
def test_a_page_waits_for_the_figures_the_step_file_thread_is_storing(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the thread is about to store an offering's figures (an import left them
    out), a page that needs one says so where it would be and waits, rather than compute
    it from every step; a person may have it computed at once instead; once stored, the
    page reads it."""
    from tests.ui.apptest import no_exceptions, run_app
    from warehouse import derived as derived_module

    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 1)  # each offering has 2
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, ORDERS, "orders.csv")
        ingest(wh, ORDERS.replace(b"Custom formulation", b"Private label"), "more.csv")
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    before = views._reported.n
    gate = resources.on_request()
    gate.__enter__()  # a page computing a figure: the thread waits for it
    try:
        at = run_app(db, page, monkeypatch)
        no_exceptions(at)
        assert views.storing_ahead()
        notes = _pending_notes(at)
        names = (
            "Custom formulation and Private label" if "compare" in page else "Custom formulation"
        )
        assert notes == [f"**The figures of {names} are being computed in the background.**"]
        steps = [c.value for c in at.caption if " steps" in c.value and "import" in c.value]
        assert len(steps) == 1
        assert steps[0].startswith(
            "Custom formulation has 2 steps and Private label 2: more than an import"
            if "compare" in page
            else "Custom formulation has 2 steps: more than an import computes figures for"
        )
        assert "leave" not in steps[0]  # every offering in view waits
        waiting = [c.value for c in at.caption if c.value.startswith("Waiting for the figures")]
        assert waiting == [
            f"Waiting for the figures of {names.replace(' and ', ', ')}: this page fills "
            "them in when they are stored."
        ]
        assert views._reported.n == before  # nothing stored: the page drew no figure
        drawn = None
        if page in FULL_CYCLE:
            at.button(key="compute_now_button").click().run()  # the person would rather not wait
            no_exceptions(at)
            version = resources.data_version(open_warehouse(str(db)))
            assert at.session_state[views.COMPUTE_NOW] == {
                (version, o) for o in names.split(" and ")
            }  # until the data changes
            assert not _pending_notes(at)
            drawn = _drawn(at)
            assert views._reported.n == before  # computed by the page, the thread still held
    finally:
        gate.__exit__(None, None, None)
    _steps_written()
    assert views._reported.n == before + 2
    later = run_app(db, page, monkeypatch)  # another person, once they are stored
    no_exceptions(later)
    assert not _pending_notes(later)
    assert _drawn(later)  # the stored figures read and drawn
    if drawn is not None:
        assert _drawn(later) == drawn


def _drawn(at: Any) -> list[str]:
    """What a page shows of its figures: its subheaders, metrics and tables' sizes."""
    return [
        *(s.value for s in at.subheader),
        *(f"{m.label}: {m.value}" for m in at.metric),
        *(str(frame.value.shape) for frame in at.dataframe),
    ]


def test_compare_names_the_offerings_whose_figures_are_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A view of several offerings waits for the one being stored, and says that the others'
    figures are ready without it."""
    from tests.ui.apptest import no_exceptions, run_app
    from warehouse import derived as derived_module

    monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 1)
    one_step = b"case_id,activity,start,end,offering\nR-1,Quote,2026-03-02 09:00,2026-03-02 10:00,Reverse\n"
    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        ingest(wh, ORDERS, "orders.csv")
        ingest(wh, one_step, "one.csv")
        assert derived_module.reported_ahead(wh) == ["Custom formulation"]
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    gate = resources.on_request()
    gate.__enter__()
    try:
        at = run_app(db, "app_pages/compare.py", monkeypatch)
        no_exceptions(at)
        assert _pending_notes(at) == [
            "**The figures of Custom formulation are being computed in the background.**"
        ]
        said = [c.value for c in at.caption if c.value.startswith("Custom formulation has 2")]
        assert len(said) == 1
        assert said[0].endswith(
            "without a click. The other offering's figures are ready: leave Custom "
            "formulation out of the sidebar's Offerings filter to see them now."
        )
    finally:
        gate.__exit__(None, None, None)
    _steps_written()
