"""Forecasts on the pages: when the cases in progress will likely be done.

Stream health shows, per offering, when its cases in progress now will likely all be
done (metrics.forecast.forecast_items: Monte Carlo over the last 90 days' daily
throughput, seeded, so every visit shows the same dates). The Waits page adds, per
open case, the date by which it is likely done (metrics.forecast.likely_done_by).
Both rest on every case of the offering, not on the sidebar's view: a forecast is
about the stream as it stands at its latest event.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from metrics.forecast import DEFAULT_HISTORY_DAYS, DEFAULT_RUNS, forecast_items, likely_done_by
from ui.format import day_text, explain
from ui.resources import data_version, warehouse
from ui.views import current_at, derived_at, offerings_of
from warehouse.mapped import folder_of, held

LIKELY_DONE = "Likely done by (85%)"
LIKELY_DONE_COLUMN: dict[str, Any] = {
    LIKELY_DONE: st.column_config.DateColumn(
        LIKELY_DONE,
        format="D MMM YYYY",
        help="85% of the finished cases of this offering that were once as old as this one "
        "were done by this date (counted from its first start). Empty where fewer than 5 "
        "finished cases took that long.",
    )
}
"""The column_config entry of the column `with_likely_done` adds."""


@st.cache_data(show_spinner=False, max_entries=16)
def _forecast(path: str, version: str, offering: str) -> dict[str, Any] | None:
    d = derived_at(path, version)
    cases = d.cases.filter(pl.col("offering") == offering)
    open_now = int((~cases["completed"]).sum())
    if open_now == 0:
        return None
    return forecast_items(cases.lazy(), open_now, now=d.now, offering=offering)


def forecast_line(offering: str) -> None:
    """'The 40 cases in progress: 85% likely done by 12 Dec 2026', with how it is known."""
    wh = warehouse()
    figures = _forecast(str(wh.path), data_version(wh), offering)
    if figures is None:
        st.caption("**Forecast:** no case is in progress.")
        return
    n, history = figures["items"], figures["history"]
    done_by = figures["done_by"]
    help_text = explain(
        "forecast_done_by",
        history["completed_cases"],
        unit=f"cases completed in the last {figures['history_days']} days "
        f"({history['from']} to {history['to']})",
        extra=f"Assumes the {n:,} cases in progress now (at the latest event, {history['to']}) "
        "are the next to finish, at the pace of those days: "
        f"{figures['throughput_per_day']['mean']:.1f} a day on average. "
        f"{DEFAULT_RUNS:,} simulated runs, seeded: the same data gives the same dates.",
    )
    if done_by["p85"] is None:
        st.caption(
            f"**Forecast:** the {n:,} cases in progress: no date, since none was completed in "
            f"the last {DEFAULT_HISTORY_DAYS} days.",
            help=help_text,
        )
        return

    def day(text: str) -> str:
        return day_text(date.fromisoformat(text))

    st.caption(
        f"**Forecast:** the {n:,} cases in progress: 85% likely done by "
        f"**{day(done_by['p85'])}** (50% by {day(done_by['p50'])}, 95% by "
        f"{day(done_by['p95'])}).",
        help=help_text,
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _likely(path: str, version: str, offering: str) -> pl.DataFrame:
    """The offering's open cases with the day each is 85% likely done by: its own
    completed cases are their basis, so the other offerings are left out. A row per open
    case, shared by every session and kept in a file mapped into memory where it is big
    (`warehouse.mapped.held`)."""
    d = derived_at(path, version)
    if d.now is None:
        return pl.DataFrame(
            schema={"offering": pl.String, "case_id": pl.String, "likely_done_p85": pl.Date}
        )
    cases = d.cases.lazy().filter(pl.col("offering") == offering)
    dated = likely_done_by(cases, d.now, d.clock).select(
        "offering", "case_id", pl.col("likely_done_p85").dt.date()
    )
    return held(dated, folder_of(path))


def read_ahead(path: str) -> int:
    """The open cases' dates of the offering the Waits page opens on (the first), and
    every offering's forecast (Stream health's tiles), ahead of those pages (ui.serve does
    it once the server is up): a third of a second of the Waits page's first run at ten
    million events, a tenth of Stream health's. Returns how many open cases it dated."""
    version, d = current_at(path)
    offerings = offerings_of(d)
    for offering in offerings:
        _forecast(path, version, offering)
    return _likely(path, version, offerings[0]).height if offerings else 0


def with_likely_done(table: pl.DataFrame, offering: str, case_column: str = "Case") -> pl.DataFrame:
    """`table` (one row per open case of `offering`, its id in `case_column`) with the date
    by which each is 85% likely done (LIKELY_DONE_COLUMN)."""
    wh = warehouse()
    likely = _likely(str(wh.path), data_version(wh), offering).select(
        pl.col("case_id").alias(case_column), pl.col("likely_done_p85").alias(LIKELY_DONE)
    )
    return table.join(likely, on=case_column, how="left", maintain_order="left")
