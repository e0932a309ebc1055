"""Unrolled GAN (Metz et al. 2017, "Unrolled Generative Adversarial Networks").

A vanilla G chases the current D: it moves its samples to wherever D is most fooled, D follows,
and G hops from mode to mode. An unrolled G plays against D *as it will be* `k` steps later:
`lookahead_scores` copies D's weights and Adam state, takes `k` differentiable Adam steps on the
batch at hand, and scores G's samples with the result. G's gradient then flows through those `k`
steps too, so G is also pushed by how D would react to it, and piling all samples onto one mode no
longer pays. D's real weights are untouched: only G's step sees the look-ahead.

The look-ahead uses the plain adversarial loss (no gradient penalty or clipping), like the paper,
and reuses the step's real batch and fake batch in every unrolled step (as the paper's reference
notebook does), so unrolling draws no extra random numbers.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor, nn
from torch.func import functional_call


def _adam_state(opt: torch.optim.Optimizer, p: Tensor) -> tuple[Tensor, Tensor, int]:
    state = opt.state.get(p, {})
    if "exp_avg" not in state:  # D has not stepped yet
        return torch.zeros_like(p), torch.zeros_like(p), 0
    step = state["step"]
    return state["exp_avg"].detach(), state["exp_avg_sq"].detach(), int(step)


def lookahead_scores(
    D: nn.Module,
    opt_d: torch.optim.Optimizer,
    steps: int,
    real: Tensor,
    fake: Tensor,
    labels: Tensor | None,
    d_loss: Callable[[Tensor, Tensor], Tensor],
    return_features: bool = False,
):
    """D's scores of `fake` after `steps` differentiable Adam steps of D on (real, fake).

    `fake` must carry G's graph: the returned scores are differentiable with respect to G both
    directly and through the unrolled updates. `D` is the plain module (not DDP-wrapped); its
    weights, buffers and optimiser state are left exactly as they were."""
    group = opt_d.param_groups[0]
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    names = [n for n, p in D.named_parameters()]
    originals = [p for _, p in D.named_parameters()]
    params = {n: p.detach().clone().requires_grad_(True) for n, p in zip(names, originals)}
    # BatchNorm statistics and spectral-norm vectors would move in the look-ahead: use copies
    buffers = {n: b.detach().clone() for n, b in D.named_buffers()}
    moments = [_adam_state(opt_d, p) for p in originals]
    m = [mo[0] for mo in moments]
    v = [mo[1] for mo in moments]
    t = moments[0][2] if moments else 0
    real = real.detach()
    for _ in range(steps):
        state = {**params, **buffers}
        d_real = functional_call(D, state, (real, labels))
        d_fake = functional_call(D, state, (fake, labels))
        loss = d_loss(d_real, d_fake)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        t += 1
        bc1, bc2 = 1 - beta1**t, 1 - beta2**t
        for i, (name, g) in enumerate(zip(names, grads)):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            # + eps^2 inside the root: sqrt's gradient at 0 is infinite (a dead unit's v is 0)
            denom = (v[i] / bc2 + eps * eps).sqrt() + eps
            params[name] = params[name] - lr * (m[i] / bc1) / denom
    return functional_call(D, {**params, **buffers}, (fake, labels),
                           {"return_features": return_features})
