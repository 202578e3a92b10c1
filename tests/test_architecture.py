"""The import rules of STYLE.md, checked on the source: data flows one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

CORE = ("warehouse", "pipelines", "metrics", "charts")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _files(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (REPO / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _files(*CORE), ids=lambda p: str(p.relative_to(REPO)))
def test_core_never_imports_streamlit(path: Path) -> None:
    assert "streamlit" not in _imports(path)


@pytest.mark.parametrize(
    "path",
    _files("warehouse", "pipelines", "metrics", "ui"),
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_only_charts_imports_altair(path: Path) -> None:
    assert "altair" not in _imports(path)


@pytest.mark.parametrize(
    "path", _files("warehouse", "metrics"), ids=lambda p: str(p.relative_to(REPO))
)
def test_lower_layers_do_not_import_upper_ones(path: Path) -> None:
    upper = {"ui", "charts", "pipelines"} | (
        {"metrics"} if path.parts[-2] == "warehouse" else set()
    )
    assert not (_imports(path) & upper)


def test_only_the_warehouse_connects_to_duckdb() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in _files("pipelines", "metrics", "charts", "ui", "app_pages")
        if "duckdb.connect" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
    assert "duckdb.connect" in (REPO / "warehouse" / "db.py").read_text(encoding="utf-8")


def test_pages_stay_thin() -> None:
    """No SQL, no polars expressions and no Altair encodings in a page script."""
    for page in _files("app_pages"):
        text = page.read_text(encoding="utf-8")
        assert "pl.col" not in text and "SELECT " not in text and "alt." not in text, page
        assert ast.get_docstring(ast.parse(text)), (
            f"{page} needs a docstring: the question it answers"
        )
