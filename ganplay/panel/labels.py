"""The Labels tab: the same noise under every label, and many seeds under one label."""

from __future__ import annotations

import gradio as gr

from ganplay.panel import handlers as H
from ganplay.panel.numbers import Slider


def build(c) -> None:
    gr.Markdown("For a conditional generator: each column below uses **the same z** with a different "
                "label (what the label controls); the grid uses **one label** with different seeds "
                "(what the noise controls).")
    go_all = gr.Button("All classes for this seed", variant="primary", elem_id="gp-all-classes-button")
    c.all_classes_button = go_all  # off for an unconditional generator (see blocks.describe)
    all_out = c.image("Same z, every label", elem_id="gp-all-classes")
    go_all.click(c.ui(H.all_classes_from), [c.start, c.generator, c.seed, c.truncation], all_out, api_name="all_classes",
                 **c.heavy)
    with gr.Row():
        side = Slider(2, c.limits.grid, value=min(8, c.limits.grid), step=1, label="Seeds per side",
                         elem_id="gp-seed-grid-side")
        go_grid = gr.Button("Seeds grid for this label", elem_id="gp-seed-grid-button")
    grid_out = c.image("Same label, different seeds", elem_id="gp-seed-grid")
    go_grid.click(c.ui(H.seed_grid), [c.generator, c.seed, c.label, c.truncation, side], grid_out,
                  api_name="seed_grid", **c.heavy)
    c.labels_call = dict(fn=c.ui(H.labels_on_open), outputs=[all_out, grid_out], **c.heavy,
                         inputs=[c.start, c.generator, c.seed, c.label, c.truncation, side])
