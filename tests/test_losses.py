"""Losses and penalties against hand-computed values."""

import math

import pytest
import torch

from ganplay import losses


def test_bce_losses_match_formulas():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-1.0, 0.3])
    s = torch.sigmoid
    expected_d = (-torch.log(s(real))).mean() + (-torch.log(1 - s(fake))).mean()
    assert losses.d_loss("ns", real, fake).item() == pytest.approx(expected_d.item(), rel=1e-5)
    assert losses.g_loss("ns", fake).item() == pytest.approx((-torch.log(s(fake))).mean().item(), rel=1e-5)
    assert losses.g_loss("minimax", fake).item() == pytest.approx(torch.log(1 - s(fake)).mean().item(), rel=1e-5)


def test_minimax_gradient_vanishes_when_d_wins():
    # D confidently rejects the fakes: the saturating loss gives G almost no gradient, ns does
    fake = torch.tensor([-8.0], requires_grad=True)
    (g_mm,) = torch.autograd.grad(losses.g_loss("minimax", fake), fake)
    (g_ns,) = torch.autograd.grad(losses.g_loss("ns", fake), fake)
    assert abs(g_mm.item()) < 1e-3 < abs(g_ns.item())


def test_label_smoothing_is_one_sided():
    real, fake = torch.zeros(4), torch.zeros(4)
    plain = losses.d_loss("ns", real, fake)
    smooth = losses.d_loss("ns", real, fake, smoothing=0.1)
    assert plain.item() == pytest.approx(2 * math.log(2), rel=1e-6)
    assert smooth.item() == pytest.approx(plain.item(), rel=1e-6)  # at logit 0 both targets cost log 2
    real = torch.full((4,), 5.0)
    assert losses.d_loss("ns", real, fake, 0.1).item() > losses.d_loss("ns", real, fake).item()


def test_lsgan_hinge_wasserstein():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, -2.0])
    assert losses.d_loss("lsgan", real, fake).item() == pytest.approx(0.5 * 2.0 + 0.5 * 2.0)
    assert losses.g_loss("lsgan", fake).item() == pytest.approx(0.5 * (1 + 9) / 2)
    assert losses.d_loss("hinge", real, fake).item() == pytest.approx(0.0 + 0.5)
    assert losses.d_loss("wasserstein", real, fake).item() == pytest.approx(-1.0 - 2.0)
    assert losses.g_loss("wasserstein", fake).item() == pytest.approx(1.0)
    assert losses.outputs_are_logits("ns") and not losses.outputs_are_logits("wasserstein")


class Linear2D(torch.nn.Module):
    """D(x) = w . x: its input gradient is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor(w))

    def forward(self, x, labels=None):
        return x @ self.w


def test_gradient_penalty_and_r1_known_values():
    D = Linear2D([3.0, 4.0])  # ||grad|| = 5 everywhere
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    gp = losses.gradient_penalty(D, real, fake, None, torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx(16.0)  # (5 - 1)^2
    assert losses.r1_penalty(D, real, None).item() == pytest.approx(25.0)
    gp.backward()  # the penalty reaches D's weights
    assert D.w.grad is not None and D.w.grad.abs().sum() > 0


def test_feature_matching_and_clipping():
    a, b = torch.ones(4, 3), torch.zeros(4, 3)
    assert losses.feature_matching_loss(a, b).item() == pytest.approx(3.0)
    assert losses.feature_matching_loss(a, a).item() == 0.0
    D = Linear2D([3.0, -0.5])
    losses.clip_weights(D, 0.01)
    assert D.w.tolist() == pytest.approx([0.01, -0.01])


def test_nonnegative_d_losses_are_those_whose_d_loss_has_a_floor_at_0():
    from ganplay.config import LOSSES, NONNEGATIVE_D_LOSSES

    g = torch.Generator().manual_seed(0)
    real, fake = 20 * torch.randn(4096, generator=g), 20 * torch.randn(4096, generator=g)
    lowest = {name: min(float(losses.d_loss(name, real[i:i + 8], fake[i:i + 8], 0.1)) for i in range(0, 4096, 8))
              for name in LOSSES}
    assert [n for n in LOSSES if lowest[n] >= 0] == list(NONNEGATIVE_D_LOSSES)  # the alarm's "near 0": D wins
