"""Convolutional G and D (Radford et al. 2016) and the WGAN critic that shares DCGAN's generator.

Sizes 28 (7 -> 14 -> 28), 32 (4 -> 8 -> 16 -> 32) and 64 (4 -> 8 -> ... -> 64).

G: Linear to a start map, then ConvTranspose2d(4, 2, 1) + BatchNorm + ReLU stages that halve the
channels down to `g_channels`, then a last ConvTranspose2d to C channels and a tanh.
D: Conv2d(4, 2, 1) stages from `d_channels`, doubling, LeakyReLU(0.2), down to the start map,
then flattened into D's features. dcgan's D has BatchNorm (not on the first layer); the wgan
critic has none (a per-sample LayerNorm, GroupNorm(1, C), with `model.layernorm`), since batch
statistics break the per-sample gradients a gradient penalty needs.
`model.residual` swaps the plain stages for residual up/down blocks.
Widths are capped at `MAX_CHANNELS` so 64 px models stay small.
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from ganplay.config import Config
from ganplay.models.base import Discriminator, Generator
from ganplay.models.layers import (
    MinibatchDiscrimination,
    MinibatchStd,
    ResDownBlock,
    ResUpBlock,
    dcgan_init,
)
from ganplay.models.registry import register_arch

# image side -> (side of the start map, number of 2x stages)
CONV_SIZES: dict[int, tuple[int, int]] = {28: (7, 2), 32: (4, 3), 64: (4, 4)}
MAX_CHANNELS = 512
LEAK = 0.2

NormFactory = Callable[[int], nn.Module]


def conv_plan(sample_shape: tuple[int, ...], arch: str = "dcgan") -> tuple[int, int, int]:
    """`(channels, start side, number of 2x stages)` for an image shape, or a ValueError."""
    if len(sample_shape) != 3:
        raise ValueError(f"{arch} makes images (C, H, W); got sample shape {tuple(sample_shape)} "
                         "(use arch mlp for 2D points)")
    c, h, w = sample_shape
    if h != w or h not in CONV_SIZES:
        sizes = ", ".join(map(str, CONV_SIZES))
        raise ValueError(f"{arch} makes square {sizes} px images; got {h}x{w}")
    start, stages = CONV_SIZES[h]
    return c, start, stages


def _width(base: int, doublings: int) -> int:
    """`base * 2**doublings`, capped at MAX_CHANNELS (or at `base` if that is wider)."""
    return min(base * 2**doublings, max(MAX_CHANNELS, base))


class ConvGenerator(Generator):
    """DCGAN generator (plain or residual); shared by the dcgan and wgan architectures."""

    def __init__(
        self,
        z_dim: int,
        n_classes: int,
        out_shape: tuple[int, ...],
        channels: int,
        residual: bool = False,
    ) -> None:
        super().__init__(z_dim, n_classes, out_shape)
        out_ch, start, stages = conv_plan(self.out_shape)
        if residual:
            # every stage is an up block; a 3x3 conv maps g_channels to the image
            top = _width(channels, stages)
            layers: list[nn.Module] = [
                nn.Linear(self.in_dim, top * start * start),
                nn.Unflatten(1, (top, start, start)),
            ]
            for i in range(stages, 0, -1):
                layers.append(ResUpBlock(_width(channels, i), _width(channels, i - 1)))
            layers += [
                nn.BatchNorm2d(channels),
                nn.ReLU(),
                nn.Conv2d(channels, out_ch, 3, 1, 1),
                nn.Tanh(),
            ]
        else:
            # stages - 1 hidden up-convolutions; the last one maps g_channels to the image
            top = _width(channels, stages - 1)
            layers = [
                nn.Linear(self.in_dim, top * start * start, bias=False),  # BatchNorm follows
                nn.Unflatten(1, (top, start, start)),
                nn.BatchNorm2d(top),
                nn.ReLU(),
            ]
            for i in range(stages - 1, 0, -1):
                cin, cout = _width(channels, i), _width(channels, i - 1)
                layers += [
                    nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False),
                    nn.BatchNorm2d(cout),
                    nn.ReLU(),
                ]
            layers += [nn.ConvTranspose2d(channels, out_ch, 4, 2, 1), nn.Tanh()]
        self.body = nn.Sequential(*layers)
        dcgan_init(self)


class ConvDiscriminator(Discriminator):
    """Strided-conv D (plain or residual). `norm` builds the normalisation of every stage but the
    first (None: no normalisation, the WGAN critic)."""

    def __init__(
        self,
        in_shape: tuple[int, ...],
        n_classes: int,
        channels: int,
        norm: NormFactory | None = None,
        residual: bool = False,
        pack: int = 1,
        minibatch_std: bool = False,
        minibatch_disc: int = 0,
    ) -> None:
        super().__init__(in_shape, n_classes, pack)
        _, start, stages = conv_plan(self.in_shape)
        cin = self.packed_shape[0]  # image channels x pack
        layers: list[nn.Module] = []
        for i in range(stages):
            cout = _width(channels, i)
            if residual:
                layers.append(ResDownBlock(cin, cout, norm=norm, preactivate=i > 0, slope=LEAK))
            else:
                normed = norm is not None and i > 0
                layers.append(nn.Conv2d(cin, cout, 4, 2, 1, bias=not normed))
                if normed:
                    layers.append(norm(cout))
                layers.append(nn.LeakyReLU(LEAK))
            cin = cout
        if residual:
            layers.append(nn.LeakyReLU(LEAK))  # residual blocks end un-activated
        if minibatch_std:
            layers.append(MinibatchStd())
            cin += 1
        layers.append(nn.Flatten())
        width = cin * start * start
        if minibatch_disc:
            mbd = MinibatchDiscrimination(width, minibatch_disc)
            layers.append(mbd)
            width = mbd.out_features
        self.set_trunk(nn.Sequential(*layers), width)
        dcgan_init(self)


def _layer_norm(channels: int) -> nn.Module:
    # LayerNorm over (C, H, W) of each sample, with a per-channel affine; needs no spatial size
    return nn.GroupNorm(1, channels)


def _build_conv(
    cfg: Config, sample_shape: tuple[int, ...], n_classes: int, critic: bool
) -> tuple[ConvGenerator, ConvDiscriminator]:
    m = cfg.model
    arch = "wgan" if critic else "dcgan"
    conv_plan(sample_shape, arch)  # the size error names the arch the user picked
    G = ConvGenerator(m.z_dim, n_classes, sample_shape, m.g_channels, residual=m.residual)
    if critic:
        norm: NormFactory | None = _layer_norm if m.layernorm else None
    else:
        norm = nn.BatchNorm2d
    D = ConvDiscriminator(
        sample_shape,
        n_classes,
        m.d_channels,
        norm=norm,
        residual=m.residual,
        pack=m.pack,
        minibatch_std=m.minibatch_std,
        minibatch_disc=m.minibatch_disc,
    )
    return G, D


@register_arch("dcgan")
def build_dcgan(
    cfg: Config, sample_shape: tuple[int, ...], n_classes: int
) -> tuple[ConvGenerator, ConvDiscriminator]:
    """DCGAN: BatchNorm in G and in D (but not on D's first layer)."""
    return _build_conv(cfg, sample_shape, n_classes, critic=False)


@register_arch("wgan")
def build_wgan(
    cfg: Config, sample_shape: tuple[int, ...], n_classes: int
) -> tuple[ConvGenerator, ConvDiscriminator]:
    """DCGAN's generator with a critic that has no BatchNorm (LayerNorm with model.layernorm)."""
    return _build_conv(cfg, sample_shape, n_classes, critic=True)
