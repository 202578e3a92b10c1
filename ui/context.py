"""What every dashboard page starts with: the derived data, the sidebar filters, empty states."""

from __future__ import annotations

import polars as pl
import streamlit as st

from pipelines.demo import load_demo
from ui.access import why_not
from ui.filters import ViewFilters, sidebar_filters
from ui.format import plain
from ui.resources import data_version, on_request, unconfirmed, warehouse
from ui.views import Derived, derived, filter_choices, offerings_of, view
from warehouse import WarehouseError


def dashboard_context() -> tuple[Derived, ViewFilters]:
    """The warehouse's derived cases and the sidebar filters; stops the page when empty."""
    d = derived()
    if d.cases.height == 0:
        empty_warehouse()
        st.stop()
    offerings = offerings_of(d)
    filters = sidebar_filters(offerings, d.now, filter_choices())
    unchecked_statuses(filters.offerings)
    return d, filters


def unchecked_statuses(offerings: tuple[str, ...]) -> None:
    """Mark the offerings whose statuses an import classified from their names and nobody
    has confirmed: a wrong guess (a queue counted as work) is never silent."""
    guessed = unconfirmed(warehouse().path.as_posix(), data_version(warehouse()))
    named = [o for o in offerings if o in guessed]
    if named:
        st.warning(
            f"Statuses classified automatically: check them. How the statuses of "
            f"{', '.join(plain(o) for o in named)} count (work, waiting or done) was guessed "
            "from their names; until someone confirms them in the Data page's Activity "
            "catalog, wait and flow efficiency may be wrong.",
            icon=":material/rule:",
        )


def empty_warehouse() -> None:
    st.info(
        "**There is no data yet.** Load an event log on the Data page (CSV, Excel, Parquet "
        "or XES, or an export from Monday.com, Jira, GitHub or Trello), or look around with "
        "the demo data of a made-up contract manufacturer first.",
        icon=":material/inbox:",
    )
    left, right = st.columns([1, 3])
    left.page_link("app_pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    refused = why_not("import")
    if right.button(
        "Load the demo data",
        key="load_demo",
        icon=":material/science:",
        disabled=refused is not None,
        help=refused,
    ):
        try:
            with st.spinner("Building the demo warehouse..."), on_request():
                load_demo(warehouse())
        except WarehouseError as exc:
            st.error(plain(exc), icon=":material/error:")
        else:
            st.rerun()


def filtered_view(
    filters: ViewFilters, offerings: tuple[str, ...] | None = None, all_time: bool = False
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """(instances, cases) in view; says so and stops the page when no case is left. The
    instances are lazy (ui.views.Derived): collect what the page shows from them.

    `all_time`: every case of the offerings, whatever the window (for a page that cuts
    its own periods)."""
    spec = filters.all_time(offerings) if all_time else filters.spec(offerings)
    instances, cases = view(spec)
    if cases.height == 0:
        st.warning(
            f"No cases match the filters ({plain(filters.describe())}). Widen the time window or "
            "choose other offerings in the sidebar.",
            icon=":material/filter_alt_off:",
        )
        st.stop()
    return instances, cases
