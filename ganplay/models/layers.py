"""Small reusable layers and helpers shared by the architectures.

- `MinibatchStd`: ProGAN's minibatch standard deviation feature (Karras et al. 2018).
- `MinibatchDiscrimination`: Salimans et al. 2016's minibatch discrimination.
- `apply_spectral_norm`: spectral normalisation of every Conv/Linear (Miyato et al. 2018).
- `ResUpBlock` / `ResDownBlock`: residual up/down blocks for the conv nets (SNGAN/BigGAN style).
- `dcgan_init`: the DCGAN weight initialisation (Radford et al. 2016).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

_SN_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)


class MinibatchStd(nn.Module):
    """Append one feature (or channel) holding how much the samples of a small group differ.

    For each group of `group_size` samples: the standard deviation of every feature across the
    group, averaged over features, broadcast back to each sample of the group. A collapsed batch
    (all samples alike) gives ~0, which D can learn to punish. Works on `(B, F)` and
    `(B, C, H, W)`; the output has one more feature / channel.
    """

    def __init__(self, group_size: int = 4, eps: float = 1e-8) -> None:
        super().__init__()
        if group_size < 1:
            raise ValueError(f"MinibatchStd: group_size must be >= 1, got {group_size}")
        self.group_size = group_size
        self.eps = eps

    def _group(self, batch: int) -> int:
        """The largest group size <= group_size that divides the batch; the whole batch if that
        would be 1 (a group of one has no spread to measure)."""
        group = min(self.group_size, batch)
        while batch % group:
            group -= 1
        return batch if group == 1 else group

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() not in (2, 4):
            raise ValueError(f"MinibatchStd expects (B, F) or (B, C, H, W), got {tuple(x.shape)}")
        batch = x.shape[0]
        group = self._group(batch)
        grouped = x.reshape(batch // group, group, -1)  # consecutive samples form a group
        std = (grouped.var(dim=1, unbiased=False) + self.eps).sqrt()  # (B/g, features)
        stat = std.mean(dim=1).repeat_interleave(group)  # (B,), one value per group
        if x.dim() == 2:
            return torch.cat([x, stat[:, None].to(x.dtype)], dim=1)
        h, w = x.shape[2:]
        return torch.cat([x, stat.view(batch, 1, 1, 1).expand(batch, 1, h, w).to(x.dtype)], dim=1)


class MinibatchDiscrimination(nn.Module):
    """Salimans et al. 2016: let D compare each sample with the rest of the batch.

    M = h @ T as `(B, kernels, kernel_dim)`; for each kernel, c_ij = exp(-||M_i - M_j||_1);
    o_i = sum over j != i of c_ij. Output: `[h, o]`, i.e. `in_features + kernels` features.
    T is an `nn.Linear` without bias, so spectral norm and weight init reach it like any layer.
    """

    def __init__(self, in_features: int, kernels: int, kernel_dim: int = 5) -> None:
        super().__init__()
        if kernels < 1 or kernel_dim < 1:
            raise ValueError("MinibatchDiscrimination: kernels and kernel_dim must be >= 1")
        self.in_features = in_features
        self.kernels = kernels
        self.kernel_dim = kernel_dim
        self.T = nn.Linear(in_features, kernels * kernel_dim, bias=False)

    @property
    def out_features(self) -> int:
        return self.in_features + self.kernels

    def forward(self, h: Tensor) -> Tensor:
        m = self.T(h).view(h.shape[0], self.kernels, self.kernel_dim)
        # Explicit pairwise differences rather than torch.cdist: cdist's backward has no
        # double backward, which gradient penalties need. Memory is B*B*kernels*kernel_dim.
        l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(dim=3)  # (B, B, kernels)
        o = torch.exp(-l1).sum(dim=1) - 1.0  # drop each sample's exp(0) = 1 with itself
        return torch.cat([h, o], dim=1)


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Wrap every Linear/Conv/ConvTranspose weight inside `module` with spectral normalisation
    (in place; returns `module`). Layers already normalised are left alone."""
    for sub in list(module.modules()):
        if isinstance(sub, _SN_LAYERS) and not _has_spectral_norm(sub):
            # torch picks the output-channel dim itself (1 for ConvTranspose, else 0)
            spectral_norm(sub, name="weight")
    return module


def _has_spectral_norm(layer: nn.Module) -> bool:
    from torch.nn.utils import parametrize

    return parametrize.is_parametrized(layer, "weight")


@torch.no_grad()
def dcgan_init(module: nn.Module) -> nn.Module:
    """DCGAN initialisation, in place: conv/linear weights N(0, 0.02), biases 0; BatchNorm
    weights N(1, 0.02), biases 0. Apply before spectral norm. Returns `module`."""
    for sub in module.modules():
        if isinstance(sub, _SN_LAYERS):
            nn.init.normal_(sub.weight, 0.0, 0.02)
            if sub.bias is not None:
                nn.init.zeros_(sub.bias)
        elif isinstance(sub, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(sub.weight, 1.0, 0.02)
            nn.init.zeros_(sub.bias)
    return module


def _upsample(x: Tensor) -> Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


class ResUpBlock(nn.Module):
    """Generator residual block that doubles the spatial size (BigGAN/SNGAN style):
    main: BN -> ReLU -> upsample -> conv3x3 -> BN -> ReLU -> conv3x3;
    shortcut: upsample -> conv1x1."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1, 1, 0)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(_upsample(F.relu(self.bn1(x))))
        h = self.conv2(F.relu(self.bn2(h)))
        return h + self.shortcut(_upsample(x))


class ResDownBlock(nn.Module):
    """Discriminator residual block that halves the spatial size:
    main: [norm -> LeakyReLU] -> conv3x3 -> norm -> LeakyReLU -> conv3x3 -> avgpool2;
    shortcut: conv1x1 -> avgpool2.

    `preactivate=False` for the first block, which sees raw pixels (SNGAN's "optimised" block).
    `norm` builds a normalisation layer for a channel count (e.g. BatchNorm2d), or None.
    The output is not activated: apply an activation before using it as features."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        norm: Callable[[int], nn.Module] | None = None,
        preactivate: bool = True,
        slope: float = 0.2,
    ) -> None:
        super().__init__()
        make_norm = norm if norm is not None else (lambda _c: nn.Identity())
        self.preactivate = preactivate
        self.norm1 = make_norm(in_ch) if preactivate else nn.Identity()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1)
        self.norm2 = make_norm(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
        self.shortcut = nn.Conv2d(in_ch, out_ch, 1, 1, 0)
        self.slope = slope

    def forward(self, x: Tensor) -> Tensor:
        h = F.leaky_relu(self.norm1(x), self.slope) if self.preactivate else x
        h = self.conv1(h)
        h = self.conv2(F.leaky_relu(self.norm2(h), self.slope))
        return F.avg_pool2d(h, 2) + F.avg_pool2d(self.shortcut(x), 2)
