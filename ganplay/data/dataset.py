"""The `Dataset` every loader returns, and `DataError`, the one error the data layer raises.

A `Dataset` holds the whole training set in memory (our sets are small): points as float32
`(N, 2)`, images as uint8 `(N, C, H, W)` (a quarter of the memory of float32, and exact). `batch`
turns a batch into what the models eat: float32, with images in [-1, 1] to match G's tanh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from torch import Tensor


class DataError(ValueError):
    """The data cannot be loaded. The message says what is wrong and what to do instead."""


@dataclass
class Dataset:
    """A training set, all in memory. See `ganplay.data` for how to get one."""

    name: str
    kind: Literal["points", "images"]
    x: Tensor  # points: float32 (N, 2); images: uint8 (N, C, H, W)
    labels: Tensor | None = None  # int64 (N,)
    n_classes: int = 0
    class_names: list[str] = field(default_factory=list)
    centres: Tensor | None = None  # float32 (K, 2): the modes of a 2D mixture
    std: float | Tensor = 0.0  # the modes' std (0: no modes; a (K,) tensor for found modes)
    inputs: Tensor | None = None  # uint8 (N, C, h, w): an image-to-image G's input for each image

    def input_batch(self, index: Tensor) -> Tensor:
        """G's inputs at `index` (image-to-image data sets), float32 in [-1, 1]."""
        if self.inputs is None:
            raise ValueError(f"{self.name} holds no image-to-image inputs")
        return self.inputs[index.to(self.inputs.device)].float().div_(127.5).sub_(1.0)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one sample: `(2,)` or `(C, H, W)`."""
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return self.x.shape[0]

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor | None]:
        """The samples at `index` as float32 (images in [-1, 1]) and their labels (or None)."""
        index = index.to(self.x.device)
        x = self.x[index]
        x = x.float().div_(127.5).sub_(1.0) if self.kind == "images" else x.float()
        labels = self.labels[index] if self.labels is not None else None
        return x, labels
