"""Playing a lesson: each side's title and colour, the square its 2D views share (also the playground's test of points beyond a
view), the shared timeline of a pair's replays, the numbers a side shows at a frame,
the published number that belongs to a side's method, and a live pair's runs and coverage read back
from their metrics lines. The page (`dashboard/views/collapse_lab.py`) draws what these return
(its figures are in `dashboard/lab_view.py`). Torch-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from ganplay.config import MODE_CENTRES
from ganplay.lab.replay import Replay
from ganplay.lab.scenarios import COLLAPSE, CURES, Scenario, scenario
from ganplay.modes import modes_hit
from ganplay.train.rundir import series

# which published number belongs to which side: words the method's name contains (spaces as "-")
ANCHOR_MATCH = {"unrolled": ("unrolled",), "spectral-norm": ("sn-gan", "sngan", "spectral"),
                "minibatch-std": ("minibatch",), "pacgan": ("pacgan",), "wgan-gp": ("wgan-gp",)}
COLLAPSE_METHODS = ("gan", "vanilla-gan")  # a fully connected GAN, as every lesson's left side
CONV_COLLAPSE_METHODS = ("dcgan",)  # ... and a convolutional one: only for a left side that is one
CONV_ARCHS = ("dcgan",)
# The share of high-quality samples says nothing about variety while G covers at most this many
# modes (an untrained G sits on the grid's centre blob: "74% high quality" at step 0)
HQ_MIN_MODES = 1
# A fall from the best so far smaller than this share of all the modes is a wobble, not G giving
# modes up (Stacked MNIST's cure wobbles between 971 and 985 of 1,000 at its end)
NOISE_SHARE = 0.02
# Digit-like pictures: the correlation of neighbouring pixels in a sample (median over a frame's
# samples and channels). Real MNIST-5k and Stacked MNIST grids measure 0.80, uniform noise 0.00,
# the shipped collapsing sides at most 0.35 over all their frames, their cures 0.56 and more from
# step 188 on (tests/test_lab_view.py keeps the shipped replays on their side of this line).
DIGIT_LIKE = 0.5
# one colour per side, the same on the page and the slides; the real data grey under both
LEFT_COLOUR, RIGHT_COLOUR, REAL_COLOUR = "#d62728", "#1f77b4", "#b8b8b8"


def side_title(side: str) -> str:
    """"Vanilla GAN (collapses)" or "Cure: <title>" (the page's headers and the slides' titles)."""
    return "Vanilla GAN (collapses)" if side == COLLAPSE else f"Cure: {CURES[side].title}"


def side_colour(side: str) -> str:
    return LEFT_COLOUR if side == COLLAPSE else RIGHT_COLOUR


def points_limit(real: np.ndarray | None) -> float:
    """Half the side of the square every 2D view of a lesson uses, page and slides alike (the same
    at every frame, so nothing jumps)."""
    if real is None or not len(real):
        return 5.0
    return float(np.abs(np.asarray(real, dtype=np.float32)).max()) * 1.35


def outside_view(points: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Which points lie outside the square view lo..hi (not finite ones included)."""
    finite = np.isfinite(points).all(axis=1)
    inside = finite & (points >= lo).all(axis=1) & (points <= hi).all(axis=1)
    return ~inside


# -- the shared timeline (each side shows its last frame at or before the step: Replay.frame_at) --
def timeline(*replays: Replay | None) -> list[int]:
    """Every recorded step of the given replays, sorted, without repeats."""
    steps: set[int] = set()
    for rep in replays:
        if rep is not None:
            steps.update(int(s) for s in rep.steps)
    return sorted(steps)


def snap_step(steps: list[int], step: int | None) -> int:
    """`step` if it is on the timeline, else the last timeline step before it (the first if none);
    the end when `step` is None."""
    if not steps:
        return 0
    if step is None:
        return steps[-1]
    before = [s for s in steps if s <= step]
    return before[-1] if before else steps[0]


def next_step(steps: list[int], step: int) -> tuple[int, bool]:
    """(the step after `step` on the timeline, whether that is the end)."""
    later = [s for s in steps if s > step]
    nxt = later[0] if later else steps[-1]
    return nxt, nxt == steps[-1]


@dataclass
class Numbers:
    """What a side shows big at one frame."""

    step: int
    coverage: float
    full: int
    peak: float  # the best coverage up to this frame
    hq: float | None = None  # share of high-quality points (2D), 0..1
    hist: np.ndarray | None = None  # class shares (digits), sums to 1
    kl: float | None = None  # KL(generated || uniform) over the 1,000 triples (Stacked MNIST)
    drawn: int | None = None  # modes the frame's drawn points touch (2D), by the same 3-std rule
    drawn_n: int = 0  # how many points the frame draws (2D)
    counted_n: int = 0  # how many samples `coverage` counted

    @property
    def delta(self) -> float:
        """Coverage minus its best so far: 0 while climbing, negative once G gives modes up."""
        return self.coverage - self.peak

    @property
    def hq_means_something(self) -> bool:
        """Whether the high-quality share is worth showing: not while G covers at most
        `HQ_MIN_MODES` modes (all its samples sharp on one mode is collapse, not quality)."""
        return self.hq is not None and self.coverage > HQ_MIN_MODES

    def fall_is_noise(self, sc: Scenario) -> bool:
        """A fall from the best so far too small to mean anything: under `NOISE_SHARE` of all the
        modes, or while the side still covers the data (`covered_at_least`)."""
        return self.delta < 0 and (-self.delta < NOISE_SHARE * self.full or self.coverage >= sc.covered_at_least)

    def touched_not_sharp(self, sc: Scenario, sharp: float) -> bool:
        """The side covers the data (its lesson's threshold) with few high-quality samples."""
        return self.hq is not None and self.coverage >= sc.covered_at_least and self.hq < sharp


def numbers(replay: Replay, i: int) -> Numbers:
    sc = scenario(replay.scenario)
    hq = replay.series.get("hq")
    kl = replay.series.get("kl") if replay.kind == "stacked" else None
    drawn = drawn_modes(replay, i)
    return Numbers(
        step=int(replay.steps[i]), coverage=float(replay.coverage[i]), full=sc.n_modes,
        peak=float(np.max(replay.coverage[: i + 1])),
        hq=float(hq[i]) if hq is not None and len(hq) > i else None,
        kl=float(kl[i]) if kl is not None and len(kl) > i else None,
        hist=(np.asarray(replay.hist[i], dtype=float) if replay.hist is not None else None),
        drawn=drawn, drawn_n=len(replay.frames[i]) if drawn is not None else 0,
        counted_n=int(replay.meta.get("final_n") or 0))


def drawn_modes(replay: Replay, i: int) -> int | None:
    """How many modes the points frame `i` draws touch, by the rule the count uses (a point within
    3 std of a mode's centre). A replay's points are a separate draw of G's samples (500 on other
    noise than the 2,500 the count uses), so they can touch fewer modes than the count says; None
    for images, or data without known modes."""
    if replay.kind != "points":
        return None
    data = scenario(replay.scenario).base.get("data", {}).get("name")
    if data not in MODE_CENTRES:
        return None
    centres, std = MODE_CENTRES[data]
    return modes_hit(np.asarray(replay.frames[i], dtype=np.float32), np.asarray(centres), std)


def smoothness(frame: np.ndarray, side: int = 6, pad: int = 2) -> float:
    """How much neighbouring pixels agree in a frame's samples: the median, over the samples of a
    `side` x `side` grid (`pad` px apart) and their channels, of the correlation between each pixel
    and its right and lower neighbours. Handwriting is smooth strokes (real digits: 0.80), speckle
    is not (uniform noise: 0.00). A frame that is not such a grid is measured whole."""
    img = np.asarray(frame, dtype=np.float64)
    if img.ndim == 2:
        img = img[..., None]
    n = (img.shape[0] - pad) / side - pad
    if n == int(n) and n > 2 and img.shape[0] == img.shape[1]:
        n = int(n)
        tiles = [img[pad + r * (n + pad):pad + r * (n + pad) + n, pad + c * (n + pad):pad + c * (n + pad) + n]
                 for r in range(side) for c in range(side)]
    else:
        tiles = [img]
    values = []
    for tile in tiles:
        for ch in range(tile.shape[-1]):
            a = tile[..., ch]
            pairs = ((a[:, :-1], a[:, 1:]), (a[:-1], a[1:]))
            for u, v in pairs:
                u, v = u.ravel(), v.ravel()
                if u.std() > 0 and v.std() > 0:
                    values.append(float(np.corrcoef(u, v)[0, 1]))
    return float(np.median(values)) if values else 0.0


def never_digit_like(replay: Replay) -> bool:
    """Whether no recorded frame of an image replay looks like handwriting (`smoothness` under
    `DIGIT_LIKE` at every frame): its count then is the classifier naming a digit for speckle."""
    if replay.kind == "points":
        return False
    return all(smoothness(frame) < DIGIT_LIKE for frame in replay.frames)


# -- published numbers ------------------------------------------------------------------------------
def anchor_for(sc: Scenario, side: str) -> tuple[str, float, str] | None:
    """The published number for this side's method, when the scenario lists one. The left side
    takes a published vanilla GAN's number only for its own kind of net (Stacked MNIST's DCGAN
    number is not the fully connected GAN's)."""
    conv = sc.base.get("model", {}).get("arch") in CONV_ARCHS
    collapse_methods = COLLAPSE_METHODS + (CONV_COLLAPSE_METHODS if conv else ())
    for method, value, source in sc.anchors:
        name = method.lower().strip().replace(" ", "-")
        if side == COLLAPSE:
            if name in collapse_methods:
                return method, value, source
        elif any(word in name for word in ANCHOR_MATCH.get(side, (side,))):
            return method, value, source
    return None


# -- live pairs -------------------------------------------------------------------------------------
def live_label(scenario_name: str, side: str) -> str:
    """The config name (and run directory label) of a live lab run."""
    return f"lab-{scenario_name}-{side}"


def live_pair(runs: list, scenario_name: str, sides: Iterable[str],
              wanted: dict[str, str] | None = None) -> dict[str, Any]:
    """The runs (RunInfo) that show a lesson live: the ones this session started (`wanted`: side
    -> job id), else the newest run of each side's config name (a refresh finds them again)."""
    wanted = wanted or {}
    out: dict[str, Any] = {}
    for side in sides:
        ident = wanted.get(side)
        named = [r for r in runs if r.config.get("name") == live_label(scenario_name, side)]
        mine = [r for r in named if ident and ident in (r.id, r.path.name, (r.job or {}).get("id"))]
        if mine:
            out[side] = mine[0]
            continue
        if named:  # newest first: queued and launching jobs, then run directories by name (a time stamp)
            rank = {"queued": 2, "launch": 1, "run": 0}
            out[side] = max(named, key=lambda r: (rank.get(r.kind, 0), r.path.name))
    return out


def live_coverage(rows: list[dict], sc: Scenario) -> tuple[list[int], list[float]]:
    """(steps, coverage) from a run's `eval` lines: `modes` or `classes`, as the scenario counts."""
    return series(rows, sc.unit)


def live_hq(rows: list[dict], steps: list[int]) -> list[float] | None:
    """The share of high-quality points at each of `steps` (`live_coverage`'s, which the chart
    plots it against; NaN, a gap, where that eval line has none); None when no line has one."""
    hq = dict(zip(*series(rows, "hq")))
    return [hq.get(s, math.nan) for s in steps] if hq else None
