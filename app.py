"""ganplay's app: `streamlit run app.py` serves everything on one port (the dashboard, the Gradio
panel at /panel/). What it serves is composed in `ganplay/server.py`; `ganplay app` serves the same
App from an installed package (ganplay/script/app.py is this file's twin). Streamlit finds
`app = st.App(...)` by reading this source, so the assignment is spelled out here."""

import streamlit as st

from ganplay import server

app = st.App(server.DASHBOARD, routes=server.ROUTES, lifespan=server.lifespan,
             middleware=server.MIDDLEWARE)
