"""Explore: the Gradio panel (latent walks, labels, comparing generators), embedded when mounted."""

import streamlit as st

from ganplay.dashboard.hosting import is_mounted

st.title("Explore")
if is_mounted("/panel"):
    # a relative address: works from any host, behind a proxy, on a Space
    st.iframe("/panel/", height=900)
else:
    st.info(
        "The latent-space panel (walk between samples, ask a conditional generator for a label, "
        "compare DCGAN, WGAN and StyleGAN-lite side by side) lands here with the next issue. It will "
        "also run on its own with `python -m ganplay.panel`.",
        icon=":material/construction:",
    )
