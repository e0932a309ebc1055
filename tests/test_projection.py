"""ganplay.projection: a picture searched for in a generator's latent space, and walks from the code.

The fast tests check the latent codes in explore's walks, maps, interpolations and the all-labels
row (a code equal to a seed's point draws the seed's pictures, pixel for pixel) and every bad
input's message. The slow ones project held-out digits for real: half the error of the best of
100 random seeds at most, the same code twice, and walks from the code start at its picture.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganplay import explore as E
from ganplay import projection as P
from ganplay.img2img import MAX_DRAWING_SIDE, read_picture

DCGAN, CDCGAN, STYLE = "mnist-dcgan", "mnist-cdcgan", "mnist-cstylegan-lite"


@pytest.fixture(scope="module")
def dcgan():
    return E.get_generator(DCGAN)


@pytest.fixture(scope="module")
def style():
    return E.get_generator(STYLE)


def same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """The same picture: every pixel within one grey level. A batch of 8 and a batch of 1 can
    differ by ~1e-6 (the CPU's kernels differ by batch), which now and then tips a pixel across a
    rounding step; another code or seed moves pixels by many levels."""
    a, b = E.to_uint8(a).astype(np.int16), E.to_uint8(b).astype(np.int16)
    return a.shape == b.shape and int(np.abs(a - b).max()) <= 1


# -- latent codes in explore (fast) -------------------------------------------------------------
def test_codes_equal_to_a_seeds_point_draw_the_seeds_pictures(dcgan, style):
    z = E.seed_noise(dcgan, [7])
    code = E.Latent("z", z)
    assert same(E.walk(dcgan, code), E.walk(dcgan, 7))
    assert same(E.walk(dcgan, code, [1.5, -1]), E.walk(dcgan, 7, [1.5, -1]))
    assert same(E.latent_map(dcgan, code, 0, 2, side=3), E.latent_map(dcgan, 7, 0, 2, side=3))
    assert same(E.interpolation(dcgan, code, 9, 5, "spherical"), E.interpolation(dcgan, 7, 9, 5, "spherical"))

    w = E.encode(style, 4, label=3)
    for code in (E.Latent("w", w, 3), E.Latent("w+", w[:, None].repeat(1, style.G.num_ws, 1), 3),
                 E.Latent("z", E.seed_noise(style, [4]), 3)):
        assert same(E.walk(style, code, [0.5, 1.0], label=3), E.walk(style, 4, [0.5, 1.0], label=3)), code.kind
        assert same(E.latent_map(style, code, 1, 0, side=2, label=3), E.latent_map(style, 4, 1, 0, side=2, label=3))
    # w and w+ walk on straight lines in w; z as a seed does (here: straight too)
    plus = E.Latent("w+", w[:, None].repeat(1, style.G.num_ws, 1), 3)
    assert same(E.interpolation(style, plus, 8, 4, "linear", 3), E.interpolation(style, E.Latent("w", w, 3), 8, 4,
                                                                                  "spherical", 3))
    assert same(E.interpolation(style, E.Latent("z", E.seed_noise(style, [4]), 3), 8, 4, "linear", 3),
                E.interpolation(style, 4, 8, 4, "linear", 3))
    # a z code under every label is the seed's row; w already holds its label
    assert same(E.all_classes(style, E.Latent("z", E.seed_noise(style, [4]))), E.all_classes(style, 4))
    with pytest.raises(E.ExploreError, match="project in z to see it under every label"):
        E.all_classes(style, E.Latent("w", w, 3))
    # a batch of walks mixing seeds, w and w+ codes draws what each draws alone
    moves = [(4, [0.3], 3, 1.0), (plus, [0.3], 3, 1.0), (E.Latent("w", w, 3), [], 3, 0.7)]
    batch = E.walk_many(style, moves)
    assert all(same(batch[i:i + 1], E.walk_many(style, [m])) for i, m in enumerate(moves))


def test_truncation_pulls_codes_toward_the_average(dcgan, style):
    w = E.encode(style, 4, label=3)
    assert same(E.walk(style, E.Latent("w", w, 3), [], 3, 0.5), E.walk(style, 4, [], 3, 0.5))
    assert same(E.walk(style, E.Latent("w", w, 3), [], 3, 0.0), E.walk(style, 5, [], 3, 0.0))  # the class mean
    big = E.Latent("z", torch.full((1, dcgan.z_dim), 5.0))
    assert E.point(dcgan, big, None, 0.5).abs().max() == pytest.approx(1.5)


@pytest.mark.parametrize("make, message", [
    (lambda g, s: E.Latent("v", torch.zeros(1, 4)), "one of z, w, w"),
    (lambda g, s: E.Latent("w+", torch.zeros(1, 4)), "shape"),
    (lambda g, s: E.check_latent(g, E.Latent("w", torch.zeros(1, 128))), "needs a StyleGAN-lite"),
    (lambda g, s: E.check_latent(g, E.Latent("z", torch.zeros(1, 3))), "another generator"),
    (lambda g, s: E.walk(g, E.Latent("z", torch.full((1, g.z_dim), float("nan")))), "NaN"),
])
def test_bad_codes_are_refused(dcgan, style, make, message):
    with pytest.raises(E.ExploreError, match=message):
        make(dcgan, style)


# -- bad input to a projection (fast) -----------------------------------------------------------
def test_bad_projection_input_is_a_clear_value_error(dcgan, style, tmp_path):
    target = torch.zeros(1, 1, 28, 28)
    cases = [
        (lambda: P.project(dcgan, target, steps=0), "steps must be a whole number 1..500"),
        (lambda: P.project(dcgan, target, steps=10_000), "steps must be a whole number 1..500"),
        (lambda: P.project(dcgan, target, space="w+"), "has no w space"),
        (lambda: P.project(style, target, space="x"), "one of z, w, w+"),
        (lambda: P.project(dcgan, torch.zeros(1, 3, 32, 32)), r"shape \(N, 1, 28, 28\)"),
        (lambda: P.project(dcgan, torch.full((1, 1, 28, 28), float("nan"))), "NaN"),
        (lambda: P.project(dcgan, target, label=3), "unconditional"),
        (lambda: P.project(style, target, label=12), "label must be 0..9"),
        (lambda: P.target_from_picture(dcgan, None), "draw something first"),
        (lambda: P.target_from_picture(dcgan, np.full((280, 280, 4), 255, np.uint8)), "draw something first"),
        (lambda: P.target_from_picture(dcgan, np.zeros((5000, 10), np.uint8)), f"at most {MAX_DRAWING_SIDE} px"),
        (lambda: P.target_from_picture(dcgan, np.zeros((10, 10, 7), np.uint8)), "grey or RGB"),
        (lambda: P.project(dcgan, "a picture"), "picture tensor"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    (tmp_path / "notes.png").write_text("not a picture")
    Image.new("L", (9000, 20)).save(tmp_path / "wide.png")
    (tmp_path / "big.png").write_bytes(b"\x89PNG" + bytes(2_000_000))
    # an ICO is opened by decoding it whole (a 657 kB one held 640 MB): not read at all
    Image.new("L", (64, 64)).save(tmp_path / "digit.ico", sizes=[(64, 64)])
    for name, message in [("notes.png", "not a picture"), ("wide.png", f"at most {MAX_DRAWING_SIDE} px"), ("big.png", "at most 1 MB"),
                          ("digit.ico", "not a picture")]:
        with pytest.raises(ValueError, match=message):
            read_picture(tmp_path / name)


def test_an_odd_sized_rgba_picture_becomes_a_centred_28px_target(dcgan, tmp_path):
    img = Image.new("RGBA", (301, 97), (0, 0, 0, 0))  # a transparent canvas, one black stroke
    for x in range(140, 160):
        for y in range(10, 90):
            img.putpixel((x, y), (0, 0, 0, 255))
    img.save(tmp_path / "stroke.png")
    target = P.target_from_picture(dcgan, read_picture(tmp_path / "stroke.png"))
    assert target.shape == (1, 1, 28, 28) and target.min() >= -1 and target.max() <= 1
    ink = (target[0, 0] > 0).nonzero()
    assert ink[:, 0].min() >= 3 and ink[:, 0].max() <= 24  # scaled into 20 px, centred
    assert 11 <= ink[:, 1].float().mean() <= 16


# -- real projections (slow) --------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("name, space", [(DCGAN, "z"), (CDCGAN, "z"), (STYLE, "w+")])
def test_projection_halves_the_best_of_100_random_seeds(name, space):
    gen = E.get_generator(name)
    x, y = P.heldout_digits(5)
    labels = y if gen.n_classes else None
    found = P.project_many(gen, x, P.DEFAULT_STEPS, space, labels)
    baseline = P.random_seed_errors(gen, x, labels)
    errors = torch.tensor([p.error for p in found])
    assert (errors <= 0.5 * baseline).all(), (errors, baseline)
    for p in found:
        assert p.latent.kind == space and len(p.history) == P.DEFAULT_STEPS
        assert p.history[-1] <= p.history[0] and p.error == pytest.approx(p.history[-1], abs=1e-5)


@pytest.mark.slow
def test_projection_is_deterministic_and_walks_start_at_its_picture(style, dcgan):
    x, y = P.heldout_digits(2)
    calls = []
    a = P.project(style, x[1:2], steps=40, space="w+", label=None, progress=lambda *s: calls.append(s))
    b = P.project(style, x[1:2], steps=40, space="w+")
    assert torch.equal(a.latent.tensor, b.latent.tensor) and a.error == b.error
    assert a.label == int(y[1]) == 5  # the classifier's reading of a held-out 5
    assert calls[-1][:2] == (40, 40) and len(calls) == 40 // P.PROGRESS_EVERY
    # walking on: no move draws the reconstruction itself; the code goes into maps, lines, labels
    for gen, space, label in ((style, "w+", 5), (style, "z", 5), (dcgan, "z", None)):
        found = P.project(gen, x[1:2], steps=20, space=space, label=label)
        assert same(E.walk(gen, found.latent, [], label, 1.0), found.image)
        assert E.latent_map(gen, found.latent, 0, 1, side=3, label=label).shape == (9, 1, 28, 28)
        frames = E.interpolation(gen, found.latent, 8, 6, "spherical", label)
        assert same(frames[:1], found.image) and same(frames[-1:], E.walk(gen, 8, [], label))
    z5 = P.project(style, x[1:2], steps=5, space="z", label=5)
    assert E.all_classes(style, z5.latent).shape[0] == 10


@pytest.mark.slow
def test_one_projection_takes_under_ten_seconds_on_one_thread(style):
    x, _ = P.heldout_digits(1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        found = P.project(style, x, space="w+", label=7)
    finally:
        torch.set_num_threads(threads)
    assert found.seconds < 10, found.seconds
