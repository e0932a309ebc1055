"""Quality smoke: a preset run on the CPU learns what it should: 150 steps move G's
points onto the ring (seconds); the full preset covers all eight modes (slow: its 3,000 steps took
138 s alone on a 2-core AVX2 machine, 239 s beside the rest of a full run)."""

import numpy as np
import pytest
import torch

from ganplay.config import Config
from ganplay.data import mixture
from ganplay.train import Trainer


@pytest.mark.slow
def test_ring8_wgan_gp_preset_covers_all_eight_modes(tmp_path):
    from ganplay.cpu import training_threads

    threads = torch.get_num_threads()
    torch.set_num_threads(training_threads(True) or threads)  # as `ganplay train` runs 2D data: one thread
    try:
        cfg = Config.from_preset("ring8-wgan-gp", ["train.sample_every=100000"])
        trainer = Trainer(cfg)
        trainer.start(tmp_path)
        assert trainer.fit() == "done"
    finally:
        torch.set_num_threads(threads)
    G = trainer.sampling_generator().eval()
    with torch.no_grad():
        x = G(torch.randn(2500, G.z_dim, generator=torch.Generator().manual_seed(1))).numpy()
    ring = mixture("ring8")
    dist = np.linalg.norm(x[:, None] - ring.centres.numpy()[None], axis=2)
    near = dist.min(1) <= 3 * ring.std  # the VEEGAN/PacGAN "high quality" radius
    assert len(set(dist.argmin(1)[near])) == 8
    assert near.mean() > 0.3


def _ring_distance(G, n: int = 2500) -> np.ndarray:
    with torch.no_grad():
        x = G(torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(1))).numpy()
    ring = mixture("ring8")
    return np.linalg.norm(x[:, None] - ring.centres.numpy()[None], axis=2).min(1)


def test_150_wgan_gp_steps_pull_the_samples_onto_the_ring(tmp_path):
    cfg = Config.from_preset("ring8-wgan-gp", ["train.steps=150", "train.sample_every=100000",
                                               "train.eval_every=0", "train.checkpoint_every=100000"])
    trainer = Trainer(cfg)
    trainer.start(tmp_path)
    before = np.median(_ring_distance(trainer.sampling_generator().eval()))
    assert trainer.fit() == "done"
    after = np.median(_ring_distance(trainer.sampling_generator().eval()))
    assert after < 0.5 * before, (before, after)
