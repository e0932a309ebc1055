"""Models: G and D for every architecture, built by name through a registry.

    G, D = build_models(cfg, sample_shape, n_classes)
    x = G(z, labels=None)                              # (B, *sample_shape)
    logits = D(x, labels=None)                         # (B // pack,)
    logits, features = D(x, labels, return_features=True)

Architectures: mlp (points and small images), dcgan, wgan (DCGAN generator + a critic without
BatchNorm), stylegan-lite; and image-to-image srgan and pix2pix (`G(z, inputs)`, z empty; see
`translate.py`). A new one is a builder decorated with `@register_arch("name")` in a module imported
below.
"""

from __future__ import annotations

from ganplay.models.base import Discriminator, Generator
from ganplay.models.registry import ARCH_REGISTRY, ArchBuilder, build_models, register_arch

# Importing the architecture modules registers them.
from ganplay.models import dcgan as _dcgan  # noqa: E402,F401
from ganplay.models import mlp as _mlp  # noqa: E402,F401
from ganplay.models import stylegan as _stylegan  # noqa: E402,F401
from ganplay.models import translate as _translate  # noqa: E402,F401

__all__ = [
    "ARCH_REGISTRY",
    "ArchBuilder",
    "Discriminator",
    "Generator",
    "build_models",
    "register_arch",
]
