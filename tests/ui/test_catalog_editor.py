"""The activity catalog editor keys every edit by activity, never by row position.

The security review's reproductions: order 99 set on "Sales inquiry", saved, then saved
again with no edit gave "Quote" order 99 too; with two sessions, standard minutes typed
on "Order confirmed" landed on "Formulation". The editor's edits are seeded as a browser
sends them (row positions, on the widget's key), as AppTest allows.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.apptest import forge_click, no_exceptions, run_app
from warehouse import Warehouse

OFFERING = "Custom formulation"


def _open_catalog(db: Path, monkeypatch: pytest.MonkeyPatch, **who: object) -> AppTest:
    at = run_app(db, "app_pages/data.py", monkeypatch, **who)  # type: ignore[arg-type]
    at.selectbox(key="catalog_offering").set_value(OFFERING)
    at.run()
    return at


def _edit(at: AppTest, activity: str, **cells: object) -> None:
    """Type into the row that shows `activity` now, as the browser would: by position."""
    editor = at.data_editor[0]
    position = editor.value["activity"].to_list().index(activity)
    at.session_state[editor.key] = {
        "edited_rows": {position: cells},
        "added_rows": [],
        "deleted_rows": [],
    }


def _catalog(db: Path) -> dict[str, dict[str, object]]:
    with Warehouse.open(db) as wh:
        rows = wh.catalog(OFFERING).iter_rows(named=True)
        return {r["activity"]: r for r in rows}


def test_a_second_save_without_an_edit_changes_no_other_activity(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open_catalog(demo_copy, monkeypatch)
    _edit(at, "Sales inquiry", display_order=99)
    at.run()
    at.button(key="catalog_save").click()
    at.run()
    at.button(key="catalog_save").click()
    at.run()
    no_exceptions(at)
    rows = _catalog(demo_copy)
    assert rows["Sales inquiry"]["display_order"] == 99
    assert rows["Quote"]["display_order"] == 2
    assert [r["display_order"] for r in rows.values()].count(99) == 1


def test_an_edit_lands_on_its_activity_after_someone_else_reordered(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = _open_catalog(demo_copy, monkeypatch)
    ben = _open_catalog(demo_copy, monkeypatch)
    _edit(ben, "Sales inquiry", display_order=99)
    ben.run()
    ben.button(key="catalog_save").click()
    ben.run()
    # Ana still sees Sales inquiry first and types on "Order confirmed", third in her view.
    _edit(ana, "Order confirmed", standard_minutes=45.0)
    ana.run()
    ana.button(key="catalog_save").click()
    ana.run()
    no_exceptions(ana)
    rows = _catalog(demo_copy)
    assert rows["Order confirmed"]["standard_minutes"] == 45.0
    assert rows["Formulation"]["standard_minutes"] is None
    assert rows["Sales inquiry"]["display_order"] == 99  # Ben's edit stays


def test_a_save_over_someone_elses_edit_of_the_same_row_is_refused(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = _open_catalog(demo_copy, monkeypatch)
    ben = _open_catalog(demo_copy, monkeypatch)
    _edit(ben, "Quote", value_class="value-adding")
    ben.run()
    ben.button(key="catalog_save").click()
    ben.run()
    _edit(ana, "Quote", value_class="waste")
    ana.run()
    assert any("Someone else saved this catalog" in w.value for w in ana.warning)
    ana.button(key="catalog_save").click()
    ana.run()
    no_exceptions(ana)
    assert any("Someone else saved the catalog" in e.value for e in ana.error)
    assert _catalog(demo_copy)["Quote"]["value_class"] == "value-adding"
    ana.button(key="catalog_reload").click()
    ana.run()
    shown = pl.from_pandas(ana.data_editor[0].value)
    assert shown.filter(pl.col("activity") == "Quote")["value_class"].to_list() == ["value-adding"]


def test_a_viewer_cannot_edit_and_a_forged_save_changes_nothing(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _open_catalog(demo_copy, monkeypatch, user={"email": "vera@example.com"}, roles={})
    assert at.button(key="catalog_save").disabled
    assert any("Editing the activity catalog needs the editor role" in c.value for c in at.caption)
    # A forged edit and click: the session state set by hand, the disabled button clicked.
    # Streamlit discards a disabled widget's value on the server; the warehouse would refuse
    # the write anyway (tests/warehouse/test_roles.py).
    _edit(at, "Quote", value_class="waste")
    at.run()
    forge_click(at, "catalog_save")
    at.run()
    no_exceptions(at)
    assert not at.success
    assert _catalog(demo_copy)["Quote"]["value_class"] != "waste"
