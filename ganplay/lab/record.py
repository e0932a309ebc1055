"""Train one side of a lesson and record it as a `Replay` (frames + coverage over steps).

    replay = record_side("ring8", "unrolled", seed=0)     # minutes on a CPU (reliability.json: times)

Frames come from G's sampling copy (the EMA when there is one) on fixed noise, so successive
frames differ only because G learned. Every frame's coverage uses the same fixed noise and the
published protocol's sample count (2D: 2,500 points; Stacked MNIST: 26,000 stacks; MNIST: 1,000
digits), so the curve and the published anchors drawn beside it are on one scale;
`meta["final"]` holds the last frame's metrics.
"""

from __future__ import annotations

import tempfile
import time
from typing import Callable

import numpy as np
import torch

from ganplay import protocol
from ganplay.data import mixture
from ganplay.lab.replay import Replay
from ganplay.lab.scenarios import judge, scenario, side_config
from ganplay.metrics.classifier import classify, load_classifier
from ganplay.metrics.image import class_stats
from ganplay.metrics.points import mode_metrics
from ganplay.metrics.stacked import channel_probs, stacked_mode_metrics
from ganplay.train import Trainer
from ganplay.train.snapshots import image_grid

N_POINTS = 500  # points per 2D frame
GRID_SIDE = 6  # digits per frame: a 6 x 6 grid
FRAME_N = protocol.FRAME_N  # samples per frame


def frame_steps(total: int, frames: int) -> list[int]:
    """Step 0 and `frames` evenly spaced steps up to `total` (no repeats)."""
    if frames <= 0:
        return [total]
    return sorted({0, *(round(total * (i + 1) / frames) for i in range(frames))})


class _Measure:
    """Coverage numbers and a frame for one generator state; knows the scenario's kind."""

    def __init__(self, cfg, kind: str, device: torch.device):
        self.cfg, self.kind, self.device = cfg, kind, device
        gen = torch.Generator().manual_seed(1234)
        z_dim = cfg.model.z_dim
        self.z = torch.randn(FRAME_N[kind], z_dim, generator=gen).to(device)
        self.z_frame = torch.randn(N_POINTS if kind == "points" else GRID_SIDE**2, z_dim,
                                   generator=gen).to(device)
        if kind == "points":
            self.dist = mixture(cfg.data.name)
        else:
            self.model = load_classifier(device=device)

    @torch.no_grad()
    def __call__(self, G: torch.nn.Module) -> dict:
        was = G.training
        G.eval()
        try:
            return self._measure(G)
        finally:
            G.train(was)

    def _generate(self, G, z: torch.Tensor) -> torch.Tensor:
        return torch.cat([G(z[i:i + 1000]).float() for i in range(0, len(z), 1000)])

    def _measure(self, G) -> dict:
        x = self._generate(G, self.z)
        frame = self._generate(G, self.z_frame).cpu()
        if self.kind == "points":
            m = mode_metrics(x, self.dist.centres, self.dist.std)
            return {"coverage": m["modes"], "series": {"hq": m["hq"], "kl": m["kl"]},
                    "frame": frame.numpy().astype(np.float16), "metrics": m}
        grid = np.asarray(image_grid(frame, GRID_SIDE))  # (H, W) or (H, W, 3) uint8
        if self.kind == "digits":
            probs = classify(self.model, x)[1]
            m = class_stats(probs)
            hist = torch.bincount(probs.argmax(1), minlength=10).double() / len(probs)
            return {"coverage": m["classes"], "series": {"class_kl": m["class_kl"]}, "frame": grid,
                    "hist": hist.numpy(), "metrics": m}
        m = stacked_mode_metrics(channel_probs(self.model, x))
        return {"coverage": m["modes"], "series": {"kl": m["kl"]}, "frame": grid, "metrics": m}


def record_side(
    scenario_name: str,
    side: str,
    seed: int = 0,
    steps: int | None = None,
    frames: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Replay:
    """Train `side` ("collapse" or a cure) of a scenario from scratch and record it.

    `frames=0` records only the end (what `ganplay lab measure` needs). The run's files go to a
    temporary directory that is removed afterwards: a replay is all that is kept."""
    sc = scenario(scenario_name)
    cfg = side_config(scenario_name, side, seed, steps)
    n_frames = sc.frames if frames is None else frames
    total = cfg.train.steps
    at = set(frame_steps(total, n_frames))
    trainer = Trainer(cfg)
    measure = _Measure(cfg, sc.kind, trainer.device)
    rows: list[dict] = []

    def snap(step: int) -> None:
        rows.append({"step": step, **measure(trainer.sampling_generator())})

    def on_step(step: int, total_: int, _row) -> None:
        if step in at:
            snap(step)
        if on_progress is not None:
            on_progress(step, total_)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ganplay-lab-") as tmp:
        trainer.start(run_dir=f"{tmp}/run")
        if 0 in at:
            snap(0)
        state = trainer.fit(on_step=on_step)
    wall = time.perf_counter() - start
    if state != "done" or rows[-1]["step"] != total:
        # a diverged run ends early: record what there is and say so
        rows = rows or [{"step": trainer.step, **measure(trainer.sampling_generator())}]
    series_keys = rows[0]["series"].keys()
    replay = Replay(
        scenario=scenario_name, side=side, seed=seed, kind=sc.kind,
        steps=np.array([r["step"] for r in rows]),
        coverage=np.array([r["coverage"] for r in rows], dtype=np.float32),
        frames=np.stack([r["frame"] for r in rows]),
        series={k: np.array([r["series"][k] for r in rows], dtype=np.float32) for k in series_keys},
        real=(trainer.real_points[:N_POINTS].astype(np.float16) if sc.kind == "points" else None),
        hist=(np.stack([r["hist"] for r in rows]) if sc.kind == "digits" else None),
        meta={"config": cfg.to_dict(), "state": state, "wall_time": round(wall, 1),
              "device": str(trainer.device), "torch": torch.__version__,
              "final": {k: float(v) for k, v in rows[-1]["metrics"].items()},
              "final_n": FRAME_N[sc.kind], "verdict": None},
    )
    replay.meta["verdict"] = judge(sc, replay.coverage[-1])
    return replay
