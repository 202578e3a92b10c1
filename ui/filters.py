"""The shared sidebar filters: offerings, time window, completed-only, kept in the URL.

The filters live in the query string (`?offering=A&offering=B&period=90d&window=started
&completed=1`), so a link reproduces the view. A copy is kept in the session so the
filters survive a visit to a page that does not show them (the Data page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from metrics.filters import CaseFilter, WindowMode
from model.limits import EARLIEST_TIME, LATEST_TIME
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
_NOTICES = "_url_filter_notices"
# The days a window may span: those a stored time may have (model.limits).
_EARLIEST, _LATEST = EARLIEST_TIME.date(), LATEST_TIME.date() - timedelta(days=1)


@dataclass(frozen=True)
class ViewFilters:
    offerings: tuple[str, ...]
    start: date | None
    end: date | None  # inclusive last day
    mode: WindowMode
    completed_only: bool

    def spec(self, offerings: tuple[str, ...] | None = None) -> CaseFilter:
        """The metrics filter; `offerings` narrows the view (one page, one offering)."""
        return CaseFilter(
            offerings=offerings if offerings is not None else self.offerings,
            window_start=datetime.combine(self.start, time(), UTC) if self.start else None,
            window_end=datetime.combine(self.end + timedelta(days=1), time(), UTC)
            if self.end
            else None,
            window_mode=self.mode,
            completed_only=self.completed_only,
        )

    def describe(self) -> str:
        parts = []
        if self.start or self.end:
            parts.append(f"cases that {MODES[self.mode]} {self.start or '…'} to {self.end or '…'}")
        else:
            parts.append("all cases")
        if self.completed_only:
            parts.append("completed only")
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
    }
    st.session_state[_NOTICES] = notices
    return found


def sidebar_filters(offerings: list[str], latest: datetime | None) -> ViewFilters:
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
            help=f"Relative periods end at the latest event in the data ({last_day}).",
        )
        start = end = None
        if period == "custom":
            start = st.date_input("From", key="f_from", min_value=_EARLIEST, max_value=_LATEST)
            end = st.date_input(
                "To (inclusive)", key="f_to", min_value=_EARLIEST, max_value=_LATEST
            )
        elif period != "all":
            end = last_day
            start = last_day - timedelta(days=int(period.rstrip("d")) - 1)
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
    filters = ViewFilters(
        offerings=tuple(chosen or offerings),
        start=start,
        end=end,
        mode=mode,  # type: ignore[arg-type]
        completed_only=completed,
    )
    ss[_SAVED] = {
        k: ss[k] for k in ("f_offerings", "f_period", "f_from", "f_to", "f_mode", "f_completed")
    }
    _to_url(filters, period, chosen, offerings)
    return filters


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
    keep = {k: st.query_params.get_all(k) for k in st.query_params if k.startswith("p_")}
    st.query_params.from_dict({**params, **keep})
