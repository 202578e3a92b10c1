"""Cached metric frames for the pages.

Deriving every case (order, waits, lead and process time) is the only costly
step; it runs once per data version of the warehouse and is shared by every
page and session. A filtered view is then a semi-join plus a few group-bys,
cached by the filter's plain values.

These caches are `st.cache_resource`, not `st.cache_data`: cache_data pickles a
value and unpickles a fresh copy on every hit, which for a million-row frame
costs more than the page itself. Polars frames are immutable, so sessions can
share one safely; the keys are still plain values (file, data version, filter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
import streamlit as st

from metrics.derived import derive_all
from metrics.filters import CaseFilter, apply_filters, attribute_names, attribute_values
from metrics.selection import VARIANT_SEPARATOR
from metrics.variants import variants
from metrics.working_time import REAL_TIME, Calendar, Clock, calendar_problems
from ui.filters import FilterChoices
from ui.resources import data_version, open_warehouse, warehouse
from warehouse.calendars import calendars_on


@dataclass(frozen=True)
class Derived:
    """Every case of the warehouse (metrics.derived) and its events (for attribute filters).

    `calendars` are the calendars that are on, by offering: those offerings' durations
    count working time only (`clock` reads it), the others' elapsed time."""

    events: pl.DataFrame
    instances: pl.DataFrame
    cases: pl.DataFrame
    now: datetime | None
    clock: Clock = REAL_TIME
    calendars: Mapping[str, Calendar] = field(default_factory=dict)

    def now_of(self, offering: str) -> datetime | None:
        """The "now" of one offering: its own latest event (a historical log beside live
        data ages its open cases up to its own end, not to today's data)."""
        value = self.cases.filter(pl.col("offering") == offering)["last_end"].max()
        return value if isinstance(value, datetime) else None


def _calendars(path: str) -> dict[str, Calendar]:
    """The calendars that are on, by offering (one stored before a stricter release
    that no longer passes is left off rather than stopping every page)."""
    stored = calendars_on(open_warehouse(path))
    return {o: Calendar.from_json(c) for o, c in stored.items() if not calendar_problems(c)}


@st.cache_resource(show_spinner="Computing the streams...", max_entries=2)
def _derive(path: str, version: str) -> Derived:
    wh = open_warehouse(path)
    events = wh.events()
    on = _calendars(path)
    d = derive_all(events, wh.catalog(), wh.open_items(), calendar=on or None)
    return Derived(events, d.instances, d.cases, d.now, d.clock, on)


def derived() -> Derived:
    """Every case of the warehouse, derived once per data version."""
    wh = warehouse()
    return _derive(str(wh.path), data_version(wh))


@st.cache_resource(show_spinner=False, max_entries=6, hash_funcs={CaseFilter: repr})
def _view(path: str, version: str, spec: CaseFilter) -> tuple[pl.DataFrame, pl.DataFrame]:
    d = _derive(path, version)
    instances, cases = apply_filters(d.instances.lazy(), d.cases.lazy(), spec, d.events.lazy())
    return instances.collect(), cases.collect()


def view(spec: CaseFilter) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(instances, cases) of the cases the filter selects."""
    wh = warehouse()
    return _view(str(wh.path), data_version(wh), spec)


@st.cache_resource(show_spinner=False, max_entries=2)
def _attribute_names(path: str, version: str) -> list[str]:
    return attribute_names(_derive(path, version).events)


@st.cache_resource(show_spinner="Reading the attribute's values...", max_entries=16)
def _attribute_values(path: str, version: str, name: str) -> list[str]:
    return attribute_values(_derive(path, version).events, name)["value"].to_list()


@st.cache_resource(show_spinner=False, max_entries=2)
def _top_variants(path: str, version: str, n: int = 30) -> list[str]:
    frame = variants(_derive(path, version).cases.lazy(), by=()).head(n).collect()
    return [VARIANT_SEPARATOR.join(v) for v in frame["variant"].to_list() if v]


def filter_choices() -> FilterChoices:
    """The "More filters" of the sidebar, each computed once per data version, and the
    attribute values only for the attribute a person picks."""
    wh = warehouse()
    path, version = str(wh.path), data_version(wh)
    return FilterChoices(
        attributes=lambda: _attribute_names(path, version),
        values=lambda name: _attribute_values(path, version, name),
        variants=lambda: _top_variants(path, version),
    )
