"""Synthetic lab replays with known numbers (no training), for the lab page's tests.

`synthetic_replay("ring8", "collapse", [0, 3, 5, 2, 1])` builds a replay whose frame k has its
generated points on exactly `coverage[k]` of the ring's modes (none: a blob at the centre), so what
the page draws agrees with the numbers it shows.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ganplay.lab.replay import Replay, replay_path

COLLAPSING = [0, 3, 5, 2, 1]
COVERING = [0, 3, 6, 8, 8]
STEPS = [0, 750, 1500, 2250, 3000]


def ring8_centres() -> np.ndarray:
    angles = 2 * math.pi * np.arange(8) / 8
    return 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def synthetic_replay(scenario: str, side: str, coverage: list[float], steps: list[int] | None = None,
                     n: int = 500, seed: int = 0, hq: list[float] | None = None) -> Replay:
    """A ring8 replay (points) with the given coverage (and, if given, high-quality share) per frame."""
    assert scenario == "ring8", "only ring8 is synthesised"
    steps = steps or STEPS[: len(coverage)]
    rng = np.random.default_rng(seed)
    centres = ring8_centres()
    frames = []
    for c in coverage:
        c = int(c)
        if c == 0:
            pts = rng.normal(0.0, 0.25, size=(n, 2))
        else:
            which = rng.integers(0, c, size=n)
            pts = centres[which] + rng.normal(0.0, 0.02, size=(n, 2))
        frames.append(pts)
    real = centres[rng.integers(0, 8, size=n)] + rng.normal(0.0, 0.02, size=(n, 2))
    hq = list(hq) if hq is not None else [0.0 if c == 0 else 0.95 for c in coverage]
    verdict = "collapsed" if coverage[-1] <= 2 else "covered" if coverage[-1] >= 7 else "partial"
    return Replay(scenario, side, seed, "points", np.array(steps), np.array(coverage, dtype=np.float32),
                  np.stack(frames).astype(np.float16), {"hq": np.array(hq, dtype=np.float32)},
                  real.astype(np.float16), None,
                  {"final": {"modes": float(coverage[-1]), "hq": hq[-1]}, "verdict": verdict, "synthetic": True})


def write_pair(root: Path, cure: str = "unrolled", left: list[float] = COLLAPSING,
               right: list[float] = COVERING, right_hq: list[float] | None = None) -> dict[str, Path]:
    """ring8/collapse.npz and ring8/<cure>.npz under `root` (`right_hq`: the cure's high-quality
    share per frame, e.g. low where it covers, so the page warns on that side alone)."""
    return {side: synthetic_replay("ring8", side, cov, seed=i, hq=hq).save(replay_path("ring8", side, root))
            for i, (side, cov, hq) in enumerate((("collapse", left, None), (cure, right, right_hq)))}


def image_replay(scenario: str, side: str, kind: str, coverage: list[float], seed: int = 0) -> Replay:
    """A "digits" (grey 6x6 grids of 28 px, class histograms) or "stacked" (RGB grids) replay with
    the given coverage per frame; the pictures are noise, the numbers are what matters."""
    rng = np.random.default_rng(seed)
    n = len(coverage)
    shape = (n, 168, 168) if kind == "digits" else (n, 168, 168, 3)
    frames = rng.integers(0, 256, size=shape, dtype=np.uint8)
    hist = None
    if kind == "digits":  # the first `c` classes share the samples equally
        hist = np.zeros((n, 10), dtype=np.float32)
        for k, c in enumerate(coverage):
            hist[k, : max(1, int(c))] = 1.0 / max(1, int(c))
    # stacked: KL from uniform as if each covered triple got an equal share
    series = {} if kind == "digits" else {"kl": np.log(1000 / np.maximum(1, coverage)).astype(np.float32)}
    return Replay(scenario, side, seed, kind, np.array(STEPS[:n]), np.array(coverage, dtype=np.float32),
                  frames, series, None, hist, {"verdict": None, "synthetic": True})
