"""Mode metrics for the 2D mixtures (ring8, grid25): the published VEEGAN/PacGAN protocol.

Protocol (Srivastava et al. 2017, "VEEGAN", Sec. 5.1; Lin et al. 2018, "PacGAN", Sec. 5.1):

1. Draw 2,500 samples from the generator (`PROTOCOL_N`).
2. Assign every sample to its nearest mode centre (Euclidean distance).
3. A sample is **high quality** when that distance is at most 3 standard deviations of the mode
   (`HQ_STDS`; ring8 std 0.02, grid25 std 0.05, see `ganplay.data.mixtures`).
   `hq` = the fraction of high-quality samples.
4. A mode is **covered** when at least one high-quality sample is assigned to it.
   `modes` = the number of covered modes (out of `n_modes`: 8 or 25).
   Steps 2-4 are `ganplay.modes` (numpy), which the dashboard counts its snapshots with too.
5. **Reverse KL** `kl` = KL(p_G || uniform) = sum_k p_k log(K p_k), where p is the histogram of
   nearest-centre assignments and the real distribution over modes is uniform (1/K). Our choice:
   the histogram counts *all* samples by nearest centre, as the PacGAN paper describes, so `kl`
   measures only how evenly G spreads over the modes and `hq` measures only quality; a G whose
   samples all fall between modes still gets a histogram. (PacGAN's released MetricLogger builds
   its coverage histogram from high-quality samples only; with G close to the data the two agree.)
   Modes with no samples add 0 (0 log 0 = 0), so `kl` is always finite: log K when every sample
   lands on one mode, 0 for a perfectly even spread.
6. Repeat over several sampling seeds and report mean and standard error (std / sqrt(seeds)).
   Note: the papers' error bars are over independently *trained* GANs; ours are over sampling seeds
   of one trained G, so they measure sampling noise only.

The real-data floor (the same protocol on samples of the true mixture) is about 8/8 or 25/25 modes,
~98.9% high quality (a 2D Gaussian puts 1 - exp(-9/2) of its mass within 3 std) and kl ~ 0.001.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ganplay import modes, protocol

PROTOCOL_N = protocol.POINTS_N
HQ_STDS = modes.HQ_STDS


def kl_from_uniform(counts: Tensor) -> float:
    """KL(p || uniform) of a histogram of counts over K bins: log K - H(p). 0 for no samples."""
    counts = counts.double()
    total = counts.sum()
    if total <= 0:
        return 0.0
    p = counts[counts > 0] / total
    return float((p * (p * len(counts)).log()).sum().clamp_min(0.0))


def _assign(x: Tensor, centres: Tensor, std: float | Tensor, threshold: float):
    """`modes.assign` (the rule's one home, numpy) on tensors."""
    std = std.detach().double().cpu().numpy() if isinstance(std, Tensor) else std
    return modes.assign(x.numpy(), centres.detach().double().cpu().numpy(), std, threshold)


def mode_metrics(x: Tensor, centres: Tensor, std: float | Tensor, threshold: float = HQ_STDS) -> dict[str, float]:
    """`modes` (covered modes), `hq` (fraction within `threshold` std of its nearest centre) and
    `kl` (reverse KL of the all-sample nearest-centre histogram from uniform) for points `x`.
    `std` is one float for equal modes, or a (K,) tensor (modes found by clustering drawn data:
    each sample is judged by the std of its nearest mode)."""
    x = x.detach().float().cpu()
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError(f"mode metrics take 2D points (N, 2); got {tuple(x.shape)}")
    k = len(centres)
    if len(x) == 0:
        return {"modes": 0.0, "hq": 0.0, "kl": 0.0}
    nearest, _, near = _assign(x, centres, std, threshold)
    return {
        "modes": float(len(np.unique(nearest[near]))),
        "hq": float(near.sum()) / len(x),  # non-finite points count as low quality
        "kl": kl_from_uniform(torch.from_numpy(np.bincount(nearest, minlength=k))),
    }


def where_samples_sit(x: Tensor, centres: Tensor, std: float | Tensor, threshold: float = HQ_STDS) -> dict:
    """Where the samples are, for words a card may use ("one blob between two modes", "starved
    modes"): per mode, the samples nearest to it (`nearest`) and the high-quality ones among them
    (`hq`); the median distance of a sample to its nearest centre; the samples' centroid and their
    RMS distance from it (`rms_radius`). Non-finite samples are left out."""
    x = x.detach().float().cpu()
    x = x[torch.isfinite(x).all(dim=1)]
    k = len(centres)
    if len(x) == 0:
        return {"nearest": [0] * k, "hq": [0] * k, "median_distance": None, "centroid": None, "rms_radius": None}
    nearest, dist, near = _assign(x, centres, std, threshold)
    centroid = x.double().mean(0)
    return {
        "nearest": np.bincount(nearest, minlength=k).tolist(),
        "hq": np.bincount(nearest[near], minlength=k).tolist(),
        "median_distance": float(torch.from_numpy(dist).median()),
        "centroid": centroid.tolist(),
        "rms_radius": float((x.double() - centroid).square().sum(1).mean().sqrt()),
    }


def mean_stderr(values: list[float]) -> dict[str, float | list[float]]:
    """{"mean", "stderr", "values"}: stderr is the sample std / sqrt(n) (0 for one value)."""
    n = len(values)
    mean = sum(values) / n
    var = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return {"mean": mean, "stderr": math.sqrt(var / n), "values": list(values)}
