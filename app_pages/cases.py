"""Which cases are behind this number, and where is each of them now?"""

import streamlit as st

from ui.cases_screen import case_list_view, chosen_selection

st.title("Cases")
d, selection, picked = chosen_selection()
case_list_view(d, selection, picked)
