"""Shared test helpers. Tests run on CPU with small models and few steps."""

import os

import pytest

from ganplay.cpu import passive_waits

passive_waits()  # before torch loads OpenMP: spinning threads ran 10x slower beside other processes
import torch  # noqa: E402

os.environ.setdefault("GANPLAY_OFFLINE", "1")  # tests never download
# one thread per pytest-xdist worker (the workers share the cores), else up to two
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else max(1, min(2, os.cpu_count() or 1)))

TINY_IMAGE = ["model.g_channels=8", "model.d_channels=8", "model.z_dim=16", "train.batch_size=16"]
TINY_2D = ["model.g_hidden=[32, 32]", "model.d_hidden=[32, 32]", "train.batch_size=64"]


@pytest.fixture
def tiny_cfg():
    """Build a small config from a preset plus overrides."""
    from ganplay.config import Config

    def make(preset: str, *overrides: str, steps: int = 6):
        base = TINY_2D if preset.startswith(("ring8", "grid25")) else TINY_IMAGE
        every = [f"train.steps={steps}", "train.log_every=2", "train.sample_every=3",
                 "train.checkpoint_every=3", "train.eval_every=0"]
        return Config.from_preset(preset, [*base, *every, *overrides])

    return make
