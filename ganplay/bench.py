"""`ganplay bench`: training throughput of our trainer against a plain PyTorch loop.

Both train the same models (built from the same preset), on the same data, with the same batch
size, in the same process; the variants are measured in alternation (A, B, C, A, B, C, ...) and
the median of each is reported, so a busy machine slows all of them alike and the ratio holds.

The plain loop is the pytorch/examples DCGAN loop: a shuffling DataLoader over the in-memory
data, D on real then on fake, then G, nothing else. Ours runs its whole `fit()` loop (control
polling, divergence check, metrics, the run directory), timed between two steps so that the final
checkpoint is not counted.

SIGTERM (e.g. from `timeout`) or Ctrl+C stops the bench: the measurement under way ends (the
trainer turns SIGTERM into a stop request; the plain loop checks a flag each step), nothing more
is measured, and `run_bench` raises `BenchStopped` saying what was under way.
"""

from __future__ import annotations

import contextlib
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field

import torch

from ganplay import losses
from ganplay.config import Config

WARMUP = 5


class BenchStopped(Exception):
    """The bench was asked to stop (SIGTERM, Ctrl+C) before it had measured everything."""


class _StopFlag:
    """Set by SIGTERM while the bench runs (the trainer's own handler replaces this one during a
    ganplay measurement and reports the stop as its final state)."""

    def __init__(self) -> None:
        self.set = False

    def __call__(self, *_args) -> None:
        self.set = True


_STOP = _StopFlag()


@dataclass
class BenchReport:
    preset: str
    batch_size: int
    steps: int
    threads: int
    device: str
    results: dict[str, list[float]] = field(default_factory=dict)  # variant -> images/s per repeat

    def median(self, variant: str) -> float:
        return statistics.median(self.results[variant])

    def as_dict(self) -> dict:
        plain = self.median("plain-pytorch")
        return {
            "preset": self.preset,
            "batch_size": self.batch_size,
            "timed_steps": self.steps,
            "torch_threads": self.threads,
            "device": self.device,
            "torch": torch.__version__,
            "images_per_s": {k: round(self.median(k), 1) for k in self.results},
            "runs": {k: [round(v, 1) for v in vs] for k, vs in self.results.items()},
            "ratio_vs_plain": {k: round(self.median(k) / plain, 3) for k in self.results},
        }

    def table(self) -> str:
        d = self.as_dict()
        lines = [
            f"ganplay bench: {self.preset}, batch {self.batch_size}, {self.steps} timed steps x "
            f"{len(next(iter(self.results.values())))} alternating repeats, {self.device}, "
            f"{self.threads} threads",
            f"{'variant':<22}{'images/s':>12}{'vs plain':>10}",
        ]
        for k in self.results:
            lines.append(f"{k:<22}{d['images_per_s'][k]:>12.1f}{d['ratio_vs_plain'][k]:>9.2f}x")
        return "\n".join(lines)


def _bench_config(preset: str, batch_size: int, steps: int, precision: str) -> Config:
    return Config.from_preset(preset, [
        f"train.batch_size={batch_size}",
        f"train.steps={steps + WARMUP}",
        f"train.precision={precision}",
        "train.device=cpu" if not torch.cuda.is_available() else "train.device=auto",
        f"train.sample_every={10 ** 6}",
        f"train.checkpoint_every={10 ** 6}",
    ])


def measure_ganplay(cfg: Config, steps: int) -> float:
    """Images/s of our full loop, between step WARMUP and the last step."""
    from ganplay.train import Trainer

    trainer = Trainer(cfg)
    marks: dict[int, float] = {}

    def on_step(step: int, total: int, row) -> None:
        if _STOP.set:  # SIGTERM came before fit() took the signal over
            trainer.request_stop()
        if step in (WARMUP, total):
            if trainer.device.type == "cuda":
                torch.cuda.synchronize()
            marks[step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        trainer.start(tmp)
        state = trainer.fit(on_step=on_step)
    if state != "done" or _STOP.set or cfg.train.steps not in marks:  # stopped (SIGTERM, Ctrl+C) or failed
        raise BenchStopped(f"the ganplay run ended {state} at step {trainer.step} of {cfg.train.steps}")
    elapsed = marks[cfg.train.steps] - marks[WARMUP]
    return steps * cfg.train.batch_size * cfg.optim.n_critic / elapsed


def measure_plain(cfg: Config, steps: int) -> float:
    """Images/s of a textbook PyTorch GAN loop on the same models and data."""
    from ganplay.data import load_dataset
    from ganplay.models import build_models
    from ganplay.train.distributed import resolve_device

    device = resolve_device(cfg.train.device)
    torch.manual_seed(cfg.train.seed)
    data = load_dataset(cfg)
    n_classes = data.n_classes if cfg.model.n_classes else 0
    G, D = build_models(cfg, data.sample_shape, n_classes)
    G.to(device)
    D.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=(cfg.optim.beta1, cfg.optim.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=(cfg.optim.beta1, cfg.optim.beta2))
    x_all, _ = data.batch(torch.arange(len(data)))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_all), batch_size=cfg.train.batch_size,
                                         shuffle=True, drop_last=True)
    bce = torch.nn.BCEWithLogitsLoss()
    name = cfg.loss.name
    done, t_start = 0, 0.0
    while done < steps + WARMUP:
        for (real,) in loader:
            if _STOP.set:
                raise BenchStopped(f"the plain loop was stopped at step {done} of {steps + WARMUP}")
            if done == WARMUP:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                t_start = time.perf_counter()
            real = real.to(device)
            b = real.shape[0]
            # (1) Update D
            fake = G(torch.randn(b, G.z_dim, device=device))
            if name in ("ns", "minimax"):
                out_r, out_f = D(real), D(fake.detach())
                loss_d = bce(out_r, torch.ones_like(out_r)) + bce(out_f, torch.zeros_like(out_f))
            else:
                loss_d = losses.d_loss(name, D(real), D(fake.detach()))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            # (2) Update G
            out = D(fake)
            loss_g = bce(out, torch.ones_like(out)) if name in ("ns", "minimax") else losses.g_loss(name, out)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            done += 1
            if done == steps + WARMUP:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * cfg.train.batch_size / (time.perf_counter() - t_start)


def run_bench(preset: str = "mnist-dcgan", steps: int = 60, repeats: int = 3, batch_size: int = 64,
              include_bf16: bool = True, progress: bool = False) -> BenchReport:
    cfg32 = _bench_config(preset, batch_size, steps, "fp32")
    if cfg32.optim.n_critic != 1 or cfg32.loss.gp_weight or cfg32.loss.clip or cfg32.model.n_classes:
        raise ValueError(f"bench compares plain single-D-step unconditional loops; {preset} is not one "
                         "(try mnist-dcgan or mnist-mlp)")
    variants = {"plain-pytorch": lambda: measure_plain(cfg32, steps),
                "ganplay-fp32": lambda: measure_ganplay(cfg32, steps)}
    if include_bf16:
        cfg16 = _bench_config(preset, batch_size, steps, "bf16")
        variants["ganplay-bf16"] = lambda: measure_ganplay(cfg16, steps)
    report = BenchReport(preset=preset, batch_size=batch_size, steps=steps,
                         threads=torch.get_num_threads(),
                         device="cuda" if torch.cuda.is_available() else "cpu")
    _STOP.set = False
    old = None
    with contextlib.suppress(ValueError):  # not the main thread: no signal handling
        old = signal.signal(signal.SIGTERM, _STOP)
    try:
        for r in range(repeats):
            for name, fn in variants.items():
                if _STOP.set:
                    raise BenchStopped("stopped between measurements")
                if progress:
                    print(f"bench: measuring {name} (repeat {r + 1} of {repeats})", file=sys.stderr, flush=True)
                try:
                    value = fn()
                except BenchStopped as exc:
                    raise BenchStopped(f"stopped while measuring {name} (repeat {r + 1} of {repeats}): "
                                       f"{exc}") from None
                except KeyboardInterrupt:
                    raise BenchStopped(f"interrupted while measuring {name} (repeat {r + 1} of "
                                       f"{repeats})") from None
                report.results.setdefault(name, []).append(value)
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
    return report
