"""The shared sidebar filters: offerings, time window, completed-only, kept in the URL.

The filters live in the query string (`?offering=A&offering=B&period=90d&window=started
&completed=1`), so a link reproduces the view. A copy is kept in the session so the
filters survive a visit to a page that does not show them (the Data page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from metrics.filters import CaseFilter, WindowMode
from metrics.selection import VARIANT_SEPARATOR
from model.limits import EARLIEST_TIME, LATEST_TIME
from ui.format import plain
from ui.widgets import url_notice

PERIODS = {
    "all": "All time",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "180d": "Last 6 months",
    "365d": "Last 12 months",
    "custom": "Custom dates",
}
MODES: dict[str, str] = {
    "intersecting": "were in progress in the window",
    "started": "started in the window",
    "completed": "completed in the window",
}
_SAVED = "_view_filters"
SIDEBAR_VIEW = "_sidebar_view"
"""The session's view as the sidebar chose it (`ViewFilters.spec()`, every offering in
it), kept for the work the app does ahead of the pages (ui.views.view_ahead)."""
_NOTICES = "_url_filter_notices"
# The days a window may span: those a stored time may have (model.limits).
_EARLIEST, _LATEST = EARLIEST_TIME.date(), LATEST_TIME.date() - timedelta(days=1)


@dataclass(frozen=True)
class ViewFilters:
    offerings: tuple[str, ...]
    start: date | None  # custom dates (the same for every offering)
    end: date | None  # inclusive last day
    mode: WindowMode
    completed_only: bool
    days: int | None = None  # the last N days up to each offering's own latest event
    attribute: str | None = None  # cases with an event whose attribute has one of `values`
    values: tuple[str, ...] = ()
    variants: tuple[tuple[str, ...], ...] = ()  # only cases that follow one of these

    def spec(self, offerings: tuple[str, ...] | None = None) -> CaseFilter:
        """The metrics filter; `offerings` narrows the view (one page, one offering)."""
        return CaseFilter(
            offerings=offerings if offerings is not None else self.offerings,
            window_start=datetime.combine(self.start, time(), UTC) if self.start else None,
            window_end=datetime.combine(self.end + timedelta(days=1), time(), UTC)
            if self.end
            else None,
            window_days=self.days,
            # Without a window the mode selects nothing: the view is every case's (whose
            # figures are stored), whichever mode the sidebar last showed.
            window_mode=self.mode if self.has_window else "intersecting",
            completed_only=self.completed_only,
            attributes={self.attribute: self.values} if self.attribute and self.values else {},
            variants=self.variants or None,
        )

    def all_time(self, offerings: tuple[str, ...] | None = None) -> CaseFilter:
        """The same offerings, every case (a page that cuts its own periods, such as
        Stream health, needs the period before the window too)."""
        return CaseFilter(offerings=offerings if offerings is not None else self.offerings)

    @property
    def has_window(self) -> bool:
        return self.days is not None or self.start is not None or self.end is not None

    def describe(self) -> str:
        parts = []
        if self.days is not None:
            window = MODES[self.mode].replace("the window", f"the last {self.days} days")
            parts.append(f"cases that {window}, up to each offering's own latest event")
        elif self.start or self.end:
            parts.append(f"cases that {MODES[self.mode]} {self.start or '…'} to {self.end or '…'}")
        else:
            parts.append("all cases")
        if self.completed_only:
            parts.append("completed only")
        if self.attribute and self.values:
            parts.append(f"{self.attribute} is {' or '.join(self.values)}")
        if self.variants:
            parts.append(
                f"{len(self.variants)} chosen variant{'s' if len(self.variants) > 1 else ''}"
            )
        return ", ".join(parts)


def _from_url(offerings: list[str]) -> dict[str, object]:
    """The filters a link carries, each checked: a value the page cannot use (an offering
    no longer in the warehouse, a date before 1970, garbage) gives way to the default, and
    a notice under the filters says which."""
    q = st.query_params
    unknown = [o for o in q.get_all("offering") if o not in offerings]
    chosen = [o for o in q.get_all("offering") if o in offerings] or list(offerings)
    period = q.get("period", "all")
    mode = q.get("window", "intersecting")
    notices: list[tuple[str, str, str]] = [
        ("offering", o, "it is not in the warehouse") for o in unknown
    ]
    if period not in PERIODS:
        notices.append(("period", period, "showing all time"))
    if mode not in MODES:
        notices.append(("window", mode, "showing cases in progress in the window"))
    if q.get("completed", "0") not in ("0", "1"):
        notices.append(("completed", q.get("completed", ""), "showing every case"))

    def day(key: str) -> date | None:
        text = q.get(key)
        if text is None:
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            notices.append((key, text, "not a date (YYYY-MM-DD)"))
            return None
        if not _EARLIEST <= value <= _LATEST:
            notices.append((key, text, f"outside {_EARLIEST.year} to {_LATEST.year}"))
            return None
        return value

    found: dict[str, object] = {
        "f_offerings": chosen,
        "f_period": period if period in PERIODS else "all",
        "f_from": day("from"),
        "f_to": day("to"),
        "f_mode": mode if mode in MODES else "intersecting",
        "f_completed": q.get("completed") == "1",
        "f_attribute": q.get("attr") or None,
        "f_values": q.get_all("attr_value"),
        "f_variants": q.get_all("variant"),
    }
    st.session_state[_NOTICES] = notices
    return found


@dataclass(frozen=True)
class FilterChoices:
    """What the "More filters" offer: attribute names, an attribute's values (on demand),
    and the most frequent variants, as labels "A → B → C"."""

    attributes: Callable[[], list[str]]
    values: Callable[[str], list[str]]
    variants: Callable[[], list[str]]


def sidebar_filters(
    offerings: list[str], latest: datetime | None, choices: FilterChoices | None = None
) -> ViewFilters:
    """Draw the filters in the sidebar and return what they select."""
    ss = st.session_state
    last_day = (latest or datetime.now(UTC)).date()
    if _SAVED not in ss:
        ss[_SAVED] = _from_url(offerings)
        ss[_SAVED]["f_from"] = ss[_SAVED]["f_from"] or max(_EARLIEST, last_day - timedelta(days=89))
        ss[_SAVED]["f_to"] = ss[_SAVED]["f_to"] or min(_LATEST, last_day)
    for key, value in ss[_SAVED].items():
        if key not in ss:
            ss[key] = value
    ss["f_offerings"] = [o for o in ss["f_offerings"] if o in offerings]
    with st.sidebar:
        st.markdown("**Filters** (shared by every page; the link keeps them)")
        for param, value, why in ss.pop(_NOTICES, []):
            url_notice(param, value, f"{why}: the filter shows its default")
        chosen = st.multiselect(
            "Offerings",
            offerings,
            key="f_offerings",
            help="The value streams in view. Empty means all of them.",
        )
        period = st.selectbox(
            "Time window",
            list(PERIODS),
            key="f_period",
            format_func=PERIODS.__getitem__,
            help="A relative period (the last 30 days, ...) ends at each offering's own latest "
            "event, so a historical log keeps its own last days beside live data.",
        )
        start = end = None
        days = None
        if period == "custom":
            start = st.date_input("From", key="f_from", min_value=_EARLIEST, max_value=_LATEST)
            end = st.date_input(
                "To (inclusive)", key="f_to", min_value=_EARLIEST, max_value=_LATEST
            )
        elif period != "all":
            days = int(period.rstrip("d"))
        mode = st.selectbox(
            "Show cases that",
            list(MODES),
            key="f_mode",
            format_func=MODES.__getitem__,
            disabled=period == "all",
            help="Which cases a time window selects: in progress at some point of it, "
            "started in it, or completed in it.",
        )
        completed = st.toggle(
            "Completed cases only",
            key="f_completed",
            help="Lead, process and wait times always use completed cases; this also "
            "drops open cases from counts, rework and variants.",
        )
        attribute, values, variants = _more_filters(choices)
    filters = ViewFilters(
        offerings=tuple(chosen or offerings),
        start=start,
        end=end,
        mode=mode,  # type: ignore[arg-type]
        completed_only=completed,
        days=days,
        attribute=attribute,
        values=tuple(values),
        variants=tuple(tuple(v.split(VARIANT_SEPARATOR)) for v in variants),
    )
    ss[_SAVED] = {
        k: ss[k]
        for k in (
            "f_offerings",
            "f_period",
            "f_from",
            "f_to",
            "f_mode",
            "f_completed",
            "f_attribute",
            "f_values",
            "f_variants",
        )
        if k in ss
    }
    ss[SIDEBAR_VIEW] = filters.spec()
    _to_url(filters, period, chosen, offerings)
    return filters


def _more_filters(choices: FilterChoices | None) -> tuple[str | None, list[str], list[str]]:
    """An attribute and its values, and variants: cases that match all of them."""
    ss = st.session_state
    if choices is None:
        return None, [], []
    active = bool(ss.get("f_attribute") or ss.get("f_variants"))
    with st.expander("More filters: attributes, variants", expanded=active):
        names = choices.attributes()
        if ss.get("f_attribute") not in (None, *names):
            ss["f_attribute"] = None
        attribute = st.selectbox(
            "Attribute",
            [None, *names],
            key="f_attribute",
            format_func=lambda n: "(none)" if n is None else n,
            help="Keep the cases with an event whose attribute (a column of the imported "
            "file, or the resource) has one of the values chosen.",
        )
        values: list[str] = []
        if attribute:
            options = choices.values(attribute)
            ss["f_values"] = [v for v in ss.get("f_values", []) if v in options]
            if not options:
                st.caption(f"{plain(attribute)} has too many different values to filter on.")
            values = st.multiselect("Values", options, key="f_values")
        offered = choices.variants()
        ss["f_variants"] = [v for v in ss.get("f_variants", []) if v in offered]
        variants = st.multiselect(
            "Variants",
            offered,
            key="f_variants",
            help="Keep only the cases that took exactly one of these paths (the most "
            "frequent variants of the offerings in view).",
        )
    return attribute, values, variants


def _to_url(f: ViewFilters, period: str, chosen: list[str], offerings: list[str]) -> None:
    params: dict[str, str | list[str]] = {}
    if chosen and set(chosen) != set(offerings):
        params["offering"] = list(chosen)
    if period != "all":
        params["period"] = period
        params["window"] = f.mode
    if period == "custom" and f.start and f.end:
        params["from"], params["to"] = f.start.isoformat(), f.end.isoformat()
    if f.completed_only:
        params["completed"] = "1"
    if f.attribute:
        params["attr"] = f.attribute
        if f.values:
            params["attr_value"] = list(f.values)
    if f.variants:
        params["variant"] = [VARIANT_SEPARATOR.join(v) for v in f.variants]
    keep = {k: st.query_params.get_all(k) for k in st.query_params if k.startswith("p_")}
    st.query_params.from_dict({**params, **keep})
