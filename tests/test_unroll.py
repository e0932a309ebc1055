"""Unrolled GAN (optim.unroll): the look-ahead matches real Adam steps, leaves D untouched, and
gives G a different (second-order) gradient; the switch trains end to end."""

import copy

import pytest
import torch

from ganplay import losses
from ganplay.config import Config, ConfigError
from ganplay.train.unroll import lookahead_scores


def _pair(pack=1, sn=False):
    cfg = Config.from_dict({"data": {"name": "ring8"},
                            "model": {"arch": "mlp", "z_dim": 4, "g_hidden": [16], "d_hidden": [16, 16],
                                      "pack": pack, "spectral_norm": sn}})
    from ganplay.models import build_models

    torch.manual_seed(0)
    G, D = build_models(cfg, (2,), 0)
    opt = torch.optim.Adam(D.parameters(), lr=1e-2, betas=(0.5, 0.999))
    return G, D, opt


def _bce(r, f):
    return losses.d_loss("ns", r, f)


def _adam_step(D, opt, real, fake):
    opt.zero_grad()
    _bce(D(real), D(fake.detach())).backward()
    opt.step()


@pytest.mark.parametrize("warm", [False, True], ids=["fresh-adam", "adam-with-state"])
def test_one_unrolled_step_matches_torch_adam(warm):
    G, D, opt = _pair()
    real, z = torch.randn(32, 2), torch.randn(32, 4)
    if warm:  # D has momentum already: the look-ahead must continue from it
        _adam_step(D, opt, torch.randn(32, 2), G(torch.randn(32, 4)))
    fake = G(z)
    got = lookahead_scores(D, opt, 1, real, fake, None, _bce)
    D2, opt2 = copy.deepcopy(D), None
    opt2 = torch.optim.Adam(D2.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt2.load_state_dict(opt.state_dict())
    _adam_step(D2, opt2, real, fake)
    assert torch.allclose(got, D2(fake), atol=1e-4), (got - D2(fake)).abs().max()
    assert not torch.allclose(got, D(fake), atol=1e-4)  # it did look ahead


def test_lookahead_leaves_d_and_its_optimiser_untouched():
    G, D, opt = _pair(sn=True)
    _adam_step(D, opt, torch.randn(32, 2), G(torch.randn(32, 4)))
    before = copy.deepcopy(D.state_dict())
    state_before = copy.deepcopy(opt.state_dict())
    lookahead_scores(D, opt, 3, torch.randn(32, 2), G(torch.randn(32, 4)), None, _bce)
    for k, v in D.state_dict().items():
        assert torch.equal(v, before[k]), k  # weights and spectral-norm vectors
    for p_id, st in opt.state_dict()["state"].items():
        assert torch.equal(st["exp_avg"], state_before["state"][p_id]["exp_avg"])


def test_g_gradient_flows_through_the_unrolled_steps():
    G, D, opt = _pair(pack=2)
    real, z = torch.randn(32, 2), torch.randn(32, 4)

    def g_grad(steps):
        G.zero_grad()
        losses.g_loss("ns", lookahead_scores(D, opt, steps, real, G(z), None, _bce)).backward()
        return torch.cat([p.grad.flatten() for p in G.parameters()])

    plain, unrolled = g_grad(0), g_grad(3)
    assert not torch.allclose(plain, unrolled, atol=1e-6)
    assert torch.isfinite(unrolled).all()


def test_unroll_needs_adam():
    with pytest.raises(ConfigError, match="optim.unroll"):
        Config.from_preset("ring8-gan", ["optim.unroll=5", "optim.name=rmsprop"])


@pytest.mark.parametrize("preset, overrides", [
    ("ring8-gan", ["optim.unroll=2", "model.spectral_norm=true", "model.pack=2"]),
    ("mnist-dcgan", ["optim.unroll=1", "train.augment=[translation]"]),  # BatchNorm in D
])
def test_unrolled_training_runs_and_is_deterministic(tiny_cfg, tmp_path, preset, overrides):
    from ganplay.train import Trainer

    cfg = tiny_cfg(preset, *overrides, steps=3)
    rows = []
    for i in range(2):
        t = Trainer(cfg)
        run = t.start(tmp_path / str(i))
        assert t.fit() == "done"
        rows.append([r["loss_g"] for r in run.read_metrics() if "loss_g" in r])
    assert rows[0] == rows[1] and all(torch.isfinite(torch.tensor(rows[0])))
