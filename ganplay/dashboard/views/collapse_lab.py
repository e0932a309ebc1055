"""Mode collapse lab: placeholder until its issue lands."""

import streamlit as st

st.title("Mode collapse lab")
st.info(
    "Coming soon: one click starts a vanilla GAN and its fixes (WGAN-GP, minibatch std, PacGAN, "
    "unrolling) on the same 2D mixture, side by side, so a class can watch mode collapse happen and "
    "go away. Until then: train the `ring8-gan` and `ring8-wgan-gp` presets from **Train** and "
    "compare them in **Runs** or the **2D playground**.",
    icon=":material/construction:",
)
st.page_link("views/train.py", label="Go to Train", icon=":material/model_training:")
