"""Sign-in, roles and the audit trail as the app shows them (AppTest signs people in
through st.user, as Streamlit's own sign-in does; the browser flow against a real OpenID
provider is tests/browser/test_sign_in.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO
from tests.ui.apptest import forge_check, forge_click, no_exceptions, run_app, shown
from ui.signin import NO_SIGN_IN
from warehouse import Actor, Warehouse

ROLES = {"default": "viewer", "ana@example.com": "admin", "ben@example.com": "editor"}


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "title", "info", "warning", "error")
        for e in getattr(at, kind)
    ]
    parts += [e.value for e in at.sidebar.markdown]
    return "\n".join(str(p) for p in parts)


def test_a_visitor_who_has_not_signed_in_sees_the_sign_in_page_only(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VSM_DB", str(demo_copy))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()
    no_exceptions(at)
    assert [t.value for t in at.title] == ["Value stream dashboard"]
    assert [b.label for b in at.button] == ["Sign in"]
    shown = _texts(at)
    for secret in ("Custom formulation", "activity instances", "demo", "duckdb"):
        assert secret not in shown
    assert not at.sidebar.markdown and not at.metric and not at.dataframe


def test_without_sign_in_the_sidebar_says_anyone_can_change_the_data(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(demo_copy, None, monkeypatch)
    no_exceptions(at)
    assert NO_SIGN_IN in [w.value for w in at.sidebar.warning]


def test_a_viewer_sees_the_data_page_without_a_write_control(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(
        demo_copy,
        "app_pages/data.py",
        monkeypatch,
        user={"email": "vera@example.com", "name": "Vera Viewer"},
        roles=ROLES,
    )
    no_exceptions(at)
    assert "Signed in as **Vera Viewer (vera@example.com)**, viewer" in [
        shown(c.value) for c in at.sidebar.caption
    ]
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    assert not at.get("file_uploader")
    assert at.button(key="remove_demo").disabled
    assert at.checkbox(key="undo_confirm").disabled and at.button(key="undo_button").disabled
    assert at.button(key="catalog_save").disabled
    reasons = _texts(at)
    assert "Importing needs the editor role; you are a viewer. Ask an admin." in reasons
    assert "Undoing an import needs the admin role; you are a viewer. Ask an admin." in reasons
    assert "Removing the demo data needs the admin role" in reasons
    assert "Changing roles needs the admin role" in reasons


def test_a_forged_undo_by_a_viewer_changes_nothing(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(
        demo_copy, "app_pages/data.py", monkeypatch, user={"email": "vera@example.com"}, roles=ROLES
    )
    forge_check(at, "undo_confirm")
    forge_click(at, "undo_button")
    at.run()
    forge_click(at, "remove_demo")
    at.run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        assert wh.has_demo() and wh.event_count() == 32_708
        assert not wh.imports()["undone_at"].is_not_null().any()


def test_an_admin_undoes_and_the_audit_trail_names_them(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = run_app(
        demo_copy,
        "app_pages/data.py",
        monkeypatch,
        user={"email": "Ana@Example.com", "name": "Ana"},
        roles=ROLES,
    )
    chosen = at.selectbox(key="history_import").value
    at.checkbox(key="undo_confirm").check()
    at.run()
    at.button(key="undo_button").click()
    at.run()
    no_exceptions(at)
    with Warehouse.open(demo_copy) as wh:
        latest = wh.audit().row(0, named=True)
    assert (latest["actor"], latest["role"], latest["action"], latest["target"]) == (
        "ana@example.com",
        "admin",
        "undo import",
        f"import #{chosen}",
    )
    trail = at.dataframe[-1].value
    assert list(trail.columns) == ["when", "who", "role", "what", "on what", "details"]
    assert trail.iloc[0][["who", "what", "on what"]].to_list() == [
        "ana@example.com",
        "undo import",
        f"import #{chosen}",
    ]


def test_an_admin_gives_a_role_and_it_applies_at_the_next_click(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = run_app(
        demo_copy, "app_pages/data.py", monkeypatch, user={"email": "ana@example.com"}, roles=ROLES
    )
    cleo = run_app(
        demo_copy, "app_pages/data.py", monkeypatch, user={"email": "cleo@example.com"}, roles=ROLES
    )
    assert not cleo.get("file_uploader")
    ana.text_input(key="role_email").input("Cleo@example.com")
    ana.selectbox(key="role_choice").set_value("editor")
    next(b for b in ana.get("button") if b.label == "Save the role").click()
    ana.run()
    no_exceptions(ana)
    assert [shown(s.value) for s in ana.success] == [
        "cleo@example.com is now an editor. It applies at their next click."
    ]
    cleo.run()
    assert cleo.get("file_uploader")
    # The operator's roles in secrets.toml are final: the page refuses to change them.
    ana.text_input(key="role_email").input("ben@example.com")
    ana.selectbox(key="role_choice").set_value("viewer")
    next(b for b in ana.get("button") if b.label == "Save the role").click()
    ana.run()
    assert any("by secrets.toml, which this page cannot change" in e.value for e in ana.error)
    with Warehouse.open(demo_copy) as wh:
        assert wh.role_map() == {"cleo@example.com": "editor"}


def test_an_editor_cannot_give_roles(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = run_app(
        demo_copy, "app_pages/data.py", monkeypatch, user={"email": "ben@example.com"}, roles=ROLES
    )
    submit = next(b for b in at.get("button") if b.label == "Save the role")
    assert submit.disabled
    assert at.get("file_uploader")  # an editor imports


def test_the_import_history_names_who_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.ingest import ingest

    db = tmp_path / "w.duckdb"
    with Warehouse.open(db) as wh:
        ingest(
            wh.acting(Actor("ben@example.com", "editor")),
            b"case,activity,end\n1,a,2025-06-01T10:00:00Z\n",
            "orders.csv",
        )
    at = run_app(db, "app_pages/data.py", monkeypatch)
    history = at.dataframe[0].value
    assert history["imported_by"].to_list() == ["ben@example.com"]
