"""The activity catalog editor: edits keyed by activity, never by row position.

st.data_editor records edits by row position. The catalog is read sorted by display
order, so re-reading it after a save (a new order) or after someone else's save moved
every later edit to another activity: order 99 set on "Sales inquiry" landed on "Quote"
at the next save, and standard minutes typed on one step landed on another. So the
editor always shows the rows as they were when the person loaded them (the snapshot the
positions refer to), a save names each changed row by its activity (taken from that
snapshot, never from the edited cells), the warehouse refuses rows someone else changed
since (CatalogConflict), and after a save the editor starts afresh on the rows as stored.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from model import KINDS, VALUE_CLASSES
from ui.access import why_not
from ui.format import plain
from ui.resources import on_request
from warehouse import Warehouse, WarehouseError
from warehouse.db import CatalogConflict

END_CHOICES = {"auto": None, "yes": True, "no": False}
_SEEN = "_catalog_seen"
"""Per offering: (generation, the catalog rows as loaded). A new generation is a new
editor widget, with no edits left from before."""
_SAVED = "_catalog_saved"


def _shown(catalog: pl.DataFrame) -> pl.DataFrame:
    return catalog.with_columns(
        pl.col("is_end_activity")
        .replace_strict({True: "yes", False: "no"}, default="auto", return_dtype=pl.String)
        .alias("end_activity")
    ).select("display_order", "activity", "value_class", "kind", "standard_minutes", "end_activity")


def _as_rows(edited: pl.DataFrame, seen: pl.DataFrame) -> pl.DataFrame:
    """The edited table as catalog rows, each named by the activity of its position in the
    snapshot the editor showed."""
    return edited.drop("activity").with_columns(
        seen["activity"].alias("activity"),
        pl.col("end_activity")
        .replace_strict(END_CHOICES, default=None, return_dtype=pl.Boolean)
        .alias("is_end_activity"),
    )


def catalog_editor(wh: Warehouse, offering: str) -> None:
    """Edit one offering's catalog; save it, or reload it as stored."""
    ss = st.session_state
    seen_by_offering: dict[str, tuple[int, pl.DataFrame | None]] = ss.setdefault(_SEEN, {})
    generation, seen = seen_by_offering.get(offering, (0, None))
    key = f"catalog_editor_{offering}_{generation}"
    pending = bool((ss.get(key) or {}).get("edited_rows"))
    stored = wh.catalog(offering)
    if seen is None or not pending:
        # With no edit pending the rows can be refreshed: no position refers to them yet.
        seen = stored
        seen_by_offering[offering] = (generation, seen)
    elif not stored.equals(seen):
        st.warning(
            "Someone else saved this catalog since you opened it: saving rows they changed "
            "will be refused. Reload to see their changes (your unsaved edits are dropped).",
            icon=":material/sync_problem:",
        )
    if message := ss.pop(_SAVED, None):
        st.success(message, icon=":material/check_circle:")
    refused = why_not("edit catalog", wh.actor)
    st.caption(
        "**Value class** decides PCE (only value-adding time counts). **Kind**: a waiting status "
        "adds to wait, never to process time. **Standard minutes** stand in for process time "
        "where the log has no start times. **End activity**: a case whose last step is one is "
        "completed; *auto* applies the default rule (METRICS.md)."
    )
    edited = st.data_editor(
        _shown(seen),
        key=key,
        hide_index=True,
        disabled=True if refused else ["activity"],
        column_config={
            "display_order": st.column_config.NumberColumn(
                "order", min_value=0, step=1, format="%d"
            ),
            "value_class": st.column_config.SelectboxColumn(
                "value class", options=list(VALUE_CLASSES), required=True
            ),
            "kind": st.column_config.SelectboxColumn("kind", options=list(KINDS), required=True),
            "standard_minutes": st.column_config.NumberColumn("standard minutes", min_value=0.0),
            "end_activity": st.column_config.SelectboxColumn(
                "end activity", options=list(END_CHOICES), required=True
            ),
        },
    )
    if refused:
        st.caption(refused)
    left, right, _ = st.columns([1, 1, 3])
    save = left.button(
        "Save the catalog",
        type="primary",
        key="catalog_save",
        icon=":material/save:",
        disabled=refused is not None,
    )
    if right.button(
        "Reload",
        key="catalog_reload",
        icon=":material/refresh:",
        help="Show the catalog as stored now; unsaved edits are dropped.",
    ):
        seen_by_offering[offering] = (generation + 1, None)
        st.rerun()
    if not save:
        return
    frame = edited if isinstance(edited, pl.DataFrame) else pl.DataFrame(edited)
    try:
        updating = (
            f"Saving, and updating {plain(offering)}: its cases and the figures the pages show..."
        )
        with st.spinner(updating), on_request():
            changed = wh.save_catalog_edits(offering, seen, _as_rows(frame, seen))
    except CatalogConflict as exc:
        st.error(plain(exc), icon=":material/sync_problem:")
        return
    except WarehouseError as exc:
        st.error(plain(exc), icon=":material/error:")
        return
    seen_by_offering[offering] = (generation + 1, None)
    ss[_SAVED] = (
        f"Saved {changed} activit{'y' if changed == 1 else 'ies'} of {plain(offering)}."
        if changed
        else "Nothing to save: no cell was changed."
    )
    st.rerun()
