"""The Walk tab: principal-direction sliders, the 2D latent map, interpolation between seeds.

Each starts from the seed, or from the visitor's projected digit while `c.start` (a per-session
`gr.State`, not part of the API) holds one: the handlers' `*_from` variants take it first."""

from __future__ import annotations

import gradio as gr

from ganplay.panel import handlers as H
from ganplay.panel.numbers import Number, Slider


def build(c) -> None:
    ui = c.ui
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            out = c.image("Sample", elem_id="gp-walk-image", height=260, width=260)
        with gr.Column(scale=2):
            sliders = [Slider(-H.SLIDER_RANGE, H.SLIDER_RANGE, value=0.0, step=0.1, label=H.direction_label(i),
                                 info=H.DIRECTION_INFO if i == 0 else None, elem_id=f"gp-pc{i + 1}")
                       for i in range(H.N_SLIDERS)]
            reset = gr.Button("Reset sliders", size="sm", elem_id="gp-reset")
    common = [c.generator, c.seed, c.label, c.truncation]
    walk_inputs = [c.start] + common + sliders
    walk_fn = ui(H.walk_from)

    def redraw(event, name: str):
        return event.then(walk_fn, walk_inputs, out, api_name=f"walk_after_{name}", api_visibility="undocumented")

    c.redraw = redraw
    c.sliders = sliders
    gr.on([s.release for s in sliders] + [c.seed.submit, c.label.input, c.truncation.release],
          walk_fn, walk_inputs, out, api_name="walk", trigger_mode="always_last",
          # enough threads that moves arriving together can wait for one shared pass (handlers.walk)
          concurrency_id="walk", concurrency_limit=H.WALK_BATCH,
          # no overlay over the picture: drawing it and taking it off cost a frame (~15 ms of 92 in
          # Chromium on 2 AVX2 cores) for an answer that comes in ~20-30 ms; the slider shows the move
          show_progress="hidden")
    redraw(reset.click(lambda: [0.0] * len(sliders), None, sliders, api_name="reset"), "reset")

    directions = [(H.direction_label(i), f"PC{i + 1}") for i in range(H.N_SLIDERS)]
    with gr.Accordion("2D latent map: a grid over two directions around the current point", open=True):
        with gr.Row():
            dir_x = gr.Dropdown(directions, value="PC1", label="Across", elem_id="gp-map-across")
            dir_y = gr.Dropdown(directions, value="PC2", label="Down", elem_id="gp-map-down")
        with gr.Row():
            side = Slider(3, c.limits.grid, value=min(7, c.limits.grid), step=1, label="Pictures per side",
                             elem_id="gp-map-side")
            extent = Slider(0.5, 4.0, value=2.0, step=0.5, label="How far out",
                               info="Standard deviations each way from the current point", elem_id="gp-map-extent")
        go_map = gr.Button("Draw map", variant="primary", elem_id="gp-map-button")
        map_out = c.image("Latent map", elem_id="gp-map-image")
    map_inputs = [c.start] + common + [dir_x, dir_y, side, extent] + sliders
    go_map.click(ui(H.latent_map_from), map_inputs, map_out, api_name="latent_map", **c.heavy)
    # the page opens with a map, and a new generator draws its own (the last one's map under the new
    # name would mislead); blocks.py wires it to the page's load and the generator's change
    c.map_call = dict(fn=ui(H.latent_map_shown), inputs=map_inputs, outputs=map_out, **c.heavy)

    with gr.Accordion("Interpolate between two seeds", open=True):
        with gr.Row():
            seed_b = Number(value=1, label="To seed", precision=0, elem_id="gp-interp-seed")
            frames = Slider(2, c.limits.frames, value=min(12, c.limits.frames), step=1, label="Pictures (frames)",
                               min_width=200, elem_id="gp-interp-frames")
            mode = gr.Radio(H.PATH_CHOICES, value="spherical", label="Path", info=H.PATH_INFO, scale=2,
                            elem_id="gp-interp-path")
            go_interp = gr.Button("Interpolate", variant="primary", elem_id="gp-interp-button")
        strip = c.image("Frames", elem_id="gp-strip", height=160)
        gif = gr.File(label="Animated GIF (download)", elem_id="gp-gif", height=80)

    def interpolate(start, generator, seed_a, seed_b, frames, mode, label, truncation):
        img, data = H.interpolation_from(start, generator, seed_a, seed_b, frames, mode, label, truncation)
        return img, c.gif_file(data)

    def interpolate_shown(start, generator, seed_a, seed_b, frames, mode, label, truncation):
        img, data = H.interpolation_shown(start, generator, seed_a, seed_b, frames, mode, label, truncation)
        return img, c.gif_file(data) if data else None

    interp_inputs = [c.start, c.generator, c.seed, seed_b, frames, mode, c.label, c.truncation]
    go_interp.click(ui(interpolate), interp_inputs, [strip, gif], api_name="interpolate", **c.heavy)
    # like the map: the page opens with a strip (an empty box hid what the tab does), and a new
    # generator draws its own; blocks.py wires it
    c.interp_call = dict(fn=ui(interpolate_shown), inputs=interp_inputs, outputs=[strip, gif], **c.heavy)
