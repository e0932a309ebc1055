"""The architecture registry: name -> builder(cfg, sample_shape, n_classes) -> (G, D).

Adding an architecture is one decorator in its module (plus importing that module in
`ganplay/models/__init__.py`):

    @register_arch("stylegan-lite")
    def build_stylegan_lite(cfg, sample_shape, n_classes):
        return MyGenerator(...), MyDiscriminator(...)

Builders return plain modules; `build_models` then applies what is common to every
architecture (spectral norm on D when `model.spectral_norm` is set).
"""

from __future__ import annotations

from typing import Callable

from ganplay.config import Config
from ganplay.models.base import Discriminator, Generator
from ganplay.models.layers import apply_spectral_norm

ArchBuilder = Callable[[Config, tuple[int, ...], int], tuple[Generator, Discriminator]]

ARCH_REGISTRY: dict[str, ArchBuilder] = {}


def register_arch(name: str) -> Callable[[ArchBuilder], ArchBuilder]:
    """Decorator: register `builder(cfg, sample_shape, n_classes) -> (G, D)` under `name`."""

    def decorate(builder: ArchBuilder) -> ArchBuilder:
        if name in ARCH_REGISTRY and ARCH_REGISTRY[name] is not builder:
            raise ValueError(f"architecture {name!r} is already registered")
        ARCH_REGISTRY[name] = builder
        return builder

    return decorate


def build_models(
    cfg: Config, sample_shape: tuple[int, ...], n_classes: int
) -> tuple[Generator, Discriminator]:
    """Build `(G, D)` for `cfg.model.arch`.

    `sample_shape` is `(2,)` for 2D points or `(C, H, W)` for images (shapes come from here, not
    from the dataset name). `n_classes` is the dataset's class count for a conditional model
    (`cfg.model.n_classes > 0`), else 0.
    """
    arch = cfg.model.arch
    if arch not in ARCH_REGISTRY:
        known = ", ".join(sorted(ARCH_REGISTRY))
        raise ValueError(f"unknown architecture {arch!r}; registered: {known}")
    shape = tuple(int(s) for s in sample_shape)
    if len(shape) not in (1, 3) or any(s < 1 for s in shape):
        raise ValueError(f"sample_shape must be (features,) or (C, H, W), got {sample_shape}")
    if n_classes < 0:
        raise ValueError(f"n_classes must be >= 0, got {n_classes}")
    G, D = ARCH_REGISTRY[arch](cfg, shape, int(n_classes))
    if cfg.model.spectral_norm:
        apply_spectral_norm(D)
    return G, D
