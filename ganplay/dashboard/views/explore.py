"""Explore: the Gradio panel (latent walks, labels, comparing generators), embedded when mounted.

The panel is built in the background as the server starts (Gradio and torch take seconds to
import); until it is ready the page shows how far that has come instead of an empty frame."""

import streamlit as st

from ganplay.dashboard import hosting

st.title("Explore")


@st.fragment(run_every=0.5)
def _wait_for_panel() -> None:
    state = hosting.starting("/panel")
    if state is None:
        st.rerun()  # the whole page, which now embeds the panel
    fraction, text = state
    st.progress(fraction, text=f"The explorer panel is starting: {text}… (once per server start, "
                               "a few seconds)")


if not hosting.is_mounted("/panel"):
    st.info("The latent-space panel is served by `streamlit run app.py` (or `ganplay app`) at /panel/; "
            "this dashboard runs without it. It also runs on its own: `python -m ganplay.panel`.",
            icon=":material/info:")
elif hosting.starting("/panel") is not None:
    _wait_for_panel()
else:
    # a relative address: works from any host, behind a proxy, on a Space
    st.iframe("/panel/", height=900)
