"""The Inside the GAN tab: the current sample's nearest training digits (features and pixels),
the generator's memorisation check, G's feature maps layer by layer, and, for runs, D's verdict.

The handlers are plain functions over `ganplay.inside` and `ganplay.metrics.memorisation` (tests call
them without a server); `build(c, tab)` wires them. The sample is the one the shared controls
(generator, seed, label, truncation) name, or the visitor's projected digit while they keep it
(`c.start`, as Walk does), moved by this tab's own direction sliders; it redraws
when they change while the tab is open (a gate kept per visitor: nothing is computed for a
visitor who is in another tab), and when the tab is opened.
"""

from __future__ import annotations

import gradio as gr

from ganplay import explore as E
from ganplay import inside as I
from ganplay.metrics.memorisation import NotDigitsError, reading
from ganplay.panel import handlers as H
from ganplay.panel.errors import public_message
from ganplay.panel.numbers import Slider

TITLE = "Inside the GAN"
N_DIRECTIONS = 3  # this tab's own sliders (the Walk tab's first directions)
K = 5  # nearest training digits shown per space
DEMO_VERDICT = 32  # images D scores at once in demo mode


# -- handlers ------------------------------------------------------------------------------------
def sample_view(generator: str, seed, label, truncation, *amounts):
    """(neighbours picture, its table in Markdown, feature-maps picture, their table) for the
    current sample: a seed's (or an `explore.Latent`'s) moved by `amounts` along the directions."""
    gen = E.get_generator(generator)
    seed = H._origin(seed)
    if isinstance(seed, E.Latent):
        E.check_latent(gen, seed)
    truncation = E.check_truncation(truncation)
    amounts = [H._amount(a) for a in amounts]
    layers = I.feature_maps(gen, seed, label, 8, truncation, amounts)
    maps = I.feature_maps_image(layers)
    maps_md = I.feature_maps_table(layers)
    try:
        nb = I.neighbours(gen, seed, label, truncation, amounts, k=K)
    except NotDigitsError as exc:  # the maps still answer; the neighbours say why they do not
        return None, public_message(exc), maps, maps_md
    return I.neighbours_image(nb), I.neighbours_table(nb), maps, maps_md


def sample_view_from(start, generator: str, seed, label, truncation, *amounts):
    """`sample_view` from the visitor's projected digit while they keep one (`handlers.origin`)."""
    return sample_view(generator, H.origin(start, generator, seed), label, truncation, *amounts)


def memorisation(generator: str):
    """(plotly figure, Markdown) of the memorisation check (`inside.memorisation`: a zoo model's
    from its card, a run's measured now)."""
    generator = str(generator or "")
    block, source = I.memorisation(E.get_generator(generator), generator)
    return memorisation_figure(block, H.short_name(generator)), memorisation_text(block, source)


def memorisation_figure(block: dict, name: str):
    import pandas  # noqa: F401  (pandas before plotly: see docs/ARCHITECTURE.md)
    import plotly.graph_objects as go

    q = block["quantiles"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=q["heldout"], y=q["q"], mode="lines", name=f"{block['n_heldout']} held-out real "
                             "digits (never trained on)", line=dict(color="#e07800", width=3)))
    fig.add_trace(go.Scatter(x=q["generated"], y=q["q"], mode="lines", name=f"{block['n']:,} generated samples",
                             line=dict(color="#1f5fbf", width=3)))
    p5 = block["heldout_p5"]
    fig.add_vline(x=p5, line=dict(color="#888", dash="dash"))
    fig.add_annotation(x=p5, y=0.97, text="5% of new digits are closer than this", showarrow=False,
                       xanchor="left", xshift=4, font=dict(size=11, color="#555"))
    verdict = "flagged: looks like copying" if block["flagged"] else "not flagged"
    fig.update_layout(
        title=dict(text=f"{name}: distance to the nearest training digit ({verdict})", font=dict(size=14),
                   y=0.97, yanchor="top"),
        xaxis_title="distance to the nearest training digit (classifier features)",
        yaxis_title="share of samples at or below this distance", yaxis=dict(range=[0, 1.02], tickformat=".0%"),
        xaxis=dict(rangemode="tozero"), height=400, margin=dict(l=60, r=20, t=80, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0),
        template="plotly_white")
    return fig


def memorisation_text(block: dict, source: str) -> str:
    return f"**How to read it:** {reading(block)} From {source}."


def verdict(generator: str, n_fake, n_real, seed):
    """(picture or None, Markdown): D's verdict for a run; for a zoo model, why there is none."""
    generator = str(generator or "").strip()
    if generator.startswith(E.RUN_PREFIX):
        source = E.run_dir(generator)
    else:  # a zoo name, whose refusal (it has no D) `d_verdict` gives; an unknown name is refused here
        E.resolve_name(generator)
        source = generator
    cap = H.limits()
    n_fake, n_real = E.check_whole(n_fake, "generated images"), E.check_whole(n_real, "real images")
    if cap.demo and n_fake + n_real > DEMO_VERDICT:
        raise E.ExploreError(f"this public demo scores at most {DEMO_VERDICT} images at once")
    try:
        v = I.d_verdict(source, n_fake, n_real, E.check_seed(seed))
    except I.VerdictError as exc:
        return None, public_message(exc)  # (demo mode: a data set's path in its reason is not shown)
    return I.verdict_image(v), I.verdict_text(v)


def _open(evt: gr.SelectData) -> bool:
    return evt.value == TITLE


# -- layout ---------------------------------------------------------------------------------------
def build(c, tab) -> None:
    ui = c.ui
    gr.Markdown("What the generator's sample is made of, and whether it copies. The sample is the one the "
                "controls above name (generator, seed, label, truncation), moved along these directions:")
    with gr.Row():
        sliders = [Slider(-H.SLIDER_RANGE, H.SLIDER_RANGE, value=0.0, step=0.1, label=H.direction_label(i),
                             min_width=180, elem_id=f"gp-inside-pc{i + 1}") for i in range(N_DIRECTIONS)]
    with gr.Accordion("Nearest real digits: is this sample a copy?", open=True):
        gr.Markdown("Distances between the classifier's 128 features (a digit that reads the same is near) and "
                    "between the pictures (pixels 0..1). Near 0 in both would be a copy of that training digit.")
        # the pictures carry their own titles: no label badge over them
        nb_img = c.image(f"This sample (blue) and its {K} closest training digits", elem_id="gp-inside-neighbours",
                         show_label=False)
        with gr.Accordion("The same as a table", open=False):
            nb_md = gr.Markdown(elem_id="gp-inside-neighbours-text")
    with gr.Accordion("Memorisation check: the generator against new real digits", open=True):
        mem_plot = gr.Plot(label="Distance to the nearest training digit", show_label=False,
                           elem_id="gp-inside-memorisation")
        mem_md = gr.Markdown(elem_id="gp-inside-memorisation-text")
    with gr.Accordion("Inside G: what each layer draws for this sample", open=True):
        gr.Markdown("Each row is one layer of G, coarse (top) to fine: 8 of its channels (those that change most "
                    "from seed to seed), each stretched to its own range (dark low, yellow high). Move a slider "
                    "and watch which layers change.")
        fm_img = c.image("Feature maps, layer by layer (coarse at the top)", elem_id="gp-inside-maps",
                         show_label=False)
        with gr.Accordion("The layers as a table", open=False):
            fm_md = gr.Markdown(elem_id="gp-inside-maps-text")
    with gr.Accordion("D's verdict (your runs): what D finds real", open=True):
        gr.Markdown("G's samples and real training digits, scored by the run's D and sorted most real first; the "
                    "real ones are outlined in orange.")
        with gr.Row():
            n_fake = Slider(2, 24 if c.limits.demo else 48, value=24, step=1, label="Generated images",
                               min_width=200, elem_id="gp-verdict-fake")
            n_real = Slider(0, 8 if c.limits.demo else 16, value=8, step=1, label="Real images", min_width=200,
                               elem_id="gp-verdict-real")
            ask = gr.Button("Ask D", variant="primary", scale=0, min_width=110, elem_id="gp-verdict-button")
        v_img = c.image("D's verdict, most real first", elem_id="gp-inside-verdict", show_label=False)
        v_md = gr.Markdown(elem_id="gp-inside-verdict-text")

    # c.start: the visitor's projected digit (a State, not part of the API), used while they keep it
    sample_in = [c.start, c.generator, c.seed, c.label, c.truncation, *sliders]
    sample_out = [nb_img, nb_md, fm_img, fm_md]
    sample_fn = ui(sample_view_from)
    mem_fn = ui(memorisation)

    @ui
    def verdict_fn(*args):  # no picture (a zoo model): the box goes, the reason stays
        img, text = verdict(*args)
        return gr.update(value=img, visible=img is not None), text

    verdict_in = [c.generator, n_fake, n_real, c.seed]
    tab.select(sample_fn, sample_in, sample_out, api_name="inside_sample") \
        .then(mem_fn, c.generator, [mem_plot, mem_md], api_name="memorisation", **c.heavy) \
        .then(verdict_fn, verdict_in, [v_img, v_md], api_name="verdict_on_open", api_visibility="undocumented",
              **c.heavy)
    ask.click(verdict_fn, verdict_in, [v_img, v_md], api_name="d_verdict", **c.heavy)

    # While the tab is open, the sample follows the controls; a visitor elsewhere costs nothing.
    is_open = gr.State(False)
    tab.parent.select(_open, None, is_open, api_visibility="private")

    def gated(open_, *args):
        return sample_fn(*args) if open_ else [gr.skip()] * len(sample_out)

    def gated_mem(open_, generator):
        return mem_fn(generator) if open_ else [gr.skip()] * 2

    gr.on([c.seed.submit, c.label.input, c.truncation.release] + [s.release for s in sliders], gated,
          [is_open, *sample_in], sample_out, trigger_mode="always_last", api_visibility="private",
          concurrency_id="inside", concurrency_limit=2)
    # events that set the seed or the start for the visitor (New seed, Walk on, Back to seeds)
    c.inside_follows = lambda event: event.then(gated, [is_open, *sample_in], sample_out, api_visibility="private")
    c.generator.change(gated, [is_open, *sample_in], sample_out, api_visibility="private") \
        .then(gated_mem, [is_open, c.generator], [mem_plot, mem_md], api_visibility="private", **c.heavy)
