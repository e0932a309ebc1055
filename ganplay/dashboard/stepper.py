"""GAN Lab's step mode: a small 2D GAN trained in this process, one D step or one G step at a time,
so a person can see the discriminator's field and the generator's arrows move after each.

It wraps a `ganplay.train.Trainer` (same data, models, optimisers, losses and stabilisers as a real
run) and performs single D or G updates with the trainer's own helpers. A real run trains in a
child process (`ganplay.jobs`); this is the exception because each step takes milliseconds and the
point is to step by hand. The stepper lives in the session, never on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ganplay.config import Config
from ganplay.dashboard.view2d import Snapshot2D

FIELD_RES = 40


@dataclass
class StepLog:
    d_steps: int = 0
    g_steps: int = 0
    history: list[dict] = field(default_factory=list)  # {"kind": "d"|"g", "loss": float}


class Stepper:
    def __init__(self, cfg: Config):
        import torch

        from ganplay.train import Trainer

        if not cfg.is_points:
            raise ValueError("step mode is for the 2D data sets (ring8, grid25, spiral, moons, swissroll)")
        cfg = cfg.with_overrides(["train.device=cpu", "train.compile=false"])
        self.cfg = cfg
        self.trainer = Trainer(cfg)
        self.log = StepLog()
        self._torch = torch
        real = self.trainer._real_points
        from ganplay.train import snapshots

        self.extent = snapshots.points_bounds(real)
        self._grid = snapshots.field_grid(*self.extent, FIELD_RES)

    # -- one update at a time -------------------------------------------------------------
    def _reseed(self) -> None:
        t = self.trainer
        n = self.log.d_steps + self.log.g_steps
        seed = int(np.random.SeedSequence([self.cfg.train.seed, 7, n]).generate_state(1)[0])
        t.rng.manual_seed(seed)
        t.step = self.log.g_steps  # instance-noise annealing follows G's steps, as in a run

    def d_step(self) -> float:
        """One discriminator update on a fresh real batch and a fresh fake batch."""
        from ganplay import losses

        t, torch = self.trainer, self._torch
        self._reseed()
        t.D.requires_grad_(True)
        real, labels = t._next_batch()
        with torch.no_grad():
            fake = t.G_train(t._noise(real.shape[0]), labels)
        d_real = t.D_train(t._d_view(real), labels)
        d_fake = t.D_train(t._d_view(fake), labels)
        penalty = t._d_penalty(real, fake, labels)
        loss = losses.d_loss(t.loss_name, d_real, d_fake, self.cfg.loss.label_smoothing) + penalty
        t.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        t.opt_d.step()
        if self.cfg.loss.clip:
            losses.clip_weights(t.D, self.cfg.loss.clip)
        self.log.d_steps += 1
        value = float(loss.detach())
        self.log.history.append({"kind": "d", "loss": value})
        return value

    def g_step(self) -> float:
        """One generator update against the current, frozen discriminator."""
        from ganplay import losses

        t, torch = self.trainer, self._torch
        self._reseed()
        t.D.requires_grad_(False)
        try:
            n = self.cfg.train.batch_size
            fake = t.G_train(t._noise(n), None)
            if self.cfg.loss.feature_matching:
                real, _ = t._next_batch()
                _, real_features = t.D_train(t._d_view(real), None, return_features=True)
                d_fake, fake_features = t.D_train(t._d_view(fake), None, return_features=True)
                loss = losses.g_loss(t.loss_name, d_fake) + self.cfg.loss.feature_matching * \
                    losses.feature_matching_loss(real_features.detach(), fake_features)
            else:
                loss = losses.g_loss(t.loss_name, t.D_train(t._d_view(fake), None))
            t.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            t.opt_g.step()
        finally:
            t.D.requires_grad_(True)
        del torch
        self.log.g_steps += 1
        value = float(loss.detach())
        self.log.history.append({"kind": "g", "loss": value})
        return value

    def step(self, which: str, times: int = 1) -> None:
        """`which` is "d", "g" or "both" (n_critic D steps, then one G step, like a real run)."""
        for _ in range(times):
            if which in ("d", "both"):
                for _ in range(self.cfg.optim.n_critic if which == "both" else 1):
                    self.d_step()
            if which in ("g", "both"):
                self.g_step()

    # -- what the page draws --------------------------------------------------------------
    def snapshot(self) -> Snapshot2D:
        from ganplay import losses

        t, torch = self.trainer, self._torch
        G, D = t.G, t.D
        pack = self.cfg.model.pack

        def score(x):
            return D(x.repeat_interleave(pack, dim=0) if pack > 1 else x).float()

        g_mode, d_mode = G.training, D.training
        G.eval()
        D.eval()
        try:
            with torch.no_grad():
                fake = G(t._fixed_z, None).float()
                field_values = score(self._grid)
                if losses.outputs_are_logits(t.loss_name):
                    field_values = torch.sigmoid(field_values)
            pts = fake.clone().requires_grad_(True)
            with torch.enable_grad():
                grad = -torch.autograd.grad(losses.g_loss(t.loss_name, score(pts)), pts)[0]
        finally:
            G.train(g_mode)
            D.train(d_mode)
        return Snapshot2D(self.log.g_steps, t._real_points, fake.numpy(),
                          field_values.reshape(FIELD_RES, FIELD_RES).numpy(), self.extent,
                          grad.detach().numpy())

    @property
    def field_label(self) -> str:
        from ganplay import losses

        return "D(x)" if losses.outputs_are_logits(self.trainer.loss_name) else "critic score"
