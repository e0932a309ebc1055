"""Replays: a recorded lab run, small enough to ship (points or a few sample grids, and the
coverage numbers over steps), so a lesson plays back at once with no training.

A replay is one `.npz` file read with `allow_pickle=False` (never unpickles anything):

- `steps` (F,) int: the training step of each frame
- `coverage` (F,) float: modes covered (2D, Stacked MNIST) or classes covered (MNIST)
- `series_<name>` (F,) float: other numbers per frame (`hq`, `kl`, `class_kl`)
- `frames`: points (F, N, 2) float16, or sample grids (F, H, W, C) uint8
- `real` (N, 2) float16: real points (2D only); `hist` (F, 10): class histogram (MNIST only)
- `meta`: a JSON string: scenario, side, seed, config, final protocol metrics, wall time, ...
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganplay.assets import pretrained_dir
from ganplay.lab.scenarios import LabError

FORMAT = "ganplay-lab-replay"
VERSION = 1


@dataclass
class Replay:
    scenario: str
    side: str
    seed: int
    kind: str  # points, digits or stacked
    steps: np.ndarray
    coverage: np.ndarray
    frames: np.ndarray
    series: dict[str, np.ndarray] = field(default_factory=dict)
    real: np.ndarray | None = None
    hist: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def final(self) -> dict[str, float]:
        """All metrics of the last frame (`coverage` holds the main count of every frame)."""
        return self.meta.get("final", {})

    def frame_at(self, step: int) -> int:
        """Index of the last frame at or before `step`."""
        idx = int(np.searchsorted(self.steps, step, side="right")) - 1
        return max(0, min(idx, len(self.steps) - 1))

    def save(self, path: str | Path) -> Path:
        from ganplay.train.rundir import atomic_write_bytes

        import io

        arrays = {"steps": self.steps.astype(np.int64), "coverage": self.coverage.astype(np.float32),
                  "frames": self.frames}
        arrays.update({f"series_{k}": v.astype(np.float32) for k, v in self.series.items()})
        if self.real is not None:
            arrays["real"] = self.real.astype(np.float16)
        if self.hist is not None:
            arrays["hist"] = self.hist.astype(np.float32)
        meta = {"format": FORMAT, "version": VERSION, "scenario": self.scenario, "side": self.side,
                "seed": self.seed, "kind": self.kind, **self.meta}
        arrays["meta"] = np.array(json.dumps(meta))
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buf.getvalue())
        return path


def load_replay(path: str | Path) -> Replay:
    """Read a replay written by `Replay.save`; anything else raises `LabError`."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except FileNotFoundError:
        raise LabError(f"no replay at {path}; record one with `ganplay lab record`") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # not an npz (or cut short),
        # pickled data, no meta, bad JSON
        raise LabError(f"{path} is not a ganplay lab replay ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise LabError(f"{path} is not a ganplay lab replay (no '{FORMAT}' header)")
    for key in ("steps", "coverage", "frames"):
        if key not in arrays:
            raise LabError(f"{path}: replay is missing '{key}'")
    n = len(arrays["steps"])
    if len(arrays["coverage"]) != n or len(arrays["frames"]) != n:
        raise LabError(f"{path}: replay arrays disagree in length")
    series = {k[len("series_"):]: arrays[k] for k in arrays if k.startswith("series_")}
    return Replay(meta["scenario"], meta["side"], int(meta["seed"]), meta["kind"], arrays["steps"],
                  arrays["coverage"], arrays["frames"], series, arrays.get("real"),
                  arrays.get("hist"), meta)


REPLAY_DIR = pretrained_dir() / "lab"


def replay_root() -> Path:
    """Where the shipped replays are: `pretrained/lab/`, or $GANPLAY_LAB_REPLAYS (tests, your own)."""
    return Path(os.environ.get("GANPLAY_LAB_REPLAYS") or REPLAY_DIR)


def replay_path(scenario: str, side: str, root: str | Path | None = None) -> Path:
    return Path(root or replay_root()) / scenario / f"{side}.npz"
