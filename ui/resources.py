"""Cached access to the warehouse for the Streamlit pages.

The connection is a cached resource (one per warehouse file, shared by every
session); collected frames are cached by plain values: the file and its data
version, which changes with every import, undo or catalog edit, so a page never
shows stale numbers and never recomputes unchanged ones.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from warehouse import Warehouse, resolve_db_path


@st.cache_resource(show_spinner=False)
def open_warehouse(path: str) -> Warehouse:
    return Warehouse.open(path)


def warehouse() -> Warehouse:
    """The warehouse of this app: `$VSM_DB`, else data/warehouse.duckdb."""
    return open_warehouse(str(resolve_db_path()))


def data_version(wh: Warehouse) -> str:
    """Changes whenever what the pages show could change."""
    row = wh.read(
        "SELECT (SELECT coalesce(max(id), 0) FROM imports) AS last_import, "
        "(SELECT count(undone_at) FROM imports) AS undone, "
        "(SELECT coalesce(max(value), '') FROM settings WHERE key = 'catalog_version') AS catalog"
    ).row(0)
    return "-".join(str(v) for v in row)


@st.cache_data(show_spinner=False, max_entries=8)
def imports(path: str, version: str) -> pl.DataFrame:
    return open_warehouse(path).imports()


def is_demo(wh: Warehouse) -> bool:
    return wh.setting("demo_import_ids") not in (None, "", "[]")
