"""`ganplay bench`: training throughput of our trainer against a plain PyTorch loop.

Both train the same models (built from the same preset), on the same data, with the same batch
size, in the same process; the variants are measured in alternation (A, B, C, A, B, C, ...), and
each one's images/s in a repeat is divided by the plain loop's in that same repeat, measured next
to it. The report gives those ratios per repeat and their median: a busy machine slows neighbours
alike, and one noisy repeat can neither hide a slowdown nor make one up. The header says the
CPU's SIMD level and whether it does bf16 natively; bf16 is measured only where it can pay.

The plain loop is the pytorch/examples DCGAN loop: a shuffling DataLoader over the in-memory
data, D on real then on fake, then G, nothing else. Ours runs its whole `fit()` loop (control
polling, divergence check, metrics, the run directory), timed between two steps so that the last
step's evaluation, snapshot and checkpoint (done once per run) are not counted.

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
from ganplay.config import Config, ConfigError

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


def cpu_capability() -> dict:
    """What this CPU can do, as the bench reports it: torch's SIMD level and whether bf16 is native."""
    from ganplay.cpu import bf16_native

    return {"simd": torch.backends.cpu.get_cpu_capability(), "bf16_native": bf16_native()}


@dataclass
class BenchReport:
    preset: str
    batch_size: int
    steps: int
    threads: int
    device: str
    results: dict[str, list[float]] = field(default_factory=dict)  # variant -> images/s per repeat
    cpu: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def median(self, variant: str) -> float:
        return statistics.median(self.results[variant])

    def ratios(self, variant: str) -> list[float]:
        """Each repeat's images/s over the plain loop's in the same repeat (measured beside it)."""
        return [v / p for v, p in zip(self.results[variant], self.results["plain-pytorch"])]

    def as_dict(self) -> dict:
        ratios = {k: [round(r, 3) for r in self.ratios(k)] for k in self.results}
        return {
            "preset": self.preset,
            "batch_size": self.batch_size,
            "timed_steps": self.steps,
            "torch_threads": self.threads,
            "device": self.device,
            "cpu": self.cpu,
            "torch": torch.__version__,
            "images_per_s": {k: round(self.median(k), 1) for k in self.results},
            "runs": {k: [round(v, 1) for v in vs] for k, vs in self.results.items()},
            "ratio_per_repeat": ratios,
            "ratio_median": {k: round(statistics.median(self.ratios(k)), 3) for k in self.results},
            "ratio_min": {k: round(min(self.ratios(k)), 3) for k in self.results},
            "notes": self.notes,
        }

    def table(self) -> str:
        d = self.as_dict()
        cpu = (f"; CPU {self.cpu['simd']}, bf16 {'native' if self.cpu['bf16_native'] else 'emulated'}"
               if self.cpu else "")
        lines = [
            f"ganplay bench: {self.preset}, batch {self.batch_size}, {self.steps} timed steps x "
            f"{len(next(iter(self.results.values())))} alternating repeats, {self.device}, "
            f"{self.threads} threads{cpu}",
            f"{'variant':<22}{'images/s':>12}{'vs plain':>10}   per repeat (each beside the plain loop's)",
        ]
        for k in self.results:
            per = " ".join(f"{r:.2f}" for r in d["ratio_per_repeat"][k])
            lines.append(f"{k:<22}{d['images_per_s'][k]:>12.1f}{d['ratio_median'][k]:>9.2f}x   {per}")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _bench_config(preset: str, batch_size: int, steps: int, precision: str, compile: bool = False,
                  overrides=()) -> Config:
    return Config.from_preset(preset, [
        *overrides,
        f"train.compile={str(compile).lower()}",
        f"train.batch_size={batch_size}",
        f"train.steps={steps + WARMUP + 1}",  # the last step's periodic work (eval, snapshot) is not timed
        f"train.precision={precision}",
        "train.device=cpu" if not torch.cuda.is_available() else "train.device=auto",
        f"train.sample_every={10 ** 6}",
        f"train.checkpoint_every={10 ** 6}",
    ])


def measure_ganplay(cfg: Config, steps: int) -> float:
    """Images/s of our full loop, from step WARMUP to the step before the last: the last one ends
    with an evaluation, a snapshot and the final checkpoint, which a run does once, not per step."""
    from ganplay.train import Trainer

    trainer = Trainer(cfg)
    marks: dict[int, float] = {}

    def on_step(step: int, total: int, row) -> None:
        if _STOP.set:  # SIGTERM came before fit() took the signal over
            trainer.request_stop()
        if step in (WARMUP, total - 1):
            if trainer.device.type == "cuda":
                torch.cuda.synchronize()
            marks[step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as tmp:
        trainer.start(tmp)
        state = trainer.fit(on_step=on_step)
    end = cfg.train.steps - 1
    if state != "done" or _STOP.set or end not in marks:  # stopped (SIGTERM, Ctrl+C) or failed
        raise BenchStopped(f"the ganplay run ended {state} at step {trainer.step} of {cfg.train.steps}")
    elapsed = marks[end] - marks[WARMUP]
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


def run_bench(preset: str = "mnist-dcgan", overrides=(), steps: int = 60, repeats: int = 3, batch_size: int = 64,
              include_bf16: bool | None = None, include_compile: bool = False,
              progress: bool = False) -> BenchReport:
    """`include_bf16` None: measure bf16 where it can pay (a GPU, a CPU with native bf16) and say
    why not elsewhere; True/False: always/never."""
    def config(precision: str, compile: bool = False) -> Config:
        return _bench_config(preset, batch_size, steps, precision, compile=compile, overrides=overrides)

    cfg32 = config("fp32")
    if cfg32.optim.n_critic != 1 or cfg32.loss.gp_weight or cfg32.loss.clip or cfg32.model.n_classes:
        raise ConfigError(f"bench compares plain single-D-step unconditional loops; {preset} is not one "
                         "(try mnist-dcgan or mnist-mlp)")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    report = BenchReport(preset=" ".join([preset, *overrides]), batch_size=batch_size, steps=steps, threads=torch.get_num_threads(),
                         device=device, cpu=cpu_capability())
    variants = {"plain-pytorch": lambda: measure_plain(cfg32, steps),
                "ganplay-fp32": lambda: measure_ganplay(cfg32, steps)}
    if include_bf16 is None:
        include_bf16 = device == "cuda" or report.cpu["bf16_native"]
        if not include_bf16:
            report.notes.append("bf16 not measured: this CPU emulates it (no AVX512-BF16 or AMX), where it "
                                "trains several times slower than fp32; --bf16 measures it anyway")
    if include_bf16:
        cfg16 = config("bf16")
        variants["ganplay-bf16"] = lambda: measure_ganplay(cfg16, steps)
    if include_compile:
        cfg_c = config("fp32", compile=True)
        variants["ganplay-compile"] = lambda: measure_ganplay(cfg_c, steps)
        if include_bf16:
            cfg_c16 = config("bf16", compile=True)
            variants["ganplay-bf16-compile"] = lambda: measure_ganplay(cfg_c16, steps)
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
