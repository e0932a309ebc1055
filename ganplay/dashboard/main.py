"""The dashboard's Streamlit script: page setup and navigation. `app.py` serves it (with the Gradio
panel on the same port); `streamlit run ganplay/dashboard/main.py` also runs it alone.

Pages are thin shells in `views/`; what they show comes from the library modules next to this file
(`charts`, `health`, `progress`, `view2d`, ...) and from `ganplay.jobs`. The folder is not called
`pages/` on purpose: Streamlit registers a `pages/` folder by itself, and a deep link (`/explore`)
as the server's first request then ran that page without this script (no layout, no sidebar).
"""

from pathlib import Path

import streamlit as st

from ganplay.dashboard import hosting, widgets

VIEWS = Path(__file__).parent / "views"

st.set_page_config(page_title="ganplay", page_icon="🎛️", layout="wide")
st.html(widgets.PAGE_CSS)

page = st.navigation([
    st.Page(VIEWS / "home.py", title="Home", icon=":material/home:", default=True),
    st.Page(VIEWS / "train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page(VIEWS / "playground.py", title="2D playground", icon=":material/scatter_plot:",
            url_path="playground"),
    st.Page(VIEWS / "runs.py", title="Runs", icon=":material/folder_open:", url_path="runs"),
    st.Page(VIEWS / "explore.py", title="Explore", icon=":material/explore:", url_path="explore"),
    st.Page(VIEWS / "collapse_lab.py", title="Mode collapse lab", icon=":material/science:",
            url_path="collapse-lab"),
    st.Page(VIEWS / "augment.py", title="Does synthetic data help?", icon=":material/dataset:",
            url_path="augment"),
])
with hosting.drawing_page():  # the server's warm-up waits while a page is drawn
    widgets.sidebar()
    page.run()
