"""Fully connected G and D: for 2D points, and for small images (the tutorial GAN).

G: `[z, embed(y)] -> g_hidden... (LeakyReLU 0.2, optional BatchNorm) -> prod(out_shape)`, with a
tanh for images and a plain linear output for points.
D: `flatten(packed x) -> d_hidden... (LeakyReLU 0.2) -> features [+ minibatch std / minibatch
discrimination] -> head`.

With `z_dim=100, g_hidden=[128, 256], d_hidden=[256, 128]` on 1x28x28 this is the classic
100-128-256-784 / 784-256-128-1 GAN. Layers keep PyTorch's default initialisation.
"""

from __future__ import annotations

import math

from torch import nn

from ganplay.config import Config
from ganplay.models.base import Discriminator, Generator
from ganplay.models.layers import MinibatchDiscrimination, MinibatchStd
from ganplay.models.registry import register_arch

LEAK = 0.2


def _is_image(shape: tuple[int, ...]) -> bool:
    return len(shape) == 3


class MLPGenerator(Generator):
    def __init__(
        self,
        z_dim: int,
        n_classes: int,
        out_shape: tuple[int, ...],
        hidden: list[int],
        batchnorm: bool = False,
    ) -> None:
        super().__init__(z_dim, n_classes, out_shape)
        layers: list[nn.Module] = []
        width = self.in_dim
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.LeakyReLU(LEAK))
            width = h
        layers.append(nn.Linear(width, self.out_numel))
        if _is_image(self.out_shape):
            layers.append(nn.Tanh())  # pixels in [-1, 1]; points stay unbounded
        self.body = nn.Sequential(*layers)


class MLPDiscriminator(Discriminator):
    def __init__(
        self,
        in_shape: tuple[int, ...],
        n_classes: int,
        hidden: list[int],
        pack: int = 1,
        minibatch_std: bool = False,
        minibatch_disc: int = 0,
    ) -> None:
        super().__init__(in_shape, n_classes, pack)
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(self.packed_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(LEAK)]
            width = h
        if minibatch_std:
            layers.append(MinibatchStd())
            width += 1
        if minibatch_disc:
            mbd = MinibatchDiscrimination(width, minibatch_disc)
            layers.append(mbd)
            width = mbd.out_features
        self.set_trunk(nn.Sequential(*layers), width)


@register_arch("mlp")
def build_mlp(
    cfg: Config, sample_shape: tuple[int, ...], n_classes: int
) -> tuple[MLPGenerator, MLPDiscriminator]:
    m = cfg.model
    G = MLPGenerator(m.z_dim, n_classes, sample_shape, list(m.g_hidden), m.g_batchnorm)
    D = MLPDiscriminator(
        sample_shape,
        n_classes,
        list(m.d_hidden),
        pack=m.pack,
        minibatch_std=m.minibatch_std,
        minibatch_disc=m.minibatch_disc,
    )
    return G, D
