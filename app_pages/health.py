"""Which of our value streams are healthy, and are they getting better or worse?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.context import dashboard_context, filtered_view
from ui.health_screen import (
    all_offerings_table,
    bounds_of,
    health_frame,
    offering_tiles,
    period_words,
    trend,
)
from ui.pending import await_pending, steps_of

st.title("Stream health")
d, filters = dashboard_context()
working_time_caption(d, filters.offerings)
# Every case of the offerings in view: a period is compared with the period before it.
_, cases = filtered_view(filters, all_time=True)
bounds = bounds_of(filters)
st.caption(
    f"Each offering's figures are over {period_words(filters)}; the small figure under each "
    "number is the change against the same number of days just before it (green is better, "
    "red is worse). Hover a number for its definition and how many cases it rests on; the "
    "links under the numbers open those cases."
)
rows, pending, stored = health_frame(cases, filters)
offering_tiles(rows, bounds, steps_of(cases, pending))
if pending:
    await_pending(pending, stored)
st.subheader("All offerings")
all_offerings_table(rows)
st.subheader("Weekly median lead time")
trend(filters.all_time(), sorted(d.cases["offering"].unique().to_list()))
