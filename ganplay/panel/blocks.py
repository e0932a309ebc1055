"""The panel's Blocks: shared controls on top (generator, seed, label, truncation), then the tabs.

Every event has an explicit `api_name` (clients and tests call them by name), images come back as
PNG, sliders generate on `.release`, and the queue bounds how many generations run at once. The
generator dropdowns offer names (zoo models, `runs/<run id>`); a typed value is allowed so a run
finished after the page loaded can be named, and the handlers resolve every name on the server.
Before each event the files earlier events left in Gradio's cache are pruned (`files`).
"""

from __future__ import annotations

import functools
import os
import random
from types import SimpleNamespace

import gradio as gr

from ganplay.panel import (CONCURRENCY, QUEUE_SIZE, SESSIONS, compare, files, handlers as H, image_to_image, labels,
                           walk)
from ganplay.panel import inside  # the Inside the GAN tab
from ganplay.panel import project
from ganplay.panel.errors import public_message, quiet_refusals
from ganplay.panel.numbers import Number, Slider

TITLE = "ganplay explorer"


def make_ui(budget: "files.CacheBudget | None" = None):
    """A decorator for handlers: prune the cache first (`budget`); bad input becomes a message in
    the page (and in the client's exception), as `errors.public_message` words it: in demo mode
    our refusals without server paths, anything else a generic line (its traceback in the log)."""

    def ui(fn):
        @functools.wraps(fn)
        def wrapper(*args):
            if budget is not None:
                budget.prune()
            try:
                return fn(*args)
            except ValueError as exc:
                raise gr.Error(public_message(exc), print_exception=False) from None

        return wrapper

    return ui



def image(label: str, **kw) -> gr.Image:
    return gr.Image(label=label, type="pil", format="png", interactive=False, elem_classes="gp-pixel",
                    buttons=["download", "fullscreen"], **kw)


def describe(generator: str):
    """Widget updates for a newly chosen generator: labels, its blurb, the timeline's range, the
    direction sliders' labels (each with its share of the variation) and the Labels tab's "All
    classes" button (a button that could only fail is off, and says why)."""
    info = H.describe(generator)
    classes = info["classes"]
    explained = info["explained"] + [None] * (H.N_SLIDERS - len(info["explained"]))
    return (
        gr.update(choices=classes, value=classes[0][1] if classes else None, visible=bool(classes)),
        info["text"],
        gr.update(maximum=max(info["checkpoints"] - 1, 1), value=info["checkpoints"] - 1),
        *[gr.update(label=H.direction_label(i, v)) for i, v in enumerate(explained[:H.N_SLIDERS])],
        gr.update(interactive=bool(classes), value="All classes for this seed" if classes
                  else "All classes: for a conditional generator only"),
    )


def refresh_choices():
    choices = H.generator_choices()
    return gr.update(choices=choices), gr.update(choices=choices)


def new_seed() -> int:
    return random.randint(0, 999_999)


def build() -> gr.Blocks:
    choices = H.generator_choices()
    values = [v for _, v in choices]
    default = H.DEFAULT if H.DEFAULT in values else (values[0] if values else None)
    lim = H.limits()
    # demo mode: the large pictures share one concurrency group of `heavy_at_once`
    heavy = dict(concurrency_id="heavy", concurrency_limit=lim.heavy_at_once) if lim.demo else {}
    quiet_refusals()  # demo mode: Gradio's refusals of malformed calls, one log line a minute, not a traceback each
    # no telemetry: Gradio would otherwise ask api.gradio.app for its latest version and report the
    # panel's build there from a learner's laptop (offline first; the environment cannot turn it on)
    with gr.Blocks(title=TITLE, delete_cache=files.DELETE_CACHE, analytics_enabled=False) as demo:
        ui = make_ui(files.budget_for(demo))
        gr.Markdown("## Explore a generator's latent space\nPick a generator and a seed; move the sliders "
                    "along its principal directions, walk between seeds, see what the label controls. "
                    "These generators learned from MNIST-5k's handwritten digits only; pictures like "
                    "theirs can deceive and carry their data's biases (see *About these pictures* on the "
                    "dashboard's Home page).")
        if lim.demo:
            gr.Markdown(lim.text(), elem_id="gp-demo-limits")
        with gr.Row(equal_height=True):
            # minimum widths: on a phone each gets a line of its own instead of a clipped name
            generator = gr.Dropdown(choices, value=default, label="Generator", scale=3, min_width=260,
                                    allow_custom_value=True, elem_id="gp-generator")
            seed = Number(value=0, label="Seed", info=H.SEED_INFO, precision=0, scale=1, min_width=160,
                             elem_id="gp-seed")
            reseed = gr.Button("New seed", scale=0, min_width=110, elem_id="gp-new-seed")
            label = gr.Dropdown([(str(i), i) for i in range(10)], value=0, label="Label", scale=1, min_width=160,
                                info="Which class (digit) a conditional generator draws",
                                allow_custom_value=True, elem_id="gp-label")
            truncation = Slider(0.0, 1.0, value=1.0, step=0.05, label="Closeness to the average picture "
                                   "(truncation)", info=H.TRUNCATION_INFO, scale=2, min_width=260,
                                   elem_id="gp-truncation")
        info = gr.Markdown()
        c = SimpleNamespace(generator=generator, seed=seed, reseed=reseed, label=label,
                            truncation=truncation, info=info, ui=ui, image=image, gif_file=files.write_gif,
                            limits=lim, heavy=heavy)
        project.start_note(c)  # c.start: the visitor's projected code, which walks start from while set
        with gr.Tabs() as tabs:
            c.tabs = tabs
            with gr.Tab("Walk", id="walk"):
                walk.build(c)
            with gr.Tab("Labels", id="labels") as labels_tab:
                labels.build(c)
            with gr.Tab("Compare", id="compare") as compare_tab:
                compare.build(c)
            with gr.Tab("Image to image", id="image-to-image") as image_to_image_tab:
                image_to_image.build(c)
            with gr.Tab(inside.TITLE, id="inside") as inside_tab:
                inside.build(c, inside_tab)
            with gr.Tab("Project your digit", id="project"):
                project.build(c)
        # opening Labels or Compare fills it in (same seed and label as above); Image to image shows
        # the held-out digit's answers until the visitor asks for others
        labels_tab.select(**c.labels_call, api_name="labels_on_open", api_visibility="undocumented")
        image_to_image_tab.select(**c.image_to_image_call, api_name="image_to_image_on_open",
                                  api_visibility="undocumented")
        compare_tab.select(**c.compare_call, api_name="compare_on_open", api_visibility="undocumented") \
            .then(**c.mix_call, api_name="style_mix_on_open", api_visibility="undocumented")

        described = [label, info, c.timeline_index, *c.sliders, c.all_classes_button]
        c.redraw(generator.change(ui(describe), generator, described, api_name="describe"), "generator")
        demo.load(**c.map_call, api_name="map_on_load", api_visibility="undocumented")
        generator.change(**c.map_call, api_name="map_on_generator", api_visibility="undocumented")
        demo.load(**c.interp_call, api_name="interpolate_on_load", api_visibility="undocumented")
        generator.change(**c.interp_call, api_name="interpolate_on_generator", api_visibility="undocumented")
        c.redraw(demo.load(ui(describe), generator, described, api_name="on_load", api_visibility="undocumented"),
                 "load")
        # runs trained since the server started show up on the next page load
        demo.load(refresh_choices, None, [generator, c.extras], api_name="refresh_choices",
                  api_visibility="undocumented")
        reseeded = reseed.click(new_seed, None, seed, api_name="new_seed")
        c.redraw(reseeded, "new_seed")
        c.inside_follows(reseeded)
    # Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event (for its
    # /monitoring page, which the panel does not offer): on a busy panel that is the costliest part of
    # a slider move. Read when the queue is made, so set just before; the environment still wins.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")
    # api_open=False: Gradio opens /gradio_api/run/NAME, which runs a handler outside the queue (no
    # concurrency limit, no per-visitor cap), everywhere but on a Space
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE, api_open=False)
    demo.state_session_capacity = SESSIONS  # (mounted; `launch` is given it too)
    return demo
