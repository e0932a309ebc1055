"""Training: the loop, the run directory it writes, checkpoints, the control channel, DDP."""

from ganplay.train.trainer import Diverged, Trainer, train

__all__ = ["Diverged", "Trainer", "train"]
