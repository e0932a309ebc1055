"""Property-based: anything a visitor can send to the panel's endpoints draws a picture or is
refused with one short `ExploreError` line, never another exception. Gradio hands the handlers
whatever a crafted API call holds (huge or negative whole numbers, NaN and infinities, text, lists,
None), so the handlers are the boundary.

Each example starts from valid arguments and replaces at most one of them with anything: one bad
argument among good ones cannot hide behind another that is refused first, and some examples are
all valid, so drawing is exercised too. Examples are derandomized and few: the quick tier.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from ganplay.explore import MAX_SEED, ExploreError
from ganplay.panel import handlers as H
from ganplay.panel import image_to_image, inside, project

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ANYTHING = st.one_of(st.integers(-2**70, 2**70), st.integers(10**400, 10**401),  # too big for a float
                     st.floats(allow_nan=True, allow_infinity=True), st.just("9" * 100_000), st.just(["x" * 1000] * 100),
                     st.text(max_size=8), st.none(), st.booleans(), st.lists(st.integers(), max_size=3),
                     st.sampled_from(["1", "1e400", "nan", "-0", "3.0", " 7", "linear", "PC1", "PC99"]))
# Unconditional and conditional digits, StyleGAN-lite, 2D points, an image-to-image model.
GENERATOR = st.sampled_from(["mnist-dcgan", "mnist-cdcgan", "mnist-cstylegan-lite", "ring8-gan", "mnist-pix2pix"])
SEED = st.integers(0, MAX_SEED)
LABEL = st.one_of(st.none(), st.integers(0, 9))
TRUNCATION = st.floats(0, 1)
AMOUNT = st.floats(-10, 10)
VALID = {"generator": GENERATOR, "seed": SEED, "seed_b": SEED, "label": LABEL, "truncation": TRUNCATION,
         "frames": st.integers(2, 16), "mode": st.sampled_from(["linear", "spherical", "lerp", "slerp"]),
         "dir_x": st.sampled_from(["PC1", "PC2", 0, 1]), "dir_y": st.sampled_from(["PC2", "PC3", 2]),
         "side": st.integers(1, 6), "extent": st.floats(0, 4), "crossover": st.integers(0, 8),
         "index": st.integers(-1, 5), "amounts": st.lists(AMOUNT, max_size=4),
         "task": st.sampled_from(["lowres", "outline"]), "digit": st.integers(0, 499),
         "n_fake": st.integers(2, 24), "n_real": st.integers(0, 8), "steps": st.integers(1, 3),
         "space": st.sampled_from(["z", "w", "w+"]), "digit_label": st.sampled_from([project.AUTO, None, 0, 7]),
         # what Gradio hands the Sketchpad's handler: a decoded picture (grey, RGB or RGBA), or its dict
         "drawing": arrays(np.uint8, st.sampled_from([(28, 28), (40, 30, 3), (64, 64, 4), (1, 1), (300, 2, 4)]))}


def arguments(*names: str):
    """Valid values for `names`, with at most one of them replaced by anything; never the first (the
    generator or task: names a visitor types are tested in test_panel.py's server-path tests)."""
    @st.composite
    def draw(draw_one):
        values = {n: draw_one(VALID[n]) for n in names}
        bad = draw_one(st.sampled_from([None, *names[1:]]))
        if bad:
            values[bad] = draw_one(st.lists(ANYTHING, max_size=4) if bad == "amounts" else ANYTHING)
        return values
    return draw()


def drawn_or_refused(call) -> None:
    try:
        out = call()
    except ExploreError as exc:
        lines = str(exc).splitlines()
        assert len(lines) == 1 and 0 < len(lines[0]) <= 300, str(exc)
        return
    if isinstance(out, project.Outcome):
        out = out.found.image
        assert out.shape[0] == 1 and torch.isfinite(out).all()
        return
    picture = out[0] if isinstance(out, (list, tuple)) else out
    assert picture is None or isinstance(picture, Image.Image) and min(picture.size) >= 8


@SETTINGS
@given(arguments("generator", "seed", "label", "truncation", "amounts"))
def test_walk(a):
    drawn_or_refused(lambda: H.walk(a["generator"], a["seed"], a["label"], a["truncation"], *a["amounts"]))


@SETTINGS
@given(arguments("generator", "seed", "seed_b", "frames", "mode", "label", "truncation"))
def test_interpolation(a):
    drawn_or_refused(lambda: H.interpolation(a["generator"], a["seed"], a["seed_b"], a["frames"], a["mode"],
                                             a["label"], a["truncation"]))


@SETTINGS
@given(arguments("generator", "seed", "label", "truncation", "dir_x", "dir_y", "side", "extent", "amounts"))
def test_latent_map(a):
    drawn_or_refused(lambda: H.latent_map(a["generator"], a["seed"], a["label"], a["truncation"], a["dir_x"],
                                          a["dir_y"], a["side"], a["extent"], *a["amounts"]))


@SETTINGS
@given(arguments("generator", "seed", "label", "truncation", "side"))
def test_seed_grid_and_all_classes(a):
    drawn_or_refused(lambda: H.seed_grid(a["generator"], a["seed"], a["label"], a["truncation"], a["side"]))
    drawn_or_refused(lambda: H.all_classes(a["generator"], a["seed"], a["truncation"]))


@SETTINGS
@given(arguments("generator", "seed", "seed_b", "crossover", "label", "truncation", "index"))
def test_style_mix_timeline_and_compare(a):
    drawn_or_refused(lambda: H.style_mix(a["generator"], a["seed"], a["seed_b"], a["crossover"], a["label"],
                                         a["truncation"]))
    drawn_or_refused(lambda: H.timeline(a["generator"], a["index"], a["seed"], a["label"], a["truncation"]))
    drawn_or_refused(lambda: H.compare(a["seed"], a["label"], a["truncation"]))


@SETTINGS
@given(arguments("task", "digit"), arguments("task", "drawing"), ANYTHING)
def test_image_to_image(held_out, drawn, task):
    drawn_or_refused(lambda: image_to_image.answer_heldout(task, 0))  # a Radio's value, sent as anything
    drawn_or_refused(lambda: image_to_image.answer_heldout(held_out["task"], held_out["digit"]))
    drawn_or_refused(lambda: image_to_image.answer_drawing(drawn["task"], drawn["drawing"]))
    drawn_or_refused(lambda: image_to_image.answer_drawing(drawn["task"], {"composite": drawn["drawing"]}))


@SETTINGS
@given(arguments("generator", "seed", "label", "truncation", "amounts"), arguments("generator", "n_fake", "n_real", "seed"))
def test_inside(sample, verdict):
    drawn_or_refused(lambda: inside.sample_view(sample["generator"], sample["seed"], sample["label"],
                                                sample["truncation"], *sample["amounts"]))
    drawn_or_refused(lambda: inside.verdict(verdict["generator"], verdict["n_fake"], verdict["n_real"], verdict["seed"]))


@SETTINGS
@given(arguments("generator", "drawing", "space", "steps", "digit_label"))
def test_projection(a):
    drawn_or_refused(lambda: project.run(a["generator"], a["drawing"], a["space"], a["steps"], a["digit_label"]))
