"""The import rules of STYLE.md: data flows one way, checked by the contracts in pyproject.toml."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_the_import_contracts_hold() -> None:
    """Layers (ui, cli → charts, pipelines → metrics, warehouse → model), streamlit only in ui,
    altair only in charts, DuckDB only in warehouse: `make check` runs the same contracts."""
    # In a process of its own: the linter configures logging with `dictConfig`, which
    # disables every logger already made, and the tests after it would log nothing.
    linter = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run(
        [str(linter), "--no-cache"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert ", 0 broken." in run.stdout, run.stdout


def test_pages_stay_thin() -> None:
    """No SQL, no polars expressions and no Altair encodings in a page script."""
    for page in sorted((REPO / "app_pages").glob("*.py")):
        text = page.read_text(encoding="utf-8")
        assert "pl.col" not in text and "SELECT " not in text and "alt." not in text, page
        assert ast.get_docstring(ast.parse(text)), (
            f"{page} needs a docstring: the question it answers"
        )
