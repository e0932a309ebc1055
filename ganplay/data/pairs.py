"""What an image-to-image G starts from, made from the image itself (so every image is a pair).

    lowres(x)   4x smaller (7x7 for a 28 px digit): the mean of each 4x4 block, as a camera with
                bigger pixels would record it; super-resolution (srgan) learns to undo it
    outline(x)  the digit's outline: background pixels next to ink (ink: >= 50% grey), one pixel
                wide around every stroke; pix2pix learns to fill it in

Both take and give uint8 images (N, C, H, W), like `Dataset.x`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

LOWRES_FACTOR = 4
INK = 128  # a pixel is ink from this grey level up (MNIST's strokes are 255 with soft edges)


def lowres(x: Tensor, factor: int = LOWRES_FACTOR) -> Tensor:
    if x.shape[-1] % factor or x.shape[-2] % factor:
        raise ValueError(f"lowres: image sides must be multiples of {factor}; got {tuple(x.shape[-2:])}")
    return F.avg_pool2d(x.float(), factor).round().to(torch.uint8)


def outline(x: Tensor) -> Tensor:
    ink = (x >= INK).float()
    grown = F.max_pool2d(ink, 3, stride=1, padding=1)  # ink and its 8 neighbours
    return ((grown - ink) * 255).to(torch.uint8)


MAKERS = {"lowres": lowres, "outline": outline}


def make_inputs(kind: str, x: Tensor) -> Tensor:
    """G's inputs for the images `x` (uint8): `kind` is "lowres" or "outline"."""
    if kind not in MAKERS:
        raise ValueError(f"no image-to-image input {kind!r}; known: {', '.join(MAKERS)}")
    return MAKERS[kind](x)
