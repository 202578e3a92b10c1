"""Every number opens its cases: links from a figure to the list of the cases behind it,
and from a case to its timeline.

The list is the Cases page (app_pages/cases.py) and a case's timeline the Case page
(app_pages/case.py); both read what to show from the link's query parameters, so a
drill-down can be shared like any other view.
"""

from __future__ import annotations

import streamlit as st

from metrics.selection import Selection
from ui.format import plain

CASES_PAGE = "app_pages/cases.py"
CASE_PAGE = "app_pages/case.py"


def cases_link(label: str, selection: Selection, *, help: str | None = None) -> None:
    """A link that opens the list of the cases `selection` names. `label` and `help` are
    plain text (they name offerings and steps): they show as written."""
    st.page_link(
        CASES_PAGE,
        label=plain(label),
        icon=":material/list:",
        query_params=selection.to_params(),
        help=plain(help or f"Open the {selection.describe()}."),
    )


def open_cases(selection: Selection) -> None:
    """Go to the list of the cases `selection` names (for a click on a chart or a row)."""
    st.switch_page(CASES_PAGE, query_params=selection.to_params())


def case_link(offering: str, case_id: str, label: str | None = None) -> None:
    """A link to one case's timeline; `label` is plain text, shown as written."""
    st.page_link(
        CASE_PAGE,
        label=plain(label or f"Case {case_id}"),
        icon=":material/timeline:",
        query_params={"p_offering": offering, "p_case": case_id},
    )


def open_case(offering: str, case_id: str) -> None:
    """Go to one case's timeline."""
    st.switch_page(CASE_PAGE, query_params={"p_offering": offering, "p_case": case_id})
