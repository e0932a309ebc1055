"""The Image to image tab's engine (`ganplay.img2img`) and handlers, on the shipped zoo models."""

import numpy as np
import pytest
import torch

from ganplay import img2img
from ganplay.explore import ExploreError, get_generator
from ganplay.metrics.translation import bicubic
from ganplay.panel import handlers as H, image_to_image as tab
from ganplay.sampling import load_generator
from ganplay.zoo import weights_path


def test_a_drawing_becomes_a_digit_as_mnist_prepared_them():
    white = np.full((280, 280, 3), 255, np.uint8)
    white[40:240, 130:150] = 0  # a black "1" on white paper
    clear = np.zeros((280, 280, 4), np.uint8)
    clear[40:240, 130:150, 3] = 255  # the same stroke on a transparent canvas
    dark = 255 - white[:, :, 0]  # white ink on black, grey
    digit = img2img.mnist_like(white)
    assert torch.equal(digit, img2img.mnist_like(clear)) and torch.equal(digit, img2img.mnist_like(dark))
    rows = torch.nonzero(digit[0] > 128)[:, 0]
    assert rows.min() == 4 and rows.max() == 23  # 20 px tall, centred in 28
    assert img2img.drawing_input("lowres", white).shape == (1, 1, 7, 7)
    outline = img2img.drawing_input("outline", white)
    assert outline.shape == (1, 1, 28, 28) and set(outline.unique().tolist()) == {-1.0, 1.0}


@pytest.mark.parametrize("drawing, message", [
    (None, "empty"), (np.zeros((280, 280, 4), np.uint8), "empty"), (np.full((50, 50), 255, np.uint8), "empty"),
    (np.zeros((5000, 10), np.uint8), f"at most {img2img.MAX_DRAWING_SIDE}"), (np.zeros((3, 3, 2), np.uint8), "grey or RGB"),
])
def test_bad_drawings_are_refused_with_a_reason(drawing, message):
    with pytest.raises(ExploreError, match=message):
        img2img.drawing_input("lowres", drawing)


def test_held_out_digits_are_answered_by_every_method_and_scored_against_the_truth():
    inputs, truth, digit = img2img.heldout("lowres", 3)
    found = img2img.answers("lowres", inputs, truth)
    assert [a.label for a in found] == [label for label, _ in img2img.TASKS["lowres"].methods]
    assert torch.equal(found[0].image, bicubic(inputs, (28, 28))[0])
    assert torch.equal(found[2].image, load_generator(weights_path("mnist-srgan")).translate(inputs)[0])
    for a in found:
        assert {"psnr", "ssim", "digit", "confidence"} <= set(a.scores) and 0 <= a.scores["digit"] <= 9
    with pytest.raises(ExploreError, match="0..499"):
        img2img.heldout("lowres", 500)
    with pytest.raises(ExploreError, match="choose one of"):
        img2img.heldout("colour", 0)


def test_the_tab_shows_each_answer_with_its_reading():
    picture, *answers, table = tab.answer_heldout("outline", 7)
    assert picture.size == (28 * tab.SCALE,) * 2
    shown = [a for a in answers if a["visible"]]
    assert len(shown) == 2 and not answers[2]["visible"]  # pix2pix has no bicubic answer
    assert "True digit" in table and "mnist-pix2pix-l1" in table and "PSNR" in table
    drawing = np.zeros((280, 280, 4), np.uint8)
    drawing[60:220, 80:100, 3] = drawing[60:220, 180:200, 3] = 255
    _, *answers, table = tab.answer_drawing("lowres", {"composite": drawing, "layers": [], "background": None})
    assert sum(a["visible"] for a in answers) == 3 and "no true image" in table and "PSNR" not in table


def test_opening_the_tab_answers_the_held_out_digit_only_when_nothing_is_shown():
    opened = tab.answer_heldout_if_empty("lowres", 4, None)
    assert len(opened) == tab.N_ANSWERS + 2 and "True digit" in opened[-1]
    assert np.array_equal(np.asarray(opened[0]), np.asarray(tab.answer_heldout("lowres", 4)[0]))
    kept = tab.answer_heldout_if_empty("lowres", 4, opened[0])  # a drawing's answers stay
    assert len(kept) == tab.N_ANSWERS + 2 and all(k == {"__type__": "update"} for k in kept)


def test_image_to_image_models_stay_out_of_the_noise_tabs():
    names = {v for _, v in H.zoo_choices()}
    assert "mnist-cdcgan" in names and not names & {"mnist-srgan", "mnist-sr-l1", "mnist-pix2pix", "mnist-pix2pix-l1"}
    with pytest.raises(ExploreError, match="Image to image tab"):
        get_generator("mnist-pix2pix")
