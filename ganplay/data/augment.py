"""Differentiable augmentation of D's inputs (DiffAugment; Zhao et al. 2020).

The same random transformations are applied to real and fake images on their way into D, and
gradients flow through them back to G, so D cannot tell real from fake by the augmentation and G
does not learn to produce augmented images. This helps D not to memorise a small training set.

Policies: `translation` shifts each image by up to 1/8 of its side (the uncovered border becomes
0), `cutout` sets a square of half the side to 0, centred at a random pixel (so it may be clipped
by the border). All random numbers come from the caller's generator: seeded, the result repeats.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

TRANSLATION_RATIO = 0.125
CUTOUT_RATIO = 0.5


def _randint(low: int, high: int, n: int, generator: torch.Generator,
             device: torch.device) -> Tensor:
    # drawn where the generator lives, then moved: a CPU generator also works for CUDA images
    return torch.randint(low, high, (n,), generator=generator, device=generator.device).to(device)


def translation(x: Tensor, generator: torch.Generator) -> Tensor:
    """Shift each image by a random whole number of pixels, up to 1/8 of its side each way."""
    b, _, h, w = x.shape
    sy, sx = int(h * TRANSLATION_RATIO + 0.5), int(w * TRANSLATION_RATIO + 0.5)
    dy = _randint(-sy, sy + 1, b, generator, x.device)
    dx = _randint(-sx, sx + 1, b, generator, x.device)
    padded = F.pad(x, (sx, sx, sy, sy)).permute(0, 2, 3, 1)  # (B, H + 2sy, W + 2sx, C)
    # out[i, j] = x[i - dy, j - dx], read from the zero-padded copy (offset by the padding)
    rows = torch.arange(h, device=x.device)[None, :] + (sy - dy)[:, None]  # (B, H)
    cols = torch.arange(w, device=x.device)[None, :] + (sx - dx)[:, None]  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def cutout(x: Tensor, generator: torch.Generator) -> Tensor:
    """Zero a square of half the image's side, centred at a random pixel of each image."""
    b, _, h, w = x.shape
    ch, cw = int(h * CUTOUT_RATIO + 0.5), int(w * CUTOUT_RATIO + 0.5)
    top = _randint(0, h, b, generator, x.device) - ch // 2
    left = _randint(0, w, b, generator, x.device) - cw // 2
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    in_rows = (rows >= top[:, None]) & (rows < top[:, None] + ch)  # (B, H)
    in_cols = (cols >= left[:, None]) & (cols < left[:, None] + cw)  # (B, W)
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])
    return x * keep[:, None].to(x.dtype)


POLICIES = {"translation": translation, "cutout": cutout}


def diff_augment(x: Tensor, policies: list[str], generator: torch.Generator) -> Tensor:
    """Apply each policy in order to a batch `(B, C, H, W)`; differentiable with respect to x."""
    for name in policies:
        if name not in POLICIES:
            raise ValueError(f"unknown augmentation {name!r}; known: {', '.join(POLICIES)}")
        x = POLICIES[name](x, generator)
    return x
