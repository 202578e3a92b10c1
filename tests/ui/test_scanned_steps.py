"""A warehouse too big to hold its steps in memory is scanned by each query instead
(ui.views.Derived): every page must then show exactly what it shows from memory. So
must a page whose figures are not stored (metrics.figures) and are computed instead."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from metrics.whatif import PROJECTION_COLUMNS
from tests.ui.apptest import no_exceptions, open_case_lists, run_app
from ui import health_screen
from warehouse import Warehouse
from warehouse import derived as derived_module
from warehouse.derived import stored_health
from warehouse.kept_findings import changes_of, find_missing, kept_behind, kept_findings

PAGES = [
    "app_pages/health.py",
    "app_pages/vsm.py",
    "app_pages/process_map.py",
    "app_pages/waits.py",
    "app_pages/flow.py",
    "app_pages/compare.py",
    "app_pages/cases.py",
    "app_pages/findings.py",
    "app_pages/experiments.py",
    "app_pages/redesign.py",
    "app_pages/future_state.py",
]


def _shown(at: Any) -> list[tuple[str, str]]:
    """What a person reads on the page: text, figures and every table's cells."""
    out: list[tuple[str, str]] = []
    for kind in ("markdown", "caption", "warning", "info", "success", "error", "subheader"):
        out += [(kind, str(e.value)) for e in getattr(at, kind)]
    out += [("metric", f"{m.label}|{m.value}|{m.delta}") for m in at.metric]
    out += [("table", e.value.to_csv()) for e in at.dataframe]
    return out


def _found(at: Any) -> None:
    """Wait for the findings looked for in the background, then run the page again."""
    from ui.findings_screen import _LOOKING

    for job in list(_LOOKING.values()):
        job.result(timeout=120)
    at.run()


@pytest.mark.parametrize("page", PAGES)
def test_a_scanned_warehouse_shows_what_memory_shows(
    mixed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    seen = {}
    for held, limit in (("memory", "10000000"), ("scan", "0"), ("computed", "10000000")):
        db = tmp_path / held / "mixed.duckdb"
        db.parent.mkdir()
        shutil.copy(mixed_db, db)
        if held == "computed":
            with Warehouse.open(db) as wh:
                assert wh.read("SELECT count(*) AS n FROM derived_figures")["n"][0] > 0
                wh._con.execute("DELETE FROM derived_figures")
        monkeypatch.setenv("VSM_IN_MEMORY_STEPS", limit)
        at = run_app(db, page, monkeypatch, timeout=120)
        no_exceptions(at)
        if held == "scan":
            _found(at)
            no_exceptions(at)
        if page == "app_pages/findings.py":
            open_case_lists(at)
            no_exceptions(at)
        seen[held] = _shown(at)
    assert len(seen["memory"]) > 5
    assert seen["scan"] == seen["memory"]
    assert seen["computed"] == seen["memory"]


def test_stream_health_does_not_wait_for_the_findings_of_a_big_warehouse(
    mixed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scanned, the tiles say the findings are being looked for, then show the same top
    finding as from memory."""
    lines = {}
    for held, limit in (("memory", "10000000"), ("scan", "0")):
        db = tmp_path / held / "mixed.duckdb"
        db.parent.mkdir()
        shutil.copy(mixed_db, db)
        monkeypatch.setenv("VSM_IN_MEMORY_STEPS", limit)
        at = run_app(db, "app_pages/health.py", monkeypatch, timeout=120)
        no_exceptions(at)
        if held == "scan":
            waiting = [c.value for c in at.caption if "looking for them" in c.value]
            # The page did not wait: tiles whose findings were not found yet say so (a
            # small offering's may be found while the later tiles are drawn).
            assert waiting, [c.value for c in at.caption]
            _found(at)
        lines[held] = [
            c.value for c in at.caption if c.value.startswith(("**Top finding", "**Findings"))
        ]
    assert len(lines["memory"]) == 5
    assert lines["scan"] == lines["memory"]


def test_findings_kept_at_the_import_show_at_once_and_the_apps_own_are_kept(
    mixed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big warehouse's tiles show the findings kept for its data without a background
    search; what the app finds itself is kept for the next server."""
    from ui.findings_screen import _LOOKING

    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    lines = {}
    for how in ("searched", "kept"):
        db = tmp_path / how / "mixed.duckdb"
        db.parent.mkdir()
        shutil.copy(mixed_db, db)
        with Warehouse.open(db) as wh:
            offerings = wh.offerings()
            assert all(kept_findings(wh, o, changes_of(wh, o)) is None for o in offerings)
            if how == "kept":
                assert find_missing(wh) == offerings
        _LOOKING.clear()
        at = run_app(db, "app_pages/health.py", monkeypatch, timeout=120)
        no_exceptions(at)
        if how == "kept":
            assert not _LOOKING, "looked for findings that were kept"
            assert not [c.value for c in at.caption if "looking for them" in c.value]
        else:
            _found(at)
        lines[how] = [
            c.value for c in at.caption if c.value.startswith(("**Top finding", "**Findings"))
        ]
        with Warehouse.open(db) as wh:
            # The app's own search is kept too, for a restart or another server, with
            # what lies behind each finding (a card's cases and chart).
            for o in offerings:
                kept = kept_findings(wh, o, changes_of(wh, o))
                assert kept is not None, o
                for f in kept:
                    cases, chart = kept_behind(wh, o, changes_of(wh, o), f.id) or (None, None)
                    assert cases is not None and chart is not None, (o, f.id)
                    assert cases.height > 0 and chart.height > 0, (o, f.id)
    assert len(lines["kept"]) == 5
    assert lines["kept"] == lines["searched"]


@pytest.mark.parametrize(
    ("files", "cut"), [("written", False), ("not yet", False), ("written", True)]
)
def test_a_big_offerings_findings_are_looked_for_in_a_process_of_their_own(
    mixed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: str, cut: bool
) -> None:
    """Where the steps are read from the step files, the findings of an offering of at
    least VSM_APART_MIN_STEPS steps are looked for by `python -m warehouse.apart`, not in
    the app: Stream health shows, and the warehouse keeps, what a search in the app finds.
    So too on a first start whose step files are not written yet (a release whose
    derivation changed): the search waits for the app to write them, rather than read
    the whole offering in the app. With a findings limit below the largest offering's
    steps (`cut`), its latest cases are looked through, apart as in the app."""
    import warehouse.kept_findings as kept_module
    from ui.findings_screen import _LOOKING

    apart: list[str] = []
    real = kept_module.run_apart

    def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
        apart.append(args[4])  # the offering
        return real(function, *args, **kwargs)

    monkeypatch.setattr(kept_module, "run_apart", counted)
    monkeypatch.setattr(derived_module, "_apart", [None])  # what open_warehouse sets
    monkeypatch.setenv("VSM_IN_MEMORY_STEPS", "0")
    lines, kept = {}, {}
    for how, bound in (("here", "1000000000"), ("apart", "1")):
        db = tmp_path / how / "mixed.duckdb"
        db.parent.mkdir()
        shutil.copy(mixed_db, db)
        with Warehouse.open(db) as wh:
            offerings = wh.offerings()
            if files == "written":
                derived_module.write_step_files(wh)
            steps = dict(
                wh.read("SELECT offering, sum(n_instances) FROM derived_cases GROUP BY ALL").rows()
            )
        limit = max(steps.values()) * 2 // 3 if cut else None
        if limit is not None:
            monkeypatch.setenv("VSM_FINDINGS_MAX_STEPS", str(limit))
        monkeypatch.setenv("VSM_APART_MIN_STEPS", bound)
        _LOOKING.clear()
        at = run_app(db, "app_pages/health.py", monkeypatch, timeout=120)
        no_exceptions(at)
        _found(at)
        no_exceptions(at)
        if how == "here":
            assert apart == []
        lines[how] = [
            c.value for c in at.caption if c.value.startswith(("**Top finding", "**Findings"))
        ]
        with Warehouse.open(db) as wh:
            kept[how] = {
                o: [f.id for f in kept_findings(wh, o, changes_of(wh, o)) or []] for o in offerings
            }
    assert sorted(apart) == sorted(offerings)
    assert len(lines["apart"]) == 5
    assert lines["apart"] == lines["here"]
    over = 0 if limit is None else sum(n > limit for n in steps.values())
    assert over == (2 if cut else 0)
    assert sum("started since" in line for line in lines["here"]) == over
    assert all(kept["here"].values())
    assert kept["apart"] == kept["here"]


def _not_computed(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("Stream health computed its rows instead of reading them")


def _not_behind(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the Findings page computed what lies behind a kept finding")


def test_the_findings_page_draws_its_cards_from_what_the_import_kept(
    mixed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept at the import with the findings, each card's cases and chart are read, not
    computed: the page shows exactly what it shows when it computes them."""
    import ui.findings_screen

    seen = {}
    for how in ("computed", "kept"):
        db = tmp_path / how / "mixed.duckdb"
        db.parent.mkdir()
        shutil.copy(mixed_db, db)
        if how == "kept":
            with Warehouse.open(db) as wh:
                assert find_missing(wh) == wh.offerings()
            monkeypatch.setattr(ui.findings_screen, "finding_cases", _not_behind)
            monkeypatch.setattr(ui.findings_screen, "evidence_frame", _not_behind)
            # The cards are drawn without reading a kept finding's cases (megabytes each
            # in a big warehouse): those are read once its list is opened.
            read: list[str] = []

            def reading(
                *args: Any, _read: list[str] = read, _kept: Any = ui.findings_screen.kept_behind
            ) -> Any:
                _read.append(args[-1])
                return _kept(*args)

            monkeypatch.setattr(ui.findings_screen, "kept_behind", reading)
        at = run_app(db, "app_pages/findings.py", monkeypatch, timeout=120)
        if how == "kept":
            no_exceptions(at)
            assert not read, "read the cases of a card whose list is closed"
            assert any(e.label.endswith("behind this") for e in at.expander)
        open_case_lists(at)
        if how == "kept":
            assert read, "opened lists without reading their cases"
        no_exceptions(at)
        seen[how] = _shown(at)
    assert len([t for t in seen["kept"] if t[0] == "table"]) >= 2
    assert seen["kept"] == seen["computed"]


def test_stream_health_shows_the_same_from_the_rows_stored_at_the_import(
    mixed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over each offering's default period the tiles and table come from the rows stored
    with the derivation; computed from the steps, the page shows the same."""
    seen = {}
    for how in ("stored", "computed"):
        db = tmp_path / how / "mixed.duckdb"
        db.parent.mkdir()
        shutil.copy(mixed_db, db)
        with Warehouse.open(db) as wh:
            if how == "stored":
                assert stored_health(wh, wh.offerings()) is not None
                # The page must not compute them: it reads them.
                monkeypatch.setattr(health_screen, "health", _not_computed)
            else:
                monkeypatch.undo()
                wh._con.execute("DELETE FROM derived_reports")
                monkeypatch.setattr(derived_module, "REPORT_MAX_STEPS", 0)  # none again
        at = run_app(db, "app_pages/health.py", monkeypatch, timeout=120)
        no_exceptions(at)
        seen[how] = _shown(at)
        if how == "computed":
            with Warehouse.open(db) as wh:
                assert stored_health(wh, wh.offerings()) is None
    assert len([kind for kind, _ in seen["stored"] if kind == "metric"]) >= 20
    assert seen["stored"] == seen["computed"]


def test_a_scanned_redesign_reads_its_steps_once_and_projects_what_memory_projects(
    mixed_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redesign's projection of a change queries the steps many times: it holds the
    columns it uses (metrics.figures.held), read once; the projection before any change
    (its figure not stored) reads them as they come, holding none. Scanned, the page shows
    what it shows from memory."""
    import metrics.figures

    seen, reads = {}, []
    real = metrics.figures.held

    def counted(instances: Any, columns: Any) -> Any:
        reads.append(tuple(columns))
        return real(instances, columns)

    monkeypatch.setattr(metrics.figures, "held", counted)
    for held, limit in (("memory", "10000000"), ("scan", "0")):
        db = tmp_path / held / "mixed.duckdb"
        db.parent.mkdir()
        shutil.copy(mixed_db, db)
        with Warehouse.open(db) as wh:
            wh._con.execute("DELETE FROM derived_figures")
        monkeypatch.setenv("VSM_IN_MEMORY_STEPS", limit)
        at = run_app(db, "app_pages/redesign.py", monkeypatch, timeout=120)
        no_exceptions(at)
        shown = _shown(at)
        at.button(key="rd_wait").click().run()
        no_exceptions(at)
        seen[held] = (shown, _shown(at))
    assert seen["memory"][0] != seen["memory"][1]  # the change moved the projection
    assert seen["scan"] == seen["memory"]
    # Held for the projection of the change alone, in memory and scanned.
    assert reads == [PROJECTION_COLUMNS] * 2
