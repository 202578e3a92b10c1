"""The Redesign page: pick changes on today's value stream map, see the projected map and
lead times against today's, what the projection assumes, and try it for two weeks.

The figures are metrics.whatif's, over the completed cases of the view (the sidebar
filters, one offering), exactly as `python -m metrics.whatif` computes them for the
same cases and changes. The chosen changes live in the session per offering and in
the link (`?p_change=remove:Quote&p_change=wait-factor:Production=0.5`), so a copied
URL reproduces the projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from itertools import pairwise
from typing import Any

import polars as pl
import streamlit as st

from charts.redesign import projected_lead_time_chart
from charts.vsm import value_stream_map_chart
from metrics import figures as page_figures
from metrics.filters import CaseFilter
from metrics.whatif import (
    PROJECTION_COLUMNS,
    Change,
    Parallel,
    Projection,
    Remove,
    ValueStreamMap,
    WaitFactor,
    describe,
    parse_change,
)
from metrics.whatif import projection as whatif_projection
from ui.access import refused_here
from ui.chart_specs import built
from ui.format import duration_delta, duration_text, explain, plain
from ui.resources import data_version, on_request, warehouse
from ui.views import view_at, view_figure, view_figure_at
from ui.widgets import chart_downloads, draw_chart, scroll_sideways, slug
from warehouse import WarehouseError
from warehouse.experiments import DEFAULT_WINDOW_DAYS, create_experiment

INTRO = (
    "What would a redesign buy us? Click a step on today's map (or pick it in the list beside "
    "the map) and choose a change: remove the step, run it in parallel with the next one, or "
    "cut the wait in front of it. Every completed case in view is replayed with the changes, "
    "step by step, so you see the map and the lead times the redesign would have given "
    "these very cases. Then try it for two weeks as an experiment."
)

PARAM = "p_change"
MAP_KEY = "rd_map"
SELECTION = "step"
_BOOK = "_rd_changes"
_NOTE = "_rd_note"


def encode(change: Change) -> str:
    """A change as the link carries it: `remove:STEP`, `parallel:A,B`, `wait-factor:STEP=F`."""
    if isinstance(change, Remove):
        return f"remove:{change.step}"
    if isinstance(change, Parallel):
        return f"parallel:{change.first},{change.second}"
    return f"wait-factor:{change.step}={change.factor:g}"


def decode(text: str) -> Change | None:
    """The change `encode` wrote, or None for a malformed one (a hand-edited link)."""
    kind, colon, value = text.partition(":")
    if not colon:
        return None
    try:
        return parse_change(kind, value)
    except ValueError:
        return None


def _book() -> dict[str, list[str]]:
    book: dict[str, list[str]] = st.session_state.setdefault(_BOOK, {})
    return book


def chosen_changes(offering: str) -> list[Change]:
    """The changes chosen for `offering`, in order; a link seeds them on the first visit."""
    book = _book()
    if offering not in book:
        linked = st.query_params.get_all(PARAM) if not book else []
        book[offering] = [text for text in linked if decode(text) is not None]
    if book[offering]:
        st.query_params[PARAM] = book[offering]
    else:
        st.query_params.pop(PARAM, None)
    return [c for c in map(decode, book[offering]) if c is not None]


def _add(offering: str, kind: str, next_of: dict[str, str]) -> None:
    """Add the change the panel describes (read from the widgets: a callback's args are
    those of the run that drew the button)."""
    ss = st.session_state
    step = ss["rd_step"]
    if kind == "remove":
        change: Change = Remove(step)
    elif kind == "parallel":
        change = Parallel(step, next_of[step])
    else:
        change = WaitFactor(step, float(ss["rd_factor"]))
    changes = _book().setdefault(offering, [])
    if encode(change) in changes:
        ss[_NOTE] = f"“{change.words()}” is already in the list."
        return
    changes.append(encode(change))


def _drop(offering: str, index: int) -> None:
    del _book()[offering][index]


def _clear(offering: str) -> None:
    _book()[offering] = []


def _clicked() -> None:
    """A click on a box of the map chooses its step in the panel."""
    event = st.session_state.get(MAP_KEY)
    picked = (event or {}).get("selection", {}).get(SELECTION) or []
    if picked and picked[0].get("activity"):
        st.session_state["rd_step"] = picked[0]["activity"]


@st.cache_resource(
    show_spinner="Replaying the cases...", max_entries=16, hash_funcs={CaseFilter: repr}
)
def _project(
    path: str, version: str, spec: CaseFilter, changes: tuple[str, ...], working_time: bool
) -> Projection:
    # Today's map does not depend on the changes: the projection before any (stored for
    # the default view, else shown before the first change) has it drawn already.
    today = view_figure_at(path, version, spec, page_figures.unchanged).current
    with on_request():  # the step-file thread waits meanwhile
        instances, cases = view_at(path, version, spec)
        instances = page_figures.held(instances, PROJECTION_COLUMNS)
        chosen = [c for c in map(decode, changes) if c is not None]
        offering = spec.offerings[0] if spec.offerings else None
        return whatif_projection(instances, cases, chosen, offering, working_time, today)


def projection(spec: CaseFilter, changes: Sequence[Change], working_time: bool) -> Projection:
    """metrics.whatif's maps, figures and lead times for the view `spec` selects (one
    offering). Before any change, in elapsed time, it is the same for every session and
    computed once per view (metrics.figures.unchanged; its default view is stored): only
    the completed cases are replayed, so "completed cases only" changes nothing there, and
    the view without it is the one computed (or read as stored)."""
    if not changes and not working_time:
        with st.spinner("Replaying the cases..."):
            return view_figure(spec, page_figures.unchanged)
    wh = warehouse()
    encoded = tuple(encode(c) for c in changes)
    return _project(str(wh.path), data_version(wh), spec, encoded, working_time)


def _next_steps(current: ValueStreamMap) -> dict[str, str]:
    boxes = current.boxes["activity"].to_list()
    return dict(pairwise(boxes))


def change_picker(offering: str, p: Projection, changes: Sequence[Change]) -> None:
    """Today's map (a click chooses a step), the panel of changes for that step, and the
    list of changes chosen so far."""
    ss = st.session_state
    boxes = p.current.boxes
    on_map = boxes["activity"].to_list()
    options = on_map + [s for s in p.steps if s not in on_map]
    if not options:
        st.info(
            f"The completed cases of {plain(offering)} in view have no work step to change (every "
            "status is a waiting one): check the kinds in the Data page's activity catalog.",
            icon=":material/info:",
        )
        return
    next_of = _next_steps(p.current)
    if ss.get("rd_step") not in options:
        neck = boxes.filter(pl.col("is_bottleneck"))["activity"]
        ss["rd_step"] = neck[0] if neck.len() else options[0]
    ss.setdefault("rd_factor", 0.5)
    left, right = st.columns([3, 1], gap="medium")
    with left:
        scroll_sideways("rd_today")
        # A chart's box on the page is exactly its plot height: a chart title would push
        # the ladder out of sight at the bottom, so the title is written above instead.
        st.markdown(f"**{plain(offering)}: today**")
        chart = built(
            value_stream_map_chart,
            boxes,
            p.current.totals,
            select=SELECTION,
            selected=ss["rd_step"] if ss["rd_step"] in on_map else None,
        )
        with st.container(key="rd_today"):
            draw_chart(
                chart, width="content", key=MAP_KEY, on_select=_clicked, selection_mode=SELECTION
            )
        st.caption(
            f"Today's map of the {p.figures['cases']:,} completed cases in view: boxes are the "
            "steps most cases go through, with their median process time (C/T); triangles the "
            "median wait before each step. Click a box to change it (the outlined box is the one "
            "chosen); scroll sideways for every step."
        )
    with right:
        step = st.selectbox(
            "Step to change",
            options,
            key="rd_step",
            format_func=lambda s: s if s in on_map else f"{s} (not on the map)",
            help="Click a box on the map, or pick the step here. Steps most cases skip are "
            "not on the map but can be changed too.",
        )
        nxt = next_of.get(step)
        # The buttons name the steps, whose names are often longer than the narrow column:
        # they wrap rather than end in an ellipsis.
        st.markdown(
            "<style>.st-key-rd_remove button *, .st-key-rd_parallel button * "
            "{ white-space: normal !important; overflow: visible !important; "
            "text-overflow: clip !important; }</style>",
            unsafe_allow_html=True,
        )
        st.button(
            f"Remove {plain(step)}",
            key="rd_remove",
            icon=":material/remove_circle:",
            on_click=_add,
            args=(offering, "remove", next_of),
            width="stretch",
            help="Every instance of the step contributes nothing: neither the wait before it "
            "nor its own time. The step after it keeps its own wait.",
        )
        st.button(
            f"Run in parallel with {plain(nxt)}" if nxt else "Run in parallel with the next step",
            key="rd_parallel",
            icon=":material/call_split:",
            on_click=_add,
            args=(offering, "parallel", next_of),
            disabled=nxt is None,
            width="stretch",
            help=(
                f"Where {plain(nxt)} directly follows {plain(step)} in a case, it starts when "
                f"{plain(step)} starts: "
                "the pair takes as long as the longer of the two."
                if nxt
                else "This step has no next step on the map."
            ),
        )
        factor = st.slider(
            "Wait before it ×",
            0.0,
            2.0,
            step=0.05,
            key="rd_factor",
            help="0.5 halves the queue in front of the step, 0 removes it, 1 leaves it.",
        )
        st.button(
            "Halve the wait before it"
            if factor == 0.5
            else f"Multiply the wait before it by {factor:g}",
            key="rd_wait",
            icon=":material/hourglass_bottom:",
            on_click=_add,
            args=(offering, "wait-factor", next_of),
            width="stretch",
        )
    if note := ss.pop(_NOTE, None):
        st.info(plain(note), icon=":material/info:")
    if not changes:
        return
    st.markdown("**Changes, in order** (each applies to the cases as the earlier ones left them)")
    for index, change in enumerate(changes):
        text, drop = st.columns([6, 1], vertical_alignment="center")
        words = change.words()
        text.markdown(f"{index + 1}. {plain(words[0].upper() + words[1:])}")
        drop.button(
            "Take out",
            key=f"rd_drop_{index}",
            icon=":material/close:",
            on_click=_drop,
            args=(offering, index),
        )
    st.button("Clear all changes", key="rd_clear", on_click=_clear, args=(offering,))


def _downstream(changes: Sequence[Change], next_of: dict[str, str]) -> str | None:
    """The step where the last change's work would queue next."""
    last = changes[-1]
    return next_of.get(last.second if isinstance(last, Parallel) else last.step)


def figures_tiles(figures: dict[str, Any]) -> None:
    """Lead time today and projected: p50, p85, p95, mean, and the cases affected."""
    today, ahead = figures["baseline"]["lead_time_s"], figures["projected"]["lead_time_s"]
    n = figures["cases"]
    cols = st.columns(5)
    for col, (name, label) in zip(
        cols,
        (
            ("p50", "Median lead time"),
            ("p85", "p85 lead time"),
            ("p95", "p95 lead time"),
            ("mean", "Mean lead time"),
        ),
        strict=False,
    ):
        col.metric(
            label,
            duration_text(ahead[name]),
            delta=duration_delta(ahead[name], today[name]),
            delta_color="inverse",
            delta_description=f"from {duration_text(today[name])} today",
            help=explain("projected_lead_time", n),
        )
    cols[4].metric(
        f"Cases affected (of {n:,})",
        f"{figures['affected_cases']:,}",
        help=explain("affected_cases", n),
    )


def projection_view(offering: str, p: Projection, changes: Sequence[Change]) -> None:
    """The projected map, the lead-time figures and their distribution, the assumptions and
    the experiment that would test it."""
    if not changes:
        st.info(
            "Choose a change above to see the projected map and lead times.",
            icon=":material/touch_app:",
        )
        return
    scroll_sideways("rd_projected")
    st.markdown(f"**{plain(offering)}: projected**")
    with st.container(key="rd_projected"):
        draw_chart(
            built(value_stream_map_chart, p.projected.boxes, p.projected.totals, select=None),
            width="content",
        )
    chart = partial(
        value_stream_map_chart,
        p.projected.boxes,
        p.projected.totals,
        title=f"{offering}: projected",
        select=None,
    )
    now, then = p.current.totals, p.projected.totals
    st.caption(
        f"The projected map: {plain('; '.join(c.words() for c in changes))}. The ladders add "
        "medians, as a "
        f"hand-drawn map does: lead time {duration_text(now['lead_s'])} today, "
        f"{duration_text(then['lead_s'])} projected (waiting {duration_text(now['wait_s'])} → "
        f"{duration_text(then['wait_s'])}, process {duration_text(now['process_s'])} → "
        f"{duration_text(then['process_s'])}); steps run in parallel count once, at the "
        "longest."
    )
    chart_downloads(chart, f"projected-map-{slug(offering)}", "rd_projected_map")
    st.subheader("Lead time, today and projected")
    figures_tiles(p.figures)
    draw_chart(built(projected_lead_time_chart, p.lead_times), width="stretch")
    st.caption(
        f"How long each of the {p.figures['cases']:,} completed cases took (grey) and would "
        "have taken with the changes (blue), as shares of the cases; dashed lines are the "
        "medians. Hover a bar for its cases."
    )
    st.subheader("What the projection assumes")
    st.markdown("\n".join(f"- {plain(sentence)}" for sentence in p.figures["assumptions"]))
    try_it(offering, changes, p)


def _hypothesis(figures: dict[str, Any], downstream: str | None) -> str:
    today, ahead = figures["baseline"]["lead_time_s"], figures["projected"]["lead_time_s"]
    text = (
        f"Projected over {figures['cases']:,} completed cases ({figures['affected_cases']:,} "
        f"affected): median lead time {duration_text(today['p50'])} → "
        f"{duration_text(ahead['p50'])}, p85 {duration_text(today['p85'])} → "
        f"{duration_text(ahead['p85'])}. First-order: it does not model a queue building "
        "downstream"
    )
    return text + (f" (watch the wait before {downstream})." if downstream else ".")


def _record(offering: str, encoded: tuple[str, ...], hypothesis: str) -> None:
    changes = [c for c in map(decode, encoded) if c is not None]
    try:
        new_id = create_experiment(
            warehouse(),
            name=f"Redesign: {describe(changes)}",
            offering=offering,
            changed_at=datetime.now(UTC).replace(second=0, microsecond=0),
            what_changed=describe(changes),
            hypothesis=hypothesis,
            before_days=DEFAULT_WINDOW_DAYS,
            after_days=DEFAULT_WINDOW_DAYS,
        )
    except WarehouseError as exc:
        st.session_state["rd_error"] = str(exc)
        return
    st.session_state["rd_recorded"] = new_id


def try_it(offering: str, changes: Sequence[Change], p: Projection) -> None:
    """The first-order caveat, the experiment that would test the projection, and the
    button that records it."""
    downstream = _downstream(changes, _next_steps(p.current))
    where = (
        f" (here, before **{plain(downstream)}**, the step that would receive the work sooner)"
        if downstream
        else ""
    )
    with st.container(border=True):
        st.markdown("**Try it for two weeks**")
        st.markdown(
            "This projection is first-order: every case keeps all its other waits as they "
            "were, so it does not model the queue a faster step may build further down the "
            f"stream{where}. The experiment that tests it: make the change for real, record it "
            f"now, and after {DEFAULT_WINDOW_DAYS} days the Experiments page compares the cases "
            f"that started in the {DEFAULT_WINDOW_DAYS} days before with those that started "
            "after, and says whether work flowed faster or the waiting only moved."
        )
        refused = refused_here("record experiment")
        st.button(
            "Try it for two weeks",
            key="rd_try",
            disabled=refused is not None,
            type="primary",
            icon=":material/science:",
            on_click=_record,
            args=(
                offering,
                tuple(encode(c) for c in changes),
                _hypothesis(p.figures, downstream),
            ),
            help=f"Records an experiment on {plain(offering)}: “{plain(describe(changes))}”, "
            "taking effect now, with the projection as its hypothesis.",
        )
        if (recorded := st.session_state.pop("rd_recorded", None)) is not None:
            st.success(
                f"Recorded as experiment #{recorded}, taking effect now.", icon=":material/check:"
            )
            st.page_link(
                "app_pages/experiments.py",
                label="Open it on the Experiments page",
                icon=":material/arrow_forward:",
                query_params={"p_experiment": str(recorded)},
            )
        if error := st.session_state.pop("rd_error", None):
            st.error(plain(error), icon=":material/error:")
