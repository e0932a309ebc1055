"""Quality smoke: a full preset run on the CPU learns what it should (about a minute)."""

import numpy as np
import torch

from ganplay.config import Config
from ganplay.data import mixture
from ganplay.train import Trainer


def test_ring8_wgan_gp_preset_covers_all_eight_modes(tmp_path):
    cfg = Config.from_preset("ring8-wgan-gp", ["train.sample_every=100000"])
    trainer = Trainer(cfg)
    trainer.start(tmp_path)
    assert trainer.fit() == "done"
    G = trainer.sampling_generator().eval()
    with torch.no_grad():
        x = G(torch.randn(2500, G.z_dim, generator=torch.Generator().manual_seed(1))).numpy()
    ring = mixture("ring8")
    dist = np.linalg.norm(x[:, None] - ring.centres.numpy()[None], axis=2)
    near = dist.min(1) <= 3 * ring.std  # the VEEGAN/PacGAN "high quality" radius
    assert len(set(dist.argmin(1)[near])) == 8
    assert near.mean() > 0.3
