"""Did the change make work flow faster, or did the queue only move somewhere else?"""

import streamlit as st

from ui.calendar_screen import working_time_caption
from ui.experiment_future_state import future_state_block
from ui.experiments_screen import (
    INTRO,
    charts,
    choose,
    comparison,
    context,
    edit,
    header,
    messages,
    overview,
    tiles,
    try_a_change,
    verdict,
    window_links,
)
from ui.format import plain

st.title("Experiments")
st.caption(INTRO)
d = context()
messages()
records = overview()
try_a_change(d, open_by_default=records.height == 0)
chosen = choose(records)
if chosen is not None:
    header(chosen)
    working_time_caption(d, (chosen["offering"],))
    c = comparison(
        chosen["offering"], chosen["changed_at"], chosen["before_days"], chosen["after_days"]
    )
    if c is None:
        st.warning(
            f"The warehouse holds no cases of **{plain(chosen['offering'])}** (any more), so "
            "there is nothing to compare. Edit the experiment or delete it.",
            icon=":material/search_off:",
        )
    else:
        verdict(c)
        tiles(c)
        window_links(c)
        charts(c)
        future_state_block(chosen, c.windows)
    edit(chosen)
