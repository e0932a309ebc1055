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

from ganplay.lab.replay import Replay
from ganplay.lab.scenarios import COLLAPSE, CURES, Scenario, scenario
from ganplay.train.rundir import series

# which published number belongs to which side: words the method's name contains (spaces as "-")
ANCHOR_MATCH = {"unrolled": ("unrolled",), "spectral-norm": ("sn-gan", "sngan", "spectral"),
                "minibatch-std": ("minibatch",), "pacgan": ("pacgan",), "wgan-gp": ("wgan-gp",)}
COLLAPSE_METHODS = ("gan", "dcgan", "vanilla-gan")
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

    @property
    def delta(self) -> float:
        """Coverage minus its best so far: 0 while climbing, negative once G gives modes up."""
        return self.coverage - self.peak


def numbers(replay: Replay, i: int) -> Numbers:
    sc = scenario(replay.scenario)
    hq = replay.series.get("hq")
    kl = replay.series.get("kl") if replay.kind == "stacked" else None
    return Numbers(
        step=int(replay.steps[i]), coverage=float(replay.coverage[i]), full=sc.n_modes,
        peak=float(np.max(replay.coverage[: i + 1])),
        hq=float(hq[i]) if hq is not None and len(hq) > i else None,
        kl=float(kl[i]) if kl is not None and len(kl) > i else None,
        hist=(np.asarray(replay.hist[i], dtype=float) if replay.hist is not None else None))


# -- published numbers ------------------------------------------------------------------------------
def anchor_for(sc: Scenario, side: str) -> tuple[str, float, str] | None:
    """The published number for this side's method, when the scenario lists one."""
    for method, value, source in sc.anchors:
        name = method.lower().strip().replace(" ", "-")
        if side == COLLAPSE:
            if name in COLLAPSE_METHODS:
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
