"""Cached access to the warehouse for the Streamlit pages.

The connection is a cached resource (one per warehouse file, shared by every
session); collected frames are cached by plain values: the file and its data
version, which changes with every import, undo or catalog edit, so a page never
shows stale numbers and never recomputes unchanged ones.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from ui.access import current_actor
from warehouse import Warehouse, resolve_db_path


@st.cache_resource(show_spinner=False)
def open_warehouse(path: str) -> Warehouse:
    return Warehouse.open(path)


def warehouse() -> Warehouse:
    """The warehouse of this app (`$VSM_DB`, else data/warehouse.duckdb), acting for the
    person of this session: every change it makes checks their role."""
    return open_warehouse(str(resolve_db_path())).acting(current_actor())


def data_version(wh: Warehouse) -> str:
    """Changes whenever what the pages show could change (Warehouse.data_version)."""
    return wh.data_version()


@st.cache_data(show_spinner=False, max_entries=8)
def imports(path: str, version: str) -> pl.DataFrame:
    return open_warehouse(path).imports()


@st.cache_data(show_spinner=False, max_entries=8)
def unconfirmed(path: str, version: str) -> set[str]:
    """The offerings with statuses whose kind nobody has confirmed yet."""
    return set(open_warehouse(path).unconfirmed_statuses()["offering"].to_list())
