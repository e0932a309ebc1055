"""Training: the loop, the run directory it writes, checkpoints, the control channel, DDP.

Readers (the dashboard) import `ganplay.train.rundir` / `control` without pulling in the trainer;
`Trainer`, `train` and `Diverged` load on first use.
"""

__all__ = ["Diverged", "Trainer", "train"]


def __getattr__(name: str):
    if name in __all__:
        from ganplay.train import trainer

        return getattr(trainer, name)
    raise AttributeError(name)
