"""Which mode each 2D point belongs to, and which modes a set of points covers: the VEEGAN/PacGAN
rule that `metrics.points.mode_metrics` (the published protocol) and the dashboard's snapshots
(`dashboard.view2d`) both count with. Numpy only, so the pages can import it without torch.

A point belongs to its nearest mode centre; it is *high quality* when it lies within
`HQ_STDS` standard deviations of that centre (one std for equal modes, or one per mode: modes
found in drawn data); a mode is *covered* when at least one high-quality point belongs to it.
Points that are not finite belong to no mode.
"""

from __future__ import annotations

import numpy as np

HQ_STDS = 3.0


def assign(x: np.ndarray, centres: np.ndarray, std: float | np.ndarray,
           threshold: float = HQ_STDS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the finite points of `x` (N, 2), in order: (index of the nearest centre, distance to
    it, whether that is within `threshold` stds of that mode). `std`: a number or one per centre."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    x = x[np.isfinite(x).all(axis=1)]
    centres = np.asarray(centres, dtype=np.float64).reshape(-1, 2)
    if not len(x) or not len(centres):
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty.astype(bool)
    dist = np.linalg.norm(x[:, None, :] - centres[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    dist = dist[np.arange(len(x)), nearest]
    std = np.asarray(std, dtype=np.float64)
    radius = threshold * (std[nearest] if std.ndim else std)
    return nearest, dist, dist <= radius


def modes_hit(x: np.ndarray, centres: np.ndarray, std: float | np.ndarray, threshold: float = HQ_STDS) -> int:
    """How many modes the points cover: those with at least one high-quality point."""
    nearest, _, near = assign(x, centres, std, threshold)
    return int(len(np.unique(nearest[near])))
