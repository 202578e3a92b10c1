"""What happened to this case? (local placeholder until the drill-down pages land)"""

import streamlit as st

st.title("Case")
