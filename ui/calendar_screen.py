"""Working time in the app: the Data page's calendar editor, and the note every page shows
when the durations it draws count working hours only.

An offering's calendar (docs/REDESIGN.md, Working time) is stored in the warehouse
(warehouse.calendars) with an on/off switch. While it is on, ui.views derives that
offering's cases on its working clock: every duration on every page counts working
time, and the pages say so (`working_time_caption`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import available_timezones

import streamlit as st

from metrics.working_time import WEEKDAYS, Calendar, calendar_problems
from ui.access import refused_here
from ui.format import moment_text, plain, time_basis_note
from ui.resources import on_request, warehouse
from ui.views import Derived, warehouse_facts
from warehouse import WarehouseError
from warehouse.calendars import get_calendar, save_calendar

DAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)
DEFAULT: dict[str, Any] = {
    "timezone": "UTC",
    "hours": {
        **{day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]},
        "sat": [],
        "sun": [],
    },
    "holidays": [],
}
"""A new calendar starts as office hours, Monday to Friday, in UTC: change the zone."""

_PERIOD = re.compile(r"^\s*(\S+?)\s*(?:-|–|—|to)\s*(\S+)\s*$")


def working_time_caption(d: Derived, offerings: Sequence[str]) -> None:
    """Say so under the page's title when the durations of `offerings` count working time."""
    if note := time_basis_note(d.calendars, offerings):
        st.caption(note)


def periods_text(periods: Sequence[Sequence[str]]) -> str:
    """[["09:00", "12:30"], ["13:00", "17:00"]] → '09:00-12:30, 13:00-17:00'."""
    return ", ".join(f"{a}-{b}" for a, b in periods)


def parse_periods(day: str, text: str) -> list[list[str]]:
    """A weekday's working hours as typed ('09:00-12:30, 13:00-17:00'; empty for a day off);
    ValueError naming the day and the part that is not a period."""
    periods = []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        match = _PERIOD.match(part)
        if match is None:
            raise ValueError(
                f"{DAY_NAMES[day]}: “{part.strip()}” is not a period such as 09:00-17:00."
            )
        periods.append([match[1], match[2]])
    return periods


def _seed(offering: str) -> None:
    """Fill the editor with the offering's stored calendar (or office hours, off)."""
    stored = get_calendar(warehouse(), offering)
    document = stored.definition if stored else DEFAULT
    hours = document.get("hours", {})
    st.session_state.update(
        cal_for=offering,
        cal_on=bool(stored and stored.is_on),
        cal_timezone=document.get("timezone", "UTC"),
        cal_holidays="\n".join(document.get("holidays", [])),
        **{f"cal_{day}": periods_text(hours.get(day, [])) for day in WEEKDAYS},
    )


def _document() -> tuple[dict[str, Any] | None, list[str]]:
    """The calendar the widgets describe, and every problem with it."""
    ss = st.session_state
    problems: list[str] = []
    hours: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        try:
            hours[day] = parse_periods(day, ss[f"cal_{day}"])
        except ValueError as exc:
            problems.append(str(exc))
    holidays = [text for text in re.split(r"[\s,;]+", ss["cal_holidays"]) if text]
    document = {"timezone": ss["cal_timezone"], "hours": hours, "holidays": holidays}
    if problems:
        return None, problems
    problems = calendar_problems(document)
    return (None if problems else document), problems


def _save(offering: str) -> None:
    document, problems = _document()
    ss = st.session_state
    if document is None:
        ss["cal_error"] = "Not saved: " + " ".join(problems)
        return
    try:
        with on_request():  # derives the offering again
            save_calendar(warehouse(), offering, document, on=ss["cal_on"])
    except WarehouseError as exc:
        ss["cal_error"] = str(exc)
        return
    ss["cal_saved"] = (
        f"Saved. Every page now counts {plain(offering)}'s durations in working time."
        if ss["cal_on"]
        else f"Saved, switched off: {plain(offering)}'s durations count elapsed time."
    )


def calendar_screen() -> None:
    """The Working time tab: one offering's calendar (time zone, hours per weekday,
    holidays) and its on/off switch."""
    offerings = list(warehouse_facts().offerings)
    st.caption(
        "With a calendar on, every duration of the offering (lead, process and wait time, "
        "the waits before steps, ages) counts only its working hours, in its time zone, "
        "without holidays; clock changes count as they happen. Off by default."
    )
    if not offerings:
        st.info("Import an event log first: a calendar belongs to an offering.")
        return
    ss = st.session_state
    offering = st.selectbox("Offering", offerings, key="cal_offering")
    if ss.get("cal_for") != offering:
        _seed(offering)
    stored = get_calendar(warehouse(), offering)
    st.caption(
        f"Saved {moment_text(stored.saved_at)} UTC by {plain(stored.saved_by)}; "
        f"{'on' if stored.is_on else 'off'}."
        if stored
        else f"No calendar saved for {plain(offering)} yet: below are office hours to start from."
    )
    st.toggle(
        "Count working time only",
        key="cal_on",
        help="On: durations count only the hours below. Off: elapsed time (the hours are kept).",
    )
    zones = sorted(available_timezones())
    st.selectbox(
        "Time zone",
        zones,
        key="cal_timezone",
        help="The zone the working hours and holidays are read in.",
    )
    st.markdown("**Working hours** (e.g. `09:00-12:30, 13:00-17:00`; empty for a day off)")
    cols = st.columns(7)
    for col, day in zip(cols, WEEKDAYS, strict=True):
        col.text_input(DAY_NAMES[day], key=f"cal_{day}")
    st.text_area(
        "Holidays (one date per line, YYYY-MM-DD)",
        key="cal_holidays",
        height=100,
        help="Whole local dates without work.",
    )
    document, problems = _document()
    if problems:
        st.warning("\n".join(f"- {plain(p)}" for p in problems), icon=":material/rule:")
    else:
        assert document is not None
        calendar = Calendar.from_json(document)
        st.caption(
            f"{calendar.weekly_hours:g} working hours a week, "
            f"{len(calendar.holidays)} holiday{'s' if len(calendar.holidays) != 1 else ''}."
        )
    refused = refused_here("save calendar")
    st.button(
        "Save calendar",
        key="cal_save",
        icon=":material/save:",
        on_click=_save,
        args=(offering,),
        disabled=bool(problems) or refused is not None,
    )
    if message := ss.pop("cal_saved", None):
        st.success(message, icon=":material/check:")
    if error := ss.pop("cal_error", None):
        st.error(plain(error), icon=":material/error:")
    if document is not None:
        with st.expander("As a file for the command line"):
            text = json.dumps(document, indent=2)
            # Said in words rather than shown: a code block loads the browser's syntax
            # highlighter, a third of a second of every Data page's first render.
            st.caption(
                "The calendar above (time zone, working hours, holidays) as a JSON file, for "
                "`python -m metrics.report --offering ... --calendar calendar.json`."
            )
            st.download_button(
                "Download calendar.json",
                text,
                file_name="calendar.json",
                on_click="ignore",  # a download changes nothing: no rerun
                mime="application/json",
                key="cal_download",
                icon=":material/download:",
            )
