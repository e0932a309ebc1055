"""2D toy distributions for teaching: what mode collapse and mode dropping look like.

`ring8` and `grid25` follow the research protocols (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et
al. 2018): equally likely Gaussian modes, so "how many modes did G find" is a countable question.
`spiral`, `moons` and `swissroll` are continuous shapes with no modes (`centres` is None, `std` 0),
scaled to about the same [-4, 4] box.

Every `sample(n, generator)` draws only from `generator`, so a seeded generator gives the same
points every time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from ganplay.config import MODE_CENTRES
from ganplay.data.dataset import DataError


@dataclass(frozen=True)
class GaussianMixture:
    """Equally likely isotropic Gaussians with a shared std."""

    name: str
    centres: Tensor  # float32 (K, 2)
    std: float

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        component = torch.randint(len(self.centres), (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        return self.centres[component] + self.std * noise


@dataclass(frozen=True)
class Shape:
    """A continuous 2D distribution with no modes."""

    name: str
    draw: Callable[[int, torch.Generator], Tensor]
    centres: Tensor | None = None
    std: float = 0.0

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        return self.draw(n, generator).float()


Mixture = GaussianMixture | Shape


def _spiral(n: int, generator: torch.Generator) -> Tensor:
    """Two interleaved arms of an Archimedean spiral, 1.5 turns each."""
    arm = torch.randint(2, (n,), generator=generator)
    # sqrt spreads the points evenly along the arm (its length grows with t)
    t = torch.rand(n, generator=generator).sqrt() * 3 * math.pi
    angle = t + math.pi * arm
    points = torch.stack([t * angle.cos(), t * angle.sin()], dim=1) * (4 / (3 * math.pi))
    return points + 0.1 * torch.randn(n, 2, generator=generator)


def _moons(n: int, generator: torch.Generator) -> Tensor:
    """Two interleaving half circles (like sklearn's make_moons), centred and scaled by 2.5."""
    upper = torch.randint(2, (n,), generator=generator).bool()
    t = torch.rand(n, generator=generator) * math.pi
    x = torch.where(upper, t.cos(), 1 - t.cos())
    y = torch.where(upper, t.sin(), 0.5 - t.sin())
    points = torch.stack([x - 0.5, y - 0.25], dim=1) * 2.5
    return points + 0.1 * torch.randn(n, 2, generator=generator)


def _swissroll(n: int, generator: torch.Generator) -> Tensor:
    """The 2D swiss roll (sklearn's make_swiss_roll seen from above), scaled into [-4, 4]."""
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
    points = torch.stack([t * t.cos(), t * t.sin()], dim=1) * (4 / (4.5 * math.pi))
    return points + 0.05 * torch.randn(n, 2, generator=generator)


MIXTURES: dict[str, Mixture] = {
    **{name: GaussianMixture(name, torch.tensor(centres, dtype=torch.float32), std)
       for name, (centres, std) in MODE_CENTRES.items()},
    "spiral": Shape("spiral", _spiral),
    "moons": Shape("moons", _moons),
    "swissroll": Shape("swissroll", _swissroll),
}


def mixture(name: str) -> Mixture:
    """The 2D distribution called `name`."""
    try:
        return MIXTURES[name]
    except KeyError:
        raise DataError(f"unknown 2D data {name!r}; known: {', '.join(MIXTURES)}") from None
