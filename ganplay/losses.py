"""Every adversarial loss and penalty, as small pure functions.

D outputs raw scores ("logits"). Conventions, per loss (real = D(x), fake = D(G(z))):

- ns       non-saturating BCE (Goodfellow et al. 2014, the practical one):
           D: -log s(real) - log(1 - s(fake));  G: -log s(fake)
- minimax  the original saturating game, for teaching why nobody uses it:
           D as ns;  G: log(1 - s(fake))  (its gradient vanishes when D wins)
- lsgan    least squares (Mao et al. 2017): D: (real - 1)^2 + fake^2;  G: (fake - 1)^2  (halved)
- hinge    (Lim & Ye 2017; SAGAN): D: relu(1 - real) + relu(1 + fake);  G: -fake
- wasserstein  (Arjovsky et al. 2017): D: fake - real;  G: -fake. Needs a Lipschitz constraint:
           weight clipping (`clip_weights`) or a gradient penalty (`gradient_penalty`).

Penalties: `gradient_penalty` (WGAN-GP, Gulrajani et al. 2017), `r1_penalty` (Mescheder et al.
2018), `feature_matching_loss` (Salimans et al. 2016).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganplay.config import LOGIT_LOSSES


def _bce_real(logits: Tensor, smoothing: float = 0.0) -> Tensor:
    # one-sided label smoothing: only the real targets move (1 -> 1 - s)
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 - smoothing))


def _bce_fake(logits: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))


def d_loss_bce(real: Tensor, fake: Tensor, smoothing: float = 0.0) -> Tensor:
    return _bce_real(real, smoothing) + _bce_fake(fake)


def g_loss_ns(fake: Tensor) -> Tensor:
    return _bce_real(fake)


def g_loss_minimax(fake: Tensor) -> Tensor:
    # log(1 - sigmoid(x)) = -softplus(x), so minimising it is minimising -softplus(fake)
    return -F.softplus(fake).mean()


def d_loss_lsgan(real: Tensor, fake: Tensor, smoothing: float = 0.0) -> Tensor:
    return 0.5 * ((real - (1.0 - smoothing)) ** 2).mean() + 0.5 * (fake**2).mean()


def g_loss_lsgan(fake: Tensor) -> Tensor:
    return 0.5 * ((fake - 1.0) ** 2).mean()


def d_loss_hinge(real: Tensor, fake: Tensor, smoothing: float = 0.0) -> Tensor:
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def d_loss_wasserstein(real: Tensor, fake: Tensor, smoothing: float = 0.0) -> Tensor:
    return fake.mean() - real.mean()


def g_loss_critic(fake: Tensor) -> Tensor:
    """G's loss for hinge and Wasserstein: raise the critic's score of fakes."""
    return -fake.mean()


DLoss = Callable[[Tensor, Tensor, float], Tensor]
GLoss = Callable[[Tensor], Tensor]

# name -> (D loss, G loss, whether D's output is a probability logit)
LOSSES: dict[str, tuple[DLoss, GLoss]] = {
    "ns": (d_loss_bce, g_loss_ns),
    "minimax": (d_loss_bce, g_loss_minimax),
    "lsgan": (d_loss_lsgan, g_loss_lsgan),
    "hinge": (d_loss_hinge, g_loss_critic),
    "wasserstein": (d_loss_wasserstein, g_loss_critic),
}


def d_loss(name: str, real: Tensor, fake: Tensor, smoothing: float = 0.0) -> Tensor:
    return LOSSES[name][0](real.float(), fake.float(), smoothing)


def g_loss(name: str, fake: Tensor) -> Tensor:
    return LOSSES[name][1](fake.float())


def outputs_are_logits(name: str) -> bool:
    """True when sigmoid(D(x)) is a probability (so D(x) is shown in [0, 1])."""
    return name in LOGIT_LOSSES


def _input_gradients(outputs: Tensor, inputs: Tensor) -> Tensor:
    # autograd.grad on the *inputs* with create_graph: the penalty's own backward then reaches D's
    # weights. This form also works through DistributedDataParallel, which cannot double-backward
    # through `.backward()` on its outputs.
    (grad,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=True)
    return grad.flatten(1)


def gradient_penalty(
    D: nn.Module,
    real: Tensor,
    fake: Tensor,
    labels: Tensor | None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP: E[(||grad D(x_hat)|| - 1)^2] at random points between real and fake samples.

    With packing, D scores groups; the penalty is taken per input sample, which is the usual
    PacGAN + GP practice."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, device=real.device, dtype=real.dtype, generator=generator)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    grad = _input_gradients(D(x_hat, labels), x_hat)
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


def r1_penalty(D: nn.Module, real: Tensor, labels: Tensor | None) -> Tensor:
    """R1: E[||grad D(x)||^2] on real data (the usual gamma/2 factor is in the config weight)."""
    x = real.detach().requires_grad_(True)
    grad = _input_gradients(D(x, labels), x)
    return grad.pow(2).sum(1).mean()


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """Salimans et al. 2016: match the mean of D's penultimate features on real and fake."""
    return (real_features.detach().float().mean(0) - fake_features.float().mean(0)).pow(2).sum()


@torch.no_grad()
def clip_weights(D: nn.Module, value: float) -> None:
    """The original WGAN's Lipschitz constraint: clamp every D parameter to [-value, value]."""
    for p in D.parameters():
        p.clamp_(-value, value)
