"""The training loop. `train_step` is the whole adversarial game on one screen; everything else
here is bookkeeping: the run directory, checkpoints, control requests, divergence, DDP.

Determinism: every random number a step draws comes from `self.rng`, reseeded from (seed, rank,
step) at the start of the step, and batch b of the data is a pure function of (seed, b). So the
same config and seed give the same numbers, and a resumed run continues exactly where it stopped
(the checkpoint's step and batch counter are all the RNG state there is).
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor

from ganplay import losses
from ganplay.config import DRAWN_DATASET, Config, ConfigError
from ganplay.cpu import resolve_precision
from ganplay.data import DataError, batch_indices, diff_augment, load_dataset, read_points
from ganplay.metrics import cheap_metrics
from ganplay.models import build_models
from ganplay.pointsets import to_csv
from ganplay.train import checkpoint as ckpt, snapshots, unroll
from ganplay.train.control import ControlReader
from ganplay.train.distributed import DistInfo, init_distributed
from ganplay.train.rundir import (POINTS_FILE, RunDir, atomic_write_bytes, atomic_write_json, new_run_dir, read_json, step_name,
                                  truncate_jsonl_after)

log = logging.getLogger("ganplay.train")

N_FIXED = 64  # samples in the fixed-noise grid (8 per class for conditional models)
N_FIXED_PAIRS = 24  # image-to-image: inputs in the snapshot grid (3 x 8, each over its answer and truth)
N_POINTS = 1000  # 2D snapshot: real and generated points
FIELD_RES = 48  # 2D snapshot: D's field is sampled on FIELD_RES x FIELD_RES points

# Stats accumulated every step and averaged over the log interval, in this order.
STAT_KEYS = ("loss_d", "loss_g", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "penalty")
# Extra metrics lines before the first regular one (those below half of log_every), so a page
# watching a new run has points to draw after its first step instead of after log_every steps.
# Each averages the steps since the start; the regular lines average exactly what they did before.
FIRST_LOG_STEPS = (1, 2, 5, 10, 20)


def is_first_log_step(step: int, log_every: int) -> bool:
    """Whether `step` gets one of the early lines (see FIRST_LOG_STEPS)."""
    return step in FIRST_LOG_STEPS and 2 * step < log_every


class Diverged(RuntimeError):
    pass


def _lr_factor(schedule: str, step: int, total: int) -> float:
    frac = min(step / max(total, 1), 1.0)
    if schedule == "linear":
        return 1.0 - frac
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * frac))
    return 1.0


def _step_seed(seed: int, rank: int, step: int, *salt: int) -> int:
    return int(np.random.SeedSequence([seed, rank, step, *salt]).generate_state(1)[0])


def _grad_norm(module: torch.nn.Module) -> Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if hasattr(torch.nn.utils, "get_total_norm"):  # torch >= 2.6; no clipping multiply
        return torch.nn.utils.get_total_norm(grads)
    return torch.nn.utils.clip_grad_norm_(module.parameters(), float("inf"))


def _make_optimizer(cfg: Config, params, lr: float) -> torch.optim.Optimizer:
    o = cfg.optim
    # foreach: one fused update over all tensors; PyTorch picks it by default only on CUDA, and on
    # CPU it is faster too (measured with `ganplay bench`)
    if o.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, foreach=True)
    return torch.optim.Adam(params, lr=lr, betas=(o.beta1, o.beta2), foreach=True)


@dataclass
class CriticStep:
    """What one D update saw and did; the G step after it reuses its batch (as the textbook
    loop does)."""

    loss: Tensor
    d_real: Tensor
    d_fake: Tensor
    penalty: Tensor
    grad_norm: Tensor
    real: Tensor
    labels: Tensor | None
    fake: Tensor
    real_features: Tensor | None


class Trainer:
    """Builds data, models and optimisers from a config; trains into a run directory.

    Construction does all the work that can fail on bad input (data, device, models), so nothing
    is written before `start()` creates, or `Trainer.from_run()` reopens, the run directory."""

    def __init__(self, cfg: Config, dist_info: DistInfo | None = None, device: torch.device | None = None,
                 on_phase: Callable[[str], None] | None = None):
        """`on_phase(name)` is told when loading the data and building the models begin (a
        starting job reports them to the dashboard)."""
        self.cfg = cfg
        phase = on_phase or (lambda name: None)
        if dist_info is None or device is None:
            dist_info, device = init_distributed(cfg.train.device)
        self.dist, self.device = dist_info, device
        t = cfg.train
        # what `auto` means here (cpu.resolve_precision); status.json says which was used
        self.precision = resolve_precision(t.precision, device.type, cfg.is_points,
                                           cuda_bf16=device.type == "cuda" and torch.cuda.is_bf16_supported())
        torch.manual_seed(t.seed)  # model initialisation

        phase("loading data")
        self.data = load_dataset(cfg)
        if device.type == "cuda":  # our data sets are small: keep them on the GPU
            self.data.x = self.data.x.to(device)
            if self.data.labels is not None:
                self.data.labels = self.data.labels.to(device)
        if cfg.model.n_classes and cfg.model.n_classes != self.data.n_classes:
            found = f"{self.data.n_classes} classes" if self.data.n_classes else "no labels (no subfolders)"
            raise ConfigError(f"model.n_classes: {cfg.data.name} has {found}; got {cfg.model.n_classes} "
                              f"(use {self.data.n_classes} for a conditional GAN, or 0)")
        self.n_classes = cfg.model.n_classes
        phase("building models")
        self.G, self.D = build_models(cfg, self.data.sample_shape, self.n_classes)
        self.G.to(device)
        self.D.to(device)
        self.G_ema = None
        if cfg.optim.ema > 0:
            self.G_ema = torch.optim.swa_utils.AveragedModel(
                self.G,
                multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(cfg.optim.ema),
                use_buffers=True,
            )
        self.base_lr = {"g": cfg.optim.lr_g, "d": cfg.optim.lr_d}
        self.n_critic = cfg.optim.n_critic
        self.opt_g = _make_optimizer(cfg, self.G.parameters(), self.base_lr["g"])
        self.opt_d = _make_optimizer(cfg, self.D.parameters(), self.base_lr["d"])

        # What the step calls: the same modules, possibly compiled and/or DDP-wrapped.
        self.G_train: torch.nn.Module = self.G
        self.D_train: torch.nn.Module = self.D
        if t.compile:
            self.G_train = torch.compile(self.G_train)
            self.D_train = torch.compile(self.D_train)
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [device.index] if device.type == "cuda" else None
            self.G_train = DDP(self.G_train, device_ids=ids)
            # D runs several forwards (real, fake, GP) before one backward: BatchNorm buffer
            # broadcasts at each forward would break that, so buffers stay per process.
            self.D_train = DDP(self.D_train, device_ids=ids, broadcast_buffers=False)

        self.rng = torch.Generator(device=device)
        self.loss_name = cfg.loss.name
        self.step = 0
        self.batches_drawn = 0
        self.wall_time = 0.0  # training seconds over all sessions of this run
        self.run: RunDir | None = None
        self.control: ControlReader | None = None
        self._stop_requested = False
        self._paused = False
        self.paused_s = 0.0  # seconds spent paused in this session (not counted as training speed)
        self._state = "starting"
        self._eval_broken = False
        self._tb = None
        self._fixed_z, self._fixed_labels = self._fixed_noise()
        self.real_points = self._snapshot_real_points()

    # ------------------------------------------------------------------------------------------
    # The adversarial step, in public phases: `begin_step`, `d_step` (n_critic times), `g_step`.
    # `train_step` runs them as a run does; the 2D step mode (dashboard/stepper.py) runs the same
    # phases one at a time, so what it shows is what training does, every switch included.
    # ------------------------------------------------------------------------------------------
    def begin_step(self, salt: int = 0) -> None:
        """Seed this step's randomness (batches, noise, augmentation) from the seed and the step;
        `salt` tells apart extra phases taken by hand at the same step."""
        extra = (salt,) if salt else ()  # a run's steps keep the seeds they always had
        self.rng.manual_seed(_step_seed(self.cfg.train.seed, self.dist.rank, self.step, *extra))
        if hasattr(self.G, "rng"):  # models that draw their own randomness (StyleGAN-lite) use ours
            self.G.rng = self.rng

    def d_step(self, keep_fake_graph: bool = False) -> CriticStep:
        """One update of D on a fresh real and fake batch: push D(x) up and D(G(z)) down, plus any
        penalty. With `keep_fake_graph` the fake batch keeps G's graph, for the G step after it."""
        cfg, G, D = self.cfg, self.G_train, self.D_train
        self.D.requires_grad_(True)
        real, labels = self._next_batch()
        with self._autocast():
            with torch.set_grad_enabled(keep_fake_graph):
                fake = G(self._noise(real.shape[0]), labels)
            d_real, real_features = D(self._d_view(real), labels, return_features=True)
            d_fake = D(self._d_view(fake.detach()), labels)
        penalty = self._d_penalty(real, fake.detach(), labels)  # fp32: bf16 input grads are coarse
        loss_d = losses.d_loss(self.loss_name, d_real, d_fake, cfg.loss.label_smoothing) + penalty
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        grad_norm_d = _grad_norm(self.D)
        self.opt_d.step()
        if cfg.loss.clip:
            losses.clip_weights(self.D, cfg.loss.clip)
        return CriticStep(loss_d, d_real, d_fake, penalty, grad_norm_d, real, labels, fake, real_features)

    def g_step(self, critic: CriticStep | None = None) -> tuple[Tensor, Tensor]:
        """One update of G against D as it is (or as it will be k Adam steps on, unrolled), on the
        fake batch of the critic step before it (a run), or on a fresh one (`critic` None: a G
        step taken by hand). Returns G's loss and gradient norm."""
        cfg = self.cfg
        if critic is None:
            real, labels = self._next_batch()
            with self._autocast():
                fake = self.G_train(self._noise(real.shape[0]), labels)
                real_features = (self.D_train(self._d_view(real), labels, return_features=True)[1]
                                 if cfg.loss.feature_matching else None)
        else:
            real, labels, fake, real_features = critic.real, critic.labels, critic.fake, critic.real_features
        self.D.requires_grad_(False)  # G's step needs D's input gradients, not its weight gradients
        D_for_g = self.D_train.module if self.dist.enabled else self.D_train  # no DDP sync for D here
        try:
            if cfg.optim.unroll:  # Unrolled GAN: G plays against D as it will be k steps on
                d_fake_g, fake_features = unroll.lookahead_scores(
                    self.D, self.opt_d, cfg.optim.unroll, self._d_view(real), self._d_view(fake), labels,
                    lambda r, f: losses.d_loss(self.loss_name, r, f, cfg.loss.label_smoothing),
                    return_features=True,
                )
            else:
                with self._autocast():
                    d_fake_g, fake_features = D_for_g(self._d_view(fake), labels, return_features=True)
            loss_g = losses.g_loss(self.loss_name, d_fake_g)
            if cfg.loss.adv_weight != 1.0:  # image-to-image: the adversarial term weighed (or off)
                loss_g = cfg.loss.adv_weight * loss_g
            if cfg.loss.l1_weight:  # image-to-image: stay close to the true image
                loss_g = loss_g + cfg.loss.l1_weight * (fake.float() - real).abs().mean()
            if cfg.loss.feature_matching:
                loss_g = loss_g + cfg.loss.feature_matching * losses.feature_matching_loss(
                    real_features, fake_features
                )
            self.opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            grad_norm_g = _grad_norm(self.G)
            self.opt_g.step()
        finally:
            if critic is None:
                self.D.requires_grad_(True)  # by hand: the next phase may be a D step
        if self.G_ema is not None:
            self.G_ema.update_parameters(self.G)
        return loss_g, grad_norm_g

    def step_once(self, on_critic: Callable[[Tensor], None] | None = None) -> Tensor:
        """A run's step, also what step mode's "D + G step" takes: this step's learning rates,
        `train_step`, then the step counted. A non-finite D or G loss raises Diverged (naming the
        step that failed, not yet counted)."""
        self.set_lrs()
        stats = self.train_step(on_critic)
        if not bool(torch.isfinite(stats[:2]).all()):
            raise Diverged(self._divergence_message(stats))
        self.step += 1
        return stats

    def train_step(self, on_critic: Callable[[Tensor], None] | None = None) -> Tensor:
        """One G step (after n_critic D steps, each D loss to `on_critic`). Returns the step's
        stats, as one tensor."""
        self.begin_step()
        for i in range(self.n_critic):
            critic = self.d_step(keep_fake_graph=i == self.n_critic - 1)  # the last batch serves G too
            if on_critic is not None:
                on_critic(critic.loss)
        loss_g, grad_norm_g = self.g_step(critic)
        as_prob = losses.outputs_are_logits(self.loss_name)
        score = (lambda s: torch.sigmoid(s.float()).mean()) if as_prob else (lambda s: s.float().mean())
        return torch.stack([
            critic.loss.detach().float(), loss_g.detach().float(),
            score(critic.d_real.detach()), score(critic.d_fake.detach()),
            critic.grad_norm.float(), grad_norm_g.float(), critic.penalty.detach().float(),
        ])

    # -- the step's helpers (each switch lives here, not as an if-ladder in the step) ------------
    def _autocast(self):
        if self.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def _next_batch(self) -> tuple[Tensor, Tensor | None]:
        b = self.batches_drawn * self.dist.world_size + self.dist.rank  # each rank its own shard
        self.batches_drawn += 1
        idx = batch_indices(len(self.data), self.cfg.train.batch_size, b, self.cfg.train.seed)
        x, y = self.data.batch(idx.to(self.data.x.device))
        x = x.to(self.device, non_blocking=True)
        if self.data.inputs is not None:  # image-to-image: G's input image takes the label's place
            y = self.data.input_batch(idx).to(self.device, non_blocking=True)
        elif not self.n_classes:
            y = None
        elif y is not None:
            y = y.to(self.device, non_blocking=True)
        return x, y

    def _noise(self, n: int) -> Tensor:
        return torch.randn(n, self.G.z_dim, device=self.device, generator=self.rng)

    def _d_view(self, x: Tensor) -> Tensor:
        """What D sees: augmented (DiffAugment) and noised (instance noise), same for real and fake."""
        cfg = self.cfg
        if cfg.train.augment:
            x = diff_augment(x, list(cfg.train.augment), self.rng)
        if cfg.loss.instance_noise:
            sigma = cfg.loss.instance_noise * max(0.0, 1.0 - self.step / cfg.train.steps)
            if sigma > 0:
                x = x + sigma * torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=self.rng)
        return x

    def _d_penalty(self, real: Tensor, fake: Tensor, labels: Tensor | None) -> Tensor:
        lo = self.cfg.loss
        penalty = torch.zeros((), device=self.device)
        if lo.gp_weight:
            penalty = penalty + lo.gp_weight * losses.gradient_penalty(
                self.D_train, real, fake.float(), labels, self.rng
            )
        # lazy R1 (StyleGAN2): every r1_every-th D step, scaled by r1_every to keep its strength
        if lo.r1_weight and self.batches_drawn % lo.r1_every == 0:
            penalty = penalty + lo.r1_weight * lo.r1_every * losses.r1_penalty(self.D_train, real, labels)
        return penalty

    def set_lrs(self) -> None:
        f = _lr_factor(self.cfg.optim.schedule, self.step, self.cfg.train.steps)
        for opt, key in ((self.opt_g, "g"), (self.opt_d, "d")):
            for group in opt.param_groups:
                group["lr"] = self.base_lr[key] * f

    # ------------------------------------------------------------------------------------------
    # Running: the loop around the step
    # ------------------------------------------------------------------------------------------
    def start(self, out: str | Path = "runs", run_dir: str | Path | None = None) -> RunDir:
        """Create the run directory (rank 0) and write config.json."""
        if self.dist.is_main:
            if run_dir is not None:
                self.run = RunDir(run_dir)
                self.run.create()
            else:
                self.run = new_run_dir(out, self.cfg.run_label)
            self._keep_points()
            atomic_write_json(self.run.config_path, self._stored_config())
            self._write_status("starting")
        self.run = self._broadcast_run(self.run)
        return self.run

    @classmethod
    def from_run(cls, run_dir: str | Path, steps: int | None = None,
                 on_phase: Callable[[str], None] | None = None) -> "Trainer":
        """Rebuild a trainer from a run directory's config and its newest checkpoint."""
        run = RunDir(run_dir)
        if not run.is_run():
            raise FileNotFoundError(f"{run_dir} is not a ganplay run directory (no config.json)")
        values = read_json(run.config_path)
        if steps is not None:
            values.setdefault("train", {})["steps"] = steps
        trainer = cls(Config.from_dict(values).with_data_under(run.path), on_phase=on_phase)
        trainer.run = run
        latest = run.latest_checkpoint()
        if latest is not None:
            trainer.load(latest)
        if trainer.dist.is_main:
            atomic_write_json(run.config_path, trainer._stored_config())
            truncate_jsonl_after(run.metrics_path, trainer.step)
        return trainer

    def _keep_points(self) -> None:
        """Drawn data: the run keeps its own copy of the points (resume, scrubbing and a later
        eval need them wherever the original file went) and trains on it from here on."""
        if self.cfg.data.name != DRAWN_DATASET:
            return
        atomic_write_bytes(self.run.points_path, to_csv(read_points(self.cfg.data.path)))
        self.cfg = self.cfg.model_copy(update={"data": self.cfg.data.model_copy(
            update={"path": str(self.run.points_path.resolve())})})

    def _stored_config(self) -> dict:
        """The config as the run's files keep it: drawn points named relative to the run."""
        values = self.cfg.to_dict()
        if self.cfg.data.name == DRAWN_DATASET:
            values["data"]["path"] = POINTS_FILE
        return values

    def request_stop(self, *_args) -> None:
        self._stop_requested = True

    def fit(
        self,
        on_step: Callable[[int, int, dict | None], None] | None = None,
        stop_after: int | None = None,
    ) -> str:
        """Train until `train.steps` (or `stop_after` steps in this session, then stop as if
        asked). Returns the final state: done, stopped or failed."""
        if self.run is None:
            raise RuntimeError("call start() or from_run() first")
        total = self.cfg.train.steps
        main = self.dist.is_main
        if main:
            self.control = ControlReader(self.run.path)
            if self.cfg.train.tensorboard:
                self._tb = self._open_tensorboard()
        old_handler = None
        with contextlib.suppress(ValueError):  # not the main thread: no signal handling
            old_handler = signal.signal(signal.SIGTERM, self.request_stop)
        acc = torch.zeros(len(STAT_KEYS), device=self.device)
        acc_n = 0
        t_last, step_last = time.perf_counter(), self.step
        session_start_step = self.step
        state = "running"
        try:
            if main:
                self._write_status("running")
            if self.step == 0 and main:
                self._snapshot()
            while self.step < total:
                paused_before = self.paused_s
                if self._handle_control(stop_after is not None and self.step - session_start_step >= stop_after):
                    state = "stopped"
                    break
                t_last += self.paused_s - paused_before  # a pause is not slow training
                t0 = time.perf_counter()
                stats = self.step_once()
                self.wall_time += time.perf_counter() - t0
                acc += stats
                acc_n += 1
                row = None
                regular = self.step % self.cfg.train.log_every == 0 or self.step == total
                if regular or is_first_log_step(self.step, self.cfg.train.log_every):
                    now = time.perf_counter()
                    # steps_per_s: wall time since the previous line, periodic work included, so
                    # the lines' intervals add up to the session's whole time
                    row = self._metrics_row(acc / acc_n, (self.step - step_last) / max(now - t_last, 1e-9))
                    if regular:
                        acc.zero_()
                        acc_n = 0
                    t_last, step_last = now, self.step
                    if main:
                        self.run.append_metrics(row)
                        self._tensorboard(row)
                        self._write_status("running")
                if main and (self.step % self.cfg.train.sample_every == 0 or self.step == total):
                    self._snapshot()
                if main and self.cfg.train.eval_every and (
                        self.step % self.cfg.train.eval_every == 0 or self.step == total):
                    self._log_eval()
                if self.step % self.cfg.train.checkpoint_every == 0 and self.step < total:
                    self.save()
                if on_step is not None:
                    on_step(self.step, total, row)
            if state == "running":
                state = "done"
            self.save()
            if main:
                self._snapshot()
                self._write_status(state)
        except Diverged as exc:
            state = "failed"
            if main:
                self._write_status("failed", error=str(exc))
            log.error("%s", exc)
        except KeyboardInterrupt:
            state = "stopped"
            self.save()
            if main:
                self._write_status("stopped", error="interrupted (Ctrl+C)")
        except Exception as exc:
            state = "failed"
            if main:
                self._write_status("failed", error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if old_handler is not None:
                signal.signal(signal.SIGTERM, old_handler)
            if self._tb is not None:
                self._tb.close()
        return state

    def _divergence_message(self, stats: Tensor) -> str:
        bad = [k for k, v in zip(STAT_KEYS[:2], stats[:2].tolist()) if not math.isfinite(v)]
        values = ", ".join(f"{k}={v}" for k, v in zip(STAT_KEYS[:2], stats[:2].tolist()))
        last = self.run.latest_checkpoint() if self.run else None
        kept = f"; last good checkpoint: {last.name}" if last else "; no checkpoint had been saved yet"
        return (
            f"training diverged at step {self.step + 1}: {' and '.join(bad)} became non-finite "
            f"({values}). Try a lower learning rate, a gradient penalty or spectral norm{kept}"
        )

    # -- control requests --------------------------------------------------------------------
    def _handle_control(self, stop_now: bool) -> bool:
        """Apply pending requests; block while paused. True when the run should stop now."""
        while True:
            requests = self.control.poll() if self.control is not None else []
            for req in requests:
                cmd = req["command"]
                if cmd == "stop":
                    self._stop_requested = True
                elif cmd == "pause":
                    self._paused = True
                elif cmd == "resume":
                    self._paused = False
                elif cmd == "set":
                    self._apply_settings(req)
            decision = self._agree([self._stop_requested or stop_now, self._paused])
            if decision[0]:
                return True
            if not decision[1]:
                if self.dist.is_main and self._state == "paused":
                    self._write_status("running")
                return False
            if self.dist.is_main and self._state != "paused":
                self._write_status("paused")
            t0 = time.perf_counter()
            time.sleep(0.1)
            self.paused_s += time.perf_counter() - t0

    def _apply_settings(self, req: dict) -> None:
        changed = {}
        if "lr_g" in req:
            self.base_lr["g"] = changed["lr_g"] = float(req["lr_g"])
        if "lr_d" in req:
            self.base_lr["d"] = changed["lr_d"] = float(req["lr_d"])
        if "n_critic" in req:
            self.n_critic = changed["n_critic"] = int(req["n_critic"])
        if changed and self.dist.is_main:
            self.run.append_metrics({"step": self.step, "event": "set", **changed})
            log.info("step %d: set %s", self.step, changed)

    def _agree(self, flags: list[bool]) -> list[bool]:
        """Rank 0 decides (it reads the control file); every rank follows, in the same step.
        Settings changes travel the same way."""
        if not self.dist.enabled:
            return flags
        import torch.distributed as dist

        payload = torch.tensor(
            [float(f) for f in flags] + [self.base_lr["g"], self.base_lr["d"], float(self.n_critic)],
            dtype=torch.float64,
            device=self.device if self.device.type == "cuda" else "cpu",
        )
        dist.broadcast(payload, src=0)
        values = payload.tolist()
        self.base_lr["g"], self.base_lr["d"], self.n_critic = values[-3], values[-2], int(values[-1])
        return [bool(v) for v in values[: len(flags)]]

    # -- writing the run directory -----------------------------------------------------------
    def _broadcast_run(self, run: RunDir | None) -> RunDir | None:
        if not self.dist.enabled:
            return run
        import torch.distributed as dist

        box = [str(run.path) if run else None]
        dist.broadcast_object_list(box, src=0)
        return RunDir(box[0])

    def _write_status(self, state: str, **extra) -> None:
        self._state = state
        self.run.write_status(
            state=state,
            step=self.step,
            steps=self.cfg.train.steps,
            device=str(self.device),
            precision=self.precision,
            world_size=self.dist.world_size,
            wall_time=round(self.wall_time, 3),
            error=extra.pop("error", ""),
            **extra,
        )

    def _metrics_row(self, mean: Tensor, steps_per_s: float) -> dict:
        values = dict(zip(STAT_KEYS, mean.tolist()))
        row: dict = {"step": self.step, "time": round(self.wall_time, 4)}
        row.update({k: round(v, 6) for k, v in values.items()})
        if not (self.cfg.loss.gp_weight or self.cfg.loss.r1_weight):
            row.pop("penalty")
        if self.loss_name == "wasserstein":
            # the critic's estimate of the Wasserstein distance (up to the Lipschitz constant)
            row["wasserstein"] = round(values["d_real"] - values["d_fake"], 6)
        row["lr_g"] = self.opt_g.param_groups[0]["lr"]
        row["lr_d"] = self.opt_d.param_groups[0]["lr"]
        row["n_critic"] = self.n_critic
        row["steps_per_s"] = round(steps_per_s, 3)
        row["images_per_s"] = round(
            steps_per_s * self.cfg.train.batch_size * self.n_critic * self.dist.world_size, 1
        )
        return row

    def _log_eval(self) -> None:
        """Cheap quality numbers (mode or class coverage) as an `eval` line in metrics.jsonl."""
        if self._eval_broken:
            return
        try:
            values = cheap_metrics(self.sampling_generator(), self.cfg)
        except Exception as exc:  # e.g. the classifier file is missing: training goes on
            self._eval_broken = True
            log.warning("periodic metrics are off for this run: %s", exc)
            return
        if values:
            row = {"step": self.step, "event": "eval", **{k: round(v, 6) for k, v in values.items()}}
            self.run.append_metrics(row)
            self._tensorboard({f"eval/{k}": v for k, v in values.items()})

    def _open_tensorboard(self):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise RuntimeError(
                "train.tensorboard needs the tensorboard package: pip install 'ganplay[tensorboard]'"
            ) from None
        return SummaryWriter(log_dir=str(self.run.path / "tensorboard"))

    def _tensorboard(self, row: dict) -> None:
        if self._tb is None:
            return
        for key, value in row.items():
            if key != "step" and isinstance(value, (int, float)):
                self._tb.add_scalar(key, value, self.step)

    # -- samples ----------------------------------------------------------------------------
    def _fixed_noise(self) -> tuple[Tensor, Tensor | None]:
        if self.data.inputs is not None:
            return self._fixed_pairs()
        gen = torch.Generator().manual_seed(self.cfg.train.seed + 12345)
        n = N_POINTS if self.cfg.is_points else N_FIXED
        if self.n_classes:
            per_class = max(1, N_FIXED // self.n_classes) if self.n_classes <= 16 else 1
            n = per_class * self.n_classes if self.n_classes <= 16 else N_FIXED
            labels = torch.arange(n) % self.n_classes
        else:
            labels = None
        z = torch.randn(n, self.G.z_dim, generator=gen)
        return z.to(self.device), (labels.to(self.device) if labels is not None else None)

    def _fixed_pairs(self) -> tuple[Tensor, Tensor]:
        """Image-to-image: N_FIXED_PAIRS held-out images (training ones where the data set has no
        held-out split) as (empty z, their inputs); the true images are kept for the snapshots."""
        try:
            data = load_dataset(self.cfg, "heldout")
        except DataError:
            data = self.data
        idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(self.cfg.train.seed + 12345))
        idx = idx[:N_FIXED_PAIRS]
        self._fixed_truth = data.batch(idx)[0].to(self.device)
        inputs = data.input_batch(idx).to(self.device)
        return torch.zeros(len(idx), 0, device=self.device), inputs

    def _snapshot_real_points(self) -> np.ndarray | None:
        if not self.cfg.is_points:
            return None
        idx = torch.randperm(len(self.data), generator=torch.Generator().manual_seed(7))[:N_POINTS]
        return self.data.batch(idx.to(self.data.x.device))[0].cpu().numpy()

    def sampling_generator(self) -> torch.nn.Module:
        return self.G_ema.module if self.G_ema is not None else self.G

    def generate_fixed(self) -> Tensor:
        """The fixed-noise samples (G's EMA copy when kept), as the run's snapshots show them."""
        G = self.sampling_generator()
        was_training = G.training
        G.eval()
        try:
            with torch.no_grad():
                return G(self._fixed_z, self._fixed_labels).float()
        finally:
            G.train(was_training)

    def manifold(self) -> np.ndarray:
        """G's manifold for the 2D view: `snapshots.noise_grid` (two families of grid lines over
        z[0], z[1], the other noise coordinates held at 0) mapped through G as the snapshots use
        it (the EMA copy when kept, eval mode, no grad): (2, lines, points, 2) float32. Nothing
        random is drawn, so a run's numbers are the same with it. 2D data has no labels (the
        config refuses n_classes there), so no label is needed."""
        G = self.sampling_generator()
        grid = snapshots.noise_grid(G.z_dim).to(self.device)
        was_training = G.training
        G.eval()
        try:
            with torch.no_grad():
                out = G(grid.reshape(-1, G.z_dim), None).float()
        finally:
            G.train(was_training)
        return out.reshape(*grid.shape[:3], -1).cpu().numpy().astype(np.float32)

    def _snapshot(self) -> None:
        fake = self.generate_fixed()
        if self.cfg.is_points:
            self._snapshot_points(fake)
        elif self.data.inputs is not None:  # rows of 8: inputs, G's answers, the true images
            img = snapshots.image_grid(snapshots.pair_rows(self._fixed_labels, fake, self._fixed_truth), 8)
            atomic_write_bytes(self.run.samples_dir / step_name(self.step, ".png"), snapshots.png_bytes(img))
        else:
            ncol = snapshots.grid_columns(len(fake), self.n_classes)
            img = snapshots.image_grid(fake, ncol)
            atomic_write_bytes(self.run.samples_dir / step_name(self.step, ".png"), snapshots.png_bytes(img))

    def field_and_arrows(self, points: Tensor, grid: Tensor) -> tuple[Tensor, Tensor]:
        """The 2D view of D and G: D's output on `grid` (a probability where D outputs logits)
        and, at each generated point, the direction G's loss pushes it."""
        D = self.D
        was_training = D.training
        D.eval()
        try:
            # A packing D judges groups of `pack` points: show it groups of one point repeated.
            pack = self.cfg.model.pack

            def score(x: Tensor) -> Tensor:
                return D(x.repeat_interleave(pack, dim=0) if pack > 1 else x).float()

            with torch.no_grad():
                field = score(grid)
                if losses.outputs_are_logits(self.loss_name):
                    field = torch.sigmoid(field)
            pts = points.detach().clone().requires_grad_(True)
            with torch.enable_grad():
                grad = -torch.autograd.grad(losses.g_loss(self.loss_name, score(pts)), pts)[0]
        finally:
            D.train(was_training)
        return field, grad.detach()

    def view_2d(self, fake: Tensor, at_least: float = 0.0, max_widening: float = snapshots.MAX_WIDENING,
                ) -> tuple[tuple[float, float], np.ndarray, np.ndarray]:
        """What the 2D view draws for generated points `fake`: the square extent (around the data,
        widened to hold `fake` up to `max_widening` times the data's reach, and to at least
        -at_least..at_least), D's field over it (FIELD_RES x FIELD_RES, row = y) and G's push at
        each point."""
        lo, hi = snapshots.view_bounds(self.real_points, fake.detach().cpu().numpy(), max_widening=max_widening)
        lo, hi = min(lo, -at_least), max(hi, at_least)
        field, grad = self.field_and_arrows(fake, snapshots.field_grid(lo, hi, FIELD_RES).to(self.device))
        return (lo, hi), field.reshape(FIELD_RES, FIELD_RES).cpu().numpy(), grad.cpu().numpy()

    def _snapshot_points(self, fake: Tensor) -> None:
        real = self.real_points
        fake_np = fake.cpu().numpy()
        (lo, hi), field, grad = self.view_2d(fake)
        data = snapshots.npz_bytes(
            real=real.astype(np.float32),
            fake=fake_np.astype(np.float32),
            field=field.astype(np.float32),
            field_extent=np.array([lo, hi], dtype=np.float32),
            g_grad=grad.astype(np.float32),
            manifold=self.manifold(),
            manifold_z_dim=np.array(self.G.z_dim),
            step=np.array(self.step),
            **self.mode_arrays(),
        )
        atomic_write_bytes(self.run.samples_dir / step_name(self.step, ".npz"), data)
        img = snapshots.points_image(real, fake_np, lo, hi)
        atomic_write_bytes(self.run.samples_dir / step_name(self.step, ".png"), snapshots.png_bytes(img))

    def mode_arrays(self) -> dict[str, np.ndarray]:
        """Drawn data: the modes found in it, so a page counts coverage without clustering."""
        if self.cfg.data.name != DRAWN_DATASET or self.data.centres is None:
            return {}
        std = torch.as_tensor(self.data.std, dtype=torch.float32).expand(len(self.data.centres))
        return {"centres": self.data.centres.cpu().numpy().astype(np.float32),
                "mode_std": std.cpu().numpy().astype(np.float32)}

    # -- checkpoints -------------------------------------------------------------------------
    def save(self) -> Path | None:
        """Write a checkpoint for the current step (rank 0); prune old ones if asked to."""
        if not self.dist.is_main or self.run is None:
            return None
        tensors = {}
        tensors.update(ckpt.flat_state("G", self.G.state_dict()))
        tensors.update(ckpt.flat_state("D", self.D.state_dict()))
        if self.G_ema is not None:
            tensors.update(ckpt.flat_state("G_ema", self.G_ema.module.state_dict()))
        opt_g_t, opt_g_info = ckpt.optimizer_to_flat("opt_g", self.opt_g)
        opt_d_t, opt_d_info = ckpt.optimizer_to_flat("opt_d", self.opt_d)
        tensors.update(opt_g_t)
        tensors.update(opt_d_t)
        if self.G_ema is not None:
            tensors["G_ema_n_averaged"] = self.G_ema.n_averaged.detach().cpu().clone()
        meta = {
            "step": self.step,
            "steps": self.cfg.train.steps,
            "batches_drawn": self.batches_drawn,
            "base_lr_g": self.base_lr["g"],
            "base_lr_d": self.base_lr["d"],
            "n_critic": self.n_critic,
            "wall_time": round(self.wall_time, 3),
            "device": str(self.device),
            "world_size": self.dist.world_size,
            "opt_g": opt_g_info,
            "opt_d": opt_d_info,
            "rng": "per-step: seeded from (train.seed, rank, step)",
            "n_classes": self.n_classes,
            "sample_shape": list(self.data.sample_shape),
            "class_names": list(self.data.class_names),
        }
        path = self.run.checkpoints_dir / step_name(self.step, ".safetensors")
        ckpt.save_checkpoint(path, self._stored_config(), meta, tensors)
        keep = self.cfg.train.keep_checkpoints
        if keep:
            for old in self.run.checkpoint_paths()[:-keep]:
                old.unlink(missing_ok=True)
                old.with_suffix(".json").unlink(missing_ok=True)
        return path

    def load(self, path: str | Path) -> None:
        c = ckpt.load_checkpoint(path)
        ckpt.load_state(self.G, c.state_dict("G"), "generator", path)
        ckpt.load_state(self.D, c.state_dict("D"), "discriminator", path)
        if self.G_ema is not None and c.has("G_ema"):
            ckpt.load_state(self.G_ema.module, c.state_dict("G_ema"), "EMA generator", path)
            self.G_ema.n_averaged.copy_(c.tensors["G_ema_n_averaged"])
        m = c.meta
        self.opt_g.load_state_dict(ckpt.optimizer_from_flat("opt_g", c, m["opt_g"]))
        self.opt_d.load_state_dict(ckpt.optimizer_from_flat("opt_d", c, m["opt_d"]))
        self.step = int(m["step"])
        self.batches_drawn = int(m["batches_drawn"])
        self.base_lr = {"g": float(m["base_lr_g"]), "d": float(m["base_lr_d"])}
        self.n_critic = int(m["n_critic"])
        self.wall_time = float(m.get("wall_time", 0.0))


def train(
    cfg: Config,
    out: str | Path = "runs",
    on_step: Callable[[int, int, dict | None], None] | None = None,
) -> tuple[RunDir, str]:
    """Train a config from scratch into a new run directory under `out`."""
    trainer = Trainer(cfg)
    run = trainer.start(out)
    return run, trainer.fit(on_step=on_step)
