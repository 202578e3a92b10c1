"""Which cases are behind this number? (local placeholder until the drill-down pages land)"""

import streamlit as st

st.title("Cases")
