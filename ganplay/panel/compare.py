"""The Compare tab: DCGAN, WGAN-GP and StyleGAN-lite side by side with their cards' metrics; a
timeline through a run's checkpoints; StyleGAN-lite's style mixing."""

from __future__ import annotations

import gradio as gr

from ganplay.panel import handlers as H
from ganplay.panel.numbers import Number, Slider


def build(c) -> None:
    ui = c.ui
    names = [n for n in H.COMPARE if n in {v for _, v in H.zoo_choices()}]
    gr.Markdown("The same seed, label and truncation (from the controls above) through each zoo generator.")
    with gr.Row():
        extras = gr.Dropdown(H.generator_choices(), value=[], multiselect=True, max_choices=H.MAX_EXTRA,
                             allow_custom_value=True,
                             label=f"Add up to {H.MAX_EXTRA} more (zoo models or your runs at their latest checkpoint)",
                             scale=4, min_width=260, elem_id="gp-compare-extra")
        go = gr.Button("Compare", variant="primary", scale=1, elem_id="gp-compare-button")
    outs, extra_outs, extra_text = [], [], []
    with gr.Row():
        for name in names:
            with gr.Column(min_width=200):
                outs.append(c.image(name, elem_id=f"gp-compare-{name}", height=230))
                gr.Markdown(H.metrics_text(name))
    with gr.Row():
        for i in range(H.MAX_EXTRA):
            with gr.Column(min_width=200):
                extra_outs.append(c.image(f"extra {i + 1}", height=230, visible=False,
                                          elem_id=f"gp-compare-extra-{i + 1}"))
                extra_text.append(gr.Markdown())
    gr.Markdown(H.metrics_legend(), elem_id="gp-metrics-legend")

    def run_compare(seed, label, truncation, extra):
        extra = list(extra or [])[: H.MAX_EXTRA]
        fixed = H.compare(seed, label, truncation, names)
        more = H.compare(seed, label, truncation, extra)
        imgs = [gr.update(value=more[i], visible=True, label=H.short_name(extra[i])) if i < len(extra)
                else gr.update(value=None, visible=False) for i in range(H.MAX_EXTRA)]
        texts = [H.metrics_text(extra[i]) if i < len(extra) else "" for i in range(H.MAX_EXTRA)]
        return [*fixed, *imgs, *texts]

    compare_fn = ui(run_compare)
    compare_io = dict(inputs=[c.seed, c.label, c.truncation, extras], outputs=outs + extra_outs + extra_text,
                      **c.heavy)
    go.click(compare_fn, **compare_io, api_name="compare")
    c.compare_call = dict(fn=compare_fn, **compare_io)
    c.extras = extras
    with gr.Row():
        seed_b = Number(value=1, label="Interpolate to seed", precision=0, elem_id="gp-compare-interp-seed")
        frames = Slider(2, min(16, c.limits.frames), value=8, step=1, label="Pictures (frames)", min_width=200,
                           elem_id="gp-compare-interp-frames")
        mode = gr.Radio(H.PATH_CHOICES, value="spherical", label="Path", info=H.PATH_INFO, scale=2,
                        elem_id="gp-compare-interp-path")
        go_i = gr.Button("Compare interpolations", elem_id="gp-compare-interp-button")
    strips = [c.image(f"{n}: interpolation", height=130, elem_id=f"gp-compare-strip-{n}") for n in names]
    go_i.click(ui(lambda a, b, f, m, l, t: H.compare_interpolation(a, b, f, m, l, t, names)),
               [c.seed, seed_b, frames, mode, c.label, c.truncation], strips, api_name="compare_interpolation",
               **c.heavy)

    with gr.Accordion("Timeline: the seed through a run's saved checkpoints (generator chosen above)", open=False):
        index = Slider(0, 1, value=1, step=1, label="Checkpoint (0 = oldest)", elem_id="gp-timeline")
        t_img = c.image("At this checkpoint", height=230, width=230, elem_id="gp-timeline-image")
        t_info = gr.Markdown(elem_id="gp-timeline-info")
    index.release(ui(H.timeline), [c.generator, index, c.seed, c.label, c.truncation], [t_img, t_info],
                  api_name="timeline")
    c.timeline_index = index

    with gr.Accordion("Style mixing (StyleGAN-lite): coarse styles from seed A, fine from seed B", open=True):
        styles = H.style_choices()
        with gr.Row():
            sgen = gr.Dropdown(styles, value=styles[0][1] if styles else None, label="Generator",
                               allow_custom_value=True, min_width=260, elem_id="gp-mix-generator")
            cross = Slider(0, 6, value=3, step=1, label="Crossover layer (A before, B from here)", min_width=260,
                              elem_id="gp-crossover")
        with gr.Row():
            seed_a = Number(value=0, label="Seed A (overall shape)", info="coarse styles", precision=0,
                               elem_id="gp-mix-seed-a")
            seed_b2 = Number(value=1, label="Seed B (details)", info="fine styles", precision=0,
                                elem_id="gp-mix-seed-b")
        mix = c.image("A | B | mix", elem_id="gp-style-mix")
    mix_inputs = [sgen, seed_a, seed_b2, cross, c.label, c.truncation]
    gr.on([cross.release, seed_a.submit, seed_b2.submit, sgen.change], ui(H.style_mix), mix_inputs, mix,
          api_name="style_mix", trigger_mode="always_last")
    c.mix_call = dict(fn=ui(H.style_mix), inputs=mix_inputs, outputs=mix)
