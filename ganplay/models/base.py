"""Base classes every architecture builds on: what G and D look like from the outside.

`Generator`: `G(z, labels=None) -> (B, *out_shape)`. A conditional G (n_classes > 0) embeds the
label and concatenates it to z; the architecture only supplies `body`, a module from
`(B, in_dim)` to `B * prod(out_shape)` values.

`Discriminator`: `D(x, labels=None, return_features=False) -> (B // pack,)` logits, or
`(logits, features)`. It packs its input (PacGAN), runs the architecture's `trunk` to a flat
feature vector `(B', F)`, then `head(features, labels)`: a linear score plus, when conditional,
the projection term `<embed(y), features>` (Miyato & Koyama 2018).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def label_embedding_dim(n_classes: int) -> int:
    """Width of G's label embedding: one dimension per class, capped at 128."""
    return min(n_classes, 128)


def packed_shape(sample_shape: tuple[int, ...], pack: int) -> tuple[int, ...]:
    """The shape of one packed D input: `pack` samples joined along features / channels."""
    return (sample_shape[0] * pack, *sample_shape[1:])


def _check_labels(who: str, labels: Tensor | None, batch: int, n_classes: int) -> Tensor:
    if labels is None:
        raise ValueError(
            f"{who} is conditional ({n_classes} classes) and needs labels: "
            f"call it as {who[0]}(x, labels) with an int64 tensor of shape ({batch},)"
        )
    if labels.shape != (batch,):
        raise ValueError(f"{who}: labels must have shape ({batch},), got {tuple(labels.shape)}")
    if labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"{who}: labels must be an integer tensor, got {labels.dtype}")
    return labels.long()


class Generator(nn.Module):
    """Noise (and labels) in, samples out.

    Attributes: `z_dim`, `n_classes` (0: unconditional), `out_shape` (`(2,)` or `(C, H, W)`),
    `in_dim` (z_dim plus the label embedding width; what `body` receives).
    Subclasses set `self.body` after calling `super().__init__`.
    """

    body: nn.Module

    def __init__(self, z_dim: int, n_classes: int, out_shape: tuple[int, ...]) -> None:
        super().__init__()
        if z_dim < 1:
            raise ValueError(f"Generator: z_dim must be >= 1, got {z_dim}")
        if n_classes < 0:
            raise ValueError(f"Generator: n_classes must be >= 0, got {n_classes}")
        self.z_dim = z_dim
        self.n_classes = n_classes
        self.out_shape = tuple(int(s) for s in out_shape)
        self.embed: nn.Embedding | None = None
        self.in_dim = z_dim
        if n_classes > 0:
            self.embed = nn.Embedding(n_classes, label_embedding_dim(n_classes))
            self.in_dim += self.embed.embedding_dim

    @property
    def is_conditional(self) -> bool:
        return self.n_classes > 0

    @property
    def out_numel(self) -> int:
        return math.prod(self.out_shape)

    def condition(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        """`z` with the label embedding appended (just `z` when unconditional)."""
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"G: z must have shape (B, {self.z_dim}), got {tuple(z.shape)}")
        if self.embed is None:
            return z  # unconditional: labels, if any, are ignored
        labels = _check_labels("G", labels, z.shape[0], self.n_classes)
        return torch.cat([z, self.embed(labels).to(z.dtype)], dim=1)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        x = self.body(self.condition(z, labels))
        return x.reshape(z.shape[0], *self.out_shape)


class Discriminator(nn.Module):
    """Samples (and labels) in, one raw score per packed group out.

    Attributes: `in_shape` (one sample's shape), `n_classes`, `pack`, `packed_shape` (what the
    trunk sees), `feature_dim` (F). Subclasses build their trunk from `self.packed_shape` and call
    `self.set_trunk(trunk, feature_dim)`.
    """

    trunk: nn.Module

    def __init__(self, in_shape: tuple[int, ...], n_classes: int, pack: int = 1) -> None:
        super().__init__()
        if pack < 1:
            raise ValueError(f"Discriminator: pack must be >= 1, got {pack}")
        if pack > 1 and n_classes > 0:
            raise ValueError("Discriminator: packing and conditional labels do not mix; use pack 1")
        self.in_shape = tuple(int(s) for s in in_shape)
        self.n_classes = n_classes
        self.pack = pack
        self.packed_shape = packed_shape(self.in_shape, pack)
        self.feature_dim = 0

    @property
    def is_conditional(self) -> bool:
        return self.n_classes > 0

    def set_trunk(self, trunk: nn.Module, feature_dim: int) -> None:
        """Install the feature extractor `(B', *packed_shape) -> (B', feature_dim)` and the head."""
        self.trunk = trunk
        self.feature_dim = feature_dim
        self.linear = nn.Linear(feature_dim, 1)
        self.embed: nn.Embedding | None = None
        if self.n_classes > 0:
            self.embed = nn.Embedding(self.n_classes, feature_dim)
            # small, like a linear layer's weights: N(0, 1) over thousands of features would
            # swamp the unconditional score at the start
            nn.init.xavier_uniform_(self.embed.weight)

    def pack_input(self, x: Tensor) -> Tensor:
        """`(B, *in_shape) -> (B // pack, *packed_shape)`: `pack` consecutive samples side by side
        (points: features concatenated; images: channels concatenated)."""
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(
                f"D: expected inputs of shape (B, {', '.join(map(str, self.in_shape))}), "
                f"got {tuple(x.shape)}"
            )
        if self.pack == 1:
            return x
        batch = x.shape[0]
        if batch % self.pack:
            raise ValueError(
                f"D packs {self.pack} samples at a time (model.pack): the batch size must be a "
                f"multiple of {self.pack}, got {batch}"
            )
        # a contiguous (B, C, ...) reshaped to (B/p, p*C, ...) puts samples i*p .. i*p+p-1
        # side by side along dim 1
        return x.reshape(batch // self.pack, *self.packed_shape)

    def head(self, features: Tensor, labels: Tensor | None = None) -> Tensor:
        """Linear score, plus the projection `<embed(y), features>` when conditional."""
        logits = self.linear(features).squeeze(1)
        if self.embed is not None:
            labels = _check_labels("D", labels, features.shape[0], self.n_classes)
            logits = logits + (self.embed(labels) * features).sum(dim=1)
        return logits

    def _match_dtype(self, x: Tensor) -> Tensor:
        if not x.is_floating_point():
            raise ValueError(f"D: inputs must be floating point (images in [-1, 1]), got {x.dtype}")
        # Outside autocast, a bf16 sample (e.g. from a G run under autocast) would meet fp32
        # weights and fail: cast it to D's own dtype. Under autocast, autocast decides.
        if torch.is_autocast_enabled(x.device.type):
            return x
        dtype = next(self.parameters()).dtype
        return x if x.dtype == dtype else x.to(dtype)

    def forward(
        self, x: Tensor, labels: Tensor | None = None, return_features: bool = False
    ) -> Tensor | tuple[Tensor, Tensor]:
        if self.feature_dim == 0:
            raise RuntimeError(f"{type(self).__name__} has no trunk: call set_trunk() in __init__")
        if self.embed is None:
            labels = None  # unconditional: labels, if any, are ignored
        elif labels is None:
            _check_labels("D", labels, x.shape[0], self.n_classes)  # raises the clear error
        features = self.trunk(self._match_dtype(self.pack_input(x)))
        logits = self.head(features, labels)
        return (logits, features) if return_features else logits
