"""GAN Lab's step mode: a small 2D GAN trained in this process, one D step or one G step at a time,
so a person can see the discriminator's field and the generator's arrows move after each.

It drives a `ganplay.train.Trainer` through its public phases (`step_once` for a whole step,
`begin_step`, `d_step`, `g_step` one at a time; `view_2d`, `manifold`, `mode_arrays` to draw): the same data, models, optimisers, losses and every stabiliser as a run, so
"D and G" steps taken here equal a run's steps bit for bit (tests/test_dashboard_lib.py). A real
run trains in a child process (`ganplay.jobs`); this is the exception because each step takes
milliseconds and the point is to step by hand. The stepper lives in the session, never on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ganplay.config import LOGIT_LOSSES, Config
from ganplay.dashboard.view2d import PROBABILITY, FieldScale, Snapshot2D, critic_scale, critic_spread


@dataclass
class StepLog:
    d_steps: int = 0
    g_steps: int = 0
    history: list[dict] = field(default_factory=list)  # {"kind": "d"|"g", "loss": float}


# how far the view follows G's points past the data's own square: a vanilla GAN's points fly out
# to 4-8x the ring within 40-100 steps at step mode's learning rates, and a view that followed
# them all the way (a run's snapshots go to 4x) left the ring a speck for the rest of the session;
# at 2x it keeps half the view, and the points beyond are drawn on its edge and counted
VIEW_WIDENING = 2.0


class Stepper:
    def __init__(self, cfg: Config):
        from ganplay.train import Trainer

        if not cfg.is_points:
            raise ValueError("step mode is for the 2D data sets (ring8, grid25, spiral, moons, swissroll)")
        cfg = cfg.with_overrides(["train.device=cpu", "train.compile=false"])
        self.cfg = cfg
        self.trainer = Trainer(cfg)
        self.log = StepLog()
        self._by_hand = 0  # single phases taken since the last whole step (each its own batch)
        self._reach = 0.0  # the widest view drawn so far (half its side)
        self._spread = 0.0  # a critic's widest colour scale so far
        self.diverged: str | None = None  # why stepping stopped (a non-finite loss)

    # -- one update at a time -------------------------------------------------------------
    def d_step(self) -> float:
        """One discriminator update on a fresh real and a fresh fake batch."""
        self._by_hand += 1
        self.trainer.begin_step(salt=self._by_hand)
        return self._record("d", self.trainer.d_step().loss)

    def g_step(self) -> float:
        """One generator update against the current discriminator, on a fresh fake batch."""
        t = self.trainer
        self._by_hand += 1
        t.begin_step(salt=self._by_hand)
        loss, _ = t.g_step()
        t.step += 1  # a run counts G's steps (learning-rate schedule, instance-noise annealing)
        return self._record("g", loss)

    def both(self) -> None:
        """n_critic D steps, then one G step on the last D step's fake batch: a run's step (the
        trainer's own `step_once`). A non-finite loss stops the stepper with `diverged` set."""
        from ganplay.train.trainer import Diverged

        try:
            stats = self.trainer.step_once(on_critic=lambda loss: self._record("d", loss))
        except Diverged as exc:
            self.diverged = str(exc)
            return
        self._by_hand = 0
        self._record("g", stats[1])

    def step(self, which: str, times: int = 1) -> None:
        """`which` is "d", "g" or "both" (n_critic D steps, then one G step, like a real run);
        nothing once a step has diverged."""
        for _ in range(times):
            if self.diverged:
                return
            {"d": self.d_step, "g": self.g_step, "both": self.both}[which]()

    def _record(self, kind: str, loss) -> float:
        value = float(loss.detach())
        if kind == "d":
            self.log.d_steps += 1
        else:
            self.log.g_steps += 1
        self.log.history.append({"kind": kind, "loss": value})
        return value

    # -- what the page draws --------------------------------------------------------------
    def snapshot(self) -> Snapshot2D:
        """What the page draws now. The view only widens from one snapshot to the next (as a
        critic's colour scale does on the page): shrinking it as G's points close in would make
        the data seem to grow. It widens to at most `VIEW_WIDENING` times the data's square."""
        t = self.trainer
        fake = t.generate_fixed()
        extent, field_values, grad = t.view_2d(fake, at_least=self._reach, max_widening=VIEW_WIDENING)
        self._reach = max(self._reach, extent[1])
        return Snapshot2D(self.log.g_steps, t.real_points, fake.numpy(), field_values, extent, grad,
                          manifold=t.manifold(), manifold_z_dim=t.G.z_dim, **t.mode_arrays())

    def field_scale(self, snap: Snapshot2D) -> FieldScale:
        """D's colours: a probability's fixed 0..1, or a critic's scale that, like the view, only
        widens while stepping, so a colour means the same score from one step to the next."""
        if self.field_is_probability:
            return PROBABILITY
        self._spread = max(self._spread, critic_spread(snap.field))
        return critic_scale(self._spread)

    @property
    def field_is_probability(self) -> bool:
        """D's field is a probability (a sigmoid of D's logit), not a critic's score."""
        return self.trainer.loss_name in LOGIT_LOSSES
