"""What happened to this case, step by step, and where is it now?"""

import streamlit as st

from ui.case_screen import (
    attributes,
    chosen_case,
    links_back,
    step_table,
    timeline,
    variant,
    where_it_is,
)

d, case = chosen_case()
row = where_it_is(d, case)
steps = timeline(d, case, row)
st.subheader("Its steps")
step_table(case, row, steps)
st.subheader("What the data says about it")
attributes(d, case, steps)
st.subheader("Its path")
variant(d, case)
links_back(case)
