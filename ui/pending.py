"""What a page shows while the figures of a big offering are being stored.

An offering of more than ten million steps gets its report and page figures from the
app minutes after a start or an import, not from the import itself
(warehouse.derived.store_reports_from_step_files). Meanwhile a page that needs one of
them says so where the figure would be (`FiguresPending`, raised by `ui.views` and
caught by the router), waits for it without a click, and offers to compute it at once
instead.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from ui.format import plain
from ui.resources import page_run
from ui.views import FiguresPending, compute_now, derived, reports_stored, storing_ahead


def steps_of(cases: pl.DataFrame, offerings: list[str]) -> dict[str, int]:
    """The number of steps of each of `offerings`."""
    frame = cases.filter(pl.col("offering").is_in(offerings))
    return {o: int(n) for o, n in frame.group_by("offering").agg(pl.sum("n_instances")).iter_rows()}


def why_pending(sizes: str) -> str:
    """Why an offering's figures are not there yet, after what `sizes` says of its steps:
    the words Stream health's tile and every other page's box share."""
    return (
        f"{sizes}: more than an import computes figures for while it stores the data, so "
        "the app computes them afterwards in a process of its own, and every page reads "
        "them from then on."
    )


def figures_pending(pending: FiguresPending) -> None:
    """Where a page's figure is about to be stored: what is happening, how long it takes,
    a button to compute it now instead, and a wait that runs the page again once it is
    stored."""
    steps = steps_of(derived().cases, pending.offerings)
    names = " and ".join(plain(o) for o in pending.offerings)
    first, *others = pending.offerings
    sizes = f"{plain(first)} has {steps.get(first, 0):,} steps" + "".join(
        f" and {plain(o)} {steps.get(o, 0):,}" for o in others
    )
    with st.container(border=True, key="figures_pending"):
        st.markdown(f"**The figures of {names} are being computed in the background.**")
        ready = f"other {pending.others} offerings'" if pending.others > 1 else "other offering's"
        st.caption(
            f"{why_pending(sizes)} This page shows them as soon as they are stored (a few "
            "minutes for the biggest offerings), without a click."
            + (
                f" The {ready} figures are ready: leave {names} out of the sidebar's "
                "Offerings filter to see them now."
                if pending.others
                else ""
            )
        )
        st.button(
            "Compute them now instead",
            key="compute_now_button",
            on_click=compute_now,
            args=(pending.offerings,),
            help="Computes the figures your pages need from every step of the offering at "
            "once, until the data changes: on the biggest offerings that takes the server a "
            "minute or more and several gigabytes of memory, and holds up the work in the "
            "background meanwhile.",
        )
        await_pending(pending.offerings, pending.seen)


@st.fragment(run_every=3)
def await_pending(pending: list[str], seen: int) -> None:
    """Runs the page again once the app has stored another offering's figures (or has
    stopped storing them: the page then computes what is still missing)."""
    with page_run():  # a run of its own every few seconds, not through app.py
        if reports_stored() != seen or not storing_ahead():
            st.rerun()
        st.caption(
            f"Waiting for the figures of {', '.join(plain(o) for o in pending)}: this page "
            "fills them in when they are stored."
        )
