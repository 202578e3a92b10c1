"""The Future state page: draw the stream the team agreed next to today's map (from the
map's steps, or typed in from a hand-drawn napkin map), save it, and see how closely the
completed cases follow it, week by week, and what breaks it most often.

The draft being edited lives in the session (`_fs_draft`) and in the widgets: one
multiselect per stage (`fs_stage_0`, `fs_stage_1`, ...; typing a name adds a step the
data has never seen), the optional steps (`fs_optional`) and the name (`fs_name`).
Buttons that reorder, add or delete stages rewrite the widgets from the draft in their
callbacks, before the widgets are drawn again. The conformance shown is the draft's, so
an edit shows its effect at once; saving stores it as the next version of its name.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from charts.redesign import conformance_weeks_chart, future_state_chart
from charts.vsm import value_stream_map_chart
from metrics import figures
from metrics.conformance import FutureState, case_conformance, future_state_problems, summarise
from metrics.filters import CaseFilter
from metrics.summary import STREAMING
from metrics.variants import variant_text
from metrics.vsm import ladder
from ui.access import current_actor, refused_here
from ui.chart_specs import built
from ui.format import explain, in_unit, plain, share, table_unit, unit_label
from ui.resources import data_version, on_request, warehouse
from ui.tables import MAX_PATH_ROWS
from ui.views import plainest_view, view_at, view_figure, view_figure_at
from ui.widgets import csv_download, draw_chart, scroll_sideways, slug
from warehouse import WarehouseError
from warehouse.derived import has_stored_figure, stored_figure
from warehouse.future_states import (
    StoredFutureState,
    delete_future_state,
    get_future_state,
    save_future_state,
    versions,
)

INTRO = (
    "Draw the stream your team agreed to run: its stages in order, each one step or a few "
    "steps done in parallel, some optional. Start from today's map or from a blank napkin "
    "(type the step names from a hand-drawn map), save it, and see how many completed cases "
    "follow it each week, and which deviations break it most often."
)
KIND_WORDS = {
    "missing": "missing step",
    "extra": "extra step",
    "repeated": "repeated step",
    "order": "out of order",
}
_DRAFT = "_fs_draft"
EDITING = "fs_edit"
"""The key of the expander that holds the stages' widgets (open: True)."""
_MESSAGE = "_fs_message"


def _stage_key(index: int) -> str:
    return f"fs_stage_{index}"


def _normalised(document: dict[str, Any]) -> dict[str, Any]:
    """A JSON future state as the editor holds it: every stage a list."""
    return {
        "name": str(document.get("name", "")),
        "stages": [[s] if isinstance(s, str) else list(s) for s in document.get("stages", [])],
        "optional": list(document.get("optional", [])),
    }


def _push(draft: dict[str, Any]) -> None:
    """Make `draft` the one being edited and rewrite the widgets from it."""
    ss = st.session_state
    ss[_DRAFT] = draft
    ss["fs_name"] = draft["name"]
    for index, stage in enumerate(draft["stages"]):
        ss[_stage_key(index)] = list(stage)
    index = len(draft["stages"])
    while _stage_key(index) in ss:
        del ss[_stage_key(index)]
        index += 1
    ss["fs_optional"] = list(draft["optional"])


def _pull() -> dict[str, Any]:
    """The draft as the widgets show it now."""
    ss = st.session_state
    draft = dict(ss[_DRAFT])
    stages = [list(ss.get(_stage_key(i), stage)) for i, stage in enumerate(draft["stages"])]
    steps = {step for stage in stages for step in stage}
    draft.update(
        name=ss.get("fs_name", draft["name"]),
        stages=stages,
        optional=[s for s in ss.get("fs_optional", draft["optional"]) if s in steps],
    )
    return draft


def _move(index: int, by: int) -> None:
    draft = _pull()
    stages = draft["stages"]
    other = index + by
    if 0 <= other < len(stages):
        stages[index], stages[other] = stages[other], stages[index]
    _push(draft)


def _delete_stage(index: int) -> None:
    draft = _pull()
    del draft["stages"][index]
    _push(draft)


def _add_stage() -> None:
    draft = _pull()
    draft["stages"].append([])
    _push(draft)


def _from_map(offering: str, map_steps: list[str]) -> dict[str, Any]:
    return {
        "offering": offering,
        "name": f"{offering}: future state",
        "stages": [[step] for step in map_steps],
        "optional": [],
    }


def _load(offering: str, map_steps: list[str]) -> None:
    source = st.session_state["fs_source"]
    if source == "map":
        _push(_from_map(offering, map_steps))
    elif source == "blank":
        _push({"offering": offering, "name": "Napkin map", "stages": [[]], "optional": []})
        st.session_state[EDITING] = True  # a blank napkin is typed in the stages
    else:
        stored = get_future_state(warehouse(), int(source))
        _push({"offering": offering, **_normalised(stored.definition)})


def _save(offering: str) -> None:
    draft = _pull()
    ss = st.session_state
    try:
        document = FutureState.from_json(_document(draft)).to_json()
        stored = save_future_state(warehouse(), offering, document)
    except (ValueError, WarehouseError) as exc:
        ss[_MESSAGE] = ("error", str(exc))
        return
    _push({"offering": offering, **_normalised(stored.definition)})
    ss["fs_source"] = str(stored.id)
    ss[_MESSAGE] = ("success", f"Saved “{stored.name}” as version {stored.version}.")


def _delete(offering: str, name: str) -> None:
    try:
        gone = delete_future_state(warehouse(), offering, name)
    except WarehouseError as exc:
        st.session_state[_MESSAGE] = ("error", str(exc))
        return
    st.session_state[_MESSAGE] = (
        "success",
        f"Deleted “{name}” ({gone} version{'s' if gone != 1 else ''}).",
    )


def _document(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft's JSON form (a one-step stage written as the step)."""
    stages = [stage[0] if len(stage) == 1 else stage for stage in draft["stages"]]
    return {"name": draft["name"], "stages": stages, "optional": draft["optional"]}


def today_map(offering: str, spec: CaseFilter) -> list[str]:
    """Today's map of the view `spec` selects, for reference; returns its steps in order."""
    boxes = view_figure(spec, figures.value_stream).boxes
    if boxes.height == 0:
        return []
    scroll_sideways("fs_today")
    # A chart's box on the page is exactly its plot height: a chart title would push the
    # ladder out of sight at the bottom, so the title is written above instead.
    st.markdown(f"**{plain(offering)}: today**")
    with st.container(key="fs_today"):
        draw_chart(
            built(value_stream_map_chart, boxes, ladder(boxes), select=None), width="content"
        )
    return boxes["activity"].to_list()


def editor(offering: str, spec: CaseFilter, map_steps: list[str]) -> FutureState | None:
    """Draw and edit the future state of the view `spec` selects; returns it when it is
    valid."""
    ss = st.session_state
    saved = versions(warehouse(), offering)
    known = view_figure(spec, figures.work_steps)["activity"].to_list()
    if ss.get(_DRAFT, {}).get("offering") != offering:
        latest = saved[0] if saved else None
        _push(
            {"offering": offering, **_normalised(latest.definition)}
            if latest
            else _from_map(offering, map_steps)
        )
        ss["fs_source"] = str(latest.id) if latest else "map"
    draft = ss[_DRAFT]
    for index, stage in enumerate(draft["stages"]):
        ss.setdefault(_stage_key(index), list(stage))
    ss.setdefault("fs_name", draft["name"])

    sources = {"map": "Today's map (one stage per box)", "blank": "A blank napkin (type the steps)"}
    sources |= {str(s.id): f"Saved: {s.label}, by {s.saved_by}" for s in saved}
    if ss.get("fs_source") not in sources:
        ss["fs_source"] = "map"
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.selectbox("Start from", list(sources), key="fs_source", format_func=sources.__getitem__)
    right.button(
        "Start over from it",
        key="fs_load",
        icon=":material/restart_alt:",
        on_click=_load,
        args=(offering, map_steps),
        help="Replaces the draft below.",
    )
    st.text_input("Name", key="fs_name", help="Saving under a name already used adds a version.")
    n = len(draft["stages"])
    # Drawn only while open: its widgets, a row of four per stage, were half a second of
    # the page's first render in the browser (the drawing below shows the draft anyway).
    # (A label of its own for good: a new label is a new widget, closed again.)
    stages = st.expander("Edit the stages", key=EDITING, icon=":material/edit:", on_change="rerun")
    if stages.open:
        with stages:
            _stage_rows(draft, known)
    steps = [s for i in range(n) for s in ss.get(_stage_key(i), draft["stages"][i])]
    ss["fs_optional"] = [s for s in ss.get("fs_optional", draft["optional"]) if s in steps]
    st.multiselect(
        "Optional steps",
        list(dict.fromkeys(steps)),
        key="fs_optional",
        help="A case may do an optional step once, or not at all.",
    )
    draft = _pull()
    ss[_DRAFT] = {**draft, "offering": offering}
    document = _document(draft)
    drawable = [stage for stage in draft["stages"] if stage]
    if drawable:
        scroll_sideways("fs_drawing")
        with st.container(key="fs_drawing"):
            draw_chart(
                future_state_chart(drawable, set(draft["optional"]), set(known)), width="content"
            )
        st.caption(
            "The future state as drawn: stages left to right, parallel steps stacked in one "
            "stage, optional steps dashed; amber steps are not in the data yet (every case "
            "will miss them until they are)."
        )
    problems = future_state_problems(document)
    if problems:
        st.warning("\n".join(f"- {plain(p)}" for p in problems), icon=":material/rule:")
    latest = next((s for s in saved if s.name == draft["name"].strip()), None)
    unsaved = latest is None or _normalised(latest.definition) != _normalised(
        {**document, "name": draft["name"].strip()}
    )
    refused = refused_here("save future state")
    st.button(
        "Save future state",
        key="fs_save",
        type="primary",
        icon=":material/save:",
        on_click=_save,
        args=(offering,),
        disabled=bool(problems) or not unsaved or refused is not None,
        help="Stores it as a new version of its name; earlier versions stay."
        if unsaved
        else "This version is saved already.",
    )
    if message := ss.pop(_MESSAGE, None):
        getattr(st, message[0])(plain(message[1]))
    saved_versions(offering, saved)
    if problems:
        return None
    if not unsaved and latest is not None:
        st.caption(plain(f"Saved as {latest.label}, by {latest.saved_by}."))
    return FutureState.from_json(document)


def _stage_rows(draft: dict[str, Any], known: list[str]) -> None:
    """One row per stage of the draft: its steps, and buttons that move it earlier or
    later or delete it; then a button that adds a stage."""
    ss = st.session_state
    st.markdown(
        "**Stages, in order.** Put two or more steps in one stage when they are done in "
        "parallel (in any order). Type a name to add a step the data does not have yet."
    )
    n = len(draft["stages"])
    for index in range(n):
        values = ss.get(_stage_key(index), [])
        options = list(
            dict.fromkeys([*known, *(s for stage in draft["stages"] for s in stage), *values])
        )
        cols = st.columns([0.5, 12, 1, 1, 1], vertical_alignment="center")
        cols[0].markdown(f"**{index + 1}**")
        cols[1].multiselect(
            f"Stage {index + 1}",
            options,
            key=_stage_key(index),
            accept_new_options=True,
            placeholder="Choose steps, or type a new one",
            label_visibility="collapsed",
        )
        cols[2].button(
            "",
            key=f"fs_up_{index}",
            icon=":material/arrow_upward:",
            on_click=_move,
            args=(index, -1),
            disabled=index == 0,
            help="Move this stage earlier",
        )
        cols[3].button(
            "",
            key=f"fs_down_{index}",
            icon=":material/arrow_downward:",
            on_click=_move,
            args=(index, 1),
            disabled=index == n - 1,
            help="Move this stage later",
        )
        cols[4].button(
            "",
            key=f"fs_del_{index}",
            icon=":material/delete:",
            on_click=_delete_stage,
            args=(index,),
            help="Delete this stage",
        )
    st.button("Add a stage", key="fs_add", icon=":material/add:", on_click=_add_stage)


def saved_versions(offering: str, saved: list[StoredFutureState]) -> None:
    """Every saved version of the offering's future states, and deleting one by name."""
    if not saved:
        return
    with st.expander(f"Saved versions ({len(saved)})", icon=":material/history:"):
        st.dataframe(
            pl.DataFrame(
                {
                    "Name": [s.name for s in saved],
                    "Version": [s.version for s in saved],
                    "Saved": [s.saved_at for s in saved],
                    "By": [s.saved_by for s in saved],
                    "Stages": [len(s.definition.get("stages", [])) for s in saved],
                }
            ),
            hide_index=True,
            column_config={"Saved": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm")},
        )
        if not current_actor().may("delete future state"):
            return
        names = list(dict.fromkeys(s.name for s in saved))
        cols = st.columns([3, 2, 2], vertical_alignment="bottom")
        name = cols[0].selectbox("Delete every version of", names, key="fs_delete_name")
        sure = cols[1].checkbox("Yes, delete it", key="fs_delete_sure")
        cols[2].button(
            "Delete",
            key="fs_delete",
            icon=":material/delete:",
            disabled=not sure,
            on_click=_delete,
            args=(offering, name),
            help="Experiments that name it keep their record and name no future state.",
        )


@st.cache_resource(show_spinner=False, max_entries=4, hash_funcs={CaseFilter: repr})
def _conformance(
    path: str, version: str, spec: CaseFilter, document: str, from_map: bool
) -> tuple[dict[str, Any], pl.DataFrame]:
    """(The figures, each completed case's row keyed by offering and case id.) The draft
    first drawn from today's map (`from_map`) is a figure of the view
    (metrics.figures.map_conformance): stored with the offering's derivation for every
    case and for the views the step-file thread stores, else computed once per view
    (`ui.views.view_figure`, checked against the view's map as already drawn); any other
    draft is checked here."""
    if from_map:
        per_case = view_figure_at(path, version, spec, figures.map_conformance)
    else:
        with on_request():
            instances, cases = view_at(path, version, spec)
            future = FutureState.from_json(json.loads(document))
            per_case = case_conformance(instances.lazy(), cases.lazy(), future).collect(
                engine=STREAMING
            )
    return summarise(per_case), per_case


@st.cache_resource(show_spinner=False, max_entries=2, hash_funcs={CaseFilter: repr})
def _deviating(
    path: str,
    version: str,
    spec: CaseFilter,
    document: str,
    from_map: bool,
    chosen: str,
    shown: CaseFilter,
) -> pl.DataFrame:
    """The cases of the page's view `shown` with the deviation `chosen` ("kind|step") of
    the future state `document` (checked on the view `spec`, whose completed cases are
    those of `shown`), latest first: one search of every completed case, a second at
    fifty million events, kept for the page's next runs. The views and the conformance
    are those of this key, never a later data version's."""
    kind, step = chosen.split("|", 1)
    _, per_case = _conformance(path, version, spec, document, from_map)
    _, cases = view_at(path, version, shown)
    hit = per_case.filter(pl.col(kind).list.contains(step)).select("offering", "case_id")
    return cases.join(hit, on=["offering", "case_id"], how="semi").sort("last_end", descending=True)


def _deviation_key(row: dict[str, Any]) -> str:
    return f"{row['kind']}|{row['step']}"


def _chose_row() -> None:
    """A row chosen in the deviations table chooses its cases below."""
    event = st.session_state.get("fs_dev_table") or {}
    rows = event.get("selection", {}).get("rows") or []
    options = st.session_state.get("_fs_dev_options", [])
    if rows and rows[0] < len(options):
        st.session_state["fs_deviation"] = options[rows[0]]


def conformance_view(
    offering: str, spec: CaseFilter, future: FutureState, map_steps: list[str]
) -> None:
    """Each week's share of the completed cases that follow `future`, and the deviations
    that break it most often, each opening its cases. `map_steps`: today's map's steps."""
    wh = warehouse()
    path, version = str(wh.path), data_version(wh)
    # Conformance is measured on completed cases alone: with "completed cases only" on,
    # it is that of the same view with it off (metrics.figures.completed_alike), checked
    # once for both, or read as stored for every case where the draft is that of the
    # stored map (that of every case or of a stored time window); a filter that drops no
    # completed case is the view of every case (ui.views.plainest_view).
    alike = plainest_view(path, version, spec, figures.CONFORMANCE)
    prefix = figures.view_prefix(alike) if len(alike.offerings or ()) == 1 else None
    # Every case's is stored with each derivation; a window's once the step-file thread
    # has stored it (else the draft is checked, without drawing the view's map again).
    stored = prefix == "" or (
        prefix is not None and has_stored_figure(wh, offering, f"{prefix}map_conformance")
    )
    if alike != spec:
        # That view's map as stored (never drawn here): without it the draft is checked.
        every = stored_figure(wh, offering, f"{prefix}value_stream") if stored else None
        map_steps = every.boxes["activity"].to_list() if every is not None else []
    drawn = figures.map_future_state(map_steps)
    # A view whose figures are never stored (a variant, dates of one's own) has its map's
    # conformance as a figure of its own: computed ahead once the view was chosen on
    # another page (ui.views.view_ahead), else now from the map this page drew.
    key = (
        path,
        version,
        alike,
        json.dumps(future.to_json(), sort_keys=True),
        (stored or prefix is None)
        and bool(map_steps)
        and (future.stages, future.optional) == (drawn.stages, drawn.optional),
    )
    found, _ = _conformance(*key)
    n = found["cases"]
    if n == 0:
        st.info("No case in view has completed yet: conformance is measured on completed cases.")
        return
    st.markdown(
        f"**{found['conforming']:,} of the {n:,} completed cases "
        f"({share(found['conforming_share'])})** follow “{plain(future.name)}”: their work steps "
        "are its stages in order, each step once, nothing else.",
        help=explain("conforming_share", n),
    )
    draw_chart(built(conformance_weeks_chart, pl.DataFrame(found["by_week"])), width="stretch")
    st.caption(
        "Each bar: the share of the cases that completed that week and follow the future "
        "state; faint bars rest on fewer than 5 cases. Hover a bar for its cases."
    )
    deviations = found["deviations"]
    if not deviations:
        st.success("Every completed case in view follows it.", icon=":material/check:")
        return
    st.markdown("**What breaks it most often**")
    table = pl.DataFrame(
        {
            "Deviation": [KIND_WORDS[d["kind"]] for d in deviations],
            "Step": [d["step"] for d in deviations],
            "Cases": [d["cases"] for d in deviations],
            "Share of the cases (%)": [round(d["cases"] / n * 100, 1) for d in deviations],
        }
    )
    options = [_deviation_key(d) for d in deviations]
    st.session_state["_fs_dev_options"] = options
    st.dataframe(
        table,
        hide_index=True,
        key="fs_dev_table",
        on_select=_chose_row,
        selection_mode="single-row",
    )
    st.caption(
        "Missing: a required step the case lacks. Extra: a step the future state does not "
        "have. Repeated: a step done more than once. Out of order: a step that came after a "
        "step of a later stage. A case can have several. Choose a row to list its cases."
    )
    csv_download(table, f"deviations-{slug(offering)}", "fs_dev_csv")
    labels = {
        _deviation_key(d): f"{KIND_WORDS[d['kind']]}: {d['step']} ({d['cases']:,} cases)"
        for d in deviations
    }
    if st.session_state.get("fs_deviation") not in labels:
        st.session_state["fs_deviation"] = options[0]
    chosen = st.selectbox(
        "The cases with", options, key="fs_deviation", format_func=labels.__getitem__
    )
    kind, step = chosen.split("|", 1)
    listed = _deviating(*key, chosen, spec)
    unit = table_unit(listed, ["lead_time_s"])

    def rows(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            pl.col("case_id").alias("Case"),
            pl.col("last_end").alias("Completed"),
            in_unit("lead_time_s", unit).alias(unit_label("Lead time", unit)),
            variant_text().list.join(" → ").alias("Its steps, in order"),
        )

    st.dataframe(
        rows(listed.head(MAX_PATH_ROWS)),
        hide_index=True,
        key="fs_cases_table",
        column_config={
            "Completed": st.column_config.DatetimeColumn(format="D MMM YYYY"),
            "Its steps, in order": st.column_config.TextColumn(width="large"),
        },
    )
    st.caption(
        f"Showing the {MAX_PATH_ROWS:,} latest of the {listed.height:,} completed cases with this "
        "deviation; the CSV holds all of them."
        if listed.height > MAX_PATH_ROWS
        else f"{listed.height:,} completed cases with this deviation, latest first."
    )
    csv_download(
        partial(rows, listed), f"cases-{slug(kind)}-{slug(step)}-{slug(offering)}", "fs_cases_csv"
    )
