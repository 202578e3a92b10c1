"""The Findings page: what the data proposes about one offering, and people's verdicts on it.

The findings (metrics.findings) are computed once per data version, offering
and set of recorded changes, and shared by every session (`st.cache_resource`,
keyed by plain values): they take 0.1–3 s per offering. Once found they are kept in
the warehouse for that data (warehouse.kept_findings), so a restarted server, or a
command-line import that looked for them already, shows them without looking. The verdicts are read
fresh on every run: a few rows, which this page writes. Stream health shows
each offering's top finding still to review (`top_finding_line`).

The findings look at every case of the offering, whatever the sidebar's time
window: a verdict is then always given, and kept, on the same data. An offering of
more steps than the server's limit (`warehouse.kept_findings.findings_limit`) has its
latest cases looked through instead (`metrics.findings.looked_since`), and the page
and the tile say since when.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import polars as pl
import streamlit as st

from charts.findings import finding_chart
from metrics.finding_verdicts import Reviewed, fingerprint, review, top_to_review
from metrics.findings import (
    CASE_FIGURES,
    Finding,
    OfferingFindings,
    evidence_frame,
    finding_cases,
    kept_offering_findings,
    looked_since,
    offering_findings,
)
from ui.access import refused_here, why_not
from ui.chart_specs import built
from ui.experiments_screen import prefill_try_a_change
from ui.format import (
    day_text,
    duration_text,
    in_unit,
    moment_text,
    plain,
    table_unit,
    unit_label,
)
from ui.resources import (
    Background,
    data_version,
    open_warehouse,
    page_run,
    recorded_experiments,
    recorded_verdicts,
    warehouse,
)
from ui.tables import MAX_ROWS
from ui.views import current_at, derived, derived_at, offerings_of, steps_read_apart
from ui.widgets import csv_download, draw_chart, slug
from warehouse import WarehouseError
from warehouse.derived import apart_min_steps
from warehouse.experiments import experiments
from warehouse.findings import give_verdict, withdraw_verdict
from warehouse.kept_findings import (
    Changes,
    Front,
    as_dates,
    cases_in,
    changes_in,
    derived_stamp,
    findings_limit,
    found_apart,
    keep_findings,
    kept_behind,
    kept_findings,
    kept_front,
)
from warehouse.mapped import folder_of, held

PAGE = "app_pages/findings.py"

INTRO = (
    "The data proposes; you decide. Each card is a pattern found in the event log: where the "
    "work waits, where it loops back, a step slower than its standard, a change in lead time, "
    "a kind of case that is slower than the rest. Software cannot tell a needed review from "
    "waste, so **confirm** what is real and worth acting on, **dismiss** what is not (say "
    "why), or **try a change** on it. Verdicts are kept with who gave them and when, and "
    "survive new imports. Findings look at every case of the offering (of a very big one, "
    "its latest cases: the page says since when): the sidebar's time window does not apply "
    "here."
)

KIND_LABELS = {
    "bottleneck": "Bottleneck",
    "rework_loop": "Rework loop",
    "non_value_step": "Waste step",
    "slower_than_standard": "Slower than standard",
    "high_variance": "Erratic step",
    "lead_time_shift": "Lead time changed",
    "step_wait_shift": "Wait changed",
    "attribute_effect": "Group of cases",
    "handoff": "Hand-off",
}

CHECKED = (
    "the largest queue, steps that send work back, steps the catalog marks as waste, steps "
    "slower than their standard minutes, waits and step times far more erratic than the "
    "others, lasting changes in weekly lead time or in the wait before a step, attribute "
    "values whose cases are much slower or faster, and hand-overs followed by long waits"
)

MAX_CARDS = 10
"""A real log can give dozens of findings: the most important this many are shown at first."""

_MESSAGE = "fnd_message"
_ERROR = "fnd_error"


def _changes(offering: str) -> Changes:
    """The offering's recorded experiments as (ISO instant, name): part of the cache key,
    since a finding at a recorded date names the change."""
    return changes_in(recorded_experiments(offering))


@st.cache_resource(show_spinner="Looking for findings...", max_entries=24)
def _findings(
    path: str, version: str, offering: str, changes: Changes, limit: int
) -> OfferingFindings:
    """The offering's findings: as kept for this data (warehouse.kept_findings), else
    looked for and kept with what lies behind each, so that a restart or another server
    need not look again. Beyond `limit` steps, over its latest cases (`looked_since`).
    The cases they were found in are held mapped from a file where they are big
    (`warehouse.mapped.held`): 71–86 MB an offering at fifty million events."""
    return held(_found(path, version, offering, changes, limit), folder_of(path))


def _found(
    path: str, version: str, offering: str, changes: Changes, limit: int
) -> OfferingFindings:
    """`_findings`' findings, as kept or looked for."""
    d = derived_at(path, version)
    wh = open_warehouse(path)
    since = looked_since(d.cases, offering, limit)
    kept = kept_findings(wh, offering, changes)
    if kept is not None:
        return kept_offering_findings(
            d.instances_of((offering,)),
            d.cases,
            lambda: wh.attribute_rows([offering], resource=False),
            offering,
            kept,
            hold=d.in_memory,
            since=since,
        )
    # The derivation they are found in: read before looking, and trusted only when no
    # change has landed since this data version was read.
    stamp = derived_stamp(wh, offering)
    events = wh.attribute_rows([offering], resource=False)
    bound = apart_min_steps()
    steps = _steps_looked_through(d.cases, offering, since)
    if bound is not None and not d.in_memory and steps >= bound:
        found = found_apart(
            steps_read_apart(d, offering), d.cases, events, wh.catalog(), offering, changes, since
        )
        if found is not None:
            if stamp is not None and data_version(wh) == version:
                keep_findings(wh, offering, stamp, changes, *found)
            return kept_offering_findings(
                d.instances_of((offering,)),
                d.cases,
                lambda: events,
                offering,
                found[0],
                hold=False,
                since=since,
            )
    of = offering_findings(
        d.instances_of((offering,)),
        d.cases,
        events,
        wh.catalog(),
        offering,
        changes=as_dates(changes),
        hold=d.in_memory,
        since=since,
    )
    if stamp is not None and data_version(wh) == version:
        # With what lies behind each card, so that a restart's Findings page reads them
        # too (the steps of a scanned warehouse read once for all of them).
        reader = of.read_once()
        behind = {f.id: (finding_cases(reader, f), evidence_frame(reader, f)) for f in of.findings}
        keep_findings(wh, offering, stamp, changes, of.findings, behind)
    return of


def read_ahead(path: str) -> int:
    """The findings Stream health's tiles and the Findings page show, of every offering
    whose findings are kept for this data (read, never looked for: a search is the
    background's work), ahead of the pages (ui.serve does it once the server is up).
    Returns how many offerings' findings it read."""
    version, d = current_at(path)
    recorded = experiments(open_warehouse(path))
    read = 0
    for offering in offerings_of(d):
        changes = changes_in(recorded.filter(pl.col("offering") == offering))
        key = (path, version, offering, changes, findings_limit())
        if _kept(*key):
            _findings(*key)
            read += 1
    return read


def _looked_through(cases: pl.DataFrame, offering: str, since: datetime | None) -> pl.DataFrame:
    own = cases.filter(pl.col("offering") == offering)
    return own if since is None else own.filter(pl.col("first_start") >= since)


def _steps_looked_through(cases: pl.DataFrame, offering: str, since: datetime | None) -> int:
    return int(_looked_through(cases, offering, since)["n_instances"].sum())


@dataclass(frozen=True)
class Looked:
    """Which of an offering's cases its findings look through."""

    since: datetime | None
    """The day from which its latest cases are looked through; None: every case."""
    cases: int
    steps: int
    all_steps: int
    """The offering's steps, of every case."""


@st.cache_data(show_spinner=False, max_entries=64)
def _looked(path: str, version: str, offering: str, limit: int) -> Looked:
    cases = derived_at(path, version).cases
    since = looked_since(cases, offering, limit)
    chosen = _looked_through(cases, offering, since)
    return Looked(
        since,
        chosen.height,
        int(chosen["n_instances"].sum()),
        _steps_looked_through(cases, offering, None),
    )


def looked(offering: str) -> Looked:
    """Which of the offering's cases its findings look through, for this data and limit."""
    wh = warehouse()
    return _looked(str(wh.path), data_version(wh), offering, findings_limit())


@st.cache_data(show_spinner=False, max_entries=64)
def _kept(path: str, version: str, offering: str, changes: Changes, limit: int) -> bool:
    return kept_findings(open_warehouse(path), offering, changes) is not None


def findings_for(offering: str) -> OfferingFindings:
    """The findings of one offering (of every case, or beyond the server's limit of its
    latest cases: `looked`), computed once per data version (on a warehouse whose steps
    are scanned, by the background search `findings_soon` starts, waited for: never
    twice at once)."""
    job = _job(offering)
    if job is None:
        wh = warehouse()
        return _findings(
            str(wh.path), data_version(wh), offering, _changes(offering), findings_limit()
        )
    with st.spinner("Looking for findings..."):
        return job.result()


_BACKGROUND = Background("findings")
_LOOKING: dict[tuple[str, str, str, Changes, int], Future[OfferingFindings]] = {}
_LOOKING_LOCK = threading.Lock()


def findings_soon(offering: str) -> OfferingFindings | None:
    """`findings_for`, without making a page wait on a warehouse too big to hold in memory
    (its steps are scanned, and the findings of an offering of millions of steps take
    tens of seconds): they are looked for in the background, one offering at a time,
    and this is None until they are found."""
    job = _job(offering)
    if job is None:
        return findings_for(offering)
    return job.result() if job.done() else None


def _job(offering: str) -> Future[OfferingFindings] | None:
    """The background search for the offering's findings (started if need be); None on a
    warehouse held in memory, whose findings are found in the page run, and when they
    are kept for this data."""
    if derived().in_memory:
        return None
    wh = warehouse()
    key = (str(wh.path), data_version(wh), offering, _changes(offering), findings_limit())
    if _kept(*key):
        return None  # kept from an earlier search: read in the page run, in an instant
    with _LOOKING_LOCK:
        job = _LOOKING.get(key)
        if job is None:
            # Forget the finished searches of another data version, and of this offering
            # before its recorded changes changed (their results stay in `_findings`).
            stale = [
                k for k, j in _LOOKING.items() if j.done() and (k[:2] != key[:2] or k[2] == key[2])
            ]
            for old in stale:
                del _LOOKING[old]
            job = _LOOKING[key] = _BACKGROUND.submit(_findings, *key)
    return job


@st.cache_resource(show_spinner=False, max_entries=64)
def _behind(
    path: str,
    version: str,
    offering: str,
    changes: tuple[tuple[str, str], ...],
    finding_id: str,
    _of: OfferingFindings,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    kept = kept_behind(open_warehouse(path), offering, changes, finding_id)
    if kept is not None:
        return kept
    f = _of.finding(finding_id)
    return finding_cases(_of, f), evidence_frame(_of, f)


@st.cache_resource(show_spinner=False, max_entries=256)
def _front(
    path: str,
    version: str,
    offering: str,
    changes: tuple[tuple[str, str], ...],
    finding_id: str,
    _of: OfferingFindings,
) -> Front:
    kept = kept_front(open_warehouse(path), offering, changes, finding_id)
    if kept is not None:
        return kept
    cases, chart = _behind(path, version, offering, changes, finding_id, _of)
    return Front(chart, cases.height, cases_in(cases))


def front(of: OfferingFindings, finding_id: str) -> Front:
    """What a finding's card shows before its list of cases is opened (its chart's
    frame, how many rows and cases lie behind it): as kept with the findings, read
    without the cases (megabytes per card in a big warehouse), or computed."""
    wh = warehouse()
    offering = of.offering
    return _front(str(wh.path), data_version(wh), offering, _changes(offering), finding_id, of)


def behind(of: OfferingFindings, finding_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the cases behind a finding, its chart's frame), as kept with the findings
    (warehouse.kept_findings) or computed, and cached with them. `of` is the offering's
    findings of this data version (`findings_for`; its `read_once` copy reads the steps
    of a scanned warehouse once for every card of a page run that computes them)."""
    wh = warehouse()
    offering = of.offering
    return _behind(str(wh.path), data_version(wh), offering, _changes(offering), finding_id, of)


def reviewed(of: OfferingFindings) -> list[Reviewed]:
    """The offering's findings, each with the verdict given on it (read fresh)."""
    return review(of.findings, recorded_verdicts(of.offering))


def _p(value: float | None) -> str:
    if value is None:
        return "p unknown"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def rests_on(f: Finding) -> str:
    """What the finding's figures rest on, with their n, in words."""
    e = f.evidence
    if f.kind == "bottleneck":
        return f"{e['waits']:,} waits before {f.step} in {e['cases']:,} cases."
    if f.kind == "rework_loop":
        return (
            f"{e['cases']:,} of the {e['cases_in_view']:,} cases went back, "
            f"{e['rounds']:,} times in all."
        )
    if f.kind == "non_value_step":
        return f"{e['instances']:,} instances of {f.step} in {e['cases']:,} cases."
    if f.kind == "slower_than_standard":
        return (
            f"{e['measured_instances']:,} instances of {f.step} with a measured time "
            f"(a start and an end in the log)."
        )
    if f.kind == "high_variance":
        unit = "waits" if e["measure"] == "wait" else "instances"
        return (
            f"{e['n']:,} {unit} of {f.step}, against {e['other_steps']} other steps; "
            f"far above means more than {e['threshold_ratio']:.1f}×."
        )
    if f.kind in ("lead_time_shift", "step_wait_shift"):
        unit = "cases started" if f.kind == "lead_time_shift" else "waits begun"
        before, after = (
            (e["before_cases"], e["after_cases"])
            if f.kind == "lead_time_shift"
            else (e["before_waits"], e["after_waits"])
        )
        return (
            f"{before:,} {unit} before the date, {after:,} since; {_p(e['p_value'])} after "
            f"correcting for the {e['series_tested']} series searched."
        )
    if f.kind == "attribute_effect":
        return (
            f"{e['cases']:,} cases with {e['attribute']} = {e['value']} against "
            f"{e['other_cases']:,} others; {_p(e['p_value'])} after correcting for the "
            f"{e['values_tried']} attribute values tried."
        )
    if f.kind == "handoff":
        return (
            f"{e['handoffs']:,} hand-overs among the {e['instances_with_resources']:,} "
            f"instances of {f.step} whose people are known."
        )
    raise ValueError(f"unknown kind of finding: {f.kind!r}")


def at_stake_words(f: Finding, weeks: float) -> str:
    """What the time at stake counts, in words."""
    e = f.evidence
    span = f"divided by the {weeks:.0f} weeks the data spans"
    if f.kind == "bottleneck":
        what = f"all the waiting before {f.step}, summed over the cases, {span}"
    elif f.kind == "rework_loop":
        what = (
            f"the waits and work of the rounds back from {e['from_step']} to {e['to_step']}, "
            f"summed, {span}"
        )
    elif f.kind == "non_value_step":
        what = f"the time at {f.step} (the wait before it and its work), summed, {span}"
    elif f.kind == "slower_than_standard":
        what = f"the time {f.step} took beyond its standard, summed, {span}"
    elif f.kind == "high_variance":
        measure = "waits before" if e["measure"] == "wait" else "times of"
        what = f"the {measure} {f.step} beyond their median, summed, {span}"
    elif f.kind in ("lead_time_shift", "step_wait_shift"):
        unit = "cases started" if f.kind == "lead_time_shift" else "waits begun"
        what = f"the {e['direction']} of the median, times the {unit} per week since the date"
    elif f.kind == "attribute_effect":
        what = (
            f"the difference of the medians, times the cases with {e['attribute']} = "
            f"{e['value']}, {span}"
        )
    elif f.kind == "handoff":
        what = f"the waits before {f.step} after a hand-over, summed, {span}"
    else:
        raise ValueError(f"unknown kind of finding: {f.kind!r}")
    return f"**{duration_text(f.at_stake_s)} a week** at stake: {plain(what)}."


def _chart_caption(f: Finding, frame: pl.DataFrame) -> str:
    e = f.evidence
    if f.kind == "bottleneck":
        return (
            f"Each bar: a step's share of all the waiting before steps ({int(frame['n'].sum()):,} "
            "waits); the coloured one is this finding's step."
        )
    if f.kind == "non_value_step":
        return (
            "Each bar: a step's share of all the time at steps (the wait before each and its "
            f"work, {int(frame['n'].sum()):,} instances); coloured: {f.step}."
        )
    if f.kind == "rework_loop":
        return (
            f"The share of the {e['cases_in_view']:,} cases in view that went back at least once."
        )
    if f.kind == "slower_than_standard":
        return (
            f"How long each of the {e['measured_instances']:,} measured instances took, with the "
            "standard (green) and the median (red)."
        )
    if f.kind == "high_variance":
        return (
            "Each bar: how many times its median a step's slowest 5% take (p95 ÷ median). The "
            f"dashed line is where “far above the other steps” begins for {f.step}, each step "
            "being compared with the others."
        )
    if f.kind in ("lead_time_shift", "step_wait_shift"):
        unit = "cases started" if f.kind == "lead_time_shift" else "waits begun"
        return (
            f"Each point: the median of the {unit} that week (hover for its n); thick lines: "
            "the level before and after the date found (dashed). Recent weeks are left out "
            "until they have been watched long enough, so open cases cannot pass for a change."
        )
    if f.kind == "attribute_effect":
        return (
            "Lead times of the cases in the test: the box holds the middle half, the line inside "
            f"is the median. A case slower than {duration_text(e['horizon_s'])}, or still open, "
            "counts as that long."
        )
    if f.kind == "handoff":
        n = dict(zip(frame["group"], frame["n"], strict=True))
        same = f" or stayed with the same person ({n['same person']:,})" if n["same person"] else ""
        return (
            f"The median wait before {f.step} when the work changed hands ({n['handed over']:,} "
            f"waits){same}, against the median wait before every step of the stream "
            f"({n['every step']:,} waits)."
        )
    raise ValueError(f"unknown kind of finding: {f.kind!r}")


def _badge(f: Finding) -> str:
    label = KIND_LABELS[f.kind]
    if f.kind == "attribute_effect":
        label = "Slower cases" if f.evidence["direction"] == "slower" else "Faster cases"
    return f":orange-badge[{label}]"


def _when(at: datetime | None) -> str:
    return "" if at is None else f"{moment_text(at)} UTC"


def _experiment_name(f: Finding) -> str:
    e = f.evidence
    if f.kind == "bottleneck":
        return f"Shorter wait before {f.step}"
    if f.kind == "rework_loop":
        return f"Fewer returns from {e['from_step']} to {e['to_step']}"
    if f.kind == "non_value_step":
        return f"Remove or shorten {f.step}"
    if f.kind == "slower_than_standard":
        return f"{f.step} back to its standard"
    if f.kind == "high_variance":
        return f"Steadier {'wait before' if e['measure'] == 'wait' else 'work at'} {f.step}"
    if f.kind == "lead_time_shift":
        return f"Lead time since {e['date']}"
    if f.kind == "step_wait_shift":
        return f"Wait before {f.step} since {e['date']}"
    if f.kind == "attribute_effect":
        return f"Cases with {e['attribute']} = {e['value']}"
    return f"Fewer hand-offs before {f.step}"


def _give(offering: str, f: Finding, verdict: str) -> None:
    """A Confirm or Dismiss button's callback: reads the card's note from the session."""
    note = st.session_state.get(f"fnd_note_{f.id}", "")
    try:
        give_verdict(
            warehouse(),
            finding_id=f.id,
            offering=offering,
            kind=f.kind,
            step=f.step,
            headline=f.headline,
            verdict=verdict,
            fingerprint=fingerprint(f),
            note=note,
        )
    except WarehouseError as exc:
        st.session_state[_ERROR] = (f.id, str(exc))
        return
    words = "Confirmed" if verdict == "confirmed" else "Dismissed: folded away at the bottom"
    st.session_state[_MESSAGE] = f"{words}. “{f.headline}”"


def _withdraw(finding_id: str, headline: str) -> None:
    try:
        withdraw_verdict(warehouse(), finding_id)
    except WarehouseError as exc:
        st.session_state[_ERROR] = (finding_id, str(exc))
        return
    st.session_state[_MESSAGE] = f"Verdict withdrawn: to review again. “{headline}”"


def messages() -> None:
    """What the last verdict did (set by the buttons' callbacks)."""
    if message := st.session_state.pop(_MESSAGE, None):
        st.success(plain(message), icon=":material/check:")


def _error_for(finding_id: str) -> None:
    error = st.session_state.get(_ERROR)
    if error and error[0] == finding_id:
        st.session_state.pop(_ERROR)
        st.error(plain(error[1]), icon=":material/error:")


def _verdict_line(r: Reviewed) -> None:
    if r.verdict is None:
        return
    who = f"by {plain(r.decided_by)} on {_when(r.decided_at)}"
    note = f": “{plain(r.note)}”" if r.note else ""
    if r.verdict == "confirmed":
        st.markdown(f":green[:material/verified: **Confirmed** {who}]{note}")
    if r.changes:
        since = "dismissed" if r.verdict == "dismissed" else "confirmed"
        extra = f" It was dismissed {who}{note}." if r.verdict == "dismissed" else ""
        st.warning(
            f"**The data changed since this was {since}:** {plain('; '.join(r.changes))}.{extra}",
            icon=":material/update:",
        )


def _cases_table(f: Finding, cases: pl.DataFrame) -> pl.DataFrame:
    """The cases behind a finding as shown: one duration unit for the table."""
    unit = table_unit(cases, ["figure_s", "lead_time_s"])
    figure = CASE_FIGURES[f.kind].format(step=f.step)
    columns: list[pl.Expr] = [pl.col("case_id").alias("Case")]
    if f.kind in ("lead_time_shift", "step_wait_shift"):
        columns += [
            pl.col("side")
            .replace_strict({"before": "before", "after": "since"})
            .alias("Before or since the date"),
            pl.col("week").alias("Week of"),
        ]
    columns += [
        in_unit("figure_s", unit).alias(unit_label(figure, unit)),
        pl.col("first_start").dt.date().alias("Started"),
        pl.col("completed").replace_strict({True: "yes", False: "no"}).alias("Completed"),
        in_unit("lead_time_s", unit).alias(unit_label("Lead time", unit)),
    ]
    return cases.select(columns)


CASES_OPEN = "fnd_cases_open_"
"""The key of a card's list of cases, before the finding's id: True while it is open."""


def cases_behind(of: OfferingFindings, f: Finding, front: Front) -> None:
    """The cases the finding concerns, in an expander: a sortable table and its CSV (the
    cases are read only once it is opened)."""
    offering = of.offering
    label = (
        f"The {front.rows:,} waits behind this ({front.cases:,} cases)"
        if f.kind == "step_wait_shift"
        else f"The {front.cases:,} cases behind this"
    )
    # Drawn only when opened: eight tables of thousands of cases each, sent with every
    # run of the page, took seconds of a big warehouse's first render.
    opened = st.expander(
        label, icon=":material/list:", key=f"{CASES_OPEN}{f.id}", on_change="rerun"
    )
    with opened:
        if not opened.open:
            return
        cases, _ = behind(of, f.id)
        table = _cases_table(f, cases)
        note = "Click a column's name to sort. Lead time is empty for cases still open."
        if f.kind in ("lead_time_shift", "attribute_effect"):
            note += (
                f" As tested: a case slower than {duration_text(f.evidence['horizon_s'])}, or "
                "still open, counts as that long."
            )
        if f.kind == "attribute_effect":
            note += (
                " Cases with no figure were not in the test: they started too recently to have "
                "been watched that long."
            )
        if table.height > MAX_ROWS:
            figure = CASE_FIGURES[f.kind].format(step=f.step)
            note += (
                f" Showing the {MAX_ROWS:,} with the largest {figure[0].lower()}{figure[1:]} "
                f"of the {table.height:,}; the CSV holds all of them."
            )
        st.caption(note)
        dates = {
            name: st.column_config.DateColumn(format="D MMM YYYY")
            for name in ("Started", "Week of")
        }
        st.dataframe(
            table.head(MAX_ROWS), hide_index=True, key=f"fnd_cases_{f.id}", column_config=dates
        )
        csv_download(table, f"finding-{slug(offering)}-{f.kind}-{f.id}", f"fnd_csv_{f.id}")


def _actions(offering: str, r: Reviewed) -> None:
    f = r.finding
    key = f"fnd_note_{f.id}"
    st.session_state.setdefault(key, r.note)
    with st.form(f"fnd_form_{f.id}", border=False):
        st.text_input(
            "Note",
            key=key,
            placeholder="Why? For example: not waste, a needed review",
            help="Asked when you dismiss a finding, optional when you confirm it: the next "
            "person reads it.",
        )
        again = bool(r.changes)
        refused = refused_here("verdict on finding")
        row = st.container(horizontal=True)
        if r.verdict != "confirmed" or again:
            row.form_submit_button(
                "Confirm again" if r.verdict == "confirmed" else "Confirm",
                key=f"fnd_confirm_{f.id}",
                disabled=refused is not None,
                icon=":material/check_circle:",
                help="Real, and worth acting on.",
                on_click=_give,
                args=(offering, f, "confirmed"),
            )
        if r.verdict != "dismissed" or again:
            row.form_submit_button(
                "Dismiss again" if r.verdict == "dismissed" else "Dismiss",
                key=f"fnd_dismiss_{f.id}",
                disabled=refused is not None,
                icon=":material/do_not_disturb_on:",
                help="Not worth acting on: say why in the note (for example: not waste, a "
                "needed review). It folds away until its data changes markedly.",
                on_click=_give,
                args=(offering, f, "dismissed"),
            )
        if r.verdict is not None:
            row.form_submit_button(
                "Withdraw the verdict",
                key=f"fnd_withdraw_{f.id}",
                icon=":material/undo:",
                disabled=refused is not None,
                on_click=_withdraw,
                args=(f.id, f.headline),
            )
    _error_for(f.id)
    if st.button(
        "Try a change on this",
        key=f"fnd_try_{f.id}",
        icon=":material/science:",
        help="Opens the Experiments page's “Try a change now” with this offering and finding.",
    ):
        prefill_try_a_change(offering, _experiment_name(f), f"Started from a finding: {f.headline}")
        st.switch_page("app_pages/experiments.py")


def card(of: OfferingFindings, r: Reviewed) -> None:
    """One finding: headline, evidence chart, its n, the time at stake, its cases, actions."""
    f = r.finding
    shown = front(of, f.id)
    frame = shown.chart
    with st.container(border=True, key=f"fnd_card_{f.id}"):
        st.markdown(f"{_badge(f)} **{plain(f.headline)}**")
        _verdict_line(r)
        left, right = st.columns([3, 2], gap="medium")
        with left:
            draw_chart(built(finding_chart, f.kind, frame, f.evidence, f.step), width="stretch")
            st.caption(plain(_chart_caption(f, frame)))
        with right:
            st.markdown(f"**Rests on:** {plain(rests_on(f))}")
            st.markdown(at_stake_words(f, of.weeks))
            recorded = f.evidence.get("recorded_change")
            if f.kind in ("lead_time_shift", "step_wait_shift") and recorded is None:
                st.markdown(
                    "**No change was recorded** near that date: if you know what changed, "
                    "record it on the Experiments page."
                )
            _actions(of.offering, r)
        cases_behind(of, f, shown)


def summary(of: OfferingFindings, rows: list[Reviewed]) -> None:
    """One line: how many findings, over how many cases, and how many are left to review."""
    confirmed = sum(r.verdict == "confirmed" for r in rows)
    folded = sum(r.folded for r in rows)
    to_review = sum(r.to_review for r in rows)
    st.markdown(
        f"**{len(rows)} findings** in the **{of.cases.height:,} cases** of {plain(of.offering)}"
        f"{_since_words(of)}, most important first (by the time at stake per week): {to_review} to review, "
        f"{confirmed} confirmed, {folded} dismissed."
    )


def empty(of: OfferingFindings) -> None:
    st.info(
        f"**Nothing stands out in {plain(of.offering)}** ({of.cases.height:,} cases"
        f"{_since_words(of)}). Checked: "
        f"{CHECKED}. Waste steps and standards come from the activity catalog (Data page): "
        "mark steps there and look again.",
        icon=":material/check_circle:",
    )


def _folded_item(r: Reviewed) -> None:
    f = r.finding
    st.markdown(f"{_badge(f)} {plain(f.headline)}")
    st.caption(plain(f"Dismissed by {r.decided_by} on {_when(r.decided_at)}: “{r.note}”"))
    st.button(
        "Bring it back (withdraw the dismissal)",
        key=f"fnd_withdraw_{f.id}",
        icon=":material/undo:",
        disabled=why_not("verdict on finding") is not None,
        on_click=_withdraw,
        args=(f.id, f.headline),
    )
    _error_for(f.id)


def _gone_item(row: dict[str, Any]) -> None:
    st.markdown(f":gray[{plain(row['headline'])}]")
    st.caption(
        plain(
            f"{row['verdict'].capitalize()} by {row['decided_by']} on {_when(row['decided_at'])}"
            + (f": “{row['note']}”" if row["note"] else "")
            + ". The data no longer shows this finding."
        )
    )
    st.button(
        "Forget this verdict",
        key=f"fnd_withdraw_{row['finding_id']}",
        icon=":material/delete:",
        disabled=why_not("verdict on finding") is not None,
        on_click=_withdraw,
        args=(row["finding_id"], row["headline"]),
    )


def folded(of: OfferingFindings, rows: list[Reviewed]) -> None:
    """The dismissed findings whose data has not changed markedly, and verdicts on findings
    the data no longer shows, folded away at the bottom."""
    dismissed = [r for r in rows if r.folded]
    shown = {r.finding.id for r in rows}
    gone = recorded_verdicts(of.offering).filter(~pl.col("finding_id").is_in(list(shown)))
    if not dismissed and gone.height == 0:
        return
    parts = [f"Dismissed ({len(dismissed)})"] if dismissed else []
    if gone.height:
        parts.append(f"verdicts on findings no longer found ({gone.height})")
    label = " and ".join(parts)
    label = label[0].upper() + label[1:]
    with st.expander(label, icon=":material/visibility_off:"):
        st.caption(
            "A dismissed finding stays here until the data behind it changes markedly: its "
            "time at stake or its key figure moves by more than a quarter, or the number of "
            "cases or waits it rests on doubles or halves. Then it comes back as a card."
        )
        for r in dismissed:
            _folded_item(r)
        for row in gone.iter_rows(named=True):
            _gone_item(row)


def _since_words(of: OfferingFindings) -> str:
    return "" if of.since is None else f" started since {since_text(of.since)}"


def since_text(since: datetime) -> str:
    """The day the findings look from ('3 Aug 2026'), or the moment where they look from
    within a day."""
    return day_text(since.date()) if since.time() == time() else moment_text(since)


def latest_cases_words(offering: str, seen: Looked) -> str:
    """What the Findings page says of an offering whose latest cases only are looked through."""
    assert seen.since is not None
    return (
        f"{plain(offering)} has {seen.all_steps:,} steps: more than the {findings_limit():,} "
        "the findings look through on this server (they hold every step they look at, and "
        "the server's memory is everyone's). So they look at its latest cases: the "
        f"**{seen.cases:,} cases started since {since_text(seen.since)}** "
        f"({seen.steps:,} steps), which hold its most recent weeks. An administrator can "
        "raise the limit (`VSM_FINDINGS_MAX_STEPS`) on a server with about 1 GB of memory "
        "to spare per million steps."
    )


def findings_page(offering: str) -> None:
    """Every card of the offering, then the folded ones."""
    seen = looked(offering)
    if seen.since is not None:
        st.info(latest_cases_words(offering, seen), icon=":material/memory:")
    of = findings_for(offering).read_once()
    rows = reviewed(of)
    messages()
    if not rows:
        empty(of)
    else:
        summary(of, rows)
        shown = [r for r in rows if not r.folded]
        if len(shown) > MAX_CARDS and not st.toggle(
            f"Show all {len(shown)} findings",
            key="fnd_show_all",
            help=f"The {MAX_CARDS} most important are shown; the others touch less time.",
        ):
            shown = shown[:MAX_CARDS]
        for r in shown:
            card(of, r)
    folded(of, rows)


def top_finding_line(offering: str) -> None:
    """One line for a Stream health tile: the offering's top finding still to review, with a
    link to the Findings page."""
    of = findings_soon(offering)
    if of is None:
        _awaiting_findings(offering)
        return
    rows = reviewed(of)
    top = top_to_review(rows)
    text, link = st.columns([5, 1])
    if top is not None:
        text.caption(f"**Top finding to review{_in_since(of)}:** {plain(top.finding.headline)}")
    elif rows:
        confirmed = sum(r.verdict == "confirmed" for r in rows)
        text.caption(
            f"**Findings:** all {len(rows)} reviewed ({confirmed} confirmed, "
            f"{len(rows) - confirmed} dismissed)."
        )
    else:
        text.caption(
            f"**Findings:** nothing stands out in its {of.cases.height:,} cases{_since_words(of)}."
        )
    _findings_link(link, offering)


def _in_since(of: OfferingFindings) -> str:
    """(in the cases started since ...) where the findings looked at the latest cases."""
    return "" if of.since is None else f" (in the cases{_since_words(of)})"


@st.fragment(run_every=2)
def _awaiting_findings(offering: str) -> None:
    """The tile's findings line while they are looked for; the page runs again when
    they are found."""
    with page_run():  # a run of its own every two seconds, not through app.py
        if findings_soon(offering) is not None:
            st.rerun()
        text, link = st.columns([5, 1])
        text.caption(
            "**Findings:** looking for them in the background (this warehouse is big); they "
            "appear here when found."
        )
        _findings_link(link, offering)


def _findings_link(column: Any, offering: str) -> None:
    column.page_link(
        PAGE,
        label="Findings",
        icon=":material/lightbulb:",
        query_params={"p_offering": offering},
    )
