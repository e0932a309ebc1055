"""What a training job will cost before it starts: seconds of this CPU and bytes on disk.

A public demo refuses jobs over its budget (`ganplay.jobs`), so the estimate is built from the job's
real models, not from a list of fields: G and D are built once on the CPU and their forward passes
counted with torch's `FlopCounterMode`; one training step is then a known multiple of those passes
(critic steps, gradient penalty, unrolled look-ahead), plus a fixed cost per pass for everything
the counter does not see (elementwise ops, the optimiser, Python). Periodic work (sample grids,
2D snapshots, evaluations, checkpoints, log lines) is added per occurrence. Disk is the checkpoint's
exact tensor bytes times the checkpoints kept, plus the samples, logs and TensorBoard events.

The constants were measured on the 2-core x86 CPU the demo budgets are stated for (`ganplay bench
--cost` prints estimate against measurement); on that machine the estimate sits at or above what a
job takes, so a job within budget stays within it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganplay.config import FOLDER_DEFAULT_SIZE, IMAGE_DATASET_INFO, Config
from ganplay.metrics.evaluation import CHEAP_N
from ganplay.train.snapshots import MANIFOLD_LINES, MANIFOLD_POINTS
from ganplay.train.trainer import FIELD_RES, N_FIXED, N_POINTS

# -- calibration: a dashboard job on the 2-core x86 machine (passive OpenMP waits; 2D data on one
# thread, images on two). Measured there: linear layers ran at 85-125 GFLOP/s, convolutions at
# 50-70 (StyleGAN-lite's modulated ones) to 170 (128 channels), 0.3-0.4 ms of other work per pass.
# The rates below sit under those, so that the estimate is high rather than low.
MM_FLOPS_PER_S = 80e9
CONV_FLOPS_PER_S = 40e9
PASS_OVERHEAD_S = 0.5e-3  # per forward or backward pass of G or D: launches, elementwise, optimiser
START_S = 8.0  # a new process: interpreter, torch import, data, models
SNAPSHOT_FIXED_S = 0.03  # writing the .npz / PNG
EVAL_FIXED_S = {"points": 0.02, "digits": 0.3, "stacked": 1.0}  # the scorer, without G's passes
LOG_LINE_S = 0.005  # a metrics line and the status file
TENSORBOARD_LINE_S = 0.005
CHECKPOINT_BYTES_PER_S = 200e6
CHECKPOINT_FIXED_S = 0.02

# -- disk ------------------------------------------------------------------------------------------
SNAPSHOT_2D_BYTES = 50_000  # .npz of 1,000 points with D's field, G's arrows and manifold (37 KB), its PNG (2-9 KB)
LOG_LINE_BYTES = 600
EVAL_LINE_BYTES = 400
TENSORBOARD_LINE_BYTES = 1_500
RUN_FIXED_BYTES = 200_000  # config, status, job log, the lines a job prints
CHECKPOINT_HEADER_BYTES = 64_000


@dataclass(frozen=True)
class ModelSize:
    """Parameters (with buffers) of G and D, and their forward FLOPs per sample, split into
    matrix products (linear layers) and convolutions, which a CPU runs at different rates."""

    g_params: int
    d_params: int
    g_mm: float
    g_conv: float
    d_mm: float
    d_conv: float

    @property
    def g_flops(self) -> float:
        return self.g_mm + self.g_conv

    @property
    def d_flops(self) -> float:
        return self.d_mm + self.d_conv


@dataclass
class Cost:
    """A job's estimated CPU seconds and disk bytes, with the parts they add up from."""

    cpu_s: float
    disk_bytes: int
    cpu_parts: dict[str, float] = field(default_factory=dict)
    disk_parts: dict[str, int] = field(default_factory=dict)
    checkpoint_bytes: int = 0
    checkpoints_kept: int = 0


def sample_shape(cfg: Config) -> tuple[int, ...]:
    """The shape of one training sample, known from the config alone (a folder of unknown
    colour counts as RGB, the larger case)."""
    if cfg.is_points:
        return (2,)
    channels = IMAGE_DATASET_INFO.get(cfg.data.name, (cfg.data.channels or 3, FOLDER_DEFAULT_SIZE, 0))[0]
    return (channels, cfg.image_size, cfg.image_size)


def _model_key(cfg: Config) -> str:
    return json.dumps([cfg.model.model_dump(mode="json"), sample_shape(cfg)], sort_keys=True)


@functools.lru_cache(maxsize=64)
def _model_size(key: str) -> ModelSize:
    from ganplay.models import build_models

    model, shape = json.loads(key)
    cfg = Config.from_dict({"model": model, "data": {"name": "mnist5k"} if len(shape) == 3 else {}})
    n_classes = cfg.model.n_classes
    with torch.random.fork_rng():
        G, D = build_models(cfg, tuple(shape), n_classes)
    G.eval()
    D.eval()
    n = 2 * cfg.model.pack
    labels = torch.zeros(n, dtype=torch.long) if n_classes else None
    if cfg.g_input != "noise":  # image-to-image: G's and D's condition is G's input image
        labels = torch.zeros(n, *G.in_shape)
    # with autograd on: the counter's module tracker trips over StyleGAN-lite's no-grad forward
    g_mm, g_conv = _forward_flops(G, torch.zeros(n, cfg.model.z_dim), labels)
    d_mm, d_conv = _forward_flops(D, torch.zeros(n, *shape), labels)
    count = lambda m: sum(t.numel() for t in m.state_dict().values())  # noqa: E731
    return ModelSize(count(G), count(D), g_mm / n, g_conv / n, d_mm / n, d_conv / n)


def _forward_flops(module: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor | None) -> tuple[float, float]:
    """(matrix-product FLOPs, convolution FLOPs) of one forward pass."""
    with FlopCounterMode(display=False) as counter:
        module(x, labels)
    by_op = counter.get_flop_counts().get("Global", {})
    conv = sum(v for op, v in by_op.items() if "conv" in str(op))
    return float(counter.get_total_flops() - conv), float(conv)


def model_size(cfg: Config) -> ModelSize:
    """G's and D's size for `cfg` (cached per model section and sample shape)."""
    return _model_size(_model_key(cfg))


def step_passes(cfg: Config) -> tuple[float, float, int]:
    """One training step in forward-pass units: (G passes, D passes) per sample, and the
    number of forward/backward passes for the fixed overhead. A backward pass counts as two
    forwards; a gradient penalty or R1 adds a double backward through D; an unrolled look-ahead
    runs k extra D steps whose graph G's backward goes through again."""
    o, lo = cfg.optim, cfg.loss
    penalty = 6.0 if lo.gp_weight else 0.0
    penalty += 6.0 / lo.r1_every if lo.r1_weight else 0.0
    d_step_d = 2 * 3.0 + penalty  # D forward+backward on the real and the fake batch
    g_passes = o.n_critic * 1.0 + 2.0  # G forward per critic step; G's backward once
    d_passes = o.n_critic * d_step_d + 3.0 + o.unroll * 2 * d_step_d  # G's step through D
    n_passes = o.n_critic * (1 + 4 + (3 if penalty else 0)) + 4 + o.unroll * 8
    return g_passes, d_passes, n_passes


def _periodic(steps: int, every: int) -> int:
    """How often work done `every` steps (and once at the end) happens in `steps` steps."""
    return steps // every + 1


def _seconds(size: ModelSize, g_passes: float, d_passes: float, n: float = 1) -> float:
    """Compute seconds of `n` samples through G `g_passes` times and D `d_passes` times."""
    return n * ((g_passes * size.g_mm + d_passes * size.d_mm) / MM_FLOPS_PER_S
                + (g_passes * size.g_conv + d_passes * size.d_conv) / CONV_FLOPS_PER_S)


def estimate(cfg: Config) -> Cost:
    """The job `cfg` describes, trained from step 0 to `train.steps`, on this kind of CPU."""
    size = model_size(cfg)
    t, o = cfg.train, cfg.optim
    kind = "points" if cfg.is_points else "stacked" if cfg.data.name == "stacked-mnist" else "digits"
    g_passes, d_passes, n_passes = step_passes(cfg)
    per_step = _seconds(size, g_passes, d_passes, t.batch_size) + n_passes * PASS_OVERHEAD_S
    if o.ema:
        per_step += PASS_OVERHEAD_S + size.g_params / 1e9

    snapshots = _periodic(t.steps, t.sample_every) + 1  # step 0 and the end, too
    if cfg.is_points:  # G's points and manifold, D's field, and G's arrows (D forward and backward)
        pack = cfg.model.pack
        snapshot_s = SNAPSHOT_FIXED_S + _seconds(size, 1, 0, N_POINTS) + _seconds(
            size, 0, pack, FIELD_RES * FIELD_RES) + _seconds(size, 0, 3 * pack, N_POINTS) + _seconds(
            size, 1, 0, 2 * MANIFOLD_LINES * MANIFOLD_POINTS)
    else:
        snapshot_s = SNAPSHOT_FIXED_S + _seconds(size, 1, 0, N_FIXED)
    evals = _periodic(t.steps, t.eval_every) if t.eval_every else 0
    eval_s = EVAL_FIXED_S[kind] + _seconds(size, 1, 0, CHEAP_N[kind])
    state_numel = size.g_params + size.d_params
    optim_slots = 2 if o.name == "adam" else 1
    ckpt_bytes = 4 * (state_numel * (1 + optim_slots) + (size.g_params if o.ema else 0)) + CHECKPOINT_HEADER_BYTES
    saves = t.steps // t.checkpoint_every + 1
    kept = min(saves, t.keep_checkpoints) if t.keep_checkpoints else saves
    logs = t.steps // t.log_every + 6  # the early lines at steps 1, 2, 5, 10, 20
    cpu_parts = {
        "start": START_S,
        "training": t.steps * per_step,
        "samples": snapshots * snapshot_s,
        "evaluation": evals * eval_s,
        "checkpoints": saves * (ckpt_bytes / CHECKPOINT_BYTES_PER_S + CHECKPOINT_FIXED_S),
        "logging": logs * (LOG_LINE_S + (TENSORBOARD_LINE_S if t.tensorboard else 0)),
    }
    if cfg.is_points:
        sample_bytes = SNAPSHOT_2D_BYTES
    else:
        c, h, w = sample_shape(cfg)
        sample_bytes = N_FIXED * c * h * w + 4_096  # a PNG is at most its raw pixels
    disk_parts = {
        "checkpoints": ckpt_bytes * kept,
        "samples": snapshots * sample_bytes,
        "logs": logs * LOG_LINE_BYTES + evals * EVAL_LINE_BYTES + RUN_FIXED_BYTES,
        "tensorboard": logs * TENSORBOARD_LINE_BYTES if t.tensorboard else 0,
    }
    return Cost(sum(cpu_parts.values()), int(sum(disk_parts.values())), cpu_parts, disk_parts,
                ckpt_bytes, kept)


# -- budgets ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Budget:
    """What one job may cost: CPU seconds and bytes on disk."""

    cpu_s: float
    disk_bytes: int


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} CPU-minutes" if seconds >= 60 else f"{seconds:.0f} CPU-seconds"


def human_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def over_budget(cfg: Config, budget: Budget, cost: Cost | None = None) -> list[str]:
    """One line per budget `cfg` exceeds, naming the settings to lower (empty if it fits)."""
    cost = cost or estimate(cfg)
    t, m = cfg.train, cfg.model
    errors = []
    if cost.cpu_s > budget.cpu_s:
        big = max(cost.cpu_parts, key=cost.cpu_parts.get)  # type: ignore[arg-type]
        hints = {
            "training": "lower train.steps, train.batch_size, optim.n_critic or optim.unroll, or a "
                        + ("smaller model.g_hidden / model.d_hidden" if m.arch == "mlp"
                           else "smaller model.g_channels / model.d_channels"),
            "samples": f"raise train.sample_every (now {t.sample_every:,})",
            "evaluation": f"raise train.eval_every (now {t.eval_every:,}) or set it to 0",
            "checkpoints": f"raise train.checkpoint_every (now {t.checkpoint_every:,})",
            "logging": f"raise train.log_every (now {t.log_every:,}) or turn off train.tensorboard",
            "start": "use a bundled data set",
        }
        errors.append(f"train: this job would take about {_minutes(cost.cpu_s)} here (this demo allows "
                      f"{_minutes(budget.cpu_s)} per job; most of it {big}): {hints[big]}")
    if cost.disk_bytes > budget.disk_bytes:
        big = max(cost.disk_parts, key=cost.disk_parts.get)  # type: ignore[arg-type]
        hints = {
            "checkpoints": f"{cost.checkpoints_kept:,} checkpoints of {human_bytes(cost.checkpoint_bytes)}: "
                           f"set train.keep_checkpoints (e.g. 2) or raise train.checkpoint_every "
                           f"(now {t.checkpoint_every:,})",
            "samples": f"raise train.sample_every (now {t.sample_every:,})",
            "logs": f"raise train.log_every (now {t.log_every:,}) or train.eval_every",
            "tensorboard": "turn off train.tensorboard or raise train.log_every",
        }
        errors.append(f"train: this job would write about {human_bytes(cost.disk_bytes)} "
                      f"(this demo allows {human_bytes(budget.disk_bytes)} per job; most of it {big}): {hints[big]}")
    return errors


def max_steps_within(cfg: Config, budget: Budget) -> int | None:
    """The most steps (up to `train.steps`) at which `cfg` fits `budget`; None when not even
    one step does (then something other than the length is too big)."""
    def fits(steps: int) -> bool:
        return not over_budget(cfg, budget, estimate(cfg.with_overrides([f"train.steps={steps}"])))

    if fits(cfg.train.steps):
        return cfg.train.steps
    if not fits(1):
        return None
    lo, hi = 1, cfg.train.steps  # fits(lo), not fits(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    # a round number reads better in the form and changes the cost by under 1%
    rounded = lo - lo % 100 if lo >= 1000 else lo - lo % 10 if lo >= 100 else lo
    return max(1, rounded)
