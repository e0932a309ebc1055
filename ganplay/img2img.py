"""The image-to-image models side by side, for the panel: a held-out digit or a visitor's drawing
in, every method's answer out, each with what it scores.

    TASKS["lowres"]   a 7x7 digit made 28x28: bicubic interpolation, the zoo's `mnist-sr-l1`
                      (L1 only) and `mnist-srgan` (L1 + adversarial)
    TASKS["outline"]  a digit's outline filled in: `mnist-pix2pix-l1` and `mnist-pix2pix`

A drawing becomes what the models saw in training: the ink cropped, scaled so its longer side is
20 px and centred by its centre of mass in 28x28 (MNIST's own preparation); then shrunk to 7x7
(lowres), or reduced to its outline's pixels (outline: ink pixels after the shrink, 1-2 px wide).
Every answer is read by the bundled classifier; against a held-out digit's true image, PSNR and
SSIM too (`metrics.translation.scores`). A drawing has no true image: readings only.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganplay.config import Config
from ganplay.data.pairs import INK, LOWRES_FACTOR, make_inputs
from ganplay.explore import ExploreError, cached_generator, check_whole, shown
from ganplay.metrics.translation import EVAL_N, bicubic, heldout_pairs, scores
from ganplay.zoo import weights_path

SIDE = 28
INK_BOX = 20  # MNIST: each digit's ink scaled into a 20x20 box, centred by mass in 28x28
MAX_DRAWING_SIDE = 1024  # a canvas or picture larger than this is refused (as panel.guard.MAX_SIDE)
MAX_PHOTO_SIDE = 4 * MAX_DRAWING_SIDE  # a JPEG: decoded at 1/8 of that at most (`draft`), so taken
WORK_SIDE = 512  # what `_ink` computes on: a larger picture is reduced first (a 280 px canvas is not)


@dataclass(frozen=True)
class Task:
    title: str
    methods: tuple[tuple[str, str | None], ...]  # (label, zoo model; None: bicubic)


TASKS = {
    "lowres": Task("4x super-resolution: a 7x7 digit made 28x28",
                   (("bicubic", None), ("L1 only (mnist-sr-l1)", "mnist-sr-l1"), ("GAN (mnist-srgan)", "mnist-srgan"))),
    "outline": Task("pix2pix: a digit's outline filled in",
                    (("L1 only (mnist-pix2pix-l1)", "mnist-pix2pix-l1"), ("GAN (mnist-pix2pix)", "mnist-pix2pix"))),
}


@dataclass
class Answer:
    label: str
    image: Tensor  # (1, 28, 28) in [-1, 1]
    scores: dict[str, float]  # psnr and ssim (against a true image), always digit and confidence


def check_task(kind: str) -> Task:
    if not isinstance(kind, str) or kind not in TASKS:
        raise ExploreError(f"choose one of: {', '.join(TASKS)}; got {shown(kind)}")
    missing = [name for _, name in TASKS[kind].methods if name and not weights_path(name).exists()]
    if missing:
        raise ExploreError(f"{', '.join(missing)} not built here: ganplay zoo build {' '.join(missing)}")
    return TASKS[kind]


def heldout(kind: str, index: int) -> tuple[Tensor, Tensor, int]:
    """(input, true image, true digit) of held-out MNIST-5k digit `index` (0..499)."""
    check_task(kind)
    i = check_whole(index, "held-out digit")
    if not 0 <= i < EVAL_N:
        raise ExploreError(f"held-out digits are numbered 0..{EVAL_N - 1}; got {shown(index)}")
    inputs, truth, labels = _heldout(kind)
    return inputs[i:i + 1], truth[i:i + 1], int(labels[i])


_HELDOUT: dict[str, tuple[Tensor, Tensor, Tensor]] = {}


def _heldout(kind: str) -> tuple[Tensor, Tensor, Tensor]:
    if kind not in _HELDOUT:
        arch = {"lowres": "srgan", "outline": "pix2pix"}[kind]
        _HELDOUT[kind] = heldout_pairs(Config.from_dict({"data": {"name": "mnist5k"}, "model": {"arch": arch},
                                                          "loss": {"l1_weight": 1}}))
    return _HELDOUT[kind]


def drawing_input(kind: str, drawing: np.ndarray | None) -> Tensor:
    """A canvas (H, W) grey or (H, W, 3/4) RGB(A), dark or transparent background or white paper
    alike, as the model's input in [-1, 1]: (1, 1, 7, 7) for lowres, (1, 1, 28, 28) for outline."""
    check_task(kind)
    digit = mnist_like(drawing)
    if kind == "outline":  # the strokes a visitor draws are the outline: keep them as lines
        line = (digit >= INK).to(torch.uint8) * 255
        return line.float().div(127.5).sub(1).unsqueeze(0)
    return make_inputs(kind, digit.unsqueeze(0)).float().div(127.5).sub(1)


def mnist_like(drawing: np.ndarray | None) -> Tensor:
    """The drawing's ink as a uint8 (1, 28, 28) digit prepared the way MNIST's were."""
    ink = _ink(drawing)
    ys, xs = np.nonzero(ink > 0.1)
    if len(ys) == 0:
        raise ExploreError("The canvas is empty: draw something first.")
    box = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = INK_BOX / max(box.shape)
    h, w = max(1, round(box.shape[0] * scale)), max(1, round(box.shape[1] * scale))
    small = F.interpolate(torch.from_numpy(box)[None, None].float(), size=(h, w), mode="area")[0, 0]
    small = (small / max(float(small.max()), 1e-6)).clamp(0, 1)
    # centre of mass to the middle of the 28x28 frame (clamped so the box stays inside)
    total = float(small.sum())
    cy = float((small.sum(1) * torch.arange(h)).sum()) / total
    cx = float((small.sum(0) * torch.arange(w)).sum()) / total
    top = min(max(round(SIDE / 2 - cy), 0), SIDE - h)
    left = min(max(round(SIDE / 2 - cx), 0), SIDE - w)
    out = torch.zeros(SIDE, SIDE)
    out[top:top + h, left:left + w] = small
    return (out * 255).round().to(torch.uint8).unsqueeze(0)


MAX_UPLOAD_BYTES = 1_000_000  # the panel's upload cap (Gradio's max_file_size), checked here again
MIN_PICTURE_SIDE = 8  # smaller than this holds no digit


# formats whose opening reads only the header (an ICO's opening decodes its whole picture, so a
# 657 kB file could make the server hold 640 MB before the size check)
PICTURE_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")


def read_picture(path) -> np.ndarray:
    """An uploaded file as a picture `mnist_like` reads: uint8 (H, W) grey or (H, W, 4) RGBA, at
    most WORK_SIDE px a side. Refused with a message: a missing, empty or too large file (over
    MAX_UPLOAD_BYTES), anything PIL cannot read as a picture, one under MIN_PICTURE_SIDE or over
    MAX_DRAWING_SIDE px a side (MAX_PHOTO_SIDE for a JPEG) from its header, before decoding: a
    328-byte PNG can hold a 4000 x 4000 canvas. What is decoded stays small: a JPEG decodes at
    1/2, 1/4 or 1/8 of its size (`draft`), anything larger than WORK_SIDE is reduced (box
    averages) before its mode is converted and before any float arithmetic (`_ink`). Any mode is
    read (palette, 16-bit, CMYK, ...; transparency kept); an animation gives its first frame."""
    from PIL import Image, UnidentifiedImageError

    if path is None or str(path) == "":
        raise ExploreError("Upload a picture first (PNG or JPEG).")
    path = str(getattr(path, "path", path))
    try:
        size = os.path.getsize(path)
    except OSError:
        raise ExploreError("The upload did not arrive: try again.") from None
    if size == 0:
        raise ExploreError("The uploaded file is empty.")
    if size > MAX_UPLOAD_BYTES:
        raise ExploreError(f"The uploaded file is {size / 1e6:.1f} MB; at most {MAX_UPLOAD_BYTES / 1e6:.0f} MB.")
    try:
        with Image.open(path, formats=PICTURE_FORMATS) as img:
            w, h = img.size
            jpeg = img.format == "JPEG"
            cap = MAX_PHOTO_SIDE if jpeg else MAX_DRAWING_SIDE
            if max(w, h) > cap:
                raise ExploreError(f"The picture is {w}x{h} px; at most {cap} px a side"
                                   + (" (a JPEG photo)." if jpeg else f" ({MAX_PHOTO_SIDE} for a JPEG photo)."))
            if min(w, h) < MIN_PICTURE_SIDE:
                raise ExploreError(f"The picture is {w}x{h} px: too small to hold a digit (at least "
                                   f"{MIN_PICTURE_SIDE} px a side).")
            if jpeg:  # decoded at the smallest of 1/1, 1/2, 1/4, 1/8 that keeps WORK_SIDE px
                img.draft(img.mode, _fit(w, h, WORK_SIDE))
            img.seek(0)
            return _decoded(img)
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ExploreError("That file is not a picture this page can read: upload a PNG or JPEG of a digit.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ExploreError):
            raise
        raise ExploreError("That picture is damaged or cut short: upload a PNG or JPEG of a digit.") from None


def _fit(w: int, h: int, side: int) -> tuple[int, int]:
    """(w, h) scaled so the longer side is `side` (at least 1 px each)."""
    big = max(w, h)
    return max(1, w * side // big), max(1, h * side // big)


# modes PIL's `reduce` averages as they are; others are converted first (palette, 1-bit, CMYK,
# 16-bit: at most MAX_DRAWING_SIDE square, 4 bytes a pixel)
_REDUCIBLE = ("L", "LA", "RGB", "RGBA", "I", "F")


def _decoded(img) -> np.ndarray:
    """An opened picture (header checked) as uint8 grey or RGBA of at most WORK_SIDE px a side."""
    alpha = "A" in img.getbands() or "transparency" in img.info
    if img.mode.startswith("I") or img.mode == "F":  # 16/32-bit grey: reduced, then stretched to 8 bits
        img = img if img.mode in ("I", "F") else img.convert("I")
        a = np.asarray(_reduced(img), dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        return np.rint(255 * (a - lo) / max(hi - lo, 1e-9)).astype(np.uint8)
    if img.mode not in _REDUCIBLE:
        img = img.convert("RGBA" if alpha else "L")
    img = _reduced(img)
    return np.asarray(img.convert("RGBA" if alpha else "L"), dtype=np.uint8).copy()


def _reduced(img):
    """`img` reduced by a whole factor (box averages) to at most WORK_SIDE px a side."""
    factor = math.ceil(max(img.size) / WORK_SIDE)
    return img.reduce(factor) if factor > 1 else img


def _ink(drawing: np.ndarray | None) -> np.ndarray:
    if drawing is None:
        raise ExploreError("The canvas is empty: draw something first.")
    a = np.asarray(drawing)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)) or a.size == 0:
        raise ExploreError(f"expected a grey or RGB(A) picture; got an array of shape {a.shape}")
    if max(a.shape[:2]) > MAX_DRAWING_SIDE:
        raise ExploreError(f"the picture is {a.shape[1]}x{a.shape[0]} px; at most {MAX_DRAWING_SIDE} px a side")
    a = _reduced_array(a)
    a = a.astype(np.float32) / (255.0 if a.dtype == np.uint8 or a.max() > 1 else 1.0)
    if a.ndim == 2:
        a = a[:, :, None]
    grey = a[:, :, :3].mean(axis=2) if a.shape[2] >= 3 else a[:, :, 0]
    alpha = a[:, :, 3] if a.shape[2] == 4 else np.ones_like(grey)
    if np.median(alpha) < 0.5:  # strokes on a transparent canvas: whatever is painted is ink
        return alpha
    paper = float(np.median(grey))  # most of a canvas is paper, dark or white
    return alpha * np.abs(grey - paper) / max(paper, 1.0 - paper, 1e-6)


def _reduced_array(a: np.ndarray) -> np.ndarray:
    """A drawing larger than WORK_SIDE px (a canvas on a high-density screen) reduced by a whole
    factor, as `read_picture` reduces an upload: box averages, kept uint8 when it was."""
    if max(a.shape[:2]) <= WORK_SIDE:
        return a
    from PIL import Image

    if a.dtype == np.uint8 and (a.ndim == 2 or a.shape[2] in (3, 4)):
        return np.asarray(_reduced(Image.fromarray(a)))
    f = math.ceil(max(a.shape[:2]) / WORK_SIDE)  # other dtypes: the mean of each f x f block
    h, w = -(-a.shape[0] // f) * f, -(-a.shape[1] // f) * f
    pad = [(0, h - a.shape[0]), (0, w - a.shape[1])] + [(0, 0)] * (a.ndim - 2)
    a = np.pad(a, pad, mode="edge")
    return a.reshape(h // f, f, w // f, f, *a.shape[2:]).mean(axis=(1, 3))


def answers(kind: str, inputs: Tensor, truth: Tensor | None = None) -> list[Answer]:
    """Every method's answer to `inputs` (1, 1, h, w), scored against `truth` when there is one."""
    from ganplay.metrics.classifier import load_classifier

    task = check_task(kind)
    classifier = load_classifier()
    out = []
    for label, name in task.methods:
        if name is None:
            image = bicubic(inputs, (SIDE, SIDE))
        else:
            image = cached_generator(weights_path(name), name).translate(inputs)
        with torch.no_grad():
            probs = classifier.head(classifier.features(image.float())).softmax(1)[0]
        result = {"digit": int(probs.argmax()), "confidence": float(probs.max())}
        if truth is not None:
            result.update(scores(image, truth))
        out.append(Answer(label, image[0], result))
    return out


def enlarged(inputs: Tensor) -> Tensor:
    """An input as the page shows it: 28x28, nearest neighbour (each 7x7 pixel a 4x4 block)."""
    return F.interpolate(inputs.float(), size=(SIDE, SIDE), mode="nearest")[0] if inputs.shape[-1] != SIDE \
        else inputs.float()[0]


__all__ = ["EVAL_N", "Answer", "LOWRES_FACTOR", "TASKS", "answers", "drawing_input", "enlarged", "heldout",
           "mnist_like", "read_picture"]
