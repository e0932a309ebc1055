"""ganplay's app: `streamlit run app.py`.

For now a single page that lists the presets and the runs under ./runs (or $GANPLAY_RUNS) with
their state and newest sample grid; the full dashboard and the Gradio panel come next.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ganplay.presets import PRESETS
from ganplay.train.rundir import RunDir

RUNS = Path(os.environ.get("GANPLAY_RUNS", "runs"))

st.set_page_config(page_title="ganplay", layout="wide")
st.title("ganplay")
st.write(
    "A GAN is two networks in a game: a **generator** turns random noise into samples, and a "
    "**discriminator** learns to tell those samples from real data. Each gets better by beating "
    "the other. Train one from the terminal with `ganplay train --preset ring8-gan` and watch "
    "the run appear below."
)

st.subheader("Presets")
st.table({"preset": list(PRESETS), "what it shows": [p["help"] for p in PRESETS.values()]})

st.subheader(f"Runs in {RUNS}")
runs = sorted((RunDir(p) for p in RUNS.glob("*") if RunDir(p).is_run()), key=lambda r: r.path.name,
              reverse=True) if RUNS.is_dir() else []
if not runs:
    st.info("No runs yet. Start one with `ganplay train --preset mnist-dcgan`.")
for run in runs[:20]:
    status = run.read_status()
    with st.expander(f"{run.path.name}: {status.get('state', '?')}, step {status.get('step', 0)}"
                     f"/{status.get('steps', '?')}"):
        if status.get("error"):
            st.error(status["error"])
        samples = run.sample_paths(".png")
        if samples:
            st.image(str(samples[-1]), caption=samples[-1].name, width=320)
