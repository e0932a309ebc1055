"""Stacked MNIST mode metrics: the standard mode-collapse benchmark for image GANs.

Protocol (Metz et al. 2017; Srivastava et al. 2017, "VEEGAN", Table 2; Lin et al. 2018, "PacGAN",
Table 2):

1. Draw 26,000 samples (`PROTOCOL_N`); each is three digits stacked as R, G and B.
2. Classify each channel on its own with the MNIST classifier (ours: `classifier.py`).
3. A sample's mode is its digit triple (1,000 possible). `modes` = distinct triples seen.
4. `kl` = KL(p_G || uniform) of the histogram over the 1,000 triples: 0 for an even spread,
   log(1000) = 6.91 when every sample is the same triple.

The real-data floor (training stacks through the same classifier) is close to 1,000 modes and a
small KL; the classifier's ~1% error per channel is why it is not exactly 1,000 / 0.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganplay import protocol
from ganplay.metrics.points import kl_from_uniform

PROTOCOL_N = protocol.STACKED_N
N_MODES = 1000
CHANNELS = 3


@torch.no_grad()
def channel_probs(model, x: Tensor, batch_size: int = 500) -> Tensor:
    """The classifier's softmax for each channel of RGB images `x` (B, 3, H, W): (B, 3, 10).

    Images are float in [-1, 1] (what G makes) or uint8 in 0..255 (real data)."""
    from ganplay.metrics.classifier import prepare

    if x.dim() != 4 or x.shape[1] != CHANNELS:
        raise ValueError(f"Stacked MNIST images are (B, 3, H, W); got {tuple(x.shape)}")
    device = next(model.parameters()).device
    out = []
    for i in range(0, len(x), batch_size):
        part = x[i:i + batch_size]
        grey = part.reshape(-1, 1, *part.shape[-2:])  # (B*3, 1, H, W): channel after channel
        logits = model.head(model.features(prepare(grey, device)))
        out.append(logits.softmax(1).float().cpu().reshape(len(part), CHANNELS, -1))
    return torch.cat(out) if out else torch.empty(0, CHANNELS, 10)


def mode_ids(probs: Tensor) -> Tensor:
    """The digit triple of each sample read as a number: 100 * red + 10 * green + blue."""
    digits = probs.argmax(-1)
    return digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]


def stacked_mode_metrics(probs: Tensor) -> dict[str, float]:
    """`modes` (distinct digit triples, of 1,000) and `kl` (KL of their histogram from uniform)."""
    if probs.dim() != 3 or probs.shape[1] != CHANNELS:
        raise ValueError(f"expected per-channel probabilities (N, 3, 10); got {tuple(probs.shape)}")
    counts = torch.bincount(mode_ids(probs), minlength=N_MODES)
    return {"modes": float((counts > 0).sum()), "kl": kl_from_uniform(counts)}
