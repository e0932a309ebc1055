"""`ganplay bench --cost`: the demo's cost estimate (`ganplay.train.cost`) beside what jobs take.

Each case is a short training of a preset, some with the switches that make a job dear (critic
steps, gradient penalty, unrolling, wide layers, frequent snapshots and checkpoints). It is built,
trained and written in this process, timed from the run directory's creation to the end of
`fit()`; the estimate's fixed start-up (a new process importing torch, loading the data, building
the models) is left out of both. The ratio
estimate / measured should be >= 1 on the machine the demo's budgets are stated for (a job within
budget stays within it) and not far above (a fair job is not refused). Like the jobs the dashboard
starts, the bench's threads wait passively (`ganplay.cpu.passive_waits`, set before torch loads).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from ganplay.config import Config
from ganplay.train import cost

# (label, preset, overrides): short enough to measure each in seconds
CASES: list[tuple[str, str, list[str]]] = [
    ("ring8-gan", "ring8-gan", ["train.steps=1500"]),
    ("ring8-wgan-gp", "ring8-wgan-gp", ["train.steps=300"]),
    ("ring8-gan unroll=5", "ring8-gan", ["train.steps=300", "optim.unroll=5"]),
    ("ring8-gan 3x1024 MLPs", "ring8-gan", ["train.steps=60", "model.g_hidden=[1024,1024,1024]",
                                            "model.d_hidden=[1024,1024,1024]"]),
    ("ring8-pacgan", "ring8-pacgan", ["train.steps=600"]),
    ("ring8-gan snapshots+checkpoints", "ring8-gan", ["train.steps=300", "train.sample_every=2",
                                                      "train.checkpoint_every=10", "train.eval_every=10"]),
    ("mnist-dcgan", "mnist-dcgan", ["train.steps=80"]),
    ("mnist-cwgan-gp", "mnist-cwgan-gp", ["train.steps=20"]),
    ("mnist-mlp", "mnist-mlp", ["train.steps=300"]),
    ("mnist-cstylegan-lite", "mnist-cstylegan-lite", ["train.steps=25"]),
    ("mnist-cdcgan evals", "mnist-cdcgan", ["train.steps=40", "train.eval_every=10", "train.sample_every=5"]),
]


def measure(cfg: Config) -> float:
    """Seconds to build and train `cfg` into a temporary folder (this process, no start-up), on
    the threads a job gets (`ganplay.cpu.training_threads`: one for 2D data)."""
    import torch

    from ganplay.cpu import training_threads
    from ganplay.train import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(training_threads(cfg.is_points) or threads)
    try:
        with tempfile.TemporaryDirectory() as out:
            trainer = Trainer(cfg)  # data and models: the estimate's fixed start-up
            t0 = time.perf_counter()
            trainer.start(out)
            state = trainer.fit()
            if state != "done":
                raise RuntimeError(f"{cfg.name or 'case'} ended {state}")
            return time.perf_counter() - t0
    finally:
        torch.set_num_threads(threads)


def cost_bench(cases: list[tuple[str, str, list[str]]] | None = None, progress: bool = True) -> dict:
    """Estimate and measure every case; returns {"cases": [...], "ratio_min", "ratio_median"}."""
    rows = []
    for label, preset, overrides in cases or CASES:
        cfg = Config.from_preset(preset, overrides)
        est = cost.estimate(cfg)
        estimated = est.cpu_s - est.cpu_parts["start"]
        if progress:
            print(f"bench --cost: {label} ({cfg.train.steps:,} steps)…", file=sys.stderr, flush=True)
        measured = measure(cfg)
        rows.append({"case": label, "steps": cfg.train.steps, "estimated_s": round(estimated, 2),
                     "measured_s": round(measured, 2), "ratio": round(estimated / measured, 2)})
    ratios = [r["ratio"] for r in rows]
    return {"cases": rows, "ratio_min": min(ratios), "ratio_median": statistics.median(ratios),
            "ratio_max": max(ratios)}


def format_table(report: dict) -> str:
    lines = ["| case | steps | estimated | measured | estimate / measured |", "| --- | --- | --- | --- | --- |"]
    for r in report["cases"]:
        lines.append(f"| {r['case']} | {r['steps']:,} | {r['estimated_s']:.1f} s | {r['measured_s']:.1f} s "
                     f"| {r['ratio']:.2f} |")
    lines.append(f"\nestimate / measured: min {report['ratio_min']:.2f}, median {report['ratio_median']:.2f}, "
                 f"max {report['ratio_max']:.2f}")
    return "\n".join(lines)
