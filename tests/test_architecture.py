"""The import rules of STYLE.md: data flows one way, checked by the contracts in pyproject.toml."""

from __future__ import annotations

import ast
import os

from tests.conftest import REPO


def test_the_import_contracts_hold() -> None:
    """Layers (ui, cli → charts, pipelines → metrics, warehouse → model), streamlit only in ui,
    altair only in charts, DuckDB only in warehouse: `make check` runs the same contracts."""
    from importlinter.cli import lint_imports

    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        assert lint_imports(no_cache=True) == 0
    finally:
        os.chdir(cwd)


def test_pages_stay_thin() -> None:
    """No SQL, no polars expressions and no Altair encodings in a page script."""
    for page in sorted((REPO / "app_pages").glob("*.py")):
        text = page.read_text(encoding="utf-8")
        assert "pl.col" not in text and "SELECT " not in text and "alt." not in text, page
        assert ast.get_docstring(ast.parse(text)), (
            f"{page} needs a docstring: the question it answers"
        )
