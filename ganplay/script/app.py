"""`ganplay app` serves this script: the same App as the checkout's app.py (see ganplay.server).
Streamlit finds `app = st.App(...)` by reading this source, so the assignment is spelled out here."""

import streamlit as st

from ganplay import server

app = st.App(server.DASHBOARD, routes=server.ROUTES, lifespan=server.lifespan,
             middleware=server.MIDDLEWARE)
